import { and, eq, lt, sql } from 'drizzle-orm';
import type { AppContext } from '../context.js';
import { webhookDeliveries } from '../db/schema/index.js';
import { sweepListings } from '../services/clearing.js';
import { expireOffers } from '../services/transfers.js';
import { WEBHOOK_ATTEMPTS, WEBHOOK_JOB } from '../services/webhooks.js';

export interface MaintenanceOptions {
  /** How often to look for listings past their end and stranded work. */
  everyMs?: number;
  /** Recurring jobs to (re)register with the queue: registering again is harmless. */
  schedulers?: () => Promise<void>;
}

/**
 * Work that must happen even if Redis lost everything (restarted empty, flushed): it runs on a timer in
 * every node, not as a queued job. Closes listings past their end, re-enqueues webhooks whose job
 * vanished, ends note offers whose time is up, re-registers the recurring jobs, and trims what no longer
 * needs keeping. Every step is idempotent, so several nodes doing it at once is harmless.
 */
export function startMaintenance(ctx: AppContext, opts: MaintenanceOptions = {}): () => void {
  const everyMs = opts.everyMs ?? 5000;
  let running = false;
  let rounds = 0;
  const round = async () => {
    if (running) return;
    running = true;
    try {
      await sweepListings(ctx);
      await expireOffers(ctx);
      if (rounds % 12 === 0) {
        await opts.schedulers?.();
        await requeueStrandedWebhooks(ctx);
        await trim(ctx);
      }
      rounds++;
    } catch (err) {
      ctx.log.warn({ err }, 'maintenance round failed');
    } finally {
      running = false;
    }
  };
  const timer = setInterval(() => void round(), everyMs);
  timer.unref?.();
  void round();
  return () => clearInterval(timer);
}

/**
 * A pending delivery whose job was lost (Redis flushed) would wait forever: enqueue it again under its
 * own deterministic id, which is a no-op while the job still exists.
 */
export async function requeueStrandedWebhooks(ctx: AppContext): Promise<number> {
  const stale = await ctx.db
    .select({ id: webhookDeliveries.id, replays: webhookDeliveries.replays })
    .from(webhookDeliveries)
    .where(and(eq(webhookDeliveries.status, 'pending'), lt(webhookDeliveries.createdAt, new Date(ctx.clock.nowMs() - 60_000))))
    .limit(500);
  await ctx.queue.enqueue(stale.map((d) => ({ name: WEBHOOK_JOB, id: `webhook-${d.id}-${d.replays}`, data: { deliveryId: d.id }, attempts: WEBHOOK_ATTEMPTS, backoffMs: ctx.config.webhookBackoffMs })));
  return stale.length;
}

/** Keeps the bookkeeping tables small: what is past every use. */
async function trim(ctx: AppContext): Promise<void> {
  await ctx.db.execute(sql`delete from signature_nonces where expires_at < now()`);
  await ctx.db.execute(sql`delete from idempotency_keys where created_at < now() - interval '2 days'`);
  await ctx.db.execute(sql`delete from local_jobs where status = 'done' and updated_at < now() - interval '1 day'`);
  // Dispatched outbox rows are kept an hour: nodes that missed a bus message read them back from here.
  await ctx.db.execute(sql`delete from outbox where dispatch_seq is not null and dispatched_at < now() - interval '1 hour'`);
}
