import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { residentIdFor } from '../../src/demo/cast.js';
import { usingPostgres } from './helpers/env.js';
import { http, sleep } from '../chaos/helpers/load.js';
import { freePort, killAllServerProcesses, startServerProcess, type ServerProcess } from '../chaos/helpers/process.js';

/**
 * `npm start` on a bare machine: no PostgreSQL, no Redis. Within a minute the market has open listings
 * whose funded % and rates move by themselves, and the demo logins have a past to show.
 */
const dir = mkdtempSync(path.join(tmpdir(), 'lendbook-demo-'));
let server: ServerProcess | undefined;
afterAll(async () => {
  await server?.kill('SIGTERM');
  await killAllServerProcesses();
  rmSync(dir, { recursive: true, force: true });
});

describe.skipIf(usingPostgres)('the demo market of npm start', () => {
  it('opens onto a live market with a history, within a minute', async () => {
    const started = Date.now();
    const port = await freePort();
    server = await startServerProcess(port, { LENDBOOK_DEMO: 'on', LENDBOOK_DATA_DIR: dir, LENDBOOK_WIDGET_DEMO_PORT: String(await freePort()) }, 240_000);
    const base = () => server!.url;
    const readyMs = Date.now() - started;
    expect(server.output()).toContain('lender@lendbook.demo');
    const first = await http(base, 'GET', '/api/v1/listings?status=open&limit=50');
    expect(first.status).toBe(200);
    expect(first.body.items.length).toBeGreaterThanOrEqual(3);
    const seen = new Map<string, string>(first.body.items.map((l: { id: string; fundedPct: number; currentRateBps: number; bidCount: number }) => [l.id, `${l.fundedPct}/${l.currentRateBps}/${l.bidCount}`]));
    let moved = 0;
    for (let i = 0; i < 40 && moved < 2; i++) {
      await sleep(1000);
      const now = await http(base, 'GET', '/api/v1/listings?status=open&limit=50');
      moved = now.body.items.filter((l: { id: string; fundedPct: number; currentRateBps: number; bidCount: number }) => seen.has(l.id) && seen.get(l.id) !== `${l.fundedPct}/${l.currentRateBps}/${l.bidCount}`).length;
    }
    expect(moved).toBeGreaterThanOrEqual(2);
    // Simulated lenders run autobid strategies: their bids show in open books as autobid.
    let autobids = 0;
    for (let i = 0; i < 60 && autobids === 0; i++) {
      const open = (await http(base, 'GET', '/api/v1/listings?status=open&limit=50')).body.items as { id: string }[];
      for (const l of open) autobids += ((await http(base, 'GET', `/api/v1/listings/${l.id}`)).body.bids as { source: string }[]).filter((b) => b.source === 'autobid').length;
      if (autobids === 0) await sleep(1000);
    }
    expect(autobids).toBeGreaterThan(0);
    // The demo lender has notes in every state; the operator sees the invariants hold.
    const lender = await http(base, 'POST', '/api/v1/auth/login', undefined, { email: 'lender@lendbook.demo', password: 'lendbook-demo' });
    const notes = await http(base, 'GET', '/api/v1/me/notes?limit=200', lender.body.token);
    const states = new Set(notes.body.items.map((n: { status: string; bucket?: string }) => (n.status === 'active' && n.bucket && n.bucket !== 'current' ? 'late' : n.status)));
    expect([...states].sort()).toEqual(expect.arrayContaining(['active', 'defaulted', 'late', 'repaid']));
    // A few notes on the secondary market, from other lenders: the demo lender can buy them.
    const offers = await http(base, 'GET', '/api/v1/note-offers');
    expect(offers.body.items.length).toBeGreaterThanOrEqual(3);
    expect(new Set(offers.body.items.map((o: { priceBps: number }) => Math.sign(o.priceBps - 10_000)))).toEqual(new Set([-1, 0, 1]));
    const quote = await http(base, 'GET', `/api/v1/note-offers/${offers.body.items[0].id}/quote`, lender.body.token);
    expect(quote.status).toBe(200);
    const ops = await http(base, 'POST', '/api/v1/auth/login', undefined, { email: 'ops@lendbook.demo', password: 'lendbook-demo' });
    const inv = await http(base, 'GET', '/api/v1/admin/invariants', ops.body.token);
    expect(inv.body.checks.filter((c: { ok: boolean }) => !c.ok)).toEqual([]);
    const grades = new Set((await http(base, 'GET', '/api/v1/listings?limit=200')).body.items.map((l: { grade: string }) => l.grade));
    // The time to ready is reported, not asserted: tests do not depend on the machine's speed.
    console.log(`demo: ready in ${(readyMs / 1000).toFixed(1)} s, ${first.body.items.length} open listings, ${moved} moved on their own, listing grades ${[...grades].sort().join(' ')}`);

    // The printed logins belong to the person: the simulation, busy since the start, never acted as them.
    await expectUntouched(base, started, lender.body.token);

    // After a restart (the cast is read back from the database) an account registered meanwhile is not
    // drafted into the simulation either.
    expect(await server.kill('SIGTERM')).toBe(0);
    const restarted = Date.now();
    server = await startServerProcess(port, { LENDBOOK_DEMO: 'on', LENDBOOK_DATA_DIR: dir, LENDBOOK_WIDGET_DEMO_PORT: String(await freePort()) }, 240_000);
    const person = await http(base, 'POST', '/api/v1/auth/register', undefined, { email: 'someone@example.com', password: 'correct horse battery', role: 'lender', displayName: 'Someone' });
    expect(person.status).toBe(201);
    expect((await http(base, 'PUT', '/api/v1/me/kyc', person.body.token, { legalName: '某人', idNumber: residentIdFor(9_999), riskProfile: 'aggressive' })).status).toBe(200);
    expect((await http(base, 'POST', '/api/v1/wallet/deposits', person.body.token, { amountMinor: 100_000_000 })).status).toBe(201);
    // Wait until the simulation has bid since the restart (listings' books moved), then look at who bid.
    type Open = { id: string; bidCount: number; seq: number };
    const at = async () => new Map(((await http(base, 'GET', '/api/v1/listings?status=open&limit=50')).body.items as Open[]).map((l) => [l.id, l.seq]));
    const before = await at();
    let movedSinceRestart = 0;
    for (let i = 0; i < 90 && movedSinceRestart < 3; i++) {
      await sleep(1000);
      const now = await at();
      movedSinceRestart = [...now].filter(([id, seq]) => !before.has(id) || before.get(id)! < seq).length;
    }
    expect(movedSinceRestart, `restarted ${new Date(restarted).toISOString()}`).toBeGreaterThanOrEqual(3);
    await expectUntouched(base, started, lender.body.token);
    expect((await http(base, 'GET', '/api/v1/me/bids?limit=200', person.body.token)).body.items).toEqual([]);
  }, 600_000); // two starts of a server process, the first one seeding: minutes on a loaded machine
});

/** No listing of the demo borrower and no bid of the demo lender dated after `sinceMs`. */
async function expectUntouched(base: () => string, sinceMs: number, lenderToken: string): Promise<void> {
  const borrower = await http(base, 'POST', '/api/v1/auth/login', undefined, { email: 'borrower@lendbook.demo', password: 'lendbook-demo' });
  const listings = (await http(base, 'GET', '/api/v1/me/listings?limit=200', borrower.body.token)).body.items as { createdAt: string; status: string }[];
  expect(listings.filter((l) => Date.parse(l.createdAt) >= sinceMs)).toEqual([]);
  expect(listings.filter((l) => l.status === 'open')).toEqual([]);
  const bids = (await http(base, 'GET', '/api/v1/me/bids?limit=200', lenderToken)).body.items as { createdAt: string }[];
  expect(bids.filter((b) => Date.parse(b.createdAt) >= sinceMs)).toEqual([]);
  // The simulation did list meanwhile, as its own borrowers.
  const recent = (await http(base, 'GET', '/api/v1/listings?sort=createdAt&limit=50')).body.items as { createdAt: string }[];
  expect(recent.filter((l) => Date.parse(l.createdAt) >= sinceMs).length).toBeGreaterThan(0);
}
