/**
 * Public disclosure (GET /stats): what a lending information intermediary
 * publishes, month by month, computed from the servicing tables. Pure: the shell passes the loans, the
 * principal repaid per loan and day, and today. Definitions in docs/servicing.md "Disclosure".
 */
import { addMonthsToKey, compareIsoDate, daysBetween, daysInMonth, monthKey, type IsoDate } from '../dates.js';
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
  /** Its borrower is marked by operators as a party related to the platform. */
  relatedParty?: boolean;
  /** Interest of its schedule (the notes' installments as they stand), to set against interest paid. */
  scheduledInterestMinor?: number;
}

/** Interest paid into a loan on a day. */
export interface InterestPaid {
  loanId: string;
  paidOn: IsoDate;
  interestMinor: number;
}

/** A guarantor's payment (代偿) on a defaulted guaranteed loan. */
export interface GuarantorPaid {
  loanId: string;
  paidOn: IsoDate;
  amountMinor: number;
}

/** Figures beyond principal: interest paid and guarantor payments, by day. */
export interface DisclosureExtras {
  interestPaid?: readonly InterestPaid[];
  guarantorPaid?: readonly GuarantorPaid[];
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
  // The 2017 disclosure guideline's figures (docs/servicing.md "Disclosure").
  /** Principal and number of every loan disbursed by asOf. */
  lentToDateMinor: number;
  loansToDate: number;
  /** Scheduled interest not yet paid, on loans with principal outstanding. */
  outstandingInterestMinor: number;
  /** The ten largest borrowers' share of outstanding principal, and the largest one's, bps. */
  top10ShareBps: number;
  largestShareBps: number;
  /** Loans to related parties with principal outstanding, and that principal. */
  relatedPartyLoans: number;
  relatedPartyOutstandingMinor: number;
  /** Overdue: outstanding with an installment unpaid past its due date (defaulted included); over 90 days past due. */
  overdueLoans: number;
  overduePrincipalMinor: number;
  overdue90Loans: number;
  overdue90PrincipalMinor: number;
  /** Overdue loans / outstanding loans, overdue principal / outstanding principal, bps. */
  overdueLoanRateBps: number;
  overdueAmountRateBps: number;
  /** Guarantor payments (代偿) made by asOf, amount and count. */
  guarantorPaidToDateMinor: number;
  guarantorPaymentsToDate: number;
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

/** Days past due at the end of `day`: since the oldest installment due before it and unpaid by its end; 0 if none. */
export function daysPastDueOn(history: readonly HistoryEntry[], day: IsoDate): number {
  let oldest: IsoDate | null = null;
  for (const h of history) {
    if (compareIsoDate(h.dueDate, day) < 0 && (h.paidOn === null || compareIsoDate(h.paidOn, day) > 0)) {
      if (oldest === null || compareIsoDate(h.dueDate, oldest) < 0) oldest = h.dueDate;
    }
  }
  return oldest === null ? 0 : daysBetween(oldest, day);
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

interface Sums {
  repaidBy: (loanId: string, day: IsoDate) => number;
  interestBy: (loanId: string, day: IsoDate) => number;
  guarantorPaid: readonly GuarantorPaid[];
}

function monthStats(month: string, asOf: IsoDate, loans: readonly DisclosureLoan[], sums: Sums, gradeOrder: readonly string[]): MonthStats {
  const { repaidBy } = sums;
  const disbursed = loans.filter((l) => compareIsoDate(l.disbursedOn, asOf) <= 0);
  const lentInMonth = disbursed.filter((l) => monthKey(l.disbursedOn) === month);
  const open: LoanAt[] = disbursed
    .map((loan) => {
      const defaulted = loan.defaultedOn !== null && compareIsoDate(loan.defaultedOn, asOf) <= 0;
      return { loan, outstandingMinor: loan.principalMinor - repaidBy(loan.id, asOf), defaulted, late: !defaulted && lateOn(loan.history, asOf) };
    })
    .filter((l) => l.outstandingMinor > 0);
  const all = gradeStats('all', open);
  const byBorrower = new Map<string, number>();
  for (const l of open) byBorrower.set(l.loan.borrowerId, (byBorrower.get(l.loan.borrowerId) ?? 0) + l.outstandingMinor);
  const largest = [...byBorrower.values()].sort((a, b) => b - a);
  const top10 = largest.slice(0, 10).reduce((a, x) => a + x, 0);
  const related = open.filter((l) => l.loan.relatedParty);
  const dpd = (l: LoanAt) => daysPastDueOn(l.loan.history, asOf);
  const overdue = open.filter((l) => l.defaulted || dpd(l) > 0);
  // A defaulted loan stays over 90 days past due even after recoveries paid its oldest installments.
  const overdue90 = overdue.filter((l) => l.defaulted || dpd(l) > 90);
  const sumOut = (xs: readonly LoanAt[]) => xs.reduce((a, l) => a + l.outstandingMinor, 0);
  const paidByGuarantors = sums.guarantorPaid.filter((g) => compareIsoDate(g.paidOn, asOf) <= 0);
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
    lentToDateMinor: disbursed.reduce((a, l) => a + l.principalMinor, 0),
    loansToDate: disbursed.length,
    outstandingInterestMinor: open.reduce((a, l) => a + Math.max(0, (l.loan.scheduledInterestMinor ?? 0) - sums.interestBy(l.loan.id, asOf)), 0),
    top10ShareBps: rateBps(top10, all.outstandingPrincipalMinor),
    largestShareBps: rateBps(largest[0] ?? 0, all.outstandingPrincipalMinor),
    relatedPartyLoans: related.length,
    relatedPartyOutstandingMinor: sumOut(related),
    overdueLoans: overdue.length,
    overduePrincipalMinor: sumOut(overdue),
    overdue90Loans: overdue90.length,
    overdue90PrincipalMinor: sumOut(overdue90),
    overdueLoanRateBps: open.length === 0 ? 0 : toMinorHalfEven(decFromInt(overdue.length).mul(10_000).div(open.length)),
    overdueAmountRateBps: rateBps(sumOut(overdue), all.outstandingPrincipalMinor),
    guarantorPaidToDateMinor: paidByGuarantors.reduce((a, g) => a + g.amountMinor, 0),
    guarantorPaymentsToDate: paidByGuarantors.length,
  };
}

/** One row per month from the first disbursement to today's month, oldest first. */
export function disclosureSeries(loans: readonly DisclosureLoan[], repaid: readonly PrincipalRepaid[], today: IsoDate, gradeOrder: readonly string[], extras: DisclosureExtras = {}): MonthStats[] {
  if (loans.length === 0) return [];
  const byLoan = new Map<string, PrincipalRepaid[]>();
  for (const r of repaid) byLoan.set(r.loanId, [...(byLoan.get(r.loanId) ?? []), r]);
  const repaidBy = (loanId: string, day: IsoDate) =>
    (byLoan.get(loanId) ?? []).reduce((a, r) => (compareIsoDate(r.paidOn, day) <= 0 ? a + r.principalMinor : a), 0);
  const interestOf = new Map<string, InterestPaid[]>();
  for (const r of extras.interestPaid ?? []) interestOf.set(r.loanId, [...(interestOf.get(r.loanId) ?? []), r]);
  const interestBy = (loanId: string, day: IsoDate) =>
    (interestOf.get(loanId) ?? []).reduce((a, r) => (compareIsoDate(r.paidOn, day) <= 0 ? a + r.interestMinor : a), 0);
  const sums: Sums = { repaidBy, interestBy, guarantorPaid: extras.guarantorPaid ?? [] };
  const first = loans.reduce((a, l) => (compareIsoDate(l.disbursedOn, a) < 0 ? l.disbursedOn : a), loans[0]!.disbursedOn);
  const rows: MonthStats[] = [];
  for (let m = monthKey(first); m <= monthKey(today); m = addMonthsToKey(m, 1)) {
    const end = monthEnd(m);
    rows.push(monthStats(m, compareIsoDate(end, today) < 0 ? end : today, loans, sums, gradeOrder));
  }
  return rows;
}

