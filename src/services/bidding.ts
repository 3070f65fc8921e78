import { and, eq, inArray } from 'drizzle-orm';
import type { AppContext } from '../context.js';
import type { Queryable, Tx } from '../db/client.js';
import { bids, listings, users, type OutboxJob, type OutboxMessage } from '../db/schema/index.js';
import { amendBid as amendDecision, placeBid as placeDecision, type Book, type ListingEvent, type LenderNotification } from '../domain/auction/index.js';
import { AppError, type ErrorCode } from '../domain/errors.js';
import { isGrade } from '../domain/grades.js';
import { idFromSeed, newId } from '../ids.js';
import { balances, hold, lockAccounts, voidHold, walletAccountId } from '../ledger/ledger.js';
import { clearLockedListing } from './clearing.js';
import { activeBidOf, activeBids, closeJob, lockListing, marketUpdate, merchantName, type BidRow, type ListingRow } from './listings.js';
import { writeOutbox } from './outbox.js';
import { walletChanged } from './wallet.js';

export type BidStatus = 'winning' | 'outbid' | 'filled' | 'released';

export interface BidView {
  id: string;
  listingId: string;
  amountMinor: number;
  requestedAmountMinor: number;
  rateBps: number;
  fillMinor: number;
  status: BidStatus;
  priority: number;
  currency: 'CNY';
  createdAt: string;
  updatedAt: string;
}

/** A bid as its lender sees it; an active bid shows what it would fill if the listing cleared now. */
export function bidView(b: BidRow, book?: Book): BidView {
  const liveFill = b.status === 'active' ? (book?.entries.find((e) => e.id === b.id)?.fillMinor ?? 0) : b.fillMinor;
  return {
    id: b.id,
    listingId: b.listingId,
    amountMinor: b.amountMinor,
    requestedAmountMinor: b.requestedAmountMinor,
    rateBps: b.rateBps,
    fillMinor: liveFill,
    status: b.status === 'active' ? 'winning' : b.status,
    priority: b.priority,
    currency: 'CNY',
    createdAt: b.createdAt.toISOString(),
    updatedAt: b.updatedAt.toISOString(),
  };
}

export interface BidRequest {
  lenderId: string;
  amountMinor: number;
  rateBps: number;
  /** The client's id for this request (Idempotency-Key or WebSocket ref): one bid per lender and ref. */
  clientRef: string | null;
}

export type BidOutcome = { ok: true; bid: BidView; replayed: boolean } | { ok: false; code: ErrorCode; detail: string };

/** Writes of one command, gathered while the domain decides and applied together. */
interface Effects {
  messages: OutboxMessage[];
  jobs: OutboxJob[];
  walletsChanged: Set<string>;
}

function listingEventMessages(listingId: string, events: readonly ListingEvent[]): OutboxMessage[] {
  return events.map((e) => ({ channel: `listing:${listingId}`, type: e.type, seq: e.seq, data: e.type === 'listing.extended' ? { endsAt: new Date(e.data.endsAtMs).toISOString(), previousEndsAt: new Date(e.data.previousEndsAtMs).toISOString() } : e.data }));
}

function notifyMessages(listingId: string, notify: readonly LenderNotification[]): OutboxMessage[] {
  return notify.map((n) => ({ channel: `user:${n.userId}`, type: n.type, data: { ...n.data, listingId } }));
}

/**
 * Places bids on one listing in one transaction, in the order given (AUCTION.md §2–3): lock the listing,
 * then the bidders' wallets in id order; decide each bid with the pure core against the book as the
 * earlier ones left it; hold each accepted bid, release every bid it outbid, move the listing's seq and
 * end; write the events to the outbox. A rejected bid changes nothing; the others still go through.
 */
export async function placeBids(ctx: AppContext, listingId: string, requests: readonly BidRequest[]): Promise<BidOutcome[]> {
  const nowMs = ctx.clock.nowMs();
  const settings = ctx.settings.get();
  return ctx.transaction(async (tx) => {
    const listing = await lockListing(tx, listingId);
    if (!listing) return requests.map(() => ({ ok: false as const, code: 'NOT_FOUND' as const, detail: 'no such listing' }));
    const lenderIds = [...new Set(requests.map((r) => r.lenderId))];
    await lockAccounts(tx, lenderIds.map(walletAccountId));
    const available = new Map([...(await balances(tx, lenderIds.map(walletAccountId))).values()].map((b) => [b.id, b.availableMinor]));
    const lenderRows = await tx.select().from(users).where(inArray(users.id, lenderIds));
    // The borrower's representative, if verified: a lender account of the same person is self-dealing.
    const [borrower] = await tx.select({ idNumberHash: users.idNumberHash }).from(users).where(eq(users.id, listing.borrowerUserId));
    const lenders = new Map(lenderRows.map((u) => [u.id, u]));
    const replays = await priorBids(tx, requests);
    let state = listing;
    let active = (await activeBids(tx, listingId)).map(activeBidOf);
    const effects: Effects = { messages: [], jobs: [], walletsChanged: new Set() };
    const outcomes: BidOutcome[] = [];
    const created: BidRow[] = [];
    let cleared = false;
    for (const request of requests) {
      const prior = request.clientRef ? replays.get(`${request.lenderId}\n${request.clientRef}`) : undefined;
      if (prior) {
        if (prior.listingId !== listingId || prior.requestedAmountMinor !== request.amountMinor) {
          outcomes.push({ ok: false, code: 'IDEMPOTENCY_KEY_REUSED', detail: 'this request id was used for another bid' });
        } else {
          outcomes.push({ ok: true, bid: bidView(prior), replayed: true });
        }
        continue;
      }
      const lender = lenders.get(request.lenderId);
      if (!lender || lender.role !== 'lender') {
        outcomes.push({ ok: false, code: 'FORBIDDEN', detail: 'only lenders bid' });
        continue;
      }
      assertGrade(state.grade);
      const bidId = request.clientRef ? idFromSeed('bid', `bid:${request.lenderId}:${request.clientRef}`) : newId('bid', nowMs);
      const decision = placeDecision({
        listing: auctionListing(state),
        activeBids: active,
        lender: {
          userId: lender.id,
          kycComplete: lender.kycStatus === 'verified',
          riskProfile: lender.riskProfile,
          isBorrower: borrower?.idNumberHash != null && borrower.idNumberHash === lender.idNumberHash,
        },
        bid: { amountMinor: request.amountMinor, rateBps: request.rateBps },
        newBidId: bidId,
        availableMinor: available.get(walletAccountId(lender.id)) ?? 0,
        nowMs,
        settings,
      });
      if (!decision.ok) {
        outcomes.push({ ok: false, code: decision.code, detail: decision.detail });
        continue;
      }
      const at = new Date(nowMs);
      const holdId = `xfr_hold_${bidId}`;
      await hold(tx, { id: holdId, debitAccountId: walletAccountId(lender.id), creditAccountId: walletAccountId(state.borrowerUserId), amountMinor: decision.holdMinor, kind: 'bid_hold', reference: bidId, at });
      available.set(walletAccountId(lender.id), (available.get(walletAccountId(lender.id)) ?? 0) - decision.holdMinor);
      const [row] = await tx
        .insert(bids)
        .values({
          id: bidId,
          listingId,
          lenderId: lender.id,
          amountMinor: decision.bid.amountMinor,
          requestedAmountMinor: decision.requestedAmountMinor,
          rateBps: decision.bid.rateBps,
          priority: decision.bid.priority,
          status: 'active',
          holdId,
          clientRef: request.clientRef,
          createdAt: at,
          updatedAt: at,
        })
        .returning();
      created.push(row!);
      await releaseOutbid(tx, decision.outbid.map((o) => o.bidId), at, effects, available);
      effects.walletsChanged.add(lender.id);
      effects.messages.push(...listingEventMessages(listingId, decision.events), ...notifyMessages(listingId, decision.notify));
      const extended = decision.endsAtMs !== state.endsAt.getTime();
      state = {
        ...state,
        seq: decision.seq,
        endsAt: new Date(decision.endsAtMs),
        endsAtVersion: extended ? state.endsAtVersion + 1 : state.endsAtVersion,
        coverageMinor: decision.book.coverageMinor,
        currentRateBps: decision.book.currentRateBps,
        fundedPct: decision.book.fundedPct,
        bidCount: decision.book.bidCount,
      };
      if (extended) effects.jobs.push(closeJob(state));
      active = decision.book.entries.map(({ id, lenderId, amountMinor, rateBps, priority }) => ({ id, lenderId, amountMinor, rateBps, priority }));
      outcomes.push({ ok: true, bid: bidView(row!, decision.book), replayed: false });
      if (decision.closeNow) {
        cleared = true;
        await persistListing(tx, state);
        await clearLockedListing(ctx, tx, state, nowMs, effects.messages);
        // The rest of the batch meets a cleared listing.
        state = (await lockListing(tx, listingId))!;
        active = [];
      }
    }
    if (!cleared) await persistListing(tx, state);
    if (created.length || cleared) {
      const name = await merchantName(tx, state.merchantId);
      effects.messages.push(marketUpdate(state, name, 'listing.updated'));
    }
    await writeOutbox(tx, { messages: effects.messages, jobs: effects.jobs });
    for (const userId of effects.walletsChanged) await walletChanged(tx, userId, 'bid');
    if (cleared) {
      // Bids of this batch were filled or released by the clearing: report their final state.
      const finals = await tx.select().from(bids).where(inArray(bids.id, created.map((c) => c.id)));
      const byId = new Map(finals.map((b) => [b.id, b]));
      return outcomes.map((o) => (o.ok && !o.replayed && byId.has(o.bid.id) ? { ...o, bid: bidView(byId.get(o.bid.id)!) } : o));
    }
    return outcomes;
  });
}

function assertGrade(grade: string): asserts grade is import('../domain/grades.js').Grade {
  if (!isGrade(grade)) throw new Error(`listing has an unknown grade ${grade}`);
}

function auctionListing(l: ListingRow) {
  assertGrade(l.grade);
  return {
    id: l.id,
    status: l.status,
    endsAtMs: l.endsAt.getTime(),
    originalEndsAtMs: l.originalEndsAt.getTime(),
    amountMinor: l.amountMinor,
    maxRateBps: l.maxRateBps,
    pricing: l.pricing,
    closeWhenFunded: l.closeWhenFunded,
    grade: l.grade,
    borrowerUserId: l.borrowerUserId,
    seq: l.seq,
  };
}

async function persistListing(tx: Tx, l: ListingRow): Promise<void> {
  await tx
    .update(listings)
    .set({ seq: l.seq, endsAt: l.endsAt, endsAtVersion: l.endsAtVersion, coverageMinor: l.coverageMinor, currentRateBps: l.currentRateBps, fundedPct: l.fundedPct, bidCount: l.bidCount })
    .where(eq(listings.id, l.id));
}

/** Bids already made for these client refs (a retried request gets its first answer). */
async function priorBids(q: Queryable, requests: readonly BidRequest[]): Promise<Map<string, BidRow>> {
  const withRef = requests.filter((r) => r.clientRef);
  if (withRef.length === 0) return new Map();
  const found = await q
    .select()
    .from(bids)
    .where(and(inArray(bids.lenderId, [...new Set(withRef.map((r) => r.lenderId))]), inArray(bids.clientRef, withRef.map((r) => r.clientRef!))));
  return new Map(found.map((b) => [`${b.lenderId}\n${b.clientRef}`, b]));
}

/** An outbid bid leaves the book: its hold is released in the same transaction that outbid it. */
async function releaseOutbid(tx: Tx, bidIds: readonly string[], at: Date, effects: Effects, available: Map<string, number>): Promise<void> {
  if (bidIds.length === 0) return;
  const outbid = await tx.select().from(bids).where(inArray(bids.id, [...bidIds]));
  await lockAccounts(tx, outbid.map((b) => walletAccountId(b.lenderId)));
  for (const b of outbid) {
    await voidHold(tx, { id: `xfr_rel_${b.id}`, holdId: b.holdId, at, kind: 'bid_release' });
    const w = walletAccountId(b.lenderId);
    if (available.has(w)) available.set(w, available.get(w)! + b.amountMinor);
    effects.walletsChanged.add(b.lenderId);
  }
  await tx.update(bids).set({ status: 'outbid', updatedAt: at }).where(inArray(bids.id, [...bidIds]));
}

/** Lowers a bid's rate (the only change a firm bid allows); it takes a new priority. */
export async function amendBid(ctx: AppContext, lenderId: string, bidId: string, rateBps: number): Promise<BidView> {
  const nowMs = ctx.clock.nowMs();
  const settings = ctx.settings.get();
  return ctx.transaction(async (tx) => {
    const [owned] = await tx.select().from(bids).where(eq(bids.id, bidId));
    if (!owned || owned.lenderId !== lenderId) throw new AppError('NOT_FOUND', 'no such bid of yours');
    const listing = await lockListing(tx, owned.listingId);
    const active = (await activeBids(tx, owned.listingId)).map(activeBidOf);
    const decision = amendDecision({ listing: auctionListing(listing!), activeBids: active, bidId, rateBps, nowMs, settings });
    if (!decision.ok) throw new AppError(decision.code, decision.detail);
    const at = new Date(nowMs);
    const effects: Effects = { messages: [], jobs: [], walletsChanged: new Set() };
    const [updated] = await tx.update(bids).set({ rateBps: decision.bid.rateBps, priority: decision.bid.priority, updatedAt: at }).where(eq(bids.id, bidId)).returning();
    await releaseOutbid(tx, decision.outbid.map((o) => o.bidId), at, effects, new Map());
    effects.messages.push(...listingEventMessages(owned.listingId, decision.events), ...notifyMessages(owned.listingId, decision.notify));
    const extended = decision.endsAtMs !== listing!.endsAt.getTime();
    const state: ListingRow = {
      ...listing!,
      seq: decision.seq,
      endsAt: new Date(decision.endsAtMs),
      endsAtVersion: extended ? listing!.endsAtVersion + 1 : listing!.endsAtVersion,
      coverageMinor: decision.book.coverageMinor,
      currentRateBps: decision.book.currentRateBps,
      fundedPct: decision.book.fundedPct,
      bidCount: decision.book.bidCount,
    };
    if (extended) effects.jobs.push(closeJob(state));
    await persistListing(tx, state);
    effects.messages.push(marketUpdate(state, await merchantName(tx, state.merchantId), 'listing.updated'));
    await writeOutbox(tx, effects);
    for (const userId of effects.walletsChanged) await walletChanged(tx, userId, 'bid');
    return bidView(updated!, decision.book);
  });
}

/** Places one bid and throws its rejection: the HTTP and WebSocket paths share this. */
export async function placeBid(ctx: AppContext, listingId: string, request: BidRequest): Promise<{ bid: BidView; replayed: boolean }> {
  const [outcome] = await placeBids(ctx, listingId, [request]);
  if (!outcome!.ok) throw new AppError(outcome!.code, outcome!.detail);
  return { bid: outcome!.bid, replayed: outcome!.replayed };
}
