import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rows } from '../../src/db/client.js';
import { addDays } from '../../src/domain/dates.js';
import { applyPayment, owedToday, replay, type LoanState } from '../../src/domain/servicing/index.js';
import { jobHandlers } from '../../src/jobs/handlers.js';
import { serviceDueLoans, serviceLoan, sweepOrder } from '../../src/services/servicing.js';
import { call, expectInvariants, registerLender, walletOfToken, type Session } from './helpers/api.js';
import { createTestStorage, startApp, usingRedis, type TestApp, type TestStorage } from './helpers/env.js';
import { acceptedBid, createListing, listing, ratedBorrower, type Borrower } from './helpers/market.js';
import { ADMIN_ENV, adminToken, createPartner, partnerCall, type PartnerKey } from './helpers/partner.js';
import { SETTINGS, expectReplayed, loanOf, messagesTo, paymentsOf, repay, repayOk, setClock, termsOf, webhooksOf } from './helpers/servicing.js';
import { waitFor } from './helpers/wait.js';

/**
 * Default and recovery (docs/market-rules.md §6, docs/servicing.md §9): a loan never paid defaults on the 91st day
 * past due, with acceleration; recoveries are split pro rata; the daily step gives the same state whether
 * it ran every day or once after months (and equals a replay); the job path through the real queue; order
 * sweeps; a warehouse receipt released on full repayment. Workers start only for the last part, so that
 * nothing services a loan behind the test's back while it skips days.
 */
let storage: TestStorage;
let t: TestApp;
let partner: PartnerKey;
const L: Session[] = [];
const borrowers: Borrower[] = [];
/** B1 is serviced once after months; B2, on identical terms, every day. */
let loanB1: string;
let loanB2: string;
const BIDS: [number, number][] = [
  [300_000, 1000],
  [200_000, 1200],
  [100_000, 1400],
];

beforeAll(async () => {
  storage = await createTestStorage();
  // The figures here are docs/servicing.md's worked story, which has no prepayment fee (the fee has its own
  // figures and tests: tests/unit/servicing/prepayment-fee.test.ts, tests/integration/wallet-statement.test.ts).
  t = await startApp(storage, { env: { ...ADMIN_ENV, LENDBOOK_CLOCK: 'settable', LENDBOOK_PREPAYMENT_FEE_BPS: '0', LENDBOOK_WORKERS: 'false', LENDBOOK_ALLOW_HTTP_WEBHOOKS: 'on' } });
  await setClock(t.app, '2031-01-10T01:00:00Z');
  partner = await createPartner(t.app, { webhookUrl: 'http://localhost:9/unreachable' });
  for (let i = 0; i < 4; i++) borrowers.push(await ratedBorrower(t.app, partner));
  for (let i = 0; i < 3; i++) L.push(await registerLender(t.app, { depositMinor: 3_000_000 }));
});
afterAll(async () => {
  if (t) await expectInvariants(t.app);
  await t?.close();
  await storage?.dispose();
});

async function sixMonthLoan(b: Borrower): Promise<string> {
  const l = await createListing(t.app, b, { amountMinor: 600_000, termMonths: 6, repayment: 'equal_principal', pricing: 'pay_as_bid', maxRateBps: 1500, closeWhenFunded: true, durationSec: 86_400 });
  for (const [i, [amount, rate]] of BIDS.entries()) await acceptedBid(t.app, L[i]!.token, l.id, amount, rate);
  return (await listing(t.app, l.id)).loanId;
}

/** The events of one loan to one user, without the loan id (to compare two loans). */
async function loanEvents(userId: string, loanId: string, types: string[]) {
  const out: unknown[] = [];
  for (const type of types) {
    for (const e of await messagesTo(t.app, `user:${userId}`, type)) {
      if (e.loanId !== loanId) continue;
      const { loanId: _id, listingId: _l, noteId: _n, ...rest } = e;
      out.push({ type, ...rest });
    }
  }
  return out;
}

function withoutIds(state: LoanState) {
  return { ...state, notes: state.notes.map(({ noteId: _n, ...rest }) => rest) };
}

describe('default after 90 days past due, and recoveries', () => {
  it('the daily step every day and once after four months give the same state, equal to a replay', async () => {
    loanB1 = await sixMonthLoan(borrowers[0]!);
    loanB2 = await sixMonthLoan(borrowers[1]!);
    for (let day = '2031-01-11'; day <= '2031-05-14'; day = addDays(day, 1)) {
      await setClock(t.app, `${day}T01:00:00Z`);
      expect(await serviceLoan(t.app.ctx, loanB2)).toBe('serviced');
    }
    expect((await loanOf(t.app, loanB1)).state.servicedThrough).toBe('2031-01-09');
    // One run catches the skipped loan up; the daily one is already done for the day.
    expect(await serviceDueLoans(t.app.ctx, 'inline')).toBe(1);
    const s1 = await expectReplayed(t.app, loanB1);
    const s2 = await expectReplayed(t.app, loanB2);
    expect(s1.servicedThrough).toBe('2031-05-13');
    expect(withoutIds(s1)).toEqual(withoutIds(s2));
    // The same lateness, bucket and default events were told, late for the skipped loan.
    const types = ['installment.late', 'loan.delinquency', 'loan.defaulted'];
    expect(await loanEvents(borrowers[0]!.userId, loanB1, types)).toEqual(await loanEvents(borrowers[1]!.userId, loanB2, types));
    expect(await loanEvents(L[0]!.userId, loanB1, types)).toEqual(await loanEvents(L[0]!.userId, loanB2, types));
    expect(await serviceLoan(t.app.ctx, loanB1)).toBe('up_to_date');
  });

  it('defaults on 12 May (91 days past 10 Feb): accelerated, notes defaulted, claim fixed, lenders and partner told', async () => {
    const { loan, notes, state } = await loanOf(t.app, loanB1);
    expect(loan).toMatchObject({ status: 'defaulted', defaultedOn: '2031-05-12', bucket: 'default', daysPastDue: 92, outstandingPrincipalMinor: 600_000 });
    expect(notes.map((n) => n.status)).toEqual(['defaulted', 'defaulted', 'defaulted']);
    const claim = owedToday(state, state.servicedThrough);
    // Hand-checked: installment 1 = 100,001 + 5,667 (2,500 + 2,000 + 1,166.67→1,167) = 105,668, so 53 a day
    // for 88 days (14 Feb – 12 May) = 4,664; installment 2: 52 × 60 = 3,120; installment 3: 52 × 29 = 1,508.
    expect(claim.due).toEqual({ penaltyMinor: 4_664 + 3_120 + 1_508, interestMinor: 5_667 + 4_722 + 3_778 + 2_833 + 122, principalMinor: 600_000, totalMinor: 626_414 });
    expect(claim.perNote.map((n) => n.payoffMinor)).toEqual([312_156, 209_140, 105_118]);
    const view = (await call(t.app, 'GET', `/api/v1/loans/${loanB1}`, { token: borrowers[0]!.token })).json();
    expect(view.schedule.map((r: { dueDate: string; principalMinor: number }) => [r.dueDate, r.principalMinor])).toEqual([
      ['2031-02-10', 100_001],
      ['2031-03-10', 100_001],
      ['2031-04-10', 100_000],
      ['2031-05-10', 100_000],
      ['2031-05-12', 199_998],
      ['2031-05-12', 0],
    ]);
    const hooks = await webhooksOf(t.app, partner.partnerId, 'loan.defaulted');
    expect(hooks.find((h) => h.loanId === loanB1)).toMatchObject({ merchantRef: borrowers[0]!.merchantRef, defaultedOn: '2031-05-12', daysPastDue: 91, acceleratedPrincipalMinor: 199_998, claimMinor: 626_414 });
    for (const [i, lender] of L.entries()) {
      const [e] = (await messagesTo(t.app, `user:${lender.userId}`, 'loan.defaulted')).filter((x) => x.loanId === loanB1);
      expect(e).toMatchObject({ noteId: notes[i]!.id, claimMinor: claim.perNote[i]!.payoffMinor });
    }
    // Nothing accrues after default: a month later the claim is the same.
    await setClock(t.app, '2031-06-09T01:00:00Z');
    const owed = (await call(t.app, 'GET', `/api/v1/loans/${loanB1}/owed`, { token: borrowers[0]!.token })).json();
    expect(owed).toMatchObject({ status: 'defaulted', bucket: 'default', payoffMinor: 626_414 });
  });

  it("a borrower's payment after default is a recovery, split like any payment: oldest installment, penalty, interest, principal", async () => {
    const b = borrowers[0]!;
    const before = await Promise.all(L.map((l) => walletOfToken(t.app, l.token)));
    const res = await repayOk(t.app, b.token, loanB1, 100_000);
    expect(res).toMatchObject({ source: 'borrower', afterDefault: true, penaltyMinor: 4_664, interestMinor: 5_667, principalMinor: 89_669, loanStatus: 'defaulted' });
    const after = await Promise.all(L.map((l) => walletOfToken(t.app, l.token)));
    // Penalty by each note's overdue amount (26/18/9 of the 53 a day), interest by each note's, principal likewise.
    expect(after.map((w, i) => w.availableMinor - before[i]!.availableMinor)).toEqual([2_288 + 2_500 + 44_834, 1_584 + 2_000 + 29_890, 792 + 1_167 + 14_945]);
    const model = replay(await termsOf(t.app, loanB1), [{ amountMinor: 100_000, paidOn: '2031-06-09' }], '2031-06-08', SETTINGS);
    expect((await loanOf(t.app, loanB1)).state.notes).toEqual(model.notes);
    // The rest of the claim is more than the wallet holds: refused, nothing moves.
    const rest = await repay(t.app, b.token, loanB1, 526_414);
    expect(rest.statusCode).toBe(422);
    expect(rest.json()).toMatchObject({ code: 'INSUFFICIENT_FUNDS', availableMinor: 500_000 });
    expect(await paymentsOf(t.app, loanB1)).toHaveLength(1);
  });

  it('proceeds from outside (a collateral sale) recorded by an operator: the custodian pays the note holders pro rata', async () => {
    await setClock(t.app, '2031-06-10T01:00:00Z');
    const token = await adminToken(t.app);
    const model = replay(await termsOf(t.app, loanB1), await paymentsOf(t.app, loanB1), '2031-06-09', SETTINGS);
    const expected = applyPayment(model, 50_000, '2031-06-10', SETTINGS);
    if (!expected.ok) throw new Error(expected.detail);
    const before = await Promise.all(L.map((l) => walletOfToken(t.app, l.token)));
    const borrowerBefore = await walletOfToken(t.app, borrowers[0]!.token);
    const body = { amountMinor: 50_000, reference: 'warehouse sale 2031-06' };
    const res = await call(t.app, 'POST', `/api/v1/admin/loans/${loanB1}/recoveries`, { token, body, headers: { 'idempotency-key': 'recovery-b1-1' } });
    expect(res.statusCode, res.body).toBe(201);
    expect(res.json()).toMatchObject({ source: 'recovery', afterDefault: true, amountMinor: 50_000 });
    const again = await call(t.app, 'POST', `/api/v1/admin/loans/${loanB1}/recoveries`, { token, body, headers: { 'idempotency-key': 'recovery-b1-1' } });
    expect(again.json().id).toBe(res.json().id);
    const after = await Promise.all(L.map((l) => walletOfToken(t.app, l.token)));
    expect(after.map((w, i) => w.availableMinor - before[i]!.availableMinor)).toEqual(expected.breakdown.perNote.map((n) => n.totalMinor));
    expect(await walletOfToken(t.app, borrowers[0]!.token)).toEqual(borrowerBefore);
    const [line] = await rows<{ debit_account_id: string }>(t.app.ctx.db, sql`select debit_account_id from ledger_transfers where id like ${`xfr_${res.json().id}_%`} limit 1`);
    expect(line!.debit_account_id).toBe('acc_custody');
    expect(await paymentsOf(t.app, loanB1)).toHaveLength(2);
    await expectReplayed(t.app, loanB1);
  });
});

describe('jobs, order sweeps, collateral', () => {
  let orderLoan: string;
  let receiptLoan: string;
  let receiptRowId: string;

  it('loans with collateral: order financing pledging two orders, and a warehouse receipt', async () => {
    await setClock(t.app, '2031-06-12T01:00:00Z');
    const b3 = borrowers[2]!;
    const now = t.app.ctx.clock.nowMs();
    const orders = ['PLEDGE-0', 'PLEDGE-1'].map((orderId, i) => ({ orderId, amountMinor: 1_000_000, status: 'shipped', placedAt: new Date(now - (i + 1) * 86_400_000).toISOString() }));
    const up = await partnerCall(t.app, partner, 'POST', `/api/v1/partner/merchants/${b3.merchantRef}/orders`, { orders });
    expect(up.statusCode, up.body).toBe(200);
    const l3 = await createListing(t.app, b3, { amountMinor: 1_000_000, termMonths: 3, repayment: 'interest_only', product: 'order', collateral: { orderIds: ['PLEDGE-0', 'PLEDGE-1'] }, closeWhenFunded: true, durationSec: 86_400 });
    await acceptedBid(t.app, L[0]!.token, l3.id, 600_000, 1200);
    await acceptedBid(t.app, L[1]!.token, l3.id, 400_000, 1200);
    orderLoan = (await listing(t.app, l3.id)).loanId;

    const b4 = borrowers[3]!;
    const receipt = await partnerCall(t.app, partner, 'POST', '/api/v1/partner/warehouse-receipts', { receiptId: 'WR-2031-001', merchantRef: b4.merchantRef, goods: 'Cotton, 20 t', quantity: 20, valueMinor: 30_000_000 });
    expect(receipt.statusCode, receipt.body).toBe(201);
    const l4 = await createListing(t.app, b4, { amountMinor: 500_000, termMonths: 3, repayment: 'interest_only', product: 'warehouse_receipt', collateral: { receiptId: 'WR-2031-001' }, closeWhenFunded: true, durationSec: 86_400 });
    await acceptedBid(t.app, L[2]!.token, l4.id, 500_000, 1100);
    receiptLoan = (await listing(t.app, l4.id)).loanId;
    receiptRowId = (await loanOf(t.app, receiptLoan)).loan.receiptId!;
    expect(receiptRowId).toBeTruthy();
  });

  it('the scheduler path: the due loans get one job each for the day, run by the real queue, enqueued once however often', async () => {
    t.app.ctx.dispatcher.start();
    await t.app.ctx.queue.start(jobHandlers(t.app.ctx));
    await setClock(t.app, '2031-06-13T01:00:00Z');
    const due = await serviceDueLoans(t.app.ctx, 'enqueue');
    expect(due).toBe(4);
    expect(await serviceDueLoans(t.app.ctx, 'enqueue')).toBeLessThanOrEqual(4);
    await waitFor(async () => {
      const found = await rows<{ n: number }>(t.app.ctx.db, sql`select count(*)::int as n from loans where status <> 'repaid' and serviced_through = '2031-06-12' and reminded_through is not distinct from (case when status = 'active' then '2031-06-13'::date else reminded_through end)`);
      return found[0]!.n === 4;
    }, 20_000);
    if (!usingRedis) {
      const jobs = await rows<{ id: string }>(t.app.ctx.db, sql`select id from local_jobs where name = 'loan.service' and id like '%-2031-06-13' order by id`);
      expect(jobs.map((j) => j.id)).toEqual([loanB1, loanB2, orderLoan, receiptLoan].sort().map((id) => `service-${id}-2031-06-13`));
    }
    for (const id of [loanB1, loanB2, orderLoan, receiptLoan]) await expectReplayed(t.app, id);
    expect(await serviceDueLoans(t.app.ctx, 'enqueue')).toBe(0);
  });

  it("a settled pledged order is swept into repayment once: the order's amount, then at most the payoff", async () => {
    await setClock(t.app, '2031-07-02T01:00:00Z');
    const b3 = borrowers[2]!;
    const dep = await call(t.app, 'POST', '/api/v1/wallet/deposits', { token: b3.token, body: { amountMinor: 50_000 } });
    expect(dep.statusCode, dep.body).toBe(201);
    const settle = async (orderId: string) => {
      const res = await partnerCall(t.app, partner, 'POST', `/api/v1/partner/merchants/${b3.merchantRef}/orders`, {
        orders: [{ orderId, amountMinor: 1_000_000, status: 'settled', placedAt: new Date(t.app.ctx.clock.nowMs() - 30 * 86_400_000).toISOString(), settledAt: new Date(t.app.ctx.clock.nowMs() - 3_600_000).toISOString() }],
      });
      expect(res.statusCode, res.body).toBe(200);
    };
    const model = replay(await termsOf(t.app, orderLoan), [], '2031-07-01', SETTINGS);
    const first = applyPayment(model, 1_000_000, '2031-07-02', SETTINGS);
    if (!first.ok) throw new Error(first.detail);
    await settle('PLEDGE-0');
    await waitFor(async () => (await paymentsOf(t.app, orderLoan)).length === 1, 20_000);
    const [sweep] = await rows<{ source: string; amount_minor: number; breakdown: { orderId: string } }>(t.app.ctx.db, sql`select source, amount_minor, breakdown from repayments where loan_id = ${orderLoan}`);
    // 20 of 30 days of 12% on ¥10,000: 6,667 of interest first, then 993,333 of principal.
    expect({ source: sweep!.source, amount: Number(sweep!.amount_minor), orderId: sweep!.breakdown.orderId }).toEqual({ source: 'order_sweep', amount: 1_000_000, orderId: 'PLEDGE-0' });
    expect(first.breakdown.earlyInterestMinor).toBe(6_667);
    expect((await loanOf(t.app, orderLoan)).state.notes).toEqual(first.state.notes);
    expect(await walletOfToken(t.app, b3.token)).toMatchObject({ availableMinor: 50_000 });
    // Running the sweep again changes nothing.
    expect(await sweepOrder(t.app.ctx, b3.merchantId, 'PLEDGE-0')).toBe('not_applicable');

    const payoff = owedToday(first.state, '2031-07-02').payoffMinor;
    expect(payoff).toBe(6_667);
    await settle('PLEDGE-1');
    await waitFor(async () => (await paymentsOf(t.app, orderLoan)).length === 2, 20_000);
    const { loan } = await loanOf(t.app, orderLoan);
    expect(loan.status).toBe('repaid');
    expect(await walletOfToken(t.app, b3.token)).toMatchObject({ availableMinor: 50_000 - payoff });
    const swept = await rows<{ order_id: string; swept: boolean }>(t.app.ctx.db, sql`select order_id, swept_at is not null as swept from orders where merchant_id = ${b3.merchantId} and order_id like 'PLEDGE-%' order by order_id`);
    expect(swept).toEqual([{ order_id: 'PLEDGE-0', swept: true }, { order_id: 'PLEDGE-1', swept: true }]);
    expect((await webhooksOf(t.app, partner.partnerId, 'loan.repaid')).map((h) => h.loanId)).toContain(orderLoan);
    await expectReplayed(t.app, orderLoan);
  });

  it('the warehouse receipt is released when its loan is fully repaid', async () => {
    const b4 = borrowers[3]!;
    const quote = (await call(t.app, 'GET', `/api/v1/loans/${receiptLoan}/owed`, { token: b4.token })).json();
    await call(t.app, 'POST', '/api/v1/wallet/deposits', { token: b4.token, body: { amountMinor: 10_000 } });
    const [held] = await rows<{ released: boolean; pledged: string | null }>(t.app.ctx.db, sql`select released_at is not null as released, pledged_listing_id as pledged from warehouse_receipts where id = ${receiptRowId}`);
    expect(held!.released).toBe(false);
    await repayOk(t.app, b4.token, receiptLoan, quote.payoffMinor);
    const [after] = await rows<{ released: boolean; pledged: string | null }>(t.app.ctx.db, sql`select released_at is not null as released, pledged_listing_id as pledged from warehouse_receipts where id = ${receiptRowId}`);
    // Released, and it keeps the listing it backed as history (a released receipt is never pledged again).
    expect(after).toEqual({ released: true, pledged: held!.pledged });
    expect((await loanOf(t.app, receiptLoan)).loan.status).toBe('repaid');
    await expectInvariants(t.app);
  });
});

describe('concurrency (one lock per loan, then wallets in id order)', () => {
  it('ten payments and the daily step racing on one loan: each applied once, in some order, equal to a replay', async () => {
    const b2 = borrowers[1]!;
    await setClock(t.app, '2031-07-03T01:00:00Z');
    const results = await Promise.all([
      ...Array.from({ length: 10 }, () => repay(t.app, b2.token, loanB2, 10_000)),
      serviceDueLoans(t.app.ctx, 'inline').then(() => null),
    ]);
    expect(results.filter((r) => r !== null).map((r) => r!.statusCode)).toEqual(Array.from({ length: 10 }, () => 201));
    const payments = await paymentsOf(t.app, loanB2);
    expect(payments).toEqual(Array.from({ length: 10 }, () => ({ amountMinor: 10_000, paidOn: '2031-07-03', prepaymentFeeBps: 0 })));
    await expectReplayed(t.app, loanB2);
    expect(await walletOfToken(t.app, b2.token)).toMatchObject({ availableMinor: 500_000 });
  });

  it('three payoffs racing: one repays the loan, the others find it repaid', async () => {
    const b2 = borrowers[1]!;
    await call(t.app, 'POST', '/api/v1/wallet/deposits', { token: b2.token, body: { amountMinor: 100_000 } });
    const claim = (await call(t.app, 'GET', `/api/v1/loans/${loanB2}/owed`, { token: b2.token })).json().payoffMinor;
    expect(claim).toBe(626_414 - 100_000);
    const results = await Promise.all(Array.from({ length: 3 }, () => repay(t.app, b2.token, loanB2, claim)));
    expect(results.map((r) => r.statusCode).sort()).toEqual([201, 409, 409]);
    expect(results.filter((r) => r.statusCode === 409).map((r) => r.json().code)).toEqual(['LOAN_NOT_ACTIVE', 'LOAN_NOT_ACTIVE']);
    expect((await loanOf(t.app, loanB2)).loan.status).toBe('repaid');
    expect(await walletOfToken(t.app, b2.token)).toMatchObject({ availableMinor: 600_000 - claim });
    await expectInvariants(t.app);
  });
});
