import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { decFromInt, divHalfEven, toMinorHalfEven } from '../../src/domain/decimal.js';

/** Schedules divide in integers when the product fits; it must round exactly as the Decimal path did. */
describe('divHalfEven', () => {
  const viaDecimal = (n: number, d: number) => toMinorHalfEven(decFromInt(n).div(decFromInt(d)));

  it('rounds ties to even and everything else to nearest', () => {
    expect([divHalfEven(5, 2), divHalfEven(7, 2), divHalfEven(6, 4), divHalfEven(10, 4), divHalfEven(149_999, 100_000), divHalfEven(150_000, 100_000), divHalfEven(250_000, 100_000)]).toEqual([2, 4, 2, 2, 1, 2, 2]);
    expect(divHalfEven(0, 120_000)).toBe(0);
  });

  it('agrees with the Decimal quotient rounded half-even, up to the largest safe numerator', () => {
    const divisors = fc.oneof(fc.constantFrom(120_000, 3_650_000, 120_000 * 31, 2), fc.integer({ min: 1, max: 10_000_000 }));
    const numerators = fc.oneof(fc.integer({ min: 0, max: 1_000_000_000 }), fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }));
    fc.assert(fc.property(numerators, divisors, (n, d) => divHalfEven(n, d) === viaDecimal(n, d)), { numRuns: 20_000 });
    // Exact ties at the top of the range.
    for (const d of [2, 120_000, 3_650_000]) {
      const q = Math.floor((Number.MAX_SAFE_INTEGER - d) / d);
      for (const n of [q * d + d / 2, (q - 1) * d + d / 2].filter((x) => Number.isSafeInteger(x))) expect(divHalfEven(n, d)).toBe(viaDecimal(n, d));
    }
  });
});
