import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { allocateLargestRemainder } from '../../src/domain/money.js';

describe('allocateLargestRemainder', () => {
  it('splits 100 over three equal weights as 34/33/33', () => {
    expect(allocateLargestRemainder(100, [1, 1, 1])).toEqual([34, 33, 33]);
  });
  it('gives the leftover unit to the largest fractional part', () => {
    // exact parts: 6.666.., 3.333.. -> floors 6,3 -> the unit left goes to the first (.666)
    expect(allocateLargestRemainder(10, [2, 1])).toEqual([7, 3]);
  });
  it('always adds up exactly and never gives a share above its weight when total <= Σ weights', () => {
    const weightsAndTotal = fc
      .array(fc.integer({ min: 0, max: 1_000_000_000 }), { minLength: 1, maxLength: 30 })
      .chain((weights) => fc.tuple(fc.constant(weights), fc.integer({ min: 0, max: weights.reduce((a, b) => a + b, 0) })));
    fc.assert(
      fc.property(weightsAndTotal, ([weights, total]) => {
        fc.pre(weights.some((w) => w > 0));
        const shares = allocateLargestRemainder(total, weights);
        expect(shares.reduce((a, b) => a + b, 0)).toBe(total);
        shares.forEach((s, i) => {
          expect(s).toBeGreaterThanOrEqual(0);
          expect(s).toBeLessThanOrEqual(weights[i]!);
        });
      }),
      { numRuns: 2000 },
    );
  });
});
