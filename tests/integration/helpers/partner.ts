import type { LightMyRequestResponse } from 'fastify';
import { expect } from 'vitest';
import type { App } from '../../../src/http/app.js';
import { signedRequestHeaders } from '../../../src/security/signature.js';
import type { MerchantOrder } from '../../../src/domain/rating/index.js';
import { call, loginAs, residentId, uniq } from './api.js';

export const ADMIN = { email: 'operator@lendbook.test', password: 'operator-password-1' };
export const ADMIN_ENV = { LENDBOOK_ADMIN_EMAIL: ADMIN.email, LENDBOOK_ADMIN_PASSWORD: ADMIN.password };

export interface PartnerKey {
  partnerId: string;
  keyId: string;
  secret: string;
}

export async function adminToken(app: App): Promise<string> {
  return loginAs(app, ADMIN.email, ADMIN.password);
}

export async function createPartner(app: App, opts: { webhookUrl?: string } = {}): Promise<PartnerKey> {
  const token = await adminToken(app);
  const res = await call(app, 'POST', '/api/v1/admin/partners', { token, body: { name: uniq('Shop platform '), ...(opts.webhookUrl ? { webhookUrl: opts.webhookUrl } : {}) } });
  expect(res.statusCode, res.body).toBe(201);
  return res.json();
}

const usedTimestamps = new Map<string, Set<number>>();
/** A timestamp not yet used for this exact request, so that polling the same URL is not a replay. */
function freshTimestamp(requestKey: string): number {
  const used = usedTimestamps.get(requestKey) ?? new Set<number>();
  usedTimestamps.set(requestKey, used);
  let ts = Math.floor(Date.now() / 1000);
  while (used.has(ts)) ts--;
  used.add(ts);
  return ts;
}

/** A partner call signed with the key (a fresh timestamp each time, so no two signatures repeat). */
export async function partnerCall(app: App, key: { keyId: string; secret: string }, method: 'GET' | 'POST' | 'PUT', url: string, body?: unknown, nowSec?: number, extraHeaders: Record<string, string> = {}): Promise<LightMyRequestResponse> {
  const raw = body === undefined ? '' : JSON.stringify(body);
  const ts = nowSec ?? freshTimestamp(`${key.keyId} ${method} ${url} ${raw}`);
  return call(app, method, url, { rawBody: body === undefined ? undefined : raw, headers: { ...signedRequestHeaders(key.keyId, key.secret, { method, pathWithQuery: url, rawBody: raw }, ts), ...extraHeaders } });
}

export async function putMerchant(app: App, key: PartnerKey, ref: string, profile: { legalForm?: 'legal_person' | 'natural_person'; openedAt: string; name?: string }) {
  const res = await partnerCall(app, key, 'PUT', `/api/v1/partner/merchants/${ref}`, { name: profile.name ?? `Shop ${ref}`, legalForm: profile.legalForm ?? 'legal_person', openedAt: profile.openedAt, category: 'apparel' });
  expect([200, 201], res.body).toContain(res.statusCode);
  return res.json().merchant as { id: string; ref: string };
}

/** Sends orders in batches of up to 5,000, with times at noon UTC of their day. */
export async function pushOrders(app: App, key: PartnerKey, ref: string, orders: readonly MerchantOrder[]): Promise<void> {
  for (let i = 0; i < orders.length; i += 5000) {
    const batch = orders.slice(i, i + 5000).map((o) => ({ orderId: o.orderId, amountMinor: o.amountMinor, status: o.status, placedAt: `${o.placedAt}T12:00:00Z` }));
    const res = await partnerCall(app, key, 'POST', `/api/v1/partner/merchants/${ref}/orders`, { orders: batch });
    expect(res.statusCode, res.body).toBe(200);
  }
}

export async function inviteCode(app: App, key: PartnerKey, ref: string): Promise<string> {
  const res = await partnerCall(app, key, 'POST', `/api/v1/partner/merchants/${ref}/invites`, {});
  expect(res.statusCode, res.body).toBe(201);
  return res.json().inviteCode;
}

let borrowerKycSeq = 0;
/**
 * A borrower account with the invite code; its legal representative verified (KYC comes before a first
 * listing) with an identity of its own unless `idNumber` names one, or `kyc: false` skips it.
 */
export async function registerBorrower(app: App, code: string, opts: { kyc?: boolean; idNumber?: string } = {}): Promise<{ token: string; userId: string; email: string; idNumber: string | null }> {
  const email = `${uniq('borrower')}@example.com`;
  const res = await call(app, 'POST', '/api/v1/auth/register', { body: { email, password: 'correct horse battery', role: 'borrower', displayName: 'Merchant', inviteCode: code } });
  expect(res.statusCode, res.body).toBe(201);
  const token = res.json().token as string;
  if (opts.kyc === false) return { token, userId: res.json().user.id, email, idNumber: null };
  const idNumber = opts.idNumber ?? residentId(++borrowerKycSeq, 'borrower');
  const kyc = await call(app, 'PUT', '/api/v1/me/kyc', { token, body: { legalName: '周法人', idNumber, riskProfile: 'balanced' } });
  expect(kyc.statusCode, kyc.body).toBe(200);
  return { token, userId: res.json().user.id, email, idNumber };
}
