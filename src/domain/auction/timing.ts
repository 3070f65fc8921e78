/**
 * Time rules of a listing: when it takes bids (docs/market-rules.md §2.1) and the soft close (§3).
 *
 * A listing takes bids while its status is `open` and `nowMs < endsAtMs`; at `endsAtMs` it is due for
 * clearing even if the close job has not run yet.
 *
 * Soft close: a bid (or an amend, which changes the book just as much) accepted within the last
 * `softCloseSec` before `endsAt` moves `endsAt` to acceptance + `softCloseSec`, never beyond
 * `originalEndsAt + softCloseMaxExtensionSec`, and never earlier than it already is (an operator may
 * lower the cap while an auction runs; an end already announced stays). "Within the last s seconds" is
 * `nowMs >= endsAtMs - s*1000`; with `softCloseSec = 0` nothing ever extends.
 */
import { assert } from '../assert.js';
import type { ListingStatus } from './types.js';

export interface SoftCloseSettings {
  readonly softCloseSec: number;
  readonly softCloseMaxExtensionSec: number;
}

export function assertTimeMs(value: number, name: string): void {
  assert(Number.isSafeInteger(value) && value >= 0, `${name} must be epoch milliseconds, got ${String(value)}`);
}

/** True while the listing takes bids and amends. */
export function isOpenAt(listing: { status: ListingStatus; endsAtMs: number }, nowMs: number): boolean {
  return listing.status === 'open' && nowMs < listing.endsAtMs;
}

/** The end after a change of the book accepted at `nowMs` (the same end when no extension applies). */
export function softCloseEndsAtMs(
  listing: { endsAtMs: number; originalEndsAtMs: number },
  nowMs: number,
  settings: SoftCloseSettings,
): number {
  assertTimeMs(nowMs, 'nowMs');
  assertTimeMs(listing.endsAtMs, 'endsAtMs');
  assert(listing.originalEndsAtMs <= listing.endsAtMs, 'endsAt must not be before the original end');
  const windowMs = settings.softCloseSec * 1000;
  if (windowMs <= 0 || nowMs < listing.endsAtMs - windowMs) return listing.endsAtMs;
  const capMs = listing.originalEndsAtMs + settings.softCloseMaxExtensionSec * 1000;
  return Math.max(listing.endsAtMs, Math.min(nowMs + windowMs, capMs));
}
