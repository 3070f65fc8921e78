/**
 * The bullet schedule of claim-backed loans: one period from disbursement to maturity, principal and
 * interest due together, interest O × rate × days / 365 (actual/365), accruing day by day; lateness,
 * penalty and default exactly as for monthly loans.
 */
import { describe, expect, it } from 'vitest';
import { addDays } from '../../../src/domain/dates.js';
import {
  BULLET,
  accrueDay,
  actual365InterestMinor,
  applyPayment,
  noteSchedule,
  openLoan,
  owedToday,
  replay,
  type LoanTerms,
} from '../../../src/domain/servicing/index.js';
import { SETTINGS } from './arbitraries.js';

// ¥135,000 for 90 days at 10.00%: 13,500,000 × 1000 × 90 / 3,650,000 = 332,876.71… → 332,877 fen.
const TERMS: LoanTerms = {
  disbursedOn: '2031-01-10',
  termMonths: null,
  repayment: BULLET,
  maturesOn: '2031-04-10',
  notes: [
    { noteId: 'note_a', principalMinor: 9_000_000, rateBps: 1000 },
    { noteId: 'note_b', principalMinor: 4_500_000, rateBps: 1000 },
  ],
};

describe('bullet schedule', () => {
  it('is one period to maturity with interest on actual/365', () => {
    expect(actual365InterestMinor(13_500_000, 1000, 90)).toBe(332_877);
    const s = noteSchedule({ principalMinor: 13_500_000, rateBps: 1000, termMonths: null, repayment: BULLET, disbursedOn: '2031-01-10', maturesOn: '2031-04-10' });
    expect(s).toEqual([{ n: 1, dueDate: '2031-04-10', principalMinor: 13_500_000, interestMinor: 332_877 }]);
    // A leap year has no 366th part: still actual days over 365.
    const leap = noteSchedule({ principalMinor: 3_650_000, rateBps: 10_000, termMonths: null, repayment: BULLET, disbursedOn: '2032-02-01', maturesOn: '2032-03-01' });
    expect(leap[0]!.interestMinor).toBe(3_650_000 * 29 / 365);
  });

  it('each note has its own interest; the loan owes their sum on maturity', () => {
    const s = openLoan(TERMS);
    expect(s.notes.map((n) => n.installments[0]!.interestDueMinor)).toEqual([221_918, 110_959]);
    const owed = owedToday(accrueDay(s, '2031-04-09', SETTINGS).state, '2031-04-10');
    expect(owed.due).toEqual({ penaltyMinor: 0, interestMinor: 332_877, principalMinor: 13_500_000, totalMinor: 13_832_877 });
  });

  it('accrues daily: a payoff before maturity carries the interest of the days elapsed only', () => {
    const s = openLoan(TERMS);
    // 30 days: 9,000,000 × 1000 × 30 / 3,650,000 = 73,972.6 → 73,973; 4,500,000 → 36,986.3 → 36,986.
    const owed = owedToday(s, '2031-02-09', SETTINGS);
    expect(owed.accruedInterestMinor).toBe(73_973 + 36_986);
    expect(owed.payoffMinor).toBe(13_500_000 + 73_973 + 36_986);
    const paid = applyPayment(s, owed.payoffMinor, '2031-02-09', SETTINGS);
    if (!paid.ok) throw new Error(paid.code);
    expect(paid.state.status).toBe('repaid');
  });

  it('a partial early payment lowers the interest of the rest of the period', () => {
    const s = openLoan(TERMS);
    const paid = applyPayment(s, 4_000_000, '2031-02-09', SETTINGS);
    if (!paid.ok) throw new Error(paid.code);
    const atMaturity = owedToday(accrueDay(paid.state, '2031-04-09', SETTINGS).state, '2031-04-10');
    // Principal left: 13,500,000 + 110,959 interest − 4,000,000 paid = 9,610,959, over the notes pro rata.
    expect(atMaturity.due.principalMinor).toBe(13_500_000 - (4_000_000 - 110_959));
    // 60 days left on it: interest now is less than the full 332,877.
    expect(atMaturity.due.interestMinor).toBeLessThan(332_877);
    expect(atMaturity.due.interestMinor).toBeGreaterThan(110_959);
  });

  it('unpaid after maturity + grace: late, penalty on the overdue amount, then default after 90 days', () => {
    const late = accrueDay(openLoan(TERMS), '2031-04-14', SETTINGS);
    expect(late.events).toContainEqual({ type: 'installment_late', on: '2031-04-14', n: 1 });
    // 5 bps a day on 13,832,877: 6,916.4 → 6,916 on the first late day.
    expect(late.penaltyAccruedMinor).toBe(6_916);
    const defaulted = accrueDay(openLoan(TERMS), addDays('2031-04-10', 91), SETTINGS);
    expect(defaulted.state.status).toBe('defaulted');
  });

  it('replays like any loan', () => {
    const s = openLoan(TERMS);
    const a = applyPayment(s, 1_000_000, '2031-03-01', SETTINGS);
    if (!a.ok) throw new Error(a.code);
    const b = applyPayment(accrueDay(a.state, '2031-04-20', SETTINGS).state, 2_000_000, '2031-04-21', SETTINGS);
    if (!b.ok) throw new Error(b.code);
    expect(replay(TERMS, [{ amountMinor: 1_000_000, paidOn: '2031-03-01' }, { amountMinor: 2_000_000, paidOn: '2031-04-21' }], b.state.servicedThrough, SETTINGS)).toEqual(b.state);
  });

  it('refuses a bullet without a maturity in its range', () => {
    expect(() => openLoan({ ...TERMS, maturesOn: '2031-01-10' })).toThrow();
    expect(() => openLoan({ ...TERMS, maturesOn: null })).toThrow();
    expect(() => openLoan({ ...TERMS, termMonths: 3 })).toThrow();
  });
});
