import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { SIGNATURE_WINDOW_SEC, canonicalString, signRequest, signWebhook, signedRequestHeaders, unsignablePath, verifySignedRequest, type CanonicalRequest } from '../../src/security/signature.js';

describe('verifySignedRequest', () => {
  const secret = 'partner-secret';
  const req: CanonicalRequest = { method: 'POST', pathWithQuery: '/api/v1/partner/merchants/m-1/orders', rawBody: '{"orders":[]}' };
  const nowSec = 1_780_000_000;
  const check = (timestampSec: number, secrets = [secret], sent: CanonicalRequest = req) => verifySignedRequest(signedRequestHeaders('pk_test', secret, req, timestampSec), sent, () => secrets, nowSec);

  it('accepts a timestamp up to the window away on either side, and not one second more', () => {
    expect(SIGNATURE_WINDOW_SEC).toBe(300);
    for (const ts of [nowSec, nowSec - 300, nowSec + 300]) expect(check(ts)).toMatchObject({ ok: true, keyId: 'pk_test', timestampSec: ts });
    for (const ts of [nowSec - 301, nowSec + 301]) expect(check(ts)).toMatchObject({ ok: false, code: 'SIGNATURE_EXPIRED' });
  });

  it('matches either secret during a rotation; refuses an altered body, an unknown key and missing headers', () => {
    expect(check(nowSec, ['newer-secret', secret])).toMatchObject({ ok: true });
    expect(check(nowSec, [secret], { ...req, rawBody: req.rawBody.replace('[]', '[1]') })).toMatchObject({ ok: false, code: 'SIGNATURE_INVALID' });
    expect(check(nowSec, [])).toMatchObject({ ok: false, code: 'PARTNER_KEY_UNKNOWN' });
    expect(verifySignedRequest({ 'x-lendbook-key': 'pk_test' }, req, () => [secret], nowSec)).toMatchObject({ ok: false, code: 'SIGNATURE_MISSING' });
  });

  it('binds the method, the path and the query: the same signature on another request is refused', () => {
    const elsewhere: CanonicalRequest[] = [
      { ...req, method: 'PUT' },
      { ...req, pathWithQuery: '/api/v1/partner/merchants/m-2/orders' },
      { ...req, pathWithQuery: `${req.pathWithQuery}?x=1` },
      { ...req, pathWithQuery: '/api/v1/partner/merchants/%6D-1/orders' },
    ];
    for (const sent of elsewhere) expect(check(nowSec, [secret], sent), sent.method + sent.pathWithQuery).toMatchObject({ ok: false, code: 'SIGNATURE_INVALID' });
  });

  it('a signature that verifies over a spelling the router reads differently is refused', () => {
    for (const spelled of ['/api/v1/partner/merchants/%6D-1/orders', '/api/v1/partner//merchants/m-1/orders', '/api/v1/partner/./merchants/m-1/orders']) {
      const sent = { ...req, pathWithQuery: spelled };
      const headers = signedRequestHeaders('pk_test', secret, sent, nowSec);
      expect(verifySignedRequest(headers, sent, () => [secret], nowSec), spelled).toMatchObject({ ok: false, code: 'SIGNATURE_INVALID' });
      expect(unsignablePath(spelled)).toBeDefined();
    }
    expect(unsignablePath('/api/v1/partner/merchants/m-1/orders?ref=a%20b')).toBeUndefined(); // a query may be encoded
  });

  it('webhooks sign timestamp, event id and body', () => {
    expect(signWebhook('s', 1, 'evt_1', '{}')).not.toBe(signWebhook('s', 1, 'evt_2', '{}'));
  });
});

/** The worked example of docs/security.md, recomputed: the page and the code cannot drift apart. */
describe('the worked example in docs/security.md', () => {
  const doc = readFileSync(path.resolve(import.meta.dirname, '../../docs/security.md'), 'utf8');
  const field = (name: string) => {
    const m = new RegExp(`^\\| ${name.replace(/[()]/g, '\\$&')} \\| \`([^\`]*)\` \\|$`, 'm').exec(doc);
    if (!m) throw new Error(`docs/security.md has no row '${name}' in the worked example`);
    return m[1]!;
  };

  it('gives the signature the code computes, for the canonical string it shows', () => {
    const timestampSec = Number(field('X-Lendbook-Timestamp'));
    const req: CanonicalRequest = { method: field('method'), pathWithQuery: field('path with query'), rawBody: field('body') };
    const secret = field('secret');
    expect(field('X-Lendbook-Key')).toMatch(/^pk_/);
    expect(signRequest(secret, timestampSec, req)).toBe(field('X-Lendbook-Signature'));
    expect(doc).toContain(canonicalString(timestampSec, req));
    expect(verifySignedRequest({ 'x-lendbook-key': field('X-Lendbook-Key'), 'x-lendbook-timestamp': String(timestampSec), 'x-lendbook-signature': field('X-Lendbook-Signature') }, req, () => [secret], timestampSec)).toMatchObject({ ok: true });
  });

  it('gives the webhook signature the code computes', () => {
    expect(signWebhook(field('secret'), Number(field('X-Lendbook-Timestamp')), field('X-Lendbook-Event-Id'), field('webhook body'))).toBe(field('webhook X-Lendbook-Signature'));
  });
});
