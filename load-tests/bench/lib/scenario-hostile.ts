import { spawn } from 'node:child_process';
import path from 'node:path';
import autocannon from 'autocannon';
import pg from 'pg';
import { BID_MINOR, rateOf, type BenchContext } from './context.js';
import { seedBids } from './db.js';
import { api } from './http.js';
import { row, type Row } from './report.js';
import { createListing } from './seed.js';

export interface HostileRun {
  p50Ms: number;
  p99Ms: number;
  requestsPerSec: number;
  non2xx: number;
}

export interface HostileResult {
  sockets: number;
  subscriptionsPerSocket: number;
  messagesPerSocketPerSec: number;
  hostile: HostileRun[];
  quiet: HostileRun[];
  clients: Record<string, unknown> | null;
}

const PATH = '/api/v1/listings?limit=50';
const SOCKETS = Number(process.env.BENCH_HOSTILE_SOCKETS ?? 2000);
const RATE_PER_SOCKET = Number(process.env.BENCH_HOSTILE_RATE ?? 2);
/** Open listings each socket subscribes to (besides `listings`): 9 subscriptions per socket. */
export const HOSTILE_LISTINGS = 8;
/** Active bids each of those listings holds at least: books as big as the hot listings of scenario 1 leave. */
const BIDS_PER_LISTING = Number(process.env.BENCH_HOSTILE_BIDS ?? 5000);
const TARGET_P99_MS = 250;

async function cannon(url: string, connections: number, seconds: number): Promise<HostileRun> {
  const r = await autocannon({ url, connections, duration: seconds, pipelining: 1, timeout: 10 });
  return { p50Ms: r.latency.p50, p99Ms: r.latency.p99, requestsPerSec: Math.round(r['2xx'] / Math.max(r.duration, 1e-3)), non2xx: r.non2xx };
}

/**
 * The 8 open listings to subscribe to, each with a book of at least BIDS_PER_LISTING active bids, as in a
 * full bench run where the hot listings are still open: every subscribe then sends the snapshot of a big
 * book. Listings the other scenarios left are used first; missing ones are created (the bench seeds a
 * borrower for each), and thin books are completed in SQL (seedBids) by lenders not yet in them.
 */
async function listingChannels(ctx: BenchContext): Promise<string[]> {
  const open = await api<{ items: { id: string }[] }>(ctx.baseUrl, 'GET', `/api/v1/listings?status=open&limit=${HOSTILE_LISTINGS}`);
  const ids = open.json.items.map((l) => l.id);
  while (ids.length < HOSTILE_LISTINGS) ids.push((await createListing(ctx.baseUrl, ctx.borrowers.take(), 3600, `Hostile-scenario listing ${ids.length}`)).id);
  const db = new pg.Client({ connectionString: ctx.databaseUrl, application_name: 'lendbook-bench-hostile' });
  db.on('error', () => {});
  await db.connect();
  try {
    for (const id of ids) {
      const r = await db.query<{ lender_id: string }>(`select lender_id from bids where listing_id = $1 and status = 'active'`, [id]);
      const missing = BIDS_PER_LISTING - r.rows.length;
      if (missing <= 0) continue;
      const present = new Set(r.rows.map((b) => b.lender_id));
      const rest: { lenderId: string; amountMinor: number; rateBps: number }[] = [];
      for (let k = ctx.lenders.length - 1; k >= 0 && rest.length < missing; k--) {
        if (!present.has(ctx.lenders[k]!.id)) rest.push({ lenderId: ctx.lenders[k]!.id, amountMinor: BID_MINOR, rateBps: rateOf(k) });
      }
      await seedBids(ctx.databaseUrl, id, rest);
    }
    const counts = await db.query<{ n: string }>(`select count(*) as n from bids where listing_id = any($1) and status = 'active' group by listing_id`, [ids]);
    ctx.log(`  ${ids.length} open listings to watch, active bids: ${counts.rows.map((c) => Number(c.n).toLocaleString('en-US')).join(', ')}`);
  } finally {
    await db.end();
  }
  return ids.map((id) => `listing:${id}`);
}

/**
 * Scenario 7: 2,000 hostile sockets, each subscribed to 9 channels (`listings` and 8 listings) and
 * churning — unsubscribe, subscribe (a fresh snapshot), malformed frames — while another client reads
 * GET /listings. Its p99 is compared with the same reads on a quiet server, target under 250 ms. The
 * per-address caps are raised for the bench (every client is 127.0.0.1), as for sockets from many
 * addresses: what keeps the node responsive is the snapshot cache and the per-socket message limit.
 */
export async function hostileScenario(ctx: BenchContext, scenarios: Record<string, unknown>): Promise<Row[]> {
  const { cfg } = ctx;
  const channels = ['listings', ...(await listingChannels(ctx))];
  const url = `${ctx.baseUrl}${PATH}`;
  const result: HostileResult = { sockets: SOCKETS, subscriptionsPerSocket: channels.length, messagesPerSocketPerSec: RATE_PER_SOCKET, hostile: [], quiet: [], clients: null };
  await autocannon({ url, connections: 10, duration: 1 }); // warm-up, unmeasured
  for (let run = 0; run < cfg.runs; run++) result.quiet.push(await cannon(url, 10, cfg.seconds));
  ctx.log(`  quiet server: GET ${PATH} p99 ${result.quiet.map((r) => r.p99Ms).join(' / ')} ms`);

  const wsUrl = `${ctx.baseUrl.replace(/^http/, 'ws')}/api/v1/ws`;
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(import.meta.dirname, '..', 'children', 'hostile-sockets.ts'), wsUrl, String(SOCKETS), String(RATE_PER_SOCKET), channels.join(',')], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.setEncoding('utf8');
  child.stdout.on('data', (d: string) => (out += d));
  const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
  try {
    const deadline = Date.now() + 120_000;
    while (!/hostile: ready/.test(out)) {
      if (Date.now() > deadline || child.exitCode !== null) throw new Error(`the hostile sockets did not open: ${out.slice(-500)}`);
      await new Promise((r) => setTimeout(r, 200));
    }
    ctx.log(`  ${/hostile: ready (.*)/.exec(out)?.[1] ?? ''}, ${channels.length} subscriptions each, ${RATE_PER_SOCKET} messages/s each`);
    for (let run = 0; run < cfg.runs; run++) {
      const r = await cannon(url, 10, cfg.seconds);
      result.hostile.push(r);
      ctx.log(`  hostile run ${run + 1}/${cfg.runs}: GET ${PATH} p50 ${r.p50Ms} ms, p99 ${r.p99Ms} ms, ${r.requestsPerSec} req/s${r.non2xx ? `, ${r.non2xx} non-2xx` : ''}`);
    }
  } finally {
    child.kill('SIGTERM');
    await exited;
  }
  const stats = /hostile: stats (.*)/.exec(out)?.[1];
  result.clients = stats ? (JSON.parse(stats) as Record<string, unknown>) : null;
  scenarios.hostile = result;
  const label = `7 Hostile sockets: ${SOCKETS.toLocaleString('en-US')} × ${channels.length} subscriptions churning; another client's GET /listings`;
  const p99 = row(label, 'p99', 'ms', result.hostile.map((r) => r.p99Ms), result.quiet.map((r) => r.p99Ms), { text: `< ${TARGET_P99_MS} ms`, met: (l) => l < TARGET_P99_MS });
  ctx.log(`  figure: p99 ${p99.lendbook} ms with the hostile sockets (quiet: ${p99.baseline} ms), target < ${TARGET_P99_MS} ms: ${p99.met ? 'met' : 'MISSED'}`);
  return [p99, row(label, 'requests', 'per_s', result.hostile.map((r) => r.requestsPerSec), result.quiet.map((r) => r.requestsPerSec))];
}
