import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { claimInvariants } from '../../src/services/claim-invariants.js';
import { sweepOrder } from '../../src/services/servicing.js';
import { call, expectInvariants, registerLender, walletOfToken, type Session } from './helpers/api.js';
import { createTestStorage, startApp, type TestApp, type TestStorage } from './helpers/env.js';
import { acceptedBid, createListing, endAuction, listing, ratedBorrower, type Borrower } from './helpers/market.js';
import { ADMIN_ENV, createPartner, partnerCall, type PartnerKey } from './helpers/partner.js';
import { loanOf, owed, setClock } from './helpers/servicing.js';

/**
 * Order proceeds through the custodian (docs/supply-chain.md §3): the order system pays a pledged
 * order's money from its settlement account straight into the loan the order backs, the rest to the
 * merchant. A loan backed by five orders is repaid by the proceeds of three of them, to the fen.
 */
let storage: TestStorage;
let t: TestApp;
let partner: PartnerKey;
let borrower: Borrower;
let lender: Session;
let loanId: string;
const ORDER_MINOR = 4_000_000;
const ORDERS = ['ord-p1', 'ord-p2', 'ord-p3', 'ord-p4', 'ord-p5'];

function proceeds(orderId: string, amountMinor: number) {
  return partnerCall(t.app, partner, 'POST', `/api/v1/partner/merchants/${borrower.merchantRef}/orders/${orderId}/proceeds`, { amountMinor });
}
async function partnerWallet(): Promise<number> {
  const res = await partnerCall(t.app, partner, 'GET', '/api/v1/partner/wallet');
  expect(res.statusCode, res.body).toBe(200);
  return res.json().availableMinor;
}
async function balances() {
  return { partner: await partnerWallet(), merchant: (await walletOfToken(t.app, borrower.token)).availableMinor, lender: (await walletOfToken(t.app, lender.token)).availableMinor };
}

beforeAll(async () => {
  storage = await createTestStorage();
  // The figures here are principal and interest to the fen, without the prepayment fee (a loan repaid from
  // proceeds ahead of schedule pays it like any prepayment, through the same allocation as a repayment).
  t = await startApp(storage, { env: { ...ADMIN_ENV, LENDBOOK_CLOCK: 'settable', LENDBOOK_PREPAYMENT_FEE_BPS: '0', LENDBOOK_WEBHOOK_BACKOFF_MS: '3600000' } });
  await setClock(t.app, '2031-03-02T01:00:00Z');
  partner = await createPartner(t.app);
  borrower = await ratedBorrower(t.app, partner);
  const pushed = await partnerCall(t.app, partner, 'POST', `/api/v1/partner/merchants/${borrower.merchantRef}/orders`, {
    orders: [...ORDERS, 'ord-free'].map((orderId) => ({ orderId, amountMinor: ORDER_MINOR, status: 'shipped', placedAt: '2031-03-01T10:00:00Z' })),
  });
  expect(pushed.statusCode, pushed.body).toBe(200);
  const l = await createListing(t.app, borrower, { amountMinor: 10_000_000, termMonths: 3, repayment: 'interest_only', product: 'order', collateral: { orderIds: ORDERS }, durationSec: 3600 });
  lender = await registerLender(t.app, { depositMinor: 20_000_000 });
  await acceptedBid(t.app, lender.token, l.id, 10_000_000, 1200);
  expect(await endAuction(t.app, l.id)).toBe('cleared');
  loanId = (await listing(t.app, l.id)).loanId;
  const dep = await partnerCall(t.app, partner, 'POST', '/api/v1/partner/wallet/deposits', { amountMinor: 10_000_000 });
  expect(dep.statusCode, dep.body).toBe(201);
  await setClock(t.app, '2031-03-12T03:00:00Z');
});
afterAll(async () => {
  if (t) await expectInvariants(t.app);
  await t?.close();
  await storage?.dispose();
});

describe('order proceeds paid straight into their loan', () => {
  it('refuses what it cannot pay, and moves nothing', async () => {
    const before = await balances();
    const tooMuch = await proceeds('ord-p1', ORDER_MINOR + 1);
    expect(tooMuch.json().code).toBe('AMOUNT_INVALID');
    const unknown = await proceeds('ord-nope', 100);
    expect([unknown.statusCode, unknown.json().code]).toEqual([404, 'ORDER_NOT_FOUND']);
    expect(await balances()).toEqual(before);
  });

  it('three orders repay the loan to the fen; the merchant gets the rest of the third', async () => {
    // Day 10 of a 31-day period: 10,000,000 × 1200 × 10 / (120,000 × 31) = 32,258.06 → 32,258 of interest earned.
    const quote = await owed(t.app, borrower.token, loanId);
    expect(quote.payoffMinor).toBe(10_032_258);
    const dep = await partnerCall(t.app, partner, 'POST', '/api/v1/partner/wallet/deposits', { amountMinor: 5_000_000 });
    expect(dep.statusCode).toBe(201);
    const before = await balances();
    const first = await proceeds('ord-p1', ORDER_MINOR);
    expect(first.statusCode, first.body).toBe(201);
    expect(first.json()).toMatchObject({ toLoanMinor: 4_000_000, toMerchantMinor: 0, loanId });
    const second = await proceeds('ord-p2', ORDER_MINOR);
    expect(second.json()).toMatchObject({ toLoanMinor: 4_000_000, toMerchantMinor: 0, loanId });
    const third = await proceeds('ord-p3', ORDER_MINOR);
    expect(third.json()).toMatchObject({ toLoanMinor: 2_032_258, toMerchantMinor: 1_967_742, loanId });
    const after = await balances();
    expect(after.partner).toBe(before.partner - 3 * ORDER_MINOR);
    expect(after.lender - before.lender).toBe(10_032_258);
    expect(after.merchant - before.merchant).toBe(1_967_742);
    const { loan } = await loanOf(t.app, loanId);
    expect(loan).toMatchObject({ status: 'repaid', outstandingPrincipalMinor: 0 });
    const reps = await call(t.app, 'GET', `/api/v1/loans/${loanId}`, { token: borrower.token });
    expect(reps.statusCode).toBe(200);
  });

  it('an order that backs no live loan pays the merchant; a second call changes nothing', async () => {
    expect((await partnerCall(t.app, partner, 'POST', '/api/v1/partner/wallet/deposits', { amountMinor: 4_000_000 })).statusCode).toBe(201);
    const before = await balances();
    const fourth = await proceeds('ord-p4', ORDER_MINOR);
    expect(fourth.json()).toMatchObject({ toLoanMinor: 0, toMerchantMinor: ORDER_MINOR });
    expect(fourth.json().loanId).toBeUndefined();
    const free = await proceeds('ord-free', 3_000_000);
    expect(free.json()).toMatchObject({ toLoanMinor: 0, toMerchantMinor: 3_000_000 });
    const mid = await balances();
    expect(mid.merchant - before.merchant).toBe(ORDER_MINOR + 3_000_000);
    const again = await proceeds('ord-p3', ORDER_MINOR);
    expect(again.statusCode).toBe(200);
    expect(again.json()).toMatchObject({ toLoanMinor: 2_032_258, toMerchantMinor: 1_967_742, loanId });
    const other = await proceeds('ord-p3', ORDER_MINOR - 100);
    expect([other.statusCode, other.json().code]).toEqual([409, 'PROCEEDS_EXISTS']);
    expect(await balances()).toEqual(mid);
  });

  it('an order paid in, then reported settled, is not swept from the merchant again', async () => {
    const before = await balances();
    const settled = await partnerCall(t.app, partner, 'POST', `/api/v1/partner/merchants/${borrower.merchantRef}/orders`, {
      orders: [{ orderId: 'ord-p1', amountMinor: ORDER_MINOR, status: 'settled', placedAt: '2031-03-01T10:00:00Z', settledAt: '2031-03-12T02:00:00Z' }],
    });
    expect(settled.statusCode).toBe(200);
    expect(await sweepOrder(t.app.ctx, borrower.merchantId, 'ord-p1')).toBe('not_applicable');
    expect(await balances()).toEqual(before);
  });

  it("the invariants notice proceeds that did not go where their record says", async () => {
    expect((await claimInvariants(t.app.ctx.db)).every((c) => c.ok)).toBe(true);
    const failed = await t.app.ctx.db
      .transaction(async (tx) => {
        await tx.execute(sql`update order_proceeds set to_loan_minor = to_loan_minor - 1, to_merchant_minor = to_merchant_minor + 1 where to_loan_minor > 0 and to_merchant_minor > 0`);
        const names = (await claimInvariants(tx)).filter((c) => !c.ok).map((c) => c.name);
        throw Object.assign(new Error('rollback'), { names });
      })
      .catch((e: { names?: string[] }) => e.names ?? []);
    expect(failed).toContain('orders.proceeds_paid_out');
  });

  it('without money in the settlement account nothing moves', async () => {
    const before = await balances();
    const poor = await proceeds('ord-p5', ORDER_MINOR);
    expect([poor.statusCode, poor.json().code]).toEqual([422, 'INSUFFICIENT_FUNDS']);
    expect(await balances()).toEqual(before);
  });
});
