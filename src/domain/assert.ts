/**
 * Assertions guard invariants that only a programming error can break. A failed assertion is a bug:
 * it crashes the request (500, logged) instead of letting bad state reach the database.
 */
export class AssertionError extends Error {
  override name = 'AssertionError';
}

export function assert(condition: unknown, message: string): asserts condition {
  if (!condition) throw new AssertionError(message);
}

// The messages below are built only when the check fails: these run per installment and per note, and
// formatting a message that is thrown away cost more than the checks (a clearing of 10,000 notes).

/** Money is integer minor units held in a JS number: it must stay a safe integer. */
export function assertMinor(value: number, name: string): void {
  if (!Number.isSafeInteger(value)) throw new AssertionError(`${name} must be a safe integer of minor units, got ${String(value)}`);
}

/** True for a safe integer >= 0 (not -0): what assertNonNegativeMinor accepts. */
export function isNonNegativeMinor(value: number): boolean {
  return Number.isSafeInteger(value) && value >= 0 && !Object.is(value, -0);
}

export function assertNonNegativeMinor(value: number, name: string): void {
  assertMinor(value, name);
  if (!(value >= 0 && !Object.is(value, -0))) throw new AssertionError(`${name} must be >= 0, got ${value}`);
}

export function assertPositiveMinor(value: number, name: string): void {
  assertMinor(value, name);
  if (!(value > 0)) throw new AssertionError(`${name} must be > 0, got ${value}`);
}

export function assertNever(value: never, what: string): never {
  throw new AssertionError(`unexpected ${what}: ${JSON.stringify(value)}`);
}
