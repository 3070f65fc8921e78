/**
 * Sessions looked up recently, by token hash. Anything that changes who a user is (logout, password,
 * KYC, role, a freeze) clears it here and, through the bus, on every other node (`users.changed`; the
 * event stream reads a lost message back from the outbox), so a hit is as good as a lookup: a minute
 * saves a query on nearly every request of a busy lender. A session is never served past its own
 * expiry; an unknown token is remembered only briefly.
 *
 * A timer (unref'd, armed only while entries exist) drops expired entries; without it, a burst of logins
 * (10,000 sockets opening) left every user's entry in memory until the next 50,000 lookups.
 */
export class SessionCache<T> {
  private readonly entries = new Map<string, { value: T | null; untilMs: number }>();
  private sweepTimer: NodeJS.Timeout | undefined;
  constructor(
    private readonly ttlMs = 60_000,
    private readonly unknownTtlMs = 2000,
    private readonly maxEntries = 50_000,
  ) {}

  get(tokenHash: string): T | null | undefined {
    const hit = this.entries.get(tokenHash);
    if (!hit) return undefined;
    if (Date.now() >= hit.untilMs) {
      this.entries.delete(tokenHash);
      return undefined;
    }
    return hit.value;
  }

  /** `expiresAtMs`: the session's own end, which a hit never outlives. */
  set(tokenHash: string, value: T | null, expiresAtMs = Infinity): void {
    if (this.entries.size >= this.maxEntries) this.entries.clear();
    const nowMs = Date.now();
    this.entries.set(tokenHash, { value, untilMs: Math.min(nowMs + (value === null ? this.unknownTtlMs : this.ttlMs), expiresAtMs) });
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
    this.sweepTimer = setTimeout(
      () => {
        this.sweepTimer = undefined;
        this.sweep();
      },
      Math.min(this.ttlMs, this.unknownTtlMs),
    );
    this.sweepTimer.unref();
  }

  /** Drops the expired entries and looks again later while any are left. */
  private sweep(): void {
    const nowMs = Date.now();
    for (const [key, entry] of this.entries) if (nowMs >= entry.untilMs) this.entries.delete(key);
    if (this.entries.size > 0) this.armSweep();
  }
}
