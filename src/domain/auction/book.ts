/**
 * The book of one listing (docs/market-rules.md §3).
 *
 * Active bids are ordered by rate ascending, then priority ascending. Walking that order a bid is
 * winning while the cumulative amount before it is below the listing amount; the last winner is the
 * marginal bid and may fill only partly. Coverage is the sum of active amounts.
 *
 * Because an outbid bid leaves the book at once (§3), every active bid of a settled book is winning;
 * `computeBook` still accepts a book with bids outside the winning set, which is how a new or amended
 * bid finds out whom it pushed out (`outbidIds`).
 *
 * Where docs/market-rules.md is silent, this file decides:
 * - current rate, `pay_as_bid`: the fill-weighted mean of the winners' own rates over their current
 *   fills, rounded half-even to whole bps (what the borrower would pay if the listing cleared now);
 *   `maxRateBps` while the book is empty. `uniform` follows §3 exactly.
 * - `fundedPct`: floor(min(coverage, amount) × 100 / amount), so 100 means fully covered and never more.
 * - `bookLevels` aggregate every active bid's full amount (not its fill) by rate, like `coverageMinor`,
 *   so a client can rebuild them from the snapshot plus the events' amounts.
 */
import { assert, assertNonNegativeMinor, assertPositiveMinor } from '../assert.js';
import { divHalfEven, toSafeNumber } from './math.js';
import type { ActiveBid, Pricing } from './types.js';

/** The listing fields the book depends on. */
export interface BookTerms {
  readonly amountMinor: number;
  readonly maxRateBps: number;
  readonly pricing: Pricing;
}

export interface BookEntry extends ActiveBid {
  /** Part of the amount that would become a note if the listing cleared now. */
  readonly fillMinor: number;
  readonly winning: boolean;
}

export interface BookLevel {
  readonly rateBps: number;
  readonly amountMinor: number;
  readonly bidCount: number;
}

export interface Book {
  /** In book order: rate ascending, then priority ascending. */
  readonly entries: readonly BookEntry[];
  readonly coverageMinor: number;
  /** Σ fills = min(coverage, amount). */
  readonly filledMinor: number;
  readonly marginalBidId: string | null;
  readonly currentRateBps: number;
  readonly fundedPct: number;
  readonly bidCount: number;
  /** Anonymised book: active amounts aggregated by rate, ascending. */
  readonly bookLevels: readonly BookLevel[];
}

/** Book order: rate ascending, then priority ascending (priorities are unique, so this is total). */
export function compareBids(a: ActiveBid, b: ActiveBid): number {
  return a.rateBps - b.rateBps || a.priority - b.priority;
}

export function assertBookTerms(terms: BookTerms): void {
  assertPositiveMinor(terms.amountMinor, 'listing amountMinor');
  assert(Number.isSafeInteger(terms.maxRateBps) && terms.maxRateBps >= 1, `listing maxRateBps invalid: ${terms.maxRateBps}`);
  assert(terms.pricing === 'uniform' || terms.pricing === 'pay_as_bid', `unknown pricing: ${String(terms.pricing)}`);
}

/** State invariants of active bids: a broken one means corrupted rows or a bug upstream. */
export function assertActiveBids(terms: BookTerms, bids: readonly ActiveBid[]): void {
  const ids = new Set<string>();
  const priorities = new Set<number>();
  for (const b of bids) {
    assert(typeof b.id === 'string' && b.id.length > 0, 'active bid without id');
    assertPositiveMinor(b.amountMinor, `bid ${b.id} amountMinor`);
    assert(Number.isSafeInteger(b.rateBps) && b.rateBps >= 1 && b.rateBps <= terms.maxRateBps, `bid ${b.id} rate out of range: ${b.rateBps}`);
    assert(Number.isSafeInteger(b.priority) && b.priority >= 1, `bid ${b.id} priority invalid: ${b.priority}`);
    assert(!ids.has(b.id), `duplicate active bid id ${b.id}`);
    assert(!priorities.has(b.priority), `duplicate bid priority ${b.priority}`);
    ids.add(b.id);
    priorities.add(b.priority);
  }
}

/** Fill-weighted mean rate of the given fills, half-even to whole bps; null when nothing is filled. */
export function fillWeightedRateBps(fills: readonly { fillMinor: number; rateBps: number }[]): number | null {
  let weighted = 0n;
  let total = 0n;
  for (const f of fills) {
    weighted += BigInt(f.fillMinor) * BigInt(f.rateBps);
    total += BigInt(f.fillMinor);
  }
  if (total === 0n) return null;
  return toSafeNumber(divHalfEven(weighted, total), 'fill-weighted rate');
}

/** Walks the book order and marks winners and fills. */
function walk(terms: BookTerms, bids: readonly ActiveBid[]): BookEntry[] {
  let cumulativeMinor = 0;
  return [...bids].sort(compareBids).map((bid) => {
    const winning = cumulativeMinor < terms.amountMinor;
    const fillMinor = winning ? Math.min(bid.amountMinor, terms.amountMinor - cumulativeMinor) : 0;
    cumulativeMinor += bid.amountMinor;
    return { ...bid, fillMinor, winning };
  });
}

function levelsOf(entries: readonly BookEntry[]): BookLevel[] {
  const levels: BookLevel[] = [];
  for (const e of entries) {
    const last = levels[levels.length - 1];
    if (last && last.rateBps === e.rateBps) {
      levels[levels.length - 1] = { rateBps: e.rateBps, amountMinor: last.amountMinor + e.amountMinor, bidCount: last.bidCount + 1 };
    } else {
      levels.push({ rateBps: e.rateBps, amountMinor: e.amountMinor, bidCount: 1 });
    }
  }
  return levels;
}

function currentRateOf(terms: BookTerms, winners: readonly BookEntry[], coverageMinor: number): number {
  if (terms.pricing === 'uniform') {
    const marginal = winners[winners.length - 1];
    return marginal && coverageMinor >= terms.amountMinor ? marginal.rateBps : terms.maxRateBps;
  }
  return fillWeightedRateBps(winners) ?? terms.maxRateBps;
}

export function computeBook(terms: BookTerms, activeBids: readonly ActiveBid[]): Book {
  assertBookTerms(terms);
  assertActiveBids(terms, activeBids);
  const entries = walk(terms, activeBids);
  const winners = entries.filter((e) => e.winning);
  const coverageMinor = entries.reduce((sum, e) => sum + e.amountMinor, 0);
  const filledMinor = winners.reduce((sum, e) => sum + e.fillMinor, 0);
  assertNonNegativeMinor(coverageMinor, 'coverageMinor');
  assert(filledMinor === Math.min(coverageMinor, terms.amountMinor), 'fills must add up to min(coverage, amount)');
  return {
    entries,
    coverageMinor,
    filledMinor,
    marginalBidId: winners[winners.length - 1]?.id ?? null,
    currentRateBps: currentRateOf(terms, winners, coverageMinor),
    fundedPct: toSafeNumber((BigInt(filledMinor) * 100n) / BigInt(terms.amountMinor), 'fundedPct'),
    bidCount: entries.length,
    bookLevels: levelsOf(entries),
  };
}

/** What each lender holds in a list of active bids, and the ids in it: the checks a new bid makes. */
export interface BidIndex {
  readonly ids: Set<string>;
  /** Per lender: how many active bids, their total amount, and the id when there is exactly one. */
  readonly byLender: Map<string, { count: number; amountMinor: number; id: string | null }>;
}

const bidIndexes = new WeakMap<readonly ActiveBid[], BidIndex>();

function buildBidIndex(bids: readonly ActiveBid[]): BidIndex {
  const ix: BidIndex = { ids: new Set(), byLender: new Map() };
  for (const b of bids) addToIndex(ix, b);
  return ix;
}

function addToIndex(ix: BidIndex, b: ActiveBid): void {
  ix.ids.add(b.id);
  const l = ix.byLender.get(b.lenderId);
  if (l) {
    l.count++;
    l.amountMinor += b.amountMinor;
    l.id = null;
  } else ix.byLender.set(b.lenderId, { count: 1, amountMinor: b.amountMinor, id: b.id });
}

function removeFromIndex(ix: BidIndex, b: ActiveBid): void {
  ix.ids.delete(b.id);
  const l = ix.byLender.get(b.lenderId)!;
  if (l.count === 1) ix.byLender.delete(b.lenderId);
  else {
    l.count--;
    l.amountMinor -= b.amountMinor;
    // Which of the rest is left is not tracked: a reader scans (a lender has one active bid per listing anyway).
    l.id = null;
  }
}

/**
 * The index of `bids` if one is known (it was built for this very array, or handed on by
 * insertIntoSettledBook from the book before), or built now when `build` says so. A batch placing many
 * bids on one listing then checks each in O(1) instead of scanning the book three times per bid. The
 * arrays are never mutated, so an index stays true for its array.
 */
export function bidIndexOf(bids: readonly ActiveBid[], build: boolean): BidIndex | undefined {
  let ix = bidIndexes.get(bids);
  if (!ix && build) bidIndexes.set(bids, (ix = buildBidIndex(bids)));
  return ix;
}

/**
 * The settled book after adding one bid to a settled book, without walking it again: the bid goes in at
 * its place (binary search); the bids pushed wholly outside the winning set are a suffix, taken off the
 * end; only entries whose fill changed are rebuilt. Exactly computeBook's result on the winning bids
 * (a property test checks it), at the cost of a copy of the array instead of a sort and N new objects —
 * what keeps a hot listing with thousands of bids fast.
 */
export function insertIntoSettledBook(terms: BookTerms, before: Book, bid: ActiveBid): { book: Book; outbid: BookEntry[] } {
  assertPositiveMinor(bid.amountMinor, 'bid amountMinor');
  const old = before.entries;
  // Unique ids and priorities are the caller's (placeBid asserts a new id; a new priority is the next
  // seq): checking them here again would walk the whole book on every bid.
  assert(old.length === 0 || old[old.length - 1]!.winning, 'the book given is settled');
  let lo = 0;
  let hi = old.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (compareBids(old[mid]!, bid) < 0) lo = mid + 1;
    else hi = mid;
  }
  const placeholder: BookEntry = { ...bid, fillMinor: -1, winning: true };
  const all: BookEntry[] = old.toSpliced(lo, 0, placeholder);
  let coverageMinor = before.coverageMinor + bid.amountMinor;
  const outbid: BookEntry[] = [];
  while (all.length > 0 && coverageMinor - all[all.length - 1]!.amountMinor >= terms.amountMinor) {
    const gone = all.pop()!;
    coverageMinor -= gone.amountMinor;
    outbid.unshift({ ...gone, fillMinor: 0, winning: false });
  }
  const last = all.length - 1;
  // In a settled book only the last (marginal) entry may be filled in part; every other one is filled
  // whole. So only three entries can change: the new one, the old marginal (now whole if it moved off
  // the end) and the new marginal. The rest are kept as they are, without a walk over the book.
  const oldLast = old.length === 0 ? -1 : lo <= old.length - 1 ? old.length : old.length - 1;
  for (const i of new Set([lo, oldLast, last])) {
    if (i < 0 || i > last) continue;
    const e = all[i]!;
    const fillMinor = i === last ? Math.min(e.amountMinor, terms.amountMinor - (coverageMinor - e.amountMinor)) : e.amountMinor;
    if (e === placeholder || e.fillMinor !== fillMinor || !e.winning) all[i] = { id: e.id, lenderId: e.lenderId, amountMinor: e.amountMinor, rateBps: e.rateBps, priority: e.priority, fillMinor, winning: true };
  }
  // The old entries' index (if any) moves to the new array, updated for what came in and went out.
  const ix = bidIndexes.get(old);
  if (ix) {
    bidIndexes.delete(old);
    addToIndex(ix, bid);
    for (const o of outbid) removeFromIndex(ix, o);
    bidIndexes.set(all, ix);
  }
  const winners = all;
  const filledMinor = Math.min(coverageMinor, terms.amountMinor);
  let levels: BookLevel[] | undefined;
  const book = {
    entries: winners,
    coverageMinor,
    filledMinor,
    marginalBidId: winners[last]?.id ?? null,
    currentRateBps: currentRateOf(terms, winners, coverageMinor),
    fundedPct: toSafeNumber((BigInt(filledMinor) * 100n) / BigInt(terms.amountMinor), 'fundedPct'),
    bidCount: winners.length,
  } as Omit<Book, 'bookLevels'> as Book;
  // The levels are for readers (snapshots, events of the market list): built only when asked for.
  Object.defineProperty(book, 'bookLevels', { enumerable: true, get: () => (levels ??= levelsOf(winners)) });
  return { book, outbid };
}

/** Ids of bids wholly outside the winning set (cumulative amount before them ≥ listing amount). */
export function outbidIds(terms: BookTerms, bids: readonly ActiveBid[]): string[] {
  return computeBook(terms, bids)
    .entries.filter((e) => !e.winning)
    .map((e) => e.id);
}
