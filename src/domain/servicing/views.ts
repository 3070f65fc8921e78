/**
 * Read models of the servicing state for API.md "Loans": the loan's schedule with what is paid
 * (GET /loans/:id) and the note summaries of a lender's portfolio (GET /me/notes). Pure sums over notes.
 */
import { compareIsoDate, type IsoDate } from '../dates.js';
import {
  installmentCount,
  loanUnpaidAt,
  outstandingPrincipalFrom,
  unpaidTotal,
  type Installment,
  type LoanState,
  type NoteStatus,
} from './state.js';

export type InstallmentStatus = 'paid' | 'upcoming' | 'due' | 'overdue';

export interface ScheduleRow {
  n: number;
  dueDate: IsoDate;
  principalMinor: number;
  interestMinor: number;
  /** Late fees accrued. */
  feeMinor: number;
  paidMinor: number;
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
      status: unpaid === 0 ? 'paid' : cmp > 0 ? 'upcoming' : cmp === 0 ? 'due' : 'overdue',
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
      status: note.status,
    };
  });
}
