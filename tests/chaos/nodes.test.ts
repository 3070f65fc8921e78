import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { computeBook, type ActiveBid } from '../../src/domain/auction/index.js';
import { registerLender, type Session } from '../integration/helpers/api.js';
import { createTestStorage, usingPostgres, usingRedis, type TestStorage } from '../integration/helpers/env.js';
import { createListing, createPartner, ratedBorrower } from '../integration/helpers/market.js';
import { openSocket, rebuildBids, type TestSocket } from '../integration/helpers/ws.js';
import { http, rng, sleep } from './helpers/load.js';
import { serverEnv, seedWith } from './helpers/seed.js';
import { freePort, killAllServerProcesses, rssMb, startServerProcess, type ServerProcess } from './helpers/process.js';

let storage: TestStorage;
let env: Record<string, string>;
const lenders: Session[] = [];
const listingIds: string[] = [];

beforeAll(async () => {
  if (!usingPostgres || !usingRedis) return;
  storage = await createTestStorage();
  env = serverEnv(storage);
  await seedWith(storage, env, async (app) => {
    const partner = await createPartner(app);
    for (let i = 0; i < 4; i++) {
      const b = await ratedBorrower(app, partner, { monthlyYuan: 900_000, orderYuan: 15_000 });
      listingIds.push((await createListing(app, b, { amountMinor: 2_000_000, maxRateBps: 2000 })).id);
    }
    for (let i = 0; i < 40; i++) lenders.push(await registerLender(app, { depositMinor: 5_000_000 }));
  });
});
afterAll(async () => {
  await killAllServerProcesses();
  await storage?.dispose();
});

describe.runIf(usingPostgres && usingRedis)('two server processes', () => {
  it('bids spread over two nodes: books equal the model replayed in commit order; sockets on both nodes saw every event in order', async () => {
    const nodes: ServerProcess[] = [await startServerProcess(await freePort(), env), await startServerProcess(await freePort(), env)];
    const sockets: TestSocket[] = [];
    for (const node of nodes) {
      const s = await openSocket(node.url);
      for (const id of listingIds) s.send({ op: 'subscribe', channel: `listing:${id}` });
      for (const id of listingIds) await s.next((m) => m.type === 'snapshot' && m.channel === `listing:${id}`);
      sockets.push(s);
    }
    let sent = 0;
    let acked = 0;
    await Promise.all(
      lenders.map(async (l, i) => {
        const r = rng(31 + i);
        const node = nodes[i % 2]!;
        for (let k = 0; k < 15; k++) {
          sent++;
          const res = await http(() => node.url, 'POST', `/api/v1/listings/${listingIds[r(listingIds.length)]}/bids`, l.token, { amountMinor: (1 + r(20)) * 10_000, rateBps: 800 + r(1100) });
          if (res.status === 201) acked++;
          else expect(res.status).toBeLessThan(500);
        }
      }),
    );
    const db = new pg.Client({ connectionString: storage.databaseUrl });
    await db.connect();
    try {
      for (const id of listingIds) {
        const { rows } = await db.query(`select id, lender_id, amount_minor, rate_bps, priority, status from bids where listing_id = $1 order by priority`, [id]);
        const { rows: [listing] } = await db.query(`select amount_minor, max_rate_bps, pricing, seq from listings where id = $1`, [id]);
        // The model: every accepted bid in commit order (its priority), the book settled after each.
        let book: ActiveBid[] = [];
        for (const b of rows) {
          book.push({ id: b.id, lenderId: b.lender_id, amountMinor: Number(b.amount_minor), rateBps: b.rate_bps, priority: b.priority });
          book = computeBook({ amountMinor: Number(listing.amount_minor), maxRateBps: listing.max_rate_bps, pricing: listing.pricing }, book).entries.filter((e) => e.winning).map(({ id: bidId, lenderId, amountMinor, rateBps, priority }) => ({ id: bidId, lenderId, amountMinor, rateBps, priority }));
        }
        expect(rows.filter((b) => b.status === 'active').map((b) => b.id).sort()).toEqual(book.map((b) => b.id).sort());
        const expected = new Map(book.map((b) => [b.id, { bidId: b.id, amountMinor: b.amountMinor, rateBps: b.rateBps, priority: b.priority }]));
        for (const s of sockets) {
          const deadline = Date.now() + 15_000;
          while (rebuildBids(s.messages, `listing:${id}`).seq < listing.seq && Date.now() < deadline) await sleep(50);
          const rebuilt = rebuildBids(s.messages, `listing:${id}`); // throws on any gap
          expect(rebuilt.seq).toBe(listing.seq);
          expect(rebuilt.bids).toEqual(expected);
        }
      }
    } finally {
      await db.end();
    }
    for (const s of sockets) s.close();
    for (const n of nodes) await n.kill('SIGTERM');
    console.log(`two nodes: ${sent} bids over 2 processes, ${acked} accepted; books equal the model; sockets on both nodes saw every event in order`);
  });

  it('5,000 idle sockets: all held, memory per socket bounded', async () => {
    // 5,000 visitors, here all from one address: the per-address caps are raised for them.
    const node = await startServerProcess(await freePort(), { ...env, LENDBOOK_WS_MAX_SOCKETS_PER_ADDRESS: '10000', LENDBOOK_WS_MAX_SUBSCRIPTIONS_PER_ADDRESS: '100000' });
    const before = rssMb(node.pid());
    const sockets: TestSocket[] = [];
    let peak = before;
    for (let i = 0; i < 5000; i += 100) {
      const batch = await Promise.all(Array.from({ length: 100 }, () => openSocket(node.url)));
      for (const s of batch) s.send({ op: 'subscribe', channel: 'listings' });
      sockets.push(...batch);
      peak = Math.max(peak, rssMb(node.pid()));
    }
    await sleep(1000);
    peak = Math.max(peak, rssMb(node.pid()));
    const open = sockets.filter((s) => s.ws.readyState === s.ws.OPEN).length;
    for (const s of sockets) s.close();
    await sleep(1000);
    const after = rssMb(node.pid());
    await node.kill('SIGTERM');
    console.log(`ws idle sockets: ${open} of 5000 open, server RSS ${before.toFixed(0)} MiB before, peak ${peak.toFixed(0)} MiB, ${after.toFixed(0)} MiB after closing (${(((peak - before) * 1024) / 5000).toFixed(1)} KiB per socket)`);
    expect(open).toBe(5000);
    // A generous bound (64 KiB a socket): memory, unlike time, does not depend on the machine's speed.
    expect(((peak - before) * 1024) / 5000).toBeLessThan(64);
  });
});
