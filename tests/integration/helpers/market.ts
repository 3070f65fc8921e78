import { expect } from 'vitest';
import type { App } from '../../../src/http/app.js';
import { isoDateOfMs } from '../../../src/domain/dates.js';
import { rateMerchant } from '../../../src/services/rating.js';
import { closeListing } from '../../../src/services/clearing.js';
import { ordersFromMonthly } from '../../../src/demo/synthetic.js';
import { call, uniq } from './api.js';
import { createPartner, inviteCode, pushOrders, putMerchant, registerBorrower, type PartnerKey } from './partner.js';

export interface Borrower {
  token: string;
  userId: string;
  email: string;
  merchantId: string;
  merchantRef: string;
  grade: string;
  /** The legal representative's id number (verified). */
  idNumber: string | null;
}

/**
 * A merchant with a year of steady sales, rated (by the same code the rating job runs) and with its
 * borrower account open: ready to list.
 */
export async function ratedBorrower(
  app: App,
  partner: PartnerKey,
  opts: { legalForm?: 'legal_person' | 'natural_person'; monthlyYuan?: number; orderYuan?: number; idNumber?: string; kyc?: boolean } = {},
): Promise<Borrower> {
  const ref = uniq('m');
  const asOf = isoDateOfMs(app.ctx.clock.nowMs());
  const history = ordersFromMonthly({ asOf, monthlyYuan: Array.from({ length: 12 }, () => opts.monthlyYuan ?? 600_000), orderYuan: opts.orderYuan ?? 6_000 });
  const merchant = await putMerchant(app, partner, ref, { openedAt: history.openedAt, legalForm: opts.legalForm ?? 'legal_person' });
  await pushOrders(app, partner, ref, history.orders);
  const rating = await rateMerchant(app.ctx, merchant.id);
  const borrower = await registerBorrower(app, await inviteCode(app, partner, ref), { ...(opts.idNumber ? { idNumber: opts.idNumber } : {}), ...(opts.kyc === false ? { kyc: false } : {}) });
  return { ...borrower, merchantId: merchant.id, merchantRef: ref, grade: rating.grade };
}

export async function newPartner(app: App): Promise<PartnerKey> {
  return createPartner(app);
}

export interface ListingOptions {
  amountMinor?: number;
  maxRateBps?: number;
  pricing?: 'uniform' | 'pay_as_bid';
  minFundingPct?: number;
  closeWhenFunded?: boolean;
  durationSec?: number;
  termMonths?: number;
  repayment?: 'equal_installment' | 'equal_principal' | 'interest_only';
  product?: 'credit' | 'order' | 'warehouse_receipt';
  collateral?: { orderIds: string[] } | { receiptId: string };
}

export async function createListing(app: App, borrower: { token: string }, opts: ListingOptions = {}): Promise<{ id: string; endsAt: string; [k: string]: unknown }> {
  const res = await call(app, 'POST', '/api/v1/listings', {
    token: borrower.token,
    body: {
      title: 'Stock for the autumn season',
      purpose: 'Inventory ahead of 双11',
      amountMinor: opts.amountMinor ?? 1_000_000,
      termMonths: opts.termMonths ?? 12,
      maxRateBps: opts.maxRateBps ?? 1500,
      repayment: opts.repayment ?? 'equal_installment',
      product: opts.product ?? 'credit',
      ...(opts.pricing ? { pricing: opts.pricing } : {}),
      ...(opts.minFundingPct ? { minFundingPct: opts.minFundingPct } : {}),
      ...(opts.closeWhenFunded !== undefined ? { closeWhenFunded: opts.closeWhenFunded } : {}),
      ...(opts.durationSec ? { durationSec: opts.durationSec } : {}),
      ...(opts.collateral ? { collateral: opts.collateral } : {}),
    },
  });
  expect(res.statusCode, res.body).toBe(201);
  return res.json();
}

export async function bid(app: App, token: string, listingId: string, amountMinor: number, rateBps: number, idempotencyKey?: string) {
  return call(app, 'POST', `/api/v1/listings/${listingId}/bids`, { token, body: { amountMinor, rateBps }, ...(idempotencyKey ? { headers: { 'idempotency-key': idempotencyKey } } : {}) });
}

export async function acceptedBid(app: App, token: string, listingId: string, amountMinor: number, rateBps: number): Promise<{ id: string; status: string; fillMinor: number }> {
  const res = await bid(app, token, listingId, amountMinor, rateBps);
  expect(res.statusCode, res.body).toBe(201);
  return res.json();
}

/** Moves the settable clock forward, on this node and (through the database) every other. */
export async function advanceClock(app: App, ms: number): Promise<void> {
  const { advanceClock: advance } = await import('../../../src/services/admin-settings.js');
  await advance(app.ctx, ms);
}

/**
 * Moves the clock past the listing's end and runs its close, as the close job would; returns how it
 * ended. (The sweeper may get there first once the clock has moved: then its outcome is read back.)
 */
export async function endAuction(app: App, listingId: string): Promise<string> {
  const res = await call(app, 'GET', `/api/v1/listings/${listingId}`);
  const endsAtMs = Date.parse(res.json().endsAt);
  const ahead = endsAtMs - app.ctx.clock.nowMs() + 1000;
  if (ahead > 0) await advanceClock(app, ahead);
  const outcome = await closeListing(app.ctx, listingId);
  if (outcome !== 'already_closed') return outcome;
  return (await call(app, 'GET', `/api/v1/listings/${listingId}`)).json().status;
}

export async function listing(app: App, id: string) {
  const res = await call(app, 'GET', `/api/v1/listings/${id}`);
  expect(res.statusCode, res.body).toBe(200);
  return res.json();
}

export async function myBids(app: App, token: string): Promise<{ id: string; listingId: string; status: string; fillMinor: number; amountMinor: number; rateBps: number }[]> {
  const res = await call(app, 'GET', '/api/v1/me/bids?limit=200', { token });
  expect(res.statusCode, res.body).toBe(200);
  return res.json().items;
}

export { createPartner };
