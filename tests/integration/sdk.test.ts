import { readFileSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GOOD_MERCHANT, ordersFromMonthly } from '../../src/demo/synthetic.js';
import { createLendbookClient, createPartnerClient, SIGNATURE_HEADERS, verifyWebhook, type LendbookClient } from '../../sdk/src/index.js';
import { typesOf } from '../../sdk/scripts/openapi.js';
import { call, expectInvariants, uniq } from './helpers/api.js';
import { createTestStorage, startApp, type TestApp, type TestStorage } from './helpers/env.js';
import { ADMIN_ENV, createPartner, registerBorrower, type PartnerKey } from './helpers/partner.js';
import { waitFor } from './helpers/wait.js';

/**
 * The partner SDK (sdk/) against the real app listening on a real port: an order system's whole flow,
 * signed and sent by the SDK over HTTP; a webhook delivered to a local receiver and verified with the
 * SDK's verifier; tampered signatures refused. Also: the SDK's generated types match the served document.
 */
let storage: TestStorage;
let t: TestApp;
let partner: PartnerKey;
let sdk: LendbookClient;
let receiver: Server;
const received: { headers: IncomingHttpHeaders; body: string }[] = [];
const AS_OF = GOOD_MERCHANT.asOf;
const ref = uniq('sdk-shop');

beforeAll(async () => {
  receiver = createServer((req, res) => {
    let body = '';
    req.on('data', (d: Buffer) => (body += d.toString('utf8')));
    req.on('end', () => {
      received.push({ headers: req.headers, body });
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((r) => receiver.listen(0, '::', () => r())); // localhost: 127.0.0.1 or ::1
  const hookUrl = `http://localhost:${(receiver.address() as AddressInfo).port}/hooks`;
  storage = await createTestStorage();
  t = await startApp(storage, { listen: true, env: { ...ADMIN_ENV, LENDBOOK_CLOCK: 'settable', LENDBOOK_WEBHOOK_BACKOFF_MS: '50', LENDBOOK_ALLOW_HTTP_WEBHOOKS: 'on' } });
  t.app.ctx.clock.setOffsetMs(Date.parse(`${AS_OF}T08:00:00Z`) - Date.now());
  partner = await createPartner(t.app, { webhookUrl: hookUrl });
  sdk = createPartnerClient({ baseUrl: t.url, keyId: partner.keyId, secret: partner.secret, retry: { baseDelayMs: 50 } });
});
afterAll(async () => {
  if (t) await expectInvariants(t.app);
  await t?.close();
  await storage?.dispose();
  await new Promise<void>((r) => receiver?.close(() => r()));
});

describe('the partner SDK against a real server', () => {
  it("runs the order system's flow: merchant, orders, invite, receipt, offers, wallet, proceeds", async () => {
    expect(t.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const profile = { name: 'SDK 测试小店', legalForm: 'legal_person' as const, openedAt: '2021-03-01', category: 'apparel' };
    const created = await sdk.PUT('/api/v1/partner/merchants/{ref}', { params: { path: { ref } }, body: profile });
    expect(created.response.status, JSON.stringify(created.error)).toBe(201);
    expect(created.data?.created).toBe(true);
    const again = await sdk.PUT('/api/v1/partner/merchants/{ref}', { params: { path: { ref } }, body: profile });
    expect([again.response.status, again.data?.created]).toEqual([200, false]);

    const history = ordersFromMonthly({ asOf: AS_OF, monthlyYuan: Array.from({ length: 12 }, () => 100_000), orderYuan: 500 });
    const orders = history.orders.map((o) => ({ orderId: o.orderId, amountMinor: o.amountMinor, status: o.status, placedAt: `${o.placedAt}T12:00:00Z` }));
    const pushed = await sdk.POST('/api/v1/partner/merchants/{ref}/orders', { params: { path: { ref } }, body: { orders } });
    expect(pushed.response.status, JSON.stringify(pushed.error)).toBe(200);
    expect(pushed.data).toMatchObject({ received: orders.length, created: orders.length });
    // The same batch again (a retry, say) changes nothing.
    const repeated = await sdk.POST('/api/v1/partner/merchants/{ref}/orders', { params: { path: { ref } }, body: { orders } });
    expect(repeated.data).toMatchObject({ received: orders.length, created: 0, unchanged: orders.length });

    const invite = await sdk.POST('/api/v1/partner/merchants/{ref}/invites', { params: { path: { ref } }, body: {} });
    expect(invite.response.status, JSON.stringify(invite.error)).toBe(201);
    expect(invite.data?.inviteCode).toEqual(expect.any(String));
    const borrower = await registerBorrower(t.app, invite.data!.inviteCode);
    const me = await call(t.app, 'GET', '/api/v1/me', { token: borrower.token });
    expect(me.json()).toMatchObject({ role: 'borrower', merchantId: expect.stringMatching(/^mer_/) });

    const receipt = await sdk.POST('/api/v1/partner/warehouse-receipts', { body: { receiptId: uniq('R'), merchantRef: ref, goods: 'Cotton, 20 t', quantity: 20, valueMinor: 30_000_000 } });
    expect(receipt.response.status, JSON.stringify(receipt.error)).toBe(201);

    const offers = await sdk.GET('/api/v1/partner/merchants/{ref}/offers', { params: { path: { ref } } });
    expect(offers.response.status, JSON.stringify(offers.error)).toBe(200);
    expect(offers.data).toBeTruthy();

    // Deposits move money: the same Idempotency-Key is the same deposit, however often it is sent.
    const key = uniq('dep-key-');
    const dep1 = await sdk.POST('/api/v1/partner/wallet/deposits', { params: { header: { 'idempotency-key': key } }, body: { amountMinor: 1_000_000 } });
    expect(dep1.response.status, JSON.stringify(dep1.error)).toBe(201);
    const dep2 = await sdk.POST('/api/v1/partner/wallet/deposits', { params: { header: { 'idempotency-key': key } }, body: { amountMinor: 1_000_000 } });
    expect(dep2.response.headers.get('idempotent-replayed')).toBe('true');
    expect(dep2.data).toEqual(dep1.data);
    const wallet = await sdk.GET('/api/v1/partner/wallet');
    expect(wallet.response.status).toBe(200);
    expect(wallet.data).toMatchObject({ availableMinor: 1_000_000 });

    // An order backing no loan: its proceeds go to the merchant whole.
    const orderId = orders.find((o) => o.status === 'settled')!.orderId;
    const paid = await sdk.POST('/api/v1/partner/merchants/{ref}/orders/{orderId}/proceeds', { params: { path: { ref, orderId } }, body: { amountMinor: 50_000 } });
    expect(paid.response.status, JSON.stringify(paid.error)).toBe(201);
    expect(paid.data).toMatchObject({ merchantRef: ref, orderId, amountMinor: 50_000, toLoanMinor: 0, toMerchantMinor: 50_000 });
    expect((await sdk.GET('/api/v1/partner/wallet')).data).toMatchObject({ availableMinor: 950_000 });

    // Problems come back typed as the API's errors.
    const unknown = await sdk.GET('/api/v1/partner/merchants/{ref}/offers', { params: { path: { ref: 'no-such-shop' } } });
    expect(unknown.response.status).toBe(404);
    expect(unknown.error).toMatchObject({ code: expect.any(String) });
  });

  it("delivers the merchant's rating as a webhook that the SDK's verifier accepts, and nothing tampered", async () => {
    await waitFor(() => received.some((r) => r.body.includes(ref)), 30_000, 50);
    const hook = received.find((r) => r.body.includes(ref))!;
    const verified = verifyWebhook({ secret: partner.secret, headers: hook.headers, rawBody: hook.body });
    expect(verified).toMatchObject({ ok: true, event: { type: 'merchant.rated', data: { merchantRef: ref } } });
    if (!verified.ok) return;
    expect(verified.event.id).toBe(hook.headers['x-lendbook-event-id']);
    expect(verifyWebhook({ secret: partner.secret, headers: hook.headers, rawBody: hook.body.replace(ref, 'someone-else') })).toEqual({ ok: false, reason: 'bad_signature' });
    expect(verifyWebhook({ secret: 'sk_not_the_partners', headers: hook.headers, rawBody: hook.body })).toEqual({ ok: false, reason: 'bad_signature' });
  });

  it('a tampered signature, a wrong secret and an unsigned call are refused, and not retried', async () => {
    let attempts = 0;
    const tampered = createPartnerClient({
      baseUrl: t.url,
      keyId: partner.keyId,
      secret: partner.secret,
      fetch: (url, init) => {
        attempts++;
        const headers = new Headers(init.headers);
        const sig = headers.get(SIGNATURE_HEADERS.signature)!;
        headers.set(SIGNATURE_HEADERS.signature, sig.slice(0, -1) + (sig.endsWith('0') ? '1' : '0'));
        return fetch(url, { ...init, headers });
      },
    });
    const res = await tampered.GET('/api/v1/partner/wallet');
    expect([res.response.status, res.error]).toEqual([401, expect.objectContaining({ code: 'SIGNATURE_INVALID' })]);
    expect(attempts).toBe(1);

    const wrongSecret = createPartnerClient({ baseUrl: t.url, keyId: partner.keyId, secret: `${partner.secret}x` });
    const refused = await wrongSecret.PUT('/api/v1/partner/merchants/{ref}', { params: { path: { ref } }, body: { name: 'Hijacked', legalForm: 'legal_person', openedAt: '2021-03-01', category: 'apparel' } });
    expect([refused.response.status, refused.error]).toEqual([401, expect.objectContaining({ code: 'SIGNATURE_INVALID' })]);

    const unsigned: LendbookClient = createLendbookClient({ baseUrl: t.url });
    const anonymous = await unsigned.GET('/api/v1/partner/wallet');
    expect(anonymous.response.status).toBe(401);
  });

  it('carries types generated from the document the app serves (regenerate: npm run generate -w @lendbook/partner)', async () => {
    const committed = readFileSync(new URL('../../sdk/src/api-types.ts', import.meta.url), 'utf8');
    // The routes do not depend on configuration: this app's document is the one the generator builds.
    expect(await typesOf(t.app.swagger() as unknown as Record<string, unknown>), 'sdk/src/api-types.ts is stale').toBe(committed);
  });
});
