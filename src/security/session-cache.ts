/**
 * Sessions looked up in the last two seconds, by token hash. Anything that changes who a user is
 * (logout, password, KYC, role) clears it here and, through the bus, on every other node.
 *
 * Entries are kept in the order they were stored, so the expired ones are always at the front: a timer
 * (unref'd, armed only while entries exist) drops them one TTL after they were stored. Without it, a burst
 * of logins (10,000 sockets opening) left every user's entry in memory until the next 50,000 lookups.
 */
export class SessionCache<T> {
  private readonly entries = new Map<string, { value: T | null; atMs: number }>();
  private sweepTimer: NodeJS.Timeout | undefined;
  constructor(
    private readonly ttlMs = 2000,
    private readonly maxEntries = 50_000,
  ) {}

  get(tokenHash: string): T | null | undefined {
    const hit = this.entries.get(tokenHash);
    if (!hit) return undefined;
    if (Date.now() - hit.atMs >= this.ttlMs) {
      this.entries.delete(tokenHash);
      return undefined;
    }
    return hit.value;
  }

  set(tokenHash: string, value: T | null): void {
    if (this.entries.size >= this.maxEntries) this.entries.clear();
    // Deleted first so that a refreshed entry moves to the back: the map stays ordered by atMs.
    this.entries.delete(tokenHash);
    this.entries.set(tokenHash, { value, atMs: Date.now() });
    this.armSweep();
  }

  clear(): void {
    this.entries.clear();
  }

  get size(): number {
    return this.entries.size;
  }

  private armSweep(): void {
    if (this.sweepTimer) return;
    this.sweepTimer = setTimeout(() => {
      this.sweepTimer = undefined;
      this.sweep();
    }, this.ttlMs);
    this.sweepTimer.unref();
  }

  /** Drops the expired entries (all at the front) and waits for the next one to expire, if any. */
  private sweep(): void {
    const now = Date.now();
    for (const [key, entry] of this.entries) {
      if (now - entry.atMs < this.ttlMs) break;
      this.entries.delete(key);
    }
    if (this.entries.size > 0) this.armSweep();
  }
}
