import type { LightMyRequestResponse } from 'fastify';
import { expect } from 'vitest';
import type { App } from '../../../src/http/app.js';
import { call, residentId, uniq } from './api.js';
import { adminToken, partnerCall, type PartnerKey } from './partner.js';

/** A core enterprise's own key: signed like the order system's (through the same helper), kind `core`. */
export interface CoreKey {
  id: string;
  keyId: string;
  secret: string;
}

export async function registerCore(app: App, partner: PartnerKey, opts: { grade?: string; limitMinor?: number; name?: string } = {}): Promise<CoreKey> {
  const res = await call(app, 'POST', '/api/v1/admin/core-enterprises', {
    token: await adminToken(app),
    body: { partnerId: partner.partnerId, name: opts.name ?? uniq('核心企业 Core '), legalForm: 'legal_person', grade: opts.grade ?? 'AA', limitMinor: opts.limitMinor ?? 500_000_000 },
  });
  expect(res.statusCode, res.body).toBe(201);
  return res.json();
}

export function coreCall(app: App, core: CoreKey, method: 'GET' | 'POST', url: string, body?: unknown): Promise<LightMyRequestResponse> {
  return partnerCall(app, core, method, url, body);
}

export async function coreDeposit(app: App, core: CoreKey, amountMinor: number): Promise<void> {
  const res = await coreCall(app, core, 'POST', '/api/v1/core/wallet/deposits', { amountMinor });
  expect(res.statusCode, res.body).toBe(201);
}

export async function coreWallet(app: App, core: CoreKey): Promise<number> {
  const res = await coreCall(app, core, 'GET', '/api/v1/core/wallet');
  expect(res.statusCode, res.body).toBe(200);
  return res.json().availableMinor;
}

export async function issue(app: App, core: CoreKey, body: { payableRef?: string; supplierMerchantRef: string; amountMinor: number; dueDate: string; orderIds?: string[] }): Promise<{ payableRef: string; claimId: string }> {
  const res = await coreCall(app, core, 'POST', '/api/v1/core/payables', { payableRef: body.payableRef ?? uniq('PO-'), ...body });
  expect(res.statusCode, res.body).toBe(201);
  return res.json();
}

export function assign(app: App, token: string, claimId: string, toMerchantRef: string, amountMinor: number, idempotencyKey?: string): Promise<LightMyRequestResponse> {
  return call(app, 'POST', `/api/v1/claims/${claimId}/assign`, { token, body: { toMerchantRef, amountMinor }, ...(idempotencyKey ? { headers: { 'idempotency-key': idempotencyKey } } : {}) });
}

export async function assignOk(app: App, token: string, claimId: string, toMerchantRef: string, amountMinor: number): Promise<{ id: string; tier: number; chain: { merchantName: string; tier: number }[] }> {
  const res = await assign(app, token, claimId, toMerchantRef, amountMinor);
  expect(res.statusCode, res.body).toBe(201);
  return res.json();
}

export async function myClaims(app: App, token: string) {
  const res = await call(app, 'GET', '/api/v1/me/claims?limit=200', { token });
  expect(res.statusCode, res.body).toBe(200);
  return res.json().items as { id: string; amountMinor: number; tier: number; status: string; chain: { merchantName: string; tier: number }[]; pledgedTo?: { listingId: string; loanId: string | null }; toLoanMinor?: number; toHolderMinor?: number }[];
}

export async function claimListing(app: App, token: string, opts: { claimIds: string[]; amountMinor: number; maturesOn: string; maxRateBps?: number; durationSec?: number }) {
  return call(app, 'POST', '/api/v1/listings', {
    token,
    body: {
      title: 'Receivables from our buyer',
      purpose: 'Cash for wages and materials until the buyer pays',
      amountMinor: opts.amountMinor,
      maxRateBps: opts.maxRateBps ?? 1500,
      product: 'claim',
      maturesOn: opts.maturesOn,
      collateral: { claimIds: opts.claimIds },
      ...(opts.durationSec ? { durationSec: opts.durationSec } : {}),
    },
  });
}
