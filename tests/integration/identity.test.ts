import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, expectInvariants, loginAs, registerLender, residentId, uniq, walletOfToken } from './helpers/api.js';
import { createTestStorage, startApp, type TestApp, type TestStorage } from './helpers/env.js';

let storage: TestStorage;
let t: TestApp;
const ADMIN = { email: 'ops@lendbook.test', password: 'operator-password-1' };
beforeAll(async () => {
  storage = await createTestStorage();
  t = await startApp(storage, { env: { LENDBOOK_ADMIN_EMAIL: ADMIN.email, LENDBOOK_ADMIN_PASSWORD: ADMIN.password, LENDBOOK_LOGIN_RATE_PER_MIN: '5' } });
});
afterAll(async () => {
  if (t) await expectInvariants(t.app);
  await t?.close();
  await storage?.dispose();
});

describe('register, login, logout', () => {
  it('registers a lender with a wallet and a working token', async () => {
    const email = `${uniq()}@example.com`;
    const res = await call(t.app, 'POST', '/api/v1/auth/register', { body: { email, password: 'correct horse battery', role: 'lender', displayName: 'Li Wei' } });
    expect(res.statusCode).toBe(201);
    const body = res.json();
    expect(body.user).toMatchObject({ email, role: 'lender', displayName: 'Li Wei', kyc: { status: 'none' } });
    expect(body.user).not.toHaveProperty('passwordHash');
    expect(res.headers['set-cookie']).toMatch(/lb_session=.*HttpOnly.*SameSite=Lax/i);
    const me = await call(t.app, 'GET', '/api/v1/me', { token: body.token });
    expect(me.statusCode).toBe(200);
    expect(me.json().id).toBe(body.user.id);
    expect(await walletOfToken(t.app, body.token)).toEqual({ availableMinor: 0, heldMinor: 0, currency: 'CNY' });
  });

  it('refuses a taken email (any case), a weak password and a borrower without invite', async () => {
    const email = `${uniq()}@example.com`;
    const ok = await call(t.app, 'POST', '/api/v1/auth/register', { body: { email, password: 'correct horse battery', role: 'lender', displayName: 'A' } });
    expect(ok.statusCode).toBe(201);
    const dup = await call(t.app, 'POST', '/api/v1/auth/register', { body: { email: email.toUpperCase(), password: 'correct horse battery', role: 'lender', displayName: 'B' } });
    expect(dup.json().code).toBe('EMAIL_TAKEN');
    const weak = await call(t.app, 'POST', '/api/v1/auth/register', { body: { email: `${uniq()}@example.com`, password: 'short', role: 'lender', displayName: 'C' } });
    expect(weak.json().code).toBe('PASSWORD_WEAK');
    const borrower = await call(t.app, 'POST', '/api/v1/auth/register', { body: { email: `${uniq()}@example.com`, password: 'correct horse battery', role: 'borrower', displayName: 'D' } });
    expect(borrower.json().code).toBe('INVITE_INVALID');
    const operator = await call(t.app, 'POST', '/api/v1/auth/register', { body: { email: `${uniq()}@example.com`, password: 'correct horse battery', role: 'operator', displayName: 'E' } });
    expect(operator.statusCode).toBe(400);
  });

  it('logs in with a Bearer token and the cookie; logout revokes the session', async () => {
    const lender = await registerLender(t.app, { kyc: false });
    const res = await call(t.app, 'POST', '/api/v1/auth/login', { body: { email: lender.email, password: 'correct horse battery' } });
    expect(res.statusCode).toBe(200);
    const { token } = res.json();
    const cookie = String(res.headers['set-cookie']).split(';')[0]!;
    const viaCookie = await t.app.inject({ method: 'GET', url: '/api/v1/me', headers: { cookie } });
    expect(viaCookie.statusCode).toBe(200);
    const out = await call(t.app, 'POST', '/api/v1/auth/logout', { token });
    expect(out.statusCode).toBe(204);
    const after = await call(t.app, 'GET', '/api/v1/me', { token });
    expect(after.statusCode).toBe(401);
    expect(after.json().code).toBe('UNAUTHENTICATED');
    // The other session (from registration) still works.
    expect((await call(t.app, 'GET', '/api/v1/me', { token: lender.token })).statusCode).toBe(200);
  });

  it('wrong password and unknown email look the same', async () => {
    const lender = await registerLender(t.app, { kyc: false });
    const wrong = await call(t.app, 'POST', '/api/v1/auth/login', { body: { email: lender.email, password: 'not the password' } });
    const unknown = await call(t.app, 'POST', '/api/v1/auth/login', { body: { email: `${uniq()}@example.com`, password: 'not the password' } });
    expect(wrong.statusCode).toBe(401);
    expect(unknown.statusCode).toBe(401);
    expect(wrong.json()).toEqual(unknown.json());
  });

  it('throttles password guessing on one account', async () => {
    const lender = await registerLender(t.app, { kyc: false });
    const codes: number[] = [];
    for (let i = 0; i < 8; i++) {
      const r = await call(t.app, 'POST', '/api/v1/auth/login', { body: { email: lender.email, password: `guess-${i}-xxxxxx` } });
      codes.push(r.statusCode);
    }
    expect(codes.slice(0, 5)).toEqual([401, 401, 401, 401, 401]);
    expect(codes.slice(5)).toEqual([429, 429, 429]);
    const limited = await call(t.app, 'POST', '/api/v1/auth/login', { body: { email: lender.email, password: 'correct horse battery' } });
    expect(limited.statusCode).toBe(429);
    expect(limited.json().code).toBe('RATE_LIMITED');
    console.log(`login throttling: answers to 8 guesses ${codes.join(' ')}; then the right password ${limited.statusCode}`);
  });

  it('a password change revokes every other session', async () => {
    const lender = await registerLender(t.app, { kyc: false });
    const second = await loginAs(t.app, lender.email, 'correct horse battery');
    const change = await call(t.app, 'POST', '/api/v1/me/password', { token: lender.token, body: { currentPassword: 'correct horse battery', newPassword: 'a much better passphrase' } });
    expect(change.statusCode).toBe(204);
    expect((await call(t.app, 'GET', '/api/v1/me', { token: second })).statusCode).toBe(401);
    expect((await call(t.app, 'GET', '/api/v1/me', { token: lender.token })).statusCode).toBe(200);
    await loginAs(t.app, lender.email, 'a much better passphrase');
  });

  it('a cookie-authenticated write from another origin is refused', async () => {
    const lender = await registerLender(t.app, { kyc: false });
    const res = await call(t.app, 'POST', '/api/v1/auth/login', { body: { email: lender.email, password: 'correct horse battery' } });
    const cookie = String(res.headers['set-cookie']).split(';')[0]!;
    const cross = await t.app.inject({ method: 'POST', url: '/api/v1/wallet/deposits', headers: { cookie, origin: 'https://evil.example', 'content-type': 'application/json' }, payload: '{"amountMinor": 100}' });
    expect(cross.statusCode).toBe(403);
  });

  it('the first operator comes from the environment', async () => {
    const token = await loginAs(t.app, ADMIN.email, ADMIN.password);
    const me = await call(t.app, 'GET', '/api/v1/me', { token });
    expect(me.json().role).toBe('operator');
  });
});

describe('KYC', () => {
  it('verifies a valid resident id, keeps only its last four characters, and locks it', async () => {
    const lender = await registerLender(t.app, { kyc: false });
    const id = residentId(901);
    const res = await call(t.app, 'PUT', '/api/v1/me/kyc', { token: lender.token, body: { legalName: '王芳', idNumber: id, riskProfile: 'balanced' } });
    expect(res.statusCode).toBe(200);
    expect(res.json().kyc).toEqual({ status: 'verified', legalName: '王芳', idNumberLast4: id.slice(-4), riskProfile: 'balanced' });
    expect(res.body).not.toContain(id);
    const profile = await call(t.app, 'PUT', '/api/v1/me/kyc', { token: lender.token, body: { legalName: '王芳', idNumber: id, riskProfile: 'conservative' } });
    expect(profile.json().kyc.riskProfile).toBe('conservative');
    const change = await call(t.app, 'PUT', '/api/v1/me/kyc', { token: lender.token, body: { legalName: '李四', idNumber: id, riskProfile: 'conservative' } });
    expect(change.json().code).toBe('KYC_LOCKED');
    const other = await registerLender(t.app, { kyc: false });
    const reuse = await call(t.app, 'PUT', '/api/v1/me/kyc', { token: other.token, body: { legalName: '王芳', idNumber: id, riskProfile: 'balanced' } });
    expect(reuse.json().code).toBe('KYC_LOCKED');
  });

  it('refuses a bad check character, and lenders cannot deposit before KYC', async () => {
    const lender = await registerLender(t.app, { kyc: false });
    const good = residentId(902);
    const bad = good.slice(0, 17) + (good[17] === '1' ? '2' : '1');
    const res = await call(t.app, 'PUT', '/api/v1/me/kyc', { token: lender.token, body: { legalName: '王芳', idNumber: bad, riskProfile: 'balanced' } });
    expect(res.statusCode).toBe(400);
    expect(res.json().detail).toContain('idNumber');
    const dep = await call(t.app, 'POST', '/api/v1/wallet/deposits', { token: lender.token, body: { amountMinor: 100000 } });
    expect(dep.json().code).toBe('KYC_REQUIRED');
  });
});
