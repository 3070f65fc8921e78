/**
 * One-note loans, figures computed by hand (docs/servicing.md §7–9). The base loan is the first textbook
 * case: ¥10,000 at 12% for 12 months, equal_installment, disbursed 2025-01-15, installment 88,849
 * (interest 10,000 + principal 78,849 for the first).
 */
import { describe, expect, it } from 'vitest';
import {
  accrueDay,
  applyPayment,
  bucketFor,
  delinquency,
  dueReminders,
  noteSummaries,
  openLoan,
  owedToday,
  replay,
  scheduleView,
  type LoanState,
  type LoanTerms,
  type PaymentResult,
} from '../../../src/domain/servicing/index.js';
import { SETTINGS } from './arbitraries.js';

const BASE: LoanTerms = {
  disbursedOn: '2025-01-15',
  termMonths: 12,
  repayment: 'equal_installment',
  notes: [{ noteId: 'note_a', principalMinor: 1_000_000, rateBps: 1200 }],
};

function paid(result: PaymentResult): Extract<PaymentResult, { ok: true }> {
  if (!result.ok) throw new Error(`payment refused: ${result.code} ${result.detail}`);
  return result;
}

function pay(state: LoanState, amountMinor: number, paidOn: string) {
  return paid(applyPayment(state, amountMinor, paidOn, SETTINGS));
}

function only<T>(items: readonly T[]): T {
  expect(items).toHaveLength(1);
  return items[0]!;
}

describe('one note, on time', () => {
  it('pays interest then principal of the first installment, no penalty, bucket stays current', () => {
    const r = pay(openLoan(BASE), 88_849, '2025-02-15');
    expect(only(r.breakdown.perNote)).toEqual({ noteId: 'note_a', penaltyMinor: 0, interestMinor: 10_000, principalMinor: 78_849, prepaymentFeeMinor: 0, totalMinor: 88_849 });
    expect(r.breakdown.prepaidPrincipalMinor).toBe(0);
    const later = accrueDay(r.state, '2025-03-14', SETTINGS);
    expect(later.penaltyAccruedMinor).toBe(0);
    expect(later.state.bucket).toBe('current');
    expect(later.events).toEqual([]);
    const owed = owedToday(later.state, '2025-03-15');
    expect(owed.due).toEqual({ penaltyMinor: 0, interestMinor: 9_212, principalMinor: 79_637, totalMinor: 88_849 });
    expect(owed.payoffMinor).toBe(88_849 + 841_514); // installment 2 + the principal after it
  });

  it('the payoff on disbursement day is the principal (no interest earned yet), and paying it repays the loan', () => {
    const s = openLoan(BASE);
    expect(owedToday(s, '2025-01-15').payoffMinor).toBe(1_000_000);
    const r = pay(s, 1_000_000, '2025-01-15');
    expect(r.state.status).toBe('repaid');
    expect(r.state.notes[0]!.status).toBe('repaid');
    expect(owedToday(r.state, '2025-01-16').payoffMinor).toBe(0);
    expect(applyPayment(r.state, 1, '2025-01-16', SETTINGS)).toMatchObject({ ok: false, code: 'LOAN_NOT_ACTIVE' });
  });
});

describe('one note, late with penalty', () => {
  it('no penalty during the 3 grace days; 44 a day from the 4th day; paid on 25 Feb: 6 days = 264', () => {
    const s = openLoan(BASE);
    const grace = accrueDay(s, '2025-02-18', SETTINGS);
    expect(grace.penaltyAccruedMinor).toBe(0);
    expect(grace.state.daysPastDue).toBe(3);
    expect(grace.state.bucket).toBe('dpd_1_30');
    const first = accrueDay(grace.state, '2025-02-19', SETTINGS);
    expect(first.penaltyAccruedMinor).toBe(44); // round(88,849 · 5/10000 = 44.4245)
    expect(first.events).toEqual([{ type: 'installment_late', on: '2025-02-19', n: 1 }]);
    expect(delinquency(first.state, '2025-02-19', SETTINGS)).toEqual({ daysPastDue: 4, bucket: 'dpd_1_30', lateInstallments: [1] });

    const owed = owedToday(s, '2025-02-25', SETTINGS); // closes through 24 Feb on a copy
    expect(owed.due).toEqual({ penaltyMinor: 264, interestMinor: 10_000, principalMinor: 78_849, totalMinor: 89_113 });
    // payoff: installment 1 + 10 of 28 days of period 2 on 921,151 (round(3,289.825) = 3,290) + that principal
    expect(owed.accruedInterestMinor).toBe(3_290);
    expect(owed.payoffMinor).toBe(89_113 + 3_290 + 921_151);
    expect(applyPayment(s, owed.payoffMinor + 1, '2025-02-25', SETTINGS)).toMatchObject({ ok: false, code: 'REPAYMENT_EXCEEDS_OWED' });
    const r = pay(s, 89_113, '2025-02-25');
    expect(only(r.breakdown.perNote)).toEqual({ noteId: 'note_a', penaltyMinor: 264, interestMinor: 10_000, principalMinor: 78_849, prepaymentFeeMinor: 0, totalMinor: 89_113 });
    expect(r.state.servicedThrough).toBe('2025-02-24');
    const next = accrueDay(r.state, '2025-02-25', SETTINGS);
    expect(next.state.daysPastDue).toBe(0);
    expect(next.state.bucket).toBe('current');
    expect(next.events).toEqual([{ type: 'bucket_changed', on: '2025-02-25', from: 'dpd_1_30', to: 'current' }]);
  });

  it('accrueDay is idempotent per date and catching up equals closing day by day', () => {
    const s = openLoan(BASE);
    const once = accrueDay(s, '2025-03-01', SETTINGS).state;
    expect(accrueDay(once, '2025-03-01', SETTINGS).state).toBe(once);
    expect(accrueDay(once, '2025-02-20', SETTINGS).state).toBe(once);
    let daily = s;
    for (let d = 16; d <= 28; d++) daily = accrueDay(daily, `2025-02-${d}`, SETTINGS).state;
    daily = accrueDay(daily, '2025-03-01', SETTINGS).state;
    expect(daily).toEqual(once);
    expect(once.notes[0]!.installments[0]!.penaltyMinor).toBe(11 * 44); // 19 Feb .. 1 Mar
  });

  it('a partial payment pays penalty, interest, then part of the principal; penalty then runs on what is left', () => {
    const s = openLoan(BASE);
    const r = pay(s, 50_000, '2025-02-20'); // closed through 19 Feb: one day of penalty, 44
    expect(only(r.breakdown.perNote)).toEqual({ noteId: 'note_a', penaltyMinor: 44, interestMinor: 10_000, principalMinor: 39_956, prepaymentFeeMinor: 0, totalMinor: 50_000 });
    expect(r.breakdown.perInstallment).toEqual([{ n: 1, dueDate: '2025-02-15', early: false, penaltyMinor: 44, interestMinor: 10_000, principalMinor: 39_956, prepaymentFeeMinor: 0 }]);
    // left overdue: 78,849 − 39,956 = 38,893 → round(19.4465) = 19 a day for 20..23 Feb
    const owed = owedToday(r.state, '2025-02-24', SETTINGS);
    expect(owed.due).toEqual({ penaltyMinor: 76, interestMinor: 0, principalMinor: 38_893, totalMinor: 38_969 });
    const rest = pay(r.state, 38_969, '2025-02-24');
    expect(only(rest.breakdown.perNote).totalMinor).toBe(38_969);
    expect(scheduleView(rest.state, '2025-02-24')[0]).toEqual({
      n: 1,
      dueDate: '2025-02-15',
      principalMinor: 78_849,
      interestMinor: 10_000,
      feeMinor: 120,
      paidMinor: 88_969,
      leftMinor: 0,
      status: 'paid',
    });
  });
});

describe('one note, early repayment with recomputed schedule', () => {
  it('equal_installment: interest to the payment date (14/28 days), then principal: installment 2 settled, the excess re-amortised over the 10 periods after it', () => {
    const first = pay(openLoan(BASE), 88_849, '2025-02-15');
    const quote = owedToday(first.state, '2025-03-01');
    expect(quote.accruedInterestMinor).toBe(4_606); // round(921,151 · 0.01 · 14/28 = 4,605.755)
    expect(quote.payoffMinor).toBe(4_606 + 921_151);
    const r = pay(first.state, 300_000, '2025-03-01');
    expect(r.breakdown.earlyInterestMinor).toBe(4_606);
    expect(r.breakdown.prepaidPrincipalMinor).toBe(295_394);
    expect(r.breakdown.recomputedNoteIds).toEqual(['note_a']);
    expect(r.breakdown.perInstallment).toEqual([{ n: 2, dueDate: '2025-03-15', early: true, penaltyMinor: 0, interestMinor: 4_606, principalMinor: 295_394, prepaymentFeeMinor: 0 }]);
    const inst = r.state.notes[0]!.installments;
    // installment 2's principal (79,637) is settled by the 295,394 prepaid; the excess 215,757 leaves
    // 841,514 − 215,757 = 625,757 after it, re-amortised over 10 periods at 1%: payment 66,069.
    // Its interest: 4,606 earned to 1 Mar + round(625,757 · 0.01 · 14/28 = 3,128.785) = 7,735.
    expect(inst[1]).toMatchObject({ principalDueMinor: 295_394, principalPaidMinor: 295_394, interestDueMinor: 7_735, interestPaidMinor: 4_606 });
    expect(inst.slice(2).map((i) => [i.principalDueMinor, i.interestDueMinor])).toEqual([
      [59_811, 6_258],
      [60_410, 5_659],
      [61_014, 5_055],
      [61_624, 4_445],
      [62_240, 3_829],
      [62_862, 3_207],
      [63_491, 2_578],
      [64_126, 1_943],
      [64_767, 1_302],
      [65_412, 654],
    ]);
    inst.slice(2, -1).forEach((i) => expect(i.principalDueMinor + i.interestDueMinor).toBe(66_069));
    const owed = owedToday(r.state, '2025-03-15');
    expect(owed.due).toEqual({ penaltyMinor: 0, interestMinor: 3_129, principalMinor: 0, totalMinor: 3_129 });
    expect(noteSummaries(r.state)[0]).toMatchObject({ outstandingMinor: 625_757, receivedPrincipalMinor: 78_849 + 295_394, receivedInterestMinor: 14_606 });
  });

  it('principal prepaid below the current installment principal: later periods unchanged, less interest this period', () => {
    const first = pay(openLoan(BASE), 88_849, '2025-02-15');
    const r = pay(first.state, 4_606 + 50_000, '2025-03-01');
    expect(r.breakdown.prepaidPrincipalMinor).toBe(50_000);
    const inst = r.state.notes[0]!.installments;
    // 4,606 earned + round(871,151 · 0.01 · 14/28 = 4,355.755) = 4,356 on the lower balance
    expect(inst[1]).toMatchObject({ principalDueMinor: 79_637, principalPaidMinor: 50_000, interestDueMinor: 8_962, interestPaidMinor: 4_606 });
    expect(inst.slice(2)).toEqual(first.state.notes[0]!.installments.slice(2));
    expect(owedToday(r.state, '2025-03-15').due).toEqual({ penaltyMinor: 0, interestMinor: 4_356, principalMinor: 29_637, totalMinor: 33_993 });
  });

  it('a payment smaller than the interest earned pays interest only and changes no schedule', () => {
    const first = pay(openLoan(BASE), 88_849, '2025-02-15');
    const r = pay(first.state, 1_000, '2025-03-01');
    expect(r.breakdown.earlyInterestMinor).toBe(1_000);
    expect(r.breakdown.recomputedNoteIds).toEqual([]);
    expect(r.state.notes[0]!.installments[1]).toMatchObject({ interestDueMinor: 9_212, interestPaidMinor: 1_000, principalDueMinor: 79_637 });
    // 21 of 28 days on 921,151: round(6,908.6325) = 6,909, of which 1,000 is paid
    expect(owedToday(r.state, '2025-03-08').accruedInterestMinor).toBe(5_909);
  });

  it('two prepayments in one period: the second accrues from the first on the new balance', () => {
    const first = pay(openLoan(BASE), 88_849, '2025-02-15');
    const a = pay(first.state, 300_000, '2025-03-01'); // outstanding 625,757 from 1 Mar
    // 7 more days on 625,757: round(625,757 · 0.01 · 7/28 = 1,564.3925) = 1,564
    expect(owedToday(a.state, '2025-03-08').accruedInterestMinor).toBe(1_564);
    const b = pay(a.state, 101_564, '2025-03-08');
    expect(b.breakdown.earlyInterestMinor).toBe(1_564);
    expect(b.breakdown.prepaidPrincipalMinor).toBe(100_000);
    // period 2 interest: 4,606 + 1,564 locked + round(525,757 · 0.01 · 7/28 = 1,314.3925) = 7,484
    expect(b.state.notes[0]!.installments[1]!.interestDueMinor).toBe(7_484);
  });

  it('equal_principal: prepaid on a due date, no interest earned yet; installment 2 settled, the rest spread over 4 periods', () => {
    const terms: LoanTerms = { ...BASE, disbursedOn: '2024-01-31', termMonths: 6, repayment: 'equal_principal', notes: [{ noteId: 'n', principalMinor: 1_200_000, rateBps: 900 }] };
    const r = pay(openLoan(terms), 209_000 + 300_000, '2024-02-29');
    expect(r.breakdown.earlyInterestMinor).toBe(0);
    expect(r.breakdown.prepaidPrincipalMinor).toBe(300_000);
    const inst = r.state.notes[0]!.installments;
    // 1,000,000 − 300,000 = 700,000 left: 175,000 in each of periods 3..6; interest half-even on ties
    expect(inst.map((i) => i.principalDueMinor - i.principalPaidMinor)).toEqual([0, 0, 175_000, 175_000, 175_000, 175_000]);
    expect(inst.map((i) => i.principalDueMinor)).toEqual([200_000, 300_000, 175_000, 175_000, 175_000, 175_000]);
    expect(inst.map((i) => i.interestDueMinor)).toEqual([9_000, 5_250, 5_250, 3_938, 2_625, 1_312]);
  });

  it('interest_only: 15 of 30 days earned, interest on the new balance after, principal at the end', () => {
    const terms: LoanTerms = { ...BASE, disbursedOn: '2025-03-10', termMonths: 3, repayment: 'interest_only', notes: [{ noteId: 'n', principalMinor: 500_000, rateBps: 800 }] };
    const first = pay(openLoan(terms), 3_333, '2025-04-10');
    const r = pay(first.state, 201_667, '2025-04-25'); // round(500,000 · 800 · 15 / (120,000 · 30)) = 1,667
    expect(r.breakdown.earlyInterestMinor).toBe(1_667);
    expect(r.breakdown.prepaidPrincipalMinor).toBe(200_000);
    const inst = r.state.notes[0]!.installments;
    expect(inst.map((i) => [i.principalDueMinor - i.principalPaidMinor, i.interestDueMinor])).toEqual([
      [0, 3_333],
      [0, 1_667 + 1_000],
      [300_000, 2_000],
    ]);
  });
});

describe('one note, default with acceleration and recovery', () => {
  it('defaults on the 91st day past due, accelerates, then nothing more accrues', () => {
    const s = openLoan(BASE);
    const before = accrueDay(s, '2025-05-16', SETTINGS);
    expect(before.state.status).toBe('active');
    expect(before.state.daysPastDue).toBe(90);
    expect(before.state.bucket).toBe('dpd_61_90');
    const d = accrueDay(before.state, '2025-05-17', SETTINGS);
    expect(d.events).toEqual([
      { type: 'defaulted', on: '2025-05-17', daysPastDue: 91, acceleratedPrincipalMinor: 679_842 },
      { type: 'bucket_changed', on: '2025-05-17', from: 'dpd_61_90', to: 'default' },
    ]);
    expect(d.state).toMatchObject({ status: 'defaulted', defaultedOn: '2025-05-17', bucket: 'default' });
    expect(d.state.notes[0]!.status).toBe('defaulted');
    // penalty: 44/day on installment 1 for 88 days, 2 for 60, 3 for 29 (installment 4, due 15 May, not late yet)
    expect(before.penaltyAccruedMinor + d.penaltyAccruedMinor).toBe(177 * 44);
    const claim = owedToday(d.state, '2025-05-18');
    expect(claim.due).toEqual({ penaltyMinor: 7_788, interestMinor: 35_238 + 439, principalMinor: 1_000_000, totalMinor: 1_043_465 });
    expect(claim.dueInstallments.map((i) => [i.n, i.dueDate, i.penaltyMinor, i.interestMinor, i.principalMinor])).toEqual([
      [1, '2025-02-15', 88 * 44, 10_000, 78_849],
      [2, '2025-03-15', 60 * 44, 9_212, 79_637],
      [3, '2025-04-15', 29 * 44, 8_415, 80_434],
      [4, '2025-05-15', 0, 7_611, 81_238],
      [5, '2025-05-17', 0, 439, 679_842], // round(679,842 · 0.01 · 2/31 = 438.6)
    ]);
    expect(claim.accruedInterestMinor).toBe(0);
    expect(claim.principalNotDueMinor).toBe(0);
    const months = accrueDay(d.state, '2025-09-30', SETTINGS);
    expect(months.penaltyAccruedMinor).toBe(0);
    expect(owedToday(months.state, '2025-10-01').payoffMinor).toBe(1_043_465);
    expect(months.state.bucket).toBe('default');
    expect(dueReminders(months.state, '2025-10-01')).toEqual([]);
  });

  it('a recovery goes oldest installment first, penalty → interest → principal; the full claim repays the loan', () => {
    const d = accrueDay(openLoan(BASE), '2025-05-31', SETTINGS).state;
    const r = pay(d, 500_000, '2025-06-01');
    expect(r.breakdown.perInstallment.map((i) => [i.n, i.penaltyMinor, i.interestMinor, i.principalMinor])).toEqual([
      [1, 3_872, 10_000, 78_849],
      [2, 2_640, 9_212, 79_637],
      [3, 1_276, 8_415, 80_434],
      [4, 0, 7_611, 81_238],
      [5, 0, 439, 136_377],
    ]);
    expect(owedToday(r.state, '2025-06-02').payoffMinor).toBe(543_465);
    const last = pay(r.state, 543_465, '2025-07-01');
    expect(last.state.status).toBe('repaid');
    expect(last.state.defaultedOn).toBe('2025-05-17');
  });

  it('a raised defaultAfterDays has a 91+ bucket; the default is strictly over the setting', () => {
    const settings = { ...SETTINGS, defaultAfterDays: 120 };
    expect(bucketFor(0, settings)).toBe('current');
    expect([1, 30, 31, 60, 61, 90, 91, 120, 121].map((d) => bucketFor(d, settings))).toEqual([
      'dpd_1_30',
      'dpd_1_30',
      'dpd_31_60',
      'dpd_31_60',
      'dpd_61_90',
      'dpd_61_90',
      'dpd_91_plus',
      'dpd_91_plus',
      'default',
    ]);
    const s = accrueDay(openLoan(BASE), '2025-06-15', settings).state; // 120 days after 15 Feb
    expect(s.status).toBe('active');
    expect(s.bucket).toBe('dpd_91_plus');
    expect(accrueDay(s, '2025-06-16', settings).state.status).toBe('defaulted');
  });
});

describe('refusals, reminders, replay', () => {
  it('refuses zero, negative and fractional amounts with AMOUNT_INVALID', () => {
    const s = openLoan(BASE);
    for (const amount of [0, -1, 1.5, Number.NaN]) {
      expect(applyPayment(s, amount, '2025-02-15', SETTINGS)).toMatchObject({ ok: false, code: 'AMOUNT_INVALID' });
    }
  });

  it('a payment dated on a day already closed is a programming error', () => {
    const s = accrueDay(openLoan(BASE), '2025-02-20', SETTINGS).state;
    expect(() => applyPayment(s, 100, '2025-02-20', SETTINGS)).toThrow(/already closed/);
  });

  it('reminds 3 days before and on the due date, with what is unpaid', () => {
    const s = openLoan(BASE);
    expect(dueReminders(s, '2025-02-12')).toEqual([{ n: 1, dueDate: '2025-02-15', daysUntilDue: 3, amountMinor: 88_849 }]);
    expect(dueReminders(s, '2025-02-15')).toEqual([{ n: 1, dueDate: '2025-02-15', daysUntilDue: 0, amountMinor: 88_849 }]);
    expect(dueReminders(s, '2025-02-13')).toEqual([]);
    const full = pay(s, 88_849, '2025-02-15');
    expect(dueReminders(full.state, '2025-02-15')).toEqual([]);
  });

  it('paying the installment a day early settles its principal; the last day of interest on the rest is still due', () => {
    // 30 of 31 days on 1,000,000: round(9,677.42) = 9,677; principal 79,172 > 78,849 settles installment 1;
    // the 323 excess comes off the later periods; 1 day on 920,828: round(297.04) = 297 left for 15 Feb.
    const r = pay(openLoan(BASE), 88_849, '2025-02-14');
    expect(r.breakdown.earlyInterestMinor).toBe(9_677);
    expect(r.breakdown.prepaidPrincipalMinor).toBe(79_172);
    expect(dueReminders(r.state, '2025-02-15')).toEqual([{ n: 1, dueDate: '2025-02-15', daysUntilDue: 0, amountMinor: 297 }]);
    expect(r.state.notes[0]!.installments[0]).toMatchObject({ principalDueMinor: 79_172, interestDueMinor: 9_974 });
  });

  it('replay from the payments and the last serviced date equals the incremental state', () => {
    let s = openLoan(BASE);
    s = accrueDay(s, '2025-02-10', SETTINGS).state;
    s = pay(s, 50_000, '2025-02-20').state;
    s = accrueDay(s, '2025-02-22', SETTINGS).state;
    s = pay(s, 38_969, '2025-02-24').state;
    s = pay(s, 300_000, '2025-03-01').state;
    s = accrueDay(s, '2025-04-30', SETTINGS).state;
    const payments = [
      { amountMinor: 50_000, paidOn: '2025-02-20' },
      { amountMinor: 38_969, paidOn: '2025-02-24' },
      { amountMinor: 300_000, paidOn: '2025-03-01' },
    ];
    expect(replay(BASE, payments, '2025-04-30', SETTINGS)).toEqual(s);
  });
});
