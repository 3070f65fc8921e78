/**
 * Sessions looked up in the last two seconds, by token hash. Anything that changes who a user is
 * (logout, password, KYC, role) clears it here and, through the bus, on every other node.
 */
export class SessionCache<T> {
  private readonly entries = new Map<string, { value: T | null; atMs: number }>();
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
    this.entries.set(tokenHash, { value, atMs: Date.now() });
  }

  clear(): void {
    this.entries.clear();
  }
}
