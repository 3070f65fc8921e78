import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { rows } from '../../src/db/client.js';
import { sha256Hex } from '../../src/security/crypto.js';
import { call, chosenResidentId, expectInvariants, loginAs, registerLender, uniq, walletOfToken } from './helpers/api.js';
import { createTestStorage, startApp, usingRedis, type TestApp, type TestStorage } from './helpers/env.js';
import { waitFor } from './helpers/wait.js';

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

  // A node keeps a session it has looked up for a minute: a logout elsewhere must reach it through the
  // bus at once, not when that minute ends.
  it.skipIf(!usingRedis)('a logout on one node is refused at once on another node that had the session cached', async () => {
    const other = await startApp(storage);
    try {
      const lender = await registerLender(t.app, { kyc: false });
      expect((await call(other.app, 'GET', '/api/v1/me', { token: lender.token })).statusCode).toBe(200);
      expect((await call(t.app, 'POST', '/api/v1/auth/logout', { token: lender.token })).statusCode).toBe(204);
      await waitFor(async () => (await call(other.app, 'GET', '/api/v1/me', { token: lender.token })).statusCode === 401, 10_000);
    } finally {
      await other.close();
    }
  });

  it('wrong password and unknown email look the same', async () => {
    const lender = await registerLender(t.app, { kyc: false });
    const wrong = await call(t.app, 'POST', '/api/v1/auth/login', { body: { email: lender.email, password: 'not the password' } });
    const unknown = await call(t.app, 'POST', '/api/v1/auth/login', { body: { email: `${uniq()}@example.com`, password: 'not the password' } });
    expect(wrong.statusCode).toBe(401);
    expect(unknown.statusCode).toBe(401);
    expect(wrong.json()).toEqual(unknown.json());
  });

  it('throttles password spraying: many accounts from one address', async () => {
    const limited = await startApp(storage, { env: { LENDBOOK_LOGIN_ADDRESS_RATE_PER_MIN: '20', LENDBOOK_LOGIN_RATE_PER_MIN: '5' } });
    try {
      const login = (email: string, remoteAddress: string) => limited.app.inject({ method: 'POST', url: '/api/v1/auth/login', remoteAddress, headers: { 'content-type': 'application/json' }, payload: JSON.stringify({ email, password: 'spring-2024-guess' }) });
      const codes: number[] = [];
      for (let i = 0; i < 40; i++) codes.push((await login(`${uniq('spray')}@example.com`, '203.0.113.7')).statusCode);
      console.log(`login spraying: 40 emails from one address → ${codes.filter((c) => c === 401).length} × 401, ${codes.filter((c) => c === 429).length} × 429`);
      expect(codes.slice(0, 20).every((c) => c === 401)).toBe(true);
      expect(codes.slice(20).every((c) => c === 429)).toBe(true);
      // Another address is not held back by this one.
      expect((await login(`${uniq('spray')}@example.com`, '203.0.113.8')).statusCode).toBe(401);
    } finally {
      await limited.close();
    }
  });

  it('throttles guessing one account from many addresses', async () => {
    const limited = await startApp(storage, { env: { LENDBOOK_LOGIN_ADDRESS_RATE_PER_MIN: '20', LENDBOOK_LOGIN_RATE_PER_MIN: '5' } });
    try {
      const lender = await registerLender(t.app, { kyc: false });
      const codes: number[] = [];
      for (let i = 0; i < 12; i++) {
        const res = await limited.app.inject({ method: 'POST', url: '/api/v1/auth/login', remoteAddress: `198.51.100.${i + 1}`, headers: { 'content-type': 'application/json' }, payload: JSON.stringify({ email: lender.email.toUpperCase(), password: `guess-${i}-xxxxxx` }) });
        codes.push(res.statusCode);
        if (res.statusCode === 429) expect(Number(res.headers['retry-after'])).toBeGreaterThan(0);
      }
      console.log(`login guessing from 12 addresses: ${codes.join(' ')}`);
      expect(codes).toEqual([401, 401, 401, 401, 401, 429, 429, 429, 429, 429, 429, 429]);
    } finally {
      await limited.close();
    }
  });

  it.runIf(usingRedis)('the login counts are shared by every node (Redis)', async () => {
    const env = { LENDBOOK_LOGIN_ADDRESS_RATE_PER_MIN: '1000', LENDBOOK_LOGIN_RATE_PER_MIN: '5' };
    const [a, b] = [await startApp(storage, { env }), await startApp(storage, { env })];
    try {
      const lender = await registerLender(t.app, { kyc: false });
      const codes: number[] = [];
      for (let i = 0; i < 8; i++) {
        const node = i % 2 === 0 ? a : b;
        codes.push((await call(node.app, 'POST', '/api/v1/auth/login', { body: { email: lender.email, password: `guess-${i}-xxxxxx` } })).statusCode);
      }
      expect(codes).toEqual([401, 401, 401, 401, 401, 429, 429, 429]);
    } finally {
      await a.close();
      await b.close();
    }
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

  it('refuses common, padded, repetitive and sequential passwords with a clear reason; long passphrases pass', async () => {
    const weak: [string, string][] = [
      ['1234567890', 'common'],
      ['password12', 'common'],
      ['aaaaaaaaaa', 'repetitive'],
      ['Password2024!', 'common_with_digits'],
      ['abcdefghijkl', 'sequence'],
      ['qwertyuiop', 'common'],
    ];
    for (const [password, reason] of weak) {
      const res = await call(t.app, 'POST', '/api/v1/auth/register', { body: { email: `${uniq()}@example.com`, password, role: 'lender', displayName: 'W' } });
      expect(res.statusCode, password).toBe(422);
      expect(res.json(), password).toMatchObject({ code: 'PASSWORD_WEAK', reason });
      expect(res.json().detail, password).toMatch(/common|repeats|run of consecutive/);
    }
    for (const password of ['correct horse battery', 'lendbook-demo', 'operator-password-1']) {
      const res = await call(t.app, 'POST', '/api/v1/auth/register', { body: { email: `${uniq()}@example.com`, password, role: 'lender', displayName: 'S' } });
      expect(res.statusCode, `${password}: ${res.body}`).toBe(201);
    }
    // A new password follows the same rules.
    const lender = await registerLender(t.app, { kyc: false });
    const change = await call(t.app, 'POST', '/api/v1/me/password', { token: lender.token, body: { currentPassword: 'correct horse battery', newPassword: '1234567890' } });
    expect(change.json()).toMatchObject({ code: 'PASSWORD_WEAK', reason: 'common' });
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

  it('a public read never looks the caller up; a route with roles does, before its own per-user limit', async () => {
    const stranger = `never-issued-${uniq()}`;
    const read = await call(t.app, 'GET', '/api/v1/listings?limit=5', { token: stranger });
    expect(read.statusCode).toBe(200);
    // Not even asked of the session cache (which remembers an unknown token once it has been looked up).
    expect(t.app.ctx.sessionCache.get(sha256Hex(stranger))).toBeUndefined();
    expect((await call(t.app, 'GET', '/api/v1/me', { token: stranger })).statusCode).toBe(401);
    expect(t.app.ctx.sessionCache.get(sha256Hex(stranger))).toBeNull();

    // The password-change limit (10 a minute) keys on the user: the user must be known when it runs.
    const lender = await registerLender(t.app, { kyc: false });
    const codes: number[] = [];
    for (let i = 0; i < 11; i++) {
      codes.push((await call(t.app, 'POST', '/api/v1/me/password', { token: lender.token, body: { currentPassword: `not-it-${i}-xxxxxx`, newPassword: 'a much better passphrase' } })).statusCode);
    }
    expect(codes.slice(0, 10).every((c) => c !== 429)).toBe(true);
    expect(codes[10]).toBe(429);
  });

  it('reads the session cookie among other cookies, and only where the route looks the caller up', async () => {
    const lender = await registerLender(t.app, { kyc: false });
    const res = await call(t.app, 'POST', '/api/v1/auth/login', { body: { email: lender.email, password: 'correct horse battery' } });
    const session = String(res.headers['set-cookie']).split(';')[0]!;
    const me = await t.app.inject({ method: 'GET', url: '/api/v1/me', headers: { cookie: `theme=dark; ${session}; lang=zh-CN` } });
    expect(me.statusCode).toBe(200);
    expect(me.json().email).toBe(lender.email);
    expect((await t.app.inject({ method: 'GET', url: '/api/v1/me', headers: { cookie: 'theme=dark; lb_session=' } })).statusCode).toBe(401);
    // A cookie that does not decode is no session, not a fault.
    const garbled = await t.app.inject({ method: 'GET', url: '/api/v1/me', headers: { cookie: 'lb_session=%zz%; theme; =x' } });
    expect(garbled.statusCode).toBe(401);
    expect(garbled.json().code).toBe('UNAUTHENTICATED');
    expect((await t.app.inject({ method: 'GET', url: '/api/v1/listings?limit=5', headers: { cookie: 'lb_session=%zz; theme' } })).statusCode).toBe(200);
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
    const id = chosenResidentId(901);
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
    expect(reuse.statusCode).toBe(409);
    expect(reuse.json().code).toBe('KYC_DUPLICATE');
  });

  it('one person, one lender: six accounts verifying the same identity at once, one is verified', async () => {
    const id = chosenResidentId(903);
    const accounts = await Promise.all(Array.from({ length: 6 }, () => registerLender(t.app, { kyc: false })));
    const answers = await Promise.all(accounts.map((a) => call(t.app, 'PUT', '/api/v1/me/kyc', { token: a.token, body: { legalName: '陈静', idNumber: id, riskProfile: 'balanced' } })));
    const codes = answers.map((r) => (r.statusCode === 200 ? 200 : `${r.statusCode} ${r.json().code}`)).sort();
    console.log(`one person, one lender: 6 accounts, one identity, at once: ${codes.join(', ')}`);
    expect(codes).toEqual([200, '409 KYC_DUPLICATE', '409 KYC_DUPLICATE', '409 KYC_DUPLICATE', '409 KYC_DUPLICATE', '409 KYC_DUPLICATE']);
    const [verified] = await rows<{ n: number }>(t.app.ctx.db, sql`select count(*)::int as n from users where kyc_status = 'verified' and id = any(string_to_array(${accounts.map((a) => a.userId).join(',')}, ','))`);
    expect(verified!.n).toBe(1);
  });

  it('refuses a bad check character, and lenders cannot deposit before KYC', async () => {
    const lender = await registerLender(t.app, { kyc: false });
    const good = chosenResidentId(902);
    const bad = good.slice(0, 17) + (good[17] === '1' ? '2' : '1');
    const res = await call(t.app, 'PUT', '/api/v1/me/kyc', { token: lender.token, body: { legalName: '王芳', idNumber: bad, riskProfile: 'balanced' } });
    expect(res.statusCode).toBe(400);
    expect(res.json().detail).toContain('idNumber');
    const dep = await call(t.app, 'POST', '/api/v1/wallet/deposits', { token: lender.token, body: { amountMinor: 100000 } });
    expect(dep.json().code).toBe('KYC_REQUIRED');
  });
});
