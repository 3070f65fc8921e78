import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signedRequestHeaders } from '../../src/security/signature.js';
import { createTestStorage, type TestStorage } from './helpers/env.js';
import { ADMIN_ENV } from './helpers/partner.js';
import { isAlive, rssMb, startProcess, waitForUrl, type ServerProcess } from './helpers/process.js';

/**
 * Hostile JSON against a real server process, as an attacker or a broken client would send it: nesting
 * thousands deep, huge widths, long strings, odd numbers, `__proto__`, invalid UTF-8 — to every route of
 * the OpenAPI document (anonymous, logged in, and validly signed where routes are signed) and over the
 * WebSocket. The process must stay up and healthy, answer no 5xx, and keep its memory bounded.
 */
const CUSTODIAN_SECRET = 'custodian-secret-custodian-secret-0002';
/** Growth allowed over the start (PGlite's own heap makes the embedded start several hundred MB). */
const RSS_GROWTH_BOUND_MB = 512;
let storage: TestStorage;
let server: ServerProcess;
let base = '';
let dataDir = '';
let peakRssMb = 0;
let startRssMb = 0;
const sampleRss = () => {
  if (server?.child.pid && isAlive(server.child.pid)) peakRssMb = Math.max(peakRssMb, rssMb(server.child.pid));
};

beforeAll(async () => {
  storage = await createTestStorage();
  dataDir = mkdtempSync(path.join(tmpdir(), 'lendbook-hostile-'));
  const env: Record<string, string> = {
    ...ADMIN_ENV,
    LENDBOOK_DATA_DIR: dataDir,
    LENDBOOK_REDIS_PREFIX: storage.redisPrefix,
    LENDBOOK_CUSTODIAN: 'callback',
    LENDBOOK_CUSTODIAN_SECRET: CUSTODIAN_SECRET,
    LENDBOOK_REGISTER_RATE_PER_MIN: '100000',
    LENDBOOK_LOGIN_RATE_PER_MIN: '100000',
    LENDBOOK_LOGIN_ADDRESS_RATE_PER_MIN: '100000',
    LOG_LEVEL: 'fatal',
  };
  if (storage.databaseUrl) env.DATABASE_URL = storage.databaseUrl;
  if (storage.redisUrl) env.REDIS_URL = storage.redisUrl;
  server = startProcess(process.execPath, ['--import', 'tsx', 'src/server.ts'], env);
  base = (await waitForUrl(server.output, 120_000)).replace('localhost', '127.0.0.1');
  startRssMb = rssMb(server.child.pid!);
  peakRssMb = startRssMb;
});
afterAll(async () => {
  if (server?.child.pid && isAlive(server.child.pid)) {
    server.child.kill('SIGTERM');
    await server.exited;
  }
  await storage?.dispose();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

async function json(method: string, url: string, body?: unknown, token?: string): Promise<{ status: number; body: any }> {
  const res = await fetch(`${base}${url}`, { method, headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) }, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
  return { status: res.status, body: await res.json().catch(() => null) };
}

/** The hostile bodies: fixed worst cases, then fast-check's arbitrary JSON with odd numbers spliced in. */
function hostileBodies(): { why: string; raw: string | Buffer; contentType?: string }[] {
  const deep = (n: number) => '['.repeat(n) + '1.5' + ']'.repeat(n);
  const fixed: { why: string; raw: string | Buffer; contentType?: string }[] = [
    { why: 'arrays nested 5,000 deep (10 KB)', raw: deep(5000) },
    { why: 'objects nested 3,000 deep', raw: '{"a":'.repeat(3000) + '1' + '}'.repeat(3000) },
    { why: 'nested 100,000 deep, unclosed', raw: '['.repeat(100_000) },
    { why: 'nested 33 deep, just past the limit', raw: deep(33) },
    { why: '200,000 array elements', raw: `[${'0,'.repeat(199_999)}0]` },
    { why: '30,000 keys', raw: `{${Array.from({ length: 30_000 }, (_, i) => `"k${i}":${i}`).join(',')}}` },
    { why: 'a 900 KB string', raw: JSON.stringify({ name: 'x'.repeat(900_000) }) },
    { why: 'odd numbers', raw: '{"amountMinor":1e400,"rateBps":-0,"x":1.0,"y":99999999999999999999,"z":-1e-400}' },
    { why: 'hex, NaN and Infinity', raw: '{"amountMinor":0x10,"rateBps":NaN,"z":Infinity}' },
    { why: '__proto__', raw: '{"__proto__":{"isAdmin":true},"amountMinor":100}' },
    { why: 'constructor.prototype', raw: '{"constructor":{"prototype":{"isAdmin":true}}}' },
    { why: 'invalid UTF-8', raw: Buffer.from([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xff, 0xfe, 0xc0, 0x22, 0x7d]) },
    { why: 'a lone surrogate', raw: '{"name":"\\ud800"}' },
    { why: 'truncated', raw: '{"amountMinor":' },
    { why: 'empty', raw: '' },
    { why: 'top-level scalars', raw: '"just a string"' },
    { why: 'text/plain', raw: 'amountMinor=100', contentType: 'text/plain' },
    { why: 'form-encoded', raw: 'amountMinor=100', contentType: 'application/x-www-form-urlencoded' },
  ];
  const odd = fc.constantFrom('1e5', '-0', '1.5', '1E+2', '12345678901234567890', '-', '.5', '00');
  const generated = fc.sample(
    fc.tuple(fc.json({ depthSize: 'large', maxDepth: 40 }), odd).map(([text, num]) => text.replace(/(\d+)/, num)),
    { numRuns: 40, seed: 14 },
  ).map((raw, i) => ({ why: `generated #${i}`, raw }));
  return [...fixed, ...generated];
}

function fillPath(p: string): string {
  return p.replace(/\{([^}]+)\}/g, (_m, name: string) => {
    if (name === 'id') return 'lst_0000000000000000';
    if (name === 'keyId') return 'pk_0000000000000000';
    if (name === 'n') return '1';
    return 'x-1';
  });
}

describe('hostile input to a real server process', () => {
  it('every route and the socket: the server stays healthy, no 5xx, memory bounded', async () => {
    // Who calls: an anonymous client, a lender, an operator; signed routes are signed over each request.
    const lender = await json('POST', '/api/v1/auth/register', { email: `hostile-${Date.now()}@example.com`, password: 'correct horse battery', role: 'lender', displayName: 'H' });
    expect(lender.status).toBe(201);
    const operator = await json('POST', '/api/v1/auth/login', { email: ADMIN_ENV.LENDBOOK_ADMIN_EMAIL, password: ADMIN_ENV.LENDBOOK_ADMIN_PASSWORD });
    const partner = await json('POST', '/api/v1/admin/partners', { name: 'Hostile shop platform' }, operator.body.token);
    expect(partner.status).toBe(201);
    const doc = (await (await fetch(`${base}/docs/json`)).json()) as { paths: Record<string, Record<string, unknown>> };
    const operations = Object.entries(doc.paths).flatMap(([p, ops]) => Object.keys(ops).map((m) => ({ method: m.toUpperCase(), path: p })));
    expect(operations.length).toBeGreaterThan(40);

    const problems: string[] = [];
    let inputs = 0;
    const send = async (method: string, url: string, raw: string | Buffer | undefined, contentType: string, headers: Record<string, string>) => {
      inputs++;
      const res = await fetch(`${base}${url}`, { method, headers: { ...(raw === undefined ? {} : { 'content-type': contentType }), ...headers }, ...(raw === undefined ? {} : { body: typeof raw === 'string' ? raw : new Uint8Array(raw) }) }).catch((err: Error) => ({ status: 0, err }));
      if (res.status === 0 || res.status >= 500) problems.push(`${method} ${url}: ${res.status} ${'err' in res ? res.err.message : ''}`);
      if ('body' in res) await res.arrayBuffer();
      if (inputs % 100 === 0) sampleRss();
    };
    const bodies = hostileBodies();
    for (const op of operations) {
      if (op.path === '/api/v1/ws' || op.path.endsWith('/logout') || op.path.endsWith('/password')) continue;
      const url = fillPath(op.path);
      const callers: Record<string, string>[] = [{}, { authorization: `Bearer ${lender.body.token}` }, { authorization: `Bearer ${operator.body.token}` }];
      if (['GET', 'HEAD', 'DELETE'].includes(op.method)) {
        for (const q of ['limit=1e400', `cursor=${'%5B'.repeat(2000)}`, '__proto__[x]=1', `x=${'y'.repeat(4000)}`]) {
          for (const headers of callers) await send(op.method, `${url}?${q}`, undefined, '', headers);
        }
        continue;
      }
      for (const b of bodies) {
        const raw = b.raw;
        const rawText = typeof raw === 'string' ? raw : raw.toString('latin1');
        const signed = url.startsWith('/api/v1/partner/')
          ? signedRequestHeaders(partner.body.keyId, partner.body.secret, { method: op.method, pathWithQuery: url, rawBody: rawText }, Math.floor(Date.now() / 1000) - (inputs % 200))
          : url.startsWith('/api/v1/custodian/')
            ? signedRequestHeaders('custodian', CUSTODIAN_SECRET, { method: op.method, pathWithQuery: url, rawBody: rawText }, Math.floor(Date.now() / 1000) - (inputs % 200))
            : undefined;
        // The large bodies once per route; the small ones from every caller.
        const who = raw.length > 50_000 ? [signed ?? callers[1]!] : signed ? [signed, {}] : callers;
        for (const headers of who) await send(op.method, url, raw, b.contentType ?? 'application/json', headers);
      }
    }

    // The socket: anonymous and logged in, a fresh socket every 25 frames (under the message limit).
    const frames = bodies.filter((b) => typeof b.raw === 'string' && b.raw.length <= 16 * 1024 && !b.contentType).map((b) => b.raw as string);
    frames.push(...frames.map((f) => `{"op":"subscribe","channel":${JSON.stringify(f.slice(0, 100))}}`), '{"op":"bid","ref":"r","listingId":"lst_0000000000","amountMinor":1.5,"rateBps":1e3}');
    let wsAnswers = 0;
    for (const token of [undefined, lender.body.token as string]) {
      for (let i = 0; i < frames.length; i += 25) {
        const ws = new WebSocket(`${base.replace('http', 'ws')}/api/v1/ws${token ? `?token=${token}` : ''}`);
        await new Promise((resolve, reject) => {
          ws.once('open', resolve);
          ws.once('error', reject);
        });
        const closed = new Promise<number>((resolve) => ws.once('close', (code) => resolve(code)));
        for (const frame of frames.slice(i, i + 25)) {
          inputs++;
          const answer = new Promise<string>((resolve) => ws.once('message', (m) => resolve(m.toString())));
          ws.send(frame);
          const got = await Promise.race([answer, closed.then((code) => `closed ${code}`)]);
          wsAnswers++;
          if (got.startsWith('closed')) {
            if (!['closed 1009', 'closed 4008'].includes(got)) problems.push(`socket frame ${frame.slice(0, 60)}: ${got}`);
            break;
          }
          const m = JSON.parse(got) as { type: string; code?: string };
          if (m.type === 'error' && m.code === 'INTERNAL') problems.push(`socket frame ${frame.slice(0, 60)}: INTERNAL`);
        }
        ws.terminate();
      }
    }
    sampleRss();

    const alive = isAlive(server.child.pid!);
    const health = await fetch(`${base}/healthz`);
    const ready = await fetch(`${base}/readyz`);
    const invariants = await json('GET', '/api/v1/admin/invariants', undefined, operator.body.token);
    console.log(`${inputs} hostile inputs, ${problems.length} 5xx, server ${alive && health.status === 200 ? 'alive' : 'DOWN'}, RSS ≤ ${Math.ceil(peakRssMb)} MB (${Math.round(startRssMb)} MB at the start; ${operations.length} operations, ${wsAnswers} socket frames answered)`);
    expect(problems).toEqual([]);
    expect(alive).toBe(true);
    expect(health.status).toBe(200);
    expect(ready.status).toBe(200);
    expect(invariants.body.ok).toBe(true);
    expect(peakRssMb - startRssMb).toBeLessThan(RSS_GROWTH_BOUND_MB);
  });
});
