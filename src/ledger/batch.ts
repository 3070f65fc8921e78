import { sql } from 'drizzle-orm';
import { assert, assertPositiveMinor, assertNonNegativeMinor } from '../domain/assert.js';
import { AppError } from '../domain/errors.js';
import { rows, type Queryable } from '../db/client.js';

/**
 * Many ledger movements in a handful of set-based statements: one multi-row insert of transfers and one
 * update of the account sums. For the hot paths (a batch of bids, a clearing with thousands of notes)
 * where one statement per transfer would make round trips the bottleneck. The same rules as ledger.ts:
 * the caller has locked the accounts, and the CHECK constraints stand behind the arithmetic.
 */

export interface NewTransfer {
  id: string;
  debitAccountId: string;
  creditAccountId: string;
  amountMinor: number;
  kind: string;
  reference: string | null;
  /** single: posted at once; pending: a hold */
  phase: 'single' | 'pending';
}

/** A hold as the caller knows it (a bid knows its own hold): no need to read it back. */
export interface KnownHold {
  id: string;
  debitAccountId: string;
  creditAccountId: string;
  amountMinor: number;
  kind: string;
  reference: string | null;
}

export interface Resolution {
  /** Id of the post or void transfer. */
  id: string;
  hold: KnownHold;
  phase: 'post' | 'void';
  /** For a post: how much of the hold is posted (the rest is released). */
  amountMinor: number;
  kind: string;
}

interface Sums {
  dPend: number;
  dPost: number;
  cPend: number;
  cPost: number;
}

const CHUNK = 2000;

export async function applyBatch(q: Queryable, transfers: readonly NewTransfer[], resolutions: readonly Resolution[], at: Date): Promise<void> {
  if (transfers.length === 0 && resolutions.length === 0) return;
  const deltas = new Map<string, Sums>();
  const delta = (id: string) => {
    let d = deltas.get(id);
    if (!d) deltas.set(id, (d = { dPend: 0, dPost: 0, cPend: 0, cPost: 0 }));
    return d;
  };
  const records: (NewTransfer | (Omit<NewTransfer, 'phase'> & { phase: 'post' | 'void'; pendingId: string; holdAmountMinor: number }))[] = [];
  for (const t of transfers) {
    assertPositiveMinor(t.amountMinor, 'amountMinor');
    assert(t.debitAccountId !== t.creditAccountId, 'a transfer needs two different accounts');
    if (t.phase === 'single') {
      delta(t.debitAccountId).dPost += t.amountMinor;
      delta(t.creditAccountId).cPost += t.amountMinor;
    } else {
      delta(t.debitAccountId).dPend += t.amountMinor;
      delta(t.creditAccountId).cPend += t.amountMinor;
    }
    records.push(t);
  }
  for (const r of resolutions) {
    const h = r.hold;
    assertNonNegativeMinor(r.amountMinor, 'amountMinor');
    assert(r.phase === 'void' || r.amountMinor <= h.amountMinor, `cannot post ${r.amountMinor} of a hold of ${h.amountMinor}`);
    delta(h.debitAccountId).dPend -= h.amountMinor;
    delta(h.creditAccountId).cPend -= h.amountMinor;
    if (r.phase === 'post') {
      delta(h.debitAccountId).dPost += r.amountMinor;
      delta(h.creditAccountId).cPost += r.amountMinor;
    }
    records.push({ id: r.id, debitAccountId: h.debitAccountId, creditAccountId: h.creditAccountId, amountMinor: r.phase === 'void' ? h.amountMinor : r.amountMinor, kind: r.kind, reference: h.reference, phase: r.phase, pendingId: h.id, holdAmountMinor: h.amountMinor });
  }
  const atIso = at.toISOString();
  const json = (chunk: typeof records) =>
    JSON.stringify(
      chunk.map((r) => ({
        id: r.id,
        d: r.debitAccountId,
        c: r.creditAccountId,
        a: r.amountMinor,
        p: r.phase,
        pid: 'pendingId' in r ? r.pendingId : null,
        k: r.kind,
        ref: r.reference,
        ha: 'holdAmountMinor' in r ? r.holdAmountMinor : null,
      })),
    );
  // New transfers first: a hold made and resolved in the same batch must exist when it is resolved.
  const created = records.filter((r) => r.phase === 'single' || r.phase === 'pending');
  for (let i = 0; i < created.length; i += CHUNK) {
    await q.execute(sql`insert into ledger_transfers (id, debit_account_id, credit_account_id, amount_minor, phase, pending_id, kind, reference, currency, created_at)
      select id, d, c, a, p, pid, k, ref, 'CNY', ${atIso}::timestamptz
      from jsonb_to_recordset(${json(created.slice(i, i + CHUNK))}::jsonb) as x(id text, d text, c text, a bigint, p text, pid text, k text, ref text)`);
  }
  // Each resolution must match the hold it resolves: pending, same accounts and amount. The insert joins
  // the hold on exactly that, so a resolution that does not match is not written and the count falls
  // short (one statement where a check and an insert took two passes over the same rows). The unique
  // index on pending_id refuses a second resolution of the same hold.
  const resolved = records.filter((r) => r.phase === 'post' || r.phase === 'void');
  for (let i = 0; i < resolved.length; i += CHUNK) {
    const chunk = resolved.slice(i, i + CHUNK);
    const [inserted] = await rows<{ n: number }>(
      q,
      sql`with ins as (
            insert into ledger_transfers (id, debit_account_id, credit_account_id, amount_minor, phase, pending_id, kind, reference, currency, created_at)
            select x.id, x.d, x.c, x.a, x.p, x.pid, x.k, x.ref, 'CNY', ${atIso}::timestamptz
            from jsonb_to_recordset(${json(chunk)}::jsonb) as x(id text, d text, c text, a bigint, p text, pid text, k text, ref text, ha bigint)
            join ledger_transfers h on h.id = x.pid and h.phase = 'pending' and h.debit_account_id = x.d and h.credit_account_id = x.c and h.amount_minor = x.ha
            returning 1)
          select count(*)::int as n from ins`,
    );
    if (Number(inserted?.n) !== chunk.length) assert(false, `resolution of a hold that does not match: ${await unmatchedHold(q, chunk)}`);
  }
  const list = [...deltas.entries()].map(([id, d]) => ({ id, dpe: d.dPend, dpo: d.dPost, cpe: d.cPend, cpo: d.cPost }));
  for (let i = 0; i < list.length; i += CHUNK) {
    const chunk = list.slice(i, i + CHUNK);
    const updated = await rows<{ id: string }>(
      q,
      sql`update ledger_accounts a set
            debits_pending_minor = a.debits_pending_minor + v.dpe, debits_posted_minor = a.debits_posted_minor + v.dpo,
            credits_pending_minor = a.credits_pending_minor + v.cpe, credits_posted_minor = a.credits_posted_minor + v.cpo
          from jsonb_to_recordset(${JSON.stringify(chunk)}::jsonb) as v(id text, dpe bigint, dpo bigint, cpe bigint, cpo bigint)
          where a.id = v.id
            and (not a.debits_must_not_exceed_credits
                 or (a.credits_posted_minor + v.cpo) - (a.debits_posted_minor + v.dpo) - (a.debits_pending_minor + v.dpe) >= 0)
          returning a.id`,
    );
    if (updated.length !== chunk.length) {
      // The caller decided with balances read under lock, so this is the guard of last resort.
      throw new AppError('INSUFFICIENT_FUNDS', 'an account in the batch would go below zero');
    }
  }
}

/** The first hold of `chunk` that its resolution does not match (to name it in the failure). */
async function unmatchedHold(q: Queryable, chunk: readonly { pendingId?: string | null; debitAccountId: string; creditAccountId: string; holdAmountMinor?: number }[]): Promise<string | undefined> {
  const bad = await rows<{ id: string }>(
    q,
    sql`select v.id from jsonb_to_recordset(${JSON.stringify(chunk.map((r) => ({ id: r.pendingId, d: r.debitAccountId, c: r.creditAccountId, a: r.holdAmountMinor })))}::jsonb)
          as v(id text, d text, c text, a bigint)
        left join ledger_transfers h on h.id = v.id
        where h.id is null or h.phase <> 'pending' or h.debit_account_id <> v.d or h.credit_account_id <> v.c or h.amount_minor <> v.a
        limit 1`,
  );
  return bad[0]?.id;
}
