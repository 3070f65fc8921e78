/**
 * What the market and servicing commands do to a listing's guarantee (docs/guarantees.md), inside their
 * own transaction: the fee at clearing, the amount owed at default, the day it falls overdue, the end of
 * a guarantee whose listing ended or whose loan was repaid, and the guarantor's share of recoveries after
 * it paid. Lock order: the listing or loan row is already locked by the caller; the guarantee row comes
 * next, the wallets last.
 */
import { and, eq, inArray } from 'drizzle-orm';
import type { AppContext } from '../context.js';
import type { Queryable } from '../db/client.js';
import { guarantees, guarantors, type OutboxMessage } from '../db/schema/index.js';
import { compareIsoDate, type IsoDate } from '../domain/dates.js';
import { guaranteeFeeMinor, owedAtDefault } from '../domain/guarantees/index.js';
import type { OwedToday } from '../domain/servicing/index.js';
import { transfer, walletAccountId } from '../ledger/ledger.js';
import { walletChanged } from './wallet.js';
import { queueWebhook } from './webhooks.js';

export type GuaranteeRow = typeof guarantees.$inferSelect;
export type GuarantorRow = typeof guarantors.$inferSelect;

/** The listing's guarantee and its guarantor, the guarantee row locked. */
export async function lockGuaranteeOfListing(q: Queryable, listingId: string): Promise<{ g: GuaranteeRow; guarantor: GuarantorRow } | undefined> {
  const [g] = await q.select().from(guarantees).where(eq(guarantees.listingId, listingId)).for('update');
  if (!g) return undefined;
  const [guarantor] = await q.select().from(guarantors).where(eq(guarantors.id, g.guarantorId));
  return { g, guarantor: guarantor! };
}

/** A listing withdrawn, declined or failed: a guarantee not yet called on ends with it. */
export async function endGuaranteeOfListing(q: Queryable, listingId: string, at: Date): Promise<void> {
  await q
    .update(guarantees)
    .set({ status: 'ended', decidedAt: at })
    .where(and(eq(guarantees.listingId, listingId), inArray(guarantees.status, ['pending', 'active'])));
}

/**
 * Clearing: the guarantee now stands behind the loan, and its fee (feeBps of the principal) goes from the
 * disbursement in the borrower's wallet to the guarantor's wallet. Returns the fee.
 */
export async function guaranteeAtClearing(
  tx: Queryable,
  listing: { id: string; borrowerUserId: string },
  loanId: string,
  principalMinor: number,
  at: Date,
  messages: OutboxMessage[],
): Promise<number> {
  const found = await lockGuaranteeOfListing(tx, listing.id);
  if (!found || found.g.status !== 'active') return 0;
  const { g, guarantor } = found;
  const feeMinor = guaranteeFeeMinor(principalMinor, g.feeBps);
  if (feeMinor > 0) {
    await transfer(tx, { id: `xfr_gfee_${g.id}`, debitAccountId: walletAccountId(listing.borrowerUserId), creditAccountId: walletAccountId(guarantor.userId), amountMinor: feeMinor, kind: 'guarantee_fee', reference: g.id, at });
    await walletChanged(tx, guarantor.userId, 'guarantee.fee');
  }
  await tx.update(guarantees).set({ loanId, feeMinor }).where(eq(guarantees.id, g.id));
  messages.push({ channel: `user:${guarantor.userId}`, type: 'guarantee.active', data: { guaranteeId: g.id, listingId: listing.id, loanId, principalMinor, coveragePct: g.coveragePct, feeMinor, currency: 'CNY' } });
  return feeMinor;
}

/**
 * Default: what the guarantor owes is fixed now — coverage × each note's claim, to the fen — payable by
 * the default day + GUARANTOR_PAY_DAYS. The guarantor, each holder and the order system are told.
 */
export async function guaranteeAtDefault(
  ctx: AppContext,
  tx: Queryable,
  loan: { id: string; listingId: string },
  holderOf: (noteId: string) => string,
  merchant: { partnerId: string; ref: string } | undefined,
  claim: OwedToday,
  defaultedOn: IsoDate,
  messages: OutboxMessage[],
): Promise<void> {
  const found = await lockGuaranteeOfListing(tx, loan.listingId);
  if (!found || found.g.status !== 'active') return;
  const { g, guarantor } = found;
  const owed = owedAtDefault(claim.perNote.map((n) => ({ noteId: n.noteId, claimMinor: n.payoffMinor })), g.coveragePct, defaultedOn, ctx.settings.get().guarantorPayDays);
  await tx.update(guarantees).set({ status: 'owed', owedMinor: owed.owedMinor, owedPerNote: owed.perNote, defaultedOn, payBy: owed.payBy }).where(eq(guarantees.id, g.id));
  const data = { guaranteeId: g.id, loanId: loan.id, listingId: loan.listingId, defaultedOn, coveragePct: g.coveragePct, owedMinor: owed.owedMinor, payBy: owed.payBy, currency: 'CNY' };
  messages.push({ channel: `user:${guarantor.userId}`, type: 'guarantee.owed', data });
  for (const n of owed.perNote) {
    messages.push({ channel: `user:${holderOf(n.noteId)}`, type: 'guarantee.owed', data: { guaranteeId: g.id, loanId: loan.id, noteId: n.noteId, guarantorName: guarantor.name, owedMinor: n.owedMinor, payBy: owed.payBy, currency: 'CNY' } });
  }
  if (merchant) await queueWebhook(ctx, tx, merchant.partnerId, 'guarantee.owed', { merchantRef: merchant.ref, guarantorName: guarantor.name, ...data });
}

/**
 * The daily step of a defaulted loan: the day its guarantee falls overdue (closed through its pay-by day
 * and still owed) is told once, to the guarantor, the holders and the order system.
 */
export async function guaranteeOverdue(
  ctx: AppContext,
  tx: Queryable,
  loan: { id: string; listingId: string },
  holders: Iterable<string>,
  merchant: { partnerId: string; ref: string } | undefined,
  closedBefore: IsoDate,
  closedThrough: IsoDate,
  messages: OutboxMessage[],
): Promise<void> {
  const [g] = await tx.select().from(guarantees).where(eq(guarantees.listingId, loan.listingId));
  if (!g || g.status !== 'owed' || g.payBy === null) return;
  if (!(compareIsoDate(closedBefore, g.payBy) < 0 && compareIsoDate(g.payBy, closedThrough) <= 0)) return;
  const [guarantor] = await tx.select().from(guarantors).where(eq(guarantors.id, g.guarantorId));
  const data = { guaranteeId: g.id, loanId: loan.id, listingId: loan.listingId, guarantorName: guarantor!.name, owedMinor: g.owedMinor, payBy: g.payBy, currency: 'CNY' };
  for (const userId of new Set([guarantor!.userId, ...holders])) messages.push({ channel: `user:${userId}`, type: 'guarantee.overdue', data });
  if (merchant) await queueWebhook(ctx, tx, merchant.partnerId, 'guarantee.overdue', { merchantRef: merchant.ref, ...data });
}

/** A guaranteed loan repaid in full: its guarantee has nothing more to stand behind. */
export async function endGuaranteeOfRepaidLoan(q: Queryable, listingId: string, at: Date): Promise<void> {
  await q
    .update(guarantees)
    .set({ status: 'ended', decidedAt: at })
    .where(and(eq(guarantees.listingId, listingId), eq(guarantees.status, 'active')));
}

/**
 * After the guarantor paid it holds a claim on the borrower for what it paid and has not got back: the
 * guarantee row (locked) and the guarantor's wallet, or nothing when there is no such claim.
 */
export async function subrogationOf(q: Queryable, listingId: string): Promise<{ g: GuaranteeRow; guarantor: GuarantorRow; leftMinor: number } | undefined> {
  const found = await lockGuaranteeOfListing(q, listingId);
  if (!found || found.g.status !== 'paid') return undefined;
  const leftMinor = found.g.paidMinor - found.g.recoveredMinor;
  return leftMinor > 0 ? { ...found, leftMinor } : undefined;
}
