/**
 * The autobid placement rules (docs/autobid.md) against a naive reference that applies them one strategy
 * at a time, plus the properties that must hold whatever the strategies: the share cap, the limits of
 * each lender, a deterministic rotation.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compareRotation, planPlacement, previewStrategy, rotationOrder, shareCapMinor, validateStrategy, type AutobidListing, type Candidate, type Decision, type PlacementInput, type Strategy } from '../../../src/domain/autobid/index.js';
import { GRADES, RISK_PROFILE_FLOOR, type Grade, type RiskProfile } from '../../../src/domain/grades.js';

const MIN_BID = 10_000;

const yuan = (min: number, max: number) => fc.integer({ min: min / 100, max: max / 100 }).map((y) => y * 100);
const anyMinor = (max: number) => fc.integer({ min: 0, max });

const gradeArb = fc.constantFrom(...GRADES);
const strategyArb: fc.Arbitrary<Strategy> = fc.record({
  enabled: fc.integer({ min: 0, max: 9 }).map((n) => n !== 0),
  amountPerListingMinor: yuan(MIN_BID, 400_000),
  maxPerBorrowerMinor: yuan(0, 600_000),
  budgetMinor: yuan(0, 2_000_000),
  reserveMinor: yuan(0, 300_000),
  minRateBpsByGrade: fc.dictionary(gradeArb, fc.integer({ min: 500, max: 2400 }), { minKeys: 0, maxKeys: 7 }) as fc.Arbitrary<Partial<Record<Grade, number>>>,
  termsMonths: fc.option(fc.subarray([1, 3, 6, 12, 24, 36]), { nil: null }),
  products: fc.option(fc.subarray(['credit', 'order', 'warehouse_receipt']), { nil: null }),
});

const listingArb: fc.Arbitrary<AutobidListing> = fc.record({
  id: fc.constant('lst_0000000000'),
  grade: gradeArb,
  termMonths: fc.option(fc.constantFrom(1, 3, 6, 12, 24, 36), { nil: null }),
  product: fc.constantFrom('credit', 'order', 'warehouse_receipt'),
  amountMinor: yuan(100_000, 2_000_000),
  maxRateBps: fc.integer({ min: 800, max: 2400 }),
  borrowerUserId: fc.constant('usr_borrower00'),
});

const candidateArb = (lenderId: string): fc.Arbitrary<Candidate> =>
  fc.record({
    lenderId: fc.constant(lenderId),
    strategy: strategyArb,
    recentAutobidCount: fc.integer({ min: 0, max: 3 }),
    lastAutobidAtMs: fc.option(fc.integer({ min: 1_700_000_000_000, max: 1_700_000_000_010 }), { nil: null }),
    kycComplete: fc.boolean(),
    riskProfile: fc.option(fc.constantFrom<RiskProfile>('conservative', 'balanced', 'aggressive'), { nil: null }),
    isBorrower: fc.constant(false), // set for some by withSelfDealers
    activeOnListingMinor: fc.constant(0),
    hasActiveBid: fc.integer({ min: 0, max: 9 }).map((n) => n === 0),
    borrowerExposureMinor: anyMinor(500_000),
    strategyExposureMinor: anyMinor(1_500_000),
    availableMinor: anyMinor(800_000),
  });

const candidatesArb = fc.integer({ min: 0, max: 25 }).chain((n) => fc.tuple(...Array.from({ length: n }, (_, i) => candidateArb(`usr_${String(i).padStart(10, '0')}`))));

const inputArb: fc.Arbitrary<PlacementInput> = fc.record({
  listing: listingArb,
  candidates: candidatesArb.map((cs) => cs as Candidate[]),
  autobidCoveredMinor: yuan(0, 600_000),
  settings: fc.record({
    minBidMinor: fc.constant(MIN_BID),
    lenderListingCapPct: fc.constantFrom(100, 50, 20),
    gradeFloorBps: fc.constantFrom({}, { AA: 900, B: 1300 }, { HR: 2400 }),
    autobidMaxSharePct: fc.constantFrom(60, 0, 100, 35),
  }),
});

/** The rules as written, one strategy at a time, with nothing shared with the code under test. */
function naive(input: PlacementInput): Decision[] {
  const { listing, settings } = input;
  const wants = (s: Strategy) =>
    s.enabled &&
    s.minRateBpsByGrade[listing.grade] !== undefined &&
    (s.termsMonths === null || (listing.termMonths !== null && s.termsMonths.includes(listing.termMonths))) &&
    (s.products === null || s.products.includes(listing.product));
  const pool = input.candidates.filter((c) => wants(c.strategy));
  // Selection of the first in rotation order, again and again.
  const ordered: Candidate[] = [];
  const before = (a: Candidate, b: Candidate) => {
    if (a.recentAutobidCount !== b.recentAutobidCount) return a.recentAutobidCount < b.recentAutobidCount;
    if (a.lastAutobidAtMs !== b.lastAutobidAtMs) {
      if (a.lastAutobidAtMs === null) return true;
      if (b.lastAutobidAtMs === null) return false;
      return a.lastAutobidAtMs < b.lastAutobidAtMs;
    }
    return a.lenderId < b.lenderId;
  };
  while (pool.length) {
    let best = 0;
    for (let i = 1; i < pool.length; i++) if (before(pool[i]!, pool[best]!)) best = i;
    ordered.push(pool.splice(best, 1)[0]!);
  }
  const gradeIndex = (g: Grade) => GRADES.indexOf(g);
  let yuanLeft = Math.floor((listing.amountMinor * settings.autobidMaxSharePct) / 100 / 100) - input.autobidCoveredMinor / 100;
  if (yuanLeft < 0) yuanLeft = 0;
  let done = false;
  const out: Decision[] = [];
  for (const c of ordered) {
    const skip = (code: Decision extends infer D ? (D extends { code: infer C } ? C : never) : never) => out.push({ lenderId: c.lenderId, outcome: 'skipped', code });
    if (done) {
      skip('AUTOBID_SHARE_FULL');
      continue;
    }
    if (!c.kycComplete || c.riskProfile === null || gradeIndex(listing.grade) > gradeIndex(RISK_PROFILE_FLOOR[c.riskProfile])) {
      skip('LENDER_NOT_ELIGIBLE');
      continue;
    }
    if (c.isBorrower || c.lenderId === listing.borrowerUserId) {
      skip('SELF_DEALING');
      continue;
    }
    if (c.hasActiveBid) {
      skip('BID_EXISTS');
      continue;
    }
    const s = c.strategy;
    const perListingYuan = Math.floor(s.amountPerListingMinor / 100);
    const capYuan = Math.floor(Math.floor((listing.amountMinor * settings.lenderListingCapPct) / 100) / 100);
    const borrowerYuan = Math.floor((s.maxPerBorrowerMinor - c.borrowerExposureMinor) / 100);
    const budgetYuan = Math.floor((s.budgetMinor - c.strategyExposureMinor) / 100);
    const reserveYuan = Math.floor((c.availableMinor - s.reserveMinor) / 100);
    const minYuan = settings.minBidMinor / 100;
    if (perListingYuan < minYuan) skip('AUTOBID_AMOUNT_BELOW_MIN');
    else if (capYuan < minYuan) skip('LENDER_LISTING_CAP');
    else if (borrowerYuan < minYuan) skip('AUTOBID_BORROWER_LIMIT');
    else if (budgetYuan < minYuan) skip('AUTOBID_BUDGET_SPENT');
    else if (reserveYuan < minYuan) skip('AUTOBID_RESERVE');
    else {
      const floor = settings.gradeFloorBps[listing.grade] ?? 0;
      const rate = Math.max(s.minRateBpsByGrade[listing.grade]!, floor);
      if (rate > listing.maxRateBps) {
        skip('AUTOBID_RATE_ABOVE_MAX');
        continue;
      }
      const want = Math.min(perListingYuan, capYuan, borrowerYuan, budgetYuan, reserveYuan);
      if (want < yuanLeft) {
        out.push({ lenderId: c.lenderId, outcome: 'placed', amountMinor: want * 100, rateBps: rate });
        yuanLeft -= want;
      } else {
        done = true;
        if (yuanLeft >= minYuan) out.push({ lenderId: c.lenderId, outcome: 'placed', amountMinor: yuanLeft * 100, rateBps: rate });
        else skip('AUTOBID_SHARE_FULL');
        yuanLeft = 0;
      }
    }
  }
  return out;
}

/** Some candidates are the borrower under another account. */
function withSelfDealers(input: PlacementInput, every: number): PlacementInput {
  return { ...input, candidates: input.candidates.map((c, i) => (every > 0 && i % every === 0 ? { ...c, isBorrower: true } : c)) };
}

describe('autobid placement', () => {
  it('equals the naive reference that applies the rules one strategy at a time', () => {
    fc.assert(
      fc.property(inputArb, fc.integer({ min: 0, max: 7 }), (input, every) => {
        const i = withSelfDealers(input, every);
        expect(planPlacement(i)).toEqual(naive(i));
      }),
      { numRuns: 2000 },
    );
  });

  it('never lets autobid bids together pass the share, nor any bid pass its lender’s limits', () => {
    fc.assert(
      fc.property(inputArb, (input) => {
        const decisions = planPlacement(input);
        const cap = shareCapMinor(input.listing.amountMinor, input.settings.autobidMaxSharePct);
        const placed = decisions.filter((d) => d.outcome === 'placed') as Extract<Decision, { outcome: 'placed' }>[];
        const total = placed.reduce((s, d) => s + d.amountMinor, 0);
        expect(total).toBeLessThanOrEqual(Math.max(0, cap - input.autobidCoveredMinor));
        for (const d of placed) {
          const c = input.candidates.find((x) => x.lenderId === d.lenderId)!;
          expect(d.amountMinor % 100).toBe(0);
          expect(d.amountMinor).toBeGreaterThanOrEqual(input.settings.minBidMinor);
          expect(d.amountMinor).toBeLessThanOrEqual(c.strategy.amountPerListingMinor);
          expect(c.borrowerExposureMinor + d.amountMinor).toBeLessThanOrEqual(c.strategy.maxPerBorrowerMinor);
          expect(c.strategyExposureMinor + d.amountMinor).toBeLessThanOrEqual(c.strategy.budgetMinor);
          expect(c.availableMinor - d.amountMinor).toBeGreaterThanOrEqual(c.strategy.reserveMinor);
          expect(d.amountMinor * 100).toBeLessThanOrEqual(input.listing.amountMinor * input.settings.lenderListingCapPct);
          expect(d.rateBps).toBeLessThanOrEqual(input.listing.maxRateBps);
          expect(d.rateBps).toBeGreaterThanOrEqual(input.settings.gradeFloorBps[input.listing.grade] ?? 1);
        }
        // Each matching strategy is decided once, and nothing else is.
        expect(new Set(decisions.map((d) => d.lenderId)).size).toBe(decisions.length);
      }),
      { numRuns: 2000 },
    );
  });

  it('decides the same whatever order the strategies were read in (the rotation is a total order)', () => {
    fc.assert(
      fc.property(inputArb, fc.integer(), (input, seed) => {
        const shuffled = [...input.candidates];
        let x = seed >>> 0;
        for (let i = shuffled.length - 1; i > 0; i--) {
          x = (Math.imul(x, 1_103_515_245) + 12_345) >>> 0;
          const j = x % (i + 1);
          [shuffled[i], shuffled[j]] = [shuffled[j]!, shuffled[i]!];
        }
        expect(planPlacement({ ...input, candidates: shuffled })).toEqual(planPlacement(input));
        const order = rotationOrder(input.candidates).map((c) => c.lenderId);
        expect(rotationOrder(shuffled).map((c) => c.lenderId)).toEqual(order);
        for (let i = 1; i < order.length; i++) {
          const a = input.candidates.find((c) => c.lenderId === order[i - 1])!;
          const b = input.candidates.find((c) => c.lenderId === order[i])!;
          expect(compareRotation(a, b)).toBeLessThan(0);
        }
      }),
      { numRuns: 1000 },
    );
  });

  it('orders by fewest recent autobid bids, then the earliest last one (never first), then the lender id', () => {
    const c = (lenderId: string, recentAutobidCount: number, lastAutobidAtMs: number | null) => ({ lenderId, recentAutobidCount, lastAutobidAtMs });
    const order = rotationOrder([c('usr_d', 1, 5), c('usr_c', 0, 9), c('usr_b', 0, null), c('usr_a', 0, 9), c('usr_e', 1, 2)]).map((x) => x.lenderId);
    expect(order).toEqual(['usr_b', 'usr_a', 'usr_c', 'usr_e', 'usr_d']);
  });

  it('lets the strategy that reaches the share bid what is left, and stops there', () => {
    const listing: AutobidListing = { id: 'lst_1', grade: 'A', termMonths: 12, product: 'credit', amountMinor: 1_000_000, maxRateBps: 1500, borrowerUserId: 'usr_b' };
    const s: Strategy = { enabled: true, amountPerListingMinor: 250_000, maxPerBorrowerMinor: 1_000_000, budgetMinor: 10_000_000, reserveMinor: 0, minRateBpsByGrade: { A: 1000 }, termsMonths: null, products: null };
    const cand = (id: string): Candidate => ({ lenderId: id, strategy: s, recentAutobidCount: 0, lastAutobidAtMs: null, kycComplete: true, riskProfile: 'aggressive', isBorrower: false, activeOnListingMinor: 0, hasActiveBid: false, borrowerExposureMinor: 0, strategyExposureMinor: 0, availableMinor: 1_000_000 });
    const d = planPlacement({ listing, candidates: ['usr_1', 'usr_2', 'usr_3', 'usr_4'].map(cand), autobidCoveredMinor: 0, settings: { minBidMinor: MIN_BID, lenderListingCapPct: 100, gradeFloorBps: {}, autobidMaxSharePct: 60 } });
    expect(d).toEqual([
      { lenderId: 'usr_1', outcome: 'placed', amountMinor: 250_000, rateBps: 1000 },
      { lenderId: 'usr_2', outcome: 'placed', amountMinor: 250_000, rateBps: 1000 },
      { lenderId: 'usr_3', outcome: 'placed', amountMinor: 100_000, rateBps: 1000 },
      { lenderId: 'usr_4', outcome: 'skipped', code: 'AUTOBID_SHARE_FULL' },
    ]);
  });

  it('previews within the wallet above the reserve and the budget, over any listings', () => {
    fc.assert(
      fc.property(strategyArb, fc.array(listingArb, { maxLength: 12 }), anyMinor(900_000), (s, ls, available) => {
        const open = ls.map((l, i) => ({ ...l, id: `lst_${i}`, borrowerUserId: `usr_b${i % 3}`, autobidCoveredMinor: 0, lenderHasBid: false }));
        const p = previewStrategy(s, { lenderId: 'usr_l', kycComplete: true, riskProfile: 'aggressive', availableMinor: available, strategyExposureMinor: 0, borrowerExposureMinor: {}, selfBorrowerIds: [] }, open, { minBidMinor: MIN_BID, lenderListingCapPct: 100, gradeFloorBps: {}, autobidMaxSharePct: 60 });
        expect(p.totalMinor).toBeLessThanOrEqual(Math.max(0, available - s.reserveMinor));
        expect(p.totalMinor).toBeLessThanOrEqual(s.budgetMinor);
        for (const b of ['usr_b0', 'usr_b1', 'usr_b2']) {
          const sum = p.bids.filter((x) => open.find((l) => l.id === x.listingId)!.borrowerUserId === b).reduce((t, x) => t + x.amountMinor, 0);
          expect(sum).toBeLessThanOrEqual(s.maxPerBorrowerMinor);
        }
        expect(p.listingsOpen).toBe(open.length);
      }),
      { numRuns: 500 },
    );
  });
});

describe('strategy validation', () => {
  const base: Strategy = { enabled: true, amountPerListingMinor: 50_000, maxPerBorrowerMinor: 100_000, budgetMinor: 1_000_000, reserveMinor: 0, minRateBpsByGrade: { AA: 800 }, termsMonths: null, products: null };
  it('names the field at fault', () => {
    expect(validateStrategy(base, { minBidMinor: MIN_BID, maxRateBps: 2400 })).toEqual([]);
    expect(validateStrategy({ ...base, minRateBpsByGrade: { AA: 2500 } }, { minBidMinor: MIN_BID, maxRateBps: 2400 }).map((p) => p.field)).toEqual(['body/minRateBpsByGrade/AA']);
    expect(validateStrategy({ ...base, amountPerListingMinor: 5_000 }, { minBidMinor: MIN_BID, maxRateBps: 2400 }).map((p) => p.field)).toEqual(['body/amountPerListingMinor']);
    expect(validateStrategy({ ...base, budgetMinor: 1_050 }, { minBidMinor: MIN_BID, maxRateBps: 2400 }).map((p) => p.field)).toEqual(['body/budgetMinor']);
    expect(validateStrategy({ ...base, termsMonths: [5] }, { minBidMinor: MIN_BID, maxRateBps: 2400 }).map((p) => p.field)).toEqual(['body/termsMonths/0']);
  });
});
