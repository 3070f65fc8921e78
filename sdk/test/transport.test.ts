import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { verifySignedRequest } from '../../src/security/signature.js';
import { createPartnerClient } from '../src/client.js';
import { backoffMs, createTransport, RequestTimeoutError, retryAfterMs } from '../src/transport.js';

/**
 * The transport against a tiny local HTTP server that answers from a script: real sockets, real
 * headers and timing, no mock of fetch.
 */
interface Seen {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: string;
  atMs: number;
}
type Answer = { status: number; headers?: Record<string, string>; body?: string } | 'hang';

let server: Server;
let base = '';
let seen: Seen[] = [];
let script: Answer[] = [];
const hanging = new Set<() => void>();

beforeAll(async () => {
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (d: Buffer) => (body += d.toString('utf8')));
    req.on('end', () => {
      seen.push({ method: req.method!, url: req.url!, headers: req.headers, body, atMs: Date.now() });
      const answer = script.shift() ?? { status: 200, body: '{"ok":true}' };
      if (answer === 'hang') {
        hanging.add(() => res.destroy());
        return;
      }
      res.writeHead(answer.status, { 'content-type': 'application/json', ...answer.headers }).end(answer.body ?? '{}');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  for (const end of hanging) end();
  await new Promise<void>((r) => server.close(() => r()));
});
beforeEach(() => {
  seen = [];
  script = [];
});

const KEY = { keyId: 'pk_transport_test', secret: 'sk_transport_test_secret' };
const fast = { retries: 4, baseDelayMs: 10, maxDelayMs: 2000 };
function send(path: string, init: RequestInit = {}, opts: Partial<Parameters<typeof createTransport>[0]> = {}) {
  const transport = createTransport({ baseUrl: base, ...KEY, retry: fast, ...opts });
  return transport(new Request(base + path, init));
}
function verified(s: Seen): boolean {
  return verifySignedRequest(s.headers, { method: s.method, pathWithQuery: s.url, rawBody: s.body }, () => [KEY.secret], Math.floor(Date.now() / 1000)).ok;
}

describe('retries', () => {
  it('retries a GET through 503s, signing every attempt anew, each signature valid for the server', async () => {
    script = [{ status: 503 }, { status: 502 }, { status: 200, body: '{"n":1}' }];
    const res = await send('/api/v1/partner/wallet');
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ n: 1 });
    expect(seen).toHaveLength(3);
    for (const s of seen) expect(verified(s)).toBe(true);
    expect(new Set(seen.map((s) => s.headers['x-lendbook-signature'])).size).toBe(3); // never a replay
  });

  it('honours Retry-After on 429', async () => {
    script = [{ status: 429, headers: { 'retry-after': '1' } }, { status: 200 }];
    const res = await send('/api/v1/partner/wallet');
    expect(res.status).toBe(200);
    expect(seen).toHaveLength(2);
    expect(seen[1]!.atMs - seen[0]!.atMs).toBeGreaterThanOrEqual(950);
  });

  it('gives a 429 back at once when Retry-After asks for longer than the client waits', async () => {
    script = [{ status: 429, headers: { 'retry-after': '60' } }];
    const res = await send('/api/v1/partner/wallet');
    expect(res.status).toBe(429);
    expect(seen).toHaveLength(1);
  });

  it('gives up after the configured retries and returns the last answer', async () => {
    script = Array.from({ length: 10 }, () => ({ status: 500 }));
    const res = await send('/api/v1/partner/wallet', {}, { retry: { retries: 2, baseDelayMs: 5 } });
    expect(res.status).toBe(500);
    expect(seen).toHaveLength(3);
  });

  it('does not retry an answer that another attempt would not change (4xx)', async () => {
    for (const status of [400, 401, 404, 409, 422]) {
      seen = [];
      script = [{ status }];
      expect((await send('/api/v1/partner/wallet')).status).toBe(status);
      expect(seen, String(status)).toHaveLength(1);
    }
  });

  it('backs off exponentially with full jitter, capped', async () => {
    const delays: number[] = [];
    script = [{ status: 503 }, { status: 503 }, { status: 503 }, { status: 503 }, { status: 200 }];
    const res = await send('/api/v1/partner/wallet', {}, { retry: { retries: 4, baseDelayMs: 20, maxDelayMs: 100 }, random: () => 0.999, onRetry: (i) => delays.push(i.delayMs) });
    expect(res.status).toBe(200);
    expect(delays).toEqual([20, 40, 80, 100]);
    expect(backoffMs(3, { baseDelayMs: 100, maxDelayMs: 10_000 }, () => 0.5)).toBe(400);
    expect(backoffMs(3, { baseDelayMs: 100, maxDelayMs: 10_000 }, () => 0)).toBe(0);
    expect(retryAfterMs('2', 0)).toBe(2000);
    expect(retryAfterMs(new Date(10_000).toUTCString(), 4000)).toBe(6000);
    expect(retryAfterMs('soon', 0)).toBeUndefined();
  });
});

describe('idempotency keys', () => {
  it('gives a POST a key, the same on every attempt, so a retried POST has one effect', async () => {
    script = [{ status: 503 }, { status: 201 }];
    const res = await send('/api/v1/partner/wallet/deposits', { method: 'POST', body: '{"amountMinor":100}', headers: { 'content-type': 'application/json' } });
    expect(res.status).toBe(201);
    expect(seen).toHaveLength(2);
    const key = seen[0]!.headers['idempotency-key'];
    expect(key).toMatch(/^[A-Za-z0-9_.:-]{8,128}$/);
    expect(seen[1]!.headers['idempotency-key']).toBe(key);
    expect(seen.map((s) => s.body)).toEqual(['{"amountMinor":100}', '{"amountMinor":100}']);
    for (const s of seen) expect(verified(s)).toBe(true);
  });

  it("keeps the caller's key; two POSTs get two keys", async () => {
    await send('/api/v1/partner/wallet/deposits', { method: 'POST', body: '{}', headers: { 'idempotency-key': 'order-batch-0001' } });
    await send('/api/v1/partner/wallet/deposits', { method: 'POST', body: '{}' });
    await send('/api/v1/partner/wallet/deposits', { method: 'POST', body: '{}' });
    expect(seen[0]!.headers['idempotency-key']).toBe('order-batch-0001');
    expect(seen[1]!.headers['idempotency-key']).not.toBe(seen[2]!.headers['idempotency-key']);
  });

  it('never retries a POST without a key', async () => {
    script = [{ status: 503 }, { status: 201 }];
    const res = await send('/api/v1/partner/merchants/m-1/invites', { method: 'POST', body: '{}' }, { idempotencyKeys: false });
    expect(res.status).toBe(503);
    expect(seen).toHaveLength(1);
    expect(seen[0]!.headers['idempotency-key']).toBeUndefined();
  });
});

describe('timeouts and paths', () => {
  it('times out an attempt that gets no answer, and retries it', async () => {
    script = ['hang', { status: 200 }];
    const res = await send('/api/v1/partner/wallet', {}, { timeoutMs: 300 });
    expect(res.status).toBe(200);
    expect(seen).toHaveLength(2);
  });

  it("stops at once when the caller aborts, even while waiting to retry", async () => {
    script = Array.from({ length: 5 }, () => ({ status: 503 }));
    const caller = new AbortController();
    setTimeout(() => caller.abort(new Error('caller gave up')), 150);
    await expect(send('/api/v1/partner/wallet', { signal: caller.signal }, { retry: { retries: 4, baseDelayMs: 1000 }, random: () => 1 })).rejects.toThrow('caller gave up');
    expect(seen).toHaveLength(1);
  });

  it('fails with RequestTimeoutError when no attempt is answered', async () => {
    script = ['hang', 'hang'];
    await expect(send('/api/v1/partner/wallet', {}, { timeoutMs: 200, retry: { retries: 1, baseDelayMs: 5 } })).rejects.toBeInstanceOf(RequestTimeoutError);
    expect(seen).toHaveLength(2);
  });

  it('signs a ref with ":" in its plain spelling (what the server reads) and refuses . and .. refs', async () => {
    const client = createPartnerClient({ baseUrl: base, ...KEY, retry: fast });
    const res = await client.GET('/api/v1/partner/merchants/{ref}/offers', { params: { path: { ref: 'shop:7' } } });
    expect(res.response.status).toBe(200);
    expect(seen[0]!.url).toBe('/api/v1/partner/merchants/shop:7/offers');
    expect(verified(seen[0]!)).toBe(true);
    await expect(client.GET('/api/v1/partner/merchants/{ref}/offers', { params: { path: { ref: '..' } } })).rejects.toThrow(/cannot sign/);
  });

  it('signs the same GET twice in one second with two signatures (the server refuses a replayed one)', async () => {
    await send('/api/v1/partner/wallet');
    await send('/api/v1/partner/wallet');
    expect(seen[0]!.headers['x-lendbook-signature']).not.toBe(seen[1]!.headers['x-lendbook-signature']);
    for (const s of seen) expect(verified(s)).toBe(true);
  });
});
