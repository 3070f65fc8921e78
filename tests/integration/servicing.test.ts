import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rows } from '../../src/db/client.js';
import { applyPayment, loanSchedule, noteSchedule, openLoan, owedToday, replay, scheduleView, type LoanState, type LoanTerms, type PaymentBreakdown } from '../../src/domain/servicing/index.js';
import { call, expectInvariants, registerLender, walletOfToken, type Session } from './helpers/api.js';
import { createTestStorage, startApp, type TestApp, type TestStorage } from './helpers/env.js';
import { acceptedBid, createListing, listing, ratedBorrower, type Borrower } from './helpers/market.js';
import { ADMIN_ENV, createPartner, type PartnerKey } from './helpers/partner.js';
import { serviceDueLoans } from '../../src/services/servicing.js';
import { SETTINGS, dayOf, expectReplayed, loanOf, messagesTo, owed, paymentsOf, repay, repayOk, repaymentTransfersOf, setClock, termsOf, webhooksOf } from './helpers/servicing.js';

/**
 * Servicing end to end: a 12-month loan with 5 lenders at their own rates (pay_as_bid), driven by the
 * settable clock through on-time payments, a late installment with penalty, a partial payment, an early
 * repayment and the payoff. Every figure is checked against the pure core run independently here (and a
 * replay of the recorded payments), and the key ones against hand-computed literals.
 */
let storage: TestStorage;
let t: TestApp;
let partner: PartnerKey;
let borrower: Borrower;
let loanId: string;
let terms: LoanTerms;
/** The pure model, advanced in step with the server. */
let model: LoanState;
const L: Session[] = [];
const FUNDS = 2_000_000;
const BIDS: [number, number][] = [
  [300_000, 1000],
  [250_000, 1100],
  [200_000, 1200],
  [150_000, 1300],
  [100_000, 1500],
];

beforeAll(async () => {
  storage = await createTestStorage();
  // The figures here are docs/servicing.md's worked story, which has no prepayment fee (the fee has its own
  // figures and tests: tests/unit/servicing/prepayment-fee.test.ts, tests/integration/wallet-statement.test.ts).
  t = await startApp(storage, { env: { ...ADMIN_ENV, LENDBOOK_CLOCK: 'settable', LENDBOOK_PREPAYMENT_FEE_BPS: '0', LENDBOOK_WEBHOOK_BACKOFF_MS: '3600000', LENDBOOK_ALLOW_HTTP_WEBHOOKS: 'on' } });
  await setClock(t.app, '2031-01-15T01:00:00Z');
  partner = await createPartner(t.app, { webhookUrl: 'http://localhost:9/unreachable' });
  borrower = await ratedBorrower(t.app, partner);
  for (let i = 0; i < BIDS.length; i++) L.push(await registerLender(t.app, { depositMinor: FUNDS, displayName: `L${i + 1}` }));
});
afterAll(async () => {
  if (t) await expectInvariants(t.app);
  await t?.close();
  await storage?.dispose();
});

/** The model's payment, for comparison with what the server did. */
function modelPay(amountMinor: number, paidOn: string): PaymentBreakdown {
  const r = applyPayment(model, amountMinor, paidOn, SETTINGS);
  if (!r.ok) throw new Error(`${r.code}: ${r.detail}`);
  model = r.state;
  return r.breakdown;
}

async function lenderWallets(): Promise<number[]> {
  return Promise.all(L.map(async (l) => (await walletOfToken(t.app, l.token)).availableMinor));
}

/** Pays through the API and checks the split, the ledger and the state against the model. */
async function payAndCheck(amountMinor: number, paidOn: string, idempotencyKey?: string) {
  const before = await lenderWallets();
  const borrowerBefore = (await walletOfToken(t.app, borrower.token)).availableMinor;
  const expected = modelPay(amountMinor, paidOn);
  const res = await repayOk(t.app, borrower.token, loanId, amountMinor, idempotencyKey);
  expect(res).toMatchObject({ loanId, amountMinor, paidOn, source: 'borrower', afterDefault: false, currency: 'CNY' });
  expect([res.penaltyMinor, res.interestMinor, res.principalMinor]).toEqual([
    expected.perNote.reduce((a, n) => a + n.penaltyMinor, 0),
    expected.perNote.reduce((a, n) => a + n.interestMinor, 0),
    expected.perNote.reduce((a, n) => a + n.principalMinor, 0),
  ]);
  expect(res.installments).toEqual(expected.perInstallment);
  expect({ early: res.earlyInterestMinor, prepaid: res.prepaidPrincipalMinor }).toEqual({ early: expected.earlyInterestMinor, prepaid: expected.prepaidPrincipalMinor });
  // Each lender got exactly its note's share, in one ledger transfer from the borrower's wallet.
  const after = await lenderWallets();
  expect(after.map((w, i) => w - before[i]!)).toEqual(expected.perNote.map((n) => n.totalMinor));
  expect((await walletOfToken(t.app, borrower.token)).availableMinor).toBe(borrowerBefore - amountMinor);
  const { notes } = await loanOf(t.app, loanId);
  for (const [i, note] of notes.entries()) {
    const transfers = await repaymentTransfersOf(t.app, note.id);
    const last = transfers.find((x) => x.id === `xfr_${res.id}_${note.id}`);
    expect(last).toEqual({ id: `xfr_${res.id}_${note.id}`, debit: `acc_w_${borrower.userId}`, credit: `acc_w_${L[i]!.userId}`, amountMinor: expected.perNote[i]!.totalMinor });
  }
  // The stored state is the model's, and a replay of the recorded payments.
  const state = await expectReplayed(t.app, loanId);
  expect(state.notes).toEqual(model.notes);
  return { res, expected };
}

describe('a 12-month loan with 5 lenders at their own rates', () => {
  it('clears into five notes; the loan schedule is the sum of theirs (88,664 a month, 9,667 interest first)', async () => {
    const l = await createListing(t.app, borrower, { amountMinor: 1_000_000, maxRateBps: 1500, pricing: 'pay_as_bid', termMonths: 12, repayment: 'equal_installment', closeWhenFunded: true, durationSec: 86_400 });
    for (const [i, [amount, rate]] of BIDS.entries()) await acceptedBid(t.app, L[i]!.token, l.id, amount, rate);
    const view = await listing(t.app, l.id);
    expect(view.status).toBe('cleared');
    loanId = view.loanId;
    terms = await termsOf(t.app, loanId);
    expect(terms.disbursedOn).toBe('2031-01-15');
    expect(terms.notes.map((n) => [n.principalMinor, n.rateBps])).toEqual(BIDS);
    model = openLoan(terms);
    const schedule = loanSchedule(terms.notes.map((n) => noteSchedule({ ...n, termMonths: 12, repayment: 'equal_installment', disbursedOn: '2031-01-15' })));
    // Hand-checked: period 1 interest 2,500 + 2,291.67→2,292 + 2,000 + 1,625 + 1,250 = 9,667; each note's
    // annuity rounded once, summed: 88,664 for periods 1–11; the last takes what remains (87,805 + 850).
    expect(schedule[0]).toMatchObject({ dueDate: '2031-02-15', principalMinor: 78_997, interestMinor: 9_667 });
    expect(schedule.slice(0, 11).every((p) => p.principalMinor + p.interestMinor === 88_664)).toBe(true);
    expect(schedule[11]).toMatchObject({ dueDate: '2032-01-15', principalMinor: 87_805, interestMinor: 850 });
    const res = await call(t.app, 'GET', `/api/v1/loans/${loanId}`, { token: borrower.token });
    expect(res.statusCode, res.body).toBe(200);
    const loan = res.json();
    expect(loan.schedule.map((r: { principalMinor: number; interestMinor: number; dueDate: string }) => [r.dueDate, r.principalMinor, r.interestMinor])).toEqual(schedule.map((p) => [p.dueDate, p.principalMinor, p.interestMinor]));
    expect(loan).toMatchObject({ status: 'active', outstandingMinor: 1_000_000, daysPastDue: 0, bucket: 'current', nextDueDate: '2031-02-15', noteCount: 5, paidMinor: 0 });
    // The borrower has its disbursement, and more to pay the interest with.
    const dep = await call(t.app, 'POST', '/api/v1/wallet/deposits', { token: borrower.token, body: { amountMinor: 100_000 } });
    expect(dep.statusCode, dep.body).toBe(201);
    expect(await walletOfToken(t.app, borrower.token)).toMatchObject({ availableMinor: 1_100_000 });
  });

  it('reminds 3 days before and on the due date: installment.due webhook and me event, once a day', async () => {
    await dayOf(t.app, '2031-02-12');
    // A second run the same day sends nothing more.
    await setClock(t.app, '2031-02-12T06:00:00Z');
    await serviceDueLoans(t.app.ctx, 'inline');
    let hooks = await webhooksOf(t.app, partner.partnerId, 'installment.due');
    expect(hooks).toEqual([{ merchantRef: borrower.merchantRef, loanId, n: 1, dueDate: '2031-02-15', daysUntilDue: 3, amountMinor: 88_664, currency: 'CNY' }]);
    await dayOf(t.app, '2031-02-15');
    hooks = await webhooksOf(t.app, partner.partnerId, 'installment.due');
    expect(hooks.map((h) => [h.n, h.daysUntilDue, h.amountMinor])).toEqual([[1, 3, 88_664], [1, 0, 88_664]]);
    const events = await messagesTo(t.app, `user:${borrower.userId}`, 'installment.due');
    expect(events.map((e) => [e.n, e.daysUntilDue])).toEqual([[1, 3], [1, 0]]);
  });

  it('an on-time payment of installment 1: idempotent, split by what each note is owed, one transfer per note', async () => {
    model = replay(terms, [], '2031-02-14', SETTINGS);
    const quote = await owed(t.app, borrower.token, loanId);
    expect(quote).toMatchObject({ date: '2031-02-15', due: { penaltyMinor: 0, interestMinor: 9_667, principalMinor: 78_997, totalMinor: 88_664 }, payoffMinor: owedToday(model, '2031-02-15').payoffMinor });
    // More than the payoff is refused with the payoff in the problem.
    const over = await repay(t.app, borrower.token, loanId, quote.payoffMinor + 1);
    expect(over.statusCode).toBe(422);
    expect(over.json()).toMatchObject({ code: 'REPAYMENT_EXCEEDS_OWED', payoffMinor: quote.payoffMinor });
    const { res, expected } = await payAndCheck(88_664, '2031-02-15', 'pay-installment-1');
    // Hand-checked: each note's interest is its principal × rate / 12 (2,291.67 → 2,292 for L2).
    expect(expected.perNote.map((n) => [n.interestMinor, n.principalMinor])).toEqual([
      [2_500, 23_875],
      [2_292, 19_803],
      [2_000, 15_770],
      [1_625, 11_773],
      [1_250, 7_776],
    ]);
    // The same Idempotency-Key again: the first response, and nothing paid twice.
    const wallet = (await walletOfToken(t.app, borrower.token)).availableMinor;
    const again = await repay(t.app, borrower.token, loanId, 88_664, 'pay-installment-1');
    expect(again.statusCode).toBe(201);
    expect(again.json().id).toBe(res.id);
    expect((await walletOfToken(t.app, borrower.token)).availableMinor).toBe(wallet);
    expect(await paymentsOf(t.app, loanId)).toEqual([{ amountMinor: 88_664, paidOn: '2031-02-15', prepaymentFeeBps: 0 }]);
    const reused = await repay(t.app, borrower.token, loanId, 1_000, 'pay-installment-1');
    expect(reused.statusCode).toBe(409);
    expect(reused.json().code).toBe('IDEMPOTENCY_KEY_REUSED');
    // Each lender was told, with its note's parts; the wallets changed.
    for (const [i, lender] of L.entries()) {
      const [event] = await messagesTo(t.app, `user:${lender.userId}`, 'payment.received');
      expect(event).toMatchObject({ loanId, repaymentId: res.id, paidOn: '2031-02-15', interestMinor: expected.perNote[i]!.interestMinor, principalMinor: expected.perNote[i]!.principalMinor, penaltyMinor: 0, totalMinor: expected.perNote[i]!.totalMinor });
      expect((await messagesTo(t.app, `user:${lender.userId}`, 'wallet.changed')).some((e) => e.reason === 'payment.received')).toBe(true);
    }
    const { loan } = await loanOf(t.app, loanId);
    expect(loan.installmentHistory).toEqual([{ n: 1, dueDate: '2031-02-15', paidOn: '2031-02-15', daysLate: 0, paidOnTime: true }]);
    expect(loan.nextDueDate).toBe('2031-03-15');
  });

  it('someone else cannot see or repay the loan (404), and a lender cannot repay it (403)', async () => {
    const other = await ratedBorrower(t.app, partner);
    expect((await repay(t.app, other.token, loanId, 1_000)).statusCode).toBe(404);
    expect((await call(t.app, 'GET', `/api/v1/loans/${loanId}/owed`, { token: other.token })).statusCode).toBe(404);
    const stranger = await registerLender(t.app);
    expect((await call(t.app, 'GET', `/api/v1/loans/${loanId}/owed`, { token: stranger.token })).statusCode).toBe(404);
    expect((await call(t.app, 'GET', `/api/v1/loans/${loanId}/owed`, { token: L[0]!.token })).statusCode).toBe(200);
    expect((await repay(t.app, L[0]!.token, loanId, 1_000)).statusCode).toBe(403);
  });

  it('installment 2 on its due date, without a key; the clock skipped a month and the payment caught it up', async () => {
    await setClock(t.app, '2031-03-15T02:00:00Z');
    await payAndCheck(88_664, '2031-03-15');
  });

  it('installment 3 late: 3 grace days, then 44 a day of penalty (0.05% of 88,664), buckets, paid on the 10th day', async () => {
    for (const day of ['2031-04-15', '2031-04-16', '2031-04-17', '2031-04-18', '2031-04-19', '2031-04-20']) await dayOf(t.app, day);
    let state = await expectReplayed(t.app, loanId);
    // Closed through 19 Apr: late from the 19th (19 − 15 > 3), one day of penalty.
    expect(state.servicedThrough).toBe('2031-04-19');
    expect(state.notes.reduce((a, n) => a + n.installments[2]!.penaltyMinor, 0)).toBe(44);
    expect(await messagesTo(t.app, `user:${borrower.userId}`, 'installment.late')).toEqual([{ loanId, n: 3, lateOn: '2031-04-19' }]);
    const buckets = await messagesTo(t.app, `user:${L[2]!.userId}`, 'loan.delinquency');
    expect(buckets).toEqual([{ loanId, on: '2031-04-16', from: 'current', to: 'dpd_1_30' }]);
    await setClock(t.app, '2031-04-22T03:00:00Z');
    const view = (await call(t.app, 'GET', `/api/v1/loans/${loanId}`, { token: borrower.token })).json();
    // Days past due as of today (22 − 15), not as of the last close.
    expect(view).toMatchObject({ daysPastDue: 7, bucket: 'dpd_1_30', lateInstallments: [3], servicedThrough: '2031-04-21' });
    expect(view.schedule[2]).toMatchObject({ n: 3, feeMinor: 132, paidMinor: 0, status: 'overdue' });
    expect(view.schedule[3]).toMatchObject({ n: 4, status: 'upcoming' });
    await setClock(t.app, '2031-04-25T03:00:00Z');
    const quote = await owed(t.app, borrower.token, loanId);
    // 19–24 April: 6 days × 44 = 264 of penalty; interest 8,133 and principal 80,531 of installment 3.
    expect(quote).toMatchObject({ daysPastDue: 10, bucket: 'dpd_1_30', due: { penaltyMinor: 264, interestMinor: 8_133, principalMinor: 80_531, totalMinor: 88_928 } });
    model = replay(terms, await paymentsOf(t.app, loanId), '2031-04-19', SETTINGS);
    const { expected } = await payAndCheck(88_928, '2031-04-25');
    // The penalty went to the notes by their overdue amounts.
    expect(expected.perNote.map((n) => n.penaltyMinor)).toEqual([78, 66, 54, 42, 24]);
    const { loan } = await loanOf(t.app, loanId);
    expect(loan.installmentHistory[2]).toEqual({ n: 3, dueDate: '2031-04-15', paidOn: '2031-04-25', daysLate: 10, paidOnTime: false });
    // Paid today: the loan is current again at once, without waiting for tonight's close.
    const after = (await call(t.app, 'GET', `/api/v1/loans/${loanId}`, { token: borrower.token })).json();
    expect(after).toMatchObject({ daysPastDue: 0, bucket: 'current', lateInstallments: [] });
    await dayOf(t.app, '2031-04-26');
    expect((await messagesTo(t.app, `user:${L[2]!.userId}`, 'loan.delinquency')).at(-1)).toEqual({ loanId, on: '2031-04-25', from: 'dpd_1_30', to: 'current' });
  });

  it('a partial payment of installment 4 on its due date; the rest 5 days later with one day of penalty (19)', async () => {
    await setClock(t.app, '2031-05-15T02:00:00Z');
    await payAndCheck(50_000, '2031-05-15');
    let view = (await call(t.app, 'GET', `/api/v1/loans/${loanId}`, { token: borrower.token })).json();
    expect(view.schedule[3]).toMatchObject({ n: 4, paidMinor: 50_000, status: 'due' });
    await setClock(t.app, '2031-05-20T02:00:00Z');
    const quote = await owed(t.app, borrower.token, loanId);
    // Late on the 19th only (closed): round(38,664 × 0.0005) = round(19.33) = 19.
    expect(quote.due).toEqual({ penaltyMinor: 19, interestMinor: 0, principalMinor: 38_664, totalMinor: 38_683 });
    model = replay(terms, await paymentsOf(t.app, loanId), '2031-05-19', SETTINGS);
    await payAndCheck(38_683, '2031-05-20');
    view = (await call(t.app, 'GET', `/api/v1/loans/${loanId}`, { token: borrower.token })).json();
    expect(view.schedule[3]).toMatchObject({ n: 4, paidMinor: 88_683, feeMinor: 19, status: 'paid' });
  });

  it('early repayment of ¥3,000: interest to the day (19 of 31 days), the rest prepays principal, schedules recomputed', async () => {
    await setClock(t.app, '2031-06-03T02:00:00Z');
    model = replay(terms, await paymentsOf(t.app, loanId), '2031-06-02', SETTINGS);
    const quote = await owed(t.app, borrower.token, loanId);
    expect(quote).toMatchObject({ due: { totalMinor: 0 }, accruedInterestMinor: 4_025, payoffMinor: owedToday(model, '2031-06-03').payoffMinor });
    const { res } = await payAndCheck(300_000, '2031-06-03');
    expect(res).toMatchObject({ interestMinor: 4_025, principalMinor: 295_975, earlyInterestMinor: 4_025, prepaidPrincipalMinor: 295_975 });
    const view = (await call(t.app, 'GET', `/api/v1/loans/${loanId}`, { token: borrower.token })).json();
    expect(view.schedule).toEqual(scheduleView(model, '2031-06-03'));
    // Installment 5 settled its principal; a lower payment from period 6 on, same end date.
    expect(view.schedule[5]).toMatchObject({ principalMinor: 53_207, interestMinor: 3_707 });
    expect(view.outstandingMinor).toBe(1_000_000 - 78_997 - 79_761 - 80_531 - 81_309 - 295_975);
  });

  it('what is left of installment 5 on its due date, then the payoff: the loan and its notes are repaid', async () => {
    await setClock(t.app, '2031-06-15T02:00:00Z');
    expect((await owed(t.app, borrower.token, loanId)).due.totalMinor).toBe(1_436);
    await payAndCheck(1_436, '2031-06-15');
    await setClock(t.app, '2031-07-10T02:00:00Z');
    const quote = await owed(t.app, borrower.token, loanId);
    expect(quote).toMatchObject({ accruedInterestMinor: 3_090, principalNotDueMinor: 383_427, payoffMinor: 386_517 });
    await payAndCheck(386_517, '2031-07-10');
    const { loan, notes } = await loanOf(t.app, loanId);
    expect(loan).toMatchObject({ status: 'repaid', outstandingPrincipalMinor: 0, nextDueDate: null });
    expect(loan.closedAt).not.toBeNull();
    expect(notes.map((n) => [n.status, n.outstandingPrincipalMinor, n.receivedPrincipalMinor])).toEqual(BIDS.map(([p]) => ['repaid', 0, p]));
    // Every installment that carried anything is in the record; 3 and 4 were late.
    expect(loan.installmentHistory.map((h) => [h.n, h.paidOn, h.paidOnTime])).toEqual([
      [1, '2031-02-15', true],
      [2, '2031-03-15', true],
      [3, '2031-04-25', false],
      [4, '2031-05-20', false],
      [5, '2031-06-15', true],
      [6, '2031-07-10', true],
    ]);
    // The payoff emptied installments 7–12 (nothing left to schedule): no entries for them.
    expect(loan.installmentHistory[3]).toMatchObject({ dueDate: '2031-05-15', daysLate: 5 });
    const repaid = await webhooksOf(t.app, partner.partnerId, 'loan.repaid');
    expect(repaid).toEqual([{ merchantRef: borrower.merchantRef, loanId, listingId: loan.listingId, repaidOn: '2031-07-10', principalMinor: 1_000_000, currency: 'CNY' }]);
    for (const u of [borrower.userId, ...L.map((l) => l.userId)]) expect(await messagesTo(t.app, `user:${u}`, 'loan.repaid')).toHaveLength(1);
    const more = await repay(t.app, borrower.token, loanId, 100);
    expect(more.statusCode).toBe(409);
    expect(more.json()).toMatchObject({ code: 'LOAN_NOT_ACTIVE', payoffMinor: 0 });
  });

  it('in all: the borrower paid 1,042,892; each lender got its principal and its interest and penalty; nothing from the platform', async () => {
    const payments = await paymentsOf(t.app, loanId);
    const total = payments.reduce((a, p) => a + p.amountMinor, 0);
    expect(total).toBe(88_664 * 2 + 88_928 + 50_000 + 38_683 + 300_000 + 1_436 + 386_517);
    expect(total).toBe(1_042_892);
    expect((await walletOfToken(t.app, borrower.token)).availableMinor).toBe(1_100_000 - total);
    const { notes } = await loanOf(t.app, loanId);
    const wallets = await lenderWallets();
    notes.forEach((n, i) => {
      expect(wallets[i]).toBe(FUNDS - n.principalMinor + n.receivedPrincipalMinor + n.receivedInterestMinor + n.receivedPenaltyMinor);
    });
    expect(notes.reduce((a, n) => a + n.receivedPrincipalMinor + n.receivedInterestMinor + n.receivedPenaltyMinor, 0)).toBe(total);
    const [fees] = await rows<{ n: number }>(t.app.ctx.db, sql`select count(*)::int as n from ledger_transfers where kind = 'repayment' and (debit_account_id = 'acc_platform_fees' or credit_account_id = 'acc_platform_fees')`);
    expect(fees!.n).toBe(0);
    await expectInvariants(t.app);
  });
});
