/**
 * Yield to maturity of a bought note (docs/transfers.md): the annual rate at which the buyer's outlay
 * (price + accrued) equals the remaining scheduled payments for its principal, paid on time.
 *
 * Convention (docs/servicing.md "Yield to maturity"): monthly compounding at the period rate y/12, the
 * schedule's own period; the first payment is `daysLeft / periodDays` of a period away (the fraction of
 * the current period left after the trade date, the same day count as accrual), each later one a whole
 * period more — the "street convention" of bond markets with a fractional first period:
 *
 *   outlay = Σ_k CF_k / (1 + y/12)^(f + k),   f = daysLeft / periodDays, k = 0, 1, …
 *
 * Solved in decimal.js on the period rate by the Illinois variant of regula falsi, which keeps the root
 * bracketed (the present value falls strictly as the rate rises, so the root is unique) and converges in
 * a dozen steps; then rounded half-even to whole bps. No float touches the amounts.
 */
import { assert } from '../assert.js';
import { Dec, decFromInt, toMinorHalfEven } from '../decimal.js';

/** The widest bracket of period rates searched: −90 % to +500 % a month. */
const LOWEST = decFromInt(-9).div(10);
const HIGHEST = decFromInt(5);
/** A bracket narrower than this (a period rate) ends the search: the yield is then exact to 10⁻⁸ bp. */
const TOLERANCE = decFromInt(1).div(decFromInt(10 ** 13));
const MAX_STEPS = 200;

export interface YieldInput {
  outlayMinor: number;
  /** Payments, one per period, the first `daysLeft / periodDays` of a period after the trade. */
  paymentsMinor: readonly number[];
  daysLeft: number;
  periodDays: number;
}

/** Present value of the payments at period rate `i`, by Horner's rule on v = 1/(1+i), then × v^f. */
function presentValue(paymentsMinor: readonly number[], i: Dec, f: Dec): Dec {
  const v = decFromInt(1).div(i.plus(1));
  let sum = decFromInt(0);
  for (let k = paymentsMinor.length - 1; k >= 0; k--) sum = sum.mul(v).plus(decFromInt(paymentsMinor[k]!));
  return sum.mul(v.pow(f));
}

/** The yield to maturity in bps a year (may be negative: a premium above what the payments are worth). */
export function yieldToMaturityBps(input: YieldInput): number {
  const { outlayMinor, paymentsMinor, daysLeft, periodDays } = input;
  assert(Number.isSafeInteger(outlayMinor) && outlayMinor > 0, 'the outlay is a positive amount');
  assert(paymentsMinor.length > 0 && paymentsMinor.every((p) => Number.isSafeInteger(p) && p >= 0) && paymentsMinor.some((p) => p > 0), 'payments are amounts, not all zero');
  assert(Number.isSafeInteger(periodDays) && periodDays > 0 && Number.isSafeInteger(daysLeft) && daysLeft >= 0 && daysLeft <= periodDays, 'days left within the period');
  const f = decFromInt(daysLeft).div(periodDays);
  const outlay = decFromInt(outlayMinor);
  // g(i) = PV(i) − outlay falls as i rises. Bracket the root from 0 outwards, doubling, so that the
  // search starts near it (a bracket reaching −90 % would start from a present value of 10⁴⁰).
  const g = (i: Dec) => presentValue(paymentsMinor, i, f).minus(outlay);
  const gZero = g(decFromInt(0));
  if (gZero.isZero()) return 0;
  const step = decFromInt(1).div(100);
  let low = decFromInt(0);
  let high = decFromInt(0);
  let gLow = gZero;
  let gHigh = gZero;
  if (gZero.gt(0)) {
    for (high = step; (gHigh = g(high)).gt(0); high = Dec.min(high.mul(2), HIGHEST)) {
      if (high.gte(HIGHEST)) return toMinorHalfEven(HIGHEST.mul(12 * 10_000)); // beyond any offer the limits allow
      low = high;
      gLow = gHigh;
    }
  } else {
    for (low = step.neg(); (gLow = g(low)).lt(0); low = Dec.max(low.mul(2), LOWEST)) {
      if (low.lte(LOWEST)) return toMinorHalfEven(LOWEST.mul(12 * 10_000));
      high = low;
      gHigh = gLow;
    }
  }
  // Illinois: regula falsi, halving the weight of an end that stays twice in a row.
  let side = 0;
  for (let n = 0; n < MAX_STEPS; n++) {
    const next = low.minus(gLow.mul(high.minus(low)).div(gHigh.minus(gLow)));
    const gNext = g(next);
    if (gNext.isZero()) return toMinorHalfEven(next.mul(12 * 10_000));
    if (gNext.gt(0)) {
      low = next;
      gLow = gNext;
      if (side === -1) gHigh = gHigh.div(2);
      side = -1;
    } else {
      high = next;
      gHigh = gNext;
      if (side === 1) gLow = gLow.div(2);
      side = 1;
    }
    if (high.minus(low).lt(TOLERANCE)) return toMinorHalfEven(low.plus(high).div(2).mul(12 * 10_000));
  }
  assert(false, 'the yield solver did not converge');
}
