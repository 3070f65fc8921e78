import { Decimal } from 'decimal.js';
import { assert } from './assert.js';

/**
 * The one Decimal used for rates, interest and schedules. 40 significant digits so that amounts up to
 * 10^15 minor units keep every digit through compounding; half-even so rounding bias cancels out.
 */
export const Dec = Decimal.clone({ precision: 40, rounding: Decimal.ROUND_HALF_EVEN, toExpNeg: -40, toExpPos: 40 });
export type Dec = InstanceType<typeof Dec>;

/** Builds a Decimal only from a safe integer: Decimal would also parse '0x1f', 'NaN' or 'Infinity'. */
export function decFromInt(value: number): Dec {
  assert(Number.isSafeInteger(value), `decFromInt: not a safe integer: ${String(value)}`);
  return new Dec(value);
}

/** Annual basis points to a monthly period rate: r = bps / 10000 / 12. */
export function monthlyRate(rateBps: number): Dec {
  return decFromInt(rateBps).div(10000).div(12);
}

/** Daily rate from annual basis points, ACT/365. */
export function dailyRate(rateBps: number): Dec {
  return decFromInt(rateBps).div(10000).div(365);
}

/**
 * The single rounding boundary from exact arithmetic to money: half-even to whole minor units.
 * Everything that becomes an amount passes through here.
 */
export function toMinorHalfEven(value: Dec): number {
  const rounded = value.toDecimalPlaces(0, Decimal.ROUND_HALF_EVEN);
  const n = rounded.toNumber();
  assert(Number.isSafeInteger(n), `toMinorHalfEven: result out of range: ${value.toString()}`);
  return n === 0 ? 0 : n; // never -0
}

/** Floor to whole minor units, for allocations where a remainder is distributed afterwards. */
export function toMinorFloor(value: Dec): number {
  const n = value.toDecimalPlaces(0, Decimal.ROUND_FLOOR).toNumber();
  assert(Number.isSafeInteger(n), `toMinorFloor: result out of range: ${value.toString()}`);
  return n === 0 ? 0 : n;
}

/**
 * numerator / divisor rounded half-even, both non-negative safe integers: integer arithmetic gives the
 * same result as the exact Decimal quotient rounded by toMinorHalfEven (a tie is exactly half of the
 * divisor; nothing else rounds differently), at a fraction of its cost. Schedules compute this for
 * every period of every note.
 */
export function divHalfEven(numerator: number, divisor: number): number {
  assert(Number.isSafeInteger(numerator) && numerator >= 0 && Number.isSafeInteger(divisor) && divisor > 0, 'divHalfEven: non-negative safe integers');
  const quotient = Math.floor(numerator / divisor);
  // Math.floor of a float quotient can be off by one for large numerators: correct it with the remainder.
  let q = quotient;
  let r = numerator - q * divisor;
  while (r < 0) {
    q -= 1;
    r += divisor;
  }
  while (r >= divisor) {
    q += 1;
    r -= divisor;
  }
  const twice = 2 * r;
  return twice > divisor || (twice === divisor && q % 2 === 1) ? q + 1 : q;
}
