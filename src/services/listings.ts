import { and, asc, desc, eq, inArray, sql, type SQL } from 'drizzle-orm';
import type { AppContext } from '../context.js';
import { rows, type Queryable, type Tx } from '../db/client.js';
import { bids, claims, listings, merchants, orders, users, warehouseReceipts } from '../db/schema/index.js';
import type { OutboxJob, OutboxMessage } from '../db/schema/index.js';
import { computeBook, validateNewListing, withdrawListing, type ActiveBid } from '../domain/auction/index.js';
import { isoDateOfMs, type IsoDate } from '../domain/dates.js';
import type { Grade } from '../domain/grades.js';
import { AppError, rejectionError } from '../domain/errors.js';
import { LENDER_REASON_TEXTS, checkCollateralMatchesProduct, validateOrderCollateral, validateReceiptCollateral, type ListingCollateral, type MerchantOrder } from '../domain/rating/index.js';
import { previewSchedule, type RepaymentKind } from '../domain/servicing/index.js';
import { idFromSeed, newId } from '../ids.js';
import { lockAccounts, walletAccountId } from '../ledger/ledger.js';
import { applyBatch } from '../ledger/batch.js';
import { writeOutbox } from './outbox.js';
import { assertNotFrozen } from './accounts.js';
import { creditOf } from './rating.js';
import { firstMaturityAfter, listingClaims, pledgeClaims } from './claims.js';
import { endGuaranteeOfListing } from './guarantee-hooks.js';
import { guaranteesOfListings, guarantorFor, requestGuarantee, type ListingGuarantee } from './guarantees.js';
import { walletMessages } from './wallet.js';

export type ListingRow = typeof listings.$inferSelect;
export type BidRow = typeof bids.$inferSelect;

export const CLOSE_JOB = 'listing.close';
/** The autobid pass a listing's opening runs (docs/autobid.md), enqueued with the listing's creation. */
export const AUTOBID_JOB = 'listing.autobid';

export function autobidJob(listingId: string): OutboxJob {
  return { name: AUTOBID_JOB, id: `autobid-${listingId}`, data: { listingId } };
}

/** The close job of a listing at its current end: a new id each time the soft close moves the end. */
export function closeJob(listing: Pick<ListingRow, 'id' | 'endsAtVersion' | 'endsAt'>): OutboxJob {
  return { name: CLOSE_JOB, id: `close-${listing.id}-${listing.endsAtVersion}`, data: { listingId: listing.id }, runAtMs: listing.endsAt.getTime() };
}

/** The public face of a listing: no borrower identity beyond the merchant's display name. */
export function listingSummary(l: ListingRow, merchantName: string) {
  return {
    id: l.id,
    title: l.title,
    purpose: l.purpose,
    merchantName,
    // Written only from a rating or a core enterprise (both checked against GRADES).
    grade: l.grade as Grade,
    score: l.score,
    expectedLossBps: l.expectedLossBps,
    amountMinor: l.amountMinor,
    currency: 'CNY' as const,
    termMonths: l.termMonths,
    repayment: l.repayment,
    /** A claim-backed listing: the day its bullet loan matures, its core enterprise, and the borrower's own grade. */
    maturesOn: l.maturesOn,
    coreEnterpriseId: l.coreEnterpriseId,
    borrowerGrade: l.borrowerGrade as Grade | null,
    product: l.product,
    pricing: l.pricing,
    maxRateBps: l.maxRateBps,
    minFundingPct: l.minFundingPct,
    closeWhenFunded: l.closeWhenFunded,
    status: l.status,
    seq: l.seq,
    endsAt: l.endsAt.toISOString(),
    originalEndsAt: l.originalEndsAt.toISOString(),
    extended: l.endsAt.getTime() > l.originalEndsAt.getTime(),
    createdAt: l.createdAt.toISOString(),
    closedAt: l.closedAt?.toISOString() ?? null,
    coverageMinor: l.coverageMinor,
    fundedPct: l.fundedPct,
    currentRateBps: l.currentRateBps,
    bidCount: l.bidCount,
    loanId: l.loanId,
  };
}
export type ListingSummary = ReturnType<typeof listingSummary>;

export function activeBidOf(b: BidRow): ActiveBid {
  return { id: b.id, lenderId: b.lenderId, amountMinor: b.amountMinor, rateBps: b.rateBps, priority: b.priority };
}

export async function activeBids(q: Queryable, listingId: string): Promise<BidRow[]> {
  return q.select().from(bids).where(and(eq(bids.listingId, listingId), eq(bids.status, 'active')));
}

export async function merchantName(q: Queryable, merchantId: string): Promise<string> {
  const [m] = await q.select({ name: merchants.name }).from(merchants).where(eq(merchants.id, merchantId));
  return m?.name ?? '';
}

/** The `listings` channel message that keeps the market view current. */
export function marketUpdate(l: ListingRow, name: string, type: 'listing.created' | 'listing.updated'): OutboxMessage {
  return { channel: 'listings', type, data: listingSummary(l, name) };
}

export interface NewListingBody {
  title: string;
  purpose: string;
  amountMinor: number;
  termMonths?: number | undefined;
  maxRateBps: number;
  repayment?: string | undefined;
  maturesOn?: string | undefined;
  product: string;
  pricing?: string | undefined;
  minFundingPct?: number | undefined;
  closeWhenFunded?: boolean | undefined;
  durationSec?: number | undefined;
  collateral?: { orderIds: string[] } | { receiptId: string } | { claimIds: string[] } | undefined;
  /** A guarantor asked to stand behind the loan: the listing waits for it (docs/guarantees.md). */
  guarantee?: { guarantorId: string; coveragePct: number; feeBps: number } | undefined;
}

/**
 * A borrower lists a loan request (docs/market-rules.md §1): eligibility and one open listing at a time, the
 * credit line and the regulatory cap as of now, and its collateral pledged exclusively to it. A
 * claim-backed listing (docs/supply-chain.md §2) is lent on its core enterprise's credit: the borrower
 * needs KYC and room under the regulatory cap, not the months of history, grade or credit line of its own
 * rating, and the listing carries the core enterprise's grade.
 */
export async function createListing(ctx: AppContext, borrowerUserId: string, body: NewListingBody, idempotencyKey: string | null): Promise<ListingSummary> {
  const nowMs = ctx.clock.nowMs();
  const settings = ctx.settings.get();
  const id = idempotencyKey ? idFromSeed('lst', `listing:${borrowerUserId}:${idempotencyKey}`) : newId('lst', nowMs);
  return ctx.transaction(async (tx) => {
    const [existing] = await tx.select().from(listings).where(eq(listings.id, id));
    if (existing) return listingSummary(existing, await merchantName(tx, existing.merchantId));
    // One listing decision at a time per borrower.
    const [borrower] = await tx.select().from(users).where(eq(users.id, borrowerUserId)).for('update');
    if (!borrower?.merchantId) throw new AppError('MERCHANT_NOT_LINKED');
    assertNotFrozen(borrower);
    // The legal representative's identity is known before money can be raised: it is what refuses a
    // lender account of the same person (SELF_DEALING) on this listing.
    if (borrower.kycStatus !== 'verified') throw new AppError('KYC_REQUIRED', "verify your legal representative's identity (KYC) before listing");
    const merchantId = borrower.merchantId;
    const credit = await creditOf(tx, merchantId, settings);
    if (!credit) throw new AppError('NOT_RATED', 'your order system has not sent enough data to rate you yet');
    // A listing waiting for its guarantor counts as the borrower's one listing at a time.
    const [open] = await tx.select({ id: listings.id }).from(listings).where(and(eq(listings.borrowerUserId, borrowerUserId), inArray(listings.status, ['open', 'pending_guarantee'])));
    const onClaims = body.product === 'claim';
    if (onClaims && borrower.kycStatus !== 'verified') throw new AppError('KYC_REQUIRED', "a claim-backed listing needs your legal representative's KYC (PUT /api/v1/me/kyc)");
    const decided = validateNewListing({
      request: body,
      borrower: onClaims
        ? { eligible: true, hasOpenListing: open !== undefined }
        : { eligible: credit.eligibility.eligible, ...(credit.eligibility.eligible ? {} : { reason: credit.eligibility.text }), hasOpenListing: open !== undefined },
      // The grade line follows the borrower's own sales; a claim-backed loan is repaid by the core enterprise.
      creditLineLeftMinor: onClaims ? credit.line.capLeftMinor : credit.line.gradeLineLeftMinor,
      capLeftMinor: credit.line.capLeftMinor,
      nowMs,
      settings,
    });
    if (!decided.ok) throw rejectionError(decided);
    const terms = decided.terms;
    const guarantor = body.guarantee ? await guarantorFor(tx, body.guarantee) : null;
    const collateral = (body.collateral ?? null) as ListingCollateral | null;
    const mismatch = checkCollateralMatchesProduct(terms.product, collateral);
    if (mismatch) throw rejectionError(mismatch);
    let collateralValueMinor: number | null = null;
    let collateralLimitMinor: number | null = null;
    let receiptRowId: string | null = null;
    let onCore: { id: string; grade: Grade } | null = null;
    if (collateral && 'claimIds' in collateral) {
      const pledged = await pledgeClaims(tx, {
        merchantId,
        listingId: id,
        claimIds: collateral.claimIds,
        amountMinor: terms.amountMinor,
        maturesOn: terms.maturesOn!,
        firstMaturity: firstMaturityAfter(terms.originalEndsAtMs, settings),
        today: isoDateOfMs(nowMs),
        settings,
      });
      collateralValueMinor = pledged.valueMinor;
      collateralLimitMinor = pledged.limitMinor;
      onCore = { id: pledged.coreEnterpriseId, grade: pledged.grade };
    } else if (collateral && 'orderIds' in collateral) {
      const pledged = await pledgeOrders(tx, merchantId, id, collateral.orderIds, terms.amountMinor, credit.grade, nowMs, settings);
      collateralValueMinor = pledged.valueMinor;
      collateralLimitMinor = pledged.limitMinor;
    } else if (collateral && 'receiptId' in collateral) {
      const pledged = await pledgeReceipt(tx, merchantId, id, collateral.receiptId, terms.amountMinor, settings);
      collateralValueMinor = pledged.valueMinor;
      collateralLimitMinor = pledged.limitMinor;
      receiptRowId = pledged.receiptRowId;
    }
    const reasons = ((credit.rating.result as { reasons?: { code: string; text: string; textZh?: string }[] }).reasons ?? []).map((r) => ({ code: r.code, text: r.text, ...(r.textZh ? { textZh: r.textZh } : {}) }));
    const [row] = await tx
      .insert(listings)
      .values({
        id,
        borrowerUserId,
        merchantId,
        title: body.title,
        purpose: body.purpose,
        amountMinor: terms.amountMinor,
        termMonths: terms.termMonths,
        maxRateBps: terms.maxRateBps,
        repayment: terms.repayment,
        product: terms.product,
        pricing: terms.pricing,
        minFundingPct: terms.minFundingPct,
        closeWhenFunded: terms.closeWhenFunded,
        grade: onCore?.grade ?? credit.grade,
        score: credit.rating.score,
        expectedLossBps: onCore ? settings.expectedLossBps[onCore.grade] : credit.expectedLossBps,
        maturesOn: terms.maturesOn,
        coreEnterpriseId: onCore?.id ?? null,
        borrowerGrade: onCore ? credit.grade : null,
        ratingId: credit.rating.id,
        ratingReasons: reasons,
        status: guarantor ? 'pending_guarantee' : 'open',
        seq: 0,
        endsAt: new Date(terms.endsAtMs),
        originalEndsAt: new Date(terms.originalEndsAtMs),
        currentRateBps: terms.maxRateBps,
        collateralValueMinor,
        collateralLimitMinor,
        receiptId: receiptRowId,
        createdAt: new Date(nowMs),
      })
      .returning();
    const name = await merchantName(tx, merchantId);
    if (guarantor) {
      // Not in the market yet: it opens, with its close job, when the guarantor accepts.
      const request = await requestGuarantee(tx, row!, guarantor, body.guarantee!, nowMs);
      await writeOutbox(tx, { messages: [{ channel: `user:${guarantor.userId}`, type: 'guarantee.requested', data: { guaranteeId: request.id, listingId: id, merchantName: name, amountMinor: row!.amountMinor, coveragePct: request.coveragePct, feeBps: request.feeBps, currency: 'CNY' } }] });
      return listingSummary(row!, name);
    }
    await writeOutbox(tx, { messages: [marketUpdate(row!, name, 'listing.created')], jobs: [autobidJob(row!.id), closeJob(row!)] });
    return listingSummary(row!, name);
  });
}

async function pledgeOrders(tx: Tx, merchantId: string, listingId: string, orderIds: readonly string[], amountMinor: number, grade: Parameters<typeof validateOrderCollateral>[0]['grade'], nowMs: number, settings: ReturnType<AppContext['settings']['get']>) {
  // Lock the orders: two listings cannot pledge the same order, whatever the concurrency.
  const locked = await tx
    .select()
    .from(orders)
    .where(and(eq(orders.merchantId, merchantId), inArray(orders.orderId, [...orderIds])))
    .orderBy(orders.orderId)
    .for('update');
  const merchantOrders: MerchantOrder[] = locked.map((o) => ({ orderId: o.orderId, amountMinor: o.amountMinor, status: o.status, placedAt: isoDateOfMs(o.placedAt.getTime()) }));
  const pledged = locked.filter((o) => o.pledgedListingId !== null).map((o) => o.orderId);
  const checked = validateOrderCollateral({ amountMinor, grade, orderIds, merchantOrders, pledgedOrderIds: pledged, asOf: isoDateOfMs(nowMs), settings });
  if (!checked.ok) throw rejectionError(checked);
  const updated = await tx
    .update(orders)
    .set({ pledgedListingId: listingId, updatedAt: new Date() })
    .where(and(eq(orders.merchantId, merchantId), inArray(orders.orderId, [...orderIds]), sql`${orders.pledgedListingId} is null`))
    .returning({ orderId: orders.orderId });
  if (updated.length !== orderIds.length) throw new AppError('COLLATERAL_PLEDGED', 'an order was pledged concurrently');
  return checked;
}

async function pledgeReceipt(tx: Tx, merchantId: string, listingId: string, receiptId: string, amountMinor: number, settings: ReturnType<AppContext['settings']['get']>) {
  const [receipt] = await tx
    .select()
    .from(warehouseReceipts)
    .where(and(eq(warehouseReceipts.merchantId, merchantId), eq(warehouseReceipts.receiptId, receiptId)))
    .for('update');
  const checked = validateReceiptCollateral({
    amountMinor,
    receipt: receipt && receipt.releasedAt === null ? { receiptId: receipt.receiptId, valueMinor: receipt.valueMinor } : null,
    pledged: receipt?.pledgedListingId != null,
    settings,
  });
  if (!checked.ok) throw rejectionError(checked);
  await tx.update(warehouseReceipts).set({ pledgedListingId: listingId }).where(eq(warehouseReceipts.id, receipt!.id));
  return { ...checked, receiptRowId: receipt!.id };
}

/** A listing that ends without a loan gives its collateral back. */
export async function releaseCollateral(tx: Queryable, listingId: string): Promise<void> {
  await tx.update(orders).set({ pledgedListingId: null, updatedAt: new Date() }).where(eq(orders.pledgedListingId, listingId));
  await tx.update(warehouseReceipts).set({ pledgedListingId: null }).where(eq(warehouseReceipts.pledgedListingId, listingId));
  await tx.update(claims).set({ pledgedListingId: null }).where(eq(claims.pledgedListingId, listingId));
}

export async function lockListing(tx: Queryable, listingId: string): Promise<ListingRow | undefined> {
  const [row] = await tx.select().from(listings).where(eq(listings.id, listingId)).for('update');
  return row;
}

/** The borrower withdraws its open listing: every hold is released at once. */
export async function withdraw(ctx: AppContext, borrowerUserId: string, listingId: string): Promise<ListingSummary> {
  const nowMs = ctx.clock.nowMs();
  const at = new Date(nowMs);
  return ctx.transaction(async (tx) => {
    const listing = await lockListing(tx, listingId);
    if (!listing || listing.borrowerUserId !== borrowerUserId) throw new AppError('NOT_FOUND', 'no such listing of yours');
    const active = await activeBids(tx, listingId);
    const result = withdrawListing({ id: listing.id, status: listing.status, endsAtMs: listing.endsAt.getTime(), seq: listing.seq }, active.map(activeBidOf), nowMs);
    if (!result.ok) throw rejectionError(result);
    await lockAccounts(tx, [...active.map((b) => walletAccountId(b.lenderId)), walletAccountId(listing.borrowerUserId)]);
    await applyBatch(
      tx,
      [],
      active.map((b) => ({
        id: `xfr_rel_${b.id}`,
        hold: { id: b.holdId, debitAccountId: walletAccountId(b.lenderId), creditAccountId: walletAccountId(listing.borrowerUserId), amountMinor: b.amountMinor, kind: 'bid_hold', reference: b.id },
        phase: 'void' as const,
        amountMinor: 0,
        kind: 'bid_release',
      })),
      at,
    );
    if (active.length) await tx.update(bids).set({ status: 'released', updatedAt: at }).where(inArray(bids.id, active.map((b) => b.id)));
    const [row] = await tx
      .update(listings)
      .set({ status: 'withdrawn', seq: result.seq, closedAt: at })
      .where(eq(listings.id, listingId))
      .returning();
    await releaseCollateral(tx, listingId);
    await endGuaranteeOfListing(tx, listingId, at);
    const name = await merchantName(tx, listing.merchantId);
    const messages: OutboxMessage[] = [
      ...result.events.map((e) => ({ channel: `listing:${listingId}`, type: e.type, seq: e.seq, data: e.data })),
      marketUpdate(row!, name, 'listing.updated'),
      ...active.map((b) => ({ channel: `user:${b.lenderId}`, type: 'bid.released', data: { listingId, bidId: b.id, releasedMinor: b.amountMinor, reason: 'withdrawn' } })),
    ];
    messages.push(...(await walletMessages(tx, active.map((b) => b.lenderId), 'bid.released')));
    await writeOutbox(tx, { messages });
    return listingSummary(row!, name);
  });
}

/**
 * The bids a listing's book shows: the active ones while it is open; once closed, the book as it stood at
 * the close (the bids filled or released then; outbid ones had left it before), so a cleared listing
 * with twelve bids never reads "no bids".
 */
async function bookBids(q: Queryable, l: ListingRow): Promise<BidRow[]> {
  if (l.status === 'open') return activeBids(q, l.id);
  return q.select().from(bids).where(and(eq(bids.listingId, l.id), inArray(bids.status, ['filled', 'released'])));
}

/** The listing's last events, newest first, rebuilt from its bids (the snapshot's activity feed). */
async function recentEvents(q: Queryable, l: ListingRow, limit = 20) {
  const found = await q.select().from(bids).where(eq(bids.listingId, l.id)).orderBy(desc(bids.updatedAt)).limit(limit);
  const events: { type: string; at: string; amountMinor?: number; rateBps?: number; bidId?: string }[] = [];
  for (const b of found) {
    events.push({ type: 'bid.accepted', at: b.createdAt.toISOString(), amountMinor: b.amountMinor, rateBps: b.rateBps, bidId: b.id });
    if (b.status === 'outbid') events.push({ type: 'bid.outbid', at: b.updatedAt.toISOString(), amountMinor: b.amountMinor, rateBps: b.rateBps, bidId: b.id });
  }
  if (l.closedAt && l.status !== 'open') events.push({ type: `listing.${l.status}`, at: l.closedAt.toISOString(), rateBps: l.currentRateBps });
  return events.sort((a, b) => (a.at < b.at ? 1 : a.at > b.at ? -1 : 0)).slice(0, limit);
}

/** A listing's guarantee as lenders see it: absent when it has none. */
function guaranteeOf(g: ListingGuarantee | undefined) {
  return g ? { guarantee: g } : {};
}

/** Reads: the anonymised book by rate level, with the schedule a lender would get at the current rate. */
export async function listingDetail(q: Queryable, listingId: string, day: IsoDate = isoDateOfMs(Date.now())) {
  const [l] = await q.select().from(listings).where(eq(listings.id, listingId));
  if (!l) throw new AppError('NOT_FOUND', 'no such listing');
  const name = await merchantName(q, l.merchantId);
  const shown = await bookBids(q, l);
  const book = computeBook(l, shown.map(activeBidOf));
  // A cleared book shows what each bid actually lent.
  const filled = new Map(l.status === 'cleared' ? shown.map((b) => [b.id, b.fillMinor]) : []);
  const sourceOf = new Map(shown.map((b) => [b.id, b.source]));
  const collateral = await collateralOf(q, l);
  const guarantee = (await guaranteesOfListings(q, [l.id], day)).get(l.id);
  const previewOn = isoDateOfMs(l.status === 'open' ? l.endsAt.getTime() : (l.closedAt ?? l.endsAt).getTime());
  return {
    ...listingSummary(l, name),
    book: book.bookLevels.map((lv) => ({ rateBps: lv.rateBps, amountMinor: lv.amountMinor, bidCount: lv.bidCount })),
    bids: book.entries.map((e) => ({ bidId: e.id, amountMinor: e.amountMinor, rateBps: e.rateBps, priority: e.priority, fillMinor: filled.get(e.id) ?? e.fillMinor, source: sourceOf.get(e.id) ?? 'manual' })),
    recentEvents: await recentEvents(q, l),
    requiredCoverageMinor: Math.ceil((l.amountMinor * l.minFundingPct) / 100),
    // Written for the people reading the listing (lenders), not to the borrower.
    ratingReasons: (l.ratingReasons as { code: string; text: string; textZh?: string }[]).map((r) => ({ ...r, ...(LENDER_REASON_TEXTS[r.code as keyof typeof LENDER_REASON_TEXTS] ?? {}) })),
    collateral,
    ...guaranteeOf(guarantee),
    // A claim-backed listing carries its claims at the top too: each with its chain and its debtor's grade.
    ...(collateral.kind === 'claims' ? { claims: collateral.claims.map((c) => ({ ...c, coreEnterprise: collateral.coreEnterprise })) } : {}),
    schedulePreview: schedulePreviewOf(l, previewOn),
  };
}

/**
 * The schedule a lender would get at the current rate if the loan were disbursed on `on`. A claim-backed
 * listing's bullet cannot be disbursed on or after its maturity: its preview is then empty.
 */
function schedulePreviewOf(l: ListingRow, on: IsoDate) {
  if (l.maturesOn !== null && on >= l.maturesOn) return [];
  return previewSchedule({ principalMinor: l.amountMinor, rateBps: l.currentRateBps, termMonths: l.termMonths, repayment: l.repayment as RepaymentKind, disbursedOn: on, maturesOn: l.maturesOn });
}

async function collateralOf(q: Queryable, l: ListingRow) {
  if (l.product === 'claim') {
    const pledged = (await listingClaims(q, l))!;
    return { ...pledged, borrowerGrade: l.borrowerGrade as Grade | null };
  }
  if (l.product === 'order') {
    const pledged = await rows<{ order_id: string; amount_minor: number; status: string; placed_at: Date | string }>(
      q,
      sql`select order_id, amount_minor, status, placed_at from orders where pledged_listing_id = ${l.id} order by order_id`,
    );
    return {
      kind: 'orders' as const,
      valueMinor: l.collateralValueMinor,
      limitMinor: l.collateralLimitMinor,
      orders: pledged.map((o) => ({ orderId: o.order_id, amountMinor: Number(o.amount_minor), status: o.status, placedAt: new Date(o.placed_at).toISOString(), impaired: o.status === 'refunded' || o.status === 'disputed' })),
    };
  }
  if (l.product === 'warehouse_receipt' && l.receiptId) {
    const [r] = await q.select().from(warehouseReceipts).where(eq(warehouseReceipts.id, l.receiptId));
    return { kind: 'warehouse_receipt' as const, valueMinor: l.collateralValueMinor, limitMinor: l.collateralLimitMinor, receipt: r ? { receiptId: r.receiptId, goods: r.goods, quantity: r.quantity, valueMinor: r.valueMinor } : null };
  }
  return { kind: 'none' as const };
}

export interface ListingQuery {
  status?: string | undefined;
  grade?: string | undefined;
  termMonths?: number | undefined;
  product?: string | undefined;
  /** The current rate within [min, max] (bps), the amount within [min, max] (minor units). */
  minRateBps?: number | undefined;
  maxRateBps?: number | undefined;
  minAmountMinor?: number | undefined;
  maxAmountMinor?: number | undefined;
  sort?: 'endsAt' | 'rate' | 'fundedPct' | 'createdAt' | undefined;
  limit: number;
  cursor?: string | undefined;
}

const SORTS = {
  endsAt: { column: listings.endsAt, dir: 'asc', value: (l: ListingRow) => l.endsAt.toISOString() },
  createdAt: { column: listings.createdAt, dir: 'desc', value: (l: ListingRow) => l.createdAt.toISOString() },
  rate: { column: listings.currentRateBps, dir: 'desc', value: (l: ListingRow) => l.currentRateBps },
  fundedPct: { column: listings.fundedPct, dir: 'desc', value: (l: ListingRow) => l.fundedPct },
} as const;

function badCursor(): AppError {
  return new AppError('VALIDATION_FAILED', 'querystring/cursor is not a cursor of this list', { errors: [{ field: 'querystring/cursor', message: 'is not a cursor of this list' }] });
}

/** The market list: filters, a sort, and keyset pagination (the cursor carries the sort key and id). */
export async function listListings(q: Queryable, query: ListingQuery, day: IsoDate = isoDateOfMs(Date.now())) {
  const sort = SORTS[query.sort ?? 'endsAt'];
  const conditions: SQL[] = [];
  if (query.status) conditions.push(sql`${listings.status} = ${query.status}`);
  if (query.grade) conditions.push(sql`${listings.grade} = ${query.grade}`);
  if (query.termMonths !== undefined) conditions.push(sql`${listings.termMonths} = ${query.termMonths}`);
  if (query.product) conditions.push(sql`${listings.product} = ${query.product}`);
  if (query.minRateBps !== undefined) conditions.push(sql`${listings.currentRateBps} >= ${query.minRateBps}`);
  if (query.maxRateBps !== undefined) conditions.push(sql`${listings.currentRateBps} <= ${query.maxRateBps}`);
  if (query.minAmountMinor !== undefined) conditions.push(sql`${listings.amountMinor} >= ${query.minAmountMinor}`);
  if (query.maxAmountMinor !== undefined) conditions.push(sql`${listings.amountMinor} <= ${query.maxAmountMinor}`);
  if (query.cursor) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(Buffer.from(query.cursor, 'base64url').toString('utf8'));
    } catch {
      throw badCursor();
    }
    if (!Array.isArray(parsed) || parsed.length !== 2 || typeof parsed[1] !== 'string') throw badCursor();
    const [v, id] = parsed as [unknown, string];
    const isTime = sort.column === listings.endsAt || sort.column === listings.createdAt;
    if (isTime ? typeof v !== 'string' || Number.isNaN(Date.parse(v)) : !Number.isSafeInteger(v)) throw badCursor();
    const value = isTime ? sql`${v as string}::timestamptz` : sql`${v as number}`;
    conditions.push(sort.dir === 'asc' ? sql`(${sort.column}, ${listings.id}) > (${value}, ${id})` : sql`(${sort.column}, ${listings.id}) < (${value}, ${id})`);
  }
  const found = await q
    .select({ listing: listings, name: merchants.name })
    .from(listings)
    .innerJoin(merchants, eq(merchants.id, listings.merchantId))
    .where(conditions.length ? and(...conditions) : undefined)
    .orderBy(sort.dir === 'asc' ? asc(sort.column) : desc(sort.column), sort.dir === 'asc' ? asc(listings.id) : desc(listings.id))
    .limit(query.limit + 1);
  const page = found.slice(0, query.limit);
  const last = page[page.length - 1];
  const guaranteed = await guaranteesOfListings(q, page.map((p) => p.listing.id), day);
  return {
    items: page.map((p) => ({ ...listingSummary(p.listing, p.name), ...guaranteeOf(guaranteed.get(p.listing.id)) })),
    nextCursor: found.length > query.limit && last ? Buffer.from(JSON.stringify([sort.value(last.listing), last.listing.id])).toString('base64url') : null,
  };
}
