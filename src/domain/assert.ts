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

/** Money is integer minor units held in a JS number: it must stay a safe integer. */
export function assertMinor(value: number, name: string): void {
  assert(Number.isSafeInteger(value), `${name} must be a safe integer of minor units, got ${String(value)}`);
}

export function assertNonNegativeMinor(value: number, name: string): void {
  assertMinor(value, name);
  assert(value >= 0 && !Object.is(value, -0), `${name} must be >= 0, got ${value}`);
}

export function assertPositiveMinor(value: number, name: string): void {
  assertMinor(value, name);
  assert(value > 0, `${name} must be > 0, got ${value}`);
}

export function assertNever(value: never, what: string): never {
  throw new AssertionError(`unexpected ${what}: ${JSON.stringify(value)}`);
}
