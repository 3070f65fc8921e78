import type { AppContext } from '../context.js';
import { rateMerchant, RATING_JOB } from '../services/rating.js';
import { deliverWebhook, WEBHOOK_JOB } from '../services/webhooks.js';
import { UnrecoverableJobError, type JobHandler } from './queue.js';
import { closeListing } from '../services/clearing.js';
import { AUTOBID_JOB, CLOSE_JOB } from '../services/listings.js';
import { runOpeningPass } from '../services/autobid.js';
import { EMAIL_JOB, sendNotificationEmail } from '../services/notifications.js';
import { ORDER_SWEEP_JOB, SERVICE_DUE_JOB, SERVICE_JOB, serviceDueLoans, serviceLoan, sweepOrder } from '../services/servicing.js';

function stringField(data: Record<string, unknown>, name: string): string {
  const v = data[name];
  if (typeof v !== 'string' || v.length === 0 || v.length > 200) throw new UnrecoverableJobError(`job data: ${name} must be a string`);
  return v;
}

/** Every job the queue runs, by name. Each handler is idempotent: running it twice changes nothing more. */
export function jobHandlers(ctx: AppContext): Record<string, JobHandler> {
  return {
    [RATING_JOB]: async (data) => {
      await rateMerchant(ctx, stringField(data, 'merchantId'));
    },
    [WEBHOOK_JOB]: async (data, meta) => {
      await deliverWebhook(ctx, stringField(data, 'deliveryId'), meta.attempt);
    },
    [CLOSE_JOB]: async (data) => {
      await closeListing(ctx, stringField(data, 'listingId'));
    },
    [AUTOBID_JOB]: async (data) => {
      await runOpeningPass(ctx, stringField(data, 'listingId'));
    },
    [SERVICE_DUE_JOB]: async () => {
      await serviceDueLoans(ctx, 'enqueue');
    },
    [SERVICE_JOB]: async (data) => {
      await serviceLoan(ctx, stringField(data, 'loanId'));
    },
    [EMAIL_JOB]: async (data) => {
      await sendNotificationEmail(ctx, stringField(data, 'notificationId'));
    },
    [ORDER_SWEEP_JOB]: async (data) => {
      await sweepOrder(ctx, stringField(data, 'merchantId'), stringField(data, 'orderId'));
    },
  };
}
