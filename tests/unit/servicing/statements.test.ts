/**
 * The pure read models added for statements and disclosure: the repayment record, realised yield, cash by
 * month, yuan formatting and the monthly disclosure series. Figures are hand-computed in the comments.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  accrueDay,
  applyPayment,
  cashByMonth,
  disclosureSeries,
  formatYuan,
  installmentHistory,
  lateOn,
  nextDueDate,
  openLoan,
  principalDays,
  realisedYield,
  shownDelinquency,
  type LoanState,
  type StatementNote,
} from '../../../src/domain/servicing/index.js';
import { SETTINGS } from './arbitraries.js';

function pay(state: LoanState, amountMinor: number, paidOn: string): LoanState {
  const r = applyPayment(state, amountMinor, paidOn, SETTINGS);
  if (!r.ok) throw new Error(r.detail);
  return r.state;
}

describe('formatYuan', () => {
  it('formats minor units by integer division', () => {
    expect([0, 5, 50, 100, 123_456, -5, -123_456, 100_000_000_000_01].map(formatYuan)).toEqual(['0.00', '0.05', '0.50', '1.00', '1234.56', '-0.05', '-1234.56', '100000000000.01']);
  });

  it('round-trips every safe amount: yuan × 100 + fen gives the amount back', () => {
    fc.assert(
      fc.property(fc.integer({ min: -(2 ** 53) + 1, max: 2 ** 53 - 1 }), (n) => {
        const text = formatYuan(n);
        expect(text).toMatch(/^-?\d+\.\d{2}$/);
        const [whole, fen] = text.replace('-', '').split('.');
        expect((BigInt(whole!) * 100n + BigInt(fen!)) * (n < 0 ? -1n : 1n)).toBe(BigInt(n));
      }),
    );
  });
});

describe('the repayment record', () => {
  const terms = { disbursedOn: '2031-03-01', termMonths: 3, repayment: 'interest_only' as const, notes: [{ noteId: 'a', principalMinor: 100_000, rateBps: 1200 }] };

  it('an installment paid on its due date is on time; one paid 7 days late is not; an unpaid closed one is late by the days since', () => {
    let s = pay(openLoan(terms), 1_000, '2031-04-01');
    let h = installmentHistory([], s, '2031-04-01');
    expect(h).toEqual([{ n: 1, dueDate: '2031-04-01', paidOn: '2031-04-01', daysLate: 0, paidOnTime: true }]);
    s = accrueDay(s, '2031-05-06', SETTINGS).state;
    h = installmentHistory(h, s, '2031-05-07');
    expect(h[1]).toEqual({ n: 2, dueDate: '2031-05-01', paidOn: null, daysLate: 5, paidOnTime: false });
    // Late 5–7 May, but round(1,000 × 0.0005 = 0.5) is 0 (half-even): 1,000 settles it, 50 pays June's interest early.
    s = pay(s, 1_000 + 50, '2031-05-08');
    h = installmentHistory(h, s, '2031-05-08');
    expect(h.map((e) => [e.n, e.paidOn, e.daysLate, e.paidOnTime])).toEqual([
      [1, '2031-04-01', 0, true],
      [2, '2031-05-08', 7, false],
    ]);
    expect(nextDueDate(s)).toBe('2031-06-01');
  });

  it('the first payment date is kept; installments emptied by a payoff have no entry', () => {
    let s = pay(openLoan(terms), 1_000, '2031-04-01');
    const h1 = installmentHistory([], s, '2031-04-01');
    s = pay(s, 100_000 + 500, '2031-04-16'); // the payoff: 15 of 30 days of interest, all principal
    const h2 = installmentHistory(h1, s, '2031-04-16');
    expect(s.status).toBe('repaid');
    expect(h2.map((e) => [e.n, e.paidOn, e.paidOnTime])).toEqual([
      [1, '2031-04-01', true],
      [2, '2031-04-16', true],
    ]);
    expect(nextDueDate(s)).toBeNull();
  });

  it('a repaid loan shows nothing past due', () => {
    expect(shownDelinquency({ status: 'repaid', daysPastDue: 6, bucket: 'dpd_1_30' })).toEqual({ daysPastDue: 0, bucket: 'current' });
    expect(shownDelinquency({ status: 'defaulted', daysPastDue: 95, bucket: 'default' })).toEqual({ daysPastDue: 95, bucket: 'default' });
  });
});

describe('realised yield and cash by month', () => {
  const note = (over: Partial<StatementNote>): StatementNote => ({
    principalMinor: 100_000,
    rateBps: 1200,
    termMonths: 3,
    repayment: 'interest_only',
    disbursedOn: '2032-03-01',
    defaultedOn: null,
    defaulted: false,
    outstandingMinor: 100_000,
    receipts: [],
    ...over,
  });
  const paidOnTime = note({
    outstandingMinor: 0,
    receipts: [
      { paidOn: '2032-04-01', principalMinor: 0, interestMinor: 1_000, penaltyMinor: 0 },
      { paidOn: '2032-05-01', principalMinor: 0, interestMinor: 1_000, penaltyMinor: 0 },
      { paidOn: '2032-06-01', principalMinor: 100_000, interestMinor: 1_000, penaltyMinor: 0 },
    ],
  });

  it('principal-days: principal × days, less what was repaid × the days after', () => {
    // 100,000 × 92 days (1 Mar – 1 Jun), nothing after the payoff.
    expect(principalDays(paidOnTime, '2032-07-15')).toBe(9_200_000);
    const half = note({ receipts: [{ paidOn: '2032-03-11', principalMinor: 50_000, interestMinor: 0, penaltyMinor: 0 }] });
    // 100,000 × 10 + 50,000 × 20 = 2,000,000 to 31 March.
    expect(principalDays(half, '2032-03-31')).toBe(2_000_000);
  });

  it('12% paid on time yields 3,000 × 365 × 10,000 / 9,200,000 = 1,190.2 → 1,190 bps; a default counts its principal lost', () => {
    expect(realisedYield([paidOnTime], '2032-07-15')).toEqual({ interestReceivedMinor: 3_000, penaltyReceivedMinor: 0, transferResultMinor: 0, lossMinor: 0, principalDays: 9_200_000, realisedYieldBps: 1_190 });
    const lost = note({ defaulted: true, defaultedOn: '2032-07-01' });
    // At work until its default (122 days): (3,000 − 100,000) × 3,650,000 / (9,200,000 + 12,200,000) = −16,544.4.
    expect(realisedYield([paidOnTime, lost], '2032-07-15').realisedYieldBps).toBe(-16_544);
    expect(realisedYield([note({ disbursedOn: '2032-07-15' })], '2032-07-15').realisedYieldBps).toBeNull();
  });

  it('a note half sold at 98 % on a due date: the seller books the discount and the fee, the buyer the discount; each counts its own principal-days', () => {
    const sold = [{ dueDate: '2032-05-01', principalMinor: 0, interestMinor: 500 }, { dueDate: '2032-06-01', principalMinor: 50_000, interestMinor: 500 }];
    const seller = note({
      principalMinor: 50_000,
      outstandingMinor: 0,
      sales: [{ tradedOn: '2032-04-01', principalMinor: 50_000, installments: sold }],
      receipts: [
        { paidOn: '2032-04-01', principalMinor: 0, interestMinor: 1_000, penaltyMinor: 0 },
        { paidOn: '2032-05-01', principalMinor: 0, interestMinor: 500, penaltyMinor: 0 },
        { paidOn: '2032-06-01', principalMinor: 50_000, interestMinor: 500, penaltyMinor: 0 },
      ],
    });
    const buyer = note({
      principalMinor: 50_000,
      outstandingMinor: 0,
      boughtOn: '2032-04-01',
      boughtInstallments: sold,
      receipts: [
        { paidOn: '2032-05-01', principalMinor: 0, interestMinor: 500, penaltyMinor: 0 },
        { paidOn: '2032-06-01', principalMinor: 50_000, interestMinor: 500, penaltyMinor: 0 },
      ],
    });
    const trade = { principalMinor: 50_000, priceMinor: 49_000, accruedMinor: 0, feeMinor: 245 };
    // Seller: 100,000 × 92 − 50,000 × 61 = 6,150,000 principal-days; 2,000 interest − 1,000 discount − 245 fee = 755.
    expect(principalDays(seller, '2032-07-15')).toBe(6_150_000);
    expect(realisedYield([seller], '2032-07-15', [{ direction: 'out', ...trade }])).toMatchObject({ transferResultMinor: -1_245, realisedYieldBps: 448 });
    // Buyer: 50,000 × 61 = 3,050,000 principal-days; 1,000 interest + 1,000 discount = 2,000 → 2,393.4 bps.
    expect(principalDays(buyer, '2032-07-15')).toBe(3_050_000);
    expect(realisedYield([buyer], '2032-07-15', [{ direction: 'in', ...trade }])).toMatchObject({ transferResultMinor: 1_000, realisedYieldBps: 2_393 });
    // Expected cash: the seller's contract less the installments it sold; the buyer's as bought.
    expect(cashByMonth([seller]).map((m) => [m.month, m.expectedMinor])).toEqual([['2032-03', 0], ['2032-04', 1_000], ['2032-05', 500], ['2032-06', 50_500]]);
    expect(cashByMonth([buyer]).map((m) => [m.month, m.expectedMinor])).toEqual([['2032-04', 0], ['2032-05', 500], ['2032-06', 50_500]]);
  });

  it('expected is the contractual schedule by due month, received the receipts by payment month', () => {
    expect(cashByMonth([paidOnTime])).toEqual([
      { month: '2032-03', expectedMinor: 0, receivedMinor: 0 },
      { month: '2032-04', expectedMinor: 1_000, receivedMinor: 1_000 },
      { month: '2032-05', expectedMinor: 1_000, receivedMinor: 1_000 },
      { month: '2032-06', expectedMinor: 101_000, receivedMinor: 101_000 },
    ]);
    expect(cashByMonth([])).toEqual([]);
  });
});

describe('disclosure series', () => {
  const loan = (id: string, grade: string, principalMinor: number, disbursedOn: string, extra: Partial<Parameters<typeof disclosureSeries>[0][number]> = {}) => ({
    id,
    grade,
    borrowerId: `b-${id}`,
    lenderIds: [`l-${id}`],
    principalMinor,
    disbursedOn,
    defaultedOn: null,
    history: [],
    ...extra,
  });

  it('late at a month end: an installment due before it and not paid by its end', () => {
    const h = [{ n: 1, dueDate: '2032-04-01', paidOn: '2032-04-10', daysLate: 9, paidOnTime: false }];
    expect(lateOn(h, '2032-04-01')).toBe(false);
    expect(lateOn(h, '2032-04-09')).toBe(true);
    expect(lateOn(h, '2032-04-10')).toBe(false);
  });

  it('volume by disbursement month, outstanding less principal repaid, rates by principal and grade', () => {
    const loans = [
      loan('x', 'A', 100_000, '2032-01-20'),
      loan('y', 'B', 300_000, '2032-02-05', { history: [{ n: 1, dueDate: '2032-03-05', paidOn: null, daysLate: 26, paidOnTime: false }] }),
      loan('z', 'A', 100_000, '2032-02-10', { defaultedOn: '2032-03-20', lenderIds: ['l-x'] }),
    ];
    const months = disclosureSeries(loans, [{ loanId: 'x', paidOn: '2032-02-20', principalMinor: 40_000 }], '2032-03-31', ['AA', 'A', 'B']);
    expect(months.map((m) => [m.month, m.volumeLentMinor, m.loansDisbursed, m.outstandingPrincipalMinor, m.borrowers, m.lenders, m.lateRateBps, m.defaultRateBps])).toEqual([
      ['2032-01', 100_000, 1, 100_000, 1, 1, 0, 0],
      ['2032-02', 400_000, 2, 460_000, 3, 2, 0, 0],
      // 300,000 of 460,000 late = 6,521.7 → 6,522 bps; 100,000 defaulted = 2,173.9 → 2,174.
      ['2032-03', 0, 0, 460_000, 3, 2, 6_522, 2_174],
    ]);
    expect(months[2]!.byGrade.map((g) => [g.grade, g.loans, g.outstandingPrincipalMinor, g.lateRateBps, g.defaultRateBps])).toEqual([
      ['A', 2, 160_000, 0, 6_250],
      ['B', 1, 300_000, 10_000, 0],
    ]);
    expect(disclosureSeries([], [], '2032-03-31', ['A'])).toEqual([]);
  });
});
