import pg from 'pg';
import { CpuMeter, Histogram, type CpuReport, type LatencySummary } from './stats.js';

/** What one request did: accepted (true) or rejected with a code (kept in a tally). */
export type Outcome = true | string;

export interface LoadResult {
  mode: 'closed' | 'open';
  /** Closed loop: clients; open loop: the offered rate (per second). */
  concurrency?: number;
  offeredPerSec?: number;
  /** From the first request to the last response, seconds. */
  durationS: number;
  sent: number;
  accepted: number;
  acceptedPerSec: number;
  rejected: Record<string, number>;
  errors: number;
  firstError?: string;
  /** Open loop: requests not sent because `maxInflight` were already waiting (the system fell behind). */
  dropped?: number;
  /** Latency of accepted requests; in the open loop from the moment each was due (no coordinated omission). */
  latency: LatencySummary;
  cpu: CpuReport;
}

interface Tally {
  hist: Histogram;
  accepted: number;
  rejected: Record<string, number>;
  errors: number;
  firstError?: string;
}

function newTally(): Tally {
  return { hist: new Histogram(), accepted: 0, rejected: {}, errors: 0 };
}

function settle(t: Tally, outcome: Outcome | Error, latencyMs: number): void {
  if (outcome === true) {
    t.accepted++;
    t.hist.recordMs(latencyMs);
  } else if (outcome instanceof Error) {
    t.errors++;
    t.firstError ??= outcome.message;
  } else {
    t.rejected[outcome] = (t.rejected[outcome] ?? 0) + 1;
  }
}

/**
 * Closed loop: `concurrency` clients, each sending its next request when the previous one is answered,
 * for `durationMs` or until `maxRequests` were sent. Measures what the system sustains.
 */
export async function closedLoop(opts: { concurrency: number; durationMs: number; maxRequests: number; targetPid?: number | undefined; fire: (i: number, worker: number) => Promise<Outcome> }): Promise<LoadResult> {
  const t = newTally();
  const cpu = new CpuMeter(opts.targetPid);
  const start = performance.now();
  const end = start + opts.durationMs;
  let next = 0;
  let last = start;
  const worker = async (w: number) => {
    while (next < opts.maxRequests && performance.now() < end) {
      const i = next++;
      const t0 = performance.now();
      let outcome: Outcome | Error;
      try {
        outcome = await opts.fire(i, w);
      } catch (err) {
        outcome = err instanceof Error ? err : new Error(String(err));
      }
      last = performance.now();
      settle(t, outcome, last - t0);
    }
  };
  await Promise.all(Array.from({ length: opts.concurrency }, (_, w) => worker(w)));
  const durationS = (last - start) / 1000;
  return {
    mode: 'closed',
    concurrency: opts.concurrency,
    durationS: round2(durationS),
    sent: next,
    accepted: t.accepted,
    acceptedPerSec: Math.round(t.accepted / Math.max(durationS, 1e-3)),
    rejected: t.rejected,
    errors: t.errors,
    ...(t.firstError ? { firstError: t.firstError } : {}),
    latency: t.hist.summary(),
    cpu: cpu.stop(),
  };
}

/**
 * Open loop: requests are due at a fixed rate whatever the answers do; each one's latency counts from
 * when it was due, so a stall shows in the percentiles instead of silently lowering the load.
 */
export async function openLoop(opts: { ratePerSec: number; durationMs: number; maxRequests: number; maxInflight?: number; targetPid?: number | undefined; fire: (i: number) => Promise<Outcome> }): Promise<LoadResult> {
  // Like k6's arrival-rate executors with maxVUs: past this many requests in flight, a due request is
  // dropped and counted rather than queued, so an overloaded system cannot stretch the run forever.
  const maxInflight = opts.maxInflight ?? 256;
  let dropped = 0;
  let issued = 0;
  const t = newTally();
  const cpu = new CpuMeter(opts.targetPid);
  const total = Math.min(opts.maxRequests, Math.floor((opts.durationMs / 1000) * opts.ratePerSec));
  const interval = 1000 / opts.ratePerSec;
  const start = performance.now();
  let sent = 0;
  let inflight = 0;
  let last = start;
  await new Promise<void>((resolve) => {
    const maybeDone = () => {
      if (sent >= total && inflight === 0) resolve();
    };
    const tick = () => {
      const now = performance.now();
      while (sent < total && start + sent * interval <= now) {
        const due = start + sent * interval;
        sent++;
        if (inflight >= maxInflight) {
          dropped++;
          continue;
        }
        const i = issued++;
        inflight++;
        opts.fire(i).then(
          (outcome) => {
            last = performance.now();
            settle(t, outcome, last - due);
          },
          (err: unknown) => {
            last = performance.now();
            settle(t, err instanceof Error ? err : new Error(String(err)), 0);
          },
        ).finally(() => {
          inflight--;
          maybeDone();
        });
      }
      if (sent < total) setTimeout(tick, Math.max(0, Math.min(1, start + sent * interval - performance.now())));
      else maybeDone();
    };
    tick();
  });
  const durationS = Math.max((last - start) / 1000, opts.durationMs / 1000);
  return {
    mode: 'open',
    offeredPerSec: opts.ratePerSec,
    durationS: round2(durationS),
    sent: issued,
    dropped,
    accepted: t.accepted,
    acceptedPerSec: Math.round(t.accepted / durationS),
    rejected: t.rejected,
    errors: t.errors,
    ...(t.firstError ? { firstError: t.firstError } : {}),
    latency: t.hist.summary(),
    cpu: cpu.stop(),
  };
}

function round2(n: number): number {
  return Math.round(n * 100) / 100;
}

/** A fixed set of pg connections handed out in FIFO order (the open-loop baseline queues for one). */
export class ClientPool {
  private readonly free: pg.Client[] = [];
  private readonly waiters: ((c: pg.Client) => void)[] = [];
  readonly all: pg.Client[] = [];

  static async open(databaseUrl: string, size: number): Promise<ClientPool> {
    const pool = new ClientPool();
    for (let i = 0; i < size; i++) {
      const c = new pg.Client({ connectionString: databaseUrl, application_name: 'lendbook-bench-baseline' });
      c.on('error', () => {}); // dropped when the bench database is dropped (Ctrl-C): not a crash
      await c.connect();
      pool.all.push(c);
      pool.free.push(c);
    }
    return pool;
  }

  async use<T>(fn: (c: pg.Client) => Promise<T>): Promise<T> {
    const c = this.free.pop() ?? (await new Promise<pg.Client>((resolve) => this.waiters.push(resolve)));
    try {
      return await fn(c);
    } finally {
      const w = this.waiters.shift();
      if (w) w(c);
      else this.free.push(c);
    }
  }

  async close(): Promise<void> {
    await Promise.all(this.all.map((c) => c.end().catch(() => {})));
  }
}
