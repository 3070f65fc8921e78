import { randomBytes } from 'node:crypto';
import { BID_MINOR, LISTING_CAPACITY, bidSender, rateOf, type BenchContext } from './context.js';
import { baselineBid } from './db.js';
import { HttpTarget } from './http.js';
import { ClientPool, closedLoop, openLoop, type LoadResult, type Outcome } from './load.js';
import { row, type Row } from './report.js';
import { createListing } from './seed.js';

export interface BidScenarioResult {
  /** baseline: one raw-SQL transaction per bid; groupCommit: the minimal group-commit server. */
  closed: { lendbook: LoadResult[]; baseline: LoadResult[]; groupCommit: LoadResult[] };
  open: { lendbook: LoadResult[]; baseline: LoadResult[]; groupCommit: LoadResult[] };
  listings: number;
}

/** The minimal group-commit server (children/group-commit-server.ts), running as its own process. */
export interface GroupCommitServer {
  url: string;
  pid: number;
}

/** Server CPU per accepted bid, µs (process CPU time over the run ÷ bids accepted in it). */
export function cpuPerBidUs(r: LoadResult): number {
  return r.accepted > 0 && Number.isFinite(r.cpu.targetCpuMs) ? Math.round((r.cpu.targetCpuMs * 1000) / r.accepted) : Number.NaN;
}

function describe(r: LoadResult): string {
  const rej = Object.entries(r.rejected)
    .map(([k, v]) => `${k}×${v}`)
    .join(', ');
  return `${r.acceptedPerSec.toLocaleString('en-US')} accepted/s over ${r.durationS}s${r.dropped ? ` (${r.dropped} dropped: ${r.sent + r.dropped} due, at most 256 in flight)` : ''}, p50 ${r.latency.p50Ms} ms, p99 ${r.latency.p99Ms} ms, generator CPU ${r.cpu.generatorPct}%, target CPU ${r.cpu.targetPct}% (${cpuPerBidUs(r)} µs a bid), machine ${r.cpu.machinePct}%${rej ? `; rejected: ${rej}` : ''}${r.errors ? `; ${r.errors} errors (${r.firstError})` : ''}`;
}

/**
 * Scenarios 1 and 2: bids over HTTP by 50 concurrent lenders (closed loop) and at a fixed 1,000 bids/s
 * (open loop), on one hot listing or spread over 100, each run next to the raw-SQL baseline on the same
 * database at the same concurrency.
 */
export async function bidScenario(ctx: BenchContext, kind: 'hot' | 'spread', pool: ClientPool, gc: GroupCommitServer): Promise<{ result: BidScenarioResult; rows: Row[] }> {
  const { cfg } = ctx;
  const target = new HttpTarget(ctx.baseUrl, Math.max(cfg.concurrency, 256));
  const gcTarget = new HttpTarget(gc.url, Math.max(cfg.concurrency, 256));
  const send = bidSender(target);
  const L = ctx.lenders.length;
  const durationMs = cfg.seconds * 1000;
  const result: BidScenarioResult = { closed: { lendbook: [], baseline: [], groupCommit: [] }, open: { lendbook: [], baseline: [], groupCommit: [] }, listings: kind === 'hot' ? 1 : 100 };

  // Spread: 100 listings for all runs. A global counter k picks lender k mod L and listing
  // (k + ⌊k/L⌋) mod 100, so no lender bids twice on one listing and concurrent bids have distinct lenders.
  const spread = kind === 'spread' ? await Promise.all(Array.from({ length: 100 }, (_, i) => createListing(ctx.baseUrl, ctx.borrowers.take(), 3600, `Spread listing ${i}`))) : [];
  let spreadK = 0;
  const spreadListingOf = (k: number) => spread[(k + Math.floor(k / L)) % 100]!.id;

  const baselineRun = async (mode: 'closed' | 'open', run: number): Promise<LoadResult> => {
    const tag = `${kind}${mode}${run}${randomBytes(3).toString('hex')}`;
    const listingOf = (k: number) => (kind === 'hot' ? 'l0' : `l${k % 100}`);
    const fire = (k: number, c: Parameters<typeof baselineBid>[0]) => baselineBid(c, `w${k % L}`, listingOf(k), `${tag}-${k}`, BID_MINOR, rateOf(k)).then((ok) => (ok ? (true as const) : 'INSUFFICIENT_FUNDS'));
    return mode === 'closed'
      ? closedLoop({ concurrency: cfg.concurrency, durationMs, maxRequests: kind === 'hot' ? LISTING_CAPACITY : 1e9, fire: (k, w) => fire(k, pool.all[w]!) })
      : openLoop({ ratePerSec: cfg.openRate, durationMs, maxRequests: kind === 'hot' ? LISTING_CAPACITY : 1e9, fire: (k) => pool.use((c) => fire(k, c)) });
  };

  const groupCommitRun = async (mode: 'closed' | 'open', run: number): Promise<LoadResult> => {
    const tag = `gc${kind}${mode}${run}${randomBytes(3).toString('hex')}`;
    const listingOf = (k: number) => (kind === 'hot' ? 'l1' : `l${k % 100}`);
    const fire = (k: number): Promise<Outcome> =>
      gcTarget
        .request('POST', '/bid', {}, JSON.stringify({ wallet: `w${k % L}`, listing: listingOf(k), id: `${tag}-${k}`, amountMinor: BID_MINOR, rateBps: rateOf(k) }))
        .then((r) => (r.status === 201 ? true : `${r.status}`));
    return mode === 'closed'
      ? closedLoop({ concurrency: cfg.concurrency, durationMs, maxRequests: 1e9, targetPid: gc.pid, fire })
      : openLoop({ ratePerSec: cfg.openRate, durationMs, maxRequests: 1e9, targetPid: gc.pid, fire });
  };

  const lendbookRun = async (mode: 'closed' | 'open', run: number): Promise<LoadResult> => {
    if (kind === 'hot') {
      // A fresh listing each run: its 10,000 bids of ¥100 all fit, so every bid is accepted.
      const listing = await createListing(ctx.baseUrl, ctx.borrowers.take(), 3600, `Hot listing ${mode} ${run}`);
      const fire = (k: number) => send(listing.id, ctx.lenders[k]!.token, BID_MINOR, rateOf(k));
      return mode === 'closed'
        ? closedLoop({ concurrency: cfg.concurrency, durationMs, maxRequests: LISTING_CAPACITY, targetPid: ctx.serverPid, fire })
        : openLoop({ ratePerSec: cfg.openRate, durationMs, maxRequests: LISTING_CAPACITY, targetPid: ctx.serverPid, fire });
    }
    const base = spreadK;
    const fire = (i: number) => {
      const k = base + i;
      return send(spreadListingOf(k), ctx.lenders[k % L]!.token, BID_MINOR, rateOf(k));
    };
    const r =
      mode === 'closed'
        ? await closedLoop({ concurrency: cfg.concurrency, durationMs, maxRequests: 1e9, targetPid: ctx.serverPid, fire })
        : await openLoop({ ratePerSec: cfg.openRate, durationMs, maxRequests: 1e9, targetPid: ctx.serverPid, fire });
    spreadK += r.sent;
    return r;
  };

  for (let run = 0; run < cfg.runs; run++) {
    for (const mode of ['closed', 'open'] as const) {
      const b = await baselineRun(mode, run);
      ctx.log(`  ${kind} ${mode} run ${run + 1}/${cfg.runs} raw SQL: ${describe(b)}`);
      const l = await lendbookRun(mode, run);
      ctx.log(`  ${kind} ${mode} run ${run + 1}/${cfg.runs} Lendbook: ${describe(l)}`);
      const g = await groupCommitRun(mode, run);
      ctx.log(`  ${kind} ${mode} run ${run + 1}/${cfg.runs} group-commit server: ${describe(g)}`);
      result[mode].baseline.push(b);
      result[mode].lendbook.push(l);
      result[mode].groupCommit.push(g);
    }
  }
  target.close();
  gcTarget.close();

  const title = kind === 'hot' ? '1 Hot listing' : '2 Spread, 100 listings';
  const closedLabel = `${title}: ${cfg.concurrency} clients`;
  const openLabel = `${title}: ${cfg.openRate.toLocaleString('en-US')} bids/s offered`;
  const c = result.closed;
  const o = result.open;
  const pick = (rs: LoadResult[], f: (r: LoadResult) => number) => rs.map(f);
  const hot = kind === 'hot';
  const rows: Row[] = [
    row(closedLabel, 'accepted bids vs group-commit server', 'per_s', pick(c.lendbook, (r) => r.acceptedPerSec), pick(c.groupCommit, (r) => r.acceptedPerSec), { text: '≥ 0.4× group commit', met: (_l, ratio) => (ratio ?? 0) >= 0.4 }),
    row(closedLabel, 'accepted bids vs raw SQL', 'per_s', pick(c.lendbook, (r) => r.acceptedPerSec), pick(c.baseline, (r) => r.acceptedPerSec), hot ? { text: '≥ 3× raw SQL', met: (_l, ratio) => (ratio ?? 0) >= 3 } : { text: '≥ 1.5× raw SQL', met: (_l, ratio) => (ratio ?? 0) >= 1.5 }),
    row(closedLabel, 'server CPU per accepted bid (vs group-commit server)', 'us', pick(c.lendbook, cpuPerBidUs), pick(c.groupCommit, cpuPerBidUs), { text: '≤ 150 µs', met: (l) => l <= 150 }),
    row(closedLabel, 'ack p50', 'ms', pick(c.lendbook, (r) => r.latency.p50Ms), pick(c.groupCommit, (r) => r.latency.p50Ms)),
    row(closedLabel, 'ack p99', 'ms', pick(c.lendbook, (r) => r.latency.p99Ms), pick(c.groupCommit, (r) => r.latency.p99Ms)),
    row(openLabel, 'achieved bids (vs group-commit server)', 'per_s', pick(o.lendbook, (r) => r.acceptedPerSec), pick(o.groupCommit, (r) => r.acceptedPerSec), hot ? { text: `≥ ${Math.round(cfg.openRate * 0.99)}/s`, met: (l) => l >= cfg.openRate * 0.99 } : undefined),
    row(openLabel, 'achieved bids vs raw SQL', 'per_s', pick(o.lendbook, (r) => r.acceptedPerSec), pick(o.baseline, (r) => r.acceptedPerSec)),
    row(openLabel, 'ack p50', 'ms', pick(o.lendbook, (r) => r.latency.p50Ms), pick(o.groupCommit, (r) => r.latency.p50Ms)),
    row(openLabel, 'ack p99', 'ms', pick(o.lendbook, (r) => r.latency.p99Ms), pick(o.groupCommit, (r) => r.latency.p99Ms), hot ? { text: '≤ 30 ms', met: (l) => l <= 30 } : undefined),
    row(openLabel, 'server CPU per accepted bid', 'us', pick(o.lendbook, cpuPerBidUs), pick(o.groupCommit, cpuPerBidUs)),
  ];
  return { result, rows };
}
