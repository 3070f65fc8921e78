import { sql } from 'drizzle-orm';
import { namedRows, rows, sqlArray, type Db, type Queryable } from '../db/client.js';
import { outbox, type OutboxJob, type OutboxMessage } from '../db/schema/index.js';
import type { Clock } from '../clock.js';
import type { JobQueue, JobSpec } from '../jobs/queue.js';
import type { BusEnvelope, EventBus } from '../realtime/bus.js';

export interface OutboxWrite {
  messages?: OutboxMessage[];
  jobs?: OutboxJob[];
}

/** The channels each open transaction wrote to: after commit, local caches learn at once what changed. */
export const channelsWritten = new WeakMap<object, Set<string>>();

/** Records events and jobs inside the caller's transaction: they leave only if it commits. */
export async function writeOutbox(tx: Queryable, write: OutboxWrite): Promise<void> {
  const messages = write.messages ?? [];
  const jobs = write.jobs ?? [];
  if (messages.length === 0 && jobs.length === 0) return;
  let channels = channelsWritten.get(tx);
  if (!channels) channelsWritten.set(tx, (channels = new Set()));
  for (const m of messages) channels.add(m.channel);
  await tx.insert(outbox).values({ messages, jobs });
}

const DISPATCH_LOCK_KEY = 727_002;
const BATCH_ROWS = 500;

/**
 * Takes the advisory lock ($1), reads up to $2 rows not dispatched yet, numbers them after the last
 * dispatch number and marks them, in one statement; one row with `locked` false when another node
 * holds the lock, and with a null id when there is nothing to dispatch.
 *
 * The rows are read `for update`: the statement's snapshot is taken before the lock, so when the
 * dispatcher that held the lock commits in between, its rows still look undispatched to this snapshot.
 * Locking them re-reads each row's latest version and drops those it marked; without it they were
 * numbered a second time, leaving a gap where their first numbers were.
 */
const TAKE_SQL = `with lk as materialized (select pg_try_advisory_xact_lock($1::bigint) as locked),
  pend as materialized (
    select id, messages, jobs from outbox where dispatch_seq is null and (select locked from lk) order by id limit $2::integer
    for update),
  st as (
    insert into bus_state (id, last_dispatch_seq) select 1, count(*) from pend having count(*) > 0
    on conflict (id) do update set last_dispatch_seq = bus_state.last_dispatch_seq + excluded.last_dispatch_seq
    returning last_dispatch_seq - (select count(*) from pend) as before),
  num as (select p.id, (select before from st) + row_number() over (order by p.id) as seq from pend p),
  marked as (update outbox o set dispatch_seq = num.seq, dispatched_at = now() from num where o.id = num.id returning o.id)
select (select locked from lk) as locked, p.id, num.seq, p.messages, p.jobs
from (select 1) as one left join pend p on true left join num on num.id = p.id
order by p.id`;

interface PendingRow {
  id: number;
  messages: OutboxMessage[];
  jobs: OutboxJob[];
}

export interface OutboxDispatcherOptions {
  db: Db;
  clock: Clock;
  bus: EventBus;
  queue: JobQueue;
  pollMs?: number;
  onError?: (err: unknown) => void;
  onDispatched?: (rows: number) => void;
  /**
   * Called in the dispatch transaction with the rows being published: what it writes commits with them
   * (stored notifications), and the jobs it returns are enqueued with theirs (e-mails).
   */
  onRows?: (tx: Queryable, rows: readonly { id: number; messages: OutboxMessage[] }[], at: Date) => Promise<OutboxJob[]>;
}

/**
 * Publishes committed outbox rows. One dispatcher at a time across all nodes (an advisory lock), so the
 * dispatch numbers it hands out are contiguous and follow commit order. Jobs are enqueued before the
 * rows are marked dispatched (a crash in between enqueues them again, harmless with deterministic ids);
 * messages are published after commit (a crash in between is repaired by readers, who fill gaps from
 * the table).
 */
export class OutboxDispatcher {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private again = false;
  private stopped = true;

  constructor(private readonly opts: OutboxDispatcherOptions) {}

  start(): void {
    this.stopped = false;
    this.schedule(0);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.running;
  }

  /** Called after a command commits: dispatch now rather than at the next poll. */
  kick(): void {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.schedule(0);
  }

  private schedule(delayMs: number): void {
    if (this.stopped) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.loop(), delayMs);
    this.timer.unref?.();
  }

  private async loop(): Promise<void> {
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = (async () => {
      let next = this.opts.pollMs ?? 1000;
      try {
        for (;;) {
          this.again = false;
          const result = await this.dispatchOnce();
          if (result === 'locked') {
            next = 15; // another node is dispatching; look again shortly for rows it may not have seen
            break;
          }
          if (result < BATCH_ROWS && !this.again) break;
        }
      } catch (err) {
        this.opts.onError?.(err);
        next = 500;
      } finally {
        this.running = undefined;
        this.schedule(this.again ? 0 : next);
      }
    })();
    await this.running;
  }

  /** Dispatches one batch; returns how many rows, or 'locked' when another node holds the lock. */
  async dispatchOnce(): Promise<number | 'locked'> {
    const { db, bus, queue, clock } = this.opts;
    const envelopes: BusEnvelope[] = [];
    const outcome = await db.transaction(async (tx) => {
      // One statement takes the lock, reads the rows, numbers them after the last dispatch number and
      // marks them: a dispatch follows every committed command, so its round trips count as the
      // command's own.
      const taken = await namedRows<{ locked: boolean; id: number | null; seq: number | null; messages: OutboxMessage[] | null; jobs: OutboxJob[] | null }>(tx, 'lb_outbox_take', TAKE_SQL, [
        DISPATCH_LOCK_KEY,
        BATCH_ROWS,
      ]);
      if (!taken[0]?.locked) return 'locked' as const;
      const pending = taken.filter((r) => r.id !== null).map((r) => ({ id: Number(r.id), messages: r.messages!, jobs: r.jobs! }));
      if (pending.length === 0) return 0;
      const seqs = taken.filter((r) => r.id !== null).map((r) => Number(r.seq));
      const nowMs = clock.nowMs();
      const extra = this.opts.onRows ? await this.opts.onRows(tx, pending.map((r) => ({ id: Number(r.id), messages: r.messages })), new Date(nowMs)) : [];
      await queue.enqueue([...pending.flatMap((r) => r.jobs.map((j) => jobToEnqueue(j, nowMs))), ...extra.map((j) => jobToEnqueue(j, nowMs))], tx);
      // Rows with jobs only are published too (empty): readers then see contiguous dispatch numbers.
      pending.forEach((r, i) => envelopes.push({ dispatchSeq: seqs[i]!, messages: r.messages }));
      return pending.length;
    });
    if (outcome === 'locked' || outcome === 0) return outcome;
    this.opts.onDispatched?.(outcome);
    await bus.publish(envelopes).catch((err) => this.opts.onError?.(err));
    return outcome;
  }
}

/** The job as the queue gets it: a coalesced job takes the window of `nowMs`, the dispatch time. */
export function jobToEnqueue(job: OutboxJob, nowMs: number): JobSpec {
  const { coalesceMs, ...spec } = job;
  if (coalesceMs === undefined) return spec;
  const window = Math.floor(nowMs / coalesceMs);
  return { ...spec, id: `${job.id}-${window}`, runAtMs: (window + 1) * coalesceMs };
}

