import { describe, expect, it } from 'vitest';
// The server's own signer and verifier: the SDK must agree with them byte for byte (the SDK itself
// never imports server code).
import * as server from '../../src/security/signature.js';
import { TimestampPicker, canonicalString, plainPath, signRequest, signatureHeaders, unsignablePath, type CanonicalRequest } from '../src/signing.js';
import { parseWebhook, signWebhook, verifyWebhook, WebhookVerificationError, type WebhookType } from '../src/webhooks.js';
import type { WebhookType as ServerWebhookType } from '../../src/services/webhooks.js';

/**
 * Known vectors: the worked example of docs/security.md, and requests whose signatures were computed
 * with the server's signRequest (src/security/signature.ts) and are checked again against it below.
 */
const SECRET = 'sk_worked_example_secret_0123456789abcdef';
const VECTORS: { ts: number; req: CanonicalRequest; signature: string }[] = [
  {
    ts: 1780000000,
    req: { method: 'POST', pathWithQuery: '/api/v1/partner/merchants/shop-001/orders?source=erp', rawBody: '{"orders":[{"orderId":"A-1","amountMinor":250000,"status":"paid","placedAt":"2026-05-01T10:00:00Z"}]}' },
    signature: '4d9c60aceaae0131d59562cf3f787b7e6e08a92d1e16a6c2e2b812089adadbd5',
  },
  { ts: 1780000000, req: { method: 'GET', pathWithQuery: '/api/v1/partner/merchants/shop-001/offers', rawBody: '' }, signature: '4e77914a3e0f31f7bc23877893a5c23a33ea0d000c7b2531c680b160f18663de' },
  { ts: 1780000123, req: { method: 'put', pathWithQuery: '/api/v1/partner/merchants/shop:7', rawBody: '{"name":"上海小店","legalForm":"legal_person","openedAt":"2021-03-01","category":"apparel"}' }, signature: 'fb36a605632561cafecc81e69e2ccbd7e85e595fb6e203a82bfb54f167efd3b0' },
  { ts: 1780000300, req: { method: 'POST', pathWithQuery: '/api/v1/partner/merchants/shop-001/invites', rawBody: '{}' }, signature: '993c369f70a0baf4b9fafbfa70603761b45dea41c47f53a3a00c0ba8585f8393' },
  { ts: 1780000301, req: { method: 'POST', pathWithQuery: '/api/v1/partner/merchants/shop-001/orders/A-1/proceeds', rawBody: '{"amountMinor":125000}' }, signature: '38d1f0bc5171656a667c114015e44d816b53a52e82ddf1b0a685134164366f95' },
];

describe('request signing', () => {
  it("signs the docs' worked example to the documented signature", () => {
    const v = VECTORS[0]!;
    expect(signRequest(SECRET, v.ts, v.req)).toBe(v.signature);
    expect(canonicalString(v.ts, v.req)).toBe(server.canonicalString(v.ts, v.req));
  });

  it('computes what the server computes and the server accepts it, for each vector', () => {
    VECTORS.forEach((v, i) => {
      const sdk = signRequest(SECRET, v.ts, v.req);
      expect(sdk, `vector ${i}`).toBe(server.signRequest(SECRET, v.ts, v.req));
      expect(sdk, `vector ${i}`).toBe(v.signature);
      const headers = signatureHeaders('pk_example0000000001', SECRET, v.req, v.ts);
      expect(headers).toEqual(server.signedRequestHeaders('pk_example0000000001', SECRET, v.req, v.ts));
      expect(server.verifySignedRequest(headers, v.req, () => [SECRET], v.ts)).toMatchObject({ ok: true, keyId: 'pk_example0000000001' });
    });
  });

  it('a signature does not carry over to another method, path, query, body or timestamp', () => {
    const v = VECTORS[0]!;
    const headers = signatureHeaders('pk_x', SECRET, v.req, v.ts);
    for (const other of [{ ...v.req, method: 'PUT' }, { ...v.req, pathWithQuery: v.req.pathWithQuery.replace('shop-001', 'shop-002') }, { ...v.req, pathWithQuery: '/api/v1/partner/merchants/shop-001/orders' }, { ...v.req, rawBody: `${v.req.rawBody} ` }]) {
      expect(server.verifySignedRequest(headers, other, () => [SECRET], v.ts)).toMatchObject({ ok: false, code: 'SIGNATURE_INVALID' });
    }
    expect(signRequest(SECRET, v.ts + 1, v.req)).not.toBe(v.signature);
  });

  it('refuses to sign the paths the server refuses, as the server does; writes refs plainly', () => {
    const paths = ['/api/v1/partner/merchants/a%41/orders', '/api/v1/partner//merchants', '/api/v1/partner/merchants/./x', '/api/v1/partner/merchants/../x', '/partner/merchants/x', '/api/v1/partner/merchants/m-1?ref=a%20b', '/api/v1/partner/merchants/shop:7'];
    for (const p of paths) expect(unsignablePath(p), p).toBe(server.unsignablePath(p));
    expect(plainPath('/api/v1/partner/merchants/shop%3A7/orders?x=%3A')).toBe('/api/v1/partner/merchants/shop:7/orders?x=%3A');
    expect(plainPath('/api/v1/partner/merchants/a%2Fb')).toBe('/api/v1/partner/merchants/a%2Fb'); // a slash stays escaped (and unsignable)
  });

  it('never signs the same request twice with the same timestamp', () => {
    let now = 1_780_000_000_500;
    const picker = new TimestampPicker(() => now);
    const req = VECTORS[1]!.req;
    const a = picker.pick('k', req);
    const b = picker.pick('k', req);
    expect(a).toBe(1_780_000_000);
    expect(b).toBe(1_780_000_000 - 1);
    expect(picker.pick('k', { ...req, pathWithQuery: `${req.pathWithQuery}?x=1` })).toBe(1_780_000_000);
    now += 1000;
    expect(picker.pick('k', req)).toBe(1_780_000_001);
  });
});

describe('webhook verification', () => {
  const body = '{"id":"evt_0000000000example","type":"loan.repaid"}';
  const ts = 1780000000;
  const headers = (sig: string, extra: Record<string, string> = {}) => ({ 'X-Lendbook-Event-Id': 'evt_0000000000example', 'X-Lendbook-Timestamp': String(ts), 'X-Lendbook-Signature': sig, ...extra });

  it("signs the docs' example webhook as the server does", () => {
    expect(signWebhook(SECRET, ts, 'evt_0000000000example', body)).toBe('31ff92667eb740ad5e198db5c1e9f956dc2ad77b27f8845fc28cba3ddf8a84b5');
    expect(signWebhook(SECRET, ts, 'evt_1', '{"id":"evt_1"}')).toBe(server.signWebhook(SECRET, ts, 'evt_1', '{"id":"evt_1"}'));
  });

  it('accepts a webhook the server signed, from a header record, Headers, a string or bytes, with either secret of a rotation', () => {
    const sig = server.signWebhook(SECRET, ts, 'evt_0000000000example', body);
    const nowMs = ts * 1000 + 5000;
    expect(verifyWebhook({ secret: SECRET, headers: headers(sig), rawBody: body, nowMs })).toMatchObject({ ok: true, event: { id: 'evt_0000000000example', type: 'loan.repaid' }, timestampSec: ts });
    expect(verifyWebhook({ secret: ['sk_new', SECRET], headers: new Headers(headers(sig)), rawBody: Buffer.from(body), nowMs }).ok).toBe(true);
    expect(parseWebhook({ secret: SECRET, headers: headers(sig), rawBody: body, nowMs }).type).toBe('loan.repaid');
  });

  it('refuses a tampered body, event id, timestamp or signature, a stale one, and missing headers', () => {
    const sig = server.signWebhook(SECRET, ts, 'evt_0000000000example', body);
    const nowMs = ts * 1000;
    const bad = (o: Partial<Parameters<typeof verifyWebhook>[0]>) => verifyWebhook({ secret: SECRET, headers: headers(sig), rawBody: body, nowMs, ...o });
    expect(bad({ rawBody: body.replace('repaid', 'defaulted') })).toEqual({ ok: false, reason: 'bad_signature' });
    expect(bad({ headers: headers(sig, { 'X-Lendbook-Event-Id': 'evt_other' }) })).toEqual({ ok: false, reason: 'bad_signature' });
    expect(bad({ headers: headers(sig, { 'X-Lendbook-Timestamp': String(ts + 1) }) })).toEqual({ ok: false, reason: 'bad_signature' });
    expect(bad({ headers: headers(sig.replace(/^./, sig[0] === 'a' ? 'b' : 'a')) })).toEqual({ ok: false, reason: 'bad_signature' });
    expect(bad({ secret: 'sk_someone_else' })).toEqual({ ok: false, reason: 'bad_signature' });
    expect(bad({ nowMs: (ts + 301) * 1000 })).toEqual({ ok: false, reason: 'stale_timestamp' });
    expect(bad({ headers: { 'x-lendbook-event-id': 'evt_0000000000example' } })).toEqual({ ok: false, reason: 'missing_headers' });
    // Signed, but the body names another event than the header: not this delivery.
    const other = '{"id":"evt_x","type":"loan.repaid"}';
    expect(bad({ rawBody: other, headers: headers(server.signWebhook(SECRET, ts, 'evt_0000000000example', other)) })).toEqual({ ok: false, reason: 'bad_body' });
    expect(() => parseWebhook({ secret: SECRET, headers: headers(sig), rawBody: `${body} `, nowMs })).toThrow(WebhookVerificationError);
  });

  it("names the server's webhook types, no more and no fewer", () => {
    // A compile error (npm run typecheck) when the server gains or loses a webhook type the SDK lacks.
    type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
    const same: Same<WebhookType, ServerWebhookType> = true;
    expect(same).toBe(true);
  });
});
