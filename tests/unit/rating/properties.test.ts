import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { addMonthsToKey } from '../../../src/domain/dates.js';
import {
  assessMerchant,
  GMV_STATUSES,
  gradeForScore,
  LEGAL_FORMS,
  MAX_REASONS,
  rate,
  computeFeatures,
  FEATURE_NAMES,
  type AssessmentInput,
  type MerchantOrder,
  type OrderStatus,
} from '../../../src/domain/rating/index.js';
import { GRADES } from '../../../src/domain/grades.js';
import { DEFAULT_SETTINGS } from '../../../src/domain/settings.js';

const AS_OF = '2025-07-10';
const RUNS = 500;

const statusArb: fc.Arbitrary<OrderStatus> = fc.oneof(
  { arbitrary: fc.constant<OrderStatus>('settled'), weight: 20 },
  { arbitrary: fc.constantFrom<OrderStatus>('paid', 'shipped', 'delivered'), weight: 6 },
  { arbitrary: fc.constant<OrderStatus>('refunded'), weight: 2 },
  { arbitrary: fc.constant<OrderStatus>('disputed'), weight: 1 },
);

/** Orders scattered from 13 months before the rating month into the rating month itself. */
const scatteredOrdersArb = fc
  .record({
    orderSizeMinor: fc.integer({ min: 500, max: 3_000_000 }),
    raw: fc.array(
      fc.record({ month: fc.integer({ min: 0, max: 13 }), day: fc.integer({ min: 1, max: 28 }), pct: fc.integer({ min: 50, max: 150 }), status: statusArb }),
      { maxLength: 200 },
    ),
  })
  .map(({ orderSizeMinor, raw }) =>
    raw.map(
      (o, i): MerchantOrder => ({
        orderId: `o${i}`,
        amountMinor: Math.floor((orderSizeMinor * o.pct) / 100),
        status: o.status,
        placedAt: `${addMonthsToKey('2024-06', o.month)}-${String(o.day).padStart(2, '0')}`,
      }),
    ),
  );

/** A regular shop: every month from 13 months back to the rating month has its own number of orders. */
const regularOrdersArb = fc
  .record({
    orderSizeMinor: fc.integer({ min: 1000, max: 3_000_000 }),
    months: fc.array(fc.record({ count: fc.integer({ min: 0, max: 25 }), pct: fc.integer({ min: 50, max: 150 }) }), { minLength: 14, maxLength: 14 }),
    statuses: fc.array(statusArb, { maxLength: 350 }),
  })
  .map(({ orderSizeMinor, months, statuses }) =>
    months.flatMap(({ count, pct }, m) =>
      Array.from({ length: count }, (_, j): MerchantOrder => ({
        orderId: `r${m}-${j}`,
        amountMinor: Math.floor((orderSizeMinor * pct) / 100),
        status: statuses[m * 25 + j] ?? 'settled',
        placedAt: `${addMonthsToKey('2024-06', m)}-${String(1 + (j % 28)).padStart(2, '0')}`,
      })),
    ),
  );

const ordersArb = fc.oneof(scatteredOrdersArb, regularOrdersArb);

const repaymentArb = fc.option(
  fc
    .record({
      installmentsDue: fc.integer({ min: 0, max: 36 }),
      onTimePct: fc.integer({ min: 0, max: 100 }),
      worstDaysLate: fc.integer({ min: 0, max: 200 }),
      outstandingPrincipalMinor: fc.integer({ min: 0, max: 100_000_000 }),
    })
    .map((r) => ({
      installmentsDue: r.installmentsDue,
      installmentsOnTime: Math.floor((r.installmentsDue * r.onTimePct) / 100),
      worstDaysLate: r.worstDaysLate,
      outstandingPrincipalMinor: r.outstandingPrincipalMinor,
    })),
  { nil: null },
);

const inputArb: fc.Arbitrary<AssessmentInput> = fc
  .record({
    orders: ordersArb,
    openedMonthsAgo: fc.integer({ min: 0, max: 30 }),
    openedDay: fc.integer({ min: 1, max: 28 }),
    repayment: repaymentArb,
    legalForm: fc.constantFrom(...LEGAL_FORMS),
    openListingsMinor: fc.integer({ min: 0, max: 50_000_000 }),
  })
  .map((r) => ({
    openedAt: `${addMonthsToKey('2025-07', -r.openedMonthsAgo)}-${String(r.openedDay).padStart(2, '0')}`,
    orders: r.orders,
    repayment: r.repayment,
    asOf: AS_OF,
    legalForm: r.legalForm,
    openListingsMinor: r.openListingsMinor,
  }));

const assess = (input: AssessmentInput) => assessMerchant(input, DEFAULT_SETTINGS);
const isGood = (s: OrderStatus): boolean => GMV_STATUSES.includes(s);

describe('rating properties (fast-check)', () => {
  it('is deterministic, and does not depend on the order in which orders arrive', () => {
    fc.assert(
      fc.property(inputArb, (input) => {
        const a = assess(input);
        expect(assess(structuredClone(input))).toEqual(a);
        expect(assess({ ...input, orders: [...input.orders].reverse() })).toEqual(a);
      }),
      { numRuns: RUNS },
    );
  });

  it('is bounded: score 0..1000, grade from the score, points summing to it, at most 4 distinct reasons', () => {
    fc.assert(
      fc.property(inputArb, (input) => {
        const { rating, creditLine } = assess(input);
        expect(rating.score).toBeGreaterThanOrEqual(0);
        expect(rating.score).toBeLessThanOrEqual(1000);
        expect(rating.grade).toBe(gradeForScore(rating.score));
        expect(Object.values(rating.points).reduce((a, b) => a + b, 0)).toBe(rating.score);
        expect(rating.reasons.length).toBeLessThanOrEqual(MAX_REASONS);
        expect(new Set(rating.reasons.map((r) => r.code)).size).toBe(rating.reasons.length);
        expect(creditLine.creditLeftMinor % 100).toBe(0);
        expect(creditLine.creditLeftMinor).toBeLessThanOrEqual(creditLine.capLeftMinor);
      }),
      { numRuns: RUNS },
    );
  });

  it('never raises the score when orders become refunded or disputed', () => {
    const arb = fc.tuple(inputArb, fc.array(fc.constantFrom<OrderStatus | null>(null, 'refunded', 'disputed'), { maxLength: 200 }));
    fc.assert(
      fc.property(arb, ([input, flips]) => {
        const orders = input.orders.map((o, i) => {
          const to = flips[i] ?? null;
          return to !== null && isGood(o.status) ? { ...o, status: to } : o;
        });
        const before = rate(computeFeatures(input));
        const after = rate(computeFeatures({ ...input, orders }));
        expect(after.score).toBeLessThanOrEqual(before.score);
        // Stronger: no single feature gains points (each fact is scored once, in one direction).
        for (const f of FEATURE_NAMES) expect(after.points[f], f).toBeLessThanOrEqual(before.points[f]);
      }),
      { numRuns: RUNS },
    );
  });

  it('never lowers the score or the credit line when every order is worth k times more (same quality)', () => {
    fc.assert(
      fc.property(inputArb, fc.integer({ min: 2, max: 20 }), (input, k) => {
        const scaled = { ...input, orders: input.orders.map((o) => ({ ...o, amountMinor: o.amountMinor * k })) };
        const a = assess(input);
        const b = assess(scaled);
        expect(b.rating.score).toBeGreaterThanOrEqual(a.rating.score);
        for (const f of FEATURE_NAMES) expect(b.rating.points[f], f).toBeGreaterThanOrEqual(a.rating.points[f]);
        expect(b.creditLine.creditLineMinor).toBeGreaterThanOrEqual(a.creditLine.creditLineMinor);
        expect(b.creditLine.creditLeftMinor).toBeGreaterThanOrEqual(a.creditLine.creditLeftMinor);
      }),
      { numRuns: RUNS },
    );
  });

  it('reaches every grade from random histories too (the generator is not degenerate)', () => {
    const seen = new Set<string>();
    fc.assert(
      fc.property(inputArb, (input) => {
        seen.add(assess(input).rating.grade);
      }),
      { numRuns: 500, seed: 42 },
    );
    expect([...seen].sort()).toEqual([...GRADES].sort());
  });
});
