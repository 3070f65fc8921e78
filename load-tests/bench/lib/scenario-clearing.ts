import pg from 'pg';
import { bidSender, rateOf, type BenchContext } from './context.js';
import { seedBids } from './db.js';
import { HttpTarget, api, expectStatus } from './http.js';
import { closedLoop, type LoadResult } from './load.js';
import { row, type Row } from './report.js';
import { LISTING_AMOUNT_MINOR, createListing } from './seed.js';
import { sleep } from './stats.js';

/**
 * The two books of scenario 5. uniform: 10,000 bids of ¥100 at 1,500 rates, one note schedule for all.
 * distinct: pay-as-bid, 10,000 bids whose (amount, rate) pairs are all different, so every note has a
 * schedule of its own: amounts ¥50–¥149 (the minimum bid lowered to ¥50 for this listing, so that
 * 10,000 distinct terms fit its ¥1,000,000) times 100 rates.
 */
export type ClearingBook = 'uniform' | 'distinct';

function bookBid(book: ClearingBook, k: number, uniformMinor: number): { amountMinor: number; rateBps: number } {
  if (book === 'uniform') return { amountMinor: uniformMinor, rateBps: rateOf(k) };
  return { amountMinor: (50 + (k % 100)) * 100, rateBps: 800 + 15 * (Math.floor(k / 100) % 100) };
}

const DISTINCT_MIN_BID_MINOR = 5_000;

export interface ClearingRun {
  book: ClearingBook;
  listingId: string;
  /** Bids placed through the API (the rest of the 10,000 were written in SQL, see seedBids). */
  bidsViaApi: number;
  bidsViaSql: number;
  bids: LoadResult;
  durationSec: number;
  status: string;
  /** The server's clock when clearing began (listings.closed_at) minus the listing's end. */
  startDelayMs: number;
  /** closed_at → the cleared row seen committed (polled every 5 ms): the clearing transaction. */
  clearingMs: number;
  /** The listing's end → the cleared row seen committed (close job latency included). */
  endToClearedMs: number;
  /** From /metrics, when the server exposes a clearing histogram (its sum/count delta). */
  metricClearingMs: number | null;
  notes: number;
  noteInstallments: number;
  fillTransfers: number;
}

async function clearingMetric(baseUrl: string): Promise<{ sum: number; count: number } | null> {
  const r = await api(baseUrl, 'GET', '/metrics');
  const sum = /^(lendbook_[a-z_]*clearing[a-z_]*seconds)_sum(?:\{[^}]*\})? ([0-9.e+-]+)$/m.exec(r.text);
  const count = /^(lendbook_[a-z_]*clearing[a-z_]*seconds)_count(?:\{[^}]*\})? ([0-9.e+-]+)$/m.exec(r.text);
  return sum && count ? { sum: Number(sum[2]), count: Number(count[2]) } : null;
}

/**
 * Scenario 5: a listing with 10,000 bids from 10,000 lenders and a short duration, then the time from its
 * end to `cleared`: notes, ledger postings and schedules written. The bids go through the API, 50 at a
 * time; if that would not fit the bench's time budget (BENCH_CLEARING_VIA=auto: more than
 * BENCH_CLEARING_API_SECONDS), the rest of the book is written in SQL exactly as the server writes it.
 * The status is polled in the database (the bench owns it): polling GET /listings/:id, whose answer
 * carries the whole 10,000-bid book, would load the very server being timed.
 */
export async function clearingScenario(ctx: BenchContext): Promise<{ result: ClearingRun[]; rows: Row[] }> {
  const { cfg } = ctx;
  const target = new HttpTarget(ctx.baseUrl, cfg.concurrency);
  const send = bidSender(target);
  const db = new pg.Client({ connectionString: ctx.databaseUrl, application_name: 'lendbook-bench-poll' });
  db.on('error', () => {});
  await db.connect();
  const runs: ClearingRun[] = [];
  let lastRate: number | undefined;
  let minBidLowered = false;
  const setMinBid = (minBidMinor: number | null) =>
    expectStatus('set the minimum bid', api(ctx.baseUrl, 'PUT', '/api/v1/admin/settings', { token: ctx.adminToken, body: { minBidMinor } }), 200);
  try {
    for (let i = 0; i < 2 * cfg.runs; i++) {
      const run = i % cfg.runs;
      const book: ClearingBook = i < cfg.runs ? 'uniform' : 'distinct';
      // 10,000 bids of ¥100 fill the ¥1,000,000 listing exactly; fewer bids (a quick run) are larger.
      const bidMinor = Math.max(10_000, Math.floor(LISTING_AMOUNT_MINOR / cfg.clearingBids / 100) * 100);
      if (book === 'distinct' && !minBidLowered) {
        await setMinBid(DISTINCT_MIN_BID_MINOR);
        minBidLowered = true;
      }
      // api: every bid through the API, the listing lasting long enough at the rate seen so far.
      // auto: bids through the API for at most BENCH_CLEARING_API_SECONDS, the rest written in SQL.
      const rate = lastRate ?? ctx.hotBidsPerSec ?? 200;
      const durationSec =
        cfg.clearingVia === 'api' ? Math.min(900, Math.ceil(cfg.clearingBids / Math.max(20, rate * 0.4)) + 10) : cfg.clearingVia === 'sql' ? 8 : cfg.clearingApiSeconds + 8;
      const listing = await createListing(ctx.baseUrl, ctx.borrowers.take(), durationSec, `Clearing listing ${run} (${book})`, { minFundingPct: 50, pricing: book === 'uniform' ? 'uniform' : 'pay_as_bid' });
      const endsAtMs = Date.parse(listing.endsAt);
      const before = await clearingMetric(ctx.baseUrl);
      const apiMs = cfg.clearingVia === 'sql' ? 0 : cfg.clearingVia === 'api' ? endsAtMs - Date.now() - 500 : cfg.clearingApiSeconds * 1000;
      const bids = await closedLoop({
        concurrency: cfg.concurrency,
        durationMs: Math.max(0, apiMs),
        maxRequests: cfg.clearingVia === 'sql' ? 0 : cfg.clearingBids,
        targetPid: ctx.serverPid,
        fire: (k) => {
          const b = bookBid(book, k, bidMinor);
          return send(listing.id, ctx.lenders[k]!.token, b.amountMinor, b.rateBps);
        },
      });
      if (bids.accepted > 0) lastRate = bids.acceptedPerSec;
      let viaSql = 0;
      if (bids.accepted < cfg.clearingBids && cfg.clearingVia !== 'api') {
        // Lenders from the first one no request used: each lender bids once per listing.
        const rest = Array.from({ length: cfg.clearingBids - bids.accepted }, (_, j) => {
          const k = bids.sent + j;
          return { lenderId: ctx.lenders[k]!.id, ...bookBid(book, k, bidMinor) };
        });
        const t = Date.now();
        await seedBids(ctx.databaseUrl, listing.id, rest);
        viaSql = rest.length;
        ctx.log(`  clearing run ${run + 1}/${cfg.runs} (${book}): ${bids.accepted.toLocaleString('en-US')} bids through the API in ${bids.durationS} s (${bids.acceptedPerSec}/s), ${viaSql.toLocaleString('en-US')} more written in SQL (${Date.now() - t} ms)`);
      } else {
        ctx.log(`  clearing run ${run + 1}/${cfg.runs} (${book}): ${bids.accepted.toLocaleString('en-US')} bids through the API in ${bids.durationS} s (${bids.acceptedPerSec}/s)`);
      }
      if (bids.accepted + viaSql !== cfg.clearingBids) ctx.log(`  WARNING: the listing has ${bids.accepted + viaSql} of ${cfg.clearingBids} bids: ${JSON.stringify(bids.rejected)}`);
      ctx.log(`  listing ends in ${((endsAtMs - Date.now()) / 1000).toFixed(1)} s`);
      // Poll the committed status.
      let status = 'open';
      let closedAt = 0;
      let seenAt = 0;
      const deadline = endsAtMs + 120_000;
      while (Date.now() < deadline) {
        const r = await db.query<{ status: string; closed_at: Date | null }>('select status, closed_at from listings where id = $1', [listing.id]);
        const s = r.rows[0];
        if (s && s.status !== 'open') {
          seenAt = Date.now();
          status = s.status;
          closedAt = s.closed_at?.getTime() ?? seenAt;
          break;
        }
        await sleep(Date.now() < endsAtMs - 50 ? 20 : 5);
      }
      if (status === 'open') throw new Error(`listing ${listing.id} was not closed within 120 s of its end`);
      const after = await clearingMetric(ctx.baseUrl);
      const counts = await db.query<{ notes: string; installments: string; fills: string }>(
        `select (select count(*) from loan_notes n join loans l on l.id = n.loan_id where l.listing_id = $1) as notes,
                (select coalesce(sum(jsonb_array_length(n.installments)), 0) from loan_notes n join loans l on l.id = n.loan_id where l.listing_id = $1) as installments,
                (select count(*) from ledger_transfers t join bids b on b.id = t.reference where b.listing_id = $1 and t.kind = 'bid_fill') as fills`,
        [listing.id],
      );
      const c = counts.rows[0]!;
      const detail = await api<{ status: string; loanId: string | null }>(ctx.baseUrl, 'GET', `/api/v1/listings/${listing.id}`);
      const res: ClearingRun = {
        book,
        listingId: listing.id,
        bidsViaApi: bids.accepted,
        bidsViaSql: viaSql,
        bids,
        durationSec,
        status: detail.json?.status ?? status,
        startDelayMs: closedAt - endsAtMs,
        clearingMs: seenAt - closedAt,
        endToClearedMs: seenAt - endsAtMs,
        metricClearingMs: before && after && after.count > before.count ? Math.round(((after.sum - before.sum) / (after.count - before.count)) * 1000) : null,
        notes: Number(c.notes),
        noteInstallments: Number(c.installments),
        fillTransfers: Number(c.fills),
      };
      runs.push(res);
      ctx.log(
        `  clearing run ${run + 1}/${cfg.runs}: ${res.status}; end → clearing start ${res.startDelayMs} ms, clearing ${res.clearingMs} ms${res.metricClearingMs !== null ? ` (server metric ${res.metricClearingMs} ms)` : ''}, end → cleared ${res.endToClearedMs} ms; ${res.notes} notes, ${res.noteInstallments} installments, ${res.fillTransfers} fill transfers`,
      );
      if (res.status !== 'cleared') throw new Error(`listing ${listing.id} ended ${res.status}, not cleared`);
      if (book === 'distinct' && res.notes !== cfg.clearingBids) throw new Error(`the pay-as-bid listing ${listing.id} has ${res.notes} notes, not one per bid`);
    }
  } finally {
    // Back to the default, for the scenarios after this one.
    if (minBidLowered) await setMinBid(null);
    await db.end();
    target.close();
  }
  const n = cfg.clearingBids.toLocaleString('en-US');
  const label = `5 Clearing: ${n} bids`;
  const uniform = runs.filter((r) => r.book === 'uniform');
  const distinct = runs.filter((r) => r.book === 'distinct');
  const useMetric = runs.every((r) => r.metricClearingMs !== null);
  const clearingS = (r: ClearingRun) => (useMetric ? r.metricClearingMs! : r.clearingMs) / 1000;
  const metric = useMetric ? 'clearing (server metric)' : 'clearing (start → committed)';
  const rows = [
    row(label, metric, 's', uniform.map(clearingS), null, { text: '≤ 1.0 s (one shared schedule)', met: (l) => l <= 1 }),
    row(label, 'end → cleared (incl. close job)', 's', uniform.map((r) => r.endToClearedMs / 1000), null),
    // Pay-as-bid, every (amount, rate) pair different: one schedule per note.
    row(`${label}, ${n} distinct terms (pay-as-bid)`, metric, 's', distinct.map(clearingS), null, { text: '≤ 1.5 s', met: (l) => l <= 1.5 }),
  ];
  return { result: runs, rows };
}
