/**
 * Core enterprises, their payables and the claims passed down the tiers (docs/supply-chain.md §1). Each
 * command is one transaction. Lock order, shared with listings and settlement: the core enterprise row
 * (issuing), then payables in id order (FOR SHARE to assign or pledge, FOR UPDATE to settle), then claims
 * in id order, then loans, then wallets. Taking the payable before its claims is what lets a settlement
 * see every claim: an assignment in flight holds its payable, and the settlement waits for it.
 */
import { and, asc, desc, eq, inArray, lt, sql } from 'drizzle-orm';
import type { AppContext } from '../context.js';
import { rows, type Queryable, type Tx } from '../db/client.js';
import { claims, coreEnterprises, listings, merchants, partners, payables, users, type OutboxMessage } from '../db/schema/index.js';
import { assignClaim, chainView, checkIssue, claimAdvancePct, claimFinancingLimit, samePayable, validateClaimCollateral, type ChainLink, type ClaimCollateral } from '../domain/claims/index.js';
import { addDays, isoDateOfMs, type IsoDate } from '../domain/dates.js';
import { AppError } from '../domain/errors.js';
import type { Grade } from '../domain/grades.js';
import type { Settings } from '../domain/settings.js';
import { idFromSeed, newId } from '../ids.js';
import { openWallet } from '../ledger/ledger.js';
import { merchantByRef } from './merchants.js';
import { writeOutbox } from './outbox.js';
import { createCoreKey } from './partners.js';
import { walletOf } from './wallet.js';
import { queueWebhook } from './webhooks.js';

export type CoreEnterpriseRow = typeof coreEnterprises.$inferSelect;
export type PayableRow = typeof payables.$inferSelect;
export type ClaimRow = typeof claims.$inferSelect;

/** Who signs a `/core/...` call: the core enterprise and the order system it was registered under. */
export interface CoreCaller {
  partnerId: string;
  coreEnterpriseId: string;
}

function today(ctx: AppContext): IsoDate {
  return isoDateOfMs(ctx.clock.nowMs());
}

// ---- core enterprises (operators) ----

export interface NewCoreEnterprise {
  partnerId: string;
  name: string;
  legalForm: 'legal_person' | 'natural_person';
  grade: Grade;
  limitMinor: number;
}

/** Registers a core enterprise under an order system: its key of kind `core` (secret shown once) and its wallet. */
export async function registerCoreEnterprise(ctx: AppContext, input: NewCoreEnterprise, byUserId: string): Promise<{ id: string; keyId: string; secret: string }> {
  const id = newId('ce', ctx.clock.nowMs());
  return ctx.transaction(async (tx) => {
    const [partner] = await tx.select({ id: partners.id }).from(partners).where(eq(partners.id, input.partnerId));
    if (!partner) throw new AppError('NOT_FOUND', 'no order system with this partnerId');
    await tx.insert(coreEnterprises).values({ id, ...input, createdBy: byUserId, createdAt: new Date(ctx.clock.nowMs()) });
    await openWallet(tx, id);
    const key = await createCoreKey(ctx, tx, input.partnerId, id);
    return { id, ...key };
  });
}

/** What the core enterprise owes on claims not yet paid: the part of its limit in use. */
async function unpaidOf(q: Queryable, coreEnterpriseId: string): Promise<number> {
  const [r] = await rows<{ s: number }>(q, sql`select coalesce(sum(amount_minor), 0)::bigint as s from payables where core_enterprise_id = ${coreEnterpriseId} and status = 'outstanding'`);
  return Number(r?.s ?? 0);
}

export function coreEnterpriseView(c: CoreEnterpriseRow, usedMinor: number) {
  return {
    id: c.id,
    partnerId: c.partnerId,
    name: c.name,
    legalForm: c.legalForm,
    grade: c.grade as Grade,
    limitMinor: c.limitMinor,
    usedMinor,
    leftMinor: Math.max(0, c.limitMinor - usedMinor),
    currency: 'CNY' as const,
    createdAt: c.createdAt.toISOString(),
  };
}

/** Operators' list: each core enterprise with its limit in use, its wallet and its key. */
export async function listCoreEnterprises(ctx: AppContext) {
  const found = await rows<{ id: string; used: number; payables: number; partner_name: string; key_id: string | null }>(
    ctx.db,
    sql`select c.id, coalesce((select sum(p.amount_minor) from payables p where p.core_enterprise_id = c.id and p.status = 'outstanding'), 0)::bigint as used,
               (select count(*) from payables p where p.core_enterprise_id = c.id and p.status = 'outstanding')::int as payables,
               pa.name as partner_name,
               (select k.key_id from partner_keys k where k.core_enterprise_id = c.id and k.revoked_at is null order by k.created_at limit 1) as key_id
        from core_enterprises c join partners pa on pa.id = c.partner_id order by c.created_at desc limit 500`,
  );
  const byId = new Map((await ctx.db.select().from(coreEnterprises)).map((c) => [c.id, c]));
  const items = [];
  for (const r of found) {
    const c = byId.get(r.id);
    if (!c) continue;
    items.push({ ...coreEnterpriseView(c, Number(r.used)), partnerName: r.partner_name, keyId: r.key_id, outstandingPayables: Number(r.payables), wallet: await walletOf(ctx.db, c.id) });
  }
  return { items };
}

async function coreOf(q: Queryable, coreEnterpriseId: string): Promise<CoreEnterpriseRow> {
  const [c] = await q.select().from(coreEnterprises).where(eq(coreEnterprises.id, coreEnterpriseId));
  if (!c) throw new AppError('UNAUTHENTICATED', 'this key belongs to no core enterprise');
  return c;
}

/** The core enterprise's own view of itself (GET /core/wallet carries it too). */
export async function coreSelf(ctx: AppContext, caller: CoreCaller) {
  const c = await coreOf(ctx.db, caller.coreEnterpriseId);
  return { ...coreEnterpriseView(c, await unpaidOf(ctx.db, c.id)), wallet: await walletOf(ctx.db, c.id) };
}

// ---- payables (the core enterprise) ----

export interface NewPayable {
  payableRef: string;
  supplierMerchantRef: string;
  amountMinor: number;
  dueDate: IsoDate;
  orderIds?: string[] | undefined;
}

/** The borrower account of a merchant that is to hold a claim or receive money: claims live in Lendbook wallets. */
async function accountOf(q: Queryable, merchantId: string, merchantRef: string): Promise<string> {
  const [u] = await q.select({ id: users.id }).from(users).where(eq(users.merchantId, merchantId));
  if (!u) throw new AppError('MERCHANT_NO_ACCOUNT', `merchant '${merchantRef}' has no Lendbook account yet: send it an invite first`);
  return u.id;
}

/**
 * The core enterprise confirms a payable to one of its suppliers: a tier-1 claim of the whole amount.
 * Idempotent by `payableRef`: the same payable again answers with the first; another one under the same
 * reference is PAYABLE_EXISTS. The core enterprise's row is locked first, so concurrent issues are
 * measured against its limit one at a time.
 */
export async function issuePayable(ctx: AppContext, caller: CoreCaller, input: NewPayable): Promise<{ payableRef: string; claimId: string; created: boolean }> {
  const nowMs = ctx.clock.nowMs();
  const settings = ctx.settings.get();
  const orderIds = input.orderIds ?? [];
  return ctx.transaction(async (tx) => {
    const [core] = await tx.select().from(coreEnterprises).where(eq(coreEnterprises.id, caller.coreEnterpriseId)).for('update');
    if (!core) throw new AppError('UNAUTHENTICATED', 'this key belongs to no core enterprise');
    const supplier = await merchantByRef(tx, caller.partnerId, input.supplierMerchantRef);
    const [existing] = await tx.select().from(payables).where(and(eq(payables.coreEnterpriseId, core.id), eq(payables.payableRef, input.payableRef)));
    if (existing) {
      if (!samePayable(existing, { supplierMerchantId: supplier.id, amountMinor: input.amountMinor, dueDate: input.dueDate, orderIds })) {
        throw new AppError('PAYABLE_EXISTS', `payable '${input.payableRef}' was issued with other terms`);
      }
      const [first] = await tx.select({ id: claims.id }).from(claims).where(and(eq(claims.payableId, existing.id), eq(claims.tier, 1)));
      return { payableRef: existing.payableRef, claimId: first!.id, created: false };
    }
    const supplierUserId = await accountOf(tx, supplier.id, supplier.ref);
    const unpaidMinor = await unpaidOf(tx, core.id);
    const checked = checkIssue({ amountMinor: input.amountMinor, dueDate: input.dueDate, today: isoDateOfMs(nowMs), unpaidMinor, limitMinor: core.limitMinor, settings });
    if (!checked.ok) throw new AppError(checked.code, checked.detail, checked.code === 'CORE_LIMIT_EXCEEDED' ? { limitMinor: core.limitMinor, usedMinor: unpaidMinor } : undefined);
    const at = new Date(nowMs);
    const payableId = newId('pay', nowMs);
    const claimId = newId('clm', nowMs);
    await tx.insert(payables).values({ id: payableId, coreEnterpriseId: core.id, payableRef: input.payableRef, supplierMerchantId: supplier.id, amountMinor: input.amountMinor, dueDate: input.dueDate, orderIds, status: 'outstanding', issuedAt: at });
    await tx.insert(claims).values({ id: claimId, payableId, coreEnterpriseId: core.id, holderMerchantId: supplier.id, parentId: null, tier: 1, amountMinor: input.amountMinor, originalAmountMinor: input.amountMinor, chain: [supplier.id], createdAt: at });
    const data = { payableRef: input.payableRef, claimId, coreEnterpriseId: core.id, coreEnterpriseName: core.name, merchantRef: supplier.ref, amountMinor: input.amountMinor, dueDate: input.dueDate, tier: 1, currency: 'CNY' };
    await queueWebhook(ctx, tx, caller.partnerId, 'claim.issued', data);
    await writeOutbox(tx, { messages: [{ channel: `user:${supplierUserId}`, type: 'claim.received', data: { claimId, fromName: core.name, coreEnterpriseName: core.name, amountMinor: input.amountMinor, dueDate: input.dueDate, tier: 1 } }] });
    return { payableRef: input.payableRef, claimId, created: true };
  });
}

async function merchantNames(q: Queryable, ids: readonly string[]): Promise<Map<string, { name: string; ref: string }>> {
  if (ids.length === 0) return new Map();
  const found = await q.select({ id: merchants.id, name: merchants.name, ref: merchants.ref }).from(merchants).where(inArray(merchants.id, [...new Set(ids)]));
  return new Map(found.map((m) => [m.id, { name: m.name, ref: m.ref }]));
}

/** What a pledged claim backs: the listing, and the loan once it has cleared. */
async function pledgesOf(q: Queryable, listingIds: readonly string[]): Promise<Map<string, { listingId: string; status: string; loanId: string | null }>> {
  const ids = [...new Set(listingIds)];
  if (ids.length === 0) return new Map();
  const found = await q.select({ id: listings.id, status: listings.status, loanId: listings.loanId }).from(listings).where(inArray(listings.id, ids));
  return new Map(found.map((l) => [l.id, { listingId: l.id, status: l.status, loanId: l.loanId }]));
}

/** The payable as its core enterprise sees it: who holds what now, and how it was paid out once settled. */
export async function payableView(q: Queryable, coreEnterpriseId: string, payableRef: string) {
  const [p] = await q.select().from(payables).where(and(eq(payables.coreEnterpriseId, coreEnterpriseId), eq(payables.payableRef, payableRef)));
  if (!p) throw new AppError('NOT_FOUND', `no payable '${payableRef}'`);
  const found = await q.select().from(claims).where(eq(claims.payableId, p.id)).orderBy(asc(claims.tier), asc(claims.id));
  const names = await merchantNames(q, [p.supplierMerchantId, ...found.map((c) => c.holderMerchantId)]);
  const pledges = await pledgesOf(q, found.map((c) => c.pledgedListingId).filter((x): x is string => x !== null));
  return {
    payableRef: p.payableRef,
    supplierMerchantRef: names.get(p.supplierMerchantId)?.ref ?? '',
    amountMinor: p.amountMinor,
    currency: 'CNY' as const,
    dueDate: p.dueDate,
    orderIds: p.orderIds,
    status: p.status,
    issuedAt: p.issuedAt.toISOString(),
    settledOn: p.settledOn,
    claims: found.map((c) => {
      const pledge = c.pledgedListingId ? pledges.get(c.pledgedListingId) : undefined;
      return {
        id: c.id,
        holderMerchantRef: names.get(c.holderMerchantId)?.ref ?? '',
        holderName: names.get(c.holderMerchantId)?.name ?? '',
        amountMinor: c.amountMinor,
        tier: c.tier,
        parentId: c.parentId,
        ...(pledge ? { pledgedTo: { listingId: pledge.listingId, loanId: pledge.loanId } } : {}),
        ...(c.toLoanMinor !== null ? { toLoanMinor: c.toLoanMinor, toHolderMinor: c.toHolderMinor! } : {}),
      };
    }),
  };
}
export type PayableView = Awaited<ReturnType<typeof payableView>>;

// ---- claims (the holders) ----

async function merchantOfUser(q: Queryable, userId: string): Promise<string> {
  const [u] = await q.select({ merchantId: users.merchantId }).from(users).where(eq(users.id, userId));
  if (!u?.merchantId) throw new AppError('MERCHANT_NOT_LINKED');
  return u.merchantId;
}

/** A claim as its holder sees it (GET /me/claims, the assign response): the chain, and where it went. */
async function claimViews(q: Queryable, found: readonly ClaimRow[], today: IsoDate) {
  if (found.length === 0) return [];
  const payableRows = await q.select().from(payables).where(inArray(payables.id, [...new Set(found.map((c) => c.payableId))]));
  const payableOf = new Map(payableRows.map((p) => [p.id, p]));
  const coreRows = await q.select().from(coreEnterprises).where(inArray(coreEnterprises.id, [...new Set(found.map((c) => c.coreEnterpriseId))]));
  const coreOfId = new Map(coreRows.map((c) => [c.id, c]));
  const children = await q.select().from(claims).where(inArray(claims.parentId, found.map((c) => c.id))).orderBy(asc(claims.id));
  const names = await merchantNames(q, [...found.flatMap((c) => c.chain), ...children.map((c) => c.holderMerchantId)]);
  const pledges = await pledgesOf(q, found.map((c) => c.pledgedListingId).filter((x): x is string => x !== null));
  return found.map((c) => {
    const p = payableOf.get(c.payableId)!;
    const core = coreOfId.get(c.coreEnterpriseId)!;
    const pledge = c.pledgedListingId ? pledges.get(c.pledgedListingId) : undefined;
    const chain: ChainLink[] = chainView(core.name, c.chain, (id) => names.get(id)?.name ?? '');
    return {
      id: c.id,
      payableRef: p.payableRef,
      coreEnterprise: { id: core.id, name: core.name, grade: core.grade as Grade },
      amountMinor: c.amountMinor,
      originalAmountMinor: c.originalAmountMinor,
      currency: 'CNY' as const,
      dueDate: p.dueDate,
      tier: c.tier,
      parentId: c.parentId,
      chain,
      status: claimStatus(p, c, today),
      assignedTo: children.filter((k) => k.parentId === c.id).map((k) => ({ claimId: k.id, merchantName: names.get(k.holderMerchantId)?.name ?? '', amountMinor: k.originalAmountMinor, tier: k.tier })),
      ...(pledge && (pledge.status === 'open' || pledge.status === 'cleared') ? { pledgedTo: { listingId: pledge.listingId, loanId: pledge.loanId } } : {}),
      ...(c.toLoanMinor !== null ? { toLoanMinor: c.toLoanMinor, toHolderMinor: c.toHolderMinor!, settledOn: p.settledOn } : {}),
      createdAt: c.createdAt.toISOString(),
    };
  });
}
export type ClaimView = Awaited<ReturnType<typeof claimViews>>[number];

/** active: may be assigned or financed; due: waiting for the core enterprise; settled: paid; passed_on: nothing left. */
function claimStatus(p: PayableRow, c: ClaimRow, today: IsoDate): 'active' | 'due' | 'settled' | 'passed_on' {
  if (p.status === 'settled') return 'settled';
  if (c.amountMinor === 0) return 'passed_on';
  return p.dueDate <= today ? 'due' : 'active';
}

/** The claims the borrower's merchant holds or held, newest first, cursor-paginated by id. */
export async function myClaims(ctx: AppContext, userId: string, limit: number, cursor: string | undefined) {
  const merchantId = await merchantOfUser(ctx.db, userId);
  const found = await ctx.db
    .select()
    .from(claims)
    .where(and(eq(claims.holderMerchantId, merchantId), cursor ? lt(claims.id, cursor) : undefined))
    .orderBy(desc(claims.id))
    .limit(limit + 1);
  const page = found.slice(0, limit);
  return { items: await claimViews(ctx.db, page, today(ctx)), nextCursor: found.length > limit ? page[page.length - 1]!.id : null };
}

/** Locks payables (FOR SHARE or FOR UPDATE) in id order. */
async function lockPayables(tx: Tx, ids: readonly string[], mode: 'share' | 'update'): Promise<PayableRow[]> {
  const sorted = [...new Set(ids)].sort();
  if (sorted.length === 0) return [];
  return tx.select().from(payables).where(inArray(payables.id, sorted)).orderBy(asc(payables.id)).for(mode);
}

/**
 * The holder passes part or all of a claim to one of its own suppliers (a merchant of the same order
 * system with a Lendbook account). The claim shrinks, a new one is made a tier down; with an
 * Idempotency-Key the new claim's id is fixed, so a retry finds it instead of assigning twice.
 */
export async function assignClaimTo(ctx: AppContext, userId: string, claimId: string, input: { toMerchantRef: string; amountMinor: number }, idempotencyKey: string | null): Promise<ClaimView> {
  const nowMs = ctx.clock.nowMs();
  const settings = ctx.settings.get();
  const childId = idempotencyKey ? idFromSeed('clm', `assign:${userId}:${idempotencyKey}`) : newId('clm', nowMs);
  return ctx.transaction(async (tx) => {
    const merchantId = await merchantOfUser(tx, userId);
    const [done] = await tx.select().from(claims).where(eq(claims.id, childId));
    if (done) {
      if (done.parentId !== claimId || done.originalAmountMinor !== input.amountMinor) throw new AppError('IDEMPOTENCY_KEY_REUSED', 'this Idempotency-Key was used for another assignment');
      return (await claimViews(tx, [done], isoDateOfMs(nowMs)))[0]!;
    }
    const [peek] = await tx.select({ payableId: claims.payableId }).from(claims).where(eq(claims.id, claimId));
    if (!peek) throw new AppError('NOT_FOUND', 'no such claim of yours');
    const [payable] = await lockPayables(tx, [peek.payableId], 'share');
    const [claim] = await tx.select().from(claims).where(eq(claims.id, claimId)).for('update');
    if (!claim || !payable || claim.holderMerchantId !== merchantId) throw new AppError('NOT_FOUND', 'no such claim of yours');
    const [core] = await tx.select().from(coreEnterprises).where(eq(coreEnterprises.id, claim.coreEnterpriseId));
    const to = await merchantByRef(tx, core!.partnerId, input.toMerchantRef);
    const pledge = claim.pledgedListingId ? (await pledgesOf(tx, [claim.pledgedListingId])).get(claim.pledgedListingId) : undefined;
    const decided = assignClaim({
      claim: { id: claim.id, holderMerchantId: claim.holderMerchantId, tier: claim.tier, amountMinor: claim.amountMinor, chain: claim.chain, pledged: pledge !== undefined && (pledge.status === 'open' || pledge.status === 'cleared') },
      payable: { status: payable.status, dueDate: payable.dueDate },
      toMerchantId: to.id,
      amountMinor: input.amountMinor,
      today: isoDateOfMs(nowMs),
      settings,
    });
    if (!decided.ok) throw new AppError(decided.code, decided.detail, decided.code === 'VALIDATION_FAILED' ? { errors: [{ field: 'body/toMerchantRef', message: decided.detail }] } : undefined);
    const toUserId = await accountOf(tx, to.id, to.ref);
    const { keptMinor, child } = decided.assignment;
    const at = new Date(nowMs);
    await tx.update(claims).set({ amountMinor: keptMinor }).where(eq(claims.id, claim.id));
    const [row] = await tx
      .insert(claims)
      .values({ id: childId, payableId: claim.payableId, coreEnterpriseId: claim.coreEnterpriseId, holderMerchantId: child.holderMerchantId, parentId: claim.id, tier: child.tier, amountMinor: child.amountMinor, originalAmountMinor: child.amountMinor, chain: child.chain, createdAt: at })
      .returning();
    const [from] = await tx.select({ ref: merchants.ref, name: merchants.name }).from(merchants).where(eq(merchants.id, merchantId));
    await queueWebhook(ctx, tx, core!.partnerId, 'claim.assigned', {
      payableRef: payable.payableRef,
      coreEnterpriseId: core!.id,
      claimId: childId,
      parentId: claim.id,
      fromMerchantRef: from!.ref,
      toMerchantRef: to.ref,
      amountMinor: child.amountMinor,
      keptMinor,
      tier: child.tier,
      dueDate: payable.dueDate,
      currency: 'CNY',
    });
    const messages: OutboxMessage[] = [
      { channel: `user:${toUserId}`, type: 'claim.received', data: { claimId: childId, fromName: from!.name, coreEnterpriseName: core!.name, amountMinor: child.amountMinor, dueDate: payable.dueDate, tier: child.tier } },
      { channel: `user:${userId}`, type: 'claim.assigned', data: { claimId: claim.id, toName: to.name, amountMinor: child.amountMinor, keptMinor } },
    ];
    await writeOutbox(tx, { messages });
    return (await claimViews(tx, [row!], isoDateOfMs(nowMs)))[0]!;
  });
}

// ---- claims on listings ----

/**
 * Pledges the borrower's claims to a new listing inside its transaction: payables locked for share,
 * claims for update, then the rules of a claim-backed listing. Returns the collateral, graded by the
 * claims' core enterprise.
 */
export async function pledgeClaims(
  tx: Tx,
  input: { merchantId: string; listingId: string; claimIds: readonly string[]; amountMinor: number; maturesOn: string; firstMaturity: IsoDate; today: IsoDate; settings: Settings },
): Promise<ClaimCollateral> {
  const ids = [...input.claimIds];
  const peek = ids.length ? await tx.select({ payableId: claims.payableId }).from(claims).where(and(inArray(claims.id, ids), eq(claims.holderMerchantId, input.merchantId))) : [];
  const payableRows = await lockPayables(tx, peek.map((p) => p.payableId), 'share');
  const payableOf = new Map(payableRows.map((p) => [p.id, p]));
  const held = ids.length
    ? await tx.select().from(claims).where(and(inArray(claims.id, ids), eq(claims.holderMerchantId, input.merchantId))).orderBy(asc(claims.id)).for('update')
    : [];
  const pledges = await pledgesOf(tx, held.map((c) => c.pledgedListingId).filter((x): x is string => x !== null));
  const cores = held.length ? await tx.select().from(coreEnterprises).where(inArray(coreEnterprises.id, [...new Set(held.map((c) => c.coreEnterpriseId))])) : [];
  const decided = validateClaimCollateral({
    amountMinor: input.amountMinor,
    claimIds: ids,
    claims: held.map((c) => {
      const pledge = c.pledgedListingId ? pledges.get(c.pledgedListingId) : undefined;
      const p = payableOf.get(c.payableId)!;
      return { id: c.id, holderMerchantId: c.holderMerchantId, tier: c.tier, amountMinor: c.amountMinor, chain: c.chain, pledged: pledge !== undefined && (pledge.status === 'open' || pledge.status === 'cleared'), coreEnterpriseId: c.coreEnterpriseId, payable: { status: p.status, dueDate: p.dueDate } };
    }),
    coreGrades: new Map(cores.map((c) => [c.id, c.grade as Grade])),
    maturesOn: input.maturesOn,
    firstMaturity: input.firstMaturity,
    today: input.today,
    settings: input.settings,
  });
  if (!decided.ok) throw new AppError(decided.code, decided.detail);
  await tx.update(claims).set({ pledgedListingId: input.listingId }).where(inArray(claims.id, ids));
  return decided.collateral;
}

/** The first maturity a claim-backed listing may have: the day after its auction could end at the latest. */
export function firstMaturityAfter(originalEndsAtMs: number, settings: Settings): IsoDate {
  return addDays(isoDateOfMs(originalEndsAtMs + settings.softCloseMaxExtensionSec * 1000), 1);
}

/** What a claim-backed listing shows: the core enterprise, each claim with its chain and due date. */
export async function listingClaims(q: Queryable, listing: { id: string; coreEnterpriseId: string | null; borrowerGrade: string | null; collateralValueMinor: number | null; collateralLimitMinor: number | null }) {
  if (!listing.coreEnterpriseId) return null;
  const [core] = await q.select().from(coreEnterprises).where(eq(coreEnterprises.id, listing.coreEnterpriseId));
  const found = await q.select().from(claims).where(eq(claims.pledgedListingId, listing.id)).orderBy(asc(claims.id));
  const payableRows = found.length ? await q.select().from(payables).where(inArray(payables.id, [...new Set(found.map((c) => c.payableId))])) : [];
  const payableOf = new Map(payableRows.map((p) => [p.id, p]));
  const names = await merchantNames(q, found.flatMap((c) => c.chain));
  return {
    kind: 'claims' as const,
    valueMinor: listing.collateralValueMinor,
    limitMinor: listing.collateralLimitMinor,
    coreEnterprise: { id: core!.id, name: core!.name, grade: core!.grade as Grade },
    borrowerGrade: listing.borrowerGrade,
    claims: found.map((c) => {
      const p = payableOf.get(c.payableId)!;
      return {
        id: c.id,
        amountMinor: c.amountMinor,
        dueDate: p.dueDate,
        tier: c.tier,
        chain: chainView(core!.name, c.chain, (id) => names.get(id)?.name ?? ''),
        payableStatus: p.status,
        ...(c.toLoanMinor !== null ? { toLoanMinor: c.toLoanMinor, toHolderMinor: c.toHolderMinor! } : {}),
      };
    }),
  };
}

/** Claims the merchant holds that could back a listing now, with their advance rate (the listing form's picker). */
export async function financeableClaims(q: Queryable, merchantId: string, todayIso: IsoDate, settings: Pick<Settings, 'claimAdvancePct'>) {
  const found = await rows<{ id: string; amount_minor: number; due_date: string; tier: number; core_id: string; core_name: string; grade: string }>(
    q,
    sql`select c.id, c.amount_minor, to_char(p.due_date, 'YYYY-MM-DD') as due_date, c.tier, ce.id as core_id, ce.name as core_name, ce.grade
        from claims c join payables p on p.id = c.payable_id join core_enterprises ce on ce.id = c.core_enterprise_id
        left join listings l on l.id = c.pledged_listing_id
        where c.holder_merchant_id = ${merchantId} and c.amount_minor > 0 and p.status = 'outstanding' and p.due_date > ${todayIso}::date
          and (l.id is null or l.status not in ('open','cleared'))
        order by p.due_date, c.id limit 200`,
  );
  return found.map((c) => ({
    id: c.id,
    amountMinor: Number(c.amount_minor),
    dueDate: c.due_date,
    tier: c.tier,
    coreEnterprise: { id: c.core_id, name: c.core_name, grade: c.grade as Grade },
    advancePct: claimAdvancePct(c.grade as Grade, settings),
  }));
}

/**
 * The largest claim-backed listing the merchant could post now: its financeable claims on one core
 * enterprise (the one that lends most) at that grade's advance rate, within the regulatory cap left.
 */
export async function bestClaimOffer(q: Queryable, merchantId: string, todayIso: IsoDate, capLeftMinor: number, settings: Pick<Settings, 'claimAdvancePct'>) {
  const byCore = new Map<string, Awaited<ReturnType<typeof financeableClaims>>>();
  for (const c of await financeableClaims(q, merchantId, todayIso, settings)) {
    if (c.advancePct === null) continue;
    byCore.set(c.coreEnterprise.id, [...(byCore.get(c.coreEnterprise.id) ?? []), c]);
  }
  let best: { coreEnterprise: { id: string; name: string; grade: Grade }; claimIds: string[]; valueMinor: number; advancePct: number; maxAmountMinor: number; maturesBy: IsoDate } | null = null;
  for (const list of byCore.values()) {
    const valueMinor = list.reduce((a, c) => a + c.amountMinor, 0);
    const grade = list[0]!.coreEnterprise.grade;
    const maxAmountMinor = Math.min(claimFinancingLimit(grade, valueMinor, settings), capLeftMinor - (capLeftMinor % 100));
    if (!best || maxAmountMinor > best.maxAmountMinor) {
      best = { coreEnterprise: list[0]!.coreEnterprise, claimIds: list.map((c) => c.id), valueMinor, advancePct: list[0]!.advancePct!, maxAmountMinor, maturesBy: list.map((c) => c.dueDate).sort()[0]! };
    }
  }
  return best;
}

