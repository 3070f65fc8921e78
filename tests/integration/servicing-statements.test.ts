import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serviceDueLoans } from '../../src/services/servicing.js';
import { call, expectInvariants, registerLender, type Session } from './helpers/api.js';
import { createTestStorage, startApp, type TestApp, type TestStorage } from './helpers/env.js';
import { acceptedBid, createListing, listing, ratedBorrower, type Borrower } from './helpers/market.js';
import { ADMIN_ENV, createPartner } from './helpers/partner.js';
import { dayOf, loanOf, repayOk, setClock } from './helpers/servicing.js';

/**
 * Statements and disclosure, figure by figure (docs/servicing.md "Statements", "Disclosure"). Three loans
 * of ¥1,000 a note at 12%, 3 months interest-only, disbursed 1 Mar 2032:
 *   X (lender A): interest paid on time, the last installment 7 days late (3 days of 50 = 150 penalty);
 *   Y (lenders A and B, ¥1,000 each): never paid, defaults on 1 Jul (91 days past 1 Apr);
 *   Z (lender C): paid on time.
 */
let storage: TestStorage;
let t: TestApp;
let A: Session, B: Session, C: Session;
let BX: Borrower, BY: Borrower, BZ: Borrower;
let X: string, Y: string, Z: string;
let grade: string;

beforeAll(async () => {
  storage = await createTestStorage();
  t = await startApp(storage, { env: { ...ADMIN_ENV, LENDBOOK_CLOCK: 'settable' } });
  await setClock(t.app, '2032-03-01T01:00:00Z');
  const partner = await createPartner(t.app);
  [BX, BY, BZ] = [await ratedBorrower(t.app, partner), await ratedBorrower(t.app, partner), await ratedBorrower(t.app, partner)];
  [A, B, C] = [await registerLender(t.app, { depositMinor: 500_000 }), await registerLender(t.app, { depositMinor: 500_000 }), await registerLender(t.app, { depositMinor: 500_000 })];
});
afterAll(async () => {
  if (t) await expectInvariants(t.app);
  await t?.close();
  await storage?.dispose();
});

async function loanFor(b: Borrower, bids: [Session, number][]): Promise<string> {
  const total = bids.reduce((a, [, amount]) => a + amount, 0);
  const l = await createListing(t.app, b, { amountMinor: total, termMonths: 3, repayment: 'interest_only', maxRateBps: 1500, closeWhenFunded: true, durationSec: 86_400 });
  for (const [lender, amount] of bids) await acceptedBid(t.app, lender.token, l.id, amount, 1200);
  return (await listing(t.app, l.id)).loanId;
}

async function get(path: string, token?: string) {
  const res = await call(t.app, 'GET', path, { token });
  expect(res.statusCode, res.body).toBe(200);
  return res;
}

describe('statements and disclosure', () => {
  it('three loans serviced to mid-July: on time, late, and a default', async () => {
    X = await loanFor(BX, [[A, 100_000]]);
    Y = await loanFor(BY, [[A, 100_000], [B, 100_000]]);
    Z = await loanFor(BZ, [[C, 100_000]]);
    grade = (await loanOf(t.app, X)).loan.grade;
    for (const b of [BX, BZ]) await call(t.app, 'POST', '/api/v1/wallet/deposits', { token: b.token, body: { amountMinor: 10_000 } });
    await dayOf(t.app, '2032-04-01');
    for (const [b, id] of [[BX, X], [BZ, Z]] as const) await repayOk(t.app, b.token, id, 1_000);
    await dayOf(t.app, '2032-05-01');
    for (const [b, id] of [[BX, X], [BZ, Z]] as const) await repayOk(t.app, b.token, id, 1_000);
    await dayOf(t.app, '2032-06-01');
    await repayOk(t.app, BZ.token, Z, 101_000);
    await dayOf(t.app, '2032-06-08');
    // Late on 5, 6 and 7 June (closed): 3 × round(101,000 × 0.0005 = 50.5 → 50, half-even) = 150.
    expect((await repayOk(t.app, BX.token, X, 101_150)).penaltyMinor).toBe(150);
    await dayOf(t.app, '2032-07-15');
    expect((await loanOf(t.app, Y)).loan).toMatchObject({ status: 'defaulted', defaultedOn: '2032-07-01', daysPastDue: 104 });
    expect((await loanOf(t.app, X)).loan.status).toBe('repaid');
    expect((await loanOf(t.app, Z)).loan.status).toBe('repaid');
  });

  it("a lender's portfolio: totals, realised yield (a default weighs), allocation by grade, cash by month", async () => {
    const p = (await get('/api/v1/me/portfolio', A.token)).json();
    // (3,000 + 150 − 100,000) · 365 · 10,000 / (100,000 · 99 days + 100,000 · 122 days to default) = −15,995.6 → −15,996.
    expect(p).toEqual({
      asOf: '2032-07-15',
      currency: 'CNY',
      totals: {
        notes: 2,
        activeNotes: 0,
        repaidNotes: 1,
        defaultedNotes: 1,
        principalLentMinor: 200_000,
        outstandingMinor: 100_000,
        lateOutstandingMinor: 0,
        defaultedOutstandingMinor: 100_000,
        receivedPrincipalMinor: 100_000,
        receivedInterestMinor: 3_000,
        receivedPenaltyMinor: 150,
        soldNotes: 0,
        transferResultMinor: 0,
        receivedPrepaymentFeeMinor: 0,
        principalDays: 22_100_000,
        realisedYieldBps: -15_996,
      },
      byGrade: [{ grade, notes: 2, principalMinor: 200_000, outstandingMinor: 100_000 }],
      transfers: { boughtPrincipalMinor: 0, soldPrincipalMinor: 0, paidMinor: 0, receivedMinor: 0, feesMinor: 0, items: [] },
      cashflow: [
        { month: '2032-03', expectedMinor: 0, receivedMinor: 0 },
        { month: '2032-04', expectedMinor: 2_000, receivedMinor: 1_000 },
        { month: '2032-05', expectedMinor: 2_000, receivedMinor: 1_000 },
        { month: '2032-06', expectedMinor: 202_000, receivedMinor: 101_150 },
      ],
    });
    // Only a default: −100,000 · 3,650,000 / 12,200,000 = −29,918.0. Paid on time: 3,000 · 3,650,000 / 9,200,000 = 1,190.2.
    expect((await get('/api/v1/me/portfolio', B.token)).json().totals.realisedYieldBps).toBe(-29_918);
    expect((await get('/api/v1/me/portfolio', C.token)).json().totals).toMatchObject({ realisedYieldBps: 1_190, principalDays: 9_200_000, receivedInterestMinor: 3_000, outstandingMinor: 0 });
    const fresh = await registerLender(t.app);
    expect((await get('/api/v1/me/portfolio', fresh.token)).json()).toMatchObject({ totals: { notes: 0, realisedYieldBps: null }, byGrade: [], cashflow: [] });
  });

  it('GET /me/notes shows each note with its loan\'s lateness', async () => {
    const items = (await get('/api/v1/me/notes', A.token)).json().items as { loanId: string; status: string; loanStatus: string; daysPastDue: number; bucket: string; receivedPenaltyMinor: number }[];
    // Days past due as of today, as the loan page says it (the daily job closed yesterday at 104).
    expect(items.find((n) => n.loanId === Y)).toMatchObject({ status: 'defaulted', loanStatus: 'defaulted', standing: 'defaulted', daysPastDue: 105, bucket: 'default' });
    const page = (await get(`/api/v1/loans/${Y}`, A.token)).json();
    expect({ standing: page.standing, daysPastDue: page.daysPastDue }).toEqual({ standing: 'defaulted', daysPastDue: 105 });
    expect(items.find((n) => n.loanId === X)).toMatchObject({ status: 'repaid', receivedPenaltyMinor: 150 });
  });

  it('CSV exports: money as yuan with two decimals, from integers', async () => {
    const notes = await get('/api/v1/me/notes.csv', A.token);
    expect(notes.headers['content-type']).toMatch(/^text\/csv/);
    expect(notes.headers['content-disposition']).toContain('lendbook-notes.csv');
    const [header, ...lines] = notes.body.trimEnd().split('\r\n');
    expect(header).toBe('note_id,loan_id,listing_id,grade,rate_bps,repayment,term_months,disbursed_on,principal_yuan,outstanding_yuan,received_principal_yuan,received_interest_yuan,received_penalty_yuan,received_prepayment_fee_yuan,note_status,loan_status,standing,days_past_due,bucket,matures_on,acquired_via,acquired_on,sold_principal_yuan');
    const byLoan = Object.fromEntries(lines.map((l) => [l.split(',')[1], l.split(',').slice(3)]));
    expect(byLoan[X]).toEqual([grade, '1200', 'interest_only', '3', '2032-03-01', '1000.00', '0.00', '1000.00', '30.00', '1.50', '0.00', 'repaid', 'repaid', 'repaid', '0', 'current', '', 'auction', '2032-03-01', '0.00']);
    expect(byLoan[Y]).toEqual([grade, '1200', 'interest_only', '3', '2032-03-01', '1000.00', '1000.00', '0.00', '0.00', '0.00', '0.00', 'defaulted', 'defaulted', 'defaulted', '105', 'default', '', 'auction', '2032-03-01', '0.00']);
    const loans = await get('/api/v1/me/loans.csv', BX.token);
    const [lh, ...ll] = loans.body.trimEnd().split('\r\n');
    expect(lh).toBe('loan_id,listing_id,disbursed_on,loan_status,rate_bps,n,due_date,principal_yuan,interest_yuan,fee_yuan,paid_yuan,installment_status');
    expect(ll.map((l) => l.split(',').slice(2))).toEqual([
      ['2032-03-01', 'repaid', '1200', '1', '2032-04-01', '0.00', '10.00', '0.00', '10.00', 'paid'],
      ['2032-03-01', 'repaid', '1200', '2', '2032-05-01', '0.00', '10.00', '0.00', '10.00', 'paid'],
      ['2032-03-01', 'repaid', '1200', '3', '2032-06-01', '1000.00', '10.00', '1.50', '1011.50', 'paid'],
    ]);
    expect((await call(t.app, 'GET', '/api/v1/me/loans.csv', { token: A.token })).statusCode).toBe(403);
    expect((await call(t.app, 'GET', '/api/v1/me/notes.csv', { token: BX.token })).statusCode).toBe(403);
  });

  it('GET /stats (public): monthly volume, outstanding, borrowers and lenders, late and default rates by grade', async () => {
    const stats = (await get('/api/v1/stats')).json();
    expect(stats.asOf).toBe('2032-07-15');
    const g = (loans: number, outstanding: number, late: number, defaulted: number) => ({
      loans,
      outstandingPrincipalMinor: outstanding,
      lateLoans: late ? 1 : 0,
      latePrincipalMinor: late,
      defaultedLoans: defaulted ? 1 : 0,
      defaultedPrincipalMinor: defaulted,
      lateRateBps: outstanding ? (late * 10_000) / outstanding : 0,
      defaultRateBps: outstanding ? (defaulted * 10_000) / outstanding : 0,
    });
    const month = (m: string, asOf: string, volume: number, disbursed: number, outstanding: number, loans: number, borrowers: number, lenders: number, late: number, defaulted: number) => ({
      month: m,
      asOf,
      volumeLentMinor: volume,
      loansDisbursed: disbursed,
      outstandingPrincipalMinor: outstanding,
      outstandingLoans: loans,
      borrowers,
      lenders,
      borrowersToDate: 3,
      lendersToDate: 3,
      lateRateBps: g(loans, outstanding, late, defaulted).lateRateBps,
      defaultRateBps: g(loans, outstanding, late, defaulted).defaultRateBps,
      byGrade: [{ grade, ...g(loans, outstanding, late, defaulted) }],
    });
    // The guideline's further figures are checked below, field by field.
    expect(stats.months).toMatchObject([
      month('2032-03', '2032-03-31', 400_000, 3, 400_000, 3, 3, 3, 0, 0),
      // Y is past due from 2 April: half the outstanding principal is late.
      month('2032-04', '2032-04-30', 0, 0, 400_000, 3, 3, 3, 200_000, 0),
      month('2032-05', '2032-05-31', 0, 0, 400_000, 3, 3, 3, 200_000, 0),
      // X and Z are repaid: only Y is outstanding, late, with its two lenders.
      month('2032-06', '2032-06-30', 0, 0, 200_000, 1, 1, 2, 200_000, 0),
      // Y defaulted on 1 July: a default, no longer counted late.
      month('2032-07', '2032-07-15', 0, 0, 200_000, 1, 1, 2, 0, 200_000),
    ]);
    expect(stats.months[1].lateRateBps).toBe(5_000);
    // The guideline's figures (docs/servicing.md "Disclosure"): 1 % a month of interest on each ¥1,000
    // (¥10 a note a month), X and Z paying theirs on the 1st, Y none; Y overdue from 2 April, over 90
    // days once it defaulted.
    const guideline = (outstandingInterest: number, largestBps: number, overdueLoans: number, overdueMinor: number, overdue90Minor: number, overdueLoanRateBps: number, overdueAmountRateBps: number) => ({
      lentToDateMinor: 400_000,
      loansToDate: 3,
      outstandingInterestMinor: outstandingInterest,
      top10ShareBps: 10_000,
      largestShareBps: largestBps,
      relatedPartyLoans: 0,
      relatedPartyOutstandingMinor: 0,
      overdueLoans: overdueLoans,
      overduePrincipalMinor: overdueMinor,
      overdue90Loans: overdue90Minor ? 1 : 0,
      overdue90PrincipalMinor: overdue90Minor,
      overdueLoanRateBps,
      overdueAmountRateBps,
      guarantorPaidToDateMinor: 0,
      guarantorPaymentsToDate: 0,
    });
    expect(stats.months.map((m: Record<string, unknown>) => Object.fromEntries(Object.keys(guideline(0, 0, 0, 0, 0, 0, 0)).map((k) => [k, m[k]])))).toEqual([
      guideline(12_000, 5_000, 0, 0, 0, 0, 0),
      guideline(10_000, 5_000, 1, 200_000, 0, 3_333, 5_000),
      guideline(8_000, 5_000, 1, 200_000, 0, 3_333, 5_000),
      // 30 June: Y is 90 days past due, not more.
      guideline(6_000, 10_000, 1, 200_000, 0, 10_000, 10_000),
      guideline(6_000, 10_000, 1, 200_000, 200_000, 10_000, 10_000),
    ]);
    expect(stats.feeSchedule).toEqual({ platformFeeBps: 0, prepaymentFeeBps: 100, transferFeeBps: 50, penaltyBpsPerDay: 5 });
  });

  it('the statements agree with the ledger and servicing invariants', async () => {
    await serviceDueLoans(t.app.ctx, 'inline');
    await expectInvariants(t.app);
  });
});
