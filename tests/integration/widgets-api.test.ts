import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { partnerSample, startWidgetHost } from '../../src/demo/widget-host.js';
import { sql } from 'drizzle-orm';
import { rows } from '../../src/db/client.js';
import { call, expectInvariants, registerLender, walletOfToken } from './helpers/api.js';
import { createTestStorage, startApp, type TestApp, type TestStorage } from './helpers/env.js';
import { createListing, newPartner, ratedBorrower, type Borrower } from './helpers/market.js';
import { ADMIN_ENV, adminToken, partnerCall, type PartnerKey } from './helpers/partner.js';
import { openSocket } from './helpers/ws.js';

const SHOP = 'https://shop.example';
let storage: TestStorage;
let t: TestApp;
let partner: PartnerKey;
let borrower: Borrower;
let key: string;
let listingId: string;

beforeAll(async () => {
  storage = await createTestStorage();
  t = await startApp(storage, { listen: true, env: ADMIN_ENV });
  partner = await newPartner(t.app);
  borrower = await ratedBorrower(t.app, partner);
  listingId = (await createListing(t.app, borrower, { amountMinor: 500_000 })).id;
  const res = await call(t.app, 'POST', `/api/v1/admin/partners/${partner.partnerId}/publishable-keys`, { token: await adminToken(t.app), body: { allowedOrigins: [SHOP] } });
  expect(res.statusCode, res.body).toBe(201);
  key = res.json().key;
});
afterAll(async () => {
  if (t) await expectInvariants(t.app);
  await t?.close();
  await storage?.dispose();
});

describe('widget data by publishable key', () => {
  it('answers a page on an allowed origin, with CORS for it', async () => {
    const res = await call(t.app, 'GET', `/api/v1/widgets/listings/${listingId}?key=${key}`, { headers: { origin: SHOP } });
    expect(res.statusCode).toBe(200);
    expect(res.headers['access-control-allow-origin']).toBe(SHOP);
    expect(res.json()).toMatchObject({ id: listingId, status: 'open', amountMinor: 500_000 });
  });

  it('gives nothing to another origin, to no origin, or without a valid key', async () => {
    const other = await call(t.app, 'GET', `/api/v1/widgets/listings/${listingId}?key=${key}`, { headers: { origin: 'https://evil.example' } });
    expect(other.statusCode).toBe(403);
    expect(other.json().code).toBe('ORIGIN_NOT_ALLOWED');
    expect(other.headers['access-control-allow-origin']).toBeUndefined();
    expect((await call(t.app, 'GET', `/api/v1/widgets/listings/${listingId}?key=${key}`)).statusCode).toBe(403);
    const bad = await call(t.app, 'GET', `/api/v1/widgets/listings/${listingId}?key=pub_nope`, { headers: { origin: SHOP } });
    expect(bad.json().code).toBe('PUBLISHABLE_KEY_INVALID');
  });

  it("shows a merchant of the key's partner, and an order's financing offer", async () => {
    const m = await call(t.app, 'GET', `/api/v1/widgets/merchants/${borrower.merchantRef}?key=${key}`, { headers: { origin: SHOP } });
    expect(m.statusCode).toBe(200);
    expect(m.json()).toMatchObject({ merchantRef: borrower.merchantRef, rating: { grade: borrower.grade }, listings: [{ id: listingId }] });
    expect(m.body).not.toContain(borrower.userId);
    // Its listing is open: it cannot list now, as its rating page says too (one listing at a time).
    expect(m.json().rating).toMatchObject({ eligible: false, reason: 'OPEN_LISTING' });
    const placedAt = new Date(Date.now() - 86_400_000).toISOString();
    await partnerCall(t.app, partner, 'POST', `/api/v1/partner/merchants/${borrower.merchantRef}/orders`, { orders: [{ orderId: 'W-0', amountMinor: 5_000_000, status: 'shipped', placedAt }] });
    const busy = await call(t.app, 'GET', `/api/v1/widgets/merchants/${borrower.merchantRef}/orders/W-0/offer?key=${key}`, { headers: { origin: SHOP } });
    expect(busy.json()).toMatchObject({ orderId: 'W-0', eligible: false, reason: 'OPEN_LISTING' });
    const rating = await call(t.app, 'GET', '/api/v1/me/rating', { token: borrower.token });
    expect(rating.json()).toMatchObject({ mayListNow: false, mayListReason: 'OPEN_LISTING' });
    // A merchant with nothing open may finance its order.
    const free = await ratedBorrower(t.app, partner);
    await partnerCall(t.app, partner, 'POST', `/api/v1/partner/merchants/${free.merchantRef}/orders`, { orders: [{ orderId: 'W-1', amountMinor: 5_000_000, status: 'shipped', placedAt }] });
    const offer = await call(t.app, 'GET', `/api/v1/widgets/merchants/${free.merchantRef}/orders/W-1/offer?key=${key}`, { headers: { origin: SHOP } });
    expect(offer.statusCode).toBe(200);
    expect(offer.json()).toMatchObject({ orderId: 'W-1', eligible: true, orderAmountMinor: 5_000_000 });
    expect(offer.json().maxAmountMinor).toBeGreaterThan(0);
    expect(offer.json().applyUrl).toMatch(/#\/borrower\/new\?product=order&orderId=W-1$/);
    // Another partner's key cannot see this merchant.
    const otherPartner = await newPartner(t.app);
    const otherKey = (await call(t.app, 'POST', `/api/v1/admin/partners/${otherPartner.partnerId}/publishable-keys`, { token: await adminToken(t.app), body: { allowedOrigins: [SHOP] } })).json().key;
    const foreign = await call(t.app, 'GET', `/api/v1/widgets/merchants/${borrower.merchantRef}?key=${otherKey}`, { headers: { origin: SHOP } });
    expect(foreign.statusCode).toBe(404);
  });

  it('opens a socket for an allowed origin with the key, and refuses others', async () => {
    const s = await openSocket(t.url, { origin: SHOP, query: `key=${key}` });
    s.send({ op: 'subscribe', channel: `listing:${listingId}` });
    expect(await s.next((m) => m.type === 'snapshot')).toMatchObject({ data: { id: listingId } });
    s.send({ op: 'subscribe', channel: 'me' });
    expect(await s.next((m) => m.type === 'error')).toMatchObject({ code: 'WS_CHANNEL_FORBIDDEN' });
    s.close();
    await expect(openSocket(t.url, { origin: 'https://evil.example', query: `key=${key}` })).rejects.toMatchObject({ statusCode: 403 });
    await expect(openSocket(t.url, { origin: SHOP })).rejects.toMatchObject({ statusCode: 403 });
  });

  it("a widget-key socket is anonymous, even when the visitor's session cookie rides along", async () => {
    // The visitor is logged in to Lendbook in this browser; a script on the partner's page opens a widget socket.
    const visitor = await registerLender(t.app, { depositMinor: 500_000 });
    const login = await call(t.app, 'POST', '/api/v1/auth/login', { body: { email: visitor.email, password: 'correct horse battery' } });
    const cookie = String(login.headers['set-cookie']).split(';')[0]!;
    const s = await openSocket(t.url, { origin: SHOP, cookie, query: `key=${key}` });
    s.send({ op: 'subscribe', channel: 'me' });
    expect(await s.next((m) => m.type === 'error' && m.channel === 'me')).toMatchObject({ code: 'WS_CHANNEL_FORBIDDEN' });
    s.send({ op: 'bid', ref: 'page-bid', listingId, amountMinor: 100_000, rateBps: 1000 });
    expect(await s.next((m) => m.ref === 'page-bid')).toMatchObject({ type: 'error', code: 'WS_CHANNEL_FORBIDDEN' });
    s.close();
    expect(await walletOfToken(t.app, visitor.token)).toMatchObject({ availableMinor: 500_000, heldMinor: 0 });
    // A token in the query of a widget socket is refused outright.
    await expect(openSocket(t.url, { origin: SHOP, query: `key=${key}&token=${visitor.token}` })).rejects.toMatchObject({ statusCode: 400 });
  });

  it("the widget demo page's partner sample signs a call that the server accepts", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'lendbook-sample-'));
    try {
      const file = path.join(dir, 'sample.mjs');
      writeFileSync(file, partnerSample(t.url, borrower.merchantRef));
      await promisify(execFile)(process.execPath, [file], { env: { PATH: process.env.PATH ?? '', LENDBOOK_KEY_ID: partner.keyId, LENDBOOK_SECRET: partner.secret } });
      const offers = await partnerCall(t.app, partner, 'GET', `/api/v1/partner/merchants/${borrower.merchantRef}/offers`);
      expect(offers.statusCode, offers.body).toBe(200);
      const [row] = await rows<{ n: number }>(t.app.ctx.db, sql`select count(*)::int as n from orders o join merchants m on m.id = o.merchant_id where m.ref = ${borrower.merchantRef} and o.order_id = 'SO-1001'`);
      expect(Number(row!.n)).toBe(1);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('the widget demo page allows no inline script and is never framed', async () => {
    const host = await startWidgetHost({ lendbookUrl: t.url, port: 0, listenHost: '127.0.0.1', publishableKey: key, merchantRef: borrower.merchantRef, listingId, orderId: 'o-1' });
    try {
      const page = await fetch(host.url.replace('localhost', '127.0.0.1'));
      const html = await page.text();
      const csp = String(page.headers.get('content-security-policy'));
      expect(/script-src ([^;]+)/.exec(csp)?.[1]).toBe(`'self' ${new URL(t.url).origin}`);
      expect(csp).toContain("frame-ancestors 'none'");
      expect(page.headers.get('x-content-type-options')).toBe('nosniff');
      expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/); // every script has a src
      expect(html).toContain('x-lendbook-signature');
      expect((await fetch(`${host.url.replace('localhost', '127.0.0.1')}page.js`)).status).toBe(200);
    } finally {
      await host.close();
    }
  });

  it('a revoked key stops working', async () => {
    const admin = await adminToken(t.app);
    const k2 = (await call(t.app, 'POST', `/api/v1/admin/partners/${partner.partnerId}/publishable-keys`, { token: admin, body: { allowedOrigins: [SHOP] } })).json().key;
    expect((await call(t.app, 'POST', `/api/v1/admin/publishable-keys/${k2}/revoke`, { token: admin })).statusCode).toBe(204);
    const res = await call(t.app, 'GET', `/api/v1/widgets/listings/${listingId}?key=${k2}`, { headers: { origin: SHOP } });
    expect(res.json().code).toBe('PUBLISHABLE_KEY_INVALID');
  });
});
