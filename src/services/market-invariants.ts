import { sql } from 'drizzle-orm';
import { rows, type Queryable } from '../db/client.js';
import type { InvariantCheck } from '../ledger/invariants.js';

function check(name: string, bad: { id: string }[], okDetail: string, badDetail: string): InvariantCheck {
  return { name, ok: bad.length === 0, detail: bad.length ? `${badDetail}: ${bad.map((b) => b.id).join(', ')}` : okDetail };
}

/**
 * The market's invariants of docs/architecture.md, recomputed from the tables: holds on a listing are exactly its
 * active bids; only open listings have active bids; every cleared listing has exactly one loan whose
 * notes add up to its principal (the notes' schedules are checked with the loans, loan-invariants.ts).
 */
export async function marketInvariants(q: Queryable): Promise<InvariantCheck[]> {
  const coverage = await rows<{ id: string }>(
    q,
    sql`select l.id from listings l left join (select listing_id, sum(amount_minor) as s from bids where status = 'active' group by listing_id) b on b.listing_id = l.id
        where l.status = 'open' and l.coverage_minor <> coalesce(b.s, 0) limit 5`,
  );
  const holdMismatch = await rows<{ id: string }>(
    q,
    sql`select b.id from bids b join ledger_transfers h on h.id = b.hold_id
        left join ledger_transfers r on r.pending_id = h.id
        where h.phase <> 'pending' or h.amount_minor <> b.amount_minor
           or (b.status = 'active' and r.id is not null)
           or (b.status in ('outbid','released') and (r.id is null or r.phase <> 'void'))
           or (b.status = 'filled' and (r.id is null or r.phase <> 'post' or r.amount_minor <> b.fill_minor))
        limit 5`,
  );
  const [pending] = await rows<{ holds: number; active: number }>(
    q,
    sql`select (select coalesce(sum(h.amount_minor), 0) from ledger_transfers h where h.kind = 'bid_hold' and h.phase = 'pending'
                  and not exists (select 1 from ledger_transfers r where r.pending_id = h.id))::bigint as holds,
               (select coalesce(sum(amount_minor), 0) from bids where status = 'active')::bigint as active`,
  );
  const closedWithBids = await rows<{ id: string }>(
    q,
    sql`select distinct l.id from listings l join bids b on b.listing_id = l.id and b.status = 'active' where l.status <> 'open' limit 5`,
  );
  const loanPerListing = await rows<{ id: string }>(
    q,
    sql`select l.id from listings l left join loans n on n.listing_id = l.id
        where (l.status = 'cleared') <> (n.id is not null) or (l.status = 'cleared' and l.loan_id is distinct from n.id) limit 5`,
  );
  const notesSum = await rows<{ id: string }>(
    q,
    sql`select n.id from loans n left join (select loan_id, sum(principal_minor) as s from loan_notes group by loan_id) x on x.loan_id = n.id
        where n.principal_minor <> coalesce(x.s, 0) limit 5`,
  );
  const outstanding = await rows<{ id: string }>(
    q,
    sql`select n.id from loans n join (select loan_id, sum(outstanding_principal_minor) as s from loan_notes group by loan_id) x on x.loan_id = n.id
        where x.s <> n.outstanding_principal_minor limit 5`,
  );
  const holds = Number(pending?.holds ?? 0);
  const active = Number(pending?.active ?? 0);
  return [
    check('market.coverage_is_active_bids', coverage, "every open listing's coverage equals its active bids", 'listings whose coverage differs from their active bids'),
    check('market.hold_per_bid', holdMismatch, 'every bid has its hold: pending while active, voided when outbid or released, posted for its fill when filled', 'bids whose hold does not match'),
    { name: 'market.holds_equal_active_bids', ok: holds === active, detail: `pending bid holds ${holds}, active bids ${active}` },
    check('market.no_bids_on_closed_listings', closedWithBids, 'only open listings have active bids', 'closed listings with active bids'),
    check('market.one_loan_per_cleared_listing', loanPerListing, 'every cleared listing has exactly one loan, and no other listing has one', 'listings with a wrong number of loans'),
    check('loans.notes_sum_to_principal', notesSum, 'Σ notes = loan principal for every loan', 'loans whose notes do not add up'),
    check('loans.outstanding_matches_notes', outstanding, "every loan's outstanding principal is the sum of its notes'", 'loans whose outstanding differs from their notes'),
  ];
}
