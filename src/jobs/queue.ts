import type { Queryable } from '../db/client.js';

/**
 * One job interface, two implementations: BullMQ on Redis (production) and an in-process runner whose
 * jobs live in the database (embedded default). Job ids are deterministic, so enqueuing a job twice is
 * harmless, and every handler is idempotent, so running one twice changes nothing the second time.
 */
export interface JobSpec {
  name: string;
  /** Deterministic id, no ':' (BullMQ reserves it). */
  id: string;
  data: Record<string, unknown>;
  /** When to run, in clock time (epoch ms); now when absent. */
  runAtMs?: number;
  attempts?: number;
  /** First retry delay; later ones double. */
  backoffMs?: number;
}

export interface JobMeta {
  id: string;
  name: string;
  /** 1 on the first run. */
  attempt: number;
}

export type JobHandler = (data: Record<string, unknown>, meta: JobMeta) => Promise<void>;

export interface QueueDepth {
  waiting: number;
  delayed: number;
  active: number;
  failed: number;
}

export interface JobQueue {
  readonly kind: 'bullmq' | 'local';
  /**
   * Enqueues jobs (a job whose id exists is left alone). `within` is the caller's open transaction: the
   * in-process runner writes its jobs there (on PGlite a query outside an open transaction would wait
   * for it forever), BullMQ ignores it.
   */
  enqueue(jobs: readonly JobSpec[], within?: Queryable): Promise<void>;
  /** A recurring job every `everyMs`; registering it again (another node, a restart) is harmless. */
  schedule(schedulerId: string, job: { name: string; data: Record<string, unknown> }, everyMs: number): Promise<void>;
  /** Starts processing with these handlers (a node that only enqueues never calls this). */
  start(handlers: Readonly<Record<string, JobHandler>>): Promise<void>;
  depth(): Promise<QueueDepth>;
  ping(): Promise<void>;
  close(): Promise<void>;
}

/** Thrown by a handler when retrying cannot help (bad data): the job fails at once. */
export class UnrecoverableJobError extends Error {
  override name = 'UnrecoverableJobError';
}

export const JOB_ID_PATTERN = /^[A-Za-z0-9_.-]{1,200}$/;
