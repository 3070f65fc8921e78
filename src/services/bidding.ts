import { and, eq, inArray, sql, type Column, type SQL } from 'drizzle-orm';
import { namedRows, rows, sqlArray } from '../db/client.js';
import { assert, assertPositiveMinor } from '../domain/assert.js';
import type { AppContext } from '../context.js';
import type { Queryable, Tx } from '../db/client.js';
import { bids, listings, merchants, type OutboxJob, type OutboxMessage } from '../db/schema/index.js';
import { amendBid as amendDecision, bidStanding, computeBook, placeBid as placeDecision, type ActiveBid, type BidStanding, type Book, type ListingEvent, type LenderNotification } from '../domain/auction/index.js';
import { AppError, rejectionError, type ErrorCode, type RejectionFigures } from '../domain/errors.js';
import { isGrade, type RiskProfile } from '../domain/grades.js';
import { idFromSeed, newId } from '../ids.js';
import { lockAccounts, lockedBalances, walletAccountId, type HeldBalance } from '../ledger/ledger.js';
import { applyBatch, type KnownHold, type NewTransfer, type Resolution } from '../ledger/batch.js';
import { clearLockedListing } from './clearing.js';
import { requireNotFrozen } from './accounts.js';
import { activeBidOf, activeBids, closeJob, lockListing, marketUpdate, merchantName, type BidRow, type ListingRow } from './listings.js';
import { channelsWritten, writeOutbox } from './outbox.js';
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
  return viewWithFill(b, b.status === 'active' ? (book?.entries.find((e) => e.id === b.id)?.fillMinor ?? 0) : b.fillMinor);
}

/** A bid just accepted into a settled book: every entry is filled whole but the last (marginal) one. */
function acceptedView(b: BidRow, book: Book): BidView {
  const last = book.entries[book.entries.length - 1];
  return viewWithFill(b, last && last.id === b.id ? last.fillMinor : b.amountMinor);
}

function viewWithFill(b: BidRow, liveFill: number): BidView {
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
 * Places bids on one listing in one transaction, in the order given (docs/market-rules.md §2–3). A
 * rejected bid changes nothing; the others still go through. Callers send one bid or, under load, the bids
 * that arrived together (see BidQueue, which also batches across listings).
 */
export async function placeBids(ctx: AppContext, listingId: string, requests: readonly BidRequest[]): Promise<BidOutcome[]> {
  const nowMs = ctx.clock.nowMs();
  const { outcomes, afterCommit } = await ctx.transaction((tx) => placeBidsInTransaction(ctx, tx, listingId, requests, nowMs));
  afterCommit();
  return outcomes;
}

/**
 * The bids of one listing inside the caller's transaction (which has locked nothing yet): the listing
 * lock, then the bidders' wallets in id order, the decisions, the writes. `afterCommit` must run once the
 * caller's transaction has committed (never if it rolled back): it updates this node's caches and wakes
 * the outbox dispatcher.
 */
export async function placeBidsInTransaction(
  ctx: AppContext,
  tx: Tx,
  listingId: string,
  requests: readonly BidRequest[],
  nowMs: number,
): Promise<{ outcomes: BidOutcome[]; afterCommit: () => void }> {
  return placeBidBatchInTransaction(
    ctx,
    tx,
    requests.map((request) => ({ listingId, request })),
    nowMs,
  );
}

/** One bid of a batch that may span listings. */
export interface ListingBid {
  listingId: string;
  request: BidRequest;
}

/**
 * Places bids on any number of listings in one transaction, deciding them in the order given exactly as
 * if each had been placed alone in that order: a lender's wallet is shared by its bids on every listing
 * of the batch, and each listing's bids meet the book its earlier ones left. Used by BidQueue (group
 * commit across listings).
 */
export async function placeBidBatch(ctx: AppContext, items: readonly ListingBid[]): Promise<BidOutcome[]> {
  const nowMs = ctx.clock.nowMs();
  const { outcomes, afterCommit } = await ctx.transaction((tx) => placeBidBatchInTransaction(ctx, tx, items, nowMs));
  afterCommit();
  return outcomes;
}

/** Who bids (and who borrows) as a batch reads them. */
interface Person {
  id: string;
  role: string;
  frozen: boolean;
  frozen_reason: string | null;
  kyc_status: string;
  risk_profile: RiskProfile | null;
  id_number_hash: string | null;
}

/** What a batch knows about one of its listings while deciding. */
interface ListingWork {
  state: ListingRow;
  active: readonly ActiveBid[];
  book: Book | undefined;
  activeRows: Map<string, BidRow>;
  borrowerIdNumberHash: string | null;
  /** Bids this batch created on the listing (all flushes). */
  created: string[];
  /** Any bid accepted: the market view needs the listing's new summary. */
  changed: boolean;
  cleared: boolean;
}

/** What a batch reads under its locks and then moves as it decides, bid by bid. */
interface BatchState {
  at: Date;
  nowMs: number;
  settings: ReturnType<AppContext['settings']['get']>;
  work: Map<string, ListingWork>;
  merchantNameOf: Map<string, string>;
  peopleById: Map<string, Person>;
  /** Wallet balances as the batch moves them: decisions read `availableMinor`, wallet events both figures. */
  wallets: Map<string, HeldBalance>;
  replays: Map<string, BidRow>;
  /** Bids this batch made, by lender and client ref: a retry inside the same batch is a replay. */
  madeHere: Map<string, BidRow>;
  pending: PendingWrites;
  outcomes: BidOutcome[];
}

/**
 * The batch itself, in a fixed number of statements whatever the number of listings and bids: lock the
 * listings in id order, then the bidders' and the borrowers' wallets in id order (reading their balances
 * with the lock); read the users, the replays and the active bids not cached; decide every bid with the
 * pure core in order; write the bids, the ledger batch, the outbid marks, the listings and one outbox row.
 * A listing that must clear at once (closeWhenFunded) is cleared in the middle, after what came before it
 * is written, and the balances are read again.
 *
 * The deciding is a synchronous function of its own, apart from the reads and the writes: a function this
 * size with every await in it is one state machine that the JIT compiles (hundreds of milliseconds of a
 * core) and throws away again whenever one object in it has a shape it did not expect.
 */
async function placeBidBatchInTransaction(ctx: AppContext, tx: Tx, items: readonly ListingBid[], nowMs: number): Promise<{ outcomes: BidOutcome[]; afterCommit: () => void }> {
  const cache = activeCacheOf(ctx);
  const batch = await readBatch(ctx, tx, cache, items, nowMs);
  for (let from = 0; from < items.length; ) {
    const closedAt = decideBids(batch, items, from);
    if (closedAt < 0) break;
    await clearInBatch(ctx, tx, batch, items[closedAt]!.listingId);
    from = closedAt + 1;
  }
  return finishBatch(ctx, tx, cache, batch);
}

/** The batch's reads, under its locks: listings (id order), wallets (id order), people, replays, active bids. */
async function readBatch(ctx: AppContext, tx: Tx, cache: Map<string, ActiveSnapshot>, items: readonly ListingBid[], nowMs: number): Promise<BatchState> {
  const listingIds = [...new Set(items.map((i) => i.listingId))].sort();
  // The listings with their merchants' names (for the market view), locked in id order.
  const lockedRows = listingIds.length
    ? await tx.select({ listing: listings, merchantName: merchants.name }).from(listings).innerJoin(merchants, eq(merchants.id, listings.merchantId)).where(inArray(listings.id, listingIds)).orderBy(listings.id).for('update', { of: listings })
    : [];
  const locked = lockedRows.map((r) => r.listing);
  const merchantNameOf = new Map(lockedRows.map((r) => [r.listing.id, r.merchantName]));
  const lenderIds = [...new Set(items.map((i) => i.request.lenderId))];
  const borrowerIds = [...new Set(locked.map((l) => l.borrowerUserId))];
  const walletIds = lenderIds.map(walletAccountId);
  const wallets = await lockedBalances(tx, [...walletIds, ...borrowerIds.map(walletAccountId)]);
  for (const b of borrowerIds) if (!lenderIds.includes(b)) wallets.delete(walletAccountId(b));
  const people = await namedRows<Person>(
    tx,
    'lb_bid_batch_people',
    'select id, role, frozen_at is not null as frozen, frozen_reason, kyc_status, risk_profile, id_number_hash from users where id = any($1::text[])',
    [sqlArray([...new Set([...lenderIds, ...borrowerIds])])],
  );
  const peopleById = new Map(people.map((u) => [u.id, u]));
  const replays = await priorBids(tx, items.map((i) => i.request));
  // The active bids as this node last committed them, if no one has changed the listing since (same seq).
  const uncached = locked.filter((l) => !snapshotHolds(cache.get(l.id), l)).map((l) => l.id);
  const fetched = uncached.length ? await tx.select().from(bids).where(and(anyOf(bids.listingId, uncached), eq(bids.status, 'active'))) : [];
  const work = new Map<string, ListingWork>();
  for (const l of locked) {
    const snap = uncached.includes(l.id) ? undefined : cache.get(l.id)!;
    // This transaction takes the snapshot and changes its rows in place: no one else may use it now, and
    // if the transaction rolls back the next batch reads the listing's bids again. On commit the
    // snapshot goes back, as the batch left it.
    if (snap) cache.delete(l.id);
    const existing = snap ? undefined : fetched.filter((b) => b.listingId === l.id);
    work.set(l.id, {
      state: l,
      // A cached listing starts from the settled book its last batch left (and the index that follows
      // it): no sort, no index and no object per active bid at the start of every batch.
      active: snap ? snap.book.entries : existing!.map(activeBidOf),
      book: snap?.book,
      activeRows: snap ? snap.rows : new Map(existing!.map((b) => [b.id, b])),
      borrowerIdNumberHash: peopleById.get(l.borrowerUserId)?.id_number_hash ?? null,
      created: [],
      changed: false,
      cleared: false,
    });
  }
  return {
    at: new Date(nowMs),
    nowMs,
    settings: ctx.settings.get(),
    work,
    merchantNameOf,
    peopleById,
    wallets,
    replays,
    madeHere: new Map(),
    pending: newPendingWrites(),
    outcomes: [],
  };
}

/**
 * Decides the bids from `from` on, in order, with the pure core, gathering their writes. Stops after a bid
 * that makes its listing clear at once and returns its index (the caller clears it and goes on after it);
 * -1 when every bid is decided.
 */
function decideBids(batch: BatchState, items: readonly ListingBid[], from: number): number {
  const { work, peopleById, wallets, replays, madeHere, pending, outcomes, nowMs, at, settings } = batch;
  for (let i = from; i < items.length; i++) {
    const { listingId, request } = items[i]!;
    const key = request.clientRef ? `${request.lenderId}\n${request.clientRef}` : null;
    const prior = key ? (replays.get(key) ?? madeHere.get(key)) : undefined;
    if (prior) {
      const same = prior.listingId === listingId && prior.requestedAmountMinor === request.amountMinor;
      outcomes.push(same ? { ok: true, bid: bidView(prior), replayed: true } : { ok: false, code: 'IDEMPOTENCY_KEY_REUSED', detail: 'this request id was used for another bid' });
      continue;
    }
    const w = work.get(listingId);
    if (!w) {
      outcomes.push({ ok: false, code: 'NOT_FOUND', detail: 'no such listing' });
      continue;
    }
    const lender = peopleById.get(request.lenderId);
    if (!lender || lender.role !== 'lender') {
      outcomes.push({ ok: false, code: 'FORBIDDEN', detail: 'only lenders bid' });
      continue;
    }
    if (lender.frozen) {
      outcomes.push({ ok: false, code: 'ACCOUNT_FROZEN', detail: `the account is frozen: ${lender.frozen_reason ?? ''}` });
      continue;
    }
    const bidId = request.clientRef ? idFromSeed('bid', `bid:${request.lenderId}:${request.clientRef}`) : newId('bid', nowMs);
    const wallet = walletAccountId(lender.id);
    const state = w.state;
    const decision = placeDecision({
      listing: auctionListing(state),
      activeBids: w.active,
      lender: {
        userId: lender.id,
        kycComplete: lender.kyc_status === 'verified',
        riskProfile: lender.risk_profile,
        isBorrower: w.borrowerIdNumberHash != null && w.borrowerIdNumberHash === lender.id_number_hash,
      },
      bid: { amountMinor: request.amountMinor, rateBps: request.rateBps },
      newBidId: bidId,
      availableMinor: wallets.get(wallet)?.availableMinor ?? 0,
      nowMs,
      settings,
      ...(w.book ? { bookBefore: w.book } : {}),
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
    if (key) madeHere.set(key, row);
    const hold = holdOf(row, state.borrowerUserId);
    w.activeRows.set(bidId, row);
    w.created.push(bidId);
    w.changed = true;
    pending.bids.push(row);
    pending.holds.push({ ...hold, phase: 'pending' });
    moveHeld(wallets, wallet, decision.holdMinor);
    pending.wallets.add(lender.id);
    for (const o of decision.outbid) {
      const released = holdOf(w.activeRows.get(o.bidId)!, state.borrowerUserId);
      pending.releases.push({ id: `xfr_rel_${o.bidId}`, hold: released, phase: 'void', amountMinor: 0, kind: 'bid_release' });
      // A bid of this batch not written yet is written as outbid: its lender may bid again on the listing
      // in this batch, and only one bid per lender and listing may be active.
      const unwritten = pending.bids.find((b) => b.id === o.bidId);
      if (unwritten) unwritten.status = 'outbid';
      else pending.outbid.push(o.bidId);
      w.activeRows.delete(o.bidId);
      moveHeld(wallets, walletAccountId(o.lenderId), -o.amountMinor);
      pending.wallets.add(o.lenderId);
    }
    pending.messages.push(...listingEventMessages(listingId, decision.events), ...notifyMessages(listingId, decision.notify));
    const extended = decision.endsAtMs !== state.endsAt.getTime();
    w.state = {
      ...state,
      seq: decision.seq,
      endsAt: new Date(decision.endsAtMs),
      endsAtVersion: extended ? state.endsAtVersion + 1 : state.endsAtVersion,
      coverageMinor: decision.book.coverageMinor,
      currentRateBps: decision.book.currentRateBps,
      fundedPct: decision.book.fundedPct,
      bidCount: decision.book.bidCount,
    };
    if (extended) pending.jobs.push(closeJob(w.state));
    pending.listings.set(listingId, w.state);
    // The settled book's entries are the active bids (with their fills): no copy per bid.
    w.active = decision.book.entries;
    w.book = decision.book;
    outcomes.push({ ok: true, bid: acceptedView(row, decision.book), replayed: false });
    if (decision.closeNow) return i;
  }
  return -1;
}

/**
 * A listing a bid of this batch funded so that it closes at once: clearing reads the book from the
 * database, so everything decided so far is written first. The rest of the batch meets a cleared listing,
 * and wallets whose holds the clearing released.
 */
async function clearInBatch(ctx: AppContext, tx: Tx, batch: BatchState, listingId: string): Promise<void> {
  const w = batch.work.get(listingId)!;
  await flush(tx, batch.pending, batch.at);
  await clearLockedListing(ctx, tx, w.state, batch.nowMs, batch.pending.messages);
  w.cleared = true;
  w.state = (await lockListing(tx, listingId))!;
  w.active = [];
  w.book = undefined;
  w.activeRows.clear();
  for (const [id, b] of await lockedBalances(tx, [...batch.wallets.keys()])) batch.wallets.set(id, b);
}

/** The batch's last reads and its write; what `afterCommit` puts in this node's caches. */
async function finishBatch(ctx: AppContext, tx: Tx, cache: Map<string, ActiveSnapshot>, batch: BatchState): Promise<{ outcomes: BidOutcome[]; afterCommit: () => void }> {
  const { work, wallets, pending, outcomes, at } = batch;
  // Outbid lenders who did not bid in this batch: their wallets are locked (id order among themselves) and
  // read now, so that their wallet events carry the balances this batch leaves.
  const unknown = [...pending.wallets].map(walletAccountId).filter((id) => !wallets.has(id));
  if (unknown.length) {
    const released = pending.releases.filter((r) => unknown.includes(r.hold.debitAccountId));
    for (const [id, b] of await lockedBalances(tx, unknown)) wallets.set(id, b);
    for (const r of released) moveHeld(wallets, r.hold.debitAccountId, -r.hold.amountMinor);
  }
  for (const [id, w] of work) if (w.changed || w.cleared) pending.messages.push(marketUpdate(w.state, batch.merchantNameOf.get(id) ?? '', 'listing.updated'));
  for (const userId of pending.wallets) {
    const b = wallets.get(walletAccountId(userId))!;
    pending.messages.push({ channel: `user:${userId}`, type: 'wallet.changed', data: { reason: 'bid', availableMinor: b.availableMinor, heldMinor: b.heldMinor, currency: 'CNY' } });
  }
  await flush(tx, pending, at, true);
  let final = outcomes;
  const clearedCreated = [...work.values()].filter((w) => w.cleared).flatMap((w) => w.created);
  if (clearedCreated.length) {
    // Bids of this batch were filled or released by a clearing: report their final state.
    const finals = await tx.select().from(bids).where(anyOf(bids.id, clearedCreated));
    const byId = new Map(finals.map((b) => [b.id, b]));
    final = outcomes.map((o) => (o.ok && !o.replayed && byId.has(o.bid.id) ? { ...o, bid: bidView(byId.get(o.bid.id)!) } : o));
  }
  const snapshots = [...work.entries()].map(([id, w]): [string, ActiveSnapshot | null] => [
    id,
    !w.cleared && w.state.status === 'open' ? { seq: w.state.seq, rows: w.activeRows, book: w.book ?? computeBook(auctionListing(w.state), w.active), amountMinor: w.state.amountMinor, maxRateBps: w.state.maxRateBps, pricing: w.state.pricing } : null,
  ]);
  const accepted = final.filter((o) => o.ok && !o.replayed).length;
  return {
    outcomes: final,
    afterCommit: () => {
      ctx.metrics?.bidBatchSize.observe(batch.outcomes.length);
      ctx.metrics?.bidsAccepted.inc(accepted);
      // Only what committed may be remembered: a rolled-back batch must not leave its bids here.
      for (const [id, snap] of snapshots) {
        if (snap) cache.set(id, snap);
        else cache.delete(id);
      }
      ctx.dispatcher.kick();
    },
  };
}

/** A hold placed (positive) or released (negative) on a wallet the batch knows. */
function moveHeld(wallets: Map<string, HeldBalance>, accountId: string, amountMinor: number): void {
  const b = wallets.get(accountId);
  if (!b) return;
  b.availableMinor -= amountMinor;
  b.heldMinor += amountMinor;
}

interface ActiveSnapshot {
  /** The listing's seq when these were its active bids. */
  seq: number;
  /** By id; a batch that takes the snapshot out of the cache changes it in place. */
  rows: Map<string, BidRow>;
  /** The settled book of these bids: computeBook(listing, rows), carried from the batch that left it. */
  book: Book;
  /** The terms the book was computed with. */
  amountMinor: number;
  maxRateBps: number;
  pricing: ListingRow['pricing'];
}

/** A cached snapshot is the listing's when nothing changed it since (same seq) and its book's terms are the listing's. */
function snapshotHolds(snap: ActiveSnapshot | undefined, l: ListingRow): boolean {
  return snap !== undefined && snap.seq === l.seq && snap.amountMinor === l.amountMinor && snap.maxRateBps === l.maxRateBps && snap.pricing === l.pricing;
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
  /** Listings whose state changed since the last flush, as they are now. */
  listings: Map<string, ListingRow>;
  wallets: Set<string>;
  messages: OutboxMessage[];
  jobs: OutboxJob[];
}

function newPendingWrites(): PendingWrites {
  return { bids: [], holds: [], releases: [], outbid: [], listings: new Map(), wallets: new Set(), messages: [], jobs: [] };
}

/** A bid's hold: lender wallet → borrower wallet, pending, for the bid's amount. */
function holdOf(b: Pick<BidRow, 'id' | 'holdId' | 'lenderId' | 'amountMinor'>, borrowerUserId: string): KnownHold {
  return { id: b.holdId, debitAccountId: walletAccountId(b.lenderId), creditAccountId: walletAccountId(borrowerUserId), amountMinor: b.amountMinor, kind: 'bid_hold', reference: b.id };
}

/**
 * The write of a batch, one statement of data-modifying CTEs over JSON arrays ($1 the time; $2 the new
 * bids, $3 the ledger transfers, $4 the account sums, $5 the listings' book summaries, $6/$7 the outbox
 * messages and jobs, written when $8 = 1). An account update is guarded against overdraft: the caller
 * compares the accounts moved with the accounts given.
 */
const BATCH_WRITE_SQL = `with
  new_bids as (
    insert into bids (id, listing_id, lender_id, amount_minor, requested_amount_minor, rate_bps, priority, status, fill_minor, hold_id, client_ref, source, created_at, updated_at)
    select id, l, u, a, ra, r, p, s, 0, h, cr, src, $1::timestamptz, $1::timestamptz
    from jsonb_to_recordset($2::jsonb) as x(id text, l text, u text, a bigint, ra bigint, r integer, p integer, s text, h text, cr text, src text)
    returning 1),
  new_transfers as (
    insert into ledger_transfers (id, debit_account_id, credit_account_id, amount_minor, phase, pending_id, kind, reference, currency, created_at)
    select id, d, c, a, p, pid, k, ref, 'CNY', $1::timestamptz
    from jsonb_to_recordset($3::jsonb) as x(id text, d text, c text, a bigint, p text, pid text, k text, ref text)
    returning 1),
  moved as (
    update ledger_accounts a set debits_pending_minor = a.debits_pending_minor + v.dpe, credits_pending_minor = a.credits_pending_minor + v.cpe
    from jsonb_to_recordset($4::jsonb) as v(id text, dpe bigint, cpe bigint)
    where a.id = v.id
      and (not a.debits_must_not_exceed_credits or a.credits_posted_minor - a.debits_posted_minor - (a.debits_pending_minor + v.dpe) >= 0)
    returning 1),
  books as (
    update listings l set seq = v.seq, ends_at = v.e, ends_at_version = v.ev, coverage_minor = v.c, current_rate_bps = v.r, funded_pct = v.f, bid_count = v.n
    from jsonb_to_recordset($5::jsonb) as v(id text, seq integer, e timestamptz, ev integer, c bigint, r integer, f integer, n integer)
    where l.id = v.id
    returning 1),
  events as (
    insert into outbox (messages, jobs)
    select $6::jsonb, $7::jsonb where $8::integer = 1
    returning 1)
select (select count(*) from moved)::integer as accounts, (select count(*) from new_bids)::integer as bids, (select count(*) from new_transfers)::integer as transfers,
       (select count(*) from books)::integer as books, (select count(*) from events)::integer as events`;

/**
 * Writes what the decisions so far produced. The bids, the ledger movements (holds placed and released,
 * with both sides' account sums, guarded against overdraft), the listings' book summaries and — on the
 * last call — the outbox row go in one statement of data-modifying CTEs; marking stored bids outbid
 * (which must precede the insert: one active bid per lender and listing) and checking that each release
 * matches a stored hold take one more each, only when a batch outbids bids it did not make.
 */
async function flush(tx: Tx, w: PendingWrites, at: Date, last = false): Promise<void> {
  const atIso = at.toISOString();
  if (w.outbid.length) await tx.update(bids).set({ status: 'outbid', updatedAt: at }).where(anyOf(bids.id, w.outbid));
  const madeHere = new Set(w.holds.map((h) => h.id));
  const stored = w.releases.filter((r) => !madeHere.has(r.hold.id));
  if (stored.length) {
    // Each release must match the hold it resolves: pending, same accounts and amount.
    const bad = await rows<{ id: string }>(
      tx,
      sql`select v.id from jsonb_to_recordset(${JSON.stringify(stored.map((r) => ({ id: r.hold.id, d: r.hold.debitAccountId, c: r.hold.creditAccountId, a: r.hold.amountMinor })))}::jsonb)
            as v(id text, d text, c text, a bigint)
          left join ledger_transfers h on h.id = v.id
          where h.id is null or h.phase <> 'pending' or h.debit_account_id <> v.d or h.credit_account_id <> v.c or h.amount_minor <> v.a
          limit 1`,
    );
    assert(bad.length === 0, `release of a hold that does not match: ${bad[0]?.id}`);
  }
  const deltas = new Map<string, { dpe: number; cpe: number }>();
  const delta = (id: string, amountMinor: number, side: 'dpe' | 'cpe') => {
    let d = deltas.get(id);
    if (!d) deltas.set(id, (d = { dpe: 0, cpe: 0 }));
    d[side] += amountMinor;
  };
  const transfers: { id: string; d: string; c: string; a: number; p: 'pending' | 'void'; pid: string | null; ref: string | null; k: string }[] = [];
  for (const h of w.holds) {
    assertPositiveMinor(h.amountMinor, 'amountMinor');
    delta(h.debitAccountId, h.amountMinor, 'dpe');
    delta(h.creditAccountId, h.amountMinor, 'cpe');
    transfers.push({ id: h.id, d: h.debitAccountId, c: h.creditAccountId, a: h.amountMinor, p: 'pending', pid: null, ref: h.reference, k: h.kind });
  }
  for (const r of w.releases) {
    delta(r.hold.debitAccountId, -r.hold.amountMinor, 'dpe');
    delta(r.hold.creditAccountId, -r.hold.amountMinor, 'cpe');
    transfers.push({ id: r.id, d: r.hold.debitAccountId, c: r.hold.creditAccountId, a: r.hold.amountMinor, p: 'void', pid: r.hold.id, ref: r.hold.reference, k: r.kind });
  }
  const accounts = [...deltas].map(([id, d]) => ({ id, ...d }));
  const newBids = w.bids.map((b) => ({ id: b.id, l: b.listingId, u: b.lenderId, a: b.amountMinor, ra: b.requestedAmountMinor, r: b.rateBps, p: b.priority, s: b.status, h: b.holdId, cr: b.clientRef, src: b.source }));
  const summaries = [...w.listings.values()].map((l) => ({ id: l.id, seq: l.seq, e: l.endsAt.toISOString(), ev: l.endsAtVersion, c: l.coverageMinor, r: l.currentRateBps, f: l.fundedPct, n: l.bidCount }));
  const outbox = last && (w.messages.length || w.jobs.length) ? { messages: w.messages, jobs: w.jobs } : null;
  if (outbox) {
    let channels = channelsWritten.get(tx);
    if (!channels) channelsWritten.set(tx, (channels = new Set()));
    for (const m of outbox.messages) channels.add(m.channel);
  }
  if (newBids.length || transfers.length || summaries.length || outbox) {
    const [written] = await namedRows<{ accounts: number }>(tx, 'lb_bid_batch_write', BATCH_WRITE_SQL, [
      atIso,
      JSON.stringify(newBids),
      JSON.stringify(transfers),
      JSON.stringify(accounts),
      JSON.stringify(summaries),
      JSON.stringify(outbox?.messages ?? []),
      JSON.stringify(outbox?.jobs ?? []),
      outbox ? 1 : 0,
    ]);
    // The decisions used balances read under lock, so this is the guard of last resort.
    if (Number(written?.accounts) !== accounts.length) throw new AppError('INSUFFICIENT_FUNDS', 'an account in the batch would go below zero');
  }
  w.bids = [];
  w.holds = [];
  w.releases = [];
  w.outbid = [];
  w.listings = new Map();
}

/**
 * `column = any($1::text[])`: one parameter for the whole list. A batch reads its thousand lenders (an
 * autobid pass) with it; `inArray` would build, send and bind a thousand parameters.
 */
function anyOf(column: Column, values: readonly string[]): SQL {
  return sql`${column} = any(${sqlArray(values)}::text[])`;
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
    .where(and(anyOf(bids.lenderId, [...new Set(withRef.map((r) => r.lenderId))]), anyOf(bids.clientRef, [...new Set(withRef.map((r) => r.clientRef!))])));
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
 * Group commit across listings: the bids that reach this node while a batch is being committed wait and
 * go into the next transaction together, whatever their listing, in arrival order; each is answered only
 * after that transaction commits. A busy node then pays one transaction per batch instead of one per bid
 * (or per listing), while a bid on a quiet node waits at most for the end of the current event-loop tick.
 * If a batch fails as a whole (a constraint, a deadlock that outlived its retries), each of its listings
 * is retried alone, and a listing that fails again bid by bid, so that only the bid at fault fails.
 */
export class BidQueue {
  private items: QueuedBid[] = [];
  private running = false;

  constructor(
    private readonly ctx: AppContext,
    private readonly maxBatch = 500,
  ) {}

  submit(listingId: string, request: BidRequest): Promise<BidOutcome> {
    return new Promise((resolve, reject) => {
      this.items.push({ listingId, request, resolve, reject });
      if (!this.running) {
        this.running = true;
        // Bids that arrive within this tick join the first batch.
        setImmediate(() => void this.drain());
      }
    });
  }

  private async drain(): Promise<void> {
    try {
      while (this.items.length) {
        const batch = this.items.splice(0, this.maxBatch);
        await this.run(batch);
      }
    } finally {
      this.running = false;
      // A submit between the last check and here found `running` still set: start again for it.
      if (this.items.length) {
        this.running = true;
        setImmediate(() => void this.drain());
      }
    }
  }

  private async run(batch: QueuedBid[]): Promise<void> {
    try {
      const outcomes = await placeBidBatch(this.ctx, batch);
      batch.forEach((b, i) => b.resolve(outcomes[i]!));
      return;
    } catch (err) {
      if (batch.length === 1) {
        batch[0]!.reject(err);
        return;
      }
    }
    const byListing = new Map<string, QueuedBid[]>();
    for (const b of batch) {
      const group = byListing.get(b.listingId);
      if (group) group.push(b);
      else byListing.set(b.listingId, [b]);
    }
    for (const [listingId, group] of byListing) {
      if (byListing.size > 1) {
        try {
          const outcomes = await placeBids(this.ctx, listingId, group.map((b) => b.request));
          group.forEach((b, i) => b.resolve(outcomes[i]!));
          continue;
        } catch (err) {
          if (group.length === 1) {
            group[0]!.reject(err);
            continue;
          }
        }
      }
      for (const b of group) {
        try {
          b.resolve((await placeBids(this.ctx, listingId, [b.request]))[0]!);
        } catch (e) {
          b.reject(e);
        }
      }
    }
  }
}

interface QueuedBid extends ListingBid {
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
