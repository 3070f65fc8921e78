/**
 * The shell around the pure servicing core (src/domain/servicing): writing a loan's new state back to its
 * rows, and turning what changed into `me` events and webhooks (docs/servicing.md "Events"). Everything
 * runs inside the caller's transaction, the loan row already locked.
 */
import { and, eq, isNull, sql } from 'drizzle-orm';
import type { AppContext } from '../context.js';
import type { Queryable } from '../db/client.js';
import { claims, loans, merchants, orders, warehouseReceipts, type OutboxMessage } from '../db/schema/index.js';
import { addDays, compareIsoDate, type IsoDate } from '../domain/dates.js';
import { AppError } from '../domain/errors.js';
import {
  accrueDay,
  installmentHistory,
  nextDueDate,
  noteSummaries,
  owedToday,
  type DueReminder,
  type HistoryEntry,
  type Installment,
  type LoanState,
  type ServicingEvent,
  type ServicingSettings,
} from '../domain/servicing/index.js';
import type { Settings } from '../domain/settings.js';
import type { LoadedLoan } from './loans.js';
import { guaranteeAtDefault } from './guarantee-hooks.js';
import { queueWebhook } from './webhooks.js';

export function servicingSettings(settings: Settings): ServicingSettings {
  return { graceDays: settings.graceDays, penaltyBpsPerDay: settings.penaltyBpsPerDay, defaultAfterDays: settings.defaultAfterDays, prepaymentFeeBps: settings.prepaymentFeeBps };
}

/**
 * The days before `day` closed on a copy of the loan's state (the daily step, caught up): what a payment
 * or a trade dated `day` sees. A loan serviced through `day` or later means this node's clock is behind
 * the one that closed it: refuse, retry later.
 */
export function closedBefore(ctx: AppContext, loaded: LoadedLoan, day: IsoDate) {
  if (compareIsoDate(day, loaded.state.servicedThrough) <= 0) {
    throw new AppError('CONFLICT', `the loan is serviced through ${loaded.state.servicedThrough}; this server's date is ${day}`);
  }
  return accrueDay(loaded.state, addDays(day, -1), servicingSettings(ctx.settings.get()));
}

/**
 * Writes `state` to the loan row and to the note rows that changed. Loan and note figures are derived
 * from the state (never computed twice): outstanding and received amounts are sums over installments.
 * `today` dates the installments that this change settled, in the repayment record.
 */
export async function saveState(tx: Queryable, loaded: LoadedLoan, state: LoanState, today: IsoDate, at: Date, remindedThrough?: IsoDate): Promise<void> {
  const summaries = noteSummaries(state);
  const stored = new Map(loaded.notes.map((n) => [n.id, n]));
  const changed = state.notes
    .map((note, i) => ({ note, summary: summaries[i]! }))
    .filter(({ note }) => {
      const row = stored.get(note.noteId)!;
      return row.status !== note.status || !sameInstallments(row.installments as Installment[], note.installments);
    })
    .map(({ note, summary }) => ({
      id: note.noteId,
      status: note.status,
      outstanding: summary.outstandingMinor,
      rp: summary.receivedPrincipalMinor,
      ri: summary.receivedInterestMinor,
      rpen: summary.receivedPenaltyMinor,
      rfee: summary.receivedPrepaymentFeeMinor,
      installments: note.installments,
    }));
  // Set-wise: a loan of thousands of notes must not cost thousands of round trips.
  if (changed.length > 0) {
    await tx.execute(sql`update loan_notes set status = v.status, outstanding_principal_minor = v.outstanding,
        received_principal_minor = v.rp, received_interest_minor = v.ri, received_penalty_minor = v.rpen, received_prepayment_fee_minor = v.rfee, installments = v.installments
      from jsonb_to_recordset(${JSON.stringify(changed)}::jsonb)
        as v(id text, status text, outstanding bigint, rp bigint, ri bigint, rpen bigint, rfee bigint, installments jsonb)
      where loan_notes.id = v.id and loan_notes.loan_id = ${loaded.loan.id}`);
  }
  const history: HistoryEntry[] = installmentHistory(loaded.loan.installmentHistory, state, today);
  await tx
    .update(loans)
    .set({
      status: state.status,
      outstandingPrincipalMinor: summaries.reduce((a, s) => a + s.outstandingMinor, 0),
      servicedThrough: state.servicedThrough,
      daysPastDue: state.daysPastDue,
      bucket: state.bucket,
      defaultedOn: state.defaultedOn,
      nextDueDate: nextDueDate(state),
      installmentHistory: history,
      closedAt: state.status === 'repaid' ? (loaded.loan.closedAt ?? at) : null,
      ...(remindedThrough ? { remindedThrough } : {}),
    })
    .where(eq(loans.id, loaded.loan.id));
}

/** Field by field: jsonb does not keep key order, so comparing JSON texts would see every note as changed. */
function sameInstallments(a: readonly Installment[], b: readonly Installment[]): boolean {
  return a.length === b.length && a.every((x, i) => (Object.keys(x) as (keyof Installment)[]).every((k) => x[k] === b[i]![k]));
}

export interface LoanParties {
  borrowerUserId: string;
  /** Lender of each note, by note id. */
  lenderOf: Map<string, string>;
  /** Lenders holding a note of the loan now (a note sold whole no longer makes its lender a holder). */
  holders: Set<string>;
  merchant: { partnerId: string; ref: string } | undefined;
}

export async function partiesOf(q: Queryable, loaded: LoadedLoan): Promise<LoanParties> {
  const [merchant] = await q.select({ partnerId: merchants.partnerId, ref: merchants.ref }).from(merchants).where(eq(merchants.id, loaded.loan.merchantId));
  return {
    borrowerUserId: loaded.loan.borrowerUserId,
    lenderOf: new Map(loaded.notes.map((n) => [n.id, n.lenderId])),
    holders: new Set(loaded.notes.filter((n) => n.status !== 'sold').map((n) => n.lenderId)),
    merchant,
  };
}

function toBorrowerAndLenders(parties: LoanParties, type: string, data: Record<string, unknown>): OutboxMessage[] {
  const users = [parties.borrowerUserId, ...parties.holders];
  return users.map((u) => ({ channel: `user:${u}`, type, data }));
}

/**
 * Events of the daily step (docs/servicing.md §8) as messages and webhooks: the first late day of an
 * installment (to the borrower), each change of delinquency bucket (borrower and lenders), and default
 * (borrower, each lender with its note's claim, and the partner).
 */
export async function announceServicing(ctx: AppContext, tx: Queryable, loaded: LoadedLoan, parties: LoanParties, state: LoanState, events: readonly ServicingEvent[], messages: OutboxMessage[]): Promise<void> {
  const loanId = loaded.loan.id;
  for (const e of events) {
    if (e.type === 'installment_late') {
      messages.push({ channel: `user:${parties.borrowerUserId}`, type: 'installment.late', data: { loanId, n: e.n, lateOn: e.on } });
    } else if (e.type === 'bucket_changed') {
      messages.push(...toBorrowerAndLenders(parties, 'loan.delinquency', { loanId, on: e.on, from: e.from, to: e.to }));
    } else {
      await announceDefault(ctx, tx, loaded, parties, state, e, messages);
    }
  }
}

async function announceDefault(
  ctx: AppContext,
  tx: Queryable,
  loaded: LoadedLoan,
  parties: LoanParties,
  state: LoanState,
  e: Extract<ServicingEvent, { type: 'defaulted' }>,
  messages: OutboxMessage[],
): Promise<void> {
  // After default nothing accrues: what is owed on the last closed day is the fixed claim.
  const owed = owedToday(state, state.servicedThrough);
  const loanId = loaded.loan.id;
  const data = { loanId, listingId: loaded.loan.listingId, defaultedOn: e.on, daysPastDue: e.daysPastDue, acceleratedPrincipalMinor: e.acceleratedPrincipalMinor, claimMinor: owed.payoffMinor, currency: 'CNY' };
  messages.push({ channel: `user:${parties.borrowerUserId}`, type: 'loan.defaulted', data });
  for (const n of owed.perNote) {
    if (n.payoffMinor === 0) continue; // sold whole, or settled before the default: nothing is lost on it
    messages.push({ channel: `user:${parties.lenderOf.get(n.noteId)!}`, type: 'loan.defaulted', data: { loanId, noteId: n.noteId, defaultedOn: e.on, claimMinor: n.payoffMinor, currency: 'CNY' } });
  }
  if (parties.merchant) await queueWebhook(ctx, tx, parties.merchant.partnerId, 'loan.defaulted', { merchantRef: parties.merchant.ref, ...data });
  await guaranteeAtDefault(ctx, tx, loaded.loan, (noteId) => parties.lenderOf.get(noteId)!, parties.merchant, owed, e.on, messages);
}

/** Installments due in 3 days or today: an `installment.due` webhook to the partner and event to the borrower. */
export async function announceReminders(ctx: AppContext, tx: Queryable, loaded: LoadedLoan, parties: LoanParties, reminders: readonly DueReminder[], messages: OutboxMessage[]): Promise<void> {
  for (const r of reminders) {
    const data = { loanId: loaded.loan.id, n: r.n, dueDate: r.dueDate, daysUntilDue: r.daysUntilDue, amountMinor: r.amountMinor, currency: 'CNY' };
    messages.push({ channel: `user:${parties.borrowerUserId}`, type: 'installment.due', data });
    if (parties.merchant) await queueWebhook(ctx, tx, parties.merchant.partnerId, 'installment.due', { merchantRef: parties.merchant.ref, ...data });
  }
}

/**
 * Full repayment gives the collateral back: the warehouse receipt is released (it keeps the listing it
 * backed, as history, and cannot be pledged again), pledged orders whose proceeds were not swept and
 * claims not yet settled are free to back another listing (settled claims keep the loan they paid).
 */
export async function releaseLoanCollateral(tx: Queryable, loaded: LoadedLoan, at: Date): Promise<void> {
  if (loaded.loan.receiptId) {
    await tx.update(warehouseReceipts).set({ releasedAt: at }).where(and(eq(warehouseReceipts.id, loaded.loan.receiptId), isNull(warehouseReceipts.releasedAt)));
  }
  await tx
    .update(orders)
    .set({ pledgedListingId: null, updatedAt: at })
    .where(and(eq(orders.pledgedListingId, loaded.loan.listingId), isNull(orders.sweptAt)));
  await tx.update(claims).set({ pledgedListingId: null }).where(and(eq(claims.pledgedListingId, loaded.loan.listingId), isNull(claims.toLoanMinor)));
}
