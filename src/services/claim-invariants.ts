import { sql } from 'drizzle-orm';
import { rows, type Queryable } from '../db/client.js';
import type { InvariantCheck } from '../ledger/invariants.js';

function check(name: string, bad: { id: string }[], okDetail: string, badDetail: string): InvariantCheck {
  return { name, ok: bad.length === 0, detail: bad.length ? `${badDetail}: ${bad.map((b) => b.id).join(', ')}` : okDetail };
}

/**
 * Supply-chain invariants (docs/supply-chain.md), recomputed from the tables: a payable's claims add up
 * to it; no core enterprise owes more unpaid claims than its limit; every claim sits one tier below its
 * parent on the same payable, with its chain; a settled payable paid out exactly its amount, each
 * claim's loan share as repayments and its holder's share as one ledger transfer; and every order's
 * proceeds went where its record says.
 */
export async function claimInvariants(q: Queryable): Promise<InvariantCheck[]> {
  // One round trip for all of them: the invariants run after every command of the model tests.
  const bad = await rows<{ c: string; id: string }>(
    q,
    sql`(select 'sums' as c, p.id from payables p left join (select payable_id, sum(amount_minor) as s from claims group by payable_id) c on c.payable_id = p.id
         where coalesce(c.s, 0) <> p.amount_minor limit 5)
        union all
        (select 'limits', ce.id from core_enterprises ce
         join (select core_enterprise_id, sum(amount_minor) as s from payables where status = 'outstanding' group by core_enterprise_id) p on p.core_enterprise_id = ce.id
         where p.s > ce.limit_minor limit 5)
        union all
        (select 'tiers', c.id from claims c left join claims parent on parent.id = c.parent_id
         where jsonb_array_length(c.chain) <> c.tier or c.chain->>(c.tier - 1) <> c.holder_merchant_id
            or (c.parent_id is not null and (parent.id is null or parent.payable_id <> c.payable_id or parent.tier + 1 <> c.tier
                or c.chain <> parent.chain || jsonb_build_array(c.holder_merchant_id)))
         limit 5)
        union all
        (select 'payouts', p.id from payables p
         left join (select payable_id, count(*) filter (where to_loan_minor is null) as unpaid, coalesce(sum(to_loan_minor), 0) as to_loans,
                           coalesce(sum(to_holder_minor), 0) as to_holders from claims group by payable_id) c on c.payable_id = p.id
         left join (select breakdown->>'payableId' as payable_id, sum(amount_minor) as s from repayments where source = 'payable_settlement' group by 1) r on r.payable_id = p.id
         left join (select c.payable_id, sum(t.amount_minor) as s from ledger_transfers t join claims c on c.id = t.reference
                    where t.kind = 'claim_settlement' group by c.payable_id) h on h.payable_id = p.id
         where (p.status = 'settled' and (c.unpaid <> 0 or c.to_loans + c.to_holders <> p.amount_minor or coalesce(r.s, 0) <> c.to_loans or coalesce(h.s, 0) <> c.to_holders))
            or (p.status = 'outstanding' and (c.to_loans <> 0 or c.to_holders <> 0 or r.s is not null or h.s is not null))
         limit 5)
        union all
        (select 'holders', t.id from ledger_transfers t left join claims c on c.id = t.reference left join users u on u.merchant_id = c.holder_merchant_id
         where t.kind = 'claim_settlement' and (c.id is null or t.phase <> 'single' or t.amount_minor <> c.to_holder_minor
           or t.debit_account_id <> 'acc_w_' || c.core_enterprise_id or t.credit_account_id <> 'acc_w_' || u.id)
         limit 5)
        union all
        (select 'proceeds', o.merchant_id || ':' || o.order_id from order_proceeds o
         left join repayments r on r.id = o.repayment_id
         left join (select reference, sum(amount_minor) as s from ledger_transfers where kind = 'order_proceeds' group by reference) t on t.reference = o.merchant_id || ':' || o.order_id
         where (o.to_loan_minor > 0 and (r.id is null or r.amount_minor <> o.to_loan_minor or r.source <> 'order_proceeds' or r.loan_id <> o.loan_id))
            or coalesce(t.s, 0) <> o.to_merchant_minor
         limit 5)`,
  );
  const of = (c: string) => bad.filter((b) => b.c === c);
  return [
    check('claims.payable_sums', of('sums'), "every payable's claims add up to it", 'payables whose claims do not add up to them'),
    check('claims.within_core_limit', of('limits'), "no core enterprise's unpaid claims exceed its issuance limit", 'core enterprises over their limit'),
    check('claims.tiers_and_chains', of('tiers'), 'every claim is one tier below its parent on the same payable, with the chain of holders to it', 'claims whose tier or chain is wrong'),
    check('claims.settlements_paid_out', of('payouts'), 'a settled payable paid out exactly its amount: loan shares as repayments, holder shares as transfers; an unpaid one paid nothing', 'payables whose payout does not add up'),
    check('claims.holder_transfers', of('holders'), "every holder's share went from the core enterprise's account to the holder's wallet, as recorded on its claim", 'holder transfers that do not match their claim'),
    check('orders.proceeds_paid_out', of('proceeds'), "every order's proceeds went to its loan and merchant as recorded", 'order proceeds that do not match their record'),
  ];
}
