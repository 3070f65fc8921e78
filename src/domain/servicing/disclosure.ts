/**
 * Public disclosure (GET /stats): what a lending information intermediary
 * publishes, month by month, computed from the servicing tables. Pure: the shell passes the loans, the
 * principal repaid per loan and day, and today. Definitions in docs/servicing.md "Disclosure".
 */
import { addMonthsToKey, compareIsoDate, daysInMonth, monthKey, type IsoDate } from '../dates.js';
import { decFromInt, toMinorHalfEven } from '../decimal.js';
import type { HistoryEntry } from './history.js';

export interface DisclosureLoan {
  id: string;
  grade: string;
  borrowerId: string;
  lenderIds: readonly string[];
  principalMinor: number;
  disbursedOn: IsoDate;
  defaultedOn: IsoDate | null;
  history: readonly HistoryEntry[];
}

export interface PrincipalRepaid {
  loanId: string;
  paidOn: IsoDate;
  principalMinor: number;
}

export interface GradeStats {
  grade: string;
  loans: number;
  outstandingPrincipalMinor: number;
  lateLoans: number;
  latePrincipalMinor: number;
  defaultedLoans: number;
  defaultedPrincipalMinor: number;
  /** Late outstanding principal over outstanding principal, bps. */
  lateRateBps: number;
  defaultRateBps: number;
}

export interface MonthStats {
  month: string;
  /** The day the figures are taken: the month's last day, or today for the current month. */
  asOf: IsoDate;
  volumeLentMinor: number;
  loansDisbursed: number;
  outstandingPrincipalMinor: number;
  outstandingLoans: number;
  /** Borrowers and lenders with principal outstanding on asOf. */
  borrowers: number;
  lenders: number;
  /** Every borrower and lender with a loan disbursed by asOf. */
  borrowersToDate: number;
  lendersToDate: number;
  lateRateBps: number;
  defaultRateBps: number;
  byGrade: GradeStats[];
}

function monthEnd(month: string): IsoDate {
  const year = Number(month.slice(0, 4));
  const m = Number(month.slice(5, 7));
  return `${month}-${String(daysInMonth(year, m)).padStart(2, '0')}`;
}

function rateBps(partMinor: number, wholeMinor: number): number {
  return wholeMinor === 0 ? 0 : toMinorHalfEven(decFromInt(partMinor).mul(10_000).div(decFromInt(wholeMinor)));
}

/** Past due at the end of `day`: an installment due before it and not fully paid by its end (dpd > 0). */
export function lateOn(history: readonly HistoryEntry[], day: IsoDate): boolean {
  return history.some((h) => compareIsoDate(h.dueDate, day) < 0 && (h.paidOn === null || compareIsoDate(h.paidOn, day) > 0));
}

interface LoanAt {
  loan: DisclosureLoan;
  outstandingMinor: number;
  defaulted: boolean;
  late: boolean;
}

function gradeStats(grade: string, loans: readonly LoanAt[]): GradeStats {
  const outstanding = loans.reduce((a, l) => a + l.outstandingMinor, 0);
  const late = loans.filter((l) => l.late);
  const defaulted = loans.filter((l) => l.defaulted);
  const latePrincipal = late.reduce((a, l) => a + l.outstandingMinor, 0);
  const defaultedPrincipal = defaulted.reduce((a, l) => a + l.outstandingMinor, 0);
  return {
    grade,
    loans: loans.length,
    outstandingPrincipalMinor: outstanding,
    lateLoans: late.length,
    latePrincipalMinor: latePrincipal,
    defaultedLoans: defaulted.length,
    defaultedPrincipalMinor: defaultedPrincipal,
    lateRateBps: rateBps(latePrincipal, outstanding),
    defaultRateBps: rateBps(defaultedPrincipal, outstanding),
  };
}

function monthStats(month: string, asOf: IsoDate, loans: readonly DisclosureLoan[], repaidBy: (loanId: string, day: IsoDate) => number, gradeOrder: readonly string[]): MonthStats {
  const disbursed = loans.filter((l) => compareIsoDate(l.disbursedOn, asOf) <= 0);
  const lentInMonth = disbursed.filter((l) => monthKey(l.disbursedOn) === month);
  const open: LoanAt[] = disbursed
    .map((loan) => {
      const defaulted = loan.defaultedOn !== null && compareIsoDate(loan.defaultedOn, asOf) <= 0;
      return { loan, outstandingMinor: loan.principalMinor - repaidBy(loan.id, asOf), defaulted, late: !defaulted && lateOn(loan.history, asOf) };
    })
    .filter((l) => l.outstandingMinor > 0);
  const all = gradeStats('all', open);
  const grades = [...new Set(open.map((l) => l.loan.grade))].sort((a, b) => gradeOrder.indexOf(a) - gradeOrder.indexOf(b));
  return {
    month,
    asOf,
    volumeLentMinor: lentInMonth.reduce((a, l) => a + l.principalMinor, 0),
    loansDisbursed: lentInMonth.length,
    outstandingPrincipalMinor: all.outstandingPrincipalMinor,
    outstandingLoans: open.length,
    borrowers: new Set(open.map((l) => l.loan.borrowerId)).size,
    lenders: new Set(open.flatMap((l) => l.loan.lenderIds)).size,
    borrowersToDate: new Set(disbursed.map((l) => l.borrowerId)).size,
    lendersToDate: new Set(disbursed.flatMap((l) => l.lenderIds)).size,
    lateRateBps: all.lateRateBps,
    defaultRateBps: all.defaultRateBps,
    byGrade: grades.map((g) => gradeStats(g, open.filter((l) => l.loan.grade === g))),
  };
}

/** One row per month from the first disbursement to today's month, oldest first. */
export function disclosureSeries(loans: readonly DisclosureLoan[], repaid: readonly PrincipalRepaid[], today: IsoDate, gradeOrder: readonly string[]): MonthStats[] {
  if (loans.length === 0) return [];
  const byLoan = new Map<string, PrincipalRepaid[]>();
  for (const r of repaid) byLoan.set(r.loanId, [...(byLoan.get(r.loanId) ?? []), r]);
  const repaidBy = (loanId: string, day: IsoDate) =>
    (byLoan.get(loanId) ?? []).reduce((a, r) => (compareIsoDate(r.paidOn, day) <= 0 ? a + r.principalMinor : a), 0);
  const first = loans.reduce((a, l) => (compareIsoDate(l.disbursedOn, a) < 0 ? l.disbursedOn : a), loans[0]!.disbursedOn);
  const rows: MonthStats[] = [];
  for (let m = monthKey(first); m <= monthKey(today); m = addMonthsToKey(m, 1)) {
    const end = monthEnd(m);
    rows.push(monthStats(m, compareIsoDate(end, today) < 0 ? end : today, loans, repaidBy, gradeOrder));
  }
  return rows;
}

