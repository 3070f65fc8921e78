/**
 * Third-party guarantors, the pure rules (docs/guarantees.md): the terms a listing may ask for, the
 * guarantor's capacity, its fee, what it owes at default and how later recoveries are shared. No I/O, no
 * clock: today is passed in.
 */
import { assert } from '../assert.js';
import { addDays, compareIsoDate, type IsoDate } from '../dates.js';
import { decFromInt, toMinorHalfEven } from '../decimal.js';
import { reject, type Rejection } from '../errors.js';
import { allocateLargestRemainder } from '../money.js';

export const MAX_GUARANTEE_FEE_BPS = 1000;

export interface GuaranteeTerms {
  coveragePct: number;
  feeBps: number;
}

export function checkGuaranteeTerms(t: GuaranteeTerms): { ok: true } | Rejection {
  if (!Number.isInteger(t.coveragePct) || t.coveragePct < 1 || t.coveragePct > 100) return reject('GUARANTEE_INVALID', 'coveragePct is 1..100', { minPct: 1, maxPct: 100 });
  if (!Number.isInteger(t.feeBps) || t.feeBps < 0 || t.feeBps > MAX_GUARANTEE_FEE_BPS) return reject('GUARANTEE_INVALID', `feeBps is 0..${MAX_GUARANTEE_FEE_BPS}`, { maxFeeBps: MAX_GUARANTEE_FEE_BPS });
  return { ok: true };
}

/** coverage % of an amount, to the fen (half-even). */
export function coveredMinor(amountMinor: number, coveragePct: number): number {
  return toMinorHalfEven(decFromInt(amountMinor).mul(coveragePct).div(100));
}

/** The guarantor's fee: feeBps of the principal, to the fen (half-even), paid from the disbursement. */
export function guaranteeFeeMinor(principalMinor: number, feeBps: number): number {
  return toMinorHalfEven(decFromInt(principalMinor).mul(feeBps).div(10_000));
}

/** What a guarantor may cover at most: GUARANTOR_LEVERAGE × its registered capital. */
export function capacityMinor(registeredCapitalMinor: number, leverage: number): number {
  const c = registeredCapitalMinor * leverage;
  assert(Number.isSafeInteger(c), 'capacity out of range');
  return c;
}

/**
 * What one guarantee puts at risk now (its exposure): coverage × the listing's amount while it is
 * accepted but not lent yet, coverage × the loan's outstanding principal once lent, what it owes once
 * the loan defaulted, nothing once paid, declined or ended.
 */
export function exposureOf(g: { status: string; coveragePct: number; owedMinor: number; paidMinor: number }, principalMinor: number): number {
  if (g.status === 'active') return coveredMinor(principalMinor, g.coveragePct);
  if (g.status === 'owed') return g.owedMinor - g.paidMinor;
  return 0;
}

/** Accepting one more guarantee: refused when the covered principal outstanding would pass the capacity. */
export function checkCapacity(input: { exposureMinor: number; addMinor: number; capacityMinor: number }): { ok: true } | Rejection {
  if (input.exposureMinor + input.addMinor > input.capacityMinor) {
    return reject('GUARANTOR_CAPACITY_EXCEEDED', `covered principal ${input.exposureMinor} + ${input.addMinor} would pass the capacity ${input.capacityMinor}`, {
      capacityMinor: input.capacityMinor,
      exposureMinor: input.exposureMinor,
      neededMinor: input.addMinor,
    });
  }
  return { ok: true };
}

export interface NoteOwedByGuarantor {
  noteId: string;
  /** The note's claim at default (principal, interest and late fees owed then). */
  claimMinor: number;
  /** coverage × claim, to the fen. */
  owedMinor: number;
}

/**
 * Fixed at default: each note holder is owed coverage × its note's claim, to the fen; the guarantor owes
 * their sum, by `payBy` = default day + GUARANTOR_PAY_DAYS.
 */
export function owedAtDefault(perNoteClaims: readonly { noteId: string; claimMinor: number }[], coveragePct: number, defaultedOn: IsoDate, payDays: number) {
  const perNote: NoteOwedByGuarantor[] = perNoteClaims.filter((n) => n.claimMinor > 0).map((n) => ({ noteId: n.noteId, claimMinor: n.claimMinor, owedMinor: coveredMinor(n.claimMinor, coveragePct) }));
  return { perNote, owedMinor: perNote.reduce((a, n) => a + n.owedMinor, 0), payBy: addDays(defaultedOn, payDays) };
}

/**
 * What the guarantor pays each note when it pays: what it owes that note, at most what the note is
 * still owed (a recovery between default and payment may have paid part of it).
 */
export function guarantorPayment(owed: readonly NoteOwedByGuarantor[], payoffOf: (noteId: string) => number): { noteId: string; amountMinor: number }[] {
  return owed.map((n) => ({ noteId: n.noteId, amountMinor: Math.max(0, Math.min(n.owedMinor, payoffOf(n.noteId))) }));
}

/**
 * A recovery after the guarantor paid: shared pro rata between the note holders (for what is still owed
 * to them) and the guarantor (for what it paid and has not got back), by largest remainder. More than
 * both together is refused.
 */
export function recoverySplit(amountMinor: number, holdersOwedMinor: number, guarantorLeftMinor: number): { ok: true; toHoldersMinor: number; toGuarantorMinor: number } | Rejection {
  assert(holdersOwedMinor >= 0 && guarantorLeftMinor >= 0, 'owed amounts are not negative');
  const total = holdersOwedMinor + guarantorLeftMinor;
  if (amountMinor > total) return reject('REPAYMENT_EXCEEDS_OWED', `the payment of ${amountMinor} exceeds the ${total} owed to the note holders and the guarantor`, { payoffMinor: total });
  const [toHoldersMinor, toGuarantorMinor] = allocateLargestRemainder(amountMinor, [holdersOwedMinor, guarantorLeftMinor]) as [number, number];
  return { ok: true, toHoldersMinor, toGuarantorMinor };
}

/** An owed guarantee not paid by its day is overdue: shown as such on the listing and to the holders. */
export function isOverdue(g: { status: string; payBy: IsoDate | null }, today: IsoDate): boolean {
  return g.status === 'owed' && g.payBy !== null && compareIsoDate(today, g.payBy) > 0;
}

