/**
 * Repayment allocation, docs/market-rules.md §6: a payment goes to the oldest due installment first; inside one, to
 * late fees, then interest, then principal; each part is split over the notes by what each note is owed on
 * it (largest remainder), so no note gets more than it is owed and the split adds up exactly. What is left
 * once everything due is paid is an early repayment: interest earned to the payment date, then principal,
 * then each note's remaining schedule is recomputed (accrual.ts). After default the same allocation splits
 * recoveries pro rata.
 */
import { assert } from '../assert.js';
import { addDays, compareIsoDate, isIsoDate, type IsoDate } from '../dates.js';
import { reject, type Rejection } from '../errors.js';
import { allocateLargestRemainder } from '../money.js';
import { accruedUnpaidInterest, prepayPrincipal } from './accrual.js';
import { accrueDay, type ServicingEvent } from './daily.js';
import {
  PART_ORDER,
  addPaid,
  assertLoanInvariants,
  cloneState,
  currentIndex,
  dueDateAt,
  prepaymentFeeMinor,
  installmentCount,
  outstandingPrincipalFrom,
  refreshStatuses,
  unpaidPart,
  type LoanState,
  type NoteState,
  type Part,
  type ServicingSettings,
} from './state.js';

export interface PartAmounts {
  penaltyMinor: number;
  interestMinor: number;
  principalMinor: number;
  totalMinor: number;
}

export interface NoteOwed {
  noteId: string;
  /** Unpaid amounts of installments due on or before the date. */
  due: PartAmounts;
  /** Interest earned in the current period up to the date, not yet paid. */
  accruedInterestMinor: number;
  /** Principal of installments not yet due. */
  principalNotDueMinor: number;
  /** This note's share of the prepayment fee a payoff on the date would carry. */
  prepaymentFeeMinor: number;
  /** Everything the note is owed if the loan is paid off on the date. */
  payoffMinor: number;
}

export interface InstallmentOwed {
  n: number;
  dueDate: IsoDate;
  penaltyMinor: number;
  interestMinor: number;
  principalMinor: number;
}

export interface OwedToday {
  date: IsoDate;
  due: PartAmounts;
  /** Loan-level unpaid amounts of each due installment with anything unpaid, oldest first. */
  dueInstallments: InstallmentOwed[];
  accruedInterestMinor: number;
  principalNotDueMinor: number;
  /** The prepayment fee on principalNotDueMinor, paid with a payoff on the date (docs/market-rules.md §6). */
  prepaymentFeeMinor: number;
  /** The fee rate in force, so a quote can say how the fee was computed. */
  prepaymentFeeBps: number;
  payoffMinor: number;
  perNote: NoteOwed[];
}

export interface AllocationLine {
  noteId: string;
  n: number;
  /** A due part, or the fee on principal prepaid (received like interest, owed only when principal is prepaid). */
  part: Part | 'prepayment_fee';
  amountMinor: number;
  /** True for the early-repayment lines (current period, not yet due). */
  early: boolean;
}

export interface NotePaid {
  noteId: string;
  penaltyMinor: number;
  interestMinor: number;
  principalMinor: number;
  prepaymentFeeMinor: number;
  totalMinor: number;
}

export interface InstallmentPaid {
  n: number;
  dueDate: IsoDate;
  early: boolean;
  penaltyMinor: number;
  interestMinor: number;
  principalMinor: number;
  prepaymentFeeMinor: number;
}

export interface PaymentBreakdown {
  paidOn: IsoDate;
  amountMinor: number;
  perNote: NotePaid[];
  perInstallment: InstallmentPaid[];
  /** Interest of the current period paid early (earned to the payment date). */
  earlyInterestMinor: number;
  prepaidPrincipalMinor: number;
  /** The fee on prepaidPrincipalMinor, shared over the notes by the principal each got back. */
  prepaymentFeeMinor: number;
  /** The fee rate it was computed at (kept with the payment: a later change of the setting does not rewrite it). */
  prepaymentFeeBps: number;
  /** Notes whose remaining schedule was recomputed after a prepayment of principal. */
  recomputedNoteIds: string[];
  /** One line per note, installment and part: what the ledger posts. */
  lines: AllocationLine[];
}

export type PaymentResult =
  | { ok: true; state: LoanState; breakdown: PaymentBreakdown; events: ServicingEvent[] }
  | Rejection;

function zeroParts(): PartAmounts {
  return { penaltyMinor: 0, interestMinor: 0, principalMinor: 0, totalMinor: 0 };
}

type PartSums = { penaltyMinor: number; interestMinor: number; principalMinor: number; prepaymentFeeMinor?: number; totalMinor?: number };

function addPart(target: PartSums, part: Part | 'prepayment_fee', amountMinor: number): void {
  if (part === 'penalty') target.penaltyMinor += amountMinor;
  else if (part === 'interest') target.interestMinor += amountMinor;
  else if (part === 'principal') target.principalMinor += amountMinor;
  else target.prepaymentFeeMinor = (target.prepaymentFeeMinor ?? 0) + amountMinor;
  if (target.totalMinor !== undefined) target.totalMinor += amountMinor;
}

function feeBpsOf(settings: ServicingSettings | undefined): number {
  return settings?.prepaymentFeeBps ?? 0;
}

/**
 * Splits what is left of a payment after the interest earned to date into principal prepaid and its
 * fee: the most principal (up to `principalMaxMinor`) whose fee still fits, a spare fen (the split cannot
 * always come out exact) going to principal. Returns [principal, fee] with principal + fee ≤ leftMinor.
 */
export function splitPrepayment(leftMinor: number, principalMaxMinor: number, feeBps: number): [number, number] {
  const fits = (p: number) => p + prepaymentFeeMinor(p, feeBps) <= leftMinor;
  if (fits(principalMaxMinor)) return [principalMaxMinor, prepaymentFeeMinor(principalMaxMinor, feeBps)];
  // p + fee(p) grows by 1 or 2 for each fen of p: start from the exact quotient and step down.
  let p = Math.min(principalMaxMinor, Math.floor((leftMinor * 10_000) / (10_000 + feeBps)) + 1);
  while (p > 0 && !fits(p)) p--;
  const fee = prepaymentFeeMinor(p, feeBps);
  const spare = leftMinor - p - fee;
  assert(spare >= 0 && spare <= 1, 'at most one fen cannot be split');
  return [Math.min(principalMaxMinor, p + spare), fee];
}

/**
 * What is owed on `date` as the state stands (days up to servicedThrough closed). Pass `settings` to close
 * the days up to the day before `date` first (on a copy), as applyPayment does: that is the payoff quote.
 */
export function owedToday(state: LoanState, date: IsoDate, settings?: ServicingSettings): OwedToday {
  assert(isIsoDate(date) && compareIsoDate(date, state.disbursedOn) >= 0, 'owedToday: date on or after disbursement');
  // A quote is for now, never for the past: earlier days' balances are not kept.
  assert(compareIsoDate(date, state.servicedThrough) >= 0, `owedToday: ${date} is before the last closed day`);
  const s = settings ? accrueDay(state, addDays(date, -1), settings).state : state;
  const ci = currentIndex(s, date);
  const dueCount = ci < 0 ? installmentCount(s) : ci;
  const perNote = s.notes.map((note): NoteOwed => {
    const due = zeroParts();
    for (let i = 0; i < dueCount; i++) for (const part of PART_ORDER) addPart(due, part, unpaidPart(note.installments[i]!, part));
    const accruedInterestMinor = ci < 0 ? 0 : accruedUnpaidInterest(note, ci, date);
    const principalNotDueMinor = ci < 0 ? 0 : outstandingPrincipalFrom(note, ci);
    return { noteId: note.noteId, due, accruedInterestMinor, principalNotDueMinor, prepaymentFeeMinor: 0, payoffMinor: due.totalMinor + accruedInterestMinor + principalNotDueMinor };
  });
  const due = zeroParts();
  for (const n of perNote) for (const part of PART_ORDER) addPart(due, part, partOf(n.due, part));
  const accruedInterestMinor = perNote.reduce((a, n) => a + n.accruedInterestMinor, 0);
  const principalNotDueMinor = perNote.reduce((a, n) => a + n.principalNotDueMinor, 0);
  // A payoff prepays all the principal not yet due: it carries the fee on it, shared as a payment shares it.
  const feeBps = feeBpsOf(settings);
  const feeMinor = prepaymentFeeMinor(principalNotDueMinor, feeBps);
  const feeShares = allocateLargestRemainder(feeMinor, perNote.map((n) => n.principalNotDueMinor));
  perNote.forEach((n, j) => {
    n.prepaymentFeeMinor = feeShares[j]!;
    n.payoffMinor += feeShares[j]!;
  });
  return {
    date,
    due,
    dueInstallments: dueInstallments(s, dueCount),
    accruedInterestMinor,
    principalNotDueMinor,
    prepaymentFeeMinor: feeMinor,
    prepaymentFeeBps: feeBps,
    payoffMinor: due.totalMinor + accruedInterestMinor + principalNotDueMinor + feeMinor,
    perNote,
  };
}

function partOf(amounts: PartAmounts, part: Part): number {
  return part === 'penalty' ? amounts.penaltyMinor : part === 'interest' ? amounts.interestMinor : amounts.principalMinor;
}

function dueInstallments(state: LoanState, dueCount: number): InstallmentOwed[] {
  const rows: InstallmentOwed[] = [];
  for (let i = 0; i < dueCount; i++) {
    const row: InstallmentOwed = { n: i + 1, dueDate: dueDateAt(state, i), penaltyMinor: 0, interestMinor: 0, principalMinor: 0 };
    for (const note of state.notes) for (const part of PART_ORDER) addPart(row, part, unpaidPart(note.installments[i]!, part));
    if (row.penaltyMinor + row.interestMinor + row.principalMinor > 0) rows.push(row);
  }
  return rows;
}

/**
 * Applies a borrower payment (or a recovery) made on `paidOn`. Days up to the day before are closed first
 * (accrueDay), so the payment sees every penalty accrued before its date and none of its own day's.
 * Refused with AMOUNT_INVALID (not a positive integer), LOAN_NOT_ACTIVE (already repaid) or
 * REPAYMENT_EXCEEDS_OWED (more than the payoff on `paidOn`). `paidOn` must be after the last closed day:
 * the daily step closes a day only once it is over.
 */
export function applyPayment(state: LoanState, amountMinor: number, paidOn: IsoDate, settings: ServicingSettings): PaymentResult {
  if (!Number.isSafeInteger(amountMinor) || amountMinor <= 0) return reject('AMOUNT_INVALID', 'a payment is a positive whole number of minor units');
  assert(isIsoDate(paidOn) && compareIsoDate(paidOn, state.disbursedOn) >= 0, 'applyPayment: paid on or after disbursement');
  assert(compareIsoDate(paidOn, state.servicedThrough) > 0, `applyPayment: ${paidOn} is already closed (serviced through ${state.servicedThrough})`);
  if (state.status === 'repaid') return reject('LOAN_NOT_ACTIVE', 'the loan is fully repaid');
  const closed = accrueDay(state, addDays(paidOn, -1), settings);
  const owed = owedToday(closed.state, paidOn, settings);
  if (amountMinor > owed.payoffMinor) {
    return reject('REPAYMENT_EXCEEDS_OWED', `the payment of ${amountMinor} exceeds the ${owed.payoffMinor} owed on ${paidOn}`);
  }
  const next = cloneState(closed.state);
  const lines: AllocationLine[] = [];
  const feeBps = feeBpsOf(settings);
  const leftMinor = payEarly(next, payDue(next, amountMinor, paidOn, lines), paidOn, lines, feeBps);
  assert(leftMinor === 0, 'a payment within the payoff is allocated in full');
  refreshStatuses(next);
  assertLoanInvariants(next);
  return { ok: true, state: next, breakdown: summarise(next, amountMinor, paidOn, lines, feeBps), events: closed.events };
}

/**
 * Splits `amountMinor` of one part of installment `index` over the notes by what each is owed on it
 * (`weights`), records each share with `apply` and as a line.
 */
function payPart(
  state: LoanState,
  at: { index: number; part: Part | 'prepayment_fee'; early: boolean },
  weights: readonly number[],
  amountMinor: number,
  lines: AllocationLine[],
  apply: (note: NoteState, shareMinor: number) => void = (note, share) => addPaid(note.installments[at.index]!, at.part as Part, share),
): void {
  const shares = allocateLargestRemainder(amountMinor, weights);
  state.notes.forEach((note, j) => {
    const share = shares[j]!;
    assert(share <= weights[j]!, 'no note receives more than it is owed');
    if (share === 0) return;
    apply(note, share);
    lines.push({ noteId: note.noteId, n: at.index + 1, part: at.part, amountMinor: share, early: at.early });
  });
}

/** Oldest due installment first; inside it penalty, interest, principal. Returns what is left. */
function payDue(state: LoanState, amountMinor: number, paidOn: IsoDate, lines: AllocationLine[]): number {
  let leftMinor = amountMinor;
  const ci = currentIndex(state, paidOn);
  const dueCount = ci < 0 ? installmentCount(state) : ci;
  for (let i = 0; i < dueCount && leftMinor > 0; i++) {
    for (const part of PART_ORDER) {
      const weights = state.notes.map((note) => unpaidPart(note.installments[i]!, part));
      const payMinor = Math.min(leftMinor, weights.reduce((a, b) => a + b, 0));
      if (payMinor === 0) continue;
      payPart(state, { index: i, part, early: false }, weights, payMinor, lines);
      leftMinor -= payMinor;
    }
  }
  return leftMinor;
}

/**
 * Early repayment: the current period's interest earned to `paidOn`, then principal with its prepayment
 * fee (paid to the note holders by the principal each gets back), then the schedules are recomputed.
 */
function payEarly(state: LoanState, amountMinor: number, paidOn: IsoDate, lines: AllocationLine[], feeBps: number): number {
  const ci = currentIndex(state, paidOn);
  if (amountMinor === 0 || ci < 0) return amountMinor;
  let leftMinor = amountMinor;
  const interestWeights = state.notes.map((note) => accruedUnpaidInterest(note, ci, paidOn));
  const interestMinor = Math.min(leftMinor, interestWeights.reduce((a, b) => a + b, 0));
  if (interestMinor > 0) payPart(state, { index: ci, part: 'interest', early: true }, interestWeights, interestMinor, lines);
  leftMinor -= interestMinor;
  const principalWeights = state.notes.map((note) => outstandingPrincipalFrom(note, ci));
  const [principalMinor, feeMinor] = splitPrepayment(leftMinor, principalWeights.reduce((a, b) => a + b, 0), feeBps);
  if (principalMinor === 0) return leftMinor;
  // Prepaid principal is recorded on the current installment by the recomputation itself.
  const before = lines.length;
  payPart(state, { index: ci, part: 'principal', early: true }, principalWeights, principalMinor, lines, (note, share) =>
    prepayPrincipal(note, ci, paidOn, share, state.repayment),
  );
  if (feeMinor > 0) {
    // Each note's fee follows the principal it got back (its weight may exceed what it is "owed": the fee is new money).
    const prepaid = new Map(lines.slice(before).map((l) => [l.noteId, l.amountMinor]));
    const shares = allocateLargestRemainder(feeMinor, state.notes.map((n) => prepaid.get(n.noteId) ?? 0));
    state.notes.forEach((note, j) => {
      const share = shares[j]!;
      if (share === 0) return;
      const inst = note.installments[ci]!;
      inst.prepaymentFeePaidMinor = (inst.prepaymentFeePaidMinor ?? 0) + share;
      lines.push({ noteId: note.noteId, n: ci + 1, part: 'prepayment_fee', amountMinor: share, early: true });
    });
  }
  return leftMinor - principalMinor - feeMinor;
}

function summarise(state: LoanState, amountMinor: number, paidOn: IsoDate, lines: AllocationLine[], feeBps: number): PaymentBreakdown {
  const perNote = state.notes.map((n): NotePaid => ({ noteId: n.noteId, penaltyMinor: 0, interestMinor: 0, principalMinor: 0, prepaymentFeeMinor: 0, totalMinor: 0 }));
  const byNoteId = new Map(perNote.map((p) => [p.noteId, p]));
  const perInstallment: InstallmentPaid[] = [];
  let earlyInterestMinor = 0;
  let prepaidPrincipalMinor = 0;
  let prepaymentFeeMinor = 0;
  for (const line of lines) {
    addPart(byNoteId.get(line.noteId)!, line.part, line.amountMinor);
    let row = perInstallment.find((r) => r.n === line.n && r.early === line.early);
    if (!row) {
      row = { n: line.n, dueDate: dueDateAt(state, line.n - 1), early: line.early, penaltyMinor: 0, interestMinor: 0, principalMinor: 0, prepaymentFeeMinor: 0 };
      perInstallment.push(row);
    }
    addPart(row, line.part, line.amountMinor);
    if (line.early && line.part === 'interest') earlyInterestMinor += line.amountMinor;
    if (line.early && line.part === 'principal') prepaidPrincipalMinor += line.amountMinor;
    if (line.part === 'prepayment_fee') prepaymentFeeMinor += line.amountMinor;
  }
  const recomputedNoteIds = [...new Set(lines.filter((l) => l.early && l.part === 'principal').map((l) => l.noteId))];
  assert(perNote.reduce((a, p) => a + p.totalMinor, 0) === amountMinor, 'the notes receive exactly what the borrower paid');
  return { paidOn, amountMinor, perNote, perInstallment, earlyInterestMinor, prepaidPrincipalMinor, prepaymentFeeMinor, prepaymentFeeBps: feeBps, recomputedNoteIds, lines };
}

/**
 * A payment whose split over the notes is given (a guarantor paying each note holder its coverage of that
 * note's claim, docs/guarantees.md): inside each note it is allocated like any payment — oldest due
 * installment first, late fees, interest, principal. Only for a defaulted loan, where everything is due
 * and nothing accrues: there is no early part to allocate. Each note's amount is at most what it is owed.
 */
export function applyNotePayments(state: LoanState, perNote: readonly { noteId: string; amountMinor: number }[], paidOn: IsoDate, settings: ServicingSettings): PaymentResult {
  const amountMinor = perNote.reduce((a, n) => a + n.amountMinor, 0);
  if (!Number.isSafeInteger(amountMinor) || amountMinor <= 0) return reject('AMOUNT_INVALID', 'a payment is a positive whole number of minor units');
  assert(compareIsoDate(paidOn, state.servicedThrough) > 0, `applyNotePayments: ${paidOn} is already closed (serviced through ${state.servicedThrough})`);
  if (state.status !== 'defaulted') return reject('LOAN_NOT_ACTIVE', 'only a defaulted loan is paid note by note');
  const closed = accrueDay(state, addDays(paidOn, -1), settings);
  const next = cloneState(closed.state);
  const lines: AllocationLine[] = [];
  const count = installmentCount(next);
  for (const { noteId, amountMinor: noteAmount } of perNote) {
    const note = next.notes.find((n) => n.noteId === noteId);
    assert(note, `applyNotePayments: note ${noteId} is the loan's`);
    let leftMinor = noteAmount;
    for (let i = 0; i < count && leftMinor > 0; i++) {
      for (const part of PART_ORDER) {
        const payMinor = Math.min(leftMinor, unpaidPart(note.installments[i]!, part));
        if (payMinor === 0) continue;
        addPaid(note.installments[i]!, part, payMinor);
        lines.push({ noteId, n: i + 1, part, amountMinor: payMinor, early: false });
        leftMinor -= payMinor;
      }
    }
    if (leftMinor > 0) return reject('REPAYMENT_EXCEEDS_OWED', `the payment to note ${noteId} exceeds what it is owed by ${leftMinor}`);
  }
  refreshStatuses(next);
  assertLoanInvariants(next);
  return { ok: true, state: next, breakdown: summarise(next, amountMinor, paidOn, lines, 0), events: closed.events };
}
