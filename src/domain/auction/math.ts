/**
 * Exact integer helpers for the auction core. Products of amounts and rates or percents can pass 2^53,
 * so they are computed in BigInt and only results known to be small come back as numbers.
 */
import { assert } from '../assert.js';

/** numerator / denominator rounded half-even to an integer (both non-negative, denominator > 0). */
export function divHalfEven(numerator: bigint, denominator: bigint): bigint {
  assert(denominator > 0n && numerator >= 0n, 'divHalfEven: needs numerator >= 0 and denominator > 0');
  const quotient = numerator / denominator;
  const twiceRemainder = (numerator % denominator) * 2n;
  if (twiceRemainder < denominator) return quotient;
  if (twiceRemainder > denominator) return quotient + 1n;
  return quotient % 2n === 0n ? quotient : quotient + 1n;
}

/** ceil(numerator / denominator) for non-negative numerator and positive denominator. */
export function divCeil(numerator: bigint, denominator: bigint): bigint {
  assert(denominator > 0n && numerator >= 0n, 'divCeil: needs numerator >= 0 and denominator > 0');
  return (numerator + denominator - 1n) / denominator;
}

/** A BigInt result back to number, asserting it is a safe integer. */
export function toSafeNumber(value: bigint, what: string): number {
  const n = Number(value);
  assert(Number.isSafeInteger(n), `${what} out of safe integer range: ${value.toString()}`);
  return n;
}

/** Hands out contiguous sequence numbers after `lastSeq` (the listing's last used seq). */
export function sequencer(lastSeq: number): { next: () => number; last: () => number } {
  assert(Number.isSafeInteger(lastSeq) && lastSeq >= 0, `listing seq must be an integer >= 0, got ${lastSeq}`);
  let current = lastSeq;
  return {
    next: () => ++current,
    last: () => current,
  };
}
