/**
 * Operators and accounts (docs/operators.md): finding users, reviewing an identity, freezing and
 * unfreezing an account. Every change is one transaction with its audit-log row (who, when, why) and a
 * `me` event for the account's owner.
 */
import { and, desc, eq, ilike, lt, or, sql, type SQL } from 'drizzle-orm';
import type { AppContext } from '../context.js';
import { rows, sqlArray, type Queryable } from '../db/client.js';
import { auditLog, users } from '../db/schema/index.js';
import { AppError } from '../domain/errors.js';
import { newId } from '../ids.js';
import { writeOutbox } from './outbox.js';
import { walletOf } from './wallet.js';

export type UserRow = typeof users.$inferSelect;

/** Refuses a command of a frozen account (bids, listings, withdrawals); repayments stay open to it. */
export function assertNotFrozen(user: Pick<UserRow, 'frozenAt' | 'frozenReason'> | undefined): void {
  if (user?.frozenAt) throw new AppError('ACCOUNT_FROZEN', `the account is frozen: ${user.frozenReason ?? ''}`);
}

export async function requireNotFrozen(q: Queryable, userId: string): Promise<void> {
  const [u] = await q.select({ frozenAt: users.frozenAt, frozenReason: users.frozenReason }).from(users).where(eq(users.id, userId));
  assertNotFrozen(u);
}

function summary(u: UserRow) {
  return {
    id: u.id,
    email: u.email,
    displayName: u.displayName,
    role: u.role,
    kycStatus: u.kycStatus,
    kycReview: u.kycReview ?? null,
    frozen: u.frozenAt !== null,
    frozenReason: u.frozenReason ?? null,
    createdAt: u.createdAt.toISOString(),
  };
}

/** The users page: search by e-mail, name, legal name or id; filters by role and state; newest first. */
export async function searchUsers(q: Queryable, query: { q?: string | undefined; role?: string | undefined; state?: 'frozen' | 'unreviewed' | undefined; limit: number; cursor?: string | undefined }) {
  const conditions: SQL[] = [];
  if (query.q) {
    const like = `%${query.q.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
    conditions.push(or(ilike(users.email, like), ilike(users.displayName, like), ilike(users.legalName, like), eq(users.id, query.q))!);
  }
  if (query.role) conditions.push(sql`${users.role} = ${query.role}`);
  if (query.state === 'frozen') conditions.push(sql`${users.frozenAt} is not null`);
  if (query.state === 'unreviewed') conditions.push(sql`${users.kycStatus} = 'verified' and ${users.kycReview} is null`);
  if (query.cursor) conditions.push(lt(users.id, query.cursor));
  const found = await q.select().from(users).where(conditions.length ? and(...conditions) : undefined).orderBy(desc(users.id)).limit(query.limit + 1);
  const page = found.slice(0, query.limit);
  return { items: page.map(summary), nextCursor: found.length > query.limit ? (page[page.length - 1]?.id ?? null) : null };
}

/** One account as operators review it: identity, other accounts with the same identity, wallet, audit log. */
export async function userDetail(ctx: AppContext, userId: string) {
  const [u] = await ctx.db.select().from(users).where(eq(users.id, userId));
  if (!u) throw new AppError('NOT_FOUND', 'no such user');
  const sameIdentity = u.idNumberHash
    ? await rows<{ id: string; email: string; role: UserRow['role'] }>(ctx.db, sql`select id, email, role from users where id_number_hash = ${u.idNumberHash} and id <> ${u.id} order by id limit 20`)
    : [];
  const wallet = u.role === 'lender' || u.role === 'borrower' ? await walletOf(ctx.db, u.id) : null;
  const audit = await ctx.db.select().from(auditLog).where(eq(auditLog.subjectUserId, u.id)).orderBy(desc(auditLog.at)).limit(100);
  return {
    ...summary(u),
    legalName: u.legalName ?? null,
    idNumberLast4: u.idNumberLast4 ?? null,
    riskProfile: u.riskProfile ?? null,
    kycVerifiedAt: u.kycVerifiedAt?.toISOString() ?? null,
    kycReviewedAt: u.kycReviewedAt?.toISOString() ?? null,
    merchantId: u.merchantId ?? null,
    sameIdentity,
    wallet,
    audit: await auditView(ctx.db, audit),
  };
}

async function auditView(q: Queryable, entries: (typeof auditLog.$inferSelect)[]) {
  const actorIds = [...new Set(entries.map((e) => e.actorUserId))];
  const actors = actorIds.length ? await rows<{ id: string; email: string }>(q, sql`select id, email from users where id = any(${sqlArray(actorIds)}::text[])`) : [];
  const emailOf = new Map(actors.map((a) => [a.id, a.email]));
  return entries.map((e) => ({ id: e.id, at: e.at.toISOString(), action: e.action, actor: emailOf.get(e.actorUserId) ?? e.actorUserId, subjectUserId: e.subjectUserId, reason: e.reason, data: e.data }));
}

/** The audit log, newest first (all accounts, or one). */
export async function auditEntries(ctx: AppContext, query: { userId?: string | undefined; limit: number; cursor?: string | undefined }) {
  const found = await ctx.db
    .select()
    .from(auditLog)
    .where(and(query.userId ? eq(auditLog.subjectUserId, query.userId) : undefined, query.cursor ? lt(auditLog.id, query.cursor) : undefined))
    .orderBy(desc(auditLog.id))
    .limit(query.limit + 1);
  const page = found.slice(0, query.limit);
  return { items: await auditView(ctx.db, page), nextCursor: found.length > query.limit ? (page[page.length - 1]?.id ?? null) : null };
}

async function changeAccount(ctx: AppContext, operatorId: string, userId: string, action: string, reason: string, change: (u: UserRow) => Partial<UserRow> | null, event?: (u: UserRow) => { type: string; data: Record<string, unknown> }) {
  const at = new Date(ctx.clock.nowMs());
  await ctx.transaction(async (tx) => {
    const [u] = await tx.select().from(users).where(eq(users.id, userId)).for('update');
    if (!u) throw new AppError('NOT_FOUND', 'no such user');
    if (u.role === 'operator') throw new AppError('FORBIDDEN', 'operators are managed through the environment');
    const set = change(u);
    if (!set) throw new AppError('CONFLICT', `the account is already ${action === 'freeze' ? 'frozen' : action === 'unfreeze' ? 'active' : 'reviewed that way'}`);
    await tx.update(users).set(set).where(eq(users.id, userId));
    await tx.insert(auditLog).values({ id: newId('aud', at.getTime()), at, actorUserId: operatorId, action, subjectUserId: userId, reason, data: { before: { frozen: u.frozenAt !== null, kycStatus: u.kycStatus, kycReview: u.kycReview ?? null } } });
    const e = event?.(u);
    // users.changed drops every node's session cache: a frozen account's next request reads it fresh.
    await writeOutbox(tx, { messages: [{ channel: 'system', type: 'users.changed', data: {} }, ...(e ? [{ channel: `user:${userId}`, type: e.type, data: e.data }] : [])] });
  });
  return userDetail(ctx, userId);
}

export function freezeAccount(ctx: AppContext, operatorId: string, userId: string, reason: string) {
  return changeAccount(ctx, operatorId, userId, 'freeze', reason, (u) => (u.frozenAt ? null : { frozenAt: new Date(ctx.clock.nowMs()), frozenReason: reason }), () => ({ type: 'account.frozen', data: { frozen: true, reason } }));
}

export function unfreezeAccount(ctx: AppContext, operatorId: string, userId: string, reason: string) {
  return changeAccount(ctx, operatorId, userId, 'unfreeze', reason, (u) => (u.frozenAt ? { frozenAt: null, frozenReason: null } : null), () => ({ type: 'account.frozen', data: { frozen: false, reason } }));
}

/**
 * An operator's identity review of a verified account: confirmed, or rejected (the verification is
 * withdrawn: no deposits or new bids until the person verifies again; what it already owns stays).
 */
export function reviewIdentity(ctx: AppContext, operatorId: string, userId: string, outcome: 'confirmed' | 'rejected', reason: string) {
  return changeAccount(ctx, operatorId, userId, `identity_${outcome}`, reason, (u) => {
    if (u.kycStatus !== 'verified' && outcome === 'confirmed') throw new AppError('CONFLICT', 'there is no verified identity to confirm');
    if (u.kycReview === outcome && (outcome === 'confirmed' || u.kycStatus === 'none')) return null;
    return { kycReview: outcome, kycReviewedAt: new Date(ctx.clock.nowMs()), ...(outcome === 'rejected' ? { kycStatus: 'none' as const } : {}) };
  });
}
