/**
 * Related parties (docs/servicing.md "Disclosure"): operators find merchants and mark those related to the
 * platform; the disclosure then reports their lending as related-party lending. Each change is kept in
 * the audit log of the merchant's borrower account, with the operator and the reason.
 */
import { and, eq, sql, type SQL } from 'drizzle-orm';
import type { AppContext } from '../context.js';
import { rows, type Queryable } from '../db/client.js';
import { auditLog, merchants, users } from '../db/schema/index.js';
import { AppError } from '../domain/errors.js';
import { newId } from '../ids.js';

export interface MerchantForOperators {
  id: string;
  ref: string;
  name: string;
  partnerName: string;
  borrowerEmail: string | null;
  relatedParty: boolean;
  activeLoans: number;
  outstandingPrincipalMinor: number;
}

interface MerchantRow {
  id: string;
  ref: string;
  name: string;
  partner_name: string;
  borrower_email: string | null;
  related_party: boolean;
  active_loans: number;
  outstanding_minor: number | string;
}

function view(r: MerchantRow): MerchantForOperators {
  return {
    id: r.id,
    ref: r.ref,
    name: r.name,
    partnerName: r.partner_name,
    borrowerEmail: r.borrower_email,
    relatedParty: r.related_party,
    activeLoans: Number(r.active_loans),
    outstandingPrincipalMinor: Number(r.outstanding_minor),
  };
}

function merchantsWhere(conditions: SQL[]): SQL {
  return sql`select m.id, m.ref, m.name, p.name as partner_name, u.email as borrower_email, m.related_party,
                    count(lo.id) filter (where lo.status = 'active')::int as active_loans,
                    coalesce(sum(lo.outstanding_principal_minor) filter (where lo.status = 'active'), 0)::bigint as outstanding_minor
               from merchants m
               join partners p on p.id = m.partner_id
               left join users u on u.merchant_id = m.id
               left join loans lo on lo.merchant_id = m.id
              ${conditions.length ? sql`where ${sql.join(conditions, sql` and `)}` : sql``}
              group by m.id, p.name, u.email`;
}

/** Merchants by name, ref, borrower e-mail or id, newest id first; `relatedParty` filters on the mark. */
export async function searchMerchants(q: Queryable, query: { q?: string | undefined; relatedParty?: boolean | undefined; limit: number; cursor?: string | undefined }) {
  const conditions: SQL[] = [];
  if (query.q) {
    const like = `%${query.q.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
    conditions.push(sql`(m.name ilike ${like} or m.ref ilike ${like} or u.email ilike ${like} or m.id = ${query.q})`);
  }
  if (query.relatedParty !== undefined) conditions.push(sql`m.related_party = ${query.relatedParty}`);
  if (query.cursor) conditions.push(sql`m.id < ${query.cursor}`);
  const found = await rows<MerchantRow>(q, sql`${merchantsWhere(conditions)} order by m.id desc limit ${query.limit + 1}`);
  const page = found.slice(0, query.limit).map(view);
  return { items: page, nextCursor: found.length > query.limit ? (page[page.length - 1]?.id ?? null) : null };
}

async function merchantForOperators(q: Queryable, merchantId: string): Promise<MerchantForOperators> {
  const [r] = await rows<MerchantRow>(q, merchantsWhere([sql`m.id = ${merchantId}`]));
  if (!r) throw new AppError('MERCHANT_NOT_FOUND', 'no merchant with this id');
  return view(r);
}

/**
 * Mark a merchant related to the platform, or take the mark off. A change is written to the audit log of
 * the merchant's borrower account (when it has one); setting the mark it already has changes nothing.
 */
export async function setRelatedParty(ctx: AppContext, operatorId: string, merchantId: string, relatedParty: boolean, reason: string | undefined) {
  const at = new Date(ctx.clock.nowMs());
  return ctx.transaction(async (tx) => {
    const [m] = await tx.select().from(merchants).where(eq(merchants.id, merchantId)).for('update');
    if (!m) throw new AppError('MERCHANT_NOT_FOUND', 'no merchant with this id');
    if (m.relatedParty !== relatedParty) {
      await tx.update(merchants).set({ relatedParty, updatedAt: at }).where(eq(merchants.id, merchantId));
      const [borrower] = await tx.select({ id: users.id }).from(users).where(and(eq(users.merchantId, merchantId), eq(users.role, 'borrower')));
      await tx.insert(auditLog).values({
        id: newId('aud', at.getTime()),
        at,
        actorUserId: operatorId,
        action: relatedParty ? 'related_party_marked' : 'related_party_unmarked',
        subjectUserId: borrower?.id ?? null,
        reason: reason?.trim() || '—',
        data: { merchantId, merchantRef: m.ref, relatedParty },
      });
    }
    return merchantForOperators(tx, merchantId);
  });
}
