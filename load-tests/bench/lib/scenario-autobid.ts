import pg from 'pg';
import WebSocket from 'ws';
import type { BenchContext } from './context.js';
import { api } from './http.js';
import { row, type Row } from './report.js';
import { LISTING_AMOUNT_MINOR, createListing } from './seed.js';
import { sleep } from './stats.js';

/** Strategies that match the listing; each bids ¥600, so that all of them fit the 60 % autobid share of ¥1,000,000. */
export const AUTOBID_STRATEGIES = 1000;
const AMOUNT_PER_LISTING_MINOR = Math.floor((LISTING_AMOUNT_MINOR * 0.6) / AUTOBID_STRATEGIES / 100) * 100;
const TARGET_COMMIT_S = 1;
const TARGET_FIRST_EVENT_S = 1.2;

export interface AutobidRun {
  listingId: string;
  bids: number;
  /** The listing's creation (its opening, server clock) → its pass seen committed with every bid. */
  openToCommittedMs: number;
  /** The listing's creation → the first `bid.accepted` at a watcher subscribed as soon as it saw the listing. */
  openToFirstEventMs: number;
  /** The watcher's snapshot already held autobid bids (it subscribed after the pass): the time is an upper bound. */
  watcherLate: boolean;
}

/** A watcher on `listings` that subscribes to each new listing's channel the moment it hears of it. */
function watcher(baseUrl: string): Promise<{ firstAccepted: (listingId: string) => Promise<{ atMs: number; late: boolean }>; close(): void }> {
  const ws = new WebSocket(`${baseUrl.replace(/^http/, 'ws')}/api/v1/ws`);
  const firsts = new Map<string, { atMs: number; late: boolean }>();
  const waiters = new Map<string, (v: { atMs: number; late: boolean }) => void>();
  const settle = (id: string, v: { atMs: number; late: boolean }) => {
    if (firsts.has(id)) return;
    firsts.set(id, v);
    waiters.get(id)?.(v);
  };
  ws.on('message', (raw) => {
    const now = Date.now();
    const m = JSON.parse(raw.toString()) as { type: string; channel?: string; event?: string; seq?: number; data?: { id?: string; bids?: unknown[] } };
    if (m.type === 'event' && m.channel === 'listings' && m.event === 'listing.created' && m.data?.id) ws.send(JSON.stringify({ op: 'subscribe', channel: `listing:${m.data.id}` }));
    else if (m.type === 'snapshot' && m.channel?.startsWith('listing:') && (m.seq ?? 0) > 0) settle(m.channel.slice('listing:'.length), { atMs: now, late: true });
    else if (m.type === 'event' && m.channel?.startsWith('listing:') && m.event === 'bid.accepted') settle(m.channel.slice('listing:'.length), { atMs: now, late: false });
  });
  return new Promise((resolve, reject) => {
    ws.once('error', reject);
    ws.once('open', () => {
      ws.send(JSON.stringify({ op: 'subscribe', channel: 'listings' }));
      resolve({
        firstAccepted: (id) => {
          const known = firsts.get(id);
          if (known) return Promise.resolve(known);
          return new Promise((r, j) => {
            const timer = setTimeout(() => j(new Error(`no bid.accepted on listing ${id} within 30 s`)), 30_000);
            waiters.set(id, (v) => {
              clearTimeout(timer);
              r(v);
            });
          });
        },
        close: () => ws.close(),
      });
    });
  });
}

/**
 * Scenario 8: 1,000 autobid strategies match a listing that opens. The listing's autobid pass decides
 * them in rotation order and writes every bid in one transaction; measured from the listing's creation to
 * the pass seen committed (polled in the database every 2 ms), and to the first `bid.accepted` at a
 * WebSocket watcher.
 */
export async function autobidScenario(ctx: BenchContext): Promise<{ result: AutobidRun[]; rows: Row[] }> {
  const { cfg } = ctx;
  const db = new pg.Client({ connectionString: ctx.databaseUrl, application_name: 'lendbook-bench-autobid' });
  db.on('error', () => {});
  await db.connect();
  const runs: AutobidRun[] = [];
  const watch = await watcher(ctx.baseUrl);
  try {
    // The strategies of the last 1,000 bench lenders (the other scenarios bid with the first ones).
    const lenders = ctx.lenders.slice(-AUTOBID_STRATEGIES);
    const rates = JSON.stringify(Object.fromEntries(['AA', 'A', 'B', 'C', 'D', 'E', 'HR'].map((g) => [g, 1000])));
    await db.query(
      `insert into autobid_strategies (lender_id, enabled, amount_per_listing_minor, max_per_borrower_minor, budget_minor, reserve_minor, min_rate_bps_by_grade, updated_at)
       select id, true, $2, $3, $4, 0, $5::jsonb, now() from unnest($1::text[]) as id
       on conflict (lender_id) do update set enabled = true`,
      [lenders.map((l) => l.id), AMOUNT_PER_LISTING_MINOR, AMOUNT_PER_LISTING_MINOR * 100, AMOUNT_PER_LISTING_MINOR * 1000, rates],
    );
    for (let run = 0; run < cfg.runs; run++) {
      const borrower = ctx.borrowers.take();
      const listing = await createListing(ctx.baseUrl, borrower, 3600, `Autobid listing ${run}`);
      const created = await db.query<{ created_at: Date }>('select created_at from listings where id = $1', [listing.id]);
      const openedAtMs = created.rows[0]!.created_at.getTime();
      let committedAtMs = 0;
      const deadline = Date.now() + 60_000;
      while (Date.now() < deadline) {
        const r = await db.query<{ placed: number }>('select placed from autobid_passes where listing_id = $1', [listing.id]);
        if (r.rows[0]) {
          committedAtMs = Date.now();
          break;
        }
        await sleep(2);
      }
      if (!committedAtMs) throw new Error(`listing ${listing.id}: no autobid pass within 60 s`);
      const first = await watch.firstAccepted(listing.id);
      const count = await db.query<{ n: string }>(`select count(*) as n from bids where listing_id = $1 and source = 'autobid'`, [listing.id]);
      const res: AutobidRun = { listingId: listing.id, bids: Number(count.rows[0]!.n), openToCommittedMs: committedAtMs - openedAtMs, openToFirstEventMs: first.atMs - openedAtMs, watcherLate: first.late };
      runs.push(res);
      ctx.log(`  autobid run ${run + 1}/${cfg.runs}: ${res.bids} bids committed ${res.openToCommittedMs} ms after the opening; first bid.accepted at the watcher after ${res.openToFirstEventMs} ms${res.watcherLate ? ' (already in its snapshot)' : ''}`);
      // Withdrawn: its holds go back, and the next run's lenders start from the same wallets.
      await api(ctx.baseUrl, 'POST', `/api/v1/listings/${listing.id}/withdraw`, { token: borrower.token });
    }
  } finally {
    watch.close();
    await db.end();
  }
  const label = `8 Autobid: ${AUTOBID_STRATEGIES.toLocaleString('en-US')} strategies, a listing opens`;
  return {
    result: runs,
    rows: [
      row(label, 'opening → all bids committed', 's', runs.map((r) => r.openToCommittedMs / 1000), null, { text: `≤ ${TARGET_COMMIT_S} s`, met: (l) => l <= TARGET_COMMIT_S }),
      row(label, 'opening → first bid.accepted at a watcher', 's', runs.map((r) => r.openToFirstEventMs / 1000), null, { text: `≤ ${TARGET_FIRST_EVENT_S} s`, met: (l) => l <= TARGET_FIRST_EVENT_S }),
    ],
  };
}
