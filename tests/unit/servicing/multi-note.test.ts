/**
 * Five notes at different rates, end to end. Expected figures come from an independent reference model of
 * docs/servicing.md (exact fractions); the key ones are re-derived in the comments.
 */
import { describe, expect, it } from 'vitest';
import {
  accrueDay,
  applyPayment,
  loanSchedule,
  noteSchedule,
  noteSummaries,
  openLoan,
  owedToday,
  replay,
  scheduleView,
  type LoanState,
  type LoanTerms,
  type PaymentBreakdown,
  type PaymentRecord,
} from '../../../src/domain/servicing/index.js';
import { allocateLargestRemainder } from '../../../src/domain/money.js';
import { SETTINGS } from './arbitraries.js';

const NOTES = [
  { noteId: 'n1', principalMinor: 300_000, rateBps: 1000 },
  { noteId: 'n2', principalMinor: 250_000, rateBps: 1100 },
  { noteId: 'n3', principalMinor: 200_000, rateBps: 1200 },
  { noteId: 'n4', principalMinor: 150_000, rateBps: 1300 },
  { noteId: 'n5', principalMinor: 100_000, rateBps: 1500 },
];

/** [penalty, interest, principal] received by each note, n1..n5. */
function perNote(b: PaymentBreakdown): number[][] {
  return b.perNote.map((p) => [p.penaltyMinor, p.interestMinor, p.principalMinor]);
}

function payOk(state: LoanState, amountMinor: number, paidOn: string, log: PaymentRecord[]) {
  const r = applyPayment(state, amountMinor, paidOn, SETTINGS);
  if (!r.ok) throw new Error(`${r.code}: ${r.detail}`);
  log.push({ amountMinor, paidOn });
  expect(r.breakdown.perNote.reduce((a, p) => a + p.totalMinor, 0)).toBe(amountMinor);
  return r;
}

describe('five notes, equal_installment, 6 months from 31 Jan 2025', () => {
  const terms: LoanTerms = { disbursedOn: '2025-01-31', termMonths: 6, repayment: 'equal_installment', notes: NOTES };

  it('schedules: each note its own, the loan the sum, due dates clamped to month end', () => {
    const schedules = NOTES.map((n) => noteSchedule({ ...n, termMonths: 6, repayment: 'equal_installment', disbursedOn: '2025-01-31' }));
    expect(schedules.map((s) => s.map((p) => [p.principalMinor, p.interestMinor]))).toEqual([
      [[48_968, 2_500], [49_376, 2_092], [49_788, 1_680], [50_202, 1_266], [50_621, 847], [51_045, 425]],
      [[40_722, 2_292], [41_096, 1_918], [41_472, 1_542], [41_852, 1_162], [42_236, 778], [42_622, 391]],
      [[32_510, 2_000], [32_835, 1_675], [33_163, 1_347], [33_495, 1_015], [33_830, 680], [34_167, 342]],
      [[24_331, 1_625], [24_595, 1_361], [24_861, 1_095], [25_130, 826], [25_403, 553], [25_680, 278]],
      [[16_153, 1_250], [16_355, 1_048], [16_559, 844], [16_766, 637], [16_976, 427], [17_191, 215]],
    ]);
    const loan = loanSchedule(schedules);
    expect(loan.map((p) => [p.dueDate, p.principalMinor, p.interestMinor])).toEqual([
      ['2025-02-28', 162_684, 9_667],
      ['2025-03-31', 164_257, 8_094],
      ['2025-04-30', 165_843, 6_508],
      ['2025-05-31', 167_445, 4_906],
      ['2025-06-30', 169_066, 3_285],
      ['2025-07-31', 170_705, 1_651],
    ]);
    const view = scheduleView(openLoan(terms), '2025-01-31');
    expect(view.map((r) => [r.principalMinor, r.interestMinor])).toEqual(loan.map((p) => [p.principalMinor, p.interestMinor]));
  });

  it('on time, late with penalty, partial, early repayment with recomputation, payoff', () => {
    const log: PaymentRecord[] = [];
    let s = openLoan(terms);

    // 1. On time: each note receives exactly its scheduled installment.
    const p1 = payOk(s, 162_684 + 9_667, '2025-02-28', log);
    expect(perNote(p1.breakdown)).toEqual([
      [0, 2_500, 48_968],
      [0, 2_292, 40_722],
      [0, 2_000, 32_510],
      [0, 1_625, 24_331],
      [0, 1_250, 16_153],
    ]);
    s = accrueDay(p1.state, '2025-03-31', SETTINGS).state;

    // 2. Late: installment 2 (172,351, due 31 Mar) is late from 4 Apr; paid 10 Apr → 6 days at
    //    round(172,351 · 5/10000 = 86.18) = 86 a day, each day's 86 split by each note's overdue amount.
    const owed = owedToday(s, '2025-04-10', SETTINGS);
    expect(owed.due.penaltyMinor).toBe(516);
    const daily = allocateLargestRemainder(86, [51_468, 43_014, 34_510, 25_956, 17_403]);
    expect(owed.perNote.map((n) => n.due.penaltyMinor)).toEqual(daily.map((x) => 6 * x));
    expect(owed.perNote.map((n) => n.due.penaltyMinor)).toEqual([156, 126, 102, 78, 54]);
    const p2 = payOk(s, 172_351 + 516, '2025-04-10', log);
    expect(perNote(p2.breakdown)).toEqual([
      [156, 2_092, 49_376],
      [126, 1_918, 41_096],
      [102, 1_675, 32_835],
      [78, 1_361, 24_595],
      [54, 1_048, 16_355],
    ]);

    // 3. Partial: 100,000 on the due date of installment 3 (172,351): all its interest (6,508), then
    //    93,492 of principal split by each note's principal due.
    const p3 = payOk(p2.state, 100_000, '2025-04-30', log);
    expect(perNote(p3.breakdown)).toEqual([
      [0, 1_680, 28_068],
      [0, 1_542, 23_379],
      [0, 1_347, 18_695],
      [0, 1_095, 14_015],
      [0, 844, 9_335],
    ]);
    // 72,351 left overdue: round(36.18) = 36 a day from 4 May.
    const mid = accrueDay(p3.state, '2025-05-19', SETTINGS);
    expect(mid.penaltyAccruedMinor).toBe(16 * 36);
    expect(mid.state.bucket).toBe('dpd_1_30');

    // 4. Early repayment on 20 May: installment 3 (576 penalty + 72,351 principal), then interest earned
    //    in period 4 (20 of 31 days), then principal; each note recomputed.
    const p4 = payOk(mid.state, 400_000, '2025-05-20', log);
    expect(perNote(p4.breakdown)).toEqual([
      [176, 816, 118_703],
      [144, 749, 99_010],
      [112, 655, 79_281],
      [80, 533, 59_516],
      [64, 411, 39_750],
    ]);
    expect(p4.breakdown.earlyInterestMinor).toBe(3_164);
    expect(p4.breakdown.prepaidPrincipalMinor).toBe(323_909);
    expect(p4.breakdown.recomputedNoteIds).toEqual(['n1', 'n2', 'n3', 'n4', 'n5']);
    // n1 by hand: outstanding 300,000 − 48,968 − 49,376 − 49,788 = 151,868; 20/31 of round(151,868 · 1000/120000)…
    //   exactly: round(151,868 · 1000 · 20 / (120,000 · 31)) = round(816.49) = 816.
    //   Prepaid 96,983 settles installment 4 (50,202); 151,868 − 96,983 = 54,885 left, re-amortised over
    //   2 periods at 1000 bps: payment round(54,885 · r / (1 − (1+r)^−2)) = 27,786 → 27,329 + 457, then 27,556 + 230.
    //   Installment 4 interest: 816 + round(54,885 · 1000 · 11 / (120,000 · 31)) = 816 + 162 = 978.
    expect(p4.state.notes.map((n) => n.installments.slice(3).map((i) => [i.principalDueMinor, i.interestDueMinor]))).toEqual([
      [[96_983, 978], [27_329, 457], [27_556, 230]],
      [[80_917, 898], [22_792, 420], [23_001, 211]],
      [[64_813, 785], [18_248, 367], [18_431, 184]],
      [[48_670, 639], [13_698, 298], [13_845, 150]],
      [[32_526, 493], [9_146, 230], [9_261, 116]],
    ]);

    // 5. Payoff on 10 Jun: installment 4's interest left (629, too small for a penalty: round(0.31) = 0),
    //    10 of 30 days of period 5 on the rest, and all the principal.
    const payoff = owedToday(p4.state, '2025-06-10', SETTINGS);
    expect(payoff.payoffMinor).toBe(184_526);
    expect(payoff.due).toEqual({ penaltyMinor: 0, interestMinor: 629, principalMinor: 0, totalMinor: 629 });
    expect(applyPayment(p4.state, payoff.payoffMinor + 1, '2025-06-10', SETTINGS)).toMatchObject({ ok: false, code: 'REPAYMENT_EXCEEDS_OWED' });
    const p5 = payOk(p4.state, payoff.payoffMinor, '2025-06-10', log);
    expect(perNote(p5.breakdown)).toEqual([
      [0, 314, 54_885],
      [0, 289, 45_793],
      [0, 252, 36_679],
      [0, 205, 27_543],
      [0, 159, 18_407],
    ]);
    expect(p5.state.status).toBe('repaid');
    expect(noteSummaries(p5.state).map((n) => [n.status, n.outstandingMinor, n.receivedPrincipalMinor, n.receivedInterestMinor, n.receivedPenaltyMinor])).toEqual([
      ['repaid', 0, 300_000, 7_402, 332],
      ['repaid', 0, 250_000, 6_790, 270],
      ['repaid', 0, 200_000, 5_929, 214],
      ['repaid', 0, 150_000, 4_819, 158],
      ['repaid', 0, 100_000, 3_712, 118],
    ]);
    expect(scheduleView(p5.state, '2025-06-10').every((r) => r.status === 'paid')).toBe(true);

    // The state is re-derivable from the payments and the last serviced date.
    expect(replay(terms, log, p5.state.servicedThrough, SETTINGS)).toEqual(p5.state);
    const closed = accrueDay(p5.state, '2025-08-31', SETTINGS).state;
    expect(replay(terms, log, '2025-08-31', SETTINGS)).toEqual(closed);
  });
});

describe('five notes, equal_principal, 12 months from 10 Mar 2025: default, acceleration, recoveries', () => {
  const terms: LoanTerms = { disbursedOn: '2025-03-10', termMonths: 12, repayment: 'equal_principal', notes: NOTES };

  it('defaults 91 days after 10 May, accelerates every note, freezes the claim, splits recoveries pro rata', () => {
    const log: PaymentRecord[] = [];
    const p1 = payOk(openLoan(terms), 93_002, '2025-04-10', log); // installment 1 on time
    const before = accrueDay(p1.state, '2025-08-08', SETTINGS);
    expect(before.state.status).toBe('active');
    const d = accrueDay(before.state, '2025-08-09', SETTINGS);
    expect(d.events).toEqual([
      { type: 'defaulted', on: '2025-08-09', daysPastDue: 91, acceleratedPrincipalMinor: 666_660 },
      { type: 'bucket_changed', on: '2025-08-09', from: 'dpd_61_90', to: 'default' },
    ]);
    expect(d.state.notes.every((n) => n.status === 'defaulted')).toBe(true);
    // Acceleration: period 5 (10 Jul – 10 Aug, 31 days) falls due on 9 Aug with all the principal left and
    // 30/31 of its interest; n1: round(200,000 · 1000 · 30 / (120,000 · 31)) = round(1,612.9) = 1,613.
    expect(d.state.notes.map((n) => {
      const i = n.installments[4]!;
      return [i.dueDate, i.principalDueMinor, i.interestDueMinor];
    })).toEqual([
      ['2025-08-09', 200_000, 1_613],
      ['2025-08-09', 166_664, 1_478],
      ['2025-08-09', 133_332, 1_290],
      ['2025-08-09', 100_000, 1_048],
      ['2025-08-09', 66_664, 806],
    ]);
    expect(d.state.notes.every((n) => n.installments.slice(5).every((i) => i.dueDate === '2025-08-09' && i.principalDueMinor === 0 && i.interestDueMinor === 0))).toBe(true);
    const claim = owedToday(d.state, '2025-08-20');
    expect(claim.payoffMinor).toBe(954_953);
    expect(claim.perNote.map((n) => n.payoffMinor)).toEqual([285_244, 238_266, 191_171, 143_815, 96_457]);
    // Nothing accrues after default.
    const later = accrueDay(d.state, '2025-09-30', SETTINGS);
    expect(later.penaltyAccruedMinor).toBe(0);
    expect(owedToday(later.state, '2025-10-01').payoffMinor).toBe(954_953);

    // Recovery of 300,000: oldest installment first, each part split by what each note is owed on it.
    const r1 = payOk(later.state, 300_000, '2025-10-01', log);
    expect(perNote(r1.breakdown)).toEqual([
      [2_381, 7_863, 78_512],
      [1_892, 7_208, 65_429],
      [1_548, 6_290, 52_342],
      [1_204, 5_111, 39_256],
      [860, 3_931, 26_173],
    ]);
    expect(r1.state.status).toBe('defaulted');
    // The rest of the claim is principal of the accelerated installment, split pro rata to each note's.
    const rest = owedToday(r1.state, '2025-11-01');
    expect(rest.payoffMinor).toBe(654_953);
    const r2 = payOk(r1.state, rest.payoffMinor, '2025-11-01', log);
    expect(perNote(r2.breakdown)).toEqual([
      [0, 0, 196_488],
      [0, 0, 163_737],
      [0, 0, 130_991],
      [0, 0, 98_244],
      [0, 0, 65_493],
    ]);
    expect(r2.state.status).toBe('repaid');
    expect(r2.state.defaultedOn).toBe('2025-08-09');
    expect(replay(terms, log, r2.state.servicedThrough, SETTINGS)).toEqual(r2.state);
  });

  it('a small recovery is split over the notes by their owed penalty of the oldest installment', () => {
    const s = accrueDay(openLoan(terms), '2025-07-31', SETTINGS).state; // nothing ever paid: 91 days after 10 Apr
    expect(s.defaultedOn).toBe('2025-07-10');
    const oldest = s.notes.map((n) => n.installments[0]!.penaltyMinor);
    const r = applyPayment(s, 1_000, '2025-08-01', SETTINGS);
    if (!r.ok) throw new Error(r.code);
    expect(r.breakdown.perNote.map((p) => p.penaltyMinor)).toEqual(allocateLargestRemainder(1_000, oldest));
    r.breakdown.perNote.forEach((p, j) => expect(p.penaltyMinor).toBeLessThanOrEqual(oldest[j]!));
  });
});
