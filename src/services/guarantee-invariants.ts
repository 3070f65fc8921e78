import { sql } from 'drizzle-orm';
import { rows, type Queryable } from '../db/client.js';
import type { InvariantCheck } from '../ledger/invariants.js';

function check(name: string, bad: { id: string }[], okDetail: string, badDetail: string): InvariantCheck {
  return { name, ok: bad.length === 0, detail: bad.length ? `${badDetail}: ${bad.map((b) => b.id).join(', ')}` : okDetail };
}

/**
 * The platform never guarantees (docs/guarantees.md), checked over the whole ledger: no money ever leaves
 * a platform account (the fee account, or the wallet of an operator) toward a loan, a guarantee or a
 * recovery — the fee account is never debited at all — and no guarantor is a user of the platform's own.
 * And each guarantee agrees with the ledger: its fee, its payment and its recoveries are exactly the
 * transfers that moved them, from and to the right accounts.
 */
export async function guaranteeInvariants(q: Queryable): Promise<InvariantCheck[]> {
  const platformPays = await rows<{ id: string }>(
    q,
    sql`select t.id from ledger_transfers t join ledger_accounts a on a.id = t.debit_account_id
        left join users u on u.id = a.owner_user_id
        where a.kind = 'platform_fees'
           or (u.role = 'operator' and t.kind in ('repayment', 'guarantee_fee', 'guarantor_recovery', 'bid_hold', 'bid_fill', 'note_purchase', 'claim_settlement', 'order_proceeds'))
        limit 5`,
  );
  const platformGuarantors = await rows<{ id: string }>(
    q,
    sql`select g.id from guarantors g join users u on u.id = g.user_id where u.role <> 'guarantor' limit 5`,
  );
  const fees = await rows<{ id: string }>(
    q,
    sql`select g.id from guarantees g join guarantors gr on gr.id = g.guarantor_id join listings l on l.id = g.listing_id
        left join (select reference, debit_account_id, credit_account_id, sum(amount_minor) as s from ledger_transfers where kind = 'guarantee_fee' group by reference, debit_account_id, credit_account_id) t
          on t.reference = g.id and t.debit_account_id = 'acc_w_' || l.borrower_user_id and t.credit_account_id = 'acc_w_' || gr.user_id
        where g.fee_minor <> coalesce(t.s, 0)
           or (select count(*) from ledger_transfers x where x.kind = 'guarantee_fee' and x.reference = g.id) > (case when g.fee_minor > 0 then 1 else 0 end)
        limit 5`,
  );
  const payments = await rows<{ id: string }>(
    q,
    sql`select g.id from guarantees g join guarantors gr on gr.id = g.guarantor_id
        left join (select loan_id, sum(amount_minor) as s from repayments where source = 'guarantor' group by loan_id) r on r.loan_id = g.loan_id
        left join lateral (select sum(t.amount_minor) as s from ledger_transfers t join loan_notes n on n.id = t.reference
                   where t.kind = 'repayment' and n.loan_id = g.loan_id and t.debit_account_id = 'acc_w_' || gr.user_id) x on true
        where g.paid_minor <> coalesce(r.s, 0) or g.paid_minor <> coalesce(x.s, 0) limit 5`,
  );
  const recoveries = await rows<{ id: string }>(
    q,
    sql`select g.id from guarantees g join guarantors gr on gr.id = g.guarantor_id
        left join (select reference, credit_account_id, sum(amount_minor) as s from ledger_transfers where kind = 'guarantor_recovery' group by reference, credit_account_id) t
          on t.reference = g.id and t.credit_account_id = 'acc_w_' || gr.user_id
        left join (select loan_id, sum(guarantor_share_minor) as s from repayments group by loan_id) r on r.loan_id = g.loan_id
        where g.recovered_minor <> coalesce(t.s, 0) or g.recovered_minor <> coalesce(r.s, 0) limit 5`,
  );
  return [
    check('platform.never_pays', platformPays, 'no platform account (the fee account, an operator) ever paid toward a loan, a guarantee or a recovery', 'transfers out of a platform account'),
    check('guarantors.not_the_platform', platformGuarantors, 'every guarantor is an outside company with its own guarantor user', 'guarantors whose user is not a guarantor'),
    check('guarantees.fee_equals_ledger', fees, "each guarantee's fee is the one transfer from its borrower to its guarantor", 'guarantees whose fee differs from the ledger'),
    check('guarantees.paid_equals_ledger', payments, "what each guarantor paid is its guarantor payment, transferred from its own wallet", 'guarantees whose payment differs from the ledger'),
    check('guarantees.recovered_equals_ledger', recoveries, "each guarantor's share of recoveries is what the ledger paid it and what the repayments record", 'guarantees whose recoveries differ from the ledger'),
  ];
}
