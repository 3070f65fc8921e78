import { sql } from 'drizzle-orm';
import { rows, type Queryable } from '../db/client.js';
import type { InvariantCheck } from '../ledger/invariants.js';

function check(name: string, bad: { id: string }[], okDetail: string, badDetail: string): InvariantCheck {
  return { name, ok: bad.length === 0, detail: bad.length ? `${badDetail}: ${bad.map((b) => b.id).join(', ')}` : okDetail };
}

/**
 * The secondary market's invariants (docs/transfers.md), recomputed from the tables: every trade moved
 * exactly price + accrued from the buyer to the seller and the fee from the seller to the platform's fee
 * account, and nothing else moved under those kinds; every note carries what it was acquired with less
 * what was sold out of it; every offer's sold principal is the sum of its trades, and an open offer never
 * asks for more than its note has left.
 */
export async function transferInvariants(q: Queryable): Promise<InvariantCheck[]> {
  // One statement for the three checks: an invariants run is dozens of queries, and each round trip counts.
  const [found] = await rows<{ ledger: string | null; principal: string | null; offers: string | null }>(
    q,
    sql`select
        (select string_agg(id, ',') from (
          select t.id from note_transfers t
          left join ledger_transfers p on p.id = t.id || '_pay'
          left join ledger_transfers f on f.id = t.id || '_fee'
          where p.id is null or p.kind <> 'note_purchase' or p.phase <> 'single' or p.reference <> t.id or p.amount_minor <> t.paid_minor
             or p.debit_account_id <> 'acc_w_' || t.buyer_id or p.credit_account_id <> 'acc_w_' || t.seller_id
             or (t.fee_minor > 0) <> (f.id is not null)
             or (f.id is not null and (f.kind <> 'note_transfer_fee' or f.phase <> 'single' or f.reference <> t.id or f.amount_minor <> t.fee_minor
                 or f.debit_account_id <> 'acc_w_' || t.seller_id or f.credit_account_id <> 'acc_platform_fees'))
          union
          select l.id from ledger_transfers l left join note_transfers t on t.id = l.reference
          where l.kind in ('note_purchase', 'note_transfer_fee') and t.id is null
          limit 5) x) as ledger,
        (select string_agg(id, ',') from (
          select n.id from loan_notes n
          left join bids b on b.id = n.bid_id
          left join note_transfers bought on bought.buyer_note_id = n.id
          left join (select seller_note_id, sum(principal_minor) as s from note_transfers group by seller_note_id) sold on sold.seller_note_id = n.id
          where n.principal_minor + n.sold_principal_minor
                  <> (case when n.acquired_via = 'auction' then b.fill_minor else bought.principal_minor end)
             or n.sold_principal_minor <> coalesce(sold.s, 0)
             or (n.acquired_via = 'transfer' and (bought.id is null or bought.loan_id <> n.loan_id or bought.buyer_id <> n.lender_id))
          limit 5) x) as principal,
        (select string_agg(id, ',') from (
          select o.id from note_offers o
          join loan_notes n on n.id = o.note_id
          left join (select offer_id, sum(principal_minor) as s from note_transfers group by offer_id) t on t.offer_id = o.id
          where o.sold_minor <> coalesce(t.s, 0) or o.seller_id <> n.lender_id or o.loan_id <> n.loan_id
             or (o.status = 'open' and (o.remaining_minor > n.outstanding_principal_minor or n.status <> 'active'))
          limit 5) x) as offers`,
  );
  const ids = (list: string | null | undefined) => (list ? list.split(',').map((id) => ({ id })) : []);
  return [
    check('transfers.ledger_matches_trades', ids(found?.ledger), 'every trade moved price + accrued buyer → seller and the fee seller → platform fees, and nothing else moved under those kinds', 'trades whose ledger lines differ'),
    check('transfers.note_principal', ids(found?.principal), 'every note carries what it was acquired with (bid fill or purchase) less what was sold out of it', 'notes whose principal does not follow their trades'),
    check('transfers.offers_add_up', ids(found?.offers), "every offer's sold principal is the sum of its trades; an open offer asks at most what its note has outstanding", 'offers that do not add up'),
  ];
}
