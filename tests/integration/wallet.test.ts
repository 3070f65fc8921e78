import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rows } from '../../src/db/client.js';
import { signedRequestHeaders } from '../../src/security/signature.js';
import { call, expectInvariants, registerLender, walletOfToken } from './helpers/api.js';
import { createTestStorage, startApp, type TestApp, type TestStorage } from './helpers/env.js';

const CUSTODIAN_SECRET = 'custodian-shared-secret-0123456789abcdef';
let storage: TestStorage;
let t: TestApp;
beforeAll(async () => {
  storage = await createTestStorage();
  t = await startApp(storage);
});
afterAll(async () => {
  if (t) await expectInvariants(t.app);
  await t?.close();
  await storage?.dispose();
});

async function transferCount(): Promise<number> {
  const [r] = await rows<{ n: number }>(t.app.ctx.db, sql`select count(*)::int as n from ledger_transfers`);
  return r!.n;
}

describe('deposits and withdrawals (simulated custodian)', () => {
  it('a deposit completes at once; a withdrawal holds then pays out', async () => {
    const lender = await registerLender(t.app, { depositMinor: 500_000 });
    expect(await walletOfToken(t.app, lender.token)).toMatchObject({ availableMinor: 500_000, heldMinor: 0 });
    const w = await call(t.app, 'POST', '/api/v1/wallet/withdrawals', { token: lender.token, body: { amountMinor: 120_000 } });
    expect(w.statusCode).toBe(201);
    expect(w.json()).toMatchObject({ kind: 'withdrawal', status: 'completed', amountMinor: 120_000, wallet: { availableMinor: 380_000, heldMinor: 0 } });
    const lines = await call(t.app, 'GET', '/api/v1/wallet/transfers', { token: lender.token });
    expect(lines.statusCode).toBe(200);
    const items = lines.json().items as { kind: string; direction: string; amountMinor: number; status: string; phase: string }[];
    expect(items.map((i) => [i.kind, i.direction, i.amountMinor, i.status, i.phase])).toEqual([
      ['withdrawal', 'debit', 120_000, 'posted', 'post'],
      ['withdrawal', 'debit', 120_000, 'posted', 'pending'],
      ['deposit', 'credit', 500_000, 'posted', 'single'],
    ]);
  });

  it('refuses a withdrawal above the available balance and changes nothing', async () => {
    const lender = await registerLender(t.app, { depositMinor: 100_000 });
    const before = await transferCount();
    const w = await call(t.app, 'POST', '/api/v1/wallet/withdrawals', { token: lender.token, body: { amountMinor: 100_001 } });
    expect(w.statusCode).toBe(422);
    expect(w.json().code).toBe('INSUFFICIENT_FUNDS');
    expect(await transferCount()).toBe(before);
    expect(await walletOfToken(t.app, lender.token)).toMatchObject({ availableMinor: 100_000, heldMinor: 0 });
  });

  it('paginates ledger lines with a cursor', async () => {
    const lender = await registerLender(t.app);
    for (let i = 1; i <= 5; i++) await call(t.app, 'POST', '/api/v1/wallet/deposits', { token: lender.token, body: { amountMinor: i * 100 } });
    const p1 = await call(t.app, 'GET', '/api/v1/wallet/transfers?limit=2', { token: lender.token });
    const p2 = await call(t.app, 'GET', `/api/v1/wallet/transfers?limit=2&cursor=${p1.json().nextCursor}`, { token: lender.token });
    const p3 = await call(t.app, 'GET', `/api/v1/wallet/transfers?limit=2&cursor=${p2.json().nextCursor}`, { token: lender.token });
    const amounts = [...p1.json().items, ...p2.json().items, ...p3.json().items].map((i: { amountMinor: number }) => i.amountMinor);
    expect(amounts).toEqual([500, 400, 300, 200, 100]);
    expect(p3.json().nextCursor).toBeNull();
  });
});

describe('bad amounts are 400 naming the field and change nothing', () => {
  const cases: [string, string][] = [
    ['negative', '{"amountMinor": -100}'],
    ['zero', '{"amountMinor": 0}'],
    ['float', '{"amountMinor": 100.5}'],
    ['float that looks whole', '{"amountMinor": 100.0}'],
    ['exponent', '{"amountMinor": 1e5}'],
    ['negative zero', '{"amountMinor": -0}'],
    ['hex string', '{"amountMinor": "0x10"}'],
    ['numeric string', '{"amountMinor": "100"}'],
    ['huge', '{"amountMinor": 99999999999999999999999}'],
    ['above the maximum', '{"amountMinor": 1000000000001}'],
    ['missing', '{}'],
    ['null', '{"amountMinor": null}'],
    ['extra field', '{"amountMinor": 100, "userId": "usr_someoneelse00000"}'],
    ['array', '[100]'],
  ];
  it.each(cases)('%s', async (_name, payload) => {
    const lender = await registerLender(t.app, { depositMinor: 1_000 });
    const before = await transferCount();
    for (const url of ['/api/v1/wallet/deposits', '/api/v1/wallet/withdrawals']) {
      const res = await call(t.app, 'POST', url, { token: lender.token, rawBody: payload });
      expect(res.statusCode, res.body).toBe(400);
      const body = res.json();
      expect(body.code).toBe('VALIDATION_FAILED');
      if (payload !== '[100]') expect(body.detail).toMatch(/amountMinor|userId/);
    }
    expect(await transferCount()).toBe(before);
    expect(await walletOfToken(t.app, lender.token)).toMatchObject({ availableMinor: 1_000, heldMinor: 0 });
  });
});

describe('Idempotency-Key', () => {
  it('the same key sent 3 times at once: one effect, three identical responses', async () => {
    const lender = await registerLender(t.app);
    const before = await transferCount();
    const send = () => call(t.app, 'POST', '/api/v1/wallet/deposits', { token: lender.token, body: { amountMinor: 7_700 }, headers: { 'idempotency-key': 'dep-key-0001' } });
    const [a, b, c] = await Promise.all([send(), send(), send()]);
    expect([a!.statusCode, b!.statusCode, c!.statusCode]).toEqual([201, 201, 201]);
    expect(b!.body).toBe(a!.body);
    expect(c!.body).toBe(a!.body);
    expect(await transferCount()).toBe(before + 1);
    expect(await walletOfToken(t.app, lender.token)).toMatchObject({ availableMinor: 7_700 });
    const later = await send();
    expect(later.body).toBe(a!.body);
    expect(later.headers['idempotent-replayed']).toBe('true');
  });

  it('the same key with another body is IDEMPOTENCY_KEY_REUSED; another user may use the same key', async () => {
    const lender = await registerLender(t.app);
    const first = await call(t.app, 'POST', '/api/v1/wallet/deposits', { token: lender.token, body: { amountMinor: 100 }, headers: { 'idempotency-key': 'shared-key-0001' } });
    expect(first.statusCode).toBe(201);
    const other = await call(t.app, 'POST', '/api/v1/wallet/deposits', { token: lender.token, body: { amountMinor: 200 }, headers: { 'idempotency-key': 'shared-key-0001' } });
    expect(other.statusCode).toBe(409);
    expect(other.json().code).toBe('IDEMPOTENCY_KEY_REUSED');
    const second = await registerLender(t.app);
    const theirs = await call(t.app, 'POST', '/api/v1/wallet/deposits', { token: second.token, body: { amountMinor: 200 }, headers: { 'idempotency-key': 'shared-key-0001' } });
    expect(theirs.statusCode).toBe(201);
    expect(await walletOfToken(t.app, lender.token)).toMatchObject({ availableMinor: 100 });
  });

  it('a refused request is replayed as refused, without a second attempt', async () => {
    const lender = await registerLender(t.app, { depositMinor: 100 });
    const send = () => call(t.app, 'POST', '/api/v1/wallet/withdrawals', { token: lender.token, body: { amountMinor: 500 }, headers: { 'idempotency-key': 'wd-refused-01' } });
    const a = await send();
    expect(a.json().code).toBe('INSUFFICIENT_FUNDS');
    await call(t.app, 'POST', '/api/v1/wallet/deposits', { token: lender.token, body: { amountMinor: 1000 } });
    const b = await send();
    expect(b.body).toBe(a.body);
  });

  it('a malformed key is refused', async () => {
    const lender = await registerLender(t.app);
    const res = await call(t.app, 'POST', '/api/v1/wallet/deposits', { token: lender.token, body: { amountMinor: 100 }, headers: { 'idempotency-key': 'x' } });
    expect(res.json().code).toBe('IDEMPOTENCY_KEY_INVALID');
  });
});

describe('custodian callbacks (a custodian that confirms later)', () => {
  let c: TestApp;
  beforeAll(async () => {
    c = await startApp(storage, { env: { LENDBOOK_CUSTODIAN: 'callback', LENDBOOK_CUSTODIAN_SECRET: CUSTODIAN_SECRET } });
  });
  afterAll(async () => {
    await c?.close();
  });

  const CALLBACKS = '/api/v1/custodian/callbacks';
  /** The custodian's signature over this exact request: POST, the callbacks path, the body. */
  const custodianHeaders = (secret: string, raw: string, nowSec: number, path = CALLBACKS) => signedRequestHeaders('custodian', secret, { method: 'POST', pathWithQuery: path, rawBody: raw }, nowSec);
  const callback = (body: object, secret = CUSTODIAN_SECRET, nowSec = Math.floor(Date.now() / 1000)) => {
    const raw = JSON.stringify(body);
    return call(c.app, 'POST', CALLBACKS, { rawBody: raw, headers: custodianHeaders(secret, raw, nowSec) });
  };

  it('a deposit stays pending until a signed callback confirms it; a second callback changes nothing', async () => {
    const lender = await registerLender(c.app);
    const dep = await call(c.app, 'POST', '/api/v1/wallet/deposits', { token: lender.token, body: { amountMinor: 250_000 } });
    expect(dep.json()).toMatchObject({ status: 'pending', wallet: { availableMinor: 0 } });
    const id = dep.json().id;
    const ok = await callback({ instructionId: id, status: 'completed', externalRef: 'bank-1' });
    expect(ok.statusCode).toBe(200);
    expect(ok.json()).toMatchObject({ status: 'completed', duplicate: false });
    // The custodian retries its callback (signed anew: a later timestamp).
    const again = await callback({ instructionId: id, status: 'completed', externalRef: 'bank-1' }, CUSTODIAN_SECRET, Math.floor(Date.now() / 1000) + 1);
    expect(again.json()).toMatchObject({ status: 'completed', duplicate: true });
    expect(await walletOfToken(c.app, lender.token)).toMatchObject({ availableMinor: 250_000 });
  });

  it('a withdrawal holds until confirmed, and is released when the custodian refuses it', async () => {
    const lender = await registerLender(c.app);
    const dep = await call(c.app, 'POST', '/api/v1/wallet/deposits', { token: lender.token, body: { amountMinor: 300_000 } });
    await callback({ instructionId: dep.json().id, status: 'completed', externalRef: 'bank-2' });
    const w1 = await call(c.app, 'POST', '/api/v1/wallet/withdrawals', { token: lender.token, body: { amountMinor: 100_000 } });
    expect(w1.json()).toMatchObject({ status: 'pending', wallet: { availableMinor: 200_000, heldMinor: 100_000 } });
    await callback({ instructionId: w1.json().id, status: 'completed', externalRef: 'bank-3' });
    expect(await walletOfToken(c.app, lender.token)).toMatchObject({ availableMinor: 200_000, heldMinor: 0 });
    const w2 = await call(c.app, 'POST', '/api/v1/wallet/withdrawals', { token: lender.token, body: { amountMinor: 50_000 } });
    const refused = await callback({ instructionId: w2.json().id, status: 'failed', externalRef: 'bank-4' });
    expect(refused.json()).toMatchObject({ status: 'failed' });
    expect(await walletOfToken(c.app, lender.token)).toMatchObject({ availableMinor: 200_000, heldMinor: 0 });
    const contradict = await callback({ instructionId: w2.json().id, status: 'completed', externalRef: 'bank-4' });
    expect(contradict.json().code).toBe('WITHDRAWAL_NOT_PENDING');
  });

  it('bad, stale, replayed and unsigned callbacks are refused and change nothing', async () => {
    const lender = await registerLender(c.app);
    const dep = await call(c.app, 'POST', '/api/v1/wallet/deposits', { token: lender.token, body: { amountMinor: 90_000 } });
    const body = { instructionId: dep.json().id, status: 'completed', externalRef: 'bank-5' };
    const bad = await callback(body, 'not-the-secret-not-the-secret-000000');
    expect(bad.json().code).toBe('SIGNATURE_INVALID');
    const stale = await callback(body, CUSTODIAN_SECRET, Math.floor(Date.now() / 1000) - 301);
    expect(stale.json().code).toBe('SIGNATURE_EXPIRED');
    const unsigned = await call(c.app, 'POST', '/api/v1/custodian/callbacks', { body });
    expect(unsigned.json().code).toBe('SIGNATURE_MISSING');
    const raw = JSON.stringify(body);
    const altered = await call(c.app, 'POST', CALLBACKS, { rawBody: raw.replace('bank-5', 'bank-6'), headers: custodianHeaders(CUSTODIAN_SECRET, raw, Math.floor(Date.now() / 1000)) });
    expect(altered.json().code).toBe('SIGNATURE_INVALID');
    expect(await walletOfToken(c.app, lender.token)).toMatchObject({ availableMinor: 0 });
    const headers = custodianHeaders(CUSTODIAN_SECRET, raw, Math.floor(Date.now() / 1000));
    const first = await call(c.app, 'POST', CALLBACKS, { rawBody: raw, headers });
    expect(first.statusCode).toBe(200);
    const replay = await call(c.app, 'POST', CALLBACKS, { rawBody: raw, headers });
    expect(replay.json().code).toBe('SIGNATURE_REPLAYED');
    // The captured callback again under another spelling of its target: the signature names the path.
    for (const target of [`${CALLBACKS}?x=1`, '/api/v1/custodian/%63allbacks', '/api/v1//custodian/callbacks']) {
      const moved = await call(c.app, 'POST', target, { rawBody: raw, headers });
      expect(moved.statusCode, target).not.toBe(200);
    }
    expect(await walletOfToken(c.app, lender.token)).toMatchObject({ availableMinor: 90_000 });
    const refused = [bad, stale, unsigned, altered, replay].filter((r) => r.statusCode === 401).length;
    console.log(`custodian callbacks: 5 bad, stale, unsigned, altered or replayed, ${5 - refused} accepted; the good one applied once`);
    expect(refused).toBe(5);
  });
});
