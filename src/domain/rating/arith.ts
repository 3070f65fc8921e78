import { assert, assertNonNegativeMinor } from '../assert.js';
import { decFromInt, toMinorFloor } from '../decimal.js';
import { MINOR_PER_MAJOR } from '../money.js';

/**
 * Small exact helpers shared by the rating files. Every ratio the scorecard uses is an integer number of
 * basis points rounded DOWN, so a feature is an integer and a band edge is never decided by a float.
 */

export const BPS = 10_000;

/** floor(numerator / denominator × 10000), exact (Decimal division of two integers, then floor). */
export function ratioBpsFloor(numerator: number, denominator: number): number {
  assert(Number.isSafeInteger(numerator) && numerator >= 0, `ratioBpsFloor: bad numerator ${numerator}`);
  assert(Number.isSafeInteger(denominator) && denominator > 0, `ratioBpsFloor: bad denominator ${denominator}`);
  return toMinorFloor(decFromInt(numerator).mul(BPS).div(decFromInt(denominator)));
}

/** floor(amount × pct / 100): a percentage of money, never rounded up. */
export function percentOfMinorFloor(amountMinor: number, pct: number): number {
  assertNonNegativeMinor(amountMinor, 'amountMinor');
  assert(Number.isSafeInteger(pct) && pct >= 0, `percentOfMinorFloor: bad pct ${pct}`);
  return toMinorFloor(decFromInt(amountMinor).mul(pct).div(100));
}

/** floor(amount × multipleBps / 10000). */
export function bpsOfMinorFloor(amountMinor: number, bps: number): number {
  assertNonNegativeMinor(amountMinor, 'amountMinor');
  assert(Number.isSafeInteger(bps) && bps >= 0, `bpsOfMinorFloor: bad bps ${bps}`);
  return toMinorFloor(decFromInt(amountMinor).mul(bps).div(BPS));
}

/** Rounds a non-negative amount down to whole yuan: limits are offered in whole yuan, like listings. */
export function floorToWholeYuan(amountMinor: number): number {
  assertNonNegativeMinor(amountMinor, 'amountMinor');
  return amountMinor - (amountMinor % MINOR_PER_MAJOR);
}

/** Integer square root, floor(√n), exact for any size (Newton's method on BigInt). */
export function isqrt(n: bigint): bigint {
  assert(n >= 0n, 'isqrt of a negative number');
  if (n < 2n) return n;
  let x = n;
  let y = (x + 1n) / 2n;
  while (y < x) {
    x = y;
    y = (x + n / x) / 2n;
  }
  return x;
}
