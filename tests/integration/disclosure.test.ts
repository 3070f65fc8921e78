import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rows } from '../../src/db/client.js';
import { GRADES } from '../../src/domain/grades.js';
import { call, expectInvariants, registerLender, uniq, type Session } from './helpers/api.js';
import { createTestStorage, startApp, type TestApp, type TestStorage } from './helpers/env.js';
import { acceptedBid, createListing, listing, ratedBorrower, type Borrower } from './helpers/market.js';
import { ADMIN_ENV, adminToken, createPartner, type PartnerKey } from './helpers/partner.js';
import { dayOf, repayOk } from './helpers/servicing.js';

/**
 * Disclosure (docs/servicing.md "Disclosure"), every figure of GET /stats recomputed by this test from the
 * tables — loans, their notes and installments, the repayment record, the repayments and the ledger's
 * transfers — with its own SQL and the definitions as the document words them, for each past month and
 * today, and compared field by field. A figure the response has and this test does not recompute fails:
 * the comparison walks the response's keys.
 *
 * The history, all interest-only at 12 % over 6 months, DEFAULT_AFTER_DAYS 120 (so that a loan can be
 * more than 90 days past due without having defaulted), today 15 June 2033:
 *   L1  B1, x1 ¥2,000 + x2 ¥1,000, 5 Jan: pays on time; x1 sells ¥1,000 of its note to x4 on 10 March
 *       (x4 is no lender of record: the lenders' figures do not move);
 *   L2  B2, x2 ¥1,000, 5 Jan: pays its 5 Feb installment on 20 Feb (late from the 6th), then on time;
 *   L4  B4, x1 + x3 ¥1,000 each, 5 Jan, guaranteed at 80 %: never pays, defaults on 6 June (121 days past
 *       due), its guarantor pays on 10 June;
 *   L5  B5 (marked a related party by operators), x1 ¥1,000, 20 Jan: pays on time;
 *   L3  B3, x3 ¥1,000, 10 Feb: never pays — 97 days past due on 15 June, not defaulted;
 *   L6  B6, x2 ¥1,000, 15 March: repaid in full on 15 April;
 *   L7  B7, x3 ¥1,000, 20 April: misses 20 May — late.
 */
let storage: TestStorage;
let t: TestApp;
let partner: PartnerKey;
let operator: string;
let x1: Session, x2: Session, x3: Session, x4: Session;
const B: Borrower[] = [];
let guarantor: { id: string; userId: string; token: string };
const loanIds: Record<string, string> = {};

const FEES = { platformFeeBps: 100, prepaymentFeeBps: 100, transferFeeBps: 50, penaltyBpsPerDay: 5 };

beforeAll(async () => {
  storage = await createTestStorage();
  t = await startApp(storage, {
    env: {
      ...ADMIN_ENV,
      LENDBOOK_CLOCK: 'settable',
      LENDBOOK_WORKERS: 'false',
      LENDBOOK_DEFAULT_AFTER_DAYS: '120',
      LENDBOOK_PLATFORM_FEE_BPS: String(FEES.platformFeeBps),
      LENDBOOK_PREPAYMENT_FEE_BPS: String(FEES.prepaymentFeeBps),
      LENDBOOK_TRANSFER_FEE_BPS: String(FEES.transferFeeBps),
      LENDBOOK_PENALTY_BPS_PER_DAY: String(FEES.penaltyBpsPerDay),
    },
  });
  await dayOf(t.app, '2033-01-05');
  operator = await adminToken(t.app);
  partner = await createPartner(t.app);
  [x1, x2, x3, x4] = [await registerLender(t.app, { depositMinor: 1_000_000 }), await registerLender(t.app, { depositMinor: 1_000_000 }), await registerLender(t.app, { depositMinor: 1_000_000 }), await registerLender(t.app, { depositMinor: 1_000_000 })];
  for (let i = 0; i < 7; i++) B.push(await ratedBorrower(t.app, partner));
  const email = `${uniq('gtr')}@example.com`;
  const res = await call(t.app, 'POST', '/api/v1/admin/guarantors', { token: operator, body: { name: `担保公司 ${uniq('g')}`, licenceNo: uniq('LIC'), registeredCapitalMinor: 1_000_000, email, password: 'guarantee company password' } });
  expect(res.statusCode, res.body).toBe(201);
  const login = await call(t.app, 'POST', '/api/v1/auth/login', { body: { email, password: 'guarantee company password' } });
  guarantor = { ...(res.json() as { id: string; userId: string }), token: login.json().token as string };
});
afterAll(async () => {
  if (t) await expectInvariants(t.app);
  await t?.close();
  await storage?.dispose();
});

async function lend(name: string, b: Borrower, bids: [Session, number][], guarantee?: { coveragePct: number; feeBps: number }) {
  const amountMinor = bids.reduce((a, [, x]) => a + x, 0);
  let id: string;
  if (guarantee) {
    const res = await call(t.app, 'POST', '/api/v1/listings', {
      token: b.token,
      body: { title: 'Stock', purpose: 'Inventory', amountMinor, termMonths: 6, maxRateBps: 1500, repayment: 'interest_only', product: 'credit', pricing: 'uniform', closeWhenFunded: true, durationSec: 86_400, guarantee: { guarantorId: guarantor.id, ...guarantee } },
    });
    expect(res.statusCode, res.body).toBe(201);
    id = res.json().id;
    const g = ((await call(t.app, 'GET', '/api/v1/guarantees?status=pending', { token: guarantor.token })).json().items as { id: string; listingId: string }[]).find((x) => x.listingId === id)!;
    expect((await call(t.app, 'POST', `/api/v1/guarantees/${g.id}/accept`, { token: guarantor.token, body: {} })).statusCode).toBe(200);
  } else {
    id = (await createListing(t.app, b, { amountMinor, termMonths: 6, repayment: 'interest_only', maxRateBps: 1500, closeWhenFunded: true, durationSec: 86_400 })).id;
  }
  for (const [lender, amount] of bids) await acceptedBid(t.app, lender.token, id, amount, 1200);
  loanIds[name] = (await listing(t.app, id)).loanId;
  expect(loanIds[name], `${name} cleared`).toBeTruthy();
}

/** What the loan's installments due by today still want (principal, interest, late fees), over its notes. */
async function dueNow(loanId: string): Promise<number> {
  const today = new Date(t.app.ctx.clock.nowMs()).toISOString().slice(0, 10);
  const [r] = await rows<{ s: number }>(
    t.app.ctx.db,
    sql`select coalesce(sum((x->>'principalDueMinor')::bigint - (x->>'principalPaidMinor')::bigint + (x->>'interestDueMinor')::bigint - (x->>'interestPaidMinor')::bigint + (x->>'penaltyMinor')::bigint - (x->>'penaltyPaidMinor')::bigint), 0)::bigint as s
        from loan_notes n cross join lateral jsonb_array_elements(n.installments) x where n.loan_id = ${loanId} and (x->>'dueDate') <= ${today}`,
  );
  return Number(r!.s);
}

async function payDue(name: string, b: Borrower) {
  const due = await dueNow(loanIds[name]!);
  expect(due, `${name} has something due`).toBeGreaterThan(0);
  await repayOk(t.app, b.token, loanIds[name]!, due);
}

/** n × 10,000 / d, half-even (the document's bps). */
function bps(n: number, d: number): number {
  if (d === 0) return 0;
  const x = n * 10_000;
  const q = Math.floor(x / d);
  const r = x - q * d;
  return 2 * r > d ? q + 1 : 2 * r < d ? q : q + (q % 2);
}

interface LoanFacts {
  id: string;
  grade: string;
  borrower: string;
  principal: number;
  disbursed_on: string;
  defaulted: boolean;
  related_party: boolean;
  principal_repaid: number;
  interest_paid: number;
  scheduled_interest: number;
  dpd: number;
  lenders: string;
}

/**
 * Every figure of one month, measured at `asOf`, from the tables by this test's own SQL and the
 * definitions of docs/servicing.md "Disclosure".
 */
async function recompute(month: string, asOf: string): Promise<Record<string, unknown>> {
  const db = t.app.ctx.db;
  // Each loan disbursed by asOf: what was repaid of it by then, its schedule's interest as it stands, its
  // days past due by the repayment record (the oldest installment due before asOf and not fully paid by
  // its end), whether it had defaulted, and its lenders of record (the notes made at clearing).
  const facts = (
    await rows<LoanFacts>(
      db,
      sql`select l.id, l.grade, l.borrower_user_id as borrower, l.principal_minor::bigint as principal, to_char(l.disbursed_on, 'YYYY-MM-DD') as disbursed_on,
                 (l.defaulted_on is not null and l.defaulted_on <= ${asOf}::date) as defaulted, m.related_party,
                 coalesce((select sum(r.principal_minor) from repayments r where r.loan_id = l.id and r.paid_on <= ${asOf}::date), 0)::bigint as principal_repaid,
                 coalesce((select sum(r.interest_minor) from repayments r where r.loan_id = l.id and r.paid_on <= ${asOf}::date), 0)::bigint as interest_paid,
                 coalesce((select sum((x->>'interestDueMinor')::bigint) from loan_notes n cross join lateral jsonb_array_elements(n.installments) x where n.loan_id = l.id), 0)::bigint as scheduled_interest,
                 coalesce((select ${asOf}::date - min((h->>'dueDate')::date) from jsonb_array_elements(l.installment_history) h
                           where (h->>'dueDate')::date < ${asOf}::date and (h->>'paidOn' is null or (h->>'paidOn')::date > ${asOf}::date)), 0)::int as dpd,
                 coalesce((select string_agg(distinct n.lender_id, ',') from loan_notes n where n.loan_id = l.id and n.acquired_via = 'auction'), '') as lenders
          from loans l join merchants m on m.id = l.merchant_id where l.disbursed_on <= ${asOf}::date order by l.id`,
    )
  ).map((f) => ({ ...f, principal: Number(f.principal), principal_repaid: Number(f.principal_repaid), interest_paid: Number(f.interest_paid), scheduled_interest: Number(f.scheduled_interest), dpd: Number(f.dpd) }));
  // What was lent in the month: the bid fills the ledger posted to borrowers that month.
  const [filled] = await rows<{ s: number; n: number }>(
    db,
    sql`select coalesce(sum(t.amount_minor), 0)::bigint as s, count(distinct l.id)::int as n from ledger_transfers t join bids b on b.id = t.reference join loans l on l.listing_id = b.listing_id
        where t.kind = 'bid_fill' and t.phase = 'post' and to_char(t.created_at at time zone 'UTC', 'YYYY-MM') = ${month} and (t.created_at at time zone 'UTC')::date <= ${asOf}::date`,
  );
  // Guarantor payments (代偿) by asOf: the repayment transfers out of a guarantor's wallet, by payment.
  const [guarantors] = await rows<{ s: number; n: number }>(
    db,
    sql`select coalesce(sum(t.amount_minor), 0)::bigint as s, count(distinct r.id)::int as n
        from ledger_transfers t join ledger_accounts a on a.id = t.debit_account_id join users u on u.id = a.owner_user_id
        join repayments r on starts_with(t.id, 'xfr_' || r.id || '_')
        where t.kind = 'repayment' and u.role = 'guarantor' and (t.created_at at time zone 'UTC')::date <= ${asOf}::date`,
  );
  const open = facts.filter((f) => f.principal - f.principal_repaid > 0).map((f) => ({ ...f, out: f.principal - f.principal_repaid }));
  const sum = (xs: readonly { out: number }[]) => xs.reduce((a, x) => a + x.out, 0);
  const outstanding = sum(open);
  const isLate = (f: (typeof open)[number]) => !f.defaulted && f.dpd > 0;
  const overdue = open.filter((f) => f.defaulted || f.dpd > 0);
  const overdue90 = overdue.filter((f) => f.defaulted || f.dpd > 90);
  const byBorrower = new Map<string, number>();
  for (const f of open) byBorrower.set(f.borrower, (byBorrower.get(f.borrower) ?? 0) + f.out);
  const largest = [...byBorrower.values()].sort((a, b) => b - a);
  const lendersOf = (xs: readonly LoanFacts[]) => new Set(xs.flatMap((f) => (f.lenders ? f.lenders.split(',') : []))).size;
  const gradeFigures = (xs: typeof open) => {
    const o = sum(xs);
    const late = xs.filter(isLate);
    const defaulted = xs.filter((f) => f.defaulted);
    return { loans: xs.length, outstandingPrincipalMinor: o, lateLoans: late.length, latePrincipalMinor: sum(late), defaultedLoans: defaulted.length, defaultedPrincipalMinor: sum(defaulted), lateRateBps: bps(sum(late), o), defaultRateBps: bps(sum(defaulted), o) };
  };
  const all = gradeFigures(open);
  const inMonth = facts.filter((f) => f.disbursed_on.slice(0, 7) === month);
  expect({ s: Number(filled!.s), n: filled!.n }, `${month}: the ledger's bid fills are the loans disbursed in the month`).toEqual({ s: inMonth.reduce((a, f) => a + f.principal, 0), n: inMonth.length });
  return {
    month,
    asOf,
    volumeLentMinor: Number(filled!.s),
    loansDisbursed: filled!.n,
    lentToDateMinor: facts.reduce((a, f) => a + f.principal, 0),
    loansToDate: facts.length,
    outstandingPrincipalMinor: outstanding,
    outstandingLoans: open.length,
    outstandingInterestMinor: open.reduce((a, f) => a + Math.max(0, f.scheduled_interest - f.interest_paid), 0),
    borrowers: new Set(open.map((f) => f.borrower)).size,
    lenders: lendersOf(open),
    borrowersToDate: new Set(facts.map((f) => f.borrower)).size,
    lendersToDate: lendersOf(facts),
    top10ShareBps: bps(largest.slice(0, 10).reduce((a, x) => a + x, 0), outstanding),
    largestShareBps: bps(largest[0] ?? 0, outstanding),
    relatedPartyLoans: open.filter((f) => f.related_party).length,
    relatedPartyOutstandingMinor: sum(open.filter((f) => f.related_party)),
    overdueLoans: overdue.length,
    overduePrincipalMinor: sum(overdue),
    overdue90Loans: overdue90.length,
    overdue90PrincipalMinor: sum(overdue90),
    overdueLoanRateBps: bps(overdue.length, open.length),
    overdueAmountRateBps: bps(sum(overdue), outstanding),
    guarantorPaidToDateMinor: Number(guarantors!.s),
    guarantorPaymentsToDate: guarantors!.n,
    lateRateBps: all.lateRateBps,
    defaultRateBps: all.defaultRateBps,
    byGrade: [...new Set(open.map((f) => f.grade))]
      .sort((a, b) => GRADES.indexOf(a as (typeof GRADES)[number]) - GRADES.indexOf(b as (typeof GRADES)[number]))
      .map((grade) => ({ grade, ...gradeFigures(open.filter((f) => f.grade === grade)) })),
  };
}

/** Every key of `got` must have a recomputed value, and every value must equal it (recursing into objects and arrays). */
function expectEveryFigure(got: unknown, want: unknown, path: string): void {
  if (Array.isArray(got)) {
    expect(Array.isArray(want), `${path} is recomputed as a list`).toBe(true);
    expect((got as unknown[]).length, `${path}: how many`).toBe((want as unknown[]).length);
    (got as unknown[]).forEach((g, i) => expectEveryFigure(g, (want as unknown[])[i], `${path}[${i}]`));
    return;
  }
  if (got !== null && typeof got === 'object') {
    for (const key of Object.keys(got)) {
      expect(want !== null && typeof want === 'object' && key in (want as object), `${path}.${key} is disclosed but not recomputed by this test`).toBe(true);
      expectEveryFigure((got as Record<string, unknown>)[key], (want as Record<string, unknown>)[key], `${path}.${key}`);
    }
    expect(Object.keys(want as object).sort(), `${path}: the figures recomputed are the figures disclosed`).toEqual(Object.keys(got).sort());
    return;
  }
  expect(got, path).toEqual(want);
}

describe('disclosure: every figure recomputed from the loans and the ledger', () => {
  it('a history across six months: late loans, one more than 90 days past due, a guaranteed default its guarantor paid, a related party, a note transfer', async () => {
    const [B1, B2, B3, B4, B5, B6, B7] = B as [Borrower, Borrower, Borrower, Borrower, Borrower, Borrower, Borrower];
    for (const b of B) expect((await call(t.app, 'POST', '/api/v1/wallet/deposits', { token: b.token, body: { amountMinor: 50_000 } })).statusCode).toBe(201);
    await lend('L1', B1, [[x1, 200_000], [x2, 100_000]]);
    await lend('L2', B2, [[x2, 100_000]]);
    await lend('L4', B4, [[x1, 100_000], [x3, 100_000]], { coveragePct: 80, feeBps: 200 });
    await dayOf(t.app, '2033-01-20');
    await lend('L5', B5, [[x1, 100_000]]);
    const marked = await call(t.app, 'PUT', `/api/v1/admin/merchants/${B5.merchantId}`, { token: operator, body: { relatedParty: true } });
    expect(marked.statusCode, marked.body).toBe(200);
    await dayOf(t.app, '2033-02-05');
    await payDue('L1', B1);
    await dayOf(t.app, '2033-02-10');
    await lend('L3', B3, [[x3, 100_000]]);
    await dayOf(t.app, '2033-02-20');
    await payDue('L2', B2); // 15 days late, with its late fees
    await payDue('L5', B5);
    await dayOf(t.app, '2033-03-05');
    for (const [n, b] of [['L1', B1], ['L2', B2]] as const) await payDue(n, b);
    await dayOf(t.app, '2033-03-10');
    // x1 sells half its L1 note to x4, who lent nothing at clearing.
    const [note] = await rows<{ id: string }>(t.app.ctx.db, sql`select id from loan_notes where loan_id = ${loanIds.L1!} and lender_id = ${x1.userId}`);
    const offer = await call(t.app, 'POST', `/api/v1/notes/${note!.id}/offers`, { token: x1.token, body: { principalMinor: 100_000, priceBps: 10_000 }, headers: { 'idempotency-key': 'disclosure-offer' } });
    expect(offer.statusCode, offer.body).toBe(201);
    const bought = await call(t.app, 'POST', `/api/v1/note-offers/${offer.json().id}/buy`, { token: x4.token, body: { principalMinor: 100_000 }, headers: { 'idempotency-key': 'disclosure-buy' } });
    expect(bought.statusCode, bought.body).toBe(201);
    await dayOf(t.app, '2033-03-15');
    await lend('L6', B6, [[x2, 100_000]]);
    await dayOf(t.app, '2033-03-20');
    await payDue('L5', B5);
    for (const month of ['04', '05', '06']) {
      await dayOf(t.app, `2033-${month}-05`);
      for (const [n, b] of [['L1', B1], ['L2', B2]] as const) await payDue(n, b);
      if (month === '04') {
        await dayOf(t.app, '2033-04-15');
        const owed = (await call(t.app, 'GET', `/api/v1/loans/${loanIds.L6!}/owed`, { token: B6.token })).json();
        expect((await call(t.app, 'POST', '/api/v1/wallet/deposits', { token: B6.token, body: { amountMinor: 100_000 } })).statusCode).toBe(201);
        await repayOk(t.app, B6.token, loanIds.L6!, owed.payoffMinor);
      }
      if (month !== '06') {
        await dayOf(t.app, `2033-${month}-20`);
        if (month === '04') await lend('L7', B7, [[x3, 100_000]]);
        await payDue('L5', B5); // L7 misses its 20 May installment
      }
    }
    await dayOf(t.app, '2033-06-10');
    const loans = await rows<{ id: string; status: string; defaulted_on: string | null }>(t.app.ctx.db, sql`select id, status, to_char(defaulted_on, 'YYYY-MM-DD') as defaulted_on from loans`);
    const state = (n: string) => loans.find((l) => l.id === loanIds[n])!;
    expect(state('L4')).toMatchObject({ status: 'defaulted', defaulted_on: '2033-06-06' });
    expect(state('L6').status).toBe('repaid');
    const g = ((await call(t.app, 'GET', '/api/v1/guarantees?status=owed', { token: guarantor.token })).json().items as { id: string; owedMinor: number }[])[0]!;
    expect((await call(t.app, 'POST', '/api/v1/wallet/deposits', { token: guarantor.token, body: { amountMinor: g.owedMinor } })).statusCode).toBe(201);
    expect((await call(t.app, 'POST', `/api/v1/guarantees/${g.id}/pay`, { token: guarantor.token, body: {} })).statusCode).toBe(200);
    await dayOf(t.app, '2033-06-15');
    for (const n of ['L1', 'L2', 'L3', 'L5', 'L7']) expect(state(n).status, n).toBe('active');
  });

  it('GET /stats: every figure of every month and today equals its recomputation', async () => {
    const stats = (await call(t.app, 'GET', '/api/v1/stats')).json() as { asOf: string; months: { month: string; asOf: string }[] } & Record<string, unknown>;
    const today = '2033-06-15';
    // Its months: from the first disbursement's to today's, each measured at its last day or today.
    const months = ['2033-01', '2033-02', '2033-03', '2033-04', '2033-05', '2033-06'];
    const ends = ['2033-01-31', '2033-02-28', '2033-03-31', '2033-04-30', '2033-05-31', today];
    const want = { asOf: today, currency: 'CNY', feeSchedule: FEES, months: [] as Record<string, unknown>[] };
    for (const [i, m] of months.entries()) want.months.push(await recompute(m, ends[i]!));
    expectEveryFigure(stats, want, 'stats');
    // The history did reach what the figures are about.
    const june = want.months[5]! as Record<string, number>;
    expect(june).toMatchObject({ guarantorPaymentsToDate: 1, relatedPartyLoans: 1, overdue90Loans: 2, lenders: 3, lendersToDate: 3 });
    expect(june.overdueLoans).toBe(3); // L3 (97 days), L4 (defaulted), L7 (26 days)
    expect((want.months[1]! as Record<string, number>).overdueLoans).toBe(1); // L4 on 28 February (L2 paid on the 20th)
  });

  it('the statements agree with the ledger and the invariants', async () => {
    // Each repayment the figures count is what its transfers moved.
    const bad = await rows<{ id: string }>(
      t.app.ctx.db,
      sql`select r.id from repayments r left join lateral (select sum(amount_minor) as s from ledger_transfers t where starts_with(t.id, 'xfr_' || r.id || '_')) x on true
          where r.amount_minor <> coalesce(x.s, 0)`,
    );
    expect(bad).toEqual([]);
    await expectInvariants(t.app);
  });
});
