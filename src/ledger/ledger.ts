import { sql } from 'drizzle-orm';
import { assert, assertPositiveMinor, assertNonNegativeMinor } from '../domain/assert.js';
import { AppError } from '../domain/errors.js';
import { namedRows, rows, sqlArray, type Queryable } from '../db/client.js';
import { ledgerAccounts, ledgerTransfers, type AccountKind, type TransferPhase } from '../db/schema/index.js';

/**
 * Double-entry ledger on PostgreSQL in TigerBeetle's model. Every function runs inside the caller's
 * transaction; a transfer id is its idempotency key. Account rows are updated in id order (no deadlock
 * between two transfers touching the same pair), and a wallet's debit is a conditional update that
 * refuses to overdraw — with a CHECK constraint behind it.
 */

export const CUSTODY_ACCOUNT = 'acc_custody';
export const PLATFORM_FEES_ACCOUNT = 'acc_platform_fees';

export function walletAccountId(userId: string): string {
  return `acc_w_${userId}`;
}

export type TransferResult = 'created' | 'exists';

export interface TransferInput {
  id: string;
  debitAccountId: string;
  creditAccountId: string;
  amountMinor: number;
  kind: string;
  reference?: string | null;
  at: Date;
}

interface StoredTransfer {
  id: string;
  debit_account_id: string;
  credit_account_id: string;
  amount_minor: number;
  phase: TransferPhase;
  pending_id: string | null;
  kind: string;
  reference: string | null;
}

/** Creates the platform accounts once. */
export async function ensurePlatformAccounts(q: Queryable): Promise<void> {
  await q
    .insert(ledgerAccounts)
    .values([
      { id: CUSTODY_ACCOUNT, kind: 'custody' as AccountKind, debitsMustNotExceedCredits: false },
      { id: PLATFORM_FEES_ACCOUNT, kind: 'platform_fees' as AccountKind, debitsMustNotExceedCredits: true },
    ])
    .onConflictDoNothing();
}

/** Every user gets one wallet: a custodian sub-account that may never go below zero. */
export async function openWallet(q: Queryable, userId: string): Promise<string> {
  const id = walletAccountId(userId);
  await q.insert(ledgerAccounts).values({ id, kind: 'wallet', ownerUserId: userId, debitsMustNotExceedCredits: true }).onConflictDoNothing();
  return id;
}

async function findTransfer(q: Queryable, id: string): Promise<StoredTransfer | undefined> {
  const [row] = await rows<StoredTransfer>(
    q,
    sql`select id, debit_account_id, credit_account_id, amount_minor, phase, pending_id, kind, reference from ledger_transfers where id = ${id}`,
  );
  return row ? { ...row, amount_minor: Number(row.amount_minor) } : undefined;
}

function sameTransfer(stored: StoredTransfer, input: TransferInput, phase: TransferPhase): boolean {
  return (
    stored.debit_account_id === input.debitAccountId &&
    stored.credit_account_id === input.creditAccountId &&
    stored.amount_minor === input.amountMinor &&
    stored.phase === phase &&
    stored.kind === input.kind &&
    (stored.reference ?? null) === (input.reference ?? null)
  );
}

/**
 * Moves the sums of both accounts, in id order. The debit side of a guarded account only moves when the
 * available balance (credits posted − debits posted − debits pending) covers it.
 */
async function applySums(
  q: Queryable,
  debitAccountId: string,
  creditAccountId: string,
  delta: { debitPending?: number; debitPosted?: number; creditPending?: number; creditPosted?: number; newDebitMinor: number },
): Promise<void> {
  const sides = [
    { id: debitAccountId, debit: true },
    { id: creditAccountId, debit: false },
  ].sort((a, b) => (a.id < b.id ? -1 : 1));
  for (const side of sides) {
    if (side.debit) {
      const dp = delta.debitPending ?? 0;
      const dd = delta.debitPosted ?? 0;
      const updated = await rows<{ id: string }>(
        q,
        sql`update ledger_accounts set debits_pending_minor = debits_pending_minor + ${dp}, debits_posted_minor = debits_posted_minor + ${dd}
            where id = ${side.id}
              and (not debits_must_not_exceed_credits or credits_posted_minor - debits_posted_minor - debits_pending_minor >= ${delta.newDebitMinor})
            returning id`,
      );
      if (updated.length === 0) {
        const [exists] = await rows<{ id: string }>(q, sql`select id from ledger_accounts where id = ${side.id}`);
        assert(exists, `ledger account ${side.id} does not exist`);
        throw new AppError('INSUFFICIENT_FUNDS', 'the available balance does not cover this amount');
      }
    } else {
      const cp = delta.creditPending ?? 0;
      const cd = delta.creditPosted ?? 0;
      const updated = await rows<{ id: string }>(
        q,
        sql`update ledger_accounts set credits_pending_minor = credits_pending_minor + ${cp}, credits_posted_minor = credits_posted_minor + ${cd}
            where id = ${side.id} returning id`,
      );
      assert(updated.length === 1, `ledger account ${side.id} does not exist`);
    }
  }
}

async function insertTransfer(q: Queryable, input: TransferInput, phase: TransferPhase, pendingId: string | null): Promise<void> {
  await q.insert(ledgerTransfers).values({
    id: input.id,
    debitAccountId: input.debitAccountId,
    creditAccountId: input.creditAccountId,
    amountMinor: input.amountMinor,
    phase,
    pendingId,
    kind: input.kind,
    reference: input.reference ?? null,
    createdAt: input.at,
  });
}

function checkInput(input: TransferInput): void {
  assertPositiveMinor(input.amountMinor, 'amountMinor');
  assert(input.debitAccountId !== input.creditAccountId, 'a transfer needs two different accounts');
  assert(input.id.length > 0 && input.id.length <= 200, 'transfer id length');
}

/** A single-phase transfer: posted at once. */
export async function transfer(q: Queryable, input: TransferInput): Promise<TransferResult> {
  checkInput(input);
  const existing = await findTransfer(q, input.id);
  if (existing) {
    if (sameTransfer(existing, input, 'single')) return 'exists';
    throw new AppError('TRANSFER_CONFLICT', `transfer ${input.id} exists with other fields`);
  }
  await applySums(q, input.debitAccountId, input.creditAccountId, { debitPosted: input.amountMinor, creditPosted: input.amountMinor, newDebitMinor: input.amountMinor });
  await insertTransfer(q, input, 'single', null);
  return 'created';
}

/** A hold: a pending transfer that reserves the amount on the debit account until posted or voided. */
export async function hold(q: Queryable, input: TransferInput): Promise<TransferResult> {
  checkInput(input);
  const existing = await findTransfer(q, input.id);
  if (existing) {
    if (sameTransfer(existing, input, 'pending')) return 'exists';
    throw new AppError('TRANSFER_CONFLICT', `transfer ${input.id} exists with other fields`);
  }
  await applySums(q, input.debitAccountId, input.creditAccountId, { debitPending: input.amountMinor, creditPending: input.amountMinor, newDebitMinor: input.amountMinor });
  await insertTransfer(q, input, 'pending', null);
  return 'created';
}

export interface ResolveInput {
  /** Id of the post or void transfer. */
  id: string;
  holdId: string;
  at: Date;
  kind?: string;
}

async function loadHold(q: Queryable, holdId: string): Promise<StoredTransfer> {
  const held = await findTransfer(q, holdId);
  assert(held, `no hold ${holdId}`);
  assert(held.phase === 'pending', `transfer ${holdId} is not a hold`);
  return held;
}

async function resolution(q: Queryable, holdId: string): Promise<StoredTransfer | undefined> {
  const [row] = await rows<StoredTransfer>(
    q,
    sql`select id, debit_account_id, credit_account_id, amount_minor, phase, pending_id, kind, reference from ledger_transfers where pending_id = ${holdId}`,
  );
  return row ? { ...row, amount_minor: Number(row.amount_minor) } : undefined;
}

/**
 * Posts a hold for `amountMinor` ≤ the held amount (all of it when absent); the rest is released.
 * Posting a hold that was already posted is `exists`; one that was voided is HOLD_NOT_PENDING.
 */
export async function post(q: Queryable, input: ResolveInput & { amountMinor?: number }): Promise<TransferResult> {
  const held = await loadHold(q, input.holdId);
  const amount = input.amountMinor ?? held.amount_minor;
  assertNonNegativeMinor(amount, 'amountMinor');
  assert(amount <= held.amount_minor, `cannot post ${amount} of a hold of ${held.amount_minor}`);
  const done = await resolution(q, input.holdId);
  if (done) {
    if (done.phase === 'post') return 'exists';
    throw new AppError('HOLD_NOT_PENDING', `hold ${input.holdId} was voided`);
  }
  await applySums(q, held.debit_account_id, held.credit_account_id, {
    debitPending: -held.amount_minor,
    debitPosted: amount,
    creditPending: -held.amount_minor,
    creditPosted: amount,
    // Posting never needs more than was reserved: the pending amount is released as the posted one lands.
    newDebitMinor: amount - held.amount_minor,
  });
  await insertTransfer(
    q,
    { id: input.id, debitAccountId: held.debit_account_id, creditAccountId: held.credit_account_id, amountMinor: amount, kind: input.kind ?? held.kind, reference: held.reference, at: input.at },
    'post',
    input.holdId,
  );
  return 'created';
}

/** Releases a hold entirely. Voiding twice is `exists`; voiding a posted hold is HOLD_NOT_PENDING. */
export async function voidHold(q: Queryable, input: ResolveInput): Promise<TransferResult> {
  const held = await loadHold(q, input.holdId);
  const done = await resolution(q, input.holdId);
  if (done) {
    if (done.phase === 'void') return 'exists';
    throw new AppError('HOLD_NOT_PENDING', `hold ${input.holdId} was posted`);
  }
  await applySums(q, held.debit_account_id, held.credit_account_id, {
    debitPending: -held.amount_minor,
    creditPending: -held.amount_minor,
    newDebitMinor: -held.amount_minor,
  });
  await insertTransfer(
    q,
    { id: input.id, debitAccountId: held.debit_account_id, creditAccountId: held.credit_account_id, amountMinor: held.amount_minor, kind: input.kind ?? held.kind, reference: held.reference, at: input.at },
    'void',
    input.holdId,
  );
  return 'created';
}

export interface AccountBalance {
  id: string;
  debitsPendingMinor: number;
  debitsPostedMinor: number;
  creditsPendingMinor: number;
  creditsPostedMinor: number;
  /** credits posted − debits posted − debits pending */
  availableMinor: number;
  heldMinor: number;
}

export async function balances(q: Queryable, accountIds: string[]): Promise<Map<string, AccountBalance>> {
  if (accountIds.length === 0) return new Map();
  // One array parameter, not one per account: a clearing reads ten thousand wallets at once.
  const found = await q.select().from(ledgerAccounts).where(sql`${ledgerAccounts.id} = any(${sqlArray(accountIds)}::text[])`);
  return new Map(
    found.map((a) => [
      a.id,
      {
        id: a.id,
        debitsPendingMinor: a.debitsPendingMinor,
        debitsPostedMinor: a.debitsPostedMinor,
        creditsPendingMinor: a.creditsPendingMinor,
        creditsPostedMinor: a.creditsPostedMinor,
        availableMinor: a.creditsPostedMinor - a.debitsPostedMinor - a.debitsPendingMinor,
        heldMinor: a.debitsPendingMinor,
      },
    ]),
  );
}

export async function balance(q: Queryable, accountId: string): Promise<AccountBalance> {
  const b = (await balances(q, [accountId])).get(accountId);
  assert(b, `no ledger account ${accountId}`);
  return b;
}

/** An account's spendable and held balance as a lock read it. */
export interface HeldBalance {
  availableMinor: number;
  heldMinor: number;
}

/**
 * Locks accounts in id order and reads their balances with the lock, in one statement: a bid batch
 * decides on them. A named statement (planned once per connection): every batch runs it.
 */
export async function lockedBalances(q: Queryable, accountIds: readonly string[]): Promise<Map<string, HeldBalance>> {
  const ids = [...new Set(accountIds)].sort();
  if (ids.length === 0) return new Map();
  const found = await namedRows<{ id: string; c_post: number; d_post: number; d_pend: number }>(
    q,
    'lb_locked_balances',
    'select id, credits_posted_minor as c_post, debits_posted_minor as d_post, debits_pending_minor as d_pend from ledger_accounts where id = any($1::text[]) order by id for update',
    [sqlArray(ids)],
  );
  return new Map(found.map((a) => [a.id, { availableMinor: Number(a.c_post) - Number(a.d_post) - Number(a.d_pend), heldMinor: Number(a.d_pend) }]));
}

/** Locks accounts (SELECT … FOR UPDATE) in id order: the one order every service uses. */
export async function lockAccounts(q: Queryable, accountIds: string[]): Promise<void> {
  const ids = [...new Set(accountIds)].sort();
  if (ids.length === 0) return;
  // One array parameter: building and binding ten thousand (a clearing's lenders) costs more than the locks.
  await q.select({ id: ledgerAccounts.id }).from(ledgerAccounts).where(sql`${ledgerAccounts.id} = any(${sqlArray(ids)}::text[])`).orderBy(ledgerAccounts.id).for('update');
}

