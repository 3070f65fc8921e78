/**
 * The auction core checked against a naive reference model (the exchange-core approach of docs/architecture.md).
 *
 * The reference below is written from docs/market-rules.md alone and shares no code with src/domain/auction: it
 * keeps every bid ever placed, and after each event sorts the active ones from scratch, walks them, and
 * marks whatever is past the amount as outbid. fast-check drives both with thousands of random event
 * sequences (bids valid and invalid, amends, time passing into the soft-close window and past the end,
 * closeWhenFunded, both pricing rules) and compares every decision, the book, the events and the
 * clearing. After every step it also checks invariants on the core's own state, and rebuilds the public
 * book from the events alone, as a WS client would.
 */
import { isDeepStrictEqual } from 'node:util';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  amendBid,
  clearListing,
  computeBook,
  placeBid,
  type ActiveBid,
  type AmendBidAccepted,
  type AuctionListing,
  type BidSettings,
  type ClearingResult,
  type ListingEvent,
  type PlaceBidAccepted,
  type Pricing,
} from '../../../src/domain/auction/index.js';
import type { Grade, RiskProfile } from '../../../src/domain/grades.js';

/** expect(actual).toEqual(expected), but cheap when they match: this runs ~10^6 times. */
function eq(actual: unknown, expected: unknown, what?: string): void {
  if (!isDeepStrictEqual(actual, expected)) expect(actual, what).toEqual(expected);
}

function check(condition: boolean, what: string): void {
  if (!condition) expect.fail(what);
}

// ---------------------------------------------------------------------------------------------------
// Reference model

const GRADE_LIST: Grade[] = ['AA', 'A', 'B', 'C', 'D', 'E', 'HR'];
const WORST_GRADE_INDEX: Record<RiskProfile, number> = { conservative: 1, balanced: 3, aggressive: 6 };

interface Config {
  amount: number;
  maxRate: number;
  pricing: Pricing;
  closeWhenFunded: boolean;
  grade: Grade;
  floor: number | null;
  capPct: number;
  minBid: number;
  softSec: number;
  maxExtSec: number;
  startMs: number;
  durationSec: number;
  minFundingPct: number;
  feeBps: number;
}

interface LenderSpec {
  id: string;
  kyc: boolean;
  profile: RiskProfile | null;
  platform: boolean;
  startMinor: number;
}

interface RefBid {
  id: string;
  lender: string;
  amount: number;
  rate: number;
  prio: number;
  active: boolean;
}

type RefDecision =
  | { code: string }
  | { code: null; hold: number; outbid: string[]; eventTypes: string[]; endsAt: number; closeNow: boolean };

class Reference {
  status: 'open' | 'closed' = 'open';
  seq = 0;
  endsAt: number;
  readonly originalEnds: number;
  bids: RefBid[] = [];
  wallet = new Map<string, number>();

  constructor(
    readonly c: Config,
    lenders: LenderSpec[],
  ) {
    this.endsAt = c.startMs + c.durationSec * 1000;
    this.originalEnds = this.endsAt;
    for (const l of lenders) this.wallet.set(l.id, l.startMinor);
  }

  sortedActive(): RefBid[] {
    const list = this.bids.filter((b) => b.active).map((b) => ({ ...b }));
    // Bubble sort on purpose: nothing clever to share a bug with.
    for (let i = 0; i < list.length; i++) {
      for (let j = 0; j + 1 < list.length - i; j++) {
        const a = list[j]!;
        const b = list[j + 1]!;
        if (a.rate > b.rate || (a.rate === b.rate && a.prio > b.prio)) {
          list[j] = b;
          list[j + 1] = a;
        }
      }
    }
    return list;
  }

  view(): { order: RefBid[]; fills: number[]; coverage: number; marginal: RefBid | null; rate: number } {
    const order = this.sortedActive();
    const fills: number[] = [];
    let before = 0;
    let marginal: RefBid | null = null;
    for (const b of order) {
      if (before < this.c.amount) {
        fills.push(Math.min(b.amount, this.c.amount - before));
        marginal = b;
      } else {
        fills.push(0);
      }
      before += b.amount;
    }
    const coverage = before;
    let rate = this.c.maxRate;
    if (this.c.pricing === 'uniform') {
      if (coverage >= this.c.amount && marginal) rate = marginal.rate;
    } else {
      const total = fills.reduce((s, f) => s + f, 0);
      if (total > 0) rate = halfEven(order.reduce((s, b, i) => s + b.rate * fills[i]!, 0), total);
    }
    return { order, fills, coverage, marginal, rate };
  }

  isOpen(now: number): boolean {
    return this.status === 'open' && now < this.endsAt;
  }

  rateBad(rate: number): boolean {
    return !Number.isInteger(rate) || rate < 1 || rate > this.c.maxRate || (this.c.floor !== null && rate < this.c.floor);
  }

  place(l: LenderSpec, borrowerId: string, amount: number, rate: number, now: number, newId: string): RefDecision {
    const c = this.c;
    if (!this.isOpen(now)) return { code: 'LISTING_NOT_OPEN' };
    if (!l.kyc || l.profile === null || GRADE_LIST.indexOf(c.grade) > WORST_GRADE_INDEX[l.profile]) return { code: 'LENDER_NOT_ELIGIBLE' };
    if (l.platform || l.id === borrowerId) return { code: 'SELF_DEALING' };
    if (this.bids.some((b) => b.active && b.lender === l.id)) return { code: 'BID_EXISTS' };
    if (!Number.isInteger(amount) || amount < c.minBid || amount % 100 !== 0 || amount > c.amount) return { code: 'BID_AMOUNT_INVALID' };
    if (this.rateBad(rate)) return { code: 'BID_RATE_INVALID' };
    const v = this.view();
    const hold = c.closeWhenFunded ? Math.min(amount, c.amount - v.coverage) : amount;
    const mine = this.bids.filter((b) => b.active && b.lender === l.id).reduce((s, b) => s + b.amount, 0);
    if ((mine + hold) * 100 > c.capPct * c.amount) return { code: 'LENDER_LISTING_CAP' };
    if (v.coverage >= c.amount && rate >= v.marginal!.rate) return { code: 'BID_NOT_COMPETITIVE' };
    if (this.wallet.get(l.id)! < hold) return { code: 'INSUFFICIENT_FUNDS' };

    this.seq += 1;
    this.bids.push({ id: newId, lender: l.id, amount: hold, rate, prio: this.seq, active: true });
    this.wallet.set(l.id, this.wallet.get(l.id)! - hold);
    const outbid = this.pushOut();
    const closeNow = c.closeWhenFunded && this.view().coverage >= c.amount;
    const extended = closeNow ? false : this.softClose(now);
    if (closeNow) this.status = 'closed';
    return { code: null, hold, outbid, eventTypes: ['bid.accepted', ...outbid.map(() => 'bid.outbid'), ...(extended ? ['listing.extended'] : [])], endsAt: this.endsAt, closeNow };
  }

  amend(bidId: string, rate: number, now: number): RefDecision {
    if (!this.isOpen(now)) return { code: 'LISTING_NOT_OPEN' };
    const bid = this.bids.find((b) => b.id === bidId && b.active);
    if (!bid) return { code: 'BID_NOT_ACTIVE' };
    if (this.rateBad(rate)) return { code: 'BID_RATE_INVALID' };
    if (rate >= bid.rate) return { code: 'AMEND_RATE_NOT_LOWER' };
    this.seq += 1;
    bid.rate = rate;
    bid.prio = this.seq;
    const outbid = this.pushOut();
    const extended = this.softClose(now);
    return { code: null, hold: 0, outbid, eventTypes: ['bid.amended', ...outbid.map(() => 'bid.outbid'), ...(extended ? ['listing.extended'] : [])], endsAt: this.endsAt, closeNow: false };
  }

  /** Everything whose cumulative amount before it reaches the listing amount leaves, in book order. */
  private pushOut(): string[] {
    const out: string[] = [];
    let before = 0;
    for (const b of this.sortedActive()) {
      if (before >= this.c.amount) {
        const real = this.bids.find((x) => x.id === b.id)!;
        real.active = false;
        this.wallet.set(real.lender, this.wallet.get(real.lender)! + real.amount);
        this.seq += 1;
        out.push(b.id);
      }
      before += b.amount;
    }
    return out;
  }

  private softClose(now: number): boolean {
    const window = this.c.softSec * 1000;
    if (window === 0 || this.endsAt - now > window) return false;
    const target = Math.min(now + window, this.originalEnds + this.c.maxExtSec * 1000);
    if (target <= this.endsAt) return false;
    this.endsAt = target;
    this.seq += 1;
    return true;
  }

  clear(minFundingPct: number, feeBps: number) {
    const v = this.view();
    if (v.coverage * 100 < minFundingPct * this.c.amount) {
      return { outcome: 'failed' as const, released: v.order.map((b) => [b.id, b.amount] as const) };
    }
    const notes = v.order
      .map((b, i) => ({ bidId: b.id, principal: v.fills[i]!, rate: this.c.pricing === 'uniform' ? v.rate : b.rate }))
      .filter((n) => n.principal > 0);
    const principal = notes.reduce((s, n) => s + n.principal, 0);
    const borrowerRate = this.c.pricing === 'uniform' ? v.rate : halfEven(notes.reduce((s, n) => s + n.principal * n.rate, 0), principal);
    const fee = halfEven(principal * feeBps, 10000);
    return { outcome: 'cleared' as const, notes, principal, borrowerRate, fee, released: v.order.map((b, i) => [b.id, b.amount - v.fills[i]!] as const) };
  }
}

/** Half-even integer division on plain numbers (all products here stay far below 2^53). */
function halfEven(num: number, den: number): number {
  const q = Math.floor(num / den);
  const r = num - q * den;
  if (2 * r > den) return q + 1;
  if (2 * r < den) return q;
  return q % 2 === 0 ? q : q + 1;
}

// ---------------------------------------------------------------------------------------------------
// Generators

const weighted = <T>(...pairs: [number, fc.Arbitrary<T>][]) => fc.oneof(...pairs.map(([weight, arbitrary]) => ({ weight, arbitrary })));

const configArb: fc.Arbitrary<Config> = fc.record({
  amount: fc.integer({ min: 1000, max: 20_000 }).map((n) => n * 100),
  maxRate: fc.integer({ min: 1150, max: 1800 }),
  pricing: fc.constantFrom<Pricing>('uniform', 'pay_as_bid'),
  closeWhenFunded: weighted([3, fc.constant(false)], [1, fc.constant(true)]),
  grade: fc.constantFrom<Grade>(...GRADE_LIST),
  floor: weighted([4, fc.constant(null)], [1, fc.integer({ min: 850, max: 1000 })]),
  capPct: fc.constantFrom(100, 100, 60, 35),
  minBid: fc.constantFrom(10_000, 50_000),
  softSec: fc.constantFrom(120, 120, 0, 30),
  maxExtSec: fc.constantFrom(3600, 300, 0),
  startMs: fc.integer({ min: 1_600_000_000_000, max: 1_800_000_000_000 }),
  durationSec: fc.integer({ min: 600, max: 3600 }),
  minFundingPct: fc.integer({ min: 50, max: 100 }),
  feeBps: fc.constantFrom(0, 0, 25, 150, 333),
});

const lenderArb = (k: number): fc.Arbitrary<LenderSpec> =>
  fc.record({
    id: fc.constant(`usr_L${k}`),
    kyc: weighted([30, fc.constant(true)], [1, fc.constant(false)]),
    profile: weighted<RiskProfile | null>([25, fc.constant('aggressive')], [2, fc.constantFrom<RiskProfile>('balanced', 'conservative')], [1, fc.constant(null)]),
    platform: weighted([40, fc.constant(false)], [1, fc.constant(true)]),
    startMinor: weighted([6, fc.constant(50_000_000)], [3, fc.integer({ min: 0, max: 300 }).map((n) => n * 10_000)], [1, fc.integer({ min: 0, max: 3_000_000 })]),
  });

/** Mostly whole-yuan slices of the listing amount, sometimes anything at all. */
const amountArb = (listingMinor: number) =>
  weighted(
    [12, fc.integer({ min: 2, max: 70 }).map((pct) => Math.round((listingMinor * pct) / 10_000) * 100)],
    [1, fc.integer({ min: 1, max: 200 }).map((n) => n * 10_000)],
    [1, fc.integer({ min: -1000, max: 2_100_000 })],
  );
const rateArb = weighted([6, fc.constantFrom(900, 1000, 1050, 1100, 1200, 1300)], [3, fc.integer({ min: 800, max: 1600 })], [1, fc.integer({ min: -5, max: 3000 })]);
const dtMsArb = weighted([15, fc.integer({ min: 0, max: 20_000 })], [1, fc.integer({ min: 0, max: 900_000 })]);

type Op =
  | { kind: 'bid'; who: number; amount: number; rate: number; dtMs: number }
  | { kind: 'amend'; who: number; delta: number; own: boolean; dtMs: number };

const LENDER_COUNT = 8;
const opArb = (listingMinor: number): fc.Arbitrary<Op> =>
  weighted<Op>(
    [12, fc.record({ kind: fc.constant('bid' as const), who: fc.integer({ min: 0, max: LENDER_COUNT - 1 }), amount: amountArb(listingMinor), rate: rateArb, dtMs: dtMsArb })],
    [1, fc.record({ kind: fc.constant('bid' as const), who: fc.constant(LENDER_COUNT), amount: amountArb(listingMinor), rate: rateArb, dtMs: dtMsArb })],
    [4, fc.record({ kind: fc.constant('amend' as const), who: fc.integer({ min: 0, max: LENDER_COUNT - 1 }), delta: fc.integer({ min: -400, max: 60 }), own: weighted([8, fc.constant(true)], [1, fc.constant(false)]), dtMs: dtMsArb })],
  );

const scenarioArb = configArb.chain((config) =>
  fc.record({
    config: fc.constant(config),
    lenders: fc.tuple(...Array.from({ length: LENDER_COUNT }, (_, k) => lenderArb(k))),
    ops: fc.array(opArb(config.amount), { minLength: 1, maxLength: 40, size: 'max' }),
  }),
);

// ---------------------------------------------------------------------------------------------------
// Driving the core like the service would, and checking it against the reference

const BORROWER = 'usr_borrower';

/** What the generated sequences exercised, so a generator that stops reaching a path fails the test. */
const seen = new Map<string, number>();
const see = (what: string) => seen.set(what, (seen.get(what) ?? 0) + 1);

class Harness {
  listing: AuctionListing;
  bids: ActiveBid[] = [];
  holds = new Map<string, number>();
  wallet = new Map<string, number>();
  posted = new Map<string, number>();
  allEvents: ListingEvent[] = [];
  /** The public book as a WS client rebuilds it from events: rate → amount and count. */
  publicLevels = new Map<number, { amountMinor: number; bidCount: number }>();
  publicBids = new Map<string, { rateBps: number; amountMinor: number }>();
  settings: BidSettings;
  nowMs: number;
  clearing: ClearingResult | null = null;
  nextId = 1;

  constructor(
    readonly c: Config,
    readonly lenders: LenderSpec[],
  ) {
    const endsAtMs = c.startMs + c.durationSec * 1000;
    this.listing = {
      id: 'lst_x',
      status: 'open',
      endsAtMs,
      originalEndsAtMs: endsAtMs,
      amountMinor: c.amount,
      maxRateBps: c.maxRate,
      pricing: c.pricing,
      closeWhenFunded: c.closeWhenFunded,
      grade: c.grade,
      borrowerUserId: BORROWER,
      seq: 0,
    };
    this.settings = {
      minBidMinor: c.minBid,
      lenderListingCapPct: c.capPct,
      gradeFloorBps: c.floor === null ? {} : { [c.grade]: c.floor },
      softCloseSec: c.softSec,
      softCloseMaxExtensionSec: c.maxExtSec,
    };
    this.nowMs = c.startMs;
    for (const l of lenders) this.wallet.set(l.id, l.startMinor);
    this.wallet.set(BORROWER, 10_000_000);
  }

  applyEvents(events: ListingEvent[]): void {
    check(events.length > 0, 'an accepted change emits events');
    events.forEach((e, k) => eq(e.seq, this.listing.seq + 1 + k));
    const text = JSON.stringify(events);
    check(!text.includes('usr_') && !text.includes('lenderId'), `public events name a lender: ${text}`);
    for (const e of events) this.rebuildPublic(e);
    this.allEvents.push(...events);
  }

  private level(rate: number, dAmount: number, dCount: number): void {
    const l = this.publicLevels.get(rate) ?? { amountMinor: 0, bidCount: 0 };
    const next = { amountMinor: l.amountMinor + dAmount, bidCount: l.bidCount + dCount };
    if (next.bidCount === 0) {
      eq(next.amountMinor, 0);
      this.publicLevels.delete(rate);
    } else this.publicLevels.set(rate, next);
  }

  private rebuildPublic(e: ListingEvent): void {
    if (e.type === 'bid.accepted') {
      this.publicBids.set(e.data.bidId, { rateBps: e.data.rateBps, amountMinor: e.data.amountMinor });
      this.level(e.data.rateBps, e.data.amountMinor, 1);
    } else if (e.type === 'bid.outbid') {
      eq(this.publicBids.get(e.data.bidId), { rateBps: e.data.rateBps, amountMinor: e.data.amountMinor });
      this.publicBids.delete(e.data.bidId);
      this.level(e.data.rateBps, -e.data.amountMinor, -1);
    } else if (e.type === 'bid.amended') {
      eq(this.publicBids.get(e.data.bidId), { rateBps: e.data.fromRateBps, amountMinor: e.data.amountMinor });
      this.publicBids.set(e.data.bidId, { rateBps: e.data.toRateBps, amountMinor: e.data.amountMinor });
      this.level(e.data.fromRateBps, -e.data.amountMinor, -1);
      this.level(e.data.toRateBps, e.data.amountMinor, 1);
    }
  }

  /** Invariants of the core's own state after every step. */
  checkInvariants(): void {
    const book = computeBook(this.listing, this.bids);
    const holdIds = [...this.holds.keys()].sort();
    eq(holdIds, this.bids.map((b) => b.id).sort());
    eq([...this.holds.values()].reduce((s, h) => s + h, 0), book.coverageMinor);
    check(book.filledMinor <= this.listing.amountMinor, 'Σ fills ≤ amount');
    for (const e of book.entries) {
      eq(e.winning, true);
      if (e.id !== book.marginalBidId) eq(e.fillMinor, e.amountMinor);
      eq(this.holds.get(e.id), e.amountMinor);
    }
    // Every minor unit of each lender is available, held, or lent.
    for (const l of this.lenders) {
      const held = this.bids.filter((b) => b.lenderId === l.id).reduce((s, b) => s + b.amountMinor, 0);
      eq(this.wallet.get(l.id)! + held + (this.posted.get(l.id) ?? 0), l.startMinor);
    }
    // Listing seq = number of events, all contiguous from 1.
    eq(this.allEvents.map((e) => e.seq), this.allEvents.map((_, k) => k + 1));
    eq(this.listing.seq, this.allEvents.length);
    // The public book rebuilt from events equals the core's anonymised book.
    const rebuilt = [...this.publicLevels.entries()].sort((a, b) => a[0] - b[0]).map(([rateBps, l]) => ({ rateBps, ...l }));
    eq(rebuilt, book.bookLevels);
  }

  clear(minFundingPct: number, feeBps: number): ClearingResult {
    const c = clearListing(this.listing, this.bids, feeBps, minFundingPct);
    for (const p of c.postings) {
      eq(p.holdMinor, this.holds.get(p.bidId));
      eq(p.postMinor + p.releaseMinor, p.holdMinor);
      this.wallet.set(p.lenderId, this.wallet.get(p.lenderId)! + p.releaseMinor);
      this.posted.set(p.lenderId, (this.posted.get(p.lenderId) ?? 0) + p.postMinor);
      this.holds.delete(p.bidId);
    }
    eq(c.seq, this.listing.seq + 1);
    this.allEvents.push(...c.events);
    this.listing = { ...this.listing, seq: c.seq, status: c.outcome };
    this.bids = [];
    this.clearing = c;
    see(`${c.outcome} ${this.c.pricing}`);
    return c;
  }
}

function compareBook(h: Harness, ref: Reference): void {
  const book = computeBook(h.listing, h.bids);
  const v = ref.view();
  eq(book.entries.map((e) => e.id), v.order.map((b) => b.id));
  eq(book.entries.map((e) => e.fillMinor), v.fills);
  eq(book.entries.map((e) => e.rateBps), v.order.map((b) => b.rate));
  eq(book.coverageMinor, v.coverage);
  eq(book.marginalBidId, v.marginal?.id ?? null);
  eq(book.currentRateBps, v.rate);
}

function compareClearing(c: ClearingResult, expected: ReturnType<Reference['clear']>): void {
  eq(c.outcome, expected.outcome);
  eq(c.postings.map((p) => [p.bidId, p.releaseMinor]), expected.released);
  if (c.outcome !== 'cleared' || expected.outcome !== 'cleared') return;
  eq(c.notes.map((n) => ({ bidId: n.bidId, principal: n.principalMinor, rate: n.rateBps })), expected.notes);
  eq(c.principalMinor, expected.principal);
  eq(c.borrowerRateBps, expected.borrowerRate);
  eq(c.feeMinor, expected.fee);
  eq(c.feeMinor + c.disbursementMinor, c.principalMinor);
  eq(c.notes.reduce((s, n) => s + n.principalMinor, 0), c.principalMinor);
}

function runScenario({ config, lenders, ops }: { config: Config; lenders: LenderSpec[]; ops: Op[] }): void {
  const h = new Harness(config, lenders);
  const ref = new Reference(config, lenders);
  const borrowerSpec: LenderSpec = { id: BORROWER, kyc: true, profile: 'aggressive', platform: false, startMinor: 10_000_000 };
  ref.wallet.set(BORROWER, 10_000_000);

  for (const op of ops) {
    h.nowMs += op.dtMs;
    const spec = op.who < lenders.length ? lenders[op.who]! : borrowerSpec;
    const seqBefore = h.listing.seq;
    if (op.kind === 'bid') {
      const newBidId = `bid_${h.nextId}`;
      const expected = ref.place(spec, BORROWER, op.amount, op.rate, h.nowMs, newBidId);
      const r = placeBid({
        listing: h.listing,
        activeBids: h.bids,
        lender: { userId: spec.id, kycComplete: spec.kyc, riskProfile: spec.profile, isPlatform: spec.platform },
        bid: { amountMinor: op.amount, rateBps: op.rate },
        newBidId,
        availableMinor: h.wallet.get(spec.id)!,
        nowMs: h.nowMs,
        settings: h.settings,
      });
      if (!r.ok) {
        eq(r.code, expected.code);
        see(`bid ${r.code}`);
      } else {
        if (expected.code !== null) expect.fail(`core accepted, reference says ${expected.code}`);
        see('bid accepted');
        if (r.trimmed) see('trimmed');
        if (r.closeNow) see('closeNow');
        h.nextId += 1;
        eq(r.holdMinor, expected.hold);
        eq(r.closeNow, expected.closeNow);
        h.holds.set(r.bid.id, r.holdMinor);
        h.wallet.set(spec.id, h.wallet.get(spec.id)! - r.holdMinor);
        applyChange(h, r, expected);
        if (r.closeNow) compareClearing(h.clear(config.minFundingPct, config.feeBps), ref.clear(config.minFundingPct, config.feeBps));
      }
    } else {
      const own = h.bids.find((b) => b.lenderId === spec.id);
      const target = op.own && own ? own : (ref.bids[Math.abs(op.delta) % Math.max(1, ref.bids.length)] ?? { id: 'bid_none', rate: 1000 });
      const currentRate = 'rateBps' in target ? target.rateBps : target.rate;
      const newRate = currentRate + op.delta;
      const expected = ref.amend(target.id, newRate, h.nowMs);
      const r = amendBid({ listing: h.listing, activeBids: h.bids, bidId: target.id, rateBps: newRate, nowMs: h.nowMs, settings: h.settings });
      if (!r.ok) {
        eq(r.code, expected.code);
        see(`amend ${r.code}`);
      } else {
        if (expected.code !== null) expect.fail(`core accepted the amend, reference says ${expected.code}`);
        see('amend accepted');
        applyChange(h, r, expected);
      }
    }
    if (h.clearing === null) {
      eq(h.listing.seq, ref.seq);
      compareBook(h, ref);
      h.checkInvariants();
    }
    check(h.listing.seq >= seqBefore, 'seq never goes back');
  }
  for (const l of lenders) eq(h.wallet.get(l.id), ref.wallet.get(l.id));
  if (h.clearing === null) compareClearing(h.clear(config.minFundingPct, config.feeBps), ref.clear(config.minFundingPct, config.feeBps));
  // After clearing: every lender's money is available or lent, nothing stays held.
  eq(h.holds.size, 0);
  for (const l of lenders) eq(h.wallet.get(l.id)! + (h.posted.get(l.id) ?? 0), l.startMinor);
  eq(h.allEvents.map((e) => e.seq), h.allEvents.map((_, k) => k + 1));
}

function applyChange(
  h: Harness,
  r: PlaceBidAccepted | AmendBidAccepted,
  expected: RefDecision,
): void {
  if (expected.code !== null) return expect.fail('unexpected acceptance');
  eq(r.outbid.map((o) => o.bidId), expected.outbid);
  eq(r.events.map((e) => e.type), expected.eventTypes);
  eq(r.seq, h.listing.seq + r.events.length);
  eq(r.endsAtMs, expected.endsAt);
  eq(r.notify.map((n) => [n.userId, n.type, n.data.bidId]), r.outbid.map((o) => [o.lenderId, 'bid.outbid', o.bidId]));
  h.applyEvents(r.events);
  for (const e of r.events) see(e.type);
  for (const o of r.outbid) {
    eq(o.releasedMinor, h.holds.get(o.bidId));
    eq(o.releasedMinor, o.amountMinor);
    h.holds.delete(o.bidId);
    h.wallet.set(o.lenderId, h.wallet.get(o.lenderId)! + o.releasedMinor);
  }
  h.bids = r.book.entries.map((e) => ({ id: e.id, lenderId: e.lenderId, amountMinor: e.amountMinor, rateBps: e.rateBps, priority: e.priority }));
  h.listing = { ...h.listing, seq: r.seq, endsAtMs: r.endsAtMs, status: 'open' };
}

describe('auction core vs naive reference model', () => {
  it('agrees on every decision, book, event and clearing over thousands of random sequences', () => {
    seen.clear();
    fc.assert(fc.property(scenarioArb, runScenario), { numRuns: 3000 });
    const mustSee = [
      ...['LISTING_NOT_OPEN', 'LENDER_NOT_ELIGIBLE', 'SELF_DEALING', 'BID_EXISTS', 'BID_AMOUNT_INVALID', 'BID_RATE_INVALID', 'LENDER_LISTING_CAP', 'BID_NOT_COMPETITIVE', 'INSUFFICIENT_FUNDS'].map((c) => `bid ${c}`),
      ...['LISTING_NOT_OPEN', 'BID_NOT_ACTIVE', 'BID_RATE_INVALID', 'AMEND_RATE_NOT_LOWER'].map((c) => `amend ${c}`),
      'bid accepted', 'amend accepted', 'trimmed', 'closeNow', 'bid.outbid', 'listing.extended',
      'cleared uniform', 'cleared pay_as_bid', 'failed uniform', 'failed pay_as_bid',
    ];
    if (process.env.AUCTION_MODEL_STATS) console.log(Object.fromEntries([...seen.entries()].sort()));
    for (const what of mustSee) expect(seen.get(what) ?? 0, what).toBeGreaterThanOrEqual(20);
  });
});
