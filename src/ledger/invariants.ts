import { sql } from 'drizzle-orm';
import { rows, type Queryable } from '../db/client.js';

export interface InvariantCheck {
  name: string;
  ok: boolean;
  detail: string;
}

/**
 * The ledger's own invariants, recomputed from scratch: both sides of every sum balance, no guarded
 * account is overdrawn, and every account's four sums equal what its transfers add up to.
 */
export async function ledgerInvariants(q: Queryable): Promise<InvariantCheck[]> {
  const [totals] = await rows<{ dpo: number; cpo: number; dpe: number; cpe: number }>(
    q,
    sql`select coalesce(sum(debits_posted_minor),0)::bigint as dpo, coalesce(sum(credits_posted_minor),0)::bigint as cpo,
               coalesce(sum(debits_pending_minor),0)::bigint as dpe, coalesce(sum(credits_pending_minor),0)::bigint as cpe
        from ledger_accounts`,
  );
  const t = { dpo: Number(totals!.dpo), cpo: Number(totals!.cpo), dpe: Number(totals!.dpe), cpe: Number(totals!.cpe) };
  const overdrawn = await rows<{ id: string; available: number }>(
    q,
    sql`select id, (credits_posted_minor - debits_posted_minor - debits_pending_minor)::bigint as available from ledger_accounts
        where debits_must_not_exceed_credits and credits_posted_minor - debits_posted_minor - debits_pending_minor < 0 limit 5`,
  );
  // Posted sums come from single transfers and posts; pending sums from holds not yet resolved.
  const mismatched = await rows<{ id: string }>(
    q,
    sql`with moves as (
          select debit_account_id as account, amount_minor as d_posted, 0::bigint as c_posted, 0::bigint as d_pending, 0::bigint as c_pending
            from ledger_transfers where phase in ('single','post')
          union all
          select credit_account_id, 0, amount_minor, 0, 0 from ledger_transfers where phase in ('single','post')
          union all
          select p.debit_account_id, 0, 0, p.amount_minor, 0 from ledger_transfers p
            where p.phase = 'pending' and not exists (select 1 from ledger_transfers r where r.pending_id = p.id)
          union all
          select p.credit_account_id, 0, 0, 0, p.amount_minor from ledger_transfers p
            where p.phase = 'pending' and not exists (select 1 from ledger_transfers r where r.pending_id = p.id)
        ), sums as (
          select account, sum(d_posted) as dpo, sum(c_posted) as cpo, sum(d_pending) as dpe, sum(c_pending) as cpe from moves group by account
        )
        select a.id from ledger_accounts a left join sums s on s.account = a.id
        where a.debits_posted_minor <> coalesce(s.dpo, 0) or a.credits_posted_minor <> coalesce(s.cpo, 0)
           or a.debits_pending_minor <> coalesce(s.dpe, 0) or a.credits_pending_minor <> coalesce(s.cpe, 0)
        limit 5`,
  );
  const badResolutions = await rows<{ id: string }>(
    q,
    sql`select r.id from ledger_transfers r left join ledger_transfers p on p.id = r.pending_id
        where r.phase in ('post','void') and (p.id is null or p.phase <> 'pending'
          or (r.phase = 'post' and r.amount_minor > p.amount_minor)
          or r.debit_account_id <> p.debit_account_id or r.credit_account_id <> p.credit_account_id)
        limit 5`,
  );
  return [
    { name: 'ledger.posted_balanced', ok: t.dpo === t.cpo, detail: `Σ debits posted ${t.dpo}, Σ credits posted ${t.cpo}` },
    { name: 'ledger.pending_balanced', ok: t.dpe === t.cpe, detail: `Σ debits pending ${t.dpe}, Σ credits pending ${t.cpe}` },
    { name: 'ledger.no_overdraft', ok: overdrawn.length === 0, detail: overdrawn.length ? `overdrawn: ${overdrawn.map((o) => `${o.id} (${o.available})`).join(', ')}` : 'no guarded account below zero' },
    { name: 'ledger.sums_match_transfers', ok: mismatched.length === 0, detail: mismatched.length ? `accounts whose sums differ from their transfers: ${mismatched.map((m) => m.id).join(', ')}` : 'every account equals the sum of its transfers' },
    { name: 'ledger.resolutions_valid', ok: badResolutions.length === 0, detail: badResolutions.length ? `bad post/void transfers: ${badResolutions.map((m) => m.id).join(', ')}` : 'every post and void resolves a hold of the same accounts, within its amount' },
  ];
}
