import { Queue, UnrecoverableError, Worker, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Clock } from '../clock.js';
import { assert } from '../domain/assert.js';
import { JOB_ID_PATTERN, UnrecoverableJobError, type JobHandler, type JobQueue, type JobSpec, type QueueDepth } from './queue.js';

const QUEUE_NAME = 'jobs';

export interface BullQueueOptions {
  /** Creates a Redis connection; BullMQ's workers need their own (blocking) one. */
  connect: (purpose: string, forWorker: boolean) => Redis;
  prefix: string;
  clock: Clock;
  concurrency?: number;
  onError?: (err: unknown, job?: JobMeta) => void;
}

type JobMeta = { id: string; name: string };

export function bullQueue(opts: BullQueueOptions): JobQueue {
  const connection = opts.connect('queue', false);
  const queue = new Queue(QUEUE_NAME, { connection, prefix: opts.prefix });
  queue.on('error', (err) => opts.onError?.(err));
  let worker: Worker | undefined;
  let workerConnection: Redis | undefined;

  return {
    kind: 'bullmq',
    async enqueue(jobs: readonly JobSpec[]) {
      if (jobs.length === 0) return;
      const now = opts.clock.nowMs();
      await queue.addBulk(
        jobs.map((j) => {
          assert(JOB_ID_PATTERN.test(j.id), `bad job id: ${j.id}`);
          return {
            name: j.name,
            data: j.data,
            opts: {
              jobId: j.id,
              delay: Math.max(0, (j.runAtMs ?? now) - now),
              attempts: j.attempts ?? 8,
              backoff: { type: 'exponential', delay: j.backoffMs ?? 1000 },
              removeOnComplete: { age: 24 * 3600, count: 10_000 },
              removeOnFail: { age: 7 * 24 * 3600 },
            },
          };
        }),
      );
    },
    async schedule(schedulerId, job, everyMs) {
      await queue.upsertJobScheduler(schedulerId, { every: everyMs }, { name: job.name, data: job.data, opts: { removeOnComplete: true, removeOnFail: { age: 86400 } } });
    },
    async start(handlers) {
      assert(!worker, 'queue already started');
      workerConnection = opts.connect('worker', true);
      worker = new Worker(
        QUEUE_NAME,
        async (job: Job) => {
          const handler: JobHandler | undefined = handlers[job.name];
          if (!handler) throw new UnrecoverableError(`no handler for job ${job.name}`);
          try {
            await handler(job.data as Record<string, unknown>, { id: job.id ?? '', name: job.name, attempt: job.attemptsMade + 1 });
          } catch (err) {
            if (err instanceof UnrecoverableJobError) throw new UnrecoverableError(err.message);
            throw err;
          }
        },
        { connection: workerConnection, prefix: opts.prefix, concurrency: opts.concurrency ?? 8, autorun: true },
      );
      worker.on('failed', (job, err) => opts.onError?.(err, job ? { id: job.id ?? '', name: job.name } : undefined));
      worker.on('error', (err) => opts.onError?.(err));
    },
    async depth(): Promise<QueueDepth> {
      const c = await queue.getJobCounts('waiting', 'delayed', 'active', 'failed', 'prioritized');
      return { waiting: (c.waiting ?? 0) + (c.prioritized ?? 0), delayed: c.delayed ?? 0, active: c.active ?? 0, failed: c.failed ?? 0 };
    },
    async ping() {
      await connection.ping();
    },
    async close() {
      // Workers first: they finish the job in hand, then stop taking new ones.
      await worker?.close();
      await queue.close();
      workerConnection?.disconnect();
      connection.disconnect();
    },
  };
}
