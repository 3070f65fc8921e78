import type { BenchConfig } from './config.js';
import type { SeededLender } from './db.js';
import { HttpTarget, problemCode } from './http.js';
import type { Outcome } from './load.js';
import type { Borrower } from './seed.js';

/** What every scenario gets: the running server, its database, and the seeded people. */
export interface BenchContext {
  cfg: BenchConfig;
  baseUrl: string;
  serverPid: number;
  databaseUrl: string;
  adminToken: string;
  lenders: SeededLender[];
  borrowers: BorrowerPool;
  log(message: string): void;
  /** The server's inspector (ws://…) when the memory scenario runs: the bench asks it for a full GC. */
  inspectorUrl?: string;
  /** The server's closed-loop hot-listing rate, once measured (sizes the clearing listing's duration). */
  hotBidsPerSec?: number;
}

export class BorrowerPool {
  private next = 0;
  constructor(private readonly all: Borrower[]) {}
  take(): Borrower {
    const b = this.all[this.next++];
    if (!b) throw new Error(`the bench seeded ${this.all.length} borrowers and needs more`);
    return b;
  }
}

/** The ¥100 minimum bid: 10,000 of them fill a ¥1,000,000 listing with no one outbid. */
export const BID_MINOR = 10_000;
export const LISTING_CAPACITY = 10_000;

/** Rates spread over 8.00 %–22.99 %, so bids land on many levels of the book. */
export function rateOf(k: number): number {
  return 800 + ((k * 37) % 1500);
}

/** Places one bid through the public API and reports accepted (201) or the rejection's code. */
export function bidSender(target: HttpTarget): (listingId: string, token: string, amountMinor: number, rateBps: number) => Promise<Outcome> {
  return async (listingId, token, amountMinor, rateBps) => {
    const r = await target.request('POST', `/api/v1/listings/${listingId}/bids`, { authorization: `Bearer ${token}` }, `{"amountMinor":${amountMinor},"rateBps":${rateBps}}`);
    return r.status === 201 ? true : problemCode(r);
  };
}
