import { sql } from 'drizzle-orm';
import { rows, type Queryable } from '../db/client.js';
import type { IsoDate } from '../domain/dates.js';
import type { RepaymentHistory } from '../domain/rating/index.js';

/**
 * The merchant's repayment record on Lendbook, for the scorecard: installments that fell due, how many
 * were paid on time, the worst lateness. Null before its first loan.
 */
export async function repaymentHistory(q: Queryable, merchantId: string, asOf: IsoDate, outstandingPrincipalMinor: number): Promise<RepaymentHistory | null> {
  const [r] = await rows<{ loans: number; due: number; on_time: number; worst: number }>(
    q,
    sql`select count(distinct l.id)::int as loans,
               coalesce(sum(h.due), 0)::int as due, coalesce(sum(h.on_time), 0)::int as on_time, coalesce(max(h.worst), 0)::int as worst
        from loans l
        left join lateral (
          select count(*) filter (where (i->>'dueDate') <= ${asOf}) as due,
                 count(*) filter (where (i->>'dueDate') <= ${asOf} and (i->>'paidOnTime')::boolean) as on_time,
                 coalesce(max((i->>'daysLate')::int), 0) as worst
          from jsonb_array_elements(l.installment_history) as i
        ) h on true
        where l.merchant_id = ${merchantId}`,
  );
  if (!r || r.loans === 0) return null;
  return { installmentsDue: r.due, installmentsOnTime: r.on_time, worstDaysLate: r.worst, outstandingPrincipalMinor };
}
