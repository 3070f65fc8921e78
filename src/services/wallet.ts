import { eq, sql } from 'drizzle-orm';
import type { AppContext } from '../context.js';
import { rows, type Queryable } from '../db/client.js';
import { custodianInstructions, users } from '../db/schema/index.js';
import { AppError } from '../domain/errors.js';
import { idFromSeed, newId } from '../ids.js';
import { CUSTODY_ACCOUNT, balance, balances, hold, lockAccounts, openWallet, post, transfer, voidHold, walletAccountId } from '../ledger/ledger.js';
import type { OutboxMessage } from '../db/schema/index.js';
import { writeOutbox } from './outbox.js';
import { requireNotFrozen } from './accounts.js';

/** Largest single deposit or withdrawal: ¥10,000,000. */
export const MAX_SINGLE_TRANSFER_MINOR = 1_000_000_000;

export interface WalletView {
  availableMinor: number;
  heldMinor: number;
  currency: 'CNY';
}

export async function walletOf(q: Queryable, userId: string): Promise<WalletView> {
  const b = await balance(q, walletAccountId(userId));
  return { availableMinor: b.availableMinor, heldMinor: b.heldMinor, currency: 'CNY' };
}

/** A custodian account that is opened on first use (an order system's): empty until then. */
export async function accountOf(q: Queryable, ownerId: string): Promise<WalletView> {
  const b = (await balances(q, [walletAccountId(ownerId)])).get(walletAccountId(ownerId));
  return { availableMinor: b?.availableMinor ?? 0, heldMinor: b?.heldMinor ?? 0, currency: 'CNY' };
}

export type InstructionRow = typeof custodianInstructions.$inferSelect;

export interface InstructionView {
  id: string;
  kind: 'deposit' | 'withdrawal';
  amountMinor: number;
  currency: 'CNY';
  status: 'pending' | 'completed' | 'failed';
  createdAt: string;
  completedAt: string | null;
  wallet: WalletView;
}

/** The `me` event every wallet change sends its owner. */
export async function walletChanged(q: Queryable, userId: string, reason: string): Promise<void> {
  await writeOutbox(q, { messages: await walletMessages(q, [userId], reason) });
}

/** `wallet.changed` for many owners at once, their balances read in one query (batches, clearing). */
export async function walletMessages(q: Queryable, userIds: Iterable<string>, reason: string): Promise<OutboxMessage[]> {
  const ids = [...new Set(userIds)];
  if (ids.length === 0) return [];
  const found = await balances(q, ids.map(walletAccountId));
  return ids.map((userId) => {
    const b = found.get(walletAccountId(userId))!;
    return { channel: `user:${userId}`, type: 'wallet.changed', data: { reason, availableMinor: b.availableMinor, heldMinor: b.heldMinor, currency: 'CNY' } };
  });
}

async function instructionView(q: Queryable, row: InstructionRow): Promise<InstructionView> {
  return {
    id: row.id,
    kind: row.kind,
    amountMinor: row.amountMinor,
    currency: 'CNY',
    status: row.status,
    createdAt: row.createdAt.toISOString(),
    completedAt: row.completedAt?.toISOString() ?? null,
    wallet: await walletOf(q, row.userId),
  };
}

function checkAmount(amountMinor: number): void {
  if (amountMinor > MAX_SINGLE_TRANSFER_MINOR) throw new AppError('AMOUNT_INVALID', `at most ${MAX_SINGLE_TRANSFER_MINOR} minor units per transfer`, { maxMinor: MAX_SINGLE_TRANSFER_MINOR });
}

async function requireKyc(q: Queryable, userId: string): Promise<void> {
  const [u] = await q.select({ role: users.role, kyc: users.kycStatus }).from(users).where(eq(users.id, userId));
  if (!u) throw new AppError('NOT_FOUND');
  if (u.role === 'lender' && u.kyc !== 'verified') throw new AppError('KYC_REQUIRED', 'complete KYC (PUT /api/v1/me/kyc) before moving money');
}

async function existingInstruction(q: Queryable, id: string, userId: string, kind: 'deposit' | 'withdrawal', amountMinor: number): Promise<InstructionRow | undefined> {
  const [row] = await q.select().from(custodianInstructions).where(eq(custodianInstructions.id, id));
  if (!row) return undefined;
  if (row.userId !== userId || row.kind !== kind || row.amountMinor !== amountMinor) throw new AppError('IDEMPOTENCY_KEY_REUSED');
  return row;
}

/**
 * A deposit: an instruction to the custodian. The simulated custodian confirms at once (money moves
 * custody → wallet in the same transaction); a real one confirms by a signed callback.
 */
export async function deposit(ctx: AppContext, userId: string, amountMinor: number, idempotencyKey: string | null): Promise<InstructionView> {
  return depositInto(ctx, userId, amountMinor, idempotencyKey, (tx) => requireKyc(tx, userId));
}

/**
 * A deposit into any custodian wallet: a user's (after `check`), or the account of a core enterprise or
 * an order system, which the custodian keeps like any other (opened on first use).
 */
export async function depositInto(ctx: AppContext, ownerId: string, amountMinor: number, idempotencyKey: string | null, check?: (tx: Queryable) => Promise<void>): Promise<InstructionView> {
  checkAmount(amountMinor);
  const userId = ownerId;
  const id = idempotencyKey ? idFromSeed('ci', `deposit:${userId}:${idempotencyKey}`) : newId('ci');
  const at = new Date(ctx.clock.nowMs());
  return ctx.transaction(async (tx) => {
    if (check) await check(tx);
    else await openWallet(tx, ownerId);
    const existing = await existingInstruction(tx, id, userId, 'deposit', amountMinor);
    if (existing) return instructionView(tx, existing);
    const simulated = ctx.config.custodian === 'simulated';
    const [row] = await tx
      .insert(custodianInstructions)
      .values({ id, userId, kind: 'deposit', amountMinor, status: 'pending', createdAt: at })
      .returning();
    if (simulated) return instructionView(tx, await completeDeposit(tx, row!, `sim-${id}`, at));
    return instructionView(tx, row!);
  });
}

async function completeDeposit(tx: Queryable, row: InstructionRow, externalRef: string, at: Date): Promise<InstructionRow> {
  const transferId = `xfr_dep_${row.id}`;
  await transfer(tx, { id: transferId, debitAccountId: CUSTODY_ACCOUNT, creditAccountId: walletAccountId(row.userId), amountMinor: row.amountMinor, kind: 'deposit', reference: row.id, at });
  const [done] = await tx
    .update(custodianInstructions)
    .set({ status: 'completed', transferId, externalRef, completedAt: at })
    .where(eq(custodianInstructions.id, row.id))
    .returning();
  await walletChanged(tx, row.userId, 'deposit');
  return done!;
}

/**
 * A withdrawal holds the money (wallet → custody, pending) until the custodian pays out; the simulated
 * custodian pays at once (post), a real one confirms (post) or refuses (void) by callback.
 */
export async function withdraw(ctx: AppContext, userId: string, amountMinor: number, idempotencyKey: string | null): Promise<InstructionView> {
  checkAmount(amountMinor);
  const id = idempotencyKey ? idFromSeed('ci', `withdrawal:${userId}:${idempotencyKey}`) : newId('ci');
  const at = new Date(ctx.clock.nowMs());
  return ctx.transaction(async (tx) => {
    await requireKyc(tx, userId);
    await requireNotFrozen(tx, userId);
    const existing = await existingInstruction(tx, id, userId, 'withdrawal', amountMinor);
    if (existing) return instructionView(tx, existing);
    await lockAccounts(tx, [walletAccountId(userId)]);
    const holdId = `xfr_wdh_${id}`;
    await hold(tx, { id: holdId, debitAccountId: walletAccountId(userId), creditAccountId: CUSTODY_ACCOUNT, amountMinor, kind: 'withdrawal', reference: id, at });
    const [row] = await tx
      .insert(custodianInstructions)
      .values({ id, userId, kind: 'withdrawal', amountMinor, status: 'pending', transferId: holdId, createdAt: at })
      .returning();
    if (ctx.config.custodian === 'simulated') return instructionView(tx, await settleWithdrawal(tx, row!, 'completed', `sim-${id}`, at));
    await walletChanged(tx, userId, 'withdrawal.pending');
    return instructionView(tx, row!);
  });
}

async function settleWithdrawal(tx: Queryable, row: InstructionRow, outcome: 'completed' | 'failed', externalRef: string, at: Date): Promise<InstructionRow> {
  const holdId = row.transferId!;
  if (outcome === 'completed') await post(tx, { id: `xfr_wdp_${row.id}`, holdId, at });
  else await voidHold(tx, { id: `xfr_wdv_${row.id}`, holdId, at });
  const [done] = await tx
    .update(custodianInstructions)
    .set({ status: outcome, externalRef, completedAt: at, failureReason: outcome === 'failed' ? 'refused by the custodian' : null })
    .where(eq(custodianInstructions.id, row.id))
    .returning();
  await walletChanged(tx, row.userId, outcome === 'completed' ? 'withdrawal' : 'withdrawal.failed');
  return done!;
}

/**
 * The custodian's signed callback: confirms or refuses a pending instruction. A callback that arrives
 * twice with the same outcome answers the same; one that contradicts a settled instruction is refused.
 */
export async function custodianCallback(
  ctx: AppContext,
  input: { instructionId: string; status: 'completed' | 'failed'; externalRef: string },
): Promise<{ id: string; status: 'completed' | 'failed'; duplicate: boolean }> {
  const at = new Date(ctx.clock.nowMs());
  return ctx.transaction(async (tx) => {
    const [row] = await tx.select().from(custodianInstructions).where(eq(custodianInstructions.id, input.instructionId)).for('update');
    if (!row) throw new AppError('NOT_FOUND', 'no such instruction');
    if (row.status !== 'pending') {
      if (row.status === input.status) return { id: row.id, status: input.status, duplicate: true };
      throw new AppError('WITHDRAWAL_NOT_PENDING', `the instruction is already ${row.status}`);
    }
    if (row.kind === 'deposit') {
      if (input.status === 'completed') await completeDeposit(tx, row, input.externalRef, at);
      else await tx.update(custodianInstructions).set({ status: 'failed', externalRef: input.externalRef, completedAt: at, failureReason: 'refused by the custodian' }).where(eq(custodianInstructions.id, row.id));
    } else {
      await lockAccounts(tx, [walletAccountId(row.userId)]);
      await settleWithdrawal(tx, row, input.status, input.externalRef, at);
    }
    return { id: row.id, status: input.status, duplicate: false };
  });
}

export interface LedgerLine {
  id: string;
  kind: string;
  /** credit: money into the wallet; debit: out of it */
  direction: 'credit' | 'debit';
  amountMinor: number;
  currency: 'CNY';
  /** pending: a hold still reserved; posted; released: a voided hold (and the hold it released) */
  status: 'pending' | 'posted' | 'released';
  phase: 'single' | 'pending' | 'post' | 'void';
  holdId: string | null;
  reference: string | null;
  createdAt: string;
}

/** The wallet's ledger lines, newest first, keyset-paginated by (createdAt, id). */
export async function walletLines(q: Queryable, userId: string, limit: number, cursor: string | undefined): Promise<{ items: LedgerLine[]; nextCursor: string | null }> {
  const account = walletAccountId(userId);
  let after = sql`true`;
  if (cursor) {
    const [ts, id] = Buffer.from(cursor, 'base64url').toString('utf8').split('|');
    const at = new Date(ts ?? '');
    if (!id || Number.isNaN(at.getTime())) throw new AppError('VALIDATION_FAILED', 'querystring/cursor is not a cursor of this list', { errors: [{ field: 'querystring/cursor', message: 'is not a cursor of this list' }] });
    after = sql`(t.created_at, t.id) < (${at.toISOString()}::timestamptz, ${id})`;
  }
  const found = await rows<{ id: string; kind: string; debit_account_id: string; amount_minor: number; phase: LedgerLine['phase']; pending_id: string | null; reference: string | null; created_at: Date | string; resolution: 'post' | 'void' | null }>(
    q,
    sql`select t.id, t.kind, t.debit_account_id, t.amount_minor, t.phase, t.pending_id, t.reference, t.created_at,
               (select r.phase from ledger_transfers r where r.pending_id = t.id) as resolution
        from ledger_transfers t
        where (t.debit_account_id = ${account} or t.credit_account_id = ${account}) and ${after}
        order by t.created_at desc, t.id desc limit ${limit + 1}`,
  );
  const page = found.slice(0, limit);
  const items = page.map((r): LedgerLine => {
    const createdAt = new Date(r.created_at);
    return {
      id: r.id,
      kind: r.kind,
      direction: r.debit_account_id === account ? 'debit' : 'credit',
      amountMinor: Number(r.amount_minor),
      currency: 'CNY',
      status: r.phase === 'pending' ? (r.resolution === null ? 'pending' : r.resolution === 'post' ? 'posted' : 'released') : r.phase === 'void' ? 'released' : 'posted',
      phase: r.phase,
      holdId: r.pending_id,
      reference: r.reference,
      createdAt: createdAt.toISOString(),
    };
  });
  const last = page[page.length - 1];
  const nextCursor = found.length > limit && last ? Buffer.from(`${new Date(last.created_at).toISOString()}|${last.id}`).toString('base64url') : null;
  return { items, nextCursor };
}

