/**
 * When a note may change hands (docs/transfers.md): its loan has nothing past due and has not defaulted,
 * at least two installments are left, and the seller has held the note for TRANSFER_MIN_HOLD_DAYS.
 * Otherwise NOTE_NOT_TRANSFERABLE, with the reason. The state passed in has the days before `date`
 * closed (what a payment on `date` would see).
 */
import { assert } from '../assert.js';
import { compareIsoDate, daysBetween, isIsoDate, type IsoDate } from '../dates.js';
import { MAX_NOTES_PER_LOAN, outstandingPrincipalFrom, type LoanState, type NoteState } from '../servicing/index.js';
import { currentIndex, dueDateAt, installmentCount, loanUnpaidAt, unpaidTotal } from '../servicing/state.js';

export const NOT_TRANSFERABLE_REASONS = ['defaulted', 'loan_repaid', 'past_due', 'last_installment', 'note_closed', 'hold_period', 'note_limit'] as const;
export type NotTransferableReason = (typeof NOT_TRANSFERABLE_REASONS)[number];

export type Transferability =
  | {
      ok: true;
      /** Index of the current period on the date: the first installment due after it. */
      currentIndex: number;
      /** Installments left, the current one included: the months the buyer will be paid for. */
      installmentsLeft: number;
      /** Principal of the note not yet due: what may be offered and bought. */
      transferableMinor: number;
    }
  | { ok: false; reason: NotTransferableReason; detail: string };

/** True when an installment due before `date` has anything unpaid on any note of the loan. */
export function loanPastDue(state: LoanState, date: IsoDate): boolean {
  for (let i = 0; i < installmentCount(state); i++) {
    if (compareIsoDate(dueDateAt(state, i), date) >= 0) return false;
    if (loanUnpaidAt(state, i, unpaidTotal) > 0) return true;
  }
  return false;
}

function no(reason: NotTransferableReason, detail: string): Transferability {
  return { ok: false, reason, detail };
}

/**
 * Whether `note` may be offered or bought on `date`, in this order: the loan defaulted, is repaid, has
 * anything past due, has fewer than two installments left; the note has nothing left to sell; the seller
 * acquired it (`heldSince`) fewer than `minHoldDays` days ago; the loan has as many notes as it may.
 */
export function transferability(state: LoanState, note: NoteState, date: IsoDate, heldSince: IsoDate, minHoldDays: number): Transferability {
  assert(isIsoDate(date) && isIsoDate(heldSince), 'transferability: ISO dates');
  assert(state.notes.includes(note), 'transferability: a note of this loan');
  if (state.status === 'defaulted') return no('defaulted', 'the loan has defaulted');
  if (state.status === 'repaid') return no('loan_repaid', 'the loan is repaid');
  if (loanPastDue(state, date)) return no('past_due', 'the loan has an installment past due');
  const ci = currentIndex(state, date);
  const installmentsLeft = ci < 0 ? 0 : installmentCount(state) - ci;
  if (installmentsLeft < 2) return no('last_installment', 'fewer than two installments are left');
  const transferableMinor = outstandingPrincipalFrom(note, ci);
  if (note.status !== 'active' || transferableMinor === 0) return no('note_closed', 'the note has no principal left to sell');
  const held = daysBetween(heldSince, date);
  if (held < minHoldDays) return no('hold_period', `held ${Math.max(held, 0)} of the ${minHoldDays} days required before a sale`);
  if (state.notes.length >= MAX_NOTES_PER_LOAN) return no('note_limit', 'the loan has as many notes as it may have');
  return { ok: true, currentIndex: ci, installmentsLeft, transferableMinor };
}
