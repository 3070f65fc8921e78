import { expect } from 'vitest';
import { isoDateOfMs } from '../../../src/domain/dates.js';
import type { App } from '../../../src/http/app.js';
import { rateMerchant } from '../../../src/services/rating.js';
import { ordersFromMonthly } from '../../../src/demo/synthetic.js';
import { call, registerLender, uniq } from '../../integration/helpers/api.js';
import type { Borrower } from '../../integration/helpers/market.js';
import { inviteCode, pushOrders, putMerchant, registerBorrower, type PartnerKey } from '../../integration/helpers/partner.js';

/** The password every test user has (tests/integration/helpers). */
export const PASSWORD = 'correct horse battery';

/**
 * A rated merchant with a borrower account, as tests/integration/helpers/market.ts's ratedBorrower,
 * with a shop name of its own (the screenshots show it).
 */
export async function namedBorrower(app: App, partner: PartnerKey, name: string, monthlyYuan = 600_000): Promise<Borrower> {
  const ref = uniq('m');
  const asOf = isoDateOfMs(app.ctx.clock.nowMs());
  const history = ordersFromMonthly({ asOf, monthlyYuan: Array.from({ length: 12 }, (_, i) => Math.round(monthlyYuan * (0.85 + 0.3 * Math.sin(i / 2) ** 2))), orderYuan: 6_000 });
  const merchant = await putMerchant(app, partner, ref, { openedAt: history.openedAt, legalForm: 'legal_person', name });
  await pushOrders(app, partner, ref, history.orders);
  const rating = await rateMerchant(app.ctx, merchant.id);
  const borrower = await registerBorrower(app, await inviteCode(app, partner, ref));
  return { ...borrower, merchantId: merchant.id, merchantRef: ref, grade: rating.grade };
}

export interface NewListing {
  title: string;
  purpose: string;
  amountMinor: number;
  maxRateBps: number;
  termMonths: number;
  durationSec: number;
}

export async function listingOf(app: App, borrower: { token: string }, l: NewListing): Promise<string> {
  const res = await call(app, 'POST', '/api/v1/listings', { token: borrower.token, body: { ...l, repayment: 'equal_installment', product: 'credit' } });
  expect(res.statusCode, res.body).toBe(201);
  return res.json().id;
}

/** Lenders with money, ready to bid through the API. */
export async function lenders(app: App, n: number, depositMinor = 5_000_000): Promise<string[]> {
  return Promise.all(Array.from({ length: n }, () => registerLender(app, { depositMinor }).then((s) => s.token)));
}

export async function bidOk(app: App, token: string, listingId: string, amountMinor: number, rateBps: number): Promise<void> {
  const res = await call(app, 'POST', `/api/v1/listings/${listingId}/bids`, { token, body: { amountMinor, rateBps } });
  expect(res.statusCode, res.body).toBe(201);
}
