import { and, eq, inArray } from 'drizzle-orm';
import type { AppContext } from '../context.js';
import type { Queryable, Tx } from '../db/client.js';
import { bids, listings, users, type OutboxJob, type OutboxMessage } from '../db/schema/index.js';
import { amendBid as amendDecision, bidStanding, placeBid as placeDecision, type ActiveBid, type BidStanding, type Book, type ListingEvent, type LenderNotification } from '../domain/auction/index.js';
import { AppError, rejectionError, type ErrorCode, type RejectionFigures } from '../domain/errors.js';
import { isGrade } from '../domain/grades.js';
import { idFromSeed, newId } from '../ids.js';
import { balances, lockAccounts, walletAccountId } from '../ledger/ledger.js';
import { applyBatch, type KnownHold, type NewTransfer, type Resolution } from '../ledger/batch.js';
import { clearLockedListing } from './clearing.js';
import { requireNotFrozen } from './accounts.js';
import { activeBidOf, activeBids, closeJob, lockListing, marketUpdate, merchantName, type BidRow, type ListingRow } from './listings.js';
import { writeOutbox } from './outbox.js';
import { walletMessages } from './wallet.js';

export type BidStatus = 'winning' | 'outbid' | 'filled' | 'released';

export interface BidView {
  id: string;
  listingId: string;
  amountMinor: number;
  requestedAmountMinor: number;
  rateBps: number;
  fillMinor: number;
  status: BidStatus;
  /** The label every page shows (docs/market-rules.md §3): winning in part, filled in part, … */
  standing: BidStanding;
  priority: number;
  /** Placed by the lender, or by its standing order (docs/autobid.md). */
  source: 'manual' | 'autobid';
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
    standing: bidStanding(b.status, b.amountMinor, liveFill),
    priority: b.priority,
    source: b.source,
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
  /** Set by autobid (docs/autobid.md); a bid is manual otherwise. */
  source?: 'manual' | 'autobid';
}

export type BidOutcome = { ok: true; bid: BidView; replayed: boolean } | { ok: false; code: ErrorCode; detail: string; extra?: RejectionFigures };

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
 * Places bids on one listing in one transaction, in the order given (docs/market-rules.md §2–3): lock the listing,
 * then the bidders' wallets in id order; decide each bid with the pure core against the book as the
 * earlier ones left it; then write everything at once — the holds of the accepted bids and the releases
 * of the bids they outbid in one set-based ledger batch, the bids in one insert, the listing once, the
 * events in one outbox row. A rejected bid changes nothing; the others still go through. Callers send one
 * bid or, under load, the bids that arrived together (group commit, see BidQueue).
 */
export async function placeBids(ctx: AppContext, listingId: string, requests: readonly BidRequest[]): Promise<BidOutcome[]> {
  const nowMs = ctx.clock.nowMs();
  const { outcomes, afterCommit } = await ctx.transaction((tx) => placeBidsInTransaction(ctx, tx, listingId, requests, nowMs));
  afterCommit();
  return outcomes;
}

/**
 * The body of placeBids inside the caller's transaction (autobid writes a listing's pass with its bids
 * in one): takes the listing lock, then the wallets in id order, decides and writes. `afterCommit` is
 * what may run only once the caller's transaction has committed.
 */
export async function placeBidsInTransaction(ctx: AppContext, tx: Tx, listingId: string, requests: readonly BidRequest[], nowMs: number): Promise<{ outcomes: BidOutcome[]; afterCommit: () => void }> {
  const at = new Date(nowMs);
  const settings = ctx.settings.get();
  const cache = activeCacheOf(ctx);
  const { outcomes, active: after } = await (async (): Promise<{ outcomes: BidOutcome[]; active: ActiveSnapshot | null }> => {
    const listing = await lockListing(tx, listingId);
    if (!listing) return { outcomes: requests.map((): BidOutcome => ({ ok: false, code: 'NOT_FOUND', detail: 'no such listing' })), active: null };
    const lenderIds = [...new Set(requests.map((r) => r.lenderId))];
    await lockAccounts(tx, lenderIds.map(walletAccountId));
    const available = new Map([...(await balances(tx, lenderIds.map(walletAccountId))).values()].map((b) => [b.id, b.availableMinor]));
    const lenderRows = await tx.select().from(users).where(inArray(users.id, lenderIds));
    const lenders = new Map(lenderRows.map((u) => [u.id, u]));
    // The borrower's representative, if verified: a lender account of the same person is self-dealing.
    const [borrower] = await tx.select({ idNumberHash: users.idNumberHash }).from(users).where(eq(users.id, listing.borrowerUserId));
    const replays = await priorBids(tx, requests);
    // The active bids as this node last committed them, if no one has changed the listing since (same seq).
    const cached = cache.get(listingId);
    const existing = cached && cached.seq === listing.seq ? cached.rows : await activeBids(tx, listingId);
    const activeRows = new Map(existing.map((b) => [b.id, b]));
    const holdsById = new Map<string, KnownHold>(existing.map((b) => [b.id, holdOf(b, listing.borrowerUserId)]));
    let active: readonly ActiveBid[] = existing.map(activeBidOf);
    let book: Book | undefined;
    let state = listing;
    const pending = newPendingWrites();
    const outcomes: BidOutcome[] = [];
    let cleared = false;
    for (const request of requests) {
      const prior = request.clientRef ? replays.get(`${request.lenderId}\n${request.clientRef}`) : undefined;
      if (prior) {
        const same = prior.listingId === listingId && prior.requestedAmountMinor === request.amountMinor;
        outcomes.push(same ? { ok: true, bid: bidView(prior), replayed: true } : { ok: false, code: 'IDEMPOTENCY_KEY_REUSED', detail: 'this request id was used for another bid' });
        continue;
      }
      const lender = lenders.get(request.lenderId);
      if (!lender || lender.role !== 'lender') {
        outcomes.push({ ok: false, code: 'FORBIDDEN', detail: 'only lenders bid' });
        continue;
      }
      if (lender.frozenAt) {
        outcomes.push({ ok: false, code: 'ACCOUNT_FROZEN', detail: `the account is frozen: ${lender.frozenReason ?? ''}` });
        continue;
      }
      const bidId = request.clientRef ? idFromSeed('bid', `bid:${request.lenderId}:${request.clientRef}`) : newId('bid', nowMs);
      const wallet = walletAccountId(lender.id);
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
        availableMinor: available.get(wallet) ?? 0,
        nowMs,
        settings,
        ...(book ? { bookBefore: book } : {}),
      });
      if (!decision.ok) {
        outcomes.push({ ok: false, code: decision.code, detail: decision.detail, ...(decision.extra ? { extra: decision.extra } : {}) });
        continue;
      }
      const row: BidRow = {
        id: bidId,
        listingId,
        lenderId: lender.id,
        amountMinor: decision.bid.amountMinor,
        requestedAmountMinor: decision.requestedAmountMinor,
        rateBps: decision.bid.rateBps,
        priority: decision.bid.priority,
        status: 'active',
        fillMinor: 0,
        holdId: `xfr_hold_${bidId}`,
        clientRef: request.clientRef,
        source: request.source ?? 'manual',
        createdAt: at,
        updatedAt: at,
      };
      const hold = holdOf(row, state.borrowerUserId);
      holdsById.set(bidId, hold);
      activeRows.set(bidId, row);
      pending.bids.push(row);
      pending.holds.push({ ...hold, phase: 'pending' });
      available.set(wallet, (available.get(wallet) ?? 0) - decision.holdMinor);
      pending.wallets.add(lender.id);
      for (const o of decision.outbid) {
        const released = holdsById.get(o.bidId)!;
        pending.releases.push({ id: `xfr_rel_${o.bidId}`, hold: released, phase: 'void', amountMinor: 0, kind: 'bid_release' });
        pending.outbid.push(o.bidId);
        activeRows.delete(o.bidId);
        const w = walletAccountId(o.lenderId);
        if (available.has(w)) available.set(w, available.get(w)! + o.amountMinor);
        pending.wallets.add(o.lenderId);
      }
      pending.messages.push(...listingEventMessages(listingId, decision.events), ...notifyMessages(listingId, decision.notify));
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
      if (extended) pending.jobs.push(closeJob(state));
      // The settled book's entries are the active bids (with their fills): no copy per bid.
      active = decision.book.entries;
      book = decision.book;
      outcomes.push({ ok: true, bid: bidView(row, decision.book), replayed: false });
      if (decision.closeNow) {
        await flush(tx, state, pending, at);
        await clearLockedListing(ctx, tx, state, nowMs, pending.messages);
        cleared = true;
        // The rest of the batch meets a cleared listing.
        state = (await lockListing(tx, listingId))!;
        active = [];
        book = undefined;
        activeRows.clear();
      }
    }
    if (!cleared) await flush(tx, state, pending, at);
    if (pending.created.length || cleared) pending.messages.push(marketUpdate(state, await merchantName(tx, state.merchantId), 'listing.updated'));
    pending.messages.push(...(await walletMessages(tx, pending.wallets, 'bid')));
    await writeOutbox(tx, { messages: pending.messages, jobs: pending.jobs });
    if (cleared) {
      // Bids of this batch were filled or released by the clearing: report their final state.
      const finals = await tx.select().from(bids).where(inArray(bids.id, pending.created));
      const byId = new Map(finals.map((b) => [b.id, b]));
      return { outcomes: outcomes.map((o) => (o.ok && !o.replayed && byId.has(o.bid.id) ? { ...o, bid: bidView(byId.get(o.bid.id)!) } : o)), active: null };
    }
    return { outcomes, active: state.status === 'open' ? { seq: state.seq, rows: [...activeRows.values()] } : null };
  })();
  return {
    outcomes,
    afterCommit: () => {
      ctx.metrics?.bidBatchSize.observe(requests.length);
      ctx.metrics?.bidsAccepted.inc(outcomes.filter((o) => o.ok && !o.replayed).length);
      // Only what committed may be remembered: a rolled-back batch must not leave its bids here.
      if (after) cache.set(listingId, after);
      else cache.delete(listingId);
    },
  };
}

interface ActiveSnapshot {
  /** The listing's seq when these were its active bids. */
  seq: number;
  rows: BidRow[];
}

const activeCaches = new WeakMap<AppContext, Map<string, ActiveSnapshot>>();

/**
 * The active bids of hot listings as this node last committed them. Reading every active bid of a
 * listing with thousands of them is the most expensive part of a batch; the listing's seq, read under its
 * lock, tells whether anything (another node, an amend, a clearing) changed them since.
 */
function activeCacheOf(ctx: AppContext): Map<string, ActiveSnapshot> {
  let cache = activeCaches.get(ctx);
  if (!cache) activeCaches.set(ctx, (cache = new Map()));
  if (cache.size > 1000) cache.clear();
  return cache;
}

interface PendingWrites {
  bids: BidRow[];
  holds: NewTransfer[];
  releases: Resolution[];
  outbid: string[];
  /** Ids of the bids this command created (all flushes). */
  created: string[];
  wallets: Set<string>;
  messages: OutboxMessage[];
  jobs: OutboxJob[];
}

function newPendingWrites(): PendingWrites {
  return { bids: [], holds: [], releases: [], outbid: [], created: [], wallets: new Set(), messages: [], jobs: [] };
}

/** A bid's hold: lender wallet → borrower wallet, pending, for the bid's amount. */
function holdOf(b: Pick<BidRow, 'id' | 'holdId' | 'lenderId' | 'amountMinor'>, borrowerUserId: string): KnownHold {
  return { id: b.holdId, debitAccountId: walletAccountId(b.lenderId), creditAccountId: walletAccountId(borrowerUserId), amountMinor: b.amountMinor, kind: 'bid_hold', reference: b.id };
}

/** Writes what the decisions so far produced, in a fixed handful of statements. */
async function flush(tx: Tx, state: ListingRow, w: PendingWrites, at: Date): Promise<void> {
  if (w.bids.length) await tx.insert(bids).values(w.bids);
  // Lock the accounts the releases touch in id order before the batch moves any of them.
  if (w.releases.length) await lockAccounts(tx, w.releases.map((r) => r.hold.debitAccountId));
  await applyBatch(tx, w.holds, w.releases, at);
  if (w.outbid.length) await tx.update(bids).set({ status: 'outbid', updatedAt: at }).where(inArray(bids.id, w.outbid));
  await persistListing(tx, state);
  w.created.push(...w.bids.map((b) => b.id));
  w.bids = [];
  w.holds = [];
  w.releases = [];
  w.outbid = [];
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

/** Lowers a bid's rate (the only change a firm bid allows); it takes a new priority. */
export async function amendBid(ctx: AppContext, lenderId: string, bidId: string, rateBps: number): Promise<BidView> {
  const nowMs = ctx.clock.nowMs();
  const settings = ctx.settings.get();
  return ctx.transaction(async (tx) => {
    const [owned] = await tx.select().from(bids).where(eq(bids.id, bidId));
    if (!owned || owned.lenderId !== lenderId) throw new AppError('NOT_FOUND', 'no such bid of yours');
    await requireNotFrozen(tx, lenderId);
    const listing = await lockListing(tx, owned.listingId);
    const active = (await activeBids(tx, owned.listingId)).map(activeBidOf);
    const decision = amendDecision({ listing: auctionListing(listing!), activeBids: active, bidId, rateBps, nowMs, settings });
    if (!decision.ok) throw rejectionError(decision);
    const at = new Date(nowMs);
    const effects: Effects = { messages: [], jobs: [], walletsChanged: new Set() };
    const [updated] = await tx.update(bids).set({ rateBps: decision.bid.rateBps, priority: decision.bid.priority, updatedAt: at }).where(eq(bids.id, bidId)).returning();
    if (decision.outbid.length) {
      const outbid = await tx.select().from(bids).where(inArray(bids.id, decision.outbid.map((o) => o.bidId)));
      await lockAccounts(tx, outbid.map((b) => walletAccountId(b.lenderId)));
      await applyBatch(tx, [], outbid.map((b) => ({ id: `xfr_rel_${b.id}`, hold: holdOf(b, listing!.borrowerUserId), phase: 'void' as const, amountMinor: 0, kind: 'bid_release' })), at);
      await tx.update(bids).set({ status: 'outbid', updatedAt: at }).where(inArray(bids.id, outbid.map((b) => b.id)));
      for (const b of outbid) effects.walletsChanged.add(b.lenderId);
    }
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
    effects.messages.push(...(await walletMessages(tx, effects.walletsChanged, 'bid')));
    await writeOutbox(tx, { messages: effects.messages, jobs: effects.jobs });
    return bidView(updated!, decision.book);
  });
}

/**
 * Group commit per listing: bids for one listing that arrive while a transaction on it is running wait
 * and go into the next transaction together, in arrival order. Each is still answered only after that
 * transaction commits. A hot listing then costs one transaction per batch instead of one per bid, while
 * a quiet one runs each bid at once.
 */
export class BidQueue {
  private readonly queues = new Map<string, { items: QueuedBid[]; running: boolean }>();

  constructor(
    private readonly ctx: AppContext,
    private readonly maxBatch = 200,
  ) {}

  submit(listingId: string, request: BidRequest): Promise<BidOutcome> {
    return new Promise((resolve, reject) => {
      let q = this.queues.get(listingId);
      if (!q) this.queues.set(listingId, (q = { items: [], running: false }));
      q.items.push({ request, resolve, reject });
      if (!q.running) void this.drain(listingId, q);
    });
  }

  private async drain(listingId: string, q: { items: QueuedBid[]; running: boolean }): Promise<void> {
    q.running = true;
    try {
      while (q.items.length) {
        const batch = q.items.splice(0, this.maxBatch);
        try {
          const outcomes = await placeBids(this.ctx, listingId, batch.map((b) => b.request));
          batch.forEach((b, i) => b.resolve(outcomes[i]!));
        } catch (err) {
          if (batch.length === 1) {
            batch[0]!.reject(err);
            continue;
          }
          // Something in the batch failed the whole transaction: run them one by one, so only the bid
          // at fault fails.
          for (const b of batch) {
            try {
              b.resolve((await placeBids(this.ctx, listingId, [b.request]))[0]!);
            } catch (e) {
              b.reject(e);
            }
          }
        }
      }
    } finally {
      q.running = false;
      this.queues.delete(listingId);
    }
  }
}

interface QueuedBid {
  request: BidRequest;
  resolve: (outcome: BidOutcome) => void;
  reject: (err: unknown) => void;
}

const queues = new WeakMap<AppContext, BidQueue>();

/** Places one bid (through its listing's queue) and throws its rejection: HTTP and WebSocket share this. */
export async function placeBid(ctx: AppContext, listingId: string, request: BidRequest): Promise<{ bid: BidView; replayed: boolean }> {
  let queue = queues.get(ctx);
  if (!queue) queues.set(ctx, (queue = new BidQueue(ctx)));
  const outcome = await queue.submit(listingId, request);
  if (!outcome.ok) throw rejectionError(outcome);
  return { bid: outcome.bid, replayed: outcome.replayed };
}
