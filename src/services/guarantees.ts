/**
 * Third-party guarantors (docs/guarantees.md): operators register them; a listing may ask one to stand
 * behind its loan; the guarantor accepts (within its capacity) or declines; after a default it pays the
 * note holders what it owes. Each command is one transaction. Lock order, shared with the market and
 * servicing commands: the guarantor row (accepting, so that two acceptances are measured against its
 * capacity one at a time), then the listing row, then the loan row, then the guarantee row, then wallets.
 * The platform never guarantees: nothing here ever moves money from a platform account.
 */
import { and, desc, eq, inArray, lt, sql } from 'drizzle-orm';
import type { AppContext } from '../context.js';
import { rows, type Queryable } from '../db/client.js';
import { guarantees, guarantors, listings, loans, merchants, users, type OutboxMessage } from '../db/schema/index.js';
import { isoDateOfMs, type IsoDate } from '../domain/dates.js';
import type { Grade } from '../domain/grades.js';
import { AppError, rejectionError } from '../domain/errors.js';
import { capacityMinor, checkCapacity, checkGuaranteeTerms, coveredMinor, exposureOf, guarantorPayment, isOverdue } from '../domain/guarantees/index.js';
import { owedToday } from '../domain/servicing/index.js';
import { idFromSeed, newId } from '../ids.js';
import { openWallet, walletAccountId } from '../ledger/ledger.js';
import { hashPassword } from '../security/passwords.js';
import type { GuaranteeRow, GuarantorRow } from './guarantee-hooks.js';
import { requireStrongPassword } from './identity.js';
import { autobidJob, closeJob, lockListing, marketUpdate, merchantName, releaseCollateral, type ListingRow } from './listings.js';
import { loadLoan } from './loans.js';
import { writeOutbox } from './outbox.js';
import { pay } from './servicing.js';
import { closedBefore } from './servicing-store.js';
import { walletChanged, walletOf } from './wallet.js';
import { queueWebhook } from './webhooks.js';

function today(ctx: AppContext): IsoDate {
  return isoDateOfMs(ctx.clock.nowMs());
}

// ---- operators ----

export interface NewGuarantor {
  name: string;
  licenceNo: string;
  registeredCapitalMinor: number;
  email: string;
  password: string;
}

/** Registers a guarantee company with its own user (role `guarantor`) and that user's custodian wallet. */
export async function registerGuarantor(ctx: AppContext, input: NewGuarantor, byUserId: string): Promise<{ id: string; userId: string }> {
  requireStrongPassword(input.password, input.email);
  const passwordHash = await hashPassword(input.password);
  const nowMs = ctx.clock.nowMs();
  const at = new Date(nowMs);
  return ctx.transaction(async (tx) => {
    const [taken] = await tx.select({ id: users.id }).from(users).where(sql`lower(${users.email}) = lower(${input.email})`);
    if (taken) throw new AppError('EMAIL_TAKEN');
    const [licensed] = await tx.select({ id: guarantors.id }).from(guarantors).where(eq(guarantors.licenceNo, input.licenceNo));
    if (licensed) throw new AppError('GUARANTOR_EXISTS', `licence ${input.licenceNo} is registered`);
    const userId = newId('usr', nowMs);
    const id = newId('gtr', nowMs);
    await tx.insert(users).values({ id: userId, email: input.email, passwordHash, role: 'guarantor', displayName: input.name, createdAt: at, passwordChangedAt: at });
    await openWallet(tx, userId);
    await tx.insert(guarantors).values({ id, name: input.name, licenceNo: input.licenceNo, registeredCapitalMinor: input.registeredCapitalMinor, userId, createdBy: byUserId, createdAt: at });
    return { id, userId };
  });
}

// ---- capacity ----

/** The guarantor's covered principal outstanding now: the sum of its guarantees' exposures. */
export async function exposureOfGuarantor(q: Queryable, guarantorId: string): Promise<number> {
  const found = await rows<{ status: string; coverage_pct: number; owed_minor: number; paid_minor: number; amount_minor: number; outstanding_minor: number | null }>(
    q,
    sql`select g.status, g.coverage_pct, g.owed_minor, g.paid_minor, l.amount_minor, lo.outstanding_principal_minor as outstanding_minor
        from guarantees g join listings l on l.id = g.listing_id left join loans lo on lo.id = g.loan_id
        where g.guarantor_id = ${guarantorId} and g.status in ('active', 'owed')`,
  );
  return found.reduce((a, r) => a + exposureOf({ status: r.status, coveragePct: r.coverage_pct, owedMinor: Number(r.owed_minor), paidMinor: Number(r.paid_minor) }, r.outstanding_minor === null ? Number(r.amount_minor) : Number(r.outstanding_minor)), 0);
}

export function guarantorView(g: GuarantorRow, exposureMinor: number, leverage: number) {
  const capacity = capacityMinor(g.registeredCapitalMinor, leverage);
  return {
    id: g.id,
    name: g.name,
    licenceNo: g.licenceNo,
    registeredCapitalMinor: g.registeredCapitalMinor,
    capacityMinor: capacity,
    exposureMinor,
    leftMinor: Math.max(0, capacity - exposureMinor),
    currency: 'CNY' as const,
  };
}

/** Guarantors a borrower may name (GET /guarantors), with what each could still cover. */
export async function listGuarantors(ctx: AppContext) {
  const all = await ctx.db.select().from(guarantors).orderBy(guarantors.name).limit(200);
  const leverage = ctx.settings.get().guarantorLeverage;
  const items = [];
  for (const g of all) items.push(guarantorView(g, await exposureOfGuarantor(ctx.db, g.id), leverage));
  return { items };
}

// ---- the listing asks ----

/** The guarantor a listing names, its terms checked (inside the listing's transaction). */
export async function guarantorFor(q: Queryable, terms: { guarantorId: string; coveragePct: number; feeBps: number }): Promise<GuarantorRow> {
  const checked = checkGuaranteeTerms(terms);
  if (!checked.ok) throw rejectionError(checked);
  const [g] = await q.select().from(guarantors).where(eq(guarantors.id, terms.guarantorId));
  if (!g) throw new AppError('GUARANTOR_NOT_FOUND', `no guarantor ${terms.guarantorId}`);
  return g;
}

export async function requestGuarantee(q: Queryable, listing: ListingRow, guarantor: GuarantorRow, terms: { coveragePct: number; feeBps: number }, nowMs: number): Promise<GuaranteeRow> {
  const [row] = await q
    .insert(guarantees)
    .values({ id: idFromSeed('gte', `guarantee:${listing.id}`), listingId: listing.id, guarantorId: guarantor.id, coveragePct: terms.coveragePct, feeBps: terms.feeBps, status: 'pending', createdAt: new Date(nowMs) })
    .returning();
  return row!;
}

// ---- the guarantor decides ----

async function guarantorOfUser(q: Queryable, userId: string): Promise<GuarantorRow> {
  const [g] = await q.select().from(guarantors).where(eq(guarantors.userId, userId));
  if (!g) throw new AppError('FORBIDDEN', 'this account is not a guarantor');
  return g;
}

async function ownGuarantee(q: Queryable, guarantor: GuarantorRow, guaranteeId: string): Promise<GuaranteeRow> {
  const [g] = await q.select().from(guarantees).where(eq(guarantees.id, guaranteeId));
  if (!g || g.guarantorId !== guarantor.id) throw new AppError('NOT_FOUND', 'no such guarantee of yours');
  return g;
}

/**
 * The guarantor accepts: within its capacity (GUARANTOR_LEVERAGE × registered capital, counting this
 * listing's amount × coverage), the listing opens for its full auction length from now.
 */
export async function acceptGuarantee(ctx: AppContext, userId: string, guaranteeId: string): Promise<GuaranteeView> {
  const nowMs = ctx.clock.nowMs();
  const at = new Date(nowMs);
  return ctx.transaction(async (tx) => {
    const mine = await guarantorOfUser(tx, userId);
    const [guarantor] = await tx.select().from(guarantors).where(eq(guarantors.id, mine.id)).for('update');
    const found = await ownGuarantee(tx, guarantor!, guaranteeId);
    const listing = (await lockListing(tx, found.listingId))!;
    const [g] = await tx.select().from(guarantees).where(eq(guarantees.id, guaranteeId)).for('update');
    if (g!.status === 'active') return (await guaranteeViews(tx, [g!], today(ctx)))[0]!;
    if (g!.status !== 'pending' || listing.status !== 'pending_guarantee') throw new AppError('GUARANTEE_NOT_PENDING', `the request is ${g!.status}`);
    const settings = ctx.settings.get();
    const checked = checkCapacity({ exposureMinor: await exposureOfGuarantor(tx, guarantor!.id), addMinor: coveredMinor(listing.amountMinor, g!.coveragePct), capacityMinor: capacityMinor(guarantor!.registeredCapitalMinor, settings.guarantorLeverage) });
    if (!checked.ok) throw rejectionError(checked);
    const [decided] = await tx.update(guarantees).set({ status: 'active', decidedAt: at }).where(eq(guarantees.id, guaranteeId)).returning();
    // The auction runs its full length from the acceptance (the borrower chose a length, not an end).
    const durationMs = listing.originalEndsAt.getTime() - listing.createdAt.getTime();
    const [opened] = await tx
      .update(listings)
      .set({ status: 'open', endsAt: new Date(nowMs + durationMs), originalEndsAt: new Date(nowMs + durationMs), endsAtVersion: listing.endsAtVersion + 1, seq: listing.seq + 1 })
      .where(eq(listings.id, listing.id))
      .returning();
    const name = await merchantName(tx, listing.merchantId);
    const data = { guaranteeId, listingId: listing.id, guarantorName: guarantor!.name, coveragePct: g!.coveragePct, feeBps: g!.feeBps, endsAt: opened!.endsAt.toISOString() };
    // The market learns of the listing with its guarantee (the badge), as a read of the list would show it.
    const opening = marketUpdate(opened!, name, 'listing.created');
    const shown = (await guaranteesOfListings(tx, [listing.id], today(ctx))).get(listing.id);
    const messages: OutboxMessage[] = [
      // Its own channel learns it opened (and a cached snapshot of it is dropped), in its sequence.
      { channel: `listing:${listing.id}`, type: 'listing.opened', seq: opened!.seq, data: { status: 'open', endsAt: opened!.endsAt.toISOString(), originalEndsAt: opened!.originalEndsAt.toISOString() } },
      { ...opening, data: { ...(opening.data as Record<string, unknown>), guarantee: shown } }, { channel: `user:${listing.borrowerUserId}`, type: 'guarantee.accepted', data }, { channel: `user:${userId}`, type: 'guarantee.accepted', data }];
    await writeOutbox(tx, { messages, jobs: [autobidJob(opened!.id), closeJob(opened!)] });
    await webhookOfListing(ctx, tx, listing, 'guarantee.accepted', data);
    return (await guaranteeViews(tx, [decided!], today(ctx)))[0]!;
  });
}

/** The guarantor declines: the listing, asked on these terms, is withdrawn and its collateral freed. */
export async function declineGuarantee(ctx: AppContext, userId: string, guaranteeId: string): Promise<GuaranteeView> {
  const at = new Date(ctx.clock.nowMs());
  return ctx.transaction(async (tx) => {
    const guarantor = await guarantorOfUser(tx, userId);
    const found = await ownGuarantee(tx, guarantor, guaranteeId);
    const listing = (await lockListing(tx, found.listingId))!;
    const [g] = await tx.select().from(guarantees).where(eq(guarantees.id, guaranteeId)).for('update');
    if (g!.status === 'declined') return (await guaranteeViews(tx, [g!], today(ctx)))[0]!;
    if (g!.status !== 'pending' || listing.status !== 'pending_guarantee') throw new AppError('GUARANTEE_NOT_PENDING', `the request is ${g!.status}`);
    const [decided] = await tx.update(guarantees).set({ status: 'declined', decidedAt: at }).where(eq(guarantees.id, guaranteeId)).returning();
    await tx.update(listings).set({ status: 'withdrawn', closedAt: at, seq: listing.seq + 1 }).where(eq(listings.id, listing.id));
    await releaseCollateral(tx, listing.id);
    const data = { guaranteeId, listingId: listing.id, guarantorName: guarantor.name };
    await writeOutbox(tx, { messages: [{ channel: `listing:${listing.id}`, type: 'listing.withdrawn', seq: listing.seq + 1, data: { releasedBidIds: [], reason: 'guarantee.declined' } }, { channel: `user:${listing.borrowerUserId}`, type: 'guarantee.declined', data }, { channel: `user:${userId}`, type: 'guarantee.declined', data }] });
    await webhookOfListing(ctx, tx, listing, 'guarantee.declined', data);
    return (await guaranteeViews(tx, [decided!], today(ctx)))[0]!;
  });
}

async function webhookOfListing(ctx: AppContext, q: Queryable, listing: ListingRow, type: 'guarantee.accepted' | 'guarantee.declined' | 'guarantee.paid', data: Record<string, unknown>): Promise<void> {
  const [m] = await q.select({ partnerId: merchants.partnerId, ref: merchants.ref }).from(merchants).where(eq(merchants.id, listing.merchantId));
  if (m) await queueWebhook(ctx, q, m.partnerId, type, { merchantRef: m.ref, ...data });
}

// ---- the guarantor pays ----

/**
 * The guarantor pays what it owes (POST /guarantees/:id/pay): each note holder — whoever holds the note
 * today — gets coverage × its note's claim at default (at most what the note is still owed), from the
 * guarantor's wallet, recorded as a guarantor payment (代偿) split inside each note like any repayment.
 * Paying again answers the first payment. INSUFFICIENT_FUNDS and nothing moves if the wallet lacks it.
 */
export async function payGuarantee(ctx: AppContext, userId: string, guaranteeId: string): Promise<GuaranteeView> {
  const nowMs = ctx.clock.nowMs();
  const day = isoDateOfMs(nowMs);
  const guarantor = await guarantorOfUser(ctx.db, userId);
  const first = await ownGuarantee(ctx.db, guarantor, guaranteeId);
  if (!first.loanId) throw new AppError('GUARANTEE_NOT_OWED', `the guarantee is ${first.status}`);
  return ctx.transaction(async (tx) => {
    const loaded = (await loadLoan(tx, first.loanId!, true))!;
    const [g] = await tx.select().from(guarantees).where(eq(guarantees.id, guaranteeId)).for('update');
    if (g!.status === 'paid') return (await guaranteeViews(tx, [g!], day))[0]!;
    if (g!.status !== 'owed') throw new AppError('GUARANTEE_NOT_OWED', `the guarantee is ${g!.status}`);
    const claimNow = owedToday(closedBefore(ctx, loaded, day).state, day);
    const payoffs = new Map(claimNow.perNote.map((n) => [n.noteId, n.payoffMinor]));
    const perNote = guarantorPayment(g!.owedPerNote ?? [], (noteId) => payoffs.get(noteId) ?? 0).filter((n) => n.amountMinor > 0);
    const amountMinor = perNote.reduce((a, n) => a + n.amountMinor, 0);
    const repaymentId = idFromSeed('rep', `guarantor:${g!.id}`);
    if (amountMinor > 0) {
      await pay(ctx, tx, loaded, { repaymentId, amountMinor, source: 'guarantor', debitAccountId: walletAccountId(userId), note: { guaranteeId: g!.id, guarantorId: guarantor.id }, perNote });
    }
    const [paid] = await tx.update(guarantees).set({ status: 'paid', paidMinor: amountMinor, paidOn: day, paymentId: amountMinor > 0 ? repaymentId : null }).where(eq(guarantees.id, guaranteeId)).returning();
    const data = { guaranteeId, loanId: loaded.loan.id, listingId: loaded.loan.listingId, guarantorName: guarantor.name, paidMinor: amountMinor, paidOn: day, currency: 'CNY' };
    const holders = new Set(perNote.map((n) => loaded.notes.find((x) => x.id === n.noteId)!.lenderId));
    await writeOutbox(tx, { messages: [...[userId, loaded.loan.borrowerUserId, ...holders].map((u) => ({ channel: `user:${u}`, type: 'guarantee.paid', data }))] });
    await walletChanged(tx, userId, 'guarantee.paid');
    const [listing] = await tx.select().from(listings).where(eq(listings.id, loaded.loan.listingId));
    await webhookOfListing(ctx, tx, listing!, 'guarantee.paid', data);
    return (await guaranteeViews(tx, [paid!], day))[0]!;
  });
}

// ---- reads ----

/** A guarantee as its guarantor sees it (GET /guarantees). */
export async function guaranteeViews(q: Queryable, found: readonly GuaranteeRow[], day: IsoDate) {
  if (found.length === 0) return [];
  const ls = await q
    .select({ id: listings.id, title: listings.title, amountMinor: listings.amountMinor, status: listings.status, grade: listings.grade, merchantName: merchants.name })
    .from(listings)
    .innerJoin(merchants, eq(merchants.id, listings.merchantId))
    .where(inArray(listings.id, found.map((g) => g.listingId)));
  const byListing = new Map(ls.map((l) => [l.id, l]));
  const loanIds = found.map((g) => g.loanId).filter((x): x is string => x !== null);
  const ln = loanIds.length ? await q.select({ id: loans.id, principalMinor: loans.principalMinor, outstandingMinor: loans.outstandingPrincipalMinor, status: loans.status }).from(loans).where(inArray(loans.id, loanIds)) : [];
  const byLoan = new Map(ln.map((l) => [l.id, l]));
  return found.map((g) => {
    const l = byListing.get(g.listingId)!;
    const loan = g.loanId ? byLoan.get(g.loanId) : undefined;
    return {
      id: g.id,
      listingId: g.listingId,
      loanId: g.loanId,
      listingTitle: l.title,
      merchantName: l.merchantName,
      grade: l.grade as Grade,
      amountMinor: l.amountMinor,
      listingStatus: l.status,
      coveragePct: g.coveragePct,
      feeBps: g.feeBps,
      status: g.status,
      overdue: isOverdue(g, day),
      coveredMinor: exposureOf(g, loan ? loan.outstandingMinor : l.amountMinor),
      loanOutstandingMinor: loan?.outstandingMinor ?? null,
      feeMinor: g.feeMinor,
      owedMinor: g.owedMinor,
      paidMinor: g.paidMinor,
      recoveredMinor: g.recoveredMinor,
      defaultedOn: g.defaultedOn,
      payBy: g.payBy,
      paidOn: g.paidOn,
      currency: 'CNY' as const,
      createdAt: g.createdAt.toISOString(),
    };
  });
}
export type GuaranteeView = Awaited<ReturnType<typeof guaranteeViews>>[number];

/** The guarantor's own guarantees, newest first, optionally of one status. */
export async function myGuarantees(ctx: AppContext, userId: string, status: string | undefined, limit: number, cursor: string | undefined) {
  const guarantor = await guarantorOfUser(ctx.db, userId);
  const conditions = [eq(guarantees.guarantorId, guarantor.id)];
  if (status) conditions.push(eq(guarantees.status, status as GuaranteeRow['status']));
  if (cursor) conditions.push(lt(guarantees.id, cursor));
  const found = await ctx.db.select().from(guarantees).where(and(...conditions)).orderBy(desc(guarantees.id)).limit(limit + 1);
  const page = found.slice(0, limit);
  return { items: await guaranteeViews(ctx.db, page, today(ctx)), nextCursor: found.length > limit ? page[page.length - 1]!.id : null };
}

/** The guarantor's own summary: exposure against capacity, what it owes, has paid and got back, its wallet. */
export async function guarantorSelf(ctx: AppContext, userId: string) {
  const guarantor = await guarantorOfUser(ctx.db, userId);
  const [sums] = await rows<{ owed: number; paid: number; recovered: number; fees: number; pending: number; overdue: number }>(
    ctx.db,
    sql`select coalesce(sum(case when status = 'owed' then owed_minor - paid_minor else 0 end), 0)::bigint as owed,
               coalesce(sum(paid_minor), 0)::bigint as paid, coalesce(sum(recovered_minor), 0)::bigint as recovered,
               coalesce(sum(fee_minor), 0)::bigint as fees,
               count(*) filter (where status = 'pending')::int as pending,
               count(*) filter (where status = 'owed' and pay_by < ${today(ctx)})::int as overdue
        from guarantees where guarantor_id = ${guarantor.id}`,
  );
  return {
    ...guarantorView(guarantor, await exposureOfGuarantor(ctx.db, guarantor.id), ctx.settings.get().guarantorLeverage),
    owedMinor: Number(sums?.owed ?? 0),
    paidMinor: Number(sums?.paid ?? 0),
    recoveredMinor: Number(sums?.recovered ?? 0),
    feesMinor: Number(sums?.fees ?? 0),
    pendingRequests: Number(sums?.pending ?? 0),
    overdue: Number(sums?.overdue ?? 0),
    wallet: await walletOf(ctx.db, userId),
  };
}

/**
 * The guarantee a listing shows (public): the guarantor's name and licence, coverage and fee, its state,
 * and whether an owed payment is overdue. Keyed by listing id.
 */
export async function guaranteesOfListings(q: Queryable, listingIds: readonly string[], day: IsoDate) {
  const out = new Map<string, ListingGuarantee>();
  if (listingIds.length === 0) return out;
  const found = await q
    .select({ g: guarantees, name: guarantors.name, licenceNo: guarantors.licenceNo })
    .from(guarantees)
    .innerJoin(guarantors, eq(guarantors.id, guarantees.guarantorId))
    .where(inArray(guarantees.listingId, [...new Set(listingIds)]));
  for (const { g, name, licenceNo } of found) {
    out.set(g.listingId, {
      guarantorId: g.guarantorId,
      guarantorName: name,
      licenceNo,
      coveragePct: g.coveragePct,
      feeBps: g.feeBps,
      status: g.status,
      overdue: isOverdue(g, day),
      owedMinor: g.owedMinor,
      paidMinor: g.paidMinor,
      payBy: g.payBy,
      paidOn: g.paidOn,
    });
  }
  return out;
}
export interface ListingGuarantee {
  guarantorId: string;
  guarantorName: string;
  licenceNo: string;
  coveragePct: number;
  feeBps: number;
  status: GuaranteeRow['status'];
  overdue: boolean;
  owedMinor: number;
  paidMinor: number;
  payBy: IsoDate | null;
  paidOn: IsoDate | null;
}

