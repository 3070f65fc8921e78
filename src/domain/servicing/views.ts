/**
 * Read models of the servicing state for the loan reads of the API: the loan's schedule with what is paid
 * (GET /loans/:id) and the note summaries of a lender's portfolio (GET /me/notes). Pure sums over notes.
 */
import { compareIsoDate, type IsoDate } from '../dates.js';
import {
  installmentCount,
  loanUnpaidAt,
  outstandingPrincipalFrom,
  unpaidTotal,
  feePaid,
  type Installment,
  type LoanState,
  type NoteStatus,
} from './state.js';

/** partly_paid: not yet due, something paid on it (an early payment), something left. */
export type InstallmentStatus = 'paid' | 'partly_paid' | 'upcoming' | 'due' | 'overdue';

export interface ScheduleRow {
  n: number;
  dueDate: IsoDate;
  principalMinor: number;
  interestMinor: number;
  /** Late fees accrued. */
  feeMinor: number;
  paidMinor: number;
  /** What is left to pay on it: principal + interest + late fees − paid (so the row adds up). */
  leftMinor: number;
  status: InstallmentStatus;
}

function sumNotes(state: LoanState, i: number, f: (inst: Installment) => number): number {
  return state.notes.reduce((a, n) => a + f(n.installments[i]!), 0);
}

/** The loan's current schedule as of `asOf`: sums over notes, with recomputations and acceleration. */
export function scheduleView(state: LoanState, asOf: IsoDate): ScheduleRow[] {
  const rows: ScheduleRow[] = [];
  for (let i = 0; i < installmentCount(state); i++) {
    const dueDate = state.notes[0]!.installments[i]!.dueDate;
    const cmp = compareIsoDate(dueDate, asOf);
    const unpaid = loanUnpaidAt(state, i, unpaidTotal);
    rows.push({
      n: i + 1,
      dueDate,
      principalMinor: sumNotes(state, i, (x) => x.principalDueMinor),
      interestMinor: sumNotes(state, i, (x) => x.interestDueMinor),
      feeMinor: sumNotes(state, i, (x) => x.penaltyMinor),
      paidMinor: sumNotes(state, i, (x) => x.principalPaidMinor + x.interestPaidMinor + x.penaltyPaidMinor),
      leftMinor: unpaid,
      status: unpaid === 0 ? 'paid' : cmp > 0 ? (unpaid < loanUnpaidAt(state, i, (x) => x.principalDueMinor + x.interestDueMinor + x.penaltyMinor) ? 'partly_paid' : 'upcoming') : cmp === 0 ? 'due' : 'overdue',
    });
  }
  return rows;
}

export interface NoteSummary {
  noteId: string;
  principalMinor: number;
  rateBps: number;
  outstandingMinor: number;
  receivedPrincipalMinor: number;
  receivedInterestMinor: number;
  receivedPenaltyMinor: number;
  /** Prepayment fees received (docs/market-rules.md §6): income like interest. */
  receivedPrepaymentFeeMinor: number;
  status: NoteStatus;
}

export function noteSummaries(state: LoanState): NoteSummary[] {
  return state.notes.map((note) => {
    const sum = (f: (inst: Installment) => number): number => note.installments.reduce((a, x) => a + f(x), 0);
    return {
      noteId: note.noteId,
      principalMinor: note.principalMinor,
      rateBps: note.rateBps,
      outstandingMinor: outstandingPrincipalFrom(note, 0),
      receivedPrincipalMinor: sum((x) => x.principalPaidMinor),
      receivedInterestMinor: sum((x) => x.interestPaidMinor),
      receivedPenaltyMinor: sum((x) => x.penaltyPaidMinor),
      receivedPrepaymentFeeMinor: sum(feePaid),
      status: note.status,
    };
  });
}
