import { createServer, type IncomingMessage, type Server } from 'node:http';
import { sql } from 'drizzle-orm';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rows } from '../../src/db/client.js';
import { assessMerchant } from '../../src/domain/rating/index.js';
import { DEFAULT_SETTINGS } from '../../src/domain/settings.js';
import { SIGNATURE_WINDOW_SEC, signRequest, signWebhook, signedRequestHeaders } from '../../src/security/signature.js';
import { GOOD_MERCHANT, generateHistory, ordersFromMonthly } from '../../src/demo/synthetic.js';
import { call, expectInvariants, uniq } from './helpers/api.js';
import { RATING_COALESCE_MS } from '../../src/services/merchants.js';
import { deliverWebhook, queueWebhook } from '../../src/services/webhooks.js';
import { createTestStorage, startApp, usingPostgres, type TestApp, type TestStorage } from './helpers/env.js';
import { ADMIN_ENV, adminToken, createPartner, inviteCode, partnerCall, pushOrders, putMerchant, registerBorrower, type PartnerKey } from './helpers/partner.js';
import { waitFor } from './helpers/wait.js';

let storage: TestStorage;
let t: TestApp;
let key: PartnerKey;
const AS_OF = GOOD_MERCHANT.asOf; // the synthetic histories are written as of this day

beforeAll(async () => {
  storage = await createTestStorage();
  t = await startApp(storage, { env: { ...ADMIN_ENV, LENDBOOK_CLOCK: 'settable', LENDBOOK_WEBHOOK_BACKOFF_MS: '50', LENDBOOK_ALLOW_HTTP_WEBHOOKS: 'on' } });
  t.app.ctx.clock.setOffsetMs(Date.parse(`${AS_OF}T08:00:00Z`) - Date.now());
  key = await createPartner(t.app);
});
afterAll(async () => {
  if (t) await expectInvariants(t.app);
  await t?.close();
  await storage?.dispose();
});

async function merchantCount(): Promise<number> {
  const [r] = await rows<{ n: number }>(t.app.ctx.db, sql`select count(*)::int as n from merchants`);
  return r!.n;
}

describe('signatures', () => {
  const body = { name: 'Signed Shop', legalForm: 'legal_person', openedAt: '2023-01-01', category: 'toys' };
  const raw = JSON.stringify(body);
  const sigPath = `/api/v1/partner/merchants/${uniq('sig')}`;
  const put = (headers: Record<string, string>, payload = raw) => call(t.app, 'PUT', sigPath, { rawBody: payload, headers });
  const now = () => Math.floor(Date.now() / 1000);
  const sign = (secret: string, ts: number, body: string) => signRequest(secret, ts, { method: 'PUT', pathWithQuery: sigPath, rawBody: body });

  it('a good signature is accepted; bad, stale, unknown and missing ones are 401 and store nothing', async () => {
    const before = await merchantCount();
    const good = (ts: number) => ({ 'x-lendbook-key': key.keyId, 'x-lendbook-timestamp': String(ts), 'x-lendbook-signature': sign(key.secret, ts, raw) });
    // Headers are made when each request is sent, and the stale ones lie well outside the window: the
    // exact boundary is the unit test's (tests/unit/signature.test.ts), where the clock is an argument.
    const outside = SIGNATURE_WINDOW_SEC + 60;
    const cases: [() => Record<string, string>, string, string?][] = [
      [() => ({ ...good(now()), 'x-lendbook-signature': sign('wrong-secret', now(), raw) }), 'SIGNATURE_INVALID'],
      [() => good(now() - outside), 'SIGNATURE_EXPIRED'],
      [() => good(now() + outside), 'SIGNATURE_EXPIRED'],
      [() => ({ ...good(now()), 'x-lendbook-key': 'pk_00000000000000000000' }), 'PARTNER_KEY_UNKNOWN'],
      [() => ({ 'x-lendbook-key': key.keyId, 'x-lendbook-timestamp': String(now()) }), 'SIGNATURE_MISSING'],
      [() => good(now()), 'SIGNATURE_INVALID', raw.replace('Signed Shop', 'Signed Shoq')],
    ];
    let accepted = 0;
    for (const [headersOf, code, payload] of cases) {
      const res = await put(headersOf(), payload);
      if (res.statusCode < 300) accepted++;
      expect(res.statusCode, code).toBe(401);
      expect(res.json().code).toBe(code);
    }
    expect(await merchantCount()).toBe(before);
    console.log(`partner signatures: ${cases.length} bad, stale, unknown, missing or altered requests, ${accepted} accepted`);
    const ok = await put(good(now() - 5));
    expect(ok.statusCode).toBe(201);
    expect(await merchantCount()).toBe(before + 1);
  });

  it('a replayed signature is refused', async () => {
    const ref = uniq('replay');
    const ts = Math.floor(Date.now() / 1000);
    const first = await partnerCall(t.app, key, 'PUT', `/api/v1/partner/merchants/${ref}`, body, ts);
    expect(first.statusCode).toBe(201);
    const again = await partnerCall(t.app, key, 'PUT', `/api/v1/partner/merchants/${ref}`, body, ts);
    expect(again.statusCode).toBe(401);
    expect(again.json().code).toBe('SIGNATURE_REPLAYED');
  });

  it('a captured signed request does not work on another path, query, spelling or merchant', async () => {
    // The partner invites its merchant `victim-a`; an attacker who captured that request tries it elsewhere.
    const mine = uniq('inv-a');
    const other = uniq('inv-b');
    await putMerchant(t.app, key, mine, { openedAt: '2023-01-01' });
    await putMerchant(t.app, key, other, { openedAt: '2023-01-01' });
    const path = `/api/v1/partner/merchants/${mine}/invites`;
    const headers = signedRequestHeaders(key.keyId, key.secret, { method: 'POST', pathWithQuery: path, rawBody: '{}' }, now());
    const first = await call(t.app, 'POST', path, { rawBody: '{}', headers });
    expect(first.statusCode, first.body).toBe(201);
    const encoded = path.replace('/invites', '/%69nvites');
    let accepted = 0;
    for (const target of [`${path}?x=1`, encoded, `/api/v1/partner/merchants/${other}/invites`, path.replace('/merchants/', '/merchants/./')]) {
      const res = await call(t.app, 'POST', target, { rawBody: '{}', headers });
      if (res.statusCode < 300) accepted++;
      expect(res.statusCode, target).toBeGreaterThanOrEqual(400);
    }
    // Signed as sent, the percent-encoded spelling verifies but decodes to another path: refused too.
    const signedEncoded = await call(t.app, 'POST', encoded, { rawBody: '{}', headers: signedRequestHeaders(key.keyId, key.secret, { method: 'POST', pathWithQuery: encoded, rawBody: '{}' }, now()) });
    expect(signedEncoded.statusCode).toBe(401);
    expect(signedEncoded.json()).toMatchObject({ code: 'SIGNATURE_INVALID' });
    const [invites] = await rows<{ n: number }>(t.app.ctx.db, sql`select count(*)::int as n from merchant_invites i join merchants m on m.id = i.merchant_id where m.ref in (${mine}, ${other})`);
    expect(invites!.n).toBe(1);
    console.log(`partner signatures: 1 captured invite replayed onto 4 other targets, ${accepted} accepted`);
  });

  it('every node shares the replay memory: a signature accepted by one node is refused by another', async () => {
    const second = await startApp(storage, { env: ADMIN_ENV });
    try {
      const path = `/api/v1/partner/merchants/${uniq('two')}`;
      const headers = signedRequestHeaders(key.keyId, key.secret, { method: 'PUT', pathWithQuery: path, rawBody: raw }, now());
      expect((await call(t.app, 'PUT', path, { rawBody: raw, headers })).statusCode).toBe(201);
      const again = await call(second.app, 'PUT', path, { rawBody: raw, headers });
      expect(again.json()).toMatchObject({ code: 'SIGNATURE_REPLAYED' });
      // Remembered for the whole window, not less.
      const [nonce] = await rows<{ left: number }>(t.app.ctx.db, sql`select extract(epoch from expires_at)::int - ${Number(headers['x-lendbook-timestamp'])} as left from signature_nonces where signature = ${headers['x-lendbook-signature']}`);
      expect(nonce!.left).toBeGreaterThanOrEqual(SIGNATURE_WINDOW_SEC);
    } finally {
      await second.close();
    }
  });

  it('an operator revokes the previous secret at once after a rotation; the current one cannot be revoked', async () => {
    const partner = await createPartner(t.app);
    const token = await adminToken(t.app);
    expect(partner).toMatchObject({ n: 1 });
    const rotated = await call(t.app, 'POST', `/api/v1/admin/partners/${partner.keyId}/rotate`, { token });
    expect(rotated.json()).toMatchObject({ n: 2 });
    const secret2 = rotated.json().secret as string;
    expect((await partnerCall(t.app, partner, 'PUT', `/api/v1/partner/merchants/${uniq('rev')}`, body)).statusCode).toBe(201);
    const current = await call(t.app, 'DELETE', `/api/v1/admin/partners/${partner.keyId}/secrets/2`, { token });
    expect(current.json()).toMatchObject({ code: 'PARTNER_SECRET_CURRENT' });
    const revoked = await call(t.app, 'DELETE', `/api/v1/admin/partners/${partner.keyId}/secrets/1`, { token });
    expect(revoked.statusCode, revoked.body).toBe(204);
    const old = await partnerCall(t.app, partner, 'PUT', `/api/v1/partner/merchants/${uniq('rev')}`, body);
    expect(old.json()).toMatchObject({ code: 'SIGNATURE_INVALID' });
    expect((await partnerCall(t.app, { keyId: partner.keyId, secret: secret2 }, 'PUT', `/api/v1/partner/merchants/${uniq('rev')}`, body)).statusCode).toBe(201);
    const again = await call(t.app, 'DELETE', `/api/v1/admin/partners/${partner.keyId}/secrets/1`, { token });
    expect(again.statusCode).toBe(404);
    const list = await call(t.app, 'GET', '/api/v1/admin/partners', { token });
    const listed = (list.json().items as { keys: { keyId: string; secrets: number[] }[] }[]).flatMap((p) => p.keys).find((k) => k.keyId === partner.keyId);
    expect(listed?.secrets).toEqual([2]);
  });

  it('during a rotation both secrets work; after the next rotation the oldest no longer does', async () => {
    const partner = await createPartner(t.app);
    const token = await adminToken(t.app);
    const r1 = await call(t.app, 'POST', `/api/v1/admin/partners/${partner.keyId}/rotate`, { token });
    expect(r1.statusCode).toBe(200);
    const secret2 = r1.json().secret as string;
    expect(secret2).not.toBe(partner.secret);
    expect((await partnerCall(t.app, partner, 'PUT', `/api/v1/partner/merchants/${uniq('rot')}`, body)).statusCode).toBe(201);
    expect((await partnerCall(t.app, { keyId: partner.keyId, secret: secret2 }, 'PUT', `/api/v1/partner/merchants/${uniq('rot')}`, body)).statusCode).toBe(201);
    const r2 = await call(t.app, 'POST', `/api/v1/admin/partners/${partner.keyId}/rotate`, { token });
    const secret3 = r2.json().secret as string;
    const old = await partnerCall(t.app, partner, 'PUT', `/api/v1/partner/merchants/${uniq('rot')}`, body);
    expect(old.json().code).toBe('SIGNATURE_INVALID');
    expect((await partnerCall(t.app, { keyId: partner.keyId, secret: secret2 }, 'PUT', `/api/v1/partner/merchants/${uniq('rot')}`, body)).statusCode).toBe(201);
    expect((await partnerCall(t.app, { keyId: partner.keyId, secret: secret3 }, 'PUT', `/api/v1/partner/merchants/${uniq('rot')}`, body)).statusCode).toBe(201);
    // The operator's listing never shows a secret.
    const list = await call(t.app, 'GET', '/api/v1/admin/partners', { token });
    expect(list.body).not.toContain(secret3);
    expect(list.body).not.toContain(partner.secret);
  });

  it('one partner cannot see or touch another partner\'s merchants', async () => {
    const other = await createPartner(t.app);
    const ref = uniq('mine');
    await putMerchant(t.app, key, ref, { openedAt: '2023-01-01' });
    const res = await partnerCall(t.app, other, 'GET', `/api/v1/partner/merchants/${ref}/offers`);
    expect(res.statusCode).toBe(404);
    expect(res.json().code).toBe('MERCHANT_NOT_FOUND');
  });
});

describe('orders', () => {
  it('upserts idempotently and records status changes with their time', async () => {
    const ref = uniq('orders');
    await putMerchant(t.app, key, ref, { openedAt: '2023-01-01' });
    const orders = [
      { orderId: 'A-1', amountMinor: 10_000, status: 'paid', placedAt: '2025-07-01T10:00:00Z' },
      { orderId: 'A-2', amountMinor: 20_000, status: 'shipped', placedAt: '2025-07-02T10:00:00Z' },
    ];
    const r1 = await partnerCall(t.app, key, 'POST', `/api/v1/partner/merchants/${ref}/orders`, { orders });
    expect(r1.json()).toMatchObject({ received: 2, created: 2, updated: 0, unchanged: 0 });
    const r2 = await partnerCall(t.app, key, 'POST', `/api/v1/partner/merchants/${ref}/orders`, { orders });
    expect(r2.json()).toMatchObject({ received: 2, created: 0, updated: 0, unchanged: 2 });
    const r3 = await partnerCall(t.app, key, 'POST', `/api/v1/partner/merchants/${ref}/orders`, { orders: [{ ...orders[0], status: 'delivered' }] });
    expect(r3.json()).toMatchObject({ updated: 1, statusChanges: 1 });
    const history = await rows<{ from_status: string | null; to_status: string }>(
      t.app.ctx.db,
      sql`select h.from_status, h.to_status from order_status_history h join merchants m on m.id = h.merchant_id where m.ref = ${ref} and h.order_id = 'A-1' order by h.id`,
    );
    expect(history).toEqual([
      { from_status: null, to_status: 'paid' },
      { from_status: 'paid', to_status: 'delivered' },
    ]);
  });

  it('one bad order rejects the whole batch, naming its index and field', async () => {
    const ref = uniq('badbatch');
    await putMerchant(t.app, key, ref, { openedAt: '2023-01-01' });
    const orders = Array.from({ length: 30 }, (_, i) => ({ orderId: `B-${i}`, amountMinor: 1000 + i, status: 'paid', placedAt: '2025-07-01T10:00:00Z' }));
    const cases: [unknown, string][] = [
      [{ ...orders[17], amountMinor: 12.5 }, 'body/orders/17/amountMinor'],
      [{ ...orders[17], amountMinor: -1 }, 'body/orders/17/amountMinor'],
      [{ ...orders[17], status: 'lost' }, 'body/orders/17/status'],
      [{ ...orders[17], placedAt: 'yesterday' }, 'body/orders/17/placedAt'],
      [{ ...orders[17], placedAt: '2030-01-01T00:00:00Z' }, 'body/orders/17/placedAt'],
      [{ ...orders[17], orderId: 'B-3' }, 'body/orders/17/orderId'],
      [{ ...orders[17], merchantId: 'mer_x' }, 'body/orders/17/merchantId'],
    ];
    for (const [bad, field] of cases) {
      const batch = [...orders];
      batch[17] = bad as (typeof orders)[number];
      const res = await partnerCall(t.app, key, 'POST', `/api/v1/partner/merchants/${ref}/orders`, { orders: batch });
      expect(res.statusCode, field).toBe(400);
      expect(res.json().detail).toContain(field);
    }
    const [n] = await rows<{ n: number }>(t.app.ctx.db, sql`select count(*)::int as n from orders o join merchants m on m.id = o.merchant_id where m.ref = ${ref}`);
    expect(n!.n).toBe(0);
  });

  it('more than 5,000 orders in one call is 413', async () => {
    const ref = uniq('big');
    await putMerchant(t.app, key, ref, { openedAt: '2023-01-01' });
    const orders = Array.from({ length: 5001 }, (_, i) => ({ orderId: `C-${i}`, amountMinor: 100, status: 'paid', placedAt: '2025-07-01T10:00:00Z' }));
    const res = await partnerCall(t.app, key, 'POST', `/api/v1/partner/merchants/${ref}/orders`, { orders });
    expect(res.statusCode).toBe(413);
    expect(res.json().code).toBe('ORDER_BATCH_TOO_LARGE');
  });
});

describe('rating', () => {
  it('rates a 24-month synthetic history into the grade the scorecard gives it, and shows it to the borrower', async () => {
    const ref = uniq('good');
    const history = generateHistory(GOOD_MERCHANT);
    await putMerchant(t.app, key, ref, { openedAt: history.openedAt, legalForm: 'legal_person' });
    await pushOrders(t.app, key, ref, history.orders);
    const pushedAtMs = t.app.ctx.clock.nowMs();
    const borrower = await registerBorrower(t.app, await inviteCode(t.app, key, ref));
    // The rating job follows the last batch within a few seconds: wait for a rating made after it.
    let res = await call(t.app, 'GET', '/api/v1/me/rating', { token: borrower.token });
    await waitFor(async () => {
      res = await call(t.app, 'GET', '/api/v1/me/rating', { token: borrower.token });
      return res.statusCode === 200 && Date.parse(res.json().ratedAt) >= pushedAtMs;
    }, 30_000, 200);
    const rating = res.json();
    const expected = assessMerchant({ ...history, asOf: AS_OF, legalForm: 'legal_person', openListingsMinor: 0 }, DEFAULT_SETTINGS);
    expect(rating).toMatchObject({ grade: 'AA', score: 840, eligible: true });
    expect(rating.score).toBe(expected.rating.score);
    expect(rating.creditLineMinor).toBe(expected.creditLine.creditLineMinor);
    expect(rating.creditLeftMinor).toBe(expected.creditLine.creditLeftMinor);
    expect(rating.probabilityOfDefault).toBeCloseTo(expected.rating.probabilityOfDefaultBps / 10_000, 10);
    expect(rating.reasons.length).toBeLessThanOrEqual(4);
    const stored = await rows<{ version: string; inputs: { features: { monthsActive: number } } }>(t.app.ctx.db, sql`select version, inputs from ratings r join merchants m on m.id = r.merchant_id where m.ref = ${ref} order by r.created_at desc, r.id desc limit 1`);
    expect(stored[0]!.version).toBe(expected.version);
    expect(stored[0]!.inputs.features.monthsActive).toBe(12);
  });

  it.runIf(usingPostgres)('a batch that commits after the recompute of the window it began in has run is rated again', async () => {
    const ref = uniq('slowbatch');
    const history = ordersFromMonthly({ asOf: AS_OF, monthlyYuan: Array.from({ length: 12 }, () => 300_000), orderYuan: 500 });
    const half = Math.floor(history.orders.length / 2);
    const merchant = await putMerchant(t.app, key, ref, { openedAt: history.openedAt });
    const ratingCount = async () => (await rows<{ n: number }>(t.app.ctx.db, sql`select count(*)::int as n from ratings where merchant_id = ${merchant.id}`))[0]!.n;
    // Both batches begin early in one coalescing window.
    while (t.app.ctx.clock.nowMs() % RATING_COALESCE_MS > RATING_COALESCE_MS / 10) await new Promise((r) => setTimeout(r, 10));
    await pushOrders(t.app, key, ref, history.orders.slice(0, half));
    // The second batch waits behind a lock on the merchant row (a slow batch) while the window's
    // recompute runs and reads the first batch only.
    const locker = new pg.Client({ connectionString: storage.databaseUrl });
    await locker.connect();
    try {
      await locker.query('begin');
      // (no key update: it blocks the batch's `for update` but not the key-share lock of a rating's foreign key)
      await locker.query('select id from merchants where id = $1 for no key update', [merchant.id]);
      const second = pushOrders(t.app, key, ref, history.orders.slice(half));
      await waitFor(async () => (await ratingCount()) === 1, 15_000, 50);
      await locker.query('commit');
      await second;
    } finally {
      await locker.end();
    }
    // The second batch is rated too: its recompute is a new job, not the one that already ran.
    await waitFor(async () => (await ratingCount()) === 2, 15_000, 50);
    const [latest] = await rows<{ n: number }>(
      t.app.ctx.db,
      sql`select (inputs->'features'->>'monthsActive')::int as n from ratings where merchant_id = ${merchant.id} order by created_at desc, id desc limit 1`,
    );
    expect(latest!.n).toBe(12);
  });

  it('a merchant with 4 months of history is not eligible', async () => {
    const ref = uniq('young');
    const history = ordersFromMonthly({ asOf: AS_OF, monthlyYuan: [80_000, 90_000, 100_000, 110_000], orderYuan: 200 });
    await putMerchant(t.app, key, ref, { openedAt: history.openedAt });
    await pushOrders(t.app, key, ref, history.orders);
    const borrower = await registerBorrower(t.app, await inviteCode(t.app, key, ref));
    let res = await call(t.app, 'GET', '/api/v1/me/rating', { token: borrower.token });
    await waitFor(async () => {
      res = await call(t.app, 'GET', '/api/v1/me/rating', { token: borrower.token });
      return res.statusCode === 200;
    }, 30_000, 200);
    expect(res.json()).toMatchObject({ eligible: false, ineligibleReason: { code: 'SHORT_HISTORY' } });
  });

  it('caps the credit line at ¥1,000,000 for a legal person and ¥200,000 for a natural person', async () => {
    // Large, steady sales: the grade multiple alone would allow far more than either cap.
    const history = ordersFromMonthly({ asOf: AS_OF, monthlyYuan: Array.from({ length: 24 }, () => 2_000_000), orderYuan: 10_000 });
    const lines: Record<string, number> = {};
    for (const legalForm of ['legal_person', 'natural_person'] as const) {
      const ref = uniq(legalForm);
      await putMerchant(t.app, key, ref, { openedAt: history.openedAt, legalForm });
      await pushOrders(t.app, key, ref, history.orders);
      const pushedAtMs = t.app.ctx.clock.nowMs();
      let offers = await partnerCall(t.app, key, 'GET', `/api/v1/partner/merchants/${ref}/offers`);
      await waitFor(async () => {
        offers = await partnerCall(t.app, key, 'GET', `/api/v1/partner/merchants/${ref}/offers`);
        expect(offers.statusCode, offers.body).toBe(200);
        return offers.json().rating !== null && Date.parse(offers.json().rating.ratedAt) >= pushedAtMs;
      }, 30_000, 200);
      lines[legalForm] = offers.json().credit.creditLineMinor;
    }
    expect(lines).toEqual({ legal_person: 100_000_000, natural_person: 20_000_000 });
  });
});

describe('invites and receipts', () => {
  it('an invite opens one borrower account, once', async () => {
    const ref = uniq('inv');
    await putMerchant(t.app, key, ref, { openedAt: '2023-01-01' });
    const code = await inviteCode(t.app, key, ref);
    const b = await registerBorrower(t.app, code);
    const me = await call(t.app, 'GET', '/api/v1/me', { token: b.token });
    expect(me.json()).toMatchObject({ role: 'borrower', merchantId: expect.stringMatching(/^mer_/) });
    const again = await call(t.app, 'POST', '/api/v1/auth/register', { body: { email: `${uniq()}@example.com`, password: 'correct horse battery', role: 'borrower', displayName: 'X', inviteCode: code } });
    expect(again.json().code).toBe('INVITE_INVALID');
    const second = await inviteCode(t.app, key, ref);
    const dup = await call(t.app, 'POST', '/api/v1/auth/register', { body: { email: `${uniq()}@example.com`, password: 'correct horse battery', role: 'borrower', displayName: 'X', inviteCode: second } });
    expect(dup.json().code).toBe('INVITE_INVALID');
  });

  it('an invite retried with its Idempotency-Key returns the same code; a new key, a new code', async () => {
    const ref = uniq('inv');
    await putMerchant(t.app, key, ref, { openedAt: '2023-01-01' });
    const path = `/api/v1/partner/merchants/${ref}/invites`;
    const first = await partnerCall(t.app, key, 'POST', path, {}, undefined, { 'idempotency-key': `invite-${ref}` });
    expect(first.statusCode, first.body).toBe(201);
    const retry = await partnerCall(t.app, key, 'POST', path, {}, undefined, { 'idempotency-key': `invite-${ref}` });
    expect(retry.statusCode).toBe(201);
    expect(retry.headers['idempotent-replayed']).toBe('true');
    expect(retry.json().inviteCode).toBe(first.json().inviteCode);
    const [issued] = await rows<{ n: number }>(t.app.ctx.db, sql`select count(*)::int as n from merchant_invites i join merchants m on m.id = i.merchant_id where m.ref = ${ref}`);
    expect(issued!.n).toBe(1);
    const other = await partnerCall(t.app, key, 'POST', path, {}, undefined, { 'idempotency-key': `invite-${ref}-2` });
    expect(other.json().inviteCode).not.toBe(first.json().inviteCode);
  });

  it('a receipt sent again is accepted; another under the same id is refused', async () => {
    const ref = uniq('whr');
    await putMerchant(t.app, key, ref, { openedAt: '2023-01-01' });
    const receipt = { receiptId: uniq('R'), merchantRef: ref, goods: 'Cotton, 20 t', quantity: 20, valueMinor: 30_000_000 };
    const r1 = await partnerCall(t.app, key, 'POST', '/api/v1/partner/warehouse-receipts', receipt);
    expect(r1.statusCode).toBe(201);
    const r2 = await partnerCall(t.app, key, 'POST', '/api/v1/partner/warehouse-receipts', receipt);
    expect(r2.statusCode).toBe(200);
    expect(r2.json().id).toBe(r1.json().id);
    const r3 = await partnerCall(t.app, key, 'POST', '/api/v1/partner/warehouse-receipts', { ...receipt, valueMinor: 40_000_000 });
    expect(r3.json().code).toBe('RECEIPT_EXISTS');
  });
});

describe('webhooks', () => {
  let server: Server;
  let url = '';
  const received: { headers: IncomingMessage['headers']; body: string }[] = [];
  let failuresLeft = 3;
  let attempts = 0;
  let privateHits = 0;
  beforeAll(async () => {
    server = createServer((req, res) => {
      let body = '';
      req.on('data', (d: Buffer) => (body += d.toString()));
      req.on('end', () => {
        if (req.url === '/private') {
          privateHits++;
          res.writeHead(204).end();
          return;
        }
        attempts++;
        if (failuresLeft > 0) {
          failuresLeft--;
          res.writeHead(503).end('busy');
          return;
        }
        received.push({ headers: req.headers, body });
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((r) => server.listen(0, '::', () => r())); // localhost: 127.0.0.1 or ::1
    const addr = server.address();
    url = `http://localhost:${typeof addr === 'object' && addr ? addr.port : 0}/hooks`;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  it('webhook URLs: https on a public address; never sent to a private or loopback one, even if stored earlier', async () => {
    // This node allows http://localhost (development); another node of the same deployment does not.
    const token = await adminToken(t.app);
    const refused = ['http://hooks.shop.example/x', 'https://10.0.0.5/hooks', 'https://169.254.169.254/latest', 'https://[::1]/x', 'http://127.0.0.1:9/x'];
    for (const webhookUrl of refused) {
      const res = await call(t.app, 'POST', '/api/v1/admin/partners', { token, body: { name: uniq('Hooked '), webhookUrl } });
      expect(res.statusCode, webhookUrl).toBe(422);
      expect(res.json().code, webhookUrl).toBe('WEBHOOK_URL_INVALID');
    }
    const partner = await createPartner(t.app);
    const put = await partnerCall(t.app, partner, 'PUT', '/api/v1/partner/webhook', { url: 'https://192.168.0.10/hooks' });
    expect(put.json()).toMatchObject({ code: 'WEBHOOK_URL_INVALID' });

    const strict = await startApp(storage, { env: { ...ADMIN_ENV, LENDBOOK_WORKERS: 'off' } });
    try {
      const localhostUrl = url.replace('/hooks', '/private');
      const other = await partnerCall(strict.app, partner, 'PUT', '/api/v1/partner/webhook', { url: localhostUrl });
      expect(other.json()).toMatchObject({ code: 'WEBHOOK_URL_INVALID' });
      // Stored while it was allowed (or by hand): at delivery the address is checked again, and refused.
      await strict.app.ctx.db.execute(sql`update partners set webhook_url = ${localhostUrl} where id = ${partner.partnerId}`);
      const id = await strict.app.ctx.transaction((tx) => queueWebhook(strict.app.ctx, tx, partner.partnerId, 'loan.repaid', { loanId: 'loan_x' }));
      const before = privateHits;
      await expect(deliverWebhook(strict.app.ctx, id!, 1)).rejects.toThrow(/not sent/);
      const [row] = await rows<{ status: string; last_error: string }>(strict.app.ctx.db, sql`select status, last_error from webhook_deliveries where id = ${id}`);
      expect(row!.last_error).toMatch(/not a public address|must reach a public address|must use https/);
      expect(privateHits).toBe(before);
    } finally {
      await strict.close();
    }
  });

  it('an endpoint that fails 3 times then succeeds receives the event exactly once, validly signed', async () => {
    const partner = await createPartner(t.app, { webhookUrl: url });
    const ref = uniq('hook');
    const history = ordersFromMonthly({ asOf: AS_OF, monthlyYuan: Array.from({ length: 12 }, () => 100_000), orderYuan: 500 });
    await putMerchant(t.app, partner, ref, { openedAt: history.openedAt });
    await pushOrders(t.app, partner, ref, history.orders);
    await waitFor(() => received.length >= 1, 30_000, 50);
    const { headers, body } = received[0]!;
    const event = JSON.parse(body);
    // The endpoint counts a delivery before it answers; the log records it once the answer is back.
    const token = await adminToken(t.app);
    let delivery: { id: string; status: string } | undefined;
    await waitFor(async () => {
      const log = await call(t.app, 'GET', '/api/v1/admin/webhooks', { token });
      delivery = log.json().items.find((d: { eventId: string }) => d.eventId === event.id);
      return delivery?.status === 'delivered';
    }, 30_000, 100);
    expect(delivery).toMatchObject({ status: 'delivered', attempts: 4, lastStatusCode: 204 });
    expect(attempts).toBe(4);
    expect(received).toHaveLength(1);
    expect(headers['x-lendbook-key']).toBe(partner.keyId);
    expect(headers['x-lendbook-signature']).toBe(signWebhook(partner.secret, Number(headers['x-lendbook-timestamp']), String(headers['x-lendbook-event-id']), body));
    expect(event).toMatchObject({ id: headers['x-lendbook-event-id'], type: 'merchant.rated', data: { merchantRef: ref } });
    // An operator replays it: the same event id arrives again, for the partner to deduplicate.
    const replay = await call(t.app, 'POST', `/api/v1/admin/webhooks/${delivery!.id}/replay`, { token });
    expect(replay.statusCode).toBe(200);
    await waitFor(() => received.length >= 2, 30_000, 50);
    expect(JSON.parse(received[1]!.body).id).toBe(event.id);
  });
});
