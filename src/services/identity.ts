import { and, eq, gt, isNull, ne, sql } from 'drizzle-orm';
import type { AppContext } from '../context.js';
import { namedRows, rows, sqlArray, type Queryable } from '../db/client.js';
import { merchantInvites, sessions, users, type Role } from '../db/schema/index.js';
import { isoDateOfMs } from '../domain/dates.js';
import { AppError } from '../domain/errors.js';
import type { RiskProfile } from '../domain/grades.js';
import { isAdultOn, isValidResidentId } from '../domain/kyc.js';
import { checkPassword } from '../domain/passwords.js';
import { isCommonPassword } from '../security/common-passwords.js';
import { newId, randomToken } from '../ids.js';
import { openWallet } from '../ledger/ledger.js';
import { hmacSha256Hex, sha256Hex } from '../security/crypto.js';
import { dummyHash, hashPassword, verifyPassword } from '../security/passwords.js';
import { writeOutbox } from './outbox.js';

/** Who a request or a socket acts as, once its session is verified (the HTTP layer and the realtime hub share it). */
export interface AuthUser {
  id: string;
  role: Role;
  email: string;
  displayName: string;
  kycStatus: 'none' | 'verified';
  riskProfile: 'conservative' | 'balanced' | 'aggressive' | null;
  merchantId: string | null;
  sessionId: string;
  /** How the session came: cookie-authenticated unsafe requests get an Origin check. */
  via: 'bearer' | 'cookie';
}

/** The live sessions ($1: token hashes) with their users: the columns a request needs, nothing more. */
const LIVE_SESSIONS_SQL = `select s.token_hash, s.id as session_id, s.expires_at, u.id as user_id, u.role, u.email, u.display_name, u.kyc_status, u.risk_profile, u.merchant_id
  from sessions s join users u on u.id = s.user_id
  where s.token_hash = any($1::text[]) and s.revoked_at is null and s.expires_at > now()`;

interface LiveSessionRow {
  token_hash: string;
  session_id: string;
  expires_at: Date | string;
  user_id: string;
  role: AuthUser['role'];
  email: string;
  display_name: string;
  kyc_status: AuthUser['kycStatus'];
  risk_profile: AuthUser['riskProfile'];
  merchant_id: string | null;
}

/**
 * The users of these sessions (by token hash), with each session's end. A named statement: a busy node
 * runs it on every event-loop tick that brings requests with tokens it has not cached.
 */
export async function liveSessions(ctx: AppContext, tokenHashes: readonly string[]): Promise<Map<string, { user: Omit<AuthUser, 'via'>; expiresAtMs: number }>> {
  const found = await namedRows<LiveSessionRow>(ctx.db, 'lb_live_sessions', LIVE_SESSIONS_SQL, [sqlArray(tokenHashes)]);
  return new Map(
    found.map((row) => [
      row.token_hash,
      {
        user: {
          id: row.user_id,
          role: row.role,
          email: row.email,
          displayName: row.display_name,
          kycStatus: row.kyc_status,
          riskProfile: row.risk_profile,
          merchantId: row.merchant_id,
          sessionId: row.session_id,
        },
        expiresAtMs: new Date(row.expires_at).getTime(),
      },
    ]),
  );
}

/** Tells every node to drop cached sessions: who a user is has changed. */
export const USERS_CHANGED = { channel: 'system', type: 'users.changed', data: {} } as const;

export interface PublicUser {
  id: string;
  email: string;
  role: Role;
  displayName: string;
  merchantId: string | null;
  kyc: { status: 'none' | 'verified'; legalName: string | null; idNumberLast4: string | null; riskProfile: RiskProfile | null };
  createdAt: string;
}

type UserRow = typeof users.$inferSelect;

export function publicUser(u: UserRow): PublicUser {
  return {
    id: u.id,
    email: u.email,
    role: u.role,
    displayName: u.displayName,
    merchantId: u.merchantId,
    kyc: { status: u.kycStatus, legalName: u.legalName, idNumberLast4: u.idNumberLast4, riskProfile: u.riskProfile },
    createdAt: u.createdAt.toISOString(),
  };
}

export function requireStrongPassword(password: string, email: string): void {
  const verdict = checkPassword(password, email, isCommonPassword);
  if (!verdict.ok) throw new AppError('PASSWORD_WEAK', verdict.detail, { reason: verdict.weakness });
}

export interface RegisterInput {
  email: string;
  password: string;
  role: 'lender' | 'borrower';
  displayName: string;
  inviteCode?: string | undefined;
}

/** The user a verified session acts as; UNAUTHENTICATED if the account is gone. */
export async function userById(q: Queryable, userId: string): Promise<UserRow> {
  const [user] = await q.select().from(users).where(eq(users.id, userId));
  if (!user) throw new AppError('UNAUTHENTICATED');
  return user;
}

/** Lenders sign up freely; a borrower needs the invite code its order system issued for its merchant. */
export async function register(ctx: AppContext, input: RegisterInput): Promise<UserRow> {
  requireStrongPassword(input.password, input.email);
  const passwordHash = await hashPassword(input.password);
  const now = new Date(ctx.clock.nowMs());
  return ctx.transaction(async (tx) => {
    const [taken] = await tx.select({ id: users.id }).from(users).where(sql`lower(${users.email}) = lower(${input.email})`);
    if (taken) throw new AppError('EMAIL_TAKEN');
    let merchantId: string | null = null;
    if (input.role === 'borrower') {
      if (!input.inviteCode) throw new AppError('INVITE_INVALID', 'a borrower registers with the invite code of its merchant');
      const [invite] = await tx
        .select()
        .from(merchantInvites)
        .where(and(eq(merchantInvites.code, input.inviteCode), isNull(merchantInvites.usedAt), gt(merchantInvites.expiresAt, now)))
        .for('update');
      if (!invite) throw new AppError('INVITE_INVALID');
      const [linked] = await tx.select({ id: users.id }).from(users).where(eq(users.merchantId, invite.merchantId));
      if (linked) throw new AppError('INVITE_INVALID', 'this merchant already has a borrower account');
      merchantId = invite.merchantId;
    } else if (input.inviteCode !== undefined) {
      throw new AppError('VALIDATION_FAILED', 'body/inviteCode is only for borrowers', { errors: [{ field: 'body/inviteCode', message: 'is only for borrowers' }] });
    }
    const id = newId('usr');
    const [user] = await tx
      .insert(users)
      .values({ id, email: input.email, passwordHash, role: input.role, displayName: input.displayName, merchantId, createdAt: now, passwordChangedAt: now })
      .returning();
    if (merchantId) await tx.update(merchantInvites).set({ usedAt: now, usedBy: id }).where(eq(merchantInvites.code, input.inviteCode!));
    await openWallet(tx, id);
    return user!;
  });
}

export interface NewSession {
  token: string;
  sessionId: string;
  expiresAt: Date;
}

async function createSession(q: Queryable, ctx: AppContext, userId: string, userAgent: string | undefined): Promise<NewSession> {
  const token = randomToken(32);
  const sessionId = newId('ses');
  const expiresAt = new Date(Date.now() + ctx.config.sessionTtlSec * 1000);
  await q.insert(sessions).values({ id: sessionId, tokenHash: sha256Hex(token), userId, expiresAt, userAgent: userAgent?.slice(0, 300) ?? null });
  return { token, sessionId, expiresAt };
}

export async function login(ctx: AppContext, email: string, password: string, userAgent?: string): Promise<{ session: NewSession; user: UserRow }> {
  const [user] = await ctx.db.select().from(users).where(sql`lower(${users.email}) = lower(${email})`);
  // Verify against a dummy hash when the email is unknown: the timing tells nothing.
  const ok = await verifyPassword(user?.passwordHash ?? (await dummyHash()), password);
  if (!user || !ok) throw new AppError('INVALID_CREDENTIALS');
  const session = await createSession(ctx.db, ctx, user.id, userAgent);
  return { session, user };
}

export async function sessionFor(ctx: AppContext, userId: string, userAgent?: string): Promise<NewSession> {
  return createSession(ctx.db, ctx, userId, userAgent);
}

/** Revokes sessions and tells every node to drop its cached copy. */
async function revoke(ctx: AppContext, where: ReturnType<typeof and>): Promise<void> {
  await ctx.transaction(async (tx) => {
    await tx.update(sessions).set({ revokedAt: new Date() }).where(where);
    await writeOutbox(tx, { messages: [USERS_CHANGED] });
  });
  ctx.sessionCache.clear();
}

export async function logout(ctx: AppContext, sessionId: string): Promise<void> {
  await revoke(ctx, and(eq(sessions.id, sessionId), isNull(sessions.revokedAt)));
}

/** A new password revokes every other session of the user. */
export async function changePassword(ctx: AppContext, userId: string, sessionId: string, current: string, next: string): Promise<void> {
  const [user] = await ctx.db.select().from(users).where(eq(users.id, userId));
  if (!user || !(await verifyPassword(user.passwordHash, current))) throw new AppError('INVALID_CREDENTIALS', 'the current password is wrong');
  requireStrongPassword(next, user.email);
  const passwordHash = await hashPassword(next);
  await ctx.db.update(users).set({ passwordHash, passwordChangedAt: new Date() }).where(eq(users.id, userId));
  await revoke(ctx, and(eq(sessions.userId, userId), ne(sessions.id, sessionId), isNull(sessions.revokedAt)));
}

const DUPLICATE_IDENTITY = 'this identity is already verified on another account of this kind; one person holds one';

/** A unique violation (23505) of the named index, as pg or PGlite reports it. */
function isUniqueViolation(err: unknown, constraint: string): boolean {
  for (let e: unknown = err, depth = 0; e && depth < 3; e = (e as { cause?: unknown }).cause, depth++) {
    const { code, constraint: name, message } = e as { code?: string; constraint?: string; message?: string };
    if (code === '23505' && (name === constraint || message?.includes(constraint))) return true;
  }
  return false;
}

export interface KycInput {
  legalName: string;
  idNumber: string;
  riskProfile: RiskProfile;
}

/**
 * KYC of a lender (or of a borrower's legal representative, which lets Lendbook refuse a person bidding
 * on its own listing from a lender account). The id number is checked (format, check character, adult) and kept only as its last four
 * characters and a keyed hash. Once verified, name and number are fixed; the risk profile may change.
 */
export async function submitKyc(ctx: AppContext, userId: string, input: KycInput): Promise<UserRow> {
  const idNumber = input.idNumber.toUpperCase();
  if (!isValidResidentId(idNumber)) {
    throw new AppError('VALIDATION_FAILED', 'body/idNumber is not a valid resident identity number', { errors: [{ field: 'body/idNumber', message: 'is not a valid resident identity number' }] });
  }
  const today = isoDateOfMs(ctx.clock.nowMs());
  if (!isAdultOn(idNumber, today)) {
    throw new AppError('VALIDATION_FAILED', 'body/idNumber belongs to a minor', { errors: [{ field: 'body/idNumber', message: 'lenders must be adults' }] });
  }
  const idHash = hmacSha256Hex(ctx.serverKey, `id-number:${idNumber}`);
  return ctx
    .transaction(async (tx) => {
      const [user] = await tx.select().from(users).where(eq(users.id, userId)).for('update');
      if (!user) throw new AppError('NOT_FOUND');
      if (user.kycStatus === 'verified' && (user.legalName !== input.legalName || user.idNumberHash !== idHash)) {
        throw new AppError('KYC_LOCKED', 'a verified identity cannot be changed; only the risk profile can');
      }
      // One person may hold one lender and one borrower account, not two of either. The unique index
      // (users_identity_role_unique) decides races; this read gives the common case its answer early.
      const [dup] = await rows<{ id: string }>(tx, sql`select id from users where id_number_hash = ${idHash} and id <> ${userId} and role = ${user.role} limit 1`);
      if (dup) throw new AppError('KYC_DUPLICATE', DUPLICATE_IDENTITY);
      const [updated] = await tx
        .update(users)
        .set({
          kycStatus: 'verified',
          legalName: input.legalName,
          idNumberLast4: idNumber.slice(-4),
          idNumberHash: idHash,
          riskProfile: input.riskProfile,
          kycVerifiedAt: user.kycVerifiedAt ?? new Date(ctx.clock.nowMs()),
        })
        .where(eq(users.id, userId))
        .returning();
      await writeOutbox(tx, { messages: [USERS_CHANGED] });
      return updated!;
    })
    .catch((err: unknown) => {
      if (isUniqueViolation(err, 'users_identity_role_unique')) throw new AppError('KYC_DUPLICATE', DUPLICATE_IDENTITY);
      throw err;
    })
    .finally(() => ctx.sessionCache.clear());
}

/** The first operator, from LENDBOOK_ADMIN_EMAIL / LENDBOOK_ADMIN_PASSWORD. */
export async function ensureAdmin(ctx: AppContext): Promise<void> {
  const { adminEmail, adminPassword } = ctx.config;
  if (!adminEmail || !adminPassword) return;
  const [existing] = await ctx.db.select({ id: users.id }).from(users).where(sql`lower(${users.email}) = lower(${adminEmail})`);
  if (existing) return;
  const passwordHash = await hashPassword(adminPassword);
  await ctx.db
    .insert(users)
    .values({ id: newId('usr'), email: adminEmail, passwordHash, role: 'operator', displayName: 'Operator' })
    .onConflictDoNothing();
}
