import type { InjectOptions, LightMyRequestResponse } from 'fastify';
import { expect } from 'vitest';
import type { App } from '../../../src/http/app.js';
import { checkInvariants } from '../../../src/services/invariants.js';

let counter = 0;
export function uniq(prefix = 'u'): string {
  counter++;
  return `${prefix}${Date.now().toString(36)}${counter}${Math.random().toString(36).slice(2, 6)}`;
}

export interface Session {
  token: string;
  userId: string;
  email: string;
}

/** A request through inject, with a Bearer token when given. */
export async function call(
  app: App,
  method: InjectOptions['method'],
  url: string,
  opts: { token?: string | undefined; body?: unknown; headers?: Record<string, string>; rawBody?: string } = {},
): Promise<LightMyRequestResponse> {
  const headers: Record<string, string> = { ...(opts.headers ?? {}) };
  if (opts.token) headers.authorization = `Bearer ${opts.token}`;
  let payload: string | undefined;
  if (opts.rawBody !== undefined) payload = opts.rawBody;
  else if (opts.body !== undefined) payload = JSON.stringify(opts.body);
  if (payload !== undefined) headers['content-type'] ??= 'application/json';
  return app.inject({ method, url, headers, ...(payload !== undefined ? { payload } : {}) });
}

/**
 * A valid mainland resident id number (check character computed) for test users: a distinct person for
 * every `seq` (the birth date moves a day every 1,000), lenders in one district and borrowers' legal
 * representatives in another, so that no two helpers' users are the same person by accident.
 */
export function residentId(seq: number, region: 'lender' | 'borrower' = 'lender'): string {
  const birth = new Date(Date.UTC(1990, 2, 7) + Math.floor(seq / 1000) * 86_400_000);
  const ymd = `${birth.getUTCFullYear()}${String(birth.getUTCMonth() + 1).padStart(2, '0')}${String(birth.getUTCDate()).padStart(2, '0')}`;
  const first17 = `${region === 'lender' ? '110105' : '310104'}${ymd}${String(seq % 1000).padStart(3, '0')}`;
  const weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
  let sum = 0;
  for (let i = 0; i < 17; i++) sum += Number(first17[i]) * weights[i]!;
  return first17 + '10X98765432'[sum % 11]!;
}

/** Identities for tests that choose one on purpose: far from the helpers' counters. */
export function chosenResidentId(n: number, region: 'lender' | 'borrower' = 'lender'): string {
  return residentId(900_000 + n, region);
}

let kycSeq = 0;
export async function registerLender(
  app: App,
  opts: { kyc?: boolean; depositMinor?: number; riskProfile?: 'conservative' | 'balanced' | 'aggressive'; displayName?: string } = {},
): Promise<Session> {
  const email = `${uniq('lender')}@example.com`;
  const res = await call(app, 'POST', '/api/v1/auth/register', { body: { email, password: 'correct horse battery', role: 'lender', displayName: opts.displayName ?? 'Lender' } });
  expect(res.statusCode, res.body).toBe(201);
  const { token, user } = res.json();
  if (opts.kyc !== false) {
    const kyc = await call(app, 'PUT', '/api/v1/me/kyc', { token, body: { legalName: '张三', idNumber: residentId(++kycSeq), riskProfile: opts.riskProfile ?? 'aggressive' } });
    expect(kyc.statusCode, kyc.body).toBe(200);
  }
  if (opts.depositMinor) {
    const dep = await call(app, 'POST', '/api/v1/wallet/deposits', { token, body: { amountMinor: opts.depositMinor } });
    expect(dep.statusCode, dep.body).toBe(201);
  }
  return { token, userId: user.id, email };
}

export async function loginAs(app: App, email: string, password: string): Promise<string> {
  const res = await call(app, 'POST', '/api/v1/auth/login', { body: { email, password } });
  expect(res.statusCode, res.body).toBe(200);
  return res.json().token;
}

/** Every integration test ends with this: the money invariants hold. */
export async function expectInvariants(app: App): Promise<void> {
  const result = await checkInvariants(app.ctx.db);
  const failed = result.checks.filter((c) => !c.ok);
  expect(failed, JSON.stringify(failed)).toEqual([]);
}

export async function walletOfToken(app: App, token: string): Promise<{ availableMinor: number; heldMinor: number }> {
  const res = await call(app, 'GET', '/api/v1/wallet', { token });
  expect(res.statusCode, res.body).toBe(200);
  return res.json();
}
