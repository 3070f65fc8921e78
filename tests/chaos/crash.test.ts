import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerLender, type Session } from '../integration/helpers/api.js';
import { createTestStorage, usingPostgres, usingRedis, type TestStorage } from '../integration/helpers/env.js';
import { newPartner, ratedBorrower, type Borrower } from '../integration/helpers/market.js';
import { ADMIN_ENV } from '../integration/helpers/partner.js';
import { http, rng, sleep } from './helpers/load.js';
import { serverEnv, seedWith } from './helpers/seed.js';
import { freePort, killAllServerProcesses, startServerProcess, type ServerProcess } from './helpers/process.js';

/**
 * Crash nemesis: bids are placed and acknowledged while the server process is killed with SIGKILL at
 * random moments (some aimed at auction ends, so clearing is interrupted) and started again. Afterwards
 * every acknowledged bid exists, every ended listing cleared or failed exactly once, no hold is left
 * pending, and the invariants hold.
 */
const CYCLES = Number(process.env.CHAOS_CYCLES ?? 6);
let storage: TestStorage;
let env: Record<string, string>;
let borrowers: Borrower[] = [];
let lenders: Session[] = [];

beforeAll(async () => {
  if (!usingPostgres || !usingRedis) return;
  storage = await createTestStorage();
  env = serverEnv(storage, { LENDBOOK_AUCTION_MIN_DURATION_SEC: '1', LENDBOOK_SOFT_CLOSE_SEC: '0', LENDBOOK_REGISTER_RATE_PER_MIN: '1000000' });
  await seedWith(storage, env, async (app) => {
    const partner = await newPartner(app);
    for (let i = 0; i < 8; i++) borrowers.push(await ratedBorrower(app, partner, { monthlyYuan: 900_000, orderYuan: 15_000 }));
    for (let i = 0; i < 30; i++) lenders.push(await registerLender(app, { depositMinor: 20_000_000 }));
  });
});
afterAll(async () => {
  await killAllServerProcesses();
  await storage?.dispose();
});

describe.runIf(usingPostgres && usingRedis)('crash nemesis', () => {
  it('SIGKILL at random moments: acked bids survive, ended listings close exactly once, no hold left pending', async () => {
    const port = await freePort();
    let server: ServerProcess = await startServerProcess(port, env);
    const base = () => server.url;
    const acked = new Set<string>();
    const listingEnds = new Map<string, number>();
    let stop = false;
    let attempts = 0;

    // Borrowers keep a short auction open each; lenders keep bidding on whatever is open.
    const borrowerLoops = borrowers.map(async (b, i) => {
      const r = rng(100 + i);
      while (!stop) {
        const res = await http(base, 'POST', '/api/v1/listings', b.token, {
          title: 'Stock', purpose: 'Working capital', amountMinor: 500_000, termMonths: 3, maxRateBps: 1800, repayment: 'equal_installment', product: 'credit', durationSec: 2 + r(4), minFundingPct: 60,
        });
        if (res.status === 201) listingEnds.set(res.body.id, Date.parse(res.body.endsAt));
        await sleep(300 + r(700));
      }
    });
    const lenderLoops = lenders.map(async (l, i) => {
      const r = rng(900 + i);
      while (!stop) {
        const open = [...listingEnds.entries()].filter(([, ends]) => ends > Date.now() + 200).map(([id]) => id);
        if (open.length === 0) {
          await sleep(100);
          continue;
        }
        const id = open[r(open.length)]!;
        attempts++;
        const res = await http(base, 'POST', `/api/v1/listings/${id}/bids`, l.token, { amountMinor: (1 + r(8)) * 10_000, rateBps: 900 + r(800) });
        if (res.status === 201) acked.add(res.body.id);
        await sleep(r(60));
      }
    });

    let kills = 0;
    const r = rng(7);
    for (let cycle = 0; cycle < CYCLES; cycle++) {
      await sleep(1500 + r(2500));
      // Every other kill lands on the end of a listing, when it is being cleared.
      const endingSoon = [...listingEnds.values()].filter((e) => e > Date.now()).sort((a, b) => a - b)[0];
      if (cycle % 2 === 1 && endingSoon !== undefined && endingSoon - Date.now() < 4000) await sleep(Math.max(0, endingSoon - Date.now() + 30 + r(150)));
      await server.kill('SIGKILL');
      kills++;
      await sleep(200 + r(600));
      server = await startServerProcess(port, env);
    }
    stop = true;
    await Promise.all([...borrowerLoops, ...lenderLoops]);

    // Let the close jobs and the sweeper close every listing, including what ended while the process
    // was down. Borrowers have stopped, so every listing ends within seconds; waiting only for those
    // already past their end would race with one ending between this wait and the checks below.
    const db = new pg.Client({ connectionString: storage.databaseUrl });
    await db.connect();
    const deadline = Date.now() + 60_000;
    for (;;) {
      const { rows } = await db.query(`select count(*)::int as n from listings where status = 'open'`);
      if (rows[0].n === 0) break;
      if (Date.now() > deadline) throw new Error(`${rows[0].n} listings are still open a minute after the last one ended`);
      await sleep(250);
    }
    const found = await db.query(`select id from bids where id = any($1::text[])`, [[...acked]]);
    const ended = await db.query(
      `select l.id, l.status, l.ends_at, l.closed_at, (select count(*) from loans n where n.listing_id = l.id)::int as loans from listings l`,
    );
    const closedOnce = ended.rows.filter((x) => (x.status === 'cleared' && x.loans === 1) || (x.status === 'failed' && x.loans === 0));
    const notClosedOnce = ended.rows.filter((x) => !closedOnce.includes(x));
    const pendingOnClosed = await db.query(
      `select count(*)::int as n from bids b join listings l on l.id = b.listing_id where b.status = 'active' and l.status <> 'open'`,
    );
    await db.end();
    const inv = await http(base, 'POST', '/api/v1/auth/login', undefined, { email: ADMIN_ENV.LENDBOOK_ADMIN_EMAIL, password: ADMIN_ENV.LENDBOOK_ADMIN_PASSWORD });
    const invariants = await http(base, 'GET', '/api/v1/admin/invariants', inv.body.token);
    await server.kill('SIGTERM');
    console.log(
      `crash nemesis: ${kills} SIGKILLs, ${attempts} bids sent, acked ${acked.size}, found ${found.rowCount}, cleared once ${closedOnce.length}/${ended.rowCount}, ${pendingOnClosed.rows[0].n} holds pending on closed listings`,
    );
    expect(kills).toBeGreaterThanOrEqual(5);
    expect(acked.size).toBeGreaterThan(50);
    expect(found.rowCount).toBe(acked.size);
    expect(notClosedOnce).toEqual([]);
    expect(closedOnce.length).toBe(ended.rowCount);
    expect(pendingOnClosed.rows[0].n).toBe(0);
    expect(invariants.body.checks.filter((c: { ok: boolean }) => !c.ok)).toEqual([]);
    expect(invariants.body.ok).toBe(true);
  });
});
