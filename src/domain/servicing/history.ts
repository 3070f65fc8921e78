/**
 * The borrower's repayment record kept with each loan (loans.installment_history), read by the rating's
 * "installments paid on time" and "worst days late" (docs/rating.md) and by the disclosure's late rates
 * (docs/servicing.md "Disclosure"). One entry per loan-level installment that carries anything, from the
 * moment it is settled or its due date has been closed unpaid. The state does not keep payment dates, so
 * the date an installment became fully paid is carried over from the previous record.
 */
import { compareIsoDate, daysBetween, type IsoDate } from '../dates.js';
import { installmentCount, loanUnpaidAt, unpaidTotal, type Installment, type LoanState } from './state.js';

export interface HistoryEntry {
  n: number;
  dueDate: IsoDate;
  /** The day the installment became fully paid (penalty included); null while anything is unpaid. */
  paidOn: IsoDate | null;
  /** Days after the due date it was paid, or has been unpaid as of the last closed day; 0 when early. */
  daysLate: number;
  /** Fully paid by its due date. */
  paidOnTime: boolean;
}

function carried(inst: Installment): number {
  return inst.principalDueMinor + inst.interestDueMinor + inst.penaltyMinor;
}

/**
 * The record after a change of `state` on `today` (a payment dated `today`, or the close of the days up
 * to state.servicedThrough). An installment with nothing scheduled (emptied by an early payoff or by
 * acceleration) has no entry: there was nothing to pay.
 */
export function installmentHistory(previous: readonly HistoryEntry[], state: LoanState, today: IsoDate): HistoryEntry[] {
  const before = new Map(previous.map((e) => [e.n, e]));
  const entries: HistoryEntry[] = [];
  for (let i = 0; i < installmentCount(state); i++) {
    if (loanUnpaidAt(state, i, carried) === 0) continue;
    const n = i + 1;
    const dueDate = state.notes[0]!.installments[i]!.dueDate;
    if (loanUnpaidAt(state, i, unpaidTotal) === 0) {
      const paidOn = before.get(n)?.paidOn ?? today;
      entries.push({ n, dueDate, paidOn, daysLate: Math.max(0, daysBetween(dueDate, paidOn)), paidOnTime: compareIsoDate(paidOn, dueDate) <= 0 });
    } else if (compareIsoDate(dueDate, state.servicedThrough) <= 0) {
      // Its due date is closed and it is not paid: not paid by its due date, late by the days since.
      entries.push({ n, dueDate, paidOn: null, daysLate: daysBetween(dueDate, state.servicedThrough), paidOnTime: false });
    }
  }
  return entries;
}

/** Due date of the oldest installment with anything unpaid; null when nothing is owed. */
export function nextDueDate(state: LoanState): IsoDate | null {
  for (let i = 0; i < installmentCount(state); i++) {
    if (loanUnpaidAt(state, i, unpaidTotal) > 0) return state.notes[0]!.installments[i]!.dueDate;
  }
  return null;
}
