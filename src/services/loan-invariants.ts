import { sql } from 'drizzle-orm';
import { rows, type Queryable } from '../db/client.js';
import type { InvariantCheck } from '../ledger/invariants.js';

function check(name: string, bad: { id: string }[], okDetail: string, badDetail: string): InvariantCheck {
  return { name, ok: bad.length === 0, detail: bad.length ? `${badDetail}: ${bad.map((b) => b.id).join(', ')}` : okDetail };
}

/**
 * Servicing invariants, recomputed from the tables: what the notes received is exactly what was paid in
 * and exactly what the ledger credited to their holders; received and outstanding principal make up the
 * principal; the notes' schedules share the loan's periods and carry its principal; every repayment's
 * split adds up; and no repayment was ever paid from a platform account (only from the borrower, the
 * custodian, or the core enterprise or order system paying in on the borrower's behalf).
 */
export async function loanInvariants(q: Queryable): Promise<InvariantCheck[]> {
  const paidToNotes = await rows<{ id: string }>(
    q,
    sql`select l.id from loans l
        left join (select loan_id, sum(amount_minor - guarantor_share_minor) as s from repayments group by loan_id) r on r.loan_id = l.id
        left join (select loan_id, sum(received_principal_minor + received_interest_minor + received_penalty_minor + received_prepayment_fee_minor) as s from loan_notes group by loan_id) n on n.loan_id = l.id
        where coalesce(r.s, 0) <> coalesce(n.s, 0) limit 5`,
  );
  const noteLedger = await rows<{ id: string }>(
    q,
    sql`select n.id from loan_notes n
        left join (select reference, credit_account_id, sum(amount_minor) as s from ledger_transfers where kind = 'repayment' group by reference, credit_account_id) t
          on t.reference = n.id and t.credit_account_id = 'acc_w_' || n.lender_id
        where n.received_principal_minor + n.received_interest_minor + n.received_penalty_minor + n.received_prepayment_fee_minor <> coalesce(t.s, 0) limit 5`,
  );
  const strayTransfers = await rows<{ id: string }>(
    q,
    sql`select t.id from ledger_transfers t
        left join loan_notes n on n.id = t.reference and t.credit_account_id = 'acc_w_' || n.lender_id
        left join loans l on l.id = n.loan_id
        left join listings li on li.id = l.listing_id
        left join merchants m on m.id = l.merchant_id
        left join guarantees g on g.listing_id = l.listing_id
        left join guarantors gr on gr.id = g.guarantor_id
        where t.kind = 'repayment' and (n.id is null or t.phase <> 'single'
          or t.debit_account_id not in ('acc_w_' || l.borrower_user_id, 'acc_custody', 'acc_w_' || coalesce(li.core_enterprise_id, '-'), 'acc_w_' || m.partner_id, 'acc_w_' || coalesce(gr.user_id, '-'))) limit 5`,
  );
  const principalBalance = await rows<{ id: string }>(
    q,
    sql`select l.id from loans l join (select loan_id, sum(received_principal_minor) as s from loan_notes group by loan_id) n on n.loan_id = l.id
        where l.outstanding_principal_minor <> l.principal_minor - n.s limit 5`,
  );
  const splits = await rows<{ id: string }>(
    q,
    sql`select r.id from repayments r
        left join lateral (
          select sum((x->>'totalMinor')::bigint) as total, sum((x->>'principalMinor')::bigint) as principal,
                 sum((x->>'interestMinor')::bigint) as interest, sum((x->>'penaltyMinor')::bigint) as penalty,
                 sum(coalesce((x->>'prepaymentFeeMinor')::bigint, 0)) as fee
          from jsonb_array_elements(r.breakdown->'perNote') as x
        ) p on true
        where coalesce(p.total, 0) <> r.amount_minor - r.guarantor_share_minor or coalesce(p.principal, 0) <> r.principal_minor
           or coalesce(p.interest, 0) <> r.interest_minor or coalesce(p.penalty, 0) <> r.penalty_minor
           or coalesce(p.fee, 0) <> r.prepayment_fee_minor limit 5`,
  );
  // Every note has the loan's number of periods, its schedule adds up to its principal, and its due
  // dates are the loan's (those of the loan's first note): the loan schedule is their period-by-period sum.
  const schedules = await rows<{ id: string }>(
    q,
    sql`with periods as (
          select n.id, n.loan_id, n.principal_minor, coalesce(l.term_months, 1) as term_months, x.k, x.v->>'dueDate' as due, (x.v->>'principalDueMinor')::bigint as principal
          from loan_notes n join loans l on l.id = n.loan_id
          cross join lateral jsonb_array_elements(n.installments) with ordinality as x(v, k)
        ), firsts as (
          select distinct on (loan_id) loan_id, id from loan_notes order by loan_id, id
        ), sums as (
          select id, count(*) as periods, sum(principal) as principal, min(principal_minor) as note_principal, min(term_months) as term
          from periods group by id
        )
        select s.id from sums s where s.periods <> s.term or s.principal <> s.note_principal
        union
        select p.id from periods p join firsts f on f.loan_id = p.loan_id join periods fp on fp.id = f.id and fp.k = p.k
        where fp.due <> p.due
        limit 5`,
  );
  const statuses = await rows<{ id: string }>(
    q,
    sql`select l.id from loans l join (
          select loan_id, bool_and(status in ('repaid', 'sold')) as all_repaid, bool_or(status = 'defaulted') as any_defaulted from loan_notes group by loan_id
        ) n on n.loan_id = l.id
        where (l.status = 'repaid') <> n.all_repaid or (l.status = 'active' and n.any_defaulted)
           or (l.status = 'repaid' and l.outstanding_principal_minor <> 0) limit 5`,
  );
  return [
    check('loans.notes_received_equal_repayments', paidToNotes, 'Σ paid to notes = Σ repayments for every loan', 'loans whose notes received other than what was paid'),
    check('loans.notes_received_equal_ledger', noteLedger, "every note's receipts equal the ledger transfers to its holder's wallet", 'notes whose receipts differ from the ledger'),
    check('loans.repayment_transfers_from_payer', strayTransfers, 'every repayment transfer goes from the borrower (or the custodian, the core enterprise or order system paying for it, or its guarantor) to a note holder; none from the platform', 'repayment transfers with a wrong account'),
    check('loans.outstanding_is_principal_less_received', principalBalance, 'outstanding = principal − received principal for every loan', 'loans whose outstanding does not balance'),
    check('loans.repayment_split_adds_up', splits, "every repayment's split over notes adds up to its amount and parts", 'repayments whose split does not add up'),
    check('loans.note_schedules_make_loan_schedule', schedules, 'every note has one installment per month of the term (a bullet: one) carrying its principal, on the due dates of the other notes', 'notes whose schedule does not fit the loan'),
    check('loans.statuses_agree', statuses, 'a loan is repaid exactly when all its notes are (or were sold whole), and active only when none has defaulted', 'loans whose status disagrees with their notes'),
  ];
}
