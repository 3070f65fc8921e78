import { and, eq, sql } from 'drizzle-orm';
import type { Clock } from '../clock.js';
import { assert } from '../domain/assert.js';
import { rows, type Db, type Queryable } from '../db/client.js';
import { localJobs } from '../db/schema/index.js';
import { JOB_ID_PATTERN, UnrecoverableJobError, type JobHandler, type JobQueue, type JobSpec, type QueueDepth } from './queue.js';

export interface LocalQueueOptions {
  db: Db;
  clock: Clock;
  concurrency?: number;
  /** Longest sleep between looks at the table (jobs enqueued by this process wake it at once). */
  pollMs?: number;
  onError?: (err: unknown, job?: { id: string; name: string }) => void;
}

interface ClaimedJob {
  id: string;
  name: string;
  data: Record<string, unknown>;
  attempts: number;
  max_attempts: number;
  backoff_ms: number;
}

/**
 * The embedded job runner. Jobs are rows of `local_jobs`, so a delayed job enqueued before a restart
 * still runs after it; a job that was running when the process died is taken up again at start.
 */
export function localQueue(opts: LocalQueueOptions): JobQueue {
  const { db, clock } = opts;
  const concurrency = opts.concurrency ?? 4;
  const pollMs = opts.pollMs ?? 500;
  let handlers: Readonly<Record<string, JobHandler>> | undefined;
  let timer: NodeJS.Timeout | undefined;
  let running = 0;
  let closed = false;
  let ticking: Promise<void> | undefined;
  const inFlight = new Set<Promise<void>>();
  const schedulers = new Map<string, NodeJS.Timeout>();

  // Jobs are stored in real time: the settable clock's offset is applied when computing the delay.
  const realRunAt = (runAtMs: number | undefined) => new Date(Date.now() + Math.max(0, (runAtMs ?? clock.nowMs()) - clock.nowMs()));

  function wake(delayMs = 0) {
    if (closed || !handlers) return;
    if (timer) clearTimeout(timer);
    timer = setTimeout(() => void tick(), delayMs);
    timer.unref?.();
  }

  async function tick(): Promise<void> {
    if (ticking) return ticking;
    // Cleared in a callback, never inside drain(): with every slot busy drain() finishes without awaiting,
    // and clearing there would run before this assignment, leaving `ticking` set for good (the queue stalls).
    ticking = drain().finally(() => {
      ticking = undefined;
      wake(pollMs);
    });
    return ticking;
  }

  async function drain(): Promise<void> {
    try {
      while (!closed && running < concurrency) {
        const claimed = await claim(concurrency - running);
        if (claimed.length === 0) break;
        for (const job of claimed) {
          running++;
          const p = runJob(job).finally(() => {
            running--;
            inFlight.delete(p);
            wake();
          });
          inFlight.add(p);
        }
      }
    } catch (err) {
      opts.onError?.(err);
    }
  }

  async function claim(limit: number): Promise<ClaimedJob[]> {
    return rows<ClaimedJob>(
      db,
      sql`update local_jobs set status = 'running', attempts = attempts + 1, updated_at = now()
          where id in (select id from local_jobs where status = 'pending' and run_at <= now() order by run_at, id limit ${limit})
          returning id, name, data, attempts, max_attempts, backoff_ms`,
    );
  }

  async function runJob(job: ClaimedJob): Promise<void> {
    const handler = handlers?.[job.name];
    try {
      if (!handler) throw new UnrecoverableJobError(`no handler for job ${job.name}`);
      await handler(job.data, { id: job.id, name: job.name, attempt: job.attempts });
      await db.update(localJobs).set({ status: 'done', updatedAt: new Date(), lastError: null }).where(eq(localJobs.id, job.id));
    } catch (err) {
      opts.onError?.(err, { id: job.id, name: job.name });
      if (closed) return; // left 'running'; taken up again at the next start
      const finalFailure = err instanceof UnrecoverableJobError || job.attempts >= job.max_attempts;
      const retryAt = new Date(Date.now() + job.backoff_ms * 2 ** Math.min(job.attempts - 1, 20));
      await db
        .update(localJobs)
        .set({ status: finalFailure ? 'failed' : 'pending', runAt: finalFailure ? undefined : retryAt, lastError: String(err instanceof Error ? err.message : err).slice(0, 2000), updatedAt: new Date() })
        .where(and(eq(localJobs.id, job.id), eq(localJobs.status, 'running')))
        .catch((e) => opts.onError?.(e));
    }
  }

  return {
    kind: 'local',
    async enqueue(jobs: readonly JobSpec[], within?: Queryable) {
      if (jobs.length === 0) return;
      for (const j of jobs) assert(JOB_ID_PATTERN.test(j.id), `bad job id: ${j.id}`);
      await (within ?? db)
        .insert(localJobs)
        .values(
          jobs.map((j) => ({
            id: j.id,
            name: j.name,
            data: j.data,
            runAt: realRunAt(j.runAtMs),
            maxAttempts: j.attempts ?? 8,
            backoffMs: j.backoffMs ?? 1000,
          })),
        )
        .onConflictDoNothing();
      const soonest = Math.min(...jobs.map((j) => Math.max(0, (j.runAtMs ?? clock.nowMs()) - clock.nowMs())));
      if (soonest < pollMs) wake(soonest);
    },
    async schedule(schedulerId, job, everyMs) {
      const existing = schedulers.get(schedulerId);
      if (existing) clearInterval(existing);
      const fire = () => {
        const bucket = Math.floor(clock.nowMs() / everyMs);
        void this.enqueue([{ name: job.name, id: `${schedulerId}-${bucket}`, data: job.data }]).catch((e) => opts.onError?.(e));
      };
      const handle = setInterval(fire, everyMs);
      handle.unref?.();
      schedulers.set(schedulerId, handle);
    },
    async start(h) {
      assert(!handlers, 'queue already started');
      handlers = h;
      // A job left 'running' belonged to a process that died: run it again (handlers are idempotent).
      await db.update(localJobs).set({ status: 'pending', updatedAt: new Date() }).where(eq(localJobs.status, 'running'));
      wake();
    },
    async depth(): Promise<QueueDepth> {
      const r = await rows<{ waiting: number; delayed: number; active: number; failed: number }>(
        db,
        sql`select count(*) filter (where status = 'pending' and run_at <= now())::int as waiting,
                   count(*) filter (where status = 'pending' and run_at > now())::int as delayed,
                   count(*) filter (where status = 'running')::int as active,
                   count(*) filter (where status = 'failed')::int as failed
            from local_jobs`,
      );
      return r[0]!;
    },
    async ping() {
      await db.execute(sql`select 1`);
    },
    async close() {
      closed = true;
      if (timer) clearTimeout(timer);
      for (const t of schedulers.values()) clearInterval(t);
      await ticking;
      await Promise.allSettled([...inFlight]);
    },
  };
}
