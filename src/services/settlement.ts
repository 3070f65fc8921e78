/**
 * Money from outside paid straight into the loans it backs (docs/supply-chain.md §2 "At maturity" and §3):
 * a core enterprise settling a payable from its custodian account, and an order system paying in a
 * pledged order's proceeds from its settlement account. The loan is paid first — what it owes today, in
 * the order of docs/market-rules.md §6, split over its notes like any repayment — and the claim's holder or the
 * order's merchant gets the rest. One transaction each: if the payer's account lacks the money, nothing
 * moves (INSUFFICIENT_FUNDS).
 */
import { and, asc, eq, inArray } from 'drizzle-orm';
import type { AppContext } from '../context.js';
import type { Tx } from '../db/client.js';
import { claims, coreEnterprises, listings, orderProceeds, orders, payables, users, type OutboxMessage } from '../db/schema/index.js';
import { proceedsSplit, settlementSplit } from '../domain/claims/index.js';
import { compareIsoDate, isoDateOfMs } from '../domain/dates.js';
import { AppError } from '../domain/errors.js';
import { idFromSeed } from '../ids.js';
import { balance, lockAccounts, transfer, walletAccountId } from '../ledger/ledger.js';
import { payableView, type CoreCaller, type PayableView } from './claims.js';
import { loadLoan, type LoadedLoan } from './loans.js';
import { merchantByRef } from './merchants.js';
import { writeOutbox } from './outbox.js';
import { pay, payoffOf } from './servicing.js';
import { closedBefore } from './servicing-store.js';
import { walletMessages } from './wallet.js';
import { queueWebhook } from './webhooks.js';

async function requireAvailable(tx: Tx, accountId: string, amountMinor: number, whose: string): Promise<void> {
  const available = (await balance(tx, accountId)).availableMinor;
  if (available < amountMinor) throw new AppError('INSUFFICIENT_FUNDS', `${whose} has ${available} available; ${amountMinor} is needed`, { availableMinor: available, neededMinor: amountMinor });
}

/** Loans still owed anything, locked in id order (the loan rows come before the wallets). */
async function lockLiveLoans(tx: Tx, loanIds: readonly string[]): Promise<Map<string, LoadedLoan>> {
  const live = new Map<string, LoadedLoan>();
  for (const loanId of [...new Set(loanIds)].sort()) {
    const loaded = await loadLoan(tx, loanId, true);
    if (loaded && loaded.state.status !== 'repaid') live.set(loanId, loaded);
  }
  return live;
}

/** The borrower user of each merchant (every holder has one: claims are only given to merchants with an account). */
async function usersOfMerchants(tx: Tx, merchantIds: readonly string[]): Promise<Map<string, string>> {
  if (merchantIds.length === 0) return new Map();
  const found = await tx.select({ id: users.id, merchantId: users.merchantId }).from(users).where(inArray(users.merchantId, [...new Set(merchantIds)]));
  return new Map(found.map((u) => [u.merchantId!, u.id]));
}

/**
 * The core enterprise pays a payable on or after its due date (POST /core/payables/:ref/settle). For each
 * claim, in id order: the loan it backs is paid first, its holder gets the rest. Settling a settled
 * payable again changes nothing and answers the same.
 */
export async function settlePayable(ctx: AppContext, caller: CoreCaller, payableRef: string): Promise<PayableView> {
  const nowMs = ctx.clock.nowMs();
  const today = isoDateOfMs(nowMs);
  const at = new Date(nowMs);
  return ctx.transaction(async (tx) => {
    const [payable] = await tx.select().from(payables).where(and(eq(payables.coreEnterpriseId, caller.coreEnterpriseId), eq(payables.payableRef, payableRef))).for('update');
    if (!payable) throw new AppError('NOT_FOUND', `no payable '${payableRef}'`);
    if (payable.status === 'settled') return payableView(tx, caller.coreEnterpriseId, payableRef);
    if (compareIsoDate(today, payable.dueDate) < 0) throw new AppError('PAYABLE_NOT_DUE', `the payable falls due on ${payable.dueDate}`);
    const held = await tx.select().from(claims).where(eq(claims.payableId, payable.id)).orderBy(asc(claims.id)).for('update');
    // A listing still open past its end is being cleared: its loan does not exist yet.
    const listingIds = [...new Set(held.map((c) => c.pledgedListingId).filter((x): x is string => x !== null))];
    const backed = listingIds.length ? await tx.select({ id: listings.id, status: listings.status, loanId: listings.loanId }).from(listings).where(inArray(listings.id, listingIds)) : [];
    if (backed.some((l) => l.status === 'open')) throw new AppError('PAYABLE_SETTLING', 'a listing backed by this payable has not closed yet');
    const loanOfListing = new Map(backed.filter((l) => l.status === 'cleared' && l.loanId).map((l) => [l.id, l.loanId!]));
    const loansById = await lockLiveLoans(tx, [...loanOfListing.values()]);
    const loanOfClaim = (c: (typeof held)[number]) => {
      const loanId = c.pledgedListingId ? loanOfListing.get(c.pledgedListingId) : undefined;
      return loanId && loansById.has(loanId) ? loanId : null;
    };
    const payoffs = new Map([...loansById].map(([id, loaded]) => [id, payoffOf(ctx, closedBefore(ctx, loaded, today).state, today)]));
    const split = settlementSplit(held.map((c) => ({ claimId: c.id, amountMinor: c.amountMinor, loanId: loanOfClaim(c) })), payoffs);

    const coreWallet = walletAccountId(caller.coreEnterpriseId);
    const holderUsers = await usersOfMerchants(tx, held.map((c) => c.holderMerchantId));
    const lenders = [...loansById.values()].flatMap((l) => l.notes.map((n) => walletAccountId(n.lenderId)));
    await lockAccounts(tx, [coreWallet, ...[...holderUsers.values()].map(walletAccountId), ...lenders]);
    await requireAvailable(tx, coreWallet, payable.amountMinor, 'the core enterprise account');

    // The claims record their payout first: a loan repaid below gives back only claims not yet settled.
    for (const p of split.perClaim) await tx.update(claims).set({ toLoanMinor: p.toLoanMinor, toHolderMinor: p.toHolderMinor }).where(eq(claims.id, p.claimId));
    for (const [loanId, amountMinor] of split.perLoan) {
      const claimIds = split.perClaim.filter((p) => p.loanId === loanId && p.toLoanMinor > 0).map((p) => p.claimId);
      await pay(ctx, tx, loansById.get(loanId)!, {
        repaymentId: idFromSeed('rep', `payable_settlement:${payable.id}:${loanId}`),
        amountMinor,
        source: 'payable_settlement',
        debitAccountId: coreWallet,
        note: { payableId: payable.id, payableRef, claimIds },
      });
    }
    const byId = new Map(held.map((c) => [c.id, c]));
    const messages: OutboxMessage[] = [];
    for (const p of split.perClaim) {
      const userId = holderUsers.get(byId.get(p.claimId)!.holderMerchantId)!;
      if (p.toHolderMinor > 0) {
        await transfer(tx, { id: `xfr_cs_${p.claimId}`, debitAccountId: coreWallet, creditAccountId: walletAccountId(userId), amountMinor: p.toHolderMinor, kind: 'claim_settlement', reference: p.claimId, at });
      }
      if (p.toHolderMinor + p.toLoanMinor > 0) messages.push({ channel: `user:${userId}`, type: 'claim.settled', data: { claimId: p.claimId, toLoanMinor: p.toLoanMinor, toHolderMinor: p.toHolderMinor, loanId: p.loanId, currency: 'CNY' } });
    }
    messages.push(...(await walletMessages(tx, [...new Set(split.perClaim.filter((p) => p.toHolderMinor > 0).map((p) => holderUsers.get(byId.get(p.claimId)!.holderMerchantId)!))], 'claim.settled')));
    await tx.update(payables).set({ status: 'settled', settledAt: at, settledOn: today }).where(eq(payables.id, payable.id));
    await writeOutbox(tx, { messages });
    const view = await payableView(tx, caller.coreEnterpriseId, payableRef);
    const [core] = await tx.select({ partnerId: coreEnterprises.partnerId, name: coreEnterprises.name }).from(coreEnterprises).where(eq(coreEnterprises.id, caller.coreEnterpriseId));
    await queueWebhook(ctx, tx, core!.partnerId, 'payable.settled', {
      payableRef,
      coreEnterpriseId: caller.coreEnterpriseId,
      coreEnterpriseName: core!.name,
      amountMinor: payable.amountMinor,
      dueDate: payable.dueDate,
      settledOn: today,
      claims: view.claims.map((c) => ({ claimId: c.id, merchantRef: c.holderMerchantRef, amountMinor: c.amountMinor, toLoanMinor: c.toLoanMinor ?? 0, toHolderMinor: c.toHolderMinor ?? 0, loanId: split.perClaim.find((p) => p.claimId === c.id)?.loanId ?? null })),
      currency: 'CNY',
    });
    return view;
  });
}

export interface ProceedsResult {
  merchantRef: string;
  orderId: string;
  amountMinor: number;
  toLoanMinor: number;
  toMerchantMinor: number;
  loanId?: string;
  currency: 'CNY';
}

function proceedsView(merchantRef: string, row: typeof orderProceeds.$inferSelect): ProceedsResult {
  return {
    merchantRef,
    orderId: row.orderId,
    amountMinor: row.amountMinor,
    toLoanMinor: row.toLoanMinor,
    toMerchantMinor: row.toMerchantMinor,
    ...(row.loanId ? { loanId: row.loanId } : {}),
    currency: 'CNY',
  };
}

/**
 * The order system pays in a pledged order's proceeds from its settlement account
 * (POST /partner/merchants/:ref/orders/:orderId/proceeds): into the loan the order backs first, the rest
 * to the merchant; an order that backs no live loan pays the merchant. Once per order: the same call
 * again answers the first result and moves nothing; another amount is PROCEEDS_EXISTS. The order is
 * then marked swept, so reporting it settled takes nothing more from the merchant's wallet.
 */
export async function payOrderProceeds(ctx: AppContext, partnerId: string, merchantRef: string, orderId: string, amountMinor: number): Promise<{ result: ProceedsResult; created: boolean }> {
  const nowMs = ctx.clock.nowMs();
  const today = isoDateOfMs(nowMs);
  const at = new Date(nowMs);
  const merchant = await merchantByRef(ctx.db, partnerId, merchantRef);
  const [found] = await ctx.db
    .select({ loanId: listings.loanId })
    .from(orders)
    .leftJoin(listings, eq(listings.id, orders.pledgedListingId))
    .where(and(eq(orders.merchantId, merchant.id), eq(orders.orderId, orderId)));
  return ctx.transaction(async (tx) => {
    // The loan row first, then the order: the lock order of every servicing command.
    const loaded = found?.loanId ? await loadLoan(tx, found.loanId, true) : undefined;
    const [order] = await tx.select().from(orders).where(and(eq(orders.merchantId, merchant.id), eq(orders.orderId, orderId))).for('update');
    if (!order) throw new AppError('ORDER_NOT_FOUND', `no order '${orderId}' of merchant '${merchantRef}'`);
    // Read before the transaction to lock the loan first; a listing that cleared since is a retry.
    const [now] = order.pledgedListingId ? await tx.select({ loanId: listings.loanId }).from(listings).where(eq(listings.id, order.pledgedListingId)) : [];
    if ((now?.loanId ?? null) !== (found?.loanId ?? null)) throw new AppError('CONFLICT', "the order's listing has just cleared; send the proceeds again");
    const [done] = await tx.select().from(orderProceeds).where(and(eq(orderProceeds.merchantId, merchant.id), eq(orderProceeds.orderId, orderId)));
    if (done) {
      if (done.amountMinor !== amountMinor) throw new AppError('PROCEEDS_EXISTS', `proceeds of ${done.amountMinor} were paid in for this order`);
      return { result: proceedsView(merchantRef, done), created: false };
    }
    if (order.status === 'refunded') throw new AppError('ORDER_REFUNDED', `order '${orderId}' was refunded`);
    if (amountMinor > order.amountMinor) throw new AppError('AMOUNT_INVALID', `the order is worth ${order.amountMinor}; its proceeds cannot be more`);
    const [merchantUser] = await tx.select({ id: users.id }).from(users).where(eq(users.merchantId, merchant.id));
    if (!merchantUser) throw new AppError('MERCHANT_NO_ACCOUNT', `merchant '${merchantRef}' has no Lendbook account: pay it directly`);
    const live = loaded && loaded.state.status !== 'repaid' && order.pledgedListingId === loaded.loan.listingId && order.sweptAt === null ? loaded : undefined;
    const split = proceedsSplit(amountMinor, live ? payoffOf(ctx, closedBefore(ctx, live, today).state, today) : null);
    const account = walletAccountId(partnerId);
    await lockAccounts(tx, [account, walletAccountId(merchantUser.id), ...(live ? live.notes.map((n) => walletAccountId(n.lenderId)) : [])]);
    await requireAvailable(tx, account, amountMinor, "the order system's settlement account");
    let repaymentId: string | null = null;
    if (live && split.toLoanMinor > 0) {
      repaymentId = idFromSeed('rep', `order_proceeds:${merchant.id}:${orderId}`);
      await pay(ctx, tx, live, { repaymentId, amountMinor: split.toLoanMinor, source: 'order_proceeds', debitAccountId: account, note: { orderId, proceedsMinor: amountMinor } });
    }
    if (split.toMerchantMinor > 0) {
      await transfer(tx, { id: `xfr_op_${merchant.id}_${orderId}`.slice(0, 200), debitAccountId: account, creditAccountId: walletAccountId(merchantUser.id), amountMinor: split.toMerchantMinor, kind: 'order_proceeds', reference: `${merchant.id}:${orderId}`, at });
      await writeOutbox(tx, { messages: await walletMessages(tx, [merchantUser.id], 'order.proceeds') });
    }
    await tx.update(orders).set({ sweptAt: at, updatedAt: at }).where(and(eq(orders.merchantId, merchant.id), eq(orders.orderId, orderId)));
    const [row] = await tx
      .insert(orderProceeds)
      .values({ merchantId: merchant.id, orderId, partnerId, amountMinor, toLoanMinor: split.toLoanMinor, toMerchantMinor: split.toMerchantMinor, loanId: repaymentId ? live!.loan.id : null, repaymentId, createdAt: at })
      .returning();
    return { result: proceedsView(merchantRef, row!), created: true };
  });
}

