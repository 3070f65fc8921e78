import { and, desc, eq, lt, sql } from 'drizzle-orm';
import type { AppContext } from '../context.js';
import { rows, sqlArray, type Queryable, type Tx } from '../db/client.js';
import { autobidLog, autobidPasses, autobidStrategies, listings, users, type OutboxMessage } from '../db/schema/index.js';
import { defaultStrategy, planPlacement, previewStrategy, strategyMatches, validateStrategy, type AutobidListing, type Candidate, type Decision, type PreviewListing, type Strategy } from '../domain/autobid/index.js';
import { AppError } from '../domain/errors.js';
import { GRADES, isGrade, type Grade, type RiskProfile } from '../domain/grades.js';
import { newIds } from '../ids.js';
import { balances, walletAccountId } from '../ledger/ledger.js';
import { placeBidsInTransaction, type BidOutcome, type BidRequest } from './bidding.js';
import { lockListing, type ListingRow } from './listings.js';
import { channelsWritten } from './outbox.js';

export { AUTOBID_JOB, autobidJob } from './listings.js';

type StrategyRow = typeof autobidStrategies.$inferSelect;

function strategyOf(r: StrategyRow): Strategy {
  return {
    enabled: r.enabled,
    amountPerListingMinor: r.amountPerListingMinor,
    maxPerBorrowerMinor: r.maxPerBorrowerMinor,
    budgetMinor: r.budgetMinor,
    reserveMinor: r.reserveMinor,
    minRateBpsByGrade: Object.fromEntries(Object.entries(r.minRateBpsByGrade).filter(([g]) => isGrade(g))) as Partial<Record<Grade, number>>,
    termsMonths: r.termsMonths ?? null,
    products: r.products ?? null,
  };
}

function autobidListingOf(l: ListingRow): AutobidListing {
  if (!isGrade(l.grade)) throw new Error(`listing ${l.id} has an unknown grade ${l.grade}`);
  return { id: l.id, grade: l.grade, termMonths: l.termMonths, product: l.product, amountMinor: l.amountMinor, maxRateBps: l.maxRateBps, borrowerUserId: l.borrowerUserId };
}

/** The body of PUT /me/autobid (every field; optional filters may be null or absent). */
export interface StrategyBody {
  enabled: boolean;
  amountPerListingMinor: number;
  maxPerBorrowerMinor: number;
  budgetMinor: number;
  reserveMinor: number;
  minRateBpsByGrade: Partial<Record<string, number>>;
  termsMonths?: number[] | null | undefined;
  products?: string[] | null | undefined;
}

function strategyFromBody(b: StrategyBody): Strategy {
  return {
    enabled: b.enabled,
    amountPerListingMinor: b.amountPerListingMinor,
    maxPerBorrowerMinor: b.maxPerBorrowerMinor,
    budgetMinor: b.budgetMinor,
    reserveMinor: b.reserveMinor,
    minRateBpsByGrade: Object.fromEntries(GRADES.filter((g) => b.minRateBpsByGrade[g] !== undefined).map((g) => [g, b.minRateBpsByGrade[g]!])) as Partial<Record<Grade, number>>,
    termsMonths: b.termsMonths && b.termsMonths.length ? [...new Set(b.termsMonths)].sort((x, y) => x - y) : null,
    products: b.products && b.products.length ? [...new Set(b.products)].sort() : null,
  };
}

function checkedStrategy(ctx: AppContext, body: StrategyBody): Strategy {
  const unknown = Object.keys(body.minRateBpsByGrade).filter((g) => !isGrade(g));
  const s = strategyFromBody(body);
  const problems = [...unknown.map((g) => ({ field: `body/minRateBpsByGrade/${g}`, message: 'is not a grade' })), ...validateStrategy(s, ctx.settings.get())];
  if (problems.length) throw new AppError('VALIDATION_FAILED', `${problems[0]!.field} ${problems[0]!.message}`, { errors: problems });
  return s;
}

export interface StrategyView {
  enabled: boolean;
  amountPerListingMinor: number;
  maxPerBorrowerMinor: number;
  budgetMinor: number;
  reserveMinor: number;
  minRateBpsByGrade: Partial<Record<Grade, number>>;
  termsMonths: number[] | null;
  products: string[] | null;
  currency: 'CNY';
  updatedAt: string | null;
  stats: { bidsPlaced: number; heldMinor: number; outstandingMinor: number; lastPlacedAt: string | null };
}

/** The lender's strategy (defaults, disabled, if it never saved one) with what it has done so far. */
export async function getStrategy(ctx: AppContext, lenderId: string, q: Queryable = ctx.db): Promise<StrategyView> {
  const [row] = await q.select().from(autobidStrategies).where(eq(autobidStrategies.lenderId, lenderId));
  const s = row ? strategyOf(row) : defaultStrategy(ctx.settings.get());
  const [st] = await rows<{ placed: string; held: string | null; last: Date | string | null }>(
    q,
    sql`select count(*) as placed, sum(amount_minor) filter (where status = 'active') as held, max(created_at) as last
        from bids where lender_id = ${lenderId} and source = 'autobid'`,
  );
  const [notes] = await rows<{ outstanding: string | null }>(
    q,
    sql`select sum(n.outstanding_principal_minor) as outstanding from loan_notes n join bids b on b.id = n.bid_id
        where n.lender_id = ${lenderId} and b.source = 'autobid'`,
  );
  return {
    enabled: s.enabled,
    amountPerListingMinor: s.amountPerListingMinor,
    maxPerBorrowerMinor: s.maxPerBorrowerMinor,
    budgetMinor: s.budgetMinor,
    reserveMinor: s.reserveMinor,
    minRateBpsByGrade: { ...s.minRateBpsByGrade },
    termsMonths: s.termsMonths ? [...s.termsMonths] : null,
    products: s.products ? [...s.products] : null,
    currency: 'CNY',
    updatedAt: row ? row.updatedAt.toISOString() : null,
    stats: {
      bidsPlaced: Number(st?.placed ?? 0),
      heldMinor: Number(st?.held ?? 0),
      outstandingMinor: Number(notes?.outstanding ?? 0),
      lastPlacedAt: st?.last ? new Date(st.last).toISOString() : null,
    },
  };
}

async function requireLenderWithKyc(q: Queryable, lenderId: string) {
  const [u] = await q.select().from(users).where(eq(users.id, lenderId));
  if (!u || u.role !== 'lender') throw new AppError('FORBIDDEN', 'only lenders keep an autobid strategy');
  if (u.kycStatus !== 'verified' || !u.riskProfile) throw new AppError('KYC_REQUIRED', 'complete KYC (PUT /api/v1/me/kyc) before saving a strategy');
  if (u.frozenAt) throw new AppError('ACCOUNT_FROZEN', `the account is frozen: ${u.frozenReason ?? ''}`);
  return u;
}

/**
 * Saves the whole strategy. Saved enabled, it then bids once on the listings open now with at least
 * AUTOBID_MIN_TIME_LEFT_SEC to go (docs/autobid.md "When"), each listing in its own transaction.
 */
export async function saveStrategy(ctx: AppContext, lenderId: string, body: StrategyBody): Promise<StrategyView & { placedNow: { bids: number; amountMinor: number } }> {
  const s = checkedStrategy(ctx, body);
  const at = new Date(ctx.clock.nowMs());
  await ctx.transaction(async (tx) => {
    await requireLenderWithKyc(tx, lenderId);
    const values = { enabled: s.enabled, amountPerListingMinor: s.amountPerListingMinor, maxPerBorrowerMinor: s.maxPerBorrowerMinor, budgetMinor: s.budgetMinor, reserveMinor: s.reserveMinor, minRateBpsByGrade: s.minRateBpsByGrade as Record<string, number>, termsMonths: s.termsMonths ? [...s.termsMonths] : null, products: s.products ? [...s.products] : null, updatedAt: at };
    await tx.insert(autobidStrategies).values({ lenderId, ...values }).onConflictDoUpdate({ target: autobidStrategies.lenderId, set: values });
  });
  const placedNow = s.enabled ? await placeOnOpenListings(ctx, lenderId) : { bids: 0, amountMinor: 0 };
  return { ...(await getStrategy(ctx, lenderId)), placedNow };
}

/** Open listings a strategy saved now would look at: open, at least the setting's time to go, oldest first. */
async function openListingsForSave(q: Queryable, nowMs: number, minTimeLeftSec: number): Promise<ListingRow[]> {
  return q
    .select()
    .from(listings)
    .where(and(eq(listings.status, 'open'), sql`${listings.endsAt} >= ${new Date(nowMs + minTimeLeftSec * 1000).toISOString()}::timestamptz`))
    .orderBy(listings.createdAt, listings.id)
    .limit(1000);
}

async function placeOnOpenListings(ctx: AppContext, lenderId: string): Promise<{ bids: number; amountMinor: number }> {
  const settings = ctx.settings.get();
  const open = await openListingsForSave(ctx.db, ctx.clock.nowMs(), settings.autobidMinTimeLeftSec);
  const passed = new Set((await rows<{ listing_id: string }>(ctx.db, sql`select listing_id from autobid_passes where listing_id = any(${sqlArray(open.map((l) => l.id))}::text[])`)).map((r) => r.listing_id));
  let bids = 0;
  let amountMinor = 0;
  for (const l of open) {
    // A listing whose opening pass has not run yet gets this strategy in that pass, in its turn.
    if (!passed.has(l.id)) continue;
    const [row] = await ctx.db.select().from(autobidStrategies).where(eq(autobidStrategies.lenderId, lenderId));
    if (!row?.enabled) break;
    if (!strategyMatches(strategyOf(row), autobidListingOf(l))) continue;
    const result = await runPass(ctx, l.id, 'saved', [lenderId]);
    bids += result.placed;
    amountMinor += result.placedMinor;
  }
  return { bids, amountMinor };
}

/**
 * The autobid pass of a listing at its opening: the job handler. One transaction decides every matching
 * strategy in rotation order and writes their bids, their log lines and the pass record together; a
 * listing that already has its pass record is left alone, so running the job again (a retry, a second
 * node, a crash after commit) changes nothing.
 */
export async function runOpeningPass(ctx: AppContext, listingId: string): Promise<{ ran: boolean; placed: number; placedMinor: number }> {
  return runPass(ctx, listingId, 'opening', null);
}

async function runPass(ctx: AppContext, listingId: string, trigger: 'opening' | 'saved', only: readonly string[] | null): Promise<{ ran: boolean; placed: number; placedMinor: number }> {
  const nowMs = ctx.clock.nowMs();
  const at = new Date(nowMs);
  const settings = ctx.settings.get();
  const result = await ctx.transaction(async (tx) => {
    const listing = await lockListing(tx, listingId);
    if (!listing) return null;
    if (trigger === 'opening') {
      const [done] = await tx.select({ listingId: autobidPasses.listingId }).from(autobidPasses).where(eq(autobidPasses.listingId, listingId));
      if (done) return null;
    }
    const open = listing.status === 'open' && listing.endsAt.getTime() > nowMs;
    const candidates = open ? await loadCandidates(tx, listing, nowMs, settings.autobidLookbackDays, only) : { candidates: [], frozen: [] as string[], autobidCoveredMinor: 0 };
    const decisions: Decision[] = open
      ? [...candidates.frozen.map((id): Decision => ({ lenderId: id, outcome: 'skipped', code: 'ACCOUNT_FROZEN' })), ...planPlacement({ listing: autobidListingOf(listing), candidates: candidates.candidates, autobidCoveredMinor: candidates.autobidCoveredMinor, settings })]
      : [];
    const toPlace = decisions.filter((d): d is Extract<Decision, { outcome: 'placed' }> => d.outcome === 'placed');
    const requests: BidRequest[] = toPlace.map((d) => ({ lenderId: d.lenderId, amountMinor: d.amountMinor, rateBps: d.rateBps, clientRef: trigger === 'opening' ? `autobid:${listingId}` : `autobid:${listingId}:${nowMs}`, source: 'autobid' }));
    const placed = requests.length ? await placeBidsInTransaction(ctx, tx, listingId, requests, nowMs) : { outcomes: [] as BidOutcome[], afterCommit: () => {} };
    const outcomeOf = new Map(toPlace.map((d, i) => [d.lenderId, placed.outcomes[i]!]));
    const lines: (typeof autobidLog.$inferInsert)[] = [];
    let placedCount = 0;
    let placedMinor = 0;
    const lineIds = newIds('abl', decisions.length, nowMs);
    for (const [i, d] of decisions.entries()) {
      // Saving again over a listing already bid on is not news for the log.
      if (trigger === 'saved' && d.outcome === 'skipped' && d.code === 'BID_EXISTS') continue;
      const base = { id: lineIds[i]!, lenderId: d.lenderId, listingId, at, trigger };
      if (d.outcome === 'skipped') {
        lines.push({ ...base, outcome: 'skipped', code: d.code });
        continue;
      }
      const o = outcomeOf.get(d.lenderId)!;
      if (o.ok) {
        placedCount++;
        placedMinor += o.bid.amountMinor;
        lines.push({ ...base, outcome: 'placed', bidId: o.bid.id, amountMinor: o.bid.amountMinor, rateBps: o.bid.rateBps });
      } else lines.push({ ...base, outcome: 'skipped', code: o.code, amountMinor: d.amountMinor, rateBps: d.rateBps });
    }
    // Each lender hears of its own autobid on its `me` channel (the bid itself is an ordinary bid.accepted).
    const told: OutboxMessage[] = lines.filter((x) => x.outcome === 'placed').map((x) => ({ channel: `user:${x.lenderId}`, type: 'autobid.placed', data: { listingId, bidId: x.bidId, amountMinor: x.amountMinor, rateBps: x.rateBps, trigger } }));
    await writePassEnd(tx, listingId, at, lines, told, trigger === 'opening' ? { matched: decisions.length, placed: placedCount, placedMinor } : null);
    return { afterCommit: placed.afterCommit, placed: placedCount, placedMinor };
  });
  if (!result) return { ran: false, placed: 0, placedMinor: 0 };
  result.afterCommit();
  return { ran: true, placed: result.placed, placedMinor: result.placedMinor };
}

/**
 * The end of a pass in one statement (a pass may log thousands): its log lines, the lenders'
 * `autobid.placed` events as one outbox row, and — for an opening — the pass record that makes running
 * it again a no-op.
 */
async function writePassEnd(
  tx: Tx,
  listingId: string,
  at: Date,
  lines: readonly (typeof autobidLog.$inferInsert)[],
  told: readonly OutboxMessage[],
  pass: { matched: number; placed: number; placedMinor: number } | null,
): Promise<void> {
  if (lines.length === 0 && told.length === 0 && !pass) return;
  if (told.length) {
    let channels = channelsWritten.get(tx);
    if (!channels) channelsWritten.set(tx, (channels = new Set()));
    for (const m of told) channels.add(m.channel);
  }
  const records = lines.map((x) => ({ id: x.id, lender_id: x.lenderId, listing_id: x.listingId, outcome: x.outcome, trigger: x.trigger, bid_id: x.bidId ?? null, code: x.code ?? null, amount_minor: x.amountMinor ?? null, rate_bps: x.rateBps ?? null }));
  const atIso = at.toISOString();
  const [written] = await rows<{ log: number; events: number; passes: number }>(
    tx,
    sql`with
      log as (
        insert into autobid_log (id, lender_id, listing_id, at, outcome, trigger, bid_id, code, amount_minor, rate_bps)
        select id, lender_id, listing_id, ${atIso}::timestamptz, outcome, trigger, bid_id, code, amount_minor, rate_bps
        from jsonb_to_recordset(${JSON.stringify(records)}::jsonb) as x(id text, lender_id text, listing_id text, outcome text, trigger text, bid_id text, code text, amount_minor bigint, rate_bps integer)
        returning 1),
      events as (
        insert into outbox (messages, jobs)
        select ${JSON.stringify(told)}::jsonb, '[]'::jsonb where ${told.length ? 1 : 0}::integer = 1
        returning 1),
      passes as (
        insert into autobid_passes (listing_id, at, matched, placed, placed_minor)
        select ${listingId}, ${atIso}::timestamptz, ${pass?.matched ?? 0}::integer, ${pass?.placed ?? 0}::integer, ${pass?.placedMinor ?? 0}::bigint where ${pass ? 1 : 0}::integer = 1
        returning 1)
    select (select count(*) from log)::integer as log, (select count(*) from events)::integer as events, (select count(*) from passes)::integer as passes`,
  );
  if (Number(written?.log) !== lines.length || Number(written?.passes) !== (pass ? 1 : 0)) throw new Error(`autobid pass of ${listingId}: the log or the pass record was not written`);
}

interface LenderFigures {
  lender_id: string;
  kyc_status: string;
  risk_profile: string | null;
  id_number_hash: string | null;
  frozen: boolean;
  recent: string;
  last_at: Date | string | null;
  borrower_notes: string;
  borrower_bids: string;
  strategy_notes: string;
  strategy_bids: string;
  on_listing: string | null;
}

/**
 * Every enabled strategy that may want this listing, with the lender figures the rules count, in a
 * handful of set-based reads (a listing may match thousands of strategies).
 */
async function loadCandidates(tx: Tx, listing: ListingRow, nowMs: number, lookbackDays: number, only: readonly string[] | null): Promise<{ candidates: Candidate[]; frozen: string[]; autobidCoveredMinor: number }> {
  const target = autobidListingOf(listing);
  const strategyRows = await tx
    .select()
    .from(autobidStrategies)
    .where(and(eq(autobidStrategies.enabled, true), sql`jsonb_exists(${autobidStrategies.minRateBpsByGrade}, ${listing.grade})`, only ? sql`${autobidStrategies.lenderId} = any(${sqlArray(only)}::text[])` : undefined));
  const matching = strategyRows.map((r) => ({ lenderId: r.lenderId, strategy: strategyOf(r) })).filter((c) => strategyMatches(c.strategy, target));
  const [covered] = await rows<{ covered: string | null }>(tx, sql`select sum(amount_minor) as covered from bids where listing_id = ${listing.id} and status = 'active' and source = 'autobid'`);
  const autobidCoveredMinor = Number(covered?.covered ?? 0);
  if (matching.length === 0) return { candidates: [], frozen: [], autobidCoveredMinor };
  const ids = sqlArray(matching.map((m) => m.lenderId));
  const since = new Date(nowMs - lookbackDays * 86_400_000).toISOString();
  // One grouped scan per figure over the candidates' rows (not a subquery per lender).
  const figures = await rows<LenderFigures>(
    tx,
    sql`with l as (select unnest(${ids}::text[]) as lender_id),
        ab as (select b.lender_id, count(*) filter (where b.created_at >= ${since}::timestamptz) as recent, max(b.created_at) as last_at,
                      sum(b.amount_minor) filter (where b.status = 'active') as held
               from bids b where b.source = 'autobid' and b.lender_id = any(${ids}::text[]) group by b.lender_id),
        bb as (select b.lender_id, sum(b.amount_minor) as minor from bids b join listings li on li.id = b.listing_id
               where b.status = 'active' and li.borrower_user_id = ${listing.borrowerUserId} and b.lender_id = any(${ids}::text[]) group by b.lender_id),
        bn as (select n.lender_id, sum(n.outstanding_principal_minor) as minor from loan_notes n join loans lo on lo.id = n.loan_id
               where lo.borrower_user_id = ${listing.borrowerUserId} and n.lender_id = any(${ids}::text[]) group by n.lender_id),
        sn as (select n.lender_id, sum(n.outstanding_principal_minor) as minor from loan_notes n join bids b on b.id = n.bid_id
               where b.source = 'autobid' and n.lender_id = any(${ids}::text[]) group by n.lender_id),
        ol as (select b.lender_id, sum(b.amount_minor) as minor from bids b
               where b.listing_id = ${listing.id} and b.status = 'active' group by b.lender_id)
        select u.id as lender_id, u.kyc_status, u.risk_profile, u.id_number_hash, u.frozen_at is not null as frozen,
          coalesce(ab.recent, 0) as recent, ab.last_at, coalesce(bn.minor, 0) as borrower_notes, coalesce(bb.minor, 0) as borrower_bids,
          coalesce(sn.minor, 0) as strategy_notes, coalesce(ab.held, 0) as strategy_bids, ol.minor as on_listing
        from l join users u on u.id = l.lender_id
          left join ab on ab.lender_id = u.id left join bb on bb.lender_id = u.id left join bn on bn.lender_id = u.id
          left join sn on sn.lender_id = u.id left join ol on ol.lender_id = u.id
        where u.role = 'lender'`,
  );
  const [borrower] = await tx.select({ idNumberHash: users.idNumberHash }).from(users).where(eq(users.id, listing.borrowerUserId));
  const wallets = await balances(tx, figures.map((f) => walletAccountId(f.lender_id)));
  const strategyOfLender = new Map(matching.map((m) => [m.lenderId, m.strategy]));
  const frozen: string[] = [];
  const candidates: Candidate[] = [];
  for (const f of figures) {
    if (f.frozen) {
      frozen.push(f.lender_id);
      continue;
    }
    candidates.push({
      lenderId: f.lender_id,
      strategy: strategyOfLender.get(f.lender_id)!,
      recentAutobidCount: Number(f.recent),
      lastAutobidAtMs: f.last_at ? new Date(f.last_at).getTime() : null,
      kycComplete: f.kyc_status === 'verified',
      riskProfile: (f.risk_profile as RiskProfile | null) ?? null,
      isBorrower: borrower?.idNumberHash != null && borrower.idNumberHash === f.id_number_hash,
      activeOnListingMinor: Number(f.on_listing ?? 0),
      hasActiveBid: f.on_listing !== null,
      borrowerExposureMinor: Number(f.borrower_notes) + Number(f.borrower_bids),
      strategyExposureMinor: Number(f.strategy_notes) + Number(f.strategy_bids),
      availableMinor: wallets.get(walletAccountId(f.lender_id))?.availableMinor ?? 0,
    });
  }
  return { candidates, frozen: frozen.sort(), autobidCoveredMinor };
}

export interface LogItem {
  id: string;
  listingId: string;
  listingTitle: string;
  at: string;
  outcome: 'placed' | 'skipped';
  trigger: 'opening' | 'saved';
  bidId?: string;
  code?: string;
  amountMinor?: number;
  rateBps?: number;
}

/** The lender's autobid log, newest first, cursor-paginated by id. */
export async function autobidLogOf(q: Queryable, lenderId: string, limit: number, cursor: string | undefined): Promise<{ items: LogItem[]; nextCursor: string | null }> {
  const found = await q
    .select({ log: autobidLog, title: listings.title })
    .from(autobidLog)
    .innerJoin(listings, eq(listings.id, autobidLog.listingId))
    .where(and(eq(autobidLog.lenderId, lenderId), cursor ? lt(autobidLog.id, cursor) : undefined))
    .orderBy(desc(autobidLog.id))
    .limit(limit + 1);
  const page = found.slice(0, limit);
  return {
    items: page.map(({ log: r, title }) => ({
      id: r.id,
      listingId: r.listingId,
      listingTitle: title,
      at: r.at.toISOString(),
      outcome: r.outcome,
      trigger: r.trigger,
      ...(r.bidId ? { bidId: r.bidId } : {}),
      ...(r.code ? { code: r.code } : {}),
      ...(r.amountMinor !== null ? { amountMinor: r.amountMinor } : {}),
      ...(r.rateBps !== null ? { rateBps: r.rateBps } : {}),
    })),
    nextCursor: found.length > limit ? (page[page.length - 1]?.log.id ?? null) : null,
  };
}

/**
 * "With these settings, N of the M listings open now would get a bid, ¥X in all": the strategy as given
 * (not saved), over the listings a save would bid on, with the lender's figures of now.
 */
export async function previewOf(ctx: AppContext, lenderId: string, body: StrategyBody) {
  const s = checkedStrategy(ctx, body);
  const settings = ctx.settings.get();
  const q = ctx.db;
  const [u] = await q.select().from(users).where(eq(users.id, lenderId));
  const open = await openListingsForSave(q, ctx.clock.nowMs(), settings.autobidMinTimeLeftSec);
  const openIds = sqlArray(open.map((l) => l.id));
  const covered = new Map(
    (await rows<{ listing_id: string; covered: string }>(q, sql`select listing_id, sum(amount_minor) as covered from bids where status = 'active' and source = 'autobid' and listing_id = any(${openIds}::text[]) group by listing_id`)).map((r) => [r.listing_id, Number(r.covered)]),
  );
  const mine = new Set((await rows<{ listing_id: string }>(q, sql`select listing_id from bids where status = 'active' and lender_id = ${lenderId} and listing_id = any(${openIds}::text[])`)).map((r) => r.listing_id));
  const borrowerNotes = await rows<{ borrower: string; minor: string }>(
    q,
    sql`select lo.borrower_user_id as borrower, sum(n.outstanding_principal_minor) as minor from loan_notes n join loans lo on lo.id = n.loan_id where n.lender_id = ${lenderId} group by 1`,
  );
  const borrowerBids = await rows<{ borrower: string; minor: string }>(
    q,
    sql`select li.borrower_user_id as borrower, sum(b.amount_minor) as minor from bids b join listings li on li.id = b.listing_id where b.lender_id = ${lenderId} and b.status = 'active' group by 1`,
  );
  const exposure: Record<string, number> = {};
  for (const r of [...borrowerNotes, ...borrowerBids]) exposure[r.borrower] = (exposure[r.borrower] ?? 0) + Number(r.minor);
  const view = await getStrategy(ctx, lenderId);
  const wallet = (await balances(q, [walletAccountId(lenderId)])).get(walletAccountId(lenderId));
  const selfBorrowers = u?.idNumberHash ? (await rows<{ id: string }>(q, sql`select id from users where id_number_hash = ${u.idNumberHash} and id <> ${lenderId}`)).map((r) => r.id) : [];
  const previewListings: PreviewListing[] = open.filter((l) => isGrade(l.grade)).map((l) => ({ ...autobidListingOf(l), autobidCoveredMinor: covered.get(l.id) ?? 0, lenderHasBid: mine.has(l.id) }));
  const result = previewStrategy(
    s,
    {
      lenderId,
      kycComplete: u?.kycStatus === 'verified',
      riskProfile: (u?.riskProfile as RiskProfile | null) ?? null,
      availableMinor: wallet?.availableMinor ?? 0,
      strategyExposureMinor: view.stats.heldMinor + view.stats.outstandingMinor,
      borrowerExposureMinor: exposure,
      selfBorrowerIds: selfBorrowers,
    },
    previewListings,
    settings,
  );
  return { listingsOpen: result.listingsOpen, listingsBid: result.listingsBid, totalMinor: result.totalMinor, currency: 'CNY' as const, bids: result.bids };
}

/** The market's clearing rates per grade over the last `days`: principal-weighted, with how many loans. */
export async function clearingRatesByGrade(q: Queryable, nowMs: number, days = 30) {
  const since = new Date(nowMs - days * 86_400_000).toISOString();
  const found = await rows<{ grade: string; loans: string; rate: string | null }>(
    q,
    sql`select grade, count(*) as loans, round(sum(rate_bps::numeric * principal_minor) / nullif(sum(principal_minor), 0)) as rate
        from loans where created_at >= ${since}::timestamptz group by grade`,
  );
  const by = new Map(found.map((r) => [r.grade, r]));
  return { days, items: GRADES.map((g) => ({ grade: g, loans: Number(by.get(g)?.loans ?? 0), rateBps: by.get(g)?.rate != null ? Number(by.get(g)!.rate) : null })) };
}
