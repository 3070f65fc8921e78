/**
 * A loan's standing as of a date, in one place (the loan page, the borrower's loans, the lender's notes
 * and portfolio, the CSV exports and the e-mails all show this): current, late, defaulted or repaid, the
 * days past due and bucket on that date, and the next amount due. Pure; the shell closes the days before
 * the date first (a read never waits for the daily job).
 */
import type { IsoDate } from '../dates.js';
import { delinquency } from './daily.js';
import { installmentCount, loanUnpaidAt, unpaidTotal, type Bucket, type LoanState, type ServicingSettings } from './state.js';

export type Standing = 'current' | 'late' | 'defaulted' | 'repaid';

export interface LoanStanding {
  standing: Standing;
  daysPastDue: number;
  bucket: Bucket;
  /** Loan-level installments late on the date (unpaid past the grace days). */
  lateInstallments: number[];
  /** The oldest installment with anything unpaid: its due date and what is left of it. */
  nextDue: { n: number; dueDate: IsoDate; amountMinor: number } | null;
}

export function loanStanding(state: LoanState, date: IsoDate, settings: ServicingSettings): LoanStanding {
  const d = delinquency(state, date, settings);
  let nextDue: LoanStanding['nextDue'] = null;
  for (let i = 0; i < installmentCount(state) && state.status !== 'repaid'; i++) {
    const left = loanUnpaidAt(state, i, unpaidTotal);
    if (left > 0) {
      nextDue = { n: i + 1, dueDate: state.notes[0]!.installments[i]!.dueDate, amountMinor: left };
      break;
    }
  }
  const standing: Standing = state.status === 'repaid' ? 'repaid' : state.status === 'defaulted' ? 'defaulted' : d.daysPastDue > 0 ? 'late' : 'current';
  return { standing, daysPastDue: state.status === 'repaid' ? 0 : d.daysPastDue, bucket: state.status === 'repaid' ? 'current' : d.bucket, lateInstallments: d.lateInstallments, nextDue };
}
