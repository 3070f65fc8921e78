import { describe, expect, it } from 'vitest';
import { GRADES } from '../../../src/domain/grades.js';
import { disclosureSeries, type DisclosureLoan, type InterestPaid, type PrincipalRepaid } from '../../../src/domain/servicing/index.js';

/**
 * The worked history of docs/servicing.md "Disclosure": twelve borrowers, loans disbursed across four
 * months (January to April 2031), figures for each month at its last day and for today (15 June).
 * Every loan is interest-only at 9 % a year (0.75 % a month) over 12 months. L3 pays its first
 * installment and stops (late more than 90 days by June, not defaulted: DEFAULT_AFTER_DAYS is 120 in
 * this history); L4 never pays, defaults on 6 June and its guarantor pays ¥8,680 (80 % of its claim)
 * on 10 June; L5's borrower is a related party; L8 pays its first installment 8 days late; L9 is
 * repaid early on 10 May; L12 misses its first installment (20 May). The expected figures were worked
 * out by hand (and are the table of the docs page).
 */
const LOANS: DisclosureLoan[] = [
  { id: 'L1', borrowerId: 'B1', grade: 'A', principalMinor: 3000000, disbursedOn: '2031-01-05', lenderIds: ['x1', 'x2'], relatedParty: false, defaultedOn: null, scheduledInterestMinor: 270000,
    history: [{ n: 1, dueDate: '2031-02-05', paidOn: '2031-02-05', daysLate: 0, paidOnTime: true }, { n: 2, dueDate: '2031-03-05', paidOn: '2031-03-05', daysLate: 0, paidOnTime: true }, { n: 3, dueDate: '2031-04-05', paidOn: '2031-04-05', daysLate: 0, paidOnTime: true }, { n: 4, dueDate: '2031-05-05', paidOn: '2031-05-05', daysLate: 0, paidOnTime: true }, { n: 5, dueDate: '2031-06-05', paidOn: '2031-06-05', daysLate: 0, paidOnTime: true }] },
  { id: 'L2', borrowerId: 'B2', grade: 'A', principalMinor: 1000000, disbursedOn: '2031-01-05', lenderIds: ['x1'], relatedParty: false, defaultedOn: null, scheduledInterestMinor: 90000,
    history: [{ n: 1, dueDate: '2031-02-05', paidOn: '2031-02-05', daysLate: 0, paidOnTime: true }, { n: 2, dueDate: '2031-03-05', paidOn: '2031-03-05', daysLate: 0, paidOnTime: true }, { n: 3, dueDate: '2031-04-05', paidOn: '2031-04-05', daysLate: 0, paidOnTime: true }, { n: 4, dueDate: '2031-05-05', paidOn: '2031-05-05', daysLate: 0, paidOnTime: true }, { n: 5, dueDate: '2031-06-05', paidOn: '2031-06-05', daysLate: 0, paidOnTime: true }] },
  { id: 'L3', borrowerId: 'B3', grade: 'B', principalMinor: 1000000, disbursedOn: '2031-01-05', lenderIds: ['x2'], relatedParty: false, defaultedOn: null, scheduledInterestMinor: 90000,
    history: [{ n: 1, dueDate: '2031-02-05', paidOn: '2031-02-05', daysLate: 0, paidOnTime: true }, { n: 2, dueDate: '2031-03-05', paidOn: null, daysLate: 0, paidOnTime: false }, { n: 3, dueDate: '2031-04-05', paidOn: null, daysLate: 0, paidOnTime: false }, { n: 4, dueDate: '2031-05-05', paidOn: null, daysLate: 0, paidOnTime: false }, { n: 5, dueDate: '2031-06-05', paidOn: null, daysLate: 0, paidOnTime: false }] },
  { id: 'L4', borrowerId: 'B4', grade: 'B', principalMinor: 1000000, disbursedOn: '2031-01-05', lenderIds: ['x3'], relatedParty: false, defaultedOn: '2031-06-06', scheduledInterestMinor: 30000,
    history: [{ n: 1, dueDate: '2031-02-05', paidOn: null, daysLate: 0, paidOnTime: false }, { n: 2, dueDate: '2031-03-05', paidOn: null, daysLate: 0, paidOnTime: false }, { n: 3, dueDate: '2031-04-05', paidOn: null, daysLate: 0, paidOnTime: false }, { n: 4, dueDate: '2031-05-05', paidOn: null, daysLate: 0, paidOnTime: false }, { n: 5, dueDate: '2031-06-05', paidOn: null, daysLate: 0, paidOnTime: false }] },
  { id: 'L5', borrowerId: 'B5', grade: 'C', principalMinor: 1000000, disbursedOn: '2031-01-20', lenderIds: ['x1'], relatedParty: true, defaultedOn: null, scheduledInterestMinor: 90000,
    history: [{ n: 1, dueDate: '2031-02-20', paidOn: '2031-02-20', daysLate: 0, paidOnTime: true }, { n: 2, dueDate: '2031-03-20', paidOn: '2031-03-20', daysLate: 0, paidOnTime: true }, { n: 3, dueDate: '2031-04-20', paidOn: '2031-04-20', daysLate: 0, paidOnTime: true }, { n: 4, dueDate: '2031-05-20', paidOn: '2031-05-20', daysLate: 0, paidOnTime: true }] },
  { id: 'L6', borrowerId: 'B6', grade: 'C', principalMinor: 1000000, disbursedOn: '2031-02-10', lenderIds: ['x2'], relatedParty: false, defaultedOn: null, scheduledInterestMinor: 90000,
    history: [{ n: 1, dueDate: '2031-03-10', paidOn: '2031-03-10', daysLate: 0, paidOnTime: true }, { n: 2, dueDate: '2031-04-10', paidOn: '2031-04-10', daysLate: 0, paidOnTime: true }, { n: 3, dueDate: '2031-05-10', paidOn: '2031-05-10', daysLate: 0, paidOnTime: true }, { n: 4, dueDate: '2031-06-10', paidOn: '2031-06-10', daysLate: 0, paidOnTime: true }] },
  { id: 'L7', borrowerId: 'B7', grade: 'A', principalMinor: 1000000, disbursedOn: '2031-02-10', lenderIds: ['x3'], relatedParty: false, defaultedOn: null, scheduledInterestMinor: 90000,
    history: [{ n: 1, dueDate: '2031-03-10', paidOn: '2031-03-10', daysLate: 0, paidOnTime: true }, { n: 2, dueDate: '2031-04-10', paidOn: '2031-04-10', daysLate: 0, paidOnTime: true }, { n: 3, dueDate: '2031-05-10', paidOn: '2031-05-10', daysLate: 0, paidOnTime: true }, { n: 4, dueDate: '2031-06-10', paidOn: '2031-06-10', daysLate: 0, paidOnTime: true }] },
  { id: 'L8', borrowerId: 'B8', grade: 'B', principalMinor: 1000000, disbursedOn: '2031-02-25', lenderIds: ['x1'], relatedParty: false, defaultedOn: null, scheduledInterestMinor: 90000,
    history: [{ n: 1, dueDate: '2031-03-25', paidOn: '2031-04-02', daysLate: 0, paidOnTime: false }, { n: 2, dueDate: '2031-04-25', paidOn: '2031-04-25', daysLate: 0, paidOnTime: true }, { n: 3, dueDate: '2031-05-25', paidOn: '2031-05-25', daysLate: 0, paidOnTime: true }] },
  { id: 'L9', borrowerId: 'B9', grade: 'A', principalMinor: 1000000, disbursedOn: '2031-03-10', lenderIds: ['x2'], relatedParty: false, defaultedOn: null, scheduledInterestMinor: 22500,
    history: [{ n: 1, dueDate: '2031-04-10', paidOn: '2031-04-10', daysLate: 0, paidOnTime: true }, { n: 2, dueDate: '2031-05-10', paidOn: '2031-05-10', daysLate: 0, paidOnTime: true }] },
  { id: 'L10', borrowerId: 'B10', grade: 'B', principalMinor: 1000000, disbursedOn: '2031-03-15', lenderIds: ['x3'], relatedParty: false, defaultedOn: null, scheduledInterestMinor: 90000,
    history: [{ n: 1, dueDate: '2031-04-15', paidOn: '2031-04-15', daysLate: 0, paidOnTime: true }, { n: 2, dueDate: '2031-05-15', paidOn: '2031-05-15', daysLate: 0, paidOnTime: true }] },
  { id: 'L11', borrowerId: 'B11', grade: 'C', principalMinor: 1000000, disbursedOn: '2031-04-05', lenderIds: ['x1'], relatedParty: false, defaultedOn: null, scheduledInterestMinor: 90000,
    history: [{ n: 1, dueDate: '2031-05-05', paidOn: '2031-05-05', daysLate: 0, paidOnTime: true }, { n: 2, dueDate: '2031-06-05', paidOn: '2031-06-05', daysLate: 0, paidOnTime: true }] },
  { id: 'L12', borrowerId: 'B12', grade: 'A', principalMinor: 1000000, disbursedOn: '2031-04-20', lenderIds: ['x2'], relatedParty: false, defaultedOn: null, scheduledInterestMinor: 90000,
    history: [{ n: 1, dueDate: '2031-05-20', paidOn: null, daysLate: 0, paidOnTime: false }] },
];
const PRINCIPAL: PrincipalRepaid[] = [{ loanId: 'L9', paidOn: '2031-05-10', principalMinor: 1000000 }, { loanId: 'L4', paidOn: '2031-06-10', principalMinor: 783000 }];
const INTEREST: InterestPaid[] = [
  { loanId: 'L1', paidOn: '2031-02-05', interestMinor: 22500 },
  { loanId: 'L1', paidOn: '2031-03-05', interestMinor: 22500 },
  { loanId: 'L1', paidOn: '2031-04-05', interestMinor: 22500 },
  { loanId: 'L1', paidOn: '2031-05-05', interestMinor: 22500 },
  { loanId: 'L1', paidOn: '2031-06-05', interestMinor: 22500 },
  { loanId: 'L2', paidOn: '2031-02-05', interestMinor: 7500 },
  { loanId: 'L2', paidOn: '2031-03-05', interestMinor: 7500 },
  { loanId: 'L2', paidOn: '2031-04-05', interestMinor: 7500 },
  { loanId: 'L2', paidOn: '2031-05-05', interestMinor: 7500 },
  { loanId: 'L2', paidOn: '2031-06-05', interestMinor: 7500 },
  { loanId: 'L3', paidOn: '2031-02-05', interestMinor: 7500 },
  { loanId: 'L5', paidOn: '2031-02-20', interestMinor: 7500 },
  { loanId: 'L5', paidOn: '2031-03-20', interestMinor: 7500 },
  { loanId: 'L5', paidOn: '2031-04-20', interestMinor: 7500 },
  { loanId: 'L5', paidOn: '2031-05-20', interestMinor: 7500 },
  { loanId: 'L6', paidOn: '2031-03-10', interestMinor: 7500 },
  { loanId: 'L6', paidOn: '2031-04-10', interestMinor: 7500 },
  { loanId: 'L6', paidOn: '2031-05-10', interestMinor: 7500 },
  { loanId: 'L6', paidOn: '2031-06-10', interestMinor: 7500 },
  { loanId: 'L7', paidOn: '2031-03-10', interestMinor: 7500 },
  { loanId: 'L7', paidOn: '2031-04-10', interestMinor: 7500 },
  { loanId: 'L7', paidOn: '2031-05-10', interestMinor: 7500 },
  { loanId: 'L7', paidOn: '2031-06-10', interestMinor: 7500 },
  { loanId: 'L8', paidOn: '2031-04-02', interestMinor: 7500 },
  { loanId: 'L8', paidOn: '2031-04-25', interestMinor: 7500 },
  { loanId: 'L8', paidOn: '2031-05-25', interestMinor: 7500 },
  { loanId: 'L9', paidOn: '2031-04-10', interestMinor: 7500 },
  { loanId: 'L9', paidOn: '2031-05-10', interestMinor: 7500 },
  { loanId: 'L10', paidOn: '2031-04-15', interestMinor: 7500 },
  { loanId: 'L10', paidOn: '2031-05-15', interestMinor: 7500 },
  { loanId: 'L11', paidOn: '2031-05-05', interestMinor: 7500 },
  { loanId: 'L11', paidOn: '2031-06-05', interestMinor: 7500 },
  { loanId: 'L4', paidOn: '2031-06-10', interestMinor: 30000 },
];
const KEYS = ['month', 'asOf', 'volumeLentMinor', 'loansDisbursed', 'lentToDateMinor', 'loansToDate', 'outstandingPrincipalMinor', 'outstandingLoans', 'outstandingInterestMinor', 'borrowers', 'lenders', 'borrowersToDate', 'lendersToDate', 'top10ShareBps', 'largestShareBps', 'relatedPartyLoans', 'relatedPartyOutstandingMinor', 'overdueLoans', 'overduePrincipalMinor', 'overdue90Loans', 'overdue90PrincipalMinor', 'overdueLoanRateBps', 'overdueAmountRateBps', 'guarantorPaidToDateMinor', 'guarantorPaymentsToDate', 'lateRateBps', 'defaultRateBps'] as const;
/** One row per month, in the order of KEYS (docs/servicing.md "Disclosure", the worked history). */
const EXPECTED: (string | number)[][] = [
  ['2031-01', '2031-01-31', 7_000_000, 5, 7_000_000, 5, 7_000_000, 5, 570_000, 5, 3, 5, 3, 10_000, 4_286, 1, 1_000_000, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0],
  ['2031-02', '2031-02-28', 3_000_000, 3, 10_000_000, 8, 10_000_000, 8, 795_000, 8, 3, 8, 3, 10_000, 3_000, 1, 1_000_000, 1, 1_000_000, 0, 0, 1_250, 1_000, 0, 0, 1_000, 0],
  ['2031-03', '2031-03-31', 2_000_000, 2, 12_000_000, 10, 12_000_000, 10, 855_000, 10, 3, 10, 3, 10_000, 2_500, 1, 1_000_000, 3, 3_000_000, 0, 0, 3_000, 2_500, 0, 0, 2_500, 0],
  ['2031-04', '2031-04-30', 2_000_000, 2, 14_000_000, 12, 14_000_000, 12, 952_500, 12, 3, 12, 3, 8_571, 2_143, 1, 1_000_000, 2, 2_000_000, 0, 0, 1_667, 1_429, 0, 0, 1_429, 0],
  ['2031-05', '2031-05-31', 0, 0, 14_000_000, 12, 13_000_000, 11, 862_500, 11, 3, 12, 3, 9_231, 2_308, 1, 1_000_000, 3, 3_000_000, 1, 1_000_000, 2_727, 2_308, 0, 0, 2_308, 0],
  ['2031-06', '2031-06-15', 0, 0, 14_000_000, 12, 12_217_000, 11, 780_000, 11, 3, 12, 3, 9_822, 2_456, 1, 1_000_000, 3, 2_217_000, 2, 1_217_000, 2_727, 1_815, 868_000, 1, 1_637, 178],
];

describe('disclosure figures of the guideline (docs/servicing.md "Disclosure")', () => {
  const months = disclosureSeries(LOANS, PRINCIPAL, '2031-06-15', GRADES, { interestPaid: INTEREST, guarantorPaid: [{ loanId: 'L4', paidOn: '2031-06-10', amountMinor: 868_000 }] });

  it('has one row per month from the first disbursement to today, each as of its last day or today', () => {
    expect(months.map((m) => [m.month, m.asOf])).toEqual(EXPECTED.map((r) => [r[0], r[1]]));
  });

  for (const [i, row] of EXPECTED.entries()) {
    it(`${row[0]}: every figure as worked out by hand`, () => {
      const got = months[i]! as unknown as Record<string, unknown>;
      expect(Object.fromEntries(KEYS.map((k) => [k, got[k]]))).toEqual(Object.fromEntries(KEYS.map((k, j) => [k, row[j]])));
    });
  }

  it('marks a borrower related after the fact in every month it had principal outstanding', () => {
    const marked = disclosureSeries(LOANS.map((l) => (l.id === 'L2' ? { ...l, relatedParty: true } : l)), PRINCIPAL, '2031-06-15', GRADES, { interestPaid: INTEREST });
    expect(marked.map((m) => m.relatedPartyLoans)).toEqual([2, 2, 2, 2, 2, 2]);
  });
});
