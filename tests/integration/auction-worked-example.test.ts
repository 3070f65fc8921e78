import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rows } from '../../src/db/client.js';
import { noteSchedule, type RepaymentKind } from '../../src/domain/servicing/index.js';
import { call, expectInvariants, registerLender, walletOfToken, type Session } from './helpers/api.js';
import { createTestStorage, startApp, type TestApp, type TestStorage } from './helpers/env.js';
import { acceptedBid, bid, createListing, endAuction, listing, myBids, newPartner, ratedBorrower, type Borrower } from './helpers/market.js';
import { ADMIN_ENV } from './helpers/partner.js';

/** docs/market-rules.md §4, through the HTTP API: same notes, rates, releases and ledger lines. */
let storage: TestStorage;
let t: TestApp;
let borrower: Borrower;
const L: Record<string, Session> = {};
const FUNDS = 2_000_000;

beforeAll(async () => {
  storage = await createTestStorage();
  t = await startApp(storage, { env: { ...ADMIN_ENV, LENDBOOK_CLOCK: 'settable' } });
  const partner = await newPartner(t.app);
  borrower = await ratedBorrower(t.app, partner);
  for (const name of ['L1', 'L2', 'L3', 'L4', 'L5']) L[name] = await registerLender(t.app, { depositMinor: FUNDS, displayName: name });
});
afterAll(async () => {
  if (t) await expectInvariants(t.app);
  await t?.close();
  await storage?.dispose();
});

async function transfersOf(token: string) {
  const res = await call(t.app, 'GET', '/api/v1/wallet/transfers?limit=200', { token });
  return (res.json().items as { kind: string; amountMinor: number; status: string; phase: string; reference: string | null }[]).reverse();
}

async function notesOf(loanId: string) {
  await expectOwnSchedules(loanId);
  return rows<{ lender_id: string; principal_minor: number; rate_bps: number }>(t.app.ctx.db, sql`select lender_id, principal_minor, rate_bps from loan_notes where loan_id = ${loanId} order by principal_minor desc, lender_id`);
}

/** Every note starts with its own schedule: its principal at its rate (notes that share both share it). */
async function expectOwnSchedules(loanId: string) {
  const notes = await rows<{ principal_minor: number; rate_bps: number; term_months: number; repayment: RepaymentKind; disbursed_on: string; installments: { dueDate: string; principalDueMinor: number; interestDueMinor: number }[] }>(
    t.app.ctx.db,
    sql`select n.principal_minor, n.rate_bps, l.term_months, l.repayment, l.disbursed_on::text as disbursed_on, n.installments
        from loan_notes n join loans l on l.id = n.loan_id where l.id = ${loanId}`,
  );
  expect(notes.length).toBeGreaterThan(0);
  for (const n of notes) {
    const own = noteSchedule({ principalMinor: Number(n.principal_minor), rateBps: n.rate_bps, termMonths: n.term_months, repayment: n.repayment, disbursedOn: n.disbursed_on });
    expect(n.installments.map((i) => [i.dueDate, i.principalDueMinor, i.interestDueMinor])).toEqual(own.map((p) => [p.dueDate, p.principalMinor, p.interestMinor]));
  }
}

function byLender(notes: { lender_id: string; principal_minor: number; rate_bps: number }[]) {
  const names = Object.fromEntries(Object.entries(L).map(([k, v]) => [v.userId, k]));
  return Object.fromEntries(notes.map((n) => [names[n.lender_id]!, [Number(n.principal_minor), n.rate_bps]]));
}

async function firstFourBids(listingId: string) {
  const b1 = await acceptedBid(t.app, L.L1!.token, listingId, 400_000, 1200);
  const b2 = await acceptedBid(t.app, L.L2!.token, listingId, 300_000, 1000);
  const b3 = await acceptedBid(t.app, L.L3!.token, listingId, 500_000, 1100);
  return { b1, b2, b3 };
}

describe('docs/market-rules.md §4 worked example', () => {
  it('uniform: the book after L3, L1 outbid by L4, clearing at 1100', async () => {
    const wallets0 = Object.fromEntries(await Promise.all(Object.entries(L).map(async ([k, v]) => [k, await walletOfToken(t.app, v.token)])));
    const l = await createListing(t.app, borrower, { amountMinor: 1_000_000, maxRateBps: 1500, pricing: 'uniform' });
    const { b1 } = await firstFourBids(l.id);

    // After L3: L2 300k@1000, L3 500k@1100, L1 400k@1200; coverage 1.2M; L1 marginal with 200k; rate 1200.
    let view = await listing(t.app, l.id);
    expect(view.book).toEqual([
      { rateBps: 1000, amountMinor: 300_000, bidCount: 1 },
      { rateBps: 1100, amountMinor: 500_000, bidCount: 1 },
      { rateBps: 1200, amountMinor: 400_000, bidCount: 1 },
    ]);
    expect(view).toMatchObject({ coverageMinor: 1_200_000, currentRateBps: 1200, fundedPct: 100, bidCount: 3 });
    expect((await myBids(t.app, L.L1!.token)).find((b) => b.id === b1.id)).toMatchObject({ status: 'winning', fillMinor: 200_000 });
    expect(await walletOfToken(t.app, L.L1!.token)).toMatchObject({ availableMinor: FUNDS - 400_000, heldMinor: 400_000 });

    // L4 @1100 < 1200 is competitive: L1 is outbid and its 400,000 released at once; rate 1100.
    await acceptedBid(t.app, L.L4!.token, l.id, 200_000, 1100);
    view = await listing(t.app, l.id);
    expect(view.book).toEqual([
      { rateBps: 1000, amountMinor: 300_000, bidCount: 1 },
      { rateBps: 1100, amountMinor: 700_000, bidCount: 2 },
    ]);
    expect(view).toMatchObject({ coverageMinor: 1_000_000, currentRateBps: 1100 });
    expect((await myBids(t.app, L.L1!.token)).find((b) => b.id === b1.id)).toMatchObject({ status: 'outbid', fillMinor: 0 });
    expect(await walletOfToken(t.app, L.L1!.token)).toMatchObject({ availableMinor: FUNDS, heldMinor: 0 });

    expect(await endAuction(t.app, l.id)).toBe('cleared');
    view = await listing(t.app, l.id);
    expect(view.status).toBe('cleared');
    expect(byLender(await notesOf(view.loanId))).toEqual({ L3: [500_000, 1100], L2: [300_000, 1100], L4: [200_000, 1100] });
    const [loan] = await rows<{ principal_minor: number; rate_bps: number }>(t.app.ctx.db, sql`select principal_minor, rate_bps from loans where id = ${view.loanId}`);
    expect({ principal: Number(loan!.principal_minor), rate: loan!.rate_bps }).toEqual({ principal: 1_000_000, rate: 1100 });

    // Ledger lines: L1's hold was released; the others' holds were posted for their fills.
    const l1 = (await transfersOf(L.L1!.token)).filter((x) => x.reference === b1.id);
    expect(l1.map((x) => [x.kind, x.phase, x.amountMinor, x.status])).toEqual([
      ['bid_hold', 'pending', 400_000, 'released'],
      ['bid_release', 'void', 400_000, 'released'],
    ]);
    for (const [name, fill] of [['L2', 300_000], ['L3', 500_000], ['L4', 200_000]] as const) {
      const lines = (await transfersOf(L[name]!.token)).filter((x) => x.kind.startsWith('bid_'));
      expect(lines.slice(-2).map((x) => [x.kind, x.phase, x.amountMinor])).toEqual([
        ['bid_hold', 'pending', fill],
        ['bid_fill', 'post', fill],
      ]);
      expect(await walletOfToken(t.app, L[name]!.token)).toEqual({ availableMinor: wallets0[name]!.availableMinor - fill, heldMinor: 0, currency: 'CNY' });
    }
    expect(await walletOfToken(t.app, borrower.token)).toMatchObject({ availableMinor: 1_000_000, heldMinor: 0 });
    await expectInvariants(t.app);
  });

  it('pay_as_bid: each winner keeps its own rate; the borrower pays the fill-weighted 1070', async () => {
    const l = await createListing(t.app, borrower, { amountMinor: 1_000_000, maxRateBps: 1500, pricing: 'pay_as_bid' });
    await firstFourBids(l.id);
    await acceptedBid(t.app, L.L4!.token, l.id, 200_000, 1100);
    expect(await endAuction(t.app, l.id)).toBe('cleared');
    const view = await listing(t.app, l.id);
    expect(byLender(await notesOf(view.loanId))).toEqual({ L3: [500_000, 1100], L2: [300_000, 1000], L4: [200_000, 1100] });
    const [loan] = await rows<{ rate_bps: number }>(t.app.ctx.db, sql`select rate_bps from loans where id = ${view.loanId}`);
    expect(loan!.rate_bps).toBe(1070);
  });

  it('a fifth bid at 1100 is not competitive; 100,000 at 1099 is, and L4 becomes marginal with 100,000', async () => {
    const l = await createListing(t.app, borrower, { amountMinor: 1_000_000, maxRateBps: 1500, pricing: 'uniform' });
    await firstFourBids(l.id);
    const b4 = await acceptedBid(t.app, L.L4!.token, l.id, 200_000, 1100);
    const before = await rows<{ n: number }>(t.app.ctx.db, sql`select count(*)::int as n from ledger_transfers`);
    const rejected = await bid(t.app, L.L5!.token, l.id, 100_000, 1100);
    expect(rejected.statusCode).toBe(422);
    expect(rejected.json().code).toBe('BID_NOT_COMPETITIVE');
    expect(await rows<{ n: number }>(t.app.ctx.db, sql`select count(*)::int as n from ledger_transfers`)).toEqual(before);
    await acceptedBid(t.app, L.L5!.token, l.id, 100_000, 1099);
    const view = await listing(t.app, l.id);
    expect(view.bids.map((b: { rateBps: number; amountMinor: number; fillMinor: number }) => [b.rateBps, b.amountMinor, b.fillMinor])).toEqual([
      [1000, 300_000, 300_000],
      [1099, 100_000, 100_000],
      [1100, 500_000, 500_000],
      [1100, 200_000, 100_000],
    ]);
    expect(view.currentRateBps).toBe(1100);
    expect((await myBids(t.app, L.L4!.token)).find((b) => b.id === b4.id)).toMatchObject({ status: 'winning', fillMinor: 100_000 });
    expect(await endAuction(t.app, l.id)).toBe('cleared');
    const cleared = await listing(t.app, l.id);
    expect(byLender(await notesOf(cleared.loanId))).toEqual({ L3: [500_000, 1100], L2: [300_000, 1100], L5: [100_000, 1100], L4: [100_000, 1100] });
    // L4's hold was posted for 100,000 and the other 100,000 returned.
    const l4 = (await myBids(t.app, L.L4!.token)).find((b) => b.id === b4.id);
    expect(l4).toMatchObject({ status: 'filled', fillMinor: 100_000, amountMinor: 200_000 });
  });

  it.each([
    [100, 'uniform', 'failed', null],
    [70, 'uniform', 'cleared', { L1: [400_000, 1500], L3: [250_000, 1500], L2: [150_000, 1500] }],
    [70, 'pay_as_bid', 'cleared', { L1: [400_000, 1200], L3: [250_000, 1100], L2: [150_000, 1000] }],
  ] as const)('bids totalling 800,000 with minFundingPct %i (%s) %s', async (minFundingPct, pricing, outcome, notes) => {
    const l = await createListing(t.app, borrower, { amountMinor: 1_000_000, maxRateBps: 1500, pricing, minFundingPct });
    await acceptedBid(t.app, L.L1!.token, l.id, 400_000, 1200);
    await acceptedBid(t.app, L.L2!.token, l.id, 150_000, 1000);
    await acceptedBid(t.app, L.L3!.token, l.id, 250_000, 1100);
    const held = await walletOfToken(t.app, L.L1!.token);
    expect(held.heldMinor).toBe(400_000);
    expect(await endAuction(t.app, l.id)).toBe(outcome);
    const view = await listing(t.app, l.id);
    expect(view.status).toBe(outcome);
    if (notes) expect(byLender(await notesOf(view.loanId))).toEqual(notes);
    else {
      expect(view.loanId).toBeNull();
      expect(await walletOfToken(t.app, L.L1!.token)).toMatchObject({ heldMinor: 0, availableMinor: held.availableMinor + 400_000 });
    }
  });
});
