import { assert, assertMinor } from './assert.js';

export const CURRENCY = 'CNY' as const;
/** CNY has two decimal places: 100 fen = 1 yuan. */
export const MINOR_PER_MAJOR = 100;

export function isWholeMajor(amountMinor: number): boolean {
  return amountMinor % MINOR_PER_MAJOR === 0;
}

export function sumMinor(values: readonly number[]): number {
  let total = 0;
  for (const v of values) {
    assertMinor(v, 'sumMinor item');
    total += v;
  }
  assertMinor(total, 'sumMinor total');
  return total;
}

/**
 * Splits `totalMinor` over `weights` by the largest-remainder method: each share is the floor of its
 * exact pro-rata part, and the minor units left over go to the largest fractional parts (ties to the
 * earlier index). Shares always add up to the total exactly. Integer arithmetic only (BigInt inside,
 * so products never overflow).
 */
export function allocateLargestRemainder(totalMinor: number, weights: readonly number[]): number[] {
  assertMinor(totalMinor, 'totalMinor');
  assert(totalMinor >= 0, 'allocateLargestRemainder: total must be >= 0');
  assert(weights.length > 0 || totalMinor === 0, 'allocateLargestRemainder: no weights for a non-zero total');
  for (const w of weights) {
    assertMinor(w, 'weight');
    assert(w >= 0, 'allocateLargestRemainder: weights must be >= 0');
  }
  const weightSum = weights.reduce((a, b) => a + BigInt(b), 0n);
  if (totalMinor === 0) return weights.map(() => 0);
  assert(weightSum > 0n, 'allocateLargestRemainder: weights sum to zero for a non-zero total');
  const total = BigInt(totalMinor);
  const shares = weights.map((w) => (total * BigInt(w)) / weightSum);
  const remainders = weights.map((w, i) => ({ i, rem: (total * BigInt(w)) % weightSum }));
  let left = total - shares.reduce((a, b) => a + b, 0n);
  remainders.sort((a, b) => (a.rem === b.rem ? a.i - b.i : a.rem > b.rem ? -1 : 1));
  for (const r of remainders) {
    if (left === 0n) break;
    shares[r.i]! += 1n;
    left -= 1n;
  }
  return shares.map((s) => Number(s));
}
