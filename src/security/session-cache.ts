/**
 * Sessions looked up recently, by token hash. Anything that changes who a user is (logout, password,
 * KYC, role, a freeze) clears it here and, through the bus, on every other node (`users.changed`; the
 * event stream reads a lost message back from the outbox), so a hit is as good as a lookup: a minute
 * saves a query on nearly every request of a busy lender. A session is never served past its own
 * expiry; an unknown token is remembered only briefly.
 */
export class SessionCache<T> {
  private readonly entries = new Map<string, { value: T | null; untilMs: number }>();
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
  }

  clear(): void {
    this.entries.clear();
  }
}
