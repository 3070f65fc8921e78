import { and, desc, eq, gte, inArray, sql } from 'drizzle-orm';
import type { AppContext } from '../context.js';
import { rows, type Queryable } from '../db/client.js';
import { merchants, orders, ratings } from '../db/schema/index.js';
import { addMonthsClamped, isoDateOfMs } from '../domain/dates.js';
import type { Grade } from '../domain/grades.js';
import { assessMerchant, creditLine, eligibility, mayListNow, type CreditLine, type Eligibility, type LegalForm, type MayList, type MerchantOrder, type RepaymentHistory } from '../domain/rating/index.js';
import { MIN_LISTING_AMOUNT_MINOR } from '../domain/auction/listing.js';
import type { Settings } from '../domain/settings.js';
import { newId } from '../ids.js';
import { repaymentHistory } from './exposure.js';
import { queueWebhook } from './webhooks.js';

export const RATING_JOB = 'rating.recompute';

export type RatingRow = typeof ratings.$inferSelect;

/** What the merchant owes or asks for on Lendbook now: the caps and credit line count all of it. */
export async function exposureOf(q: Queryable, merchantId: string): Promise<{ outstandingPrincipalMinor: number; openListingsMinor: number }> {
  const [r] = await rows<{ outstanding: number; open: number }>(
    q,
    sql`select
          (select coalesce(sum(outstanding_principal_minor), 0) from loans where merchant_id = ${merchantId} and status in ('active','defaulted'))::bigint as outstanding,
          (select coalesce(sum(amount_minor), 0) from listings where merchant_id = ${merchantId} and status = 'open')::bigint as open`,
  );
  return { outstandingPrincipalMinor: Number(r?.outstanding ?? 0), openListingsMinor: Number(r?.open ?? 0) };
}

/**
 * Rates a merchant from its orders of the last 13 months (the scorecard's window plus the current
 * month) and its record on Lendbook, and stores the result with its inputs and scorecard version.
 */
export async function rateMerchant(ctx: AppContext, merchantId: string): Promise<RatingRow> {
  // A rating is dated when it starts reading: it covers every batch committed before that moment. Two
  // runs for one merchant may overlap and finish in either order; the latest by date is the one that
  // read last, never a slow one that read earlier.
  const startedMs = ctx.clock.nowMs();
  const asOf = isoDateOfMs(startedMs);
  const settings = ctx.settings.get();
  return ctx.transaction(async (tx) => {
    const [merchant] = await tx.select().from(merchants).where(eq(merchants.id, merchantId));
    if (!merchant) throw new Error(`no merchant ${merchantId}`);
    const since = new Date(`${addMonthsClamped(asOf, -13, 1)}T00:00:00Z`);
    const found = await tx
      .select({ orderId: orders.orderId, amountMinor: orders.amountMinor, status: orders.status, placedAt: orders.placedAt })
      .from(orders)
      .where(and(eq(orders.merchantId, merchantId), gte(orders.placedAt, since)));
    const merchantOrders: MerchantOrder[] = found.map((o) => ({ orderId: o.orderId, amountMinor: o.amountMinor, status: o.status, placedAt: isoDateOfMs(o.placedAt.getTime()) }));
    const exposure = await exposureOf(tx, merchantId);
    const repayment: RepaymentHistory | null = await repaymentHistory(tx, merchantId, asOf, exposure.outstandingPrincipalMinor);
    const assessment = assessMerchant(
      { openedAt: merchant.openedAt, orders: merchantOrders, repayment, asOf, legalForm: merchant.legalForm, openListingsMinor: exposure.openListingsMinor },
      settings,
    );
    const [previous] = await tx.select({ grade: ratings.grade, score: ratings.score }).from(ratings).where(eq(ratings.merchantId, merchantId)).orderBy(desc(ratings.createdAt)).limit(1);
    const [row] = await tx
      .insert(ratings)
      .values({
        id: newId('rat'),
        merchantId,
        version: assessment.version,
        asOf,
        score: assessment.rating.score,
        grade: assessment.rating.grade,
        probabilityOfDefaultBps: assessment.rating.probabilityOfDefaultBps,
        monthsActive: assessment.features.monthsActive,
        avgMonthlyGmvMinor: assessment.features.avgMonthlyGmvMinor,
        inputs: { asOf, openedAt: merchant.openedAt, legalForm: merchant.legalForm, ordersInWindow: merchantOrders.length, repayment, features: assessment.features },
        result: { points: assessment.rating.points, reasons: assessment.rating.reasons },
        createdAt: new Date(startedMs),
      })
      .returning();
    if (!previous || previous.grade !== row!.grade || previous.score !== row!.score) {
      await queueWebhook(ctx, tx, merchant.partnerId, 'merchant.rated', { merchantRef: merchant.ref, score: row!.score, grade: row!.grade, ratedAt: row!.createdAt.toISOString() });
    }
    return row!;
  });
}

export async function latestRating(q: Queryable, merchantId: string): Promise<RatingRow | undefined> {
  const [row] = await q.select().from(ratings).where(eq(ratings.merchantId, merchantId)).orderBy(desc(ratings.createdAt), desc(ratings.id)).limit(1);
  return row;
}

export async function latestRatings(q: Queryable, merchantIds: string[]): Promise<Map<string, RatingRow>> {
  if (merchantIds.length === 0) return new Map();
  const found = await q.select().from(ratings).where(inArray(ratings.merchantId, merchantIds)).orderBy(desc(ratings.createdAt), desc(ratings.id));
  const out = new Map<string, RatingRow>();
  for (const r of found) if (!out.has(r.merchantId)) out.set(r.merchantId, r);
  return out;
}

export interface Credit {
  rating: RatingRow;
  grade: Grade;
  expectedLossBps: number;
  line: CreditLine;
  eligibility: Eligibility;
  /** May post a listing now (rating, no open listing, credit left): computed once, shown everywhere. */
  mayList: MayList;
  legalForm: LegalForm;
}

/** Credit line and eligibility now: the latest rating against today's debt and open listings. */
export async function creditOf(q: Queryable, merchantId: string, settings: Settings): Promise<Credit | undefined> {
  const rating = await latestRating(q, merchantId);
  if (!rating) return undefined;
  const [merchant] = await q.select({ legalForm: merchants.legalForm }).from(merchants).where(eq(merchants.id, merchantId));
  const exposure = await exposureOf(q, merchantId);
  const grade = rating.grade as Grade;
  const line = creditLine({ grade, avgMonthlyGmvMinor: rating.avgMonthlyGmvMinor, legalForm: merchant!.legalForm, ...exposure }, settings);
  const allowed = eligibility({ monthsActive: rating.monthsActive, grade }, settings);
  return {
    rating,
    grade,
    expectedLossBps: settings.expectedLossBps[grade],
    line,
    eligibility: allowed,
    mayList: mayListNow(allowed, exposure.openListingsMinor, line.creditLeftMinor, MIN_LISTING_AMOUNT_MINOR),
    legalForm: merchant!.legalForm,
  };
}

/** GET /me/rating and the partner's offers show the same view. */
export function ratingView(credit: Credit) {
  const result = credit.rating.result as { reasons?: { code: string; text: string; textZh?: string }[] };
  return {
    score: credit.rating.score,
    grade: credit.grade,
    probabilityOfDefault: credit.rating.probabilityOfDefaultBps / 10_000,
    probabilityOfDefaultBps: credit.rating.probabilityOfDefaultBps,
    expectedLossBps: credit.expectedLossBps,
    creditLineMinor: credit.line.creditLineMinor,
    creditLeftMinor: credit.line.creditLeftMinor,
    capMinor: credit.line.capMinor,
    capLeftMinor: credit.line.capLeftMinor,
    eligible: credit.eligibility.eligible,
    mayListNow: credit.mayList.mayList,
    mayListReason: credit.mayList.mayList ? null : credit.mayList.code,
    ineligibleReason: credit.eligibility.eligible ? null : { code: credit.eligibility.code, text: credit.eligibility.text, textZh: credit.eligibility.textZh },
    reasons: (result.reasons ?? []).map((r) => ({ code: r.code, text: r.text, textZh: r.textZh ?? null })),
    scorecardVersion: credit.rating.version,
    ratedAt: credit.rating.createdAt.toISOString(),
    currency: 'CNY' as const,
  };
}
