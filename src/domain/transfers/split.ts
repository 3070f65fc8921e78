/**
 * The transfer itself (docs/transfers.md): principal `p` of a note passes to a new note of the buyer (same
 * loan, same rate). Every installment not yet due on the trade date is split between the two notes by
 * largest remainder, so that the two add up to the original exactly: its unpaid principal by the
 * buyer's `p` over the installments in proportion to their principal, its unpaid interest by `p` against
 * what the seller keeps. Installments due on or before the trade date stay with the seller: they were
 * earned before the trade. The buyer pays the seller the interest `p` has earned in the current period
 * up to the trade date (`accrued`) and from then on is paid like any note, including the whole current
 * period's interest.
 */
import { assert } from '../assert.js';
import { addDays, compareIsoDate, daysBetween, isIsoDate, type IsoDate } from '../dates.js';
import { decFromInt, toMinorHalfEven } from '../decimal.js';
import { allocateLargestRemainder } from '../money.js';
import { accrueDay, assertLoanInvariants, outstandingPrincipalFrom, unpaidPart, type Installment, type LoanState, type NoteState, type ServicingSettings } from '../servicing/index.js';
import { accruedInterestToDate, accruedUnpaidInterest } from '../servicing/accrual.js';
import { cloneState, currentIndex, noteOwesNothing } from '../servicing/state.js';

/** The buyer's share of one installment not yet due. */
export interface BoughtInstallment {
  n: number;
  dueDate: IsoDate;
  principalMinor: number;
  interestMinor: number;
}

export interface BuyerShare {
  /** The installments the buyer will be paid, from the current one to the last. */
  installments: BoughtInstallment[];
  /** Interest `p` has earned in the current period up to the trade date and not yet received. */
  accruedMinor: number;
  /** The current period: days left of it after the trade date, and its length in days. */
  daysLeft: number;
  periodDays: number;
}

/**
 * The buyer's part of `note` for principal `p` traded on `date`, current period `ci`. Pure arithmetic on
 * the note alone (no other note is read), so a quote costs one note, not the loan.
 */
export function buyerShare(note: NoteState, ci: number, date: IsoDate, principalMinor: number): BuyerShare {
  const transferable = outstandingPrincipalFrom(note, ci);
  assert(Number.isSafeInteger(principalMinor) && principalMinor > 0 && principalMinor <= transferable, 'a transfer takes part or all of the principal not yet due');
  const kept = transferable - principalMinor;
  const later = note.installments.slice(ci);
  const principals = allocateLargestRemainder(principalMinor, later.map((i) => unpaidPart(i, 'principal')));
  const installments = later.map((inst, k): BoughtInstallment => ({
    n: inst.n,
    dueDate: inst.dueDate,
    principalMinor: principals[k]!,
    interestMinor: allocateLargestRemainder(unpaidPart(inst, 'interest'), [principalMinor, kept])[0]!,
  }));
  const current = note.installments[ci]!;
  return {
    installments,
    accruedMinor: accruedForPrincipal(note, ci, date, principalMinor),
    daysLeft: daysBetween(date, current.dueDate),
    periodDays: daysBetween(current.fromDate, current.dueDate),
  };
}

/**
 * The interest principal `p` has earned in the current period up to `date` and not yet received: the
 * daily accrual of an early repayment applied to `p` — `p · rateBps · days / (120000 · periodDays)` since
 * the period began (or since a prepayment in it), plus `p`'s pro-rata share of interest locked by that
 * prepayment less interest already paid in the period — rounded half-even once. Without a prepayment or
 * an early interest payment in the period it is exactly `round(p · r · elapsed / D)`. It never exceeds
 * what the note itself has earned and not received (the two notes' accruals then add up), and all of it
 * goes with the whole note.
 */
export function accruedForPrincipal(note: NoteState, ci: number, date: IsoDate, principalMinor: number): number {
  const earnedUnpaid = accruedUnpaidInterest(note, ci, date);
  const outstanding = outstandingPrincipalFrom(note, ci);
  if (principalMinor === outstanding) return earnedUnpaid;
  const inst = note.installments[ci]!;
  const periodDays = daysBetween(inst.fromDate, inst.dueDate);
  const since = decFromInt(principalMinor).mul(note.rateBps).mul(daysBetween(inst.accrualFrom, date)).div(decFromInt(120_000 * periodDays));
  const carried = decFromInt(inst.interestLockedMinor - inst.interestPaidMinor).mul(principalMinor).div(decFromInt(outstanding));
  return Math.min(earnedUnpaid, Math.max(0, toMinorHalfEven(carried.plus(since))));
}

export interface TransferInput {
  fromNoteId: string;
  toNoteId: string;
  principalMinor: number;
  tradeDate: IsoDate;
}

export interface TransferResult {
  state: LoanState;
  share: BuyerShare;
}

function emptyInstallment(inst: Installment): Installment {
  return {
    n: inst.n,
    fromDate: inst.fromDate,
    dueDate: inst.dueDate,
    principalDueMinor: 0,
    interestDueMinor: 0,
    penaltyMinor: 0,
    principalPaidMinor: 0,
    interestPaidMinor: 0,
    penaltyPaidMinor: 0,
    interestLockedMinor: 0,
    accrualFrom: inst.fromDate,
  };
}

/**
 * Moves principal `p` of one note to a new note on `tradeDate`. The days before the trade date are
 * closed first (as for a payment), so the state is the one the trade date sees. The caller has checked
 * transferability; this asserts what it relies on. Interest accrual in the current period restarts on
 * the trade date for both notes: each locks what it has earned so far (the seller keeps what was earned
 * before the trade less what the buyer paid for; the buyer holds what it paid for), so a later prepayment
 * or acceleration in the period counts each note's interest from where the trade left it.
 */
export function transferNote(state: LoanState, input: TransferInput, settings: ServicingSettings): TransferResult {
  assert(isIsoDate(input.tradeDate) && compareIsoDate(input.tradeDate, state.servicedThrough) > 0, 'a trade is dated after the last closed day');
  assert(!state.notes.some((n) => n.noteId === input.toNoteId), 'the buyer note is new');
  const closed = accrueDay(state, addDays(input.tradeDate, -1), settings).state;
  assert(closed.status === 'active', 'only notes of an active loan change hands');
  const next = cloneState(closed);
  const seller = next.notes.find((n) => n.noteId === input.fromNoteId);
  assert(seller && seller.status === 'active', 'the sold note is active');
  const ci = currentIndex(next, input.tradeDate);
  assert(ci >= 0 && ci <= seller.installments.length - 2, 'at least two installments are left');
  const share = buyerShare(seller, ci, input.tradeDate, input.principalMinor);
  const earnedMinor = accruedInterestToDate(seller, ci, input.tradeDate);

  const buyer: NoteState = {
    noteId: input.toNoteId,
    principalMinor: input.principalMinor,
    rateBps: seller.rateBps,
    status: 'active',
    installments: seller.installments.map(emptyInstallment),
  };
  share.installments.forEach((part, k) => {
    const b = buyer.installments[ci + k]!;
    const s = seller.installments[ci + k]!;
    b.principalDueMinor = part.principalMinor;
    b.interestDueMinor = part.interestMinor;
    s.principalDueMinor -= part.principalMinor;
    s.interestDueMinor -= part.interestMinor;
  });
  const bCurrent = buyer.installments[ci]!;
  const sCurrent = seller.installments[ci]!;
  bCurrent.interestLockedMinor = share.accruedMinor;
  bCurrent.accrualFrom = input.tradeDate;
  sCurrent.interestLockedMinor = earnedMinor - share.accruedMinor;
  sCurrent.accrualFrom = input.tradeDate;

  seller.principalMinor -= input.principalMinor;
  if (outstandingPrincipalFrom(seller, ci) === 0) {
    seller.soldOut = true;
    if (noteOwesNothing(seller)) seller.status = 'sold';
  }
  next.notes.push(buyer);
  // Notes in id order, as the database returns them: allocation breaks ties by position.
  next.notes.sort((a, b) => (a.noteId < b.noteId ? -1 : a.noteId > b.noteId ? 1 : 0));
  assertLoanInvariants(next);
  return { state: next, share };
}
