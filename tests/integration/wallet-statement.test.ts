/**
 * Ledgers that add up (docs/wallet.md): lenders and a borrower go through deposit, bid, outbid, a partial
 * fill at clearing, repayments (one of them early, with its prepayment fee) and a withdrawal; after every
 * step each statement is reconciled line by line: the opening balances plus each line's signed effect on
 * available and held give that line's running balances, and the closing balances are the wallet.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, expectInvariants, registerLender, walletOfToken, type Session } from './helpers/api.js';
import { createTestStorage, startApp, type TestApp, type TestStorage } from './helpers/env.js';
import { acceptedBid, createListing, endAuction, newPartner, ratedBorrower, type Borrower } from './helpers/market.js';
import { ADMIN_ENV } from './helpers/partner.js';
import { dayOf, owed, repayOk } from './helpers/servicing.js';

let storage: TestStorage;
let t: TestApp;
let borrower: Borrower;
let lenderA: Session;
let lenderB: Session;
let lenderC: Session;
let listingId = '';
let loanId = '';
let FROM = '';

beforeAll(async () => {
  storage = await createTestStorage();
  t = await startApp(storage, { env: { ...ADMIN_ENV, LENDBOOK_CLOCK: 'settable', LENDBOOK_AUCTION_MIN_DURATION_SEC: '60' } });
  const partner = await newPartner(t.app);
  borrower = await ratedBorrower(t.app, partner);
  [lenderA, lenderB, lenderC] = await Promise.all([registerLender(t.app), registerLender(t.app), registerLender(t.app)]);
  FROM = new Date(t.app.ctx.clock.nowMs() - 86_400_000).toISOString().slice(0, 10);
});
afterAll(async () => {
  if (t) await expectInvariants(t.app);
  await t?.close();
  await storage?.dispose();
});

interface Line {
  id: string;
  kind: string;
  amountMinor: number;
  availableEffectMinor: number;
  heldEffectMinor: number;
  availableAfterMinor: number;
  heldAfterMinor: number;
  holdStatus?: string;
  parts: number;
  refs: Record<string, string>;
}

async function statementOf(token: string, query = `from=${FROM}`) {
  const res = await call(t.app, 'GET', `/api/v1/wallet/statement?${query}`, { token });
  expect(res.statusCode, res.body).toBe(200);
  return res.json() as { opening: { availableMinor: number; heldMinor: number }; closing: { availableMinor: number; heldMinor: number }; lines: Line[] };
}

/** Every line follows from the one before; the closing balances are what GET /wallet says. */
async function reconcile(token: string): Promise<Line[]> {
  const s = await statementOf(token);
  let available = s.opening.availableMinor;
  let held = s.opening.heldMinor;
  for (const line of s.lines) {
    available += line.availableEffectMinor;
    held += line.heldEffectMinor;
    expect({ id: line.id, available: line.availableAfterMinor, held: line.heldAfterMinor }).toEqual({ id: line.id, available, held });
    expect(available).toBeGreaterThanOrEqual(0);
    expect(held).toBeGreaterThanOrEqual(0);
    // The amount of a line is what moved: one of its effects is ± the amount.
    expect([Math.abs(line.availableEffectMinor), Math.abs(line.heldEffectMinor)]).toContain(line.amountMinor);
  }
  expect(s.closing).toEqual({ availableMinor: available, heldMinor: held });
  const wallet = await walletOfToken(t.app, token);
  expect({ availableMinor: wallet.availableMinor, heldMinor: wallet.heldMinor }).toEqual(s.closing);
  return s.lines;
}

async function reconcileAll(): Promise<Record<'a' | 'b' | 'c' | 'borrower', Line[]>> {
  return { a: await reconcile(lenderA.token), b: await reconcile(lenderB.token), c: await reconcile(lenderC.token), borrower: await reconcile(borrower.token) };
}

const deposit = async (token: string, amountMinor: number) => expect((await call(t.app, 'POST', '/api/v1/wallet/deposits', { token, body: { amountMinor } })).statusCode).toBe(201);

describe('a wallet statement reconciles after every step', () => {
  it('deposits: one line each, available up by the amount', async () => {
    await deposit(lenderA.token, 2_000_000);
    await deposit(lenderB.token, 1_000_000);
    await deposit(lenderC.token, 1_000_000);
    const { a } = await reconcileAll();
    expect(a.map((l) => [l.kind, l.availableEffectMinor, l.heldEffectMinor])).toEqual([['deposit', 2_000_000, 0]]);
  });

  it('a bid holds its amount: available down, held up, the hold pending', async () => {
    listingId = (await createListing(t.app, borrower, { amountMinor: 800_000, maxRateBps: 1500, durationSec: 3600 })).id;
    await acceptedBid(t.app, lenderA.token, listingId, 500_000, 1200);
    await acceptedBid(t.app, lenderC.token, listingId, 300_000, 1400);
    const { a, borrower: b } = await reconcileAll();
    expect(a.at(-1)).toMatchObject({ kind: 'bid_hold', amountMinor: 500_000, availableEffectMinor: -500_000, heldEffectMinor: 500_000, holdStatus: 'pending', refs: { listingId } });
    // The lenders' holds on the borrower's listing are not the borrower's money: no line for it.
    expect(b).toEqual([]);
  });

  it('outbid: the hold is released, available back, the hold line shows released', async () => {
    await acceptedBid(t.app, lenderB.token, listingId, 500_000, 1000);
    const { c } = await reconcileAll();
    expect(c.map((l) => [l.kind, l.holdStatus ?? null, l.availableEffectMinor, l.heldEffectMinor])).toEqual([
      ['deposit', null, 1_000_000, 0],
      ['bid_hold', 'released', -300_000, 300_000],
      ['bid_released', null, 300_000, -300_000],
    ]);
    expect(c.at(-1)!.refs.reason).toBe('outbid');
  });

  it('a partial fill at clearing: ¥3,000 of a ¥5,000 bid leaves, ¥2,000 comes back; the borrower sees one disbursement of ¥8,000', async () => {
    expect(await endAuction(t.app, listingId)).toBe('cleared');
    loanId = (await call(t.app, 'GET', `/api/v1/listings/${listingId}`)).json().loanId;
    const { a, borrower: b } = await reconcileAll();
    expect(a.slice(-3).map((l) => [l.kind, l.holdStatus ?? null, l.amountMinor, l.availableEffectMinor, l.heldEffectMinor])).toEqual([
      ['bid_hold', 'posted', 500_000, -500_000, 500_000],
      ['bid_filled', null, 300_000, 0, -300_000],
      ['bid_unfilled_returned', null, 200_000, 200_000, -200_000],
    ]);
    expect(b.map((l) => [l.kind, l.amountMinor, l.parts])).toEqual([['loan_disbursed', 800_000, 2]]);
    expect(b[0]!.refs).toMatchObject({ listingId, loanId });
  });

  it('repayments: the borrower pays one line per payment (its split by note kept), each lender receives its share', async () => {
    await deposit(borrower.token, 1_000_000);
    const loan = (await call(t.app, 'GET', `/api/v1/loans/${loanId}`, { token: borrower.token })).json();
    await dayOf(t.app, loan.schedule[0].dueDate);
    const due = await owed(t.app, borrower.token, loanId);
    await repayOk(t.app, borrower.token, loanId, due.due.totalMinor);
    const { borrower: b, a, b: lb } = await reconcileAll();
    expect(b.at(-1)).toMatchObject({ kind: 'repayment_paid', amountMinor: due.due.totalMinor, parts: 2 });
    const received = a.at(-1)!.amountMinor + lb.at(-1)!.amountMinor;
    expect([a.at(-1)!.kind, lb.at(-1)!.kind]).toEqual(['repayment_received', 'repayment_received']);
    expect(received).toBe(due.due.totalMinor);
  });

  it('an early repayment carries the prepayment fee, quoted in the payoff and paid to the lenders', async () => {
    const loan = (await call(t.app, 'GET', `/api/v1/loans/${loanId}`, { token: borrower.token })).json();
    const tenDaysIn = new Date(Date.parse(`${loan.schedule[0].dueDate}T00:00:00Z`) + 10 * 86_400_000).toISOString().slice(0, 10);
    await dayOf(t.app, tenDaysIn);
    const quote = await owed(t.app, borrower.token, loanId);
    expect(quote.prepaymentFeeBps).toBe(100);
    expect(quote.prepaymentFeeMinor).toBe(Math.round(quote.principalNotDueMinor / 100)); // 1 %, half-even to the fen
    expect(quote.payoffMinor).toBe(quote.due.totalMinor + quote.accruedInterestMinor + quote.principalNotDueMinor + quote.prepaymentFeeMinor);
    const preview = await call(t.app, 'GET', `/api/v1/loans/${loanId}/repayment-preview?amountMinor=200000`, { token: borrower.token });
    expect(preview.statusCode, preview.body).toBe(200);
    const paid = await repayOk(t.app, borrower.token, loanId, 200_000);
    expect(paid).toMatchObject({ prepaymentFeeMinor: preview.json().prepaymentFeeMinor, principalMinor: preview.json().principalMinor, interestMinor: preview.json().interestMinor });
    expect(paid.prepaymentFeeMinor).toBeGreaterThan(0);
    expect(paid.principalMinor + paid.interestMinor + paid.penaltyMinor + paid.prepaymentFeeMinor).toBe(200_000);
    const notes = (await call(t.app, 'GET', '/api/v1/me/notes', { token: lenderA.token })).json().items;
    expect(notes[0].receivedPrepaymentFeeMinor).toBeGreaterThan(0);
    await reconcileAll();
  });

  it('a withdrawal: held while the custodian pays, then out', async () => {
    expect((await call(t.app, 'POST', '/api/v1/wallet/withdrawals', { token: lenderA.token, body: { amountMinor: 100_000 } })).statusCode).toBe(201);
    const { a } = await reconcileAll();
    expect(a.slice(-2).map((l) => [l.kind, l.holdStatus ?? null, l.availableEffectMinor, l.heldEffectMinor])).toEqual([
      ['withdrawal_requested', 'posted', -100_000, 100_000],
      ['withdrawal_paid', null, 0, -100_000],
    ]);
  });

  it('a later period opens where the earlier one closed; the CSV and the annual statement carry the same figures', async () => {
    const all = await statementOf(lenderA.token);
    const cut = all.lines.findIndex((l) => l.kind === 'bid_filled');
    const day = (await call(t.app, 'GET', `/api/v1/loans/${loanId}`, { token: lenderA.token })).json().schedule[0].dueDate as string;
    const later = await statementOf(lenderA.token, `from=${day}`);
    const before = all.lines.filter((l, i) => i < all.lines.length - later.lines.length);
    expect(cut).toBeGreaterThan(0);
    expect(later.opening).toEqual({ availableMinor: before.at(-1)!.availableAfterMinor, heldMinor: before.at(-1)!.heldAfterMinor });
    const csv = await call(t.app, 'GET', `/api/v1/wallet/statement.csv?from=${FROM}`, { token: lenderA.token });
    expect(csv.statusCode).toBe(200);
    expect(csv.headers['content-type']).toContain('text/csv');
    const rows = csv.body.trim().split('\r\n');
    expect(rows.length).toBe(all.lines.length + 3); // header, opening, lines, closing
    expect(rows.at(-1)).toContain(`closing,,,,${(all.closing.availableMinor / 100).toFixed(2)},${(all.closing.heldMinor / 100).toFixed(2)}`);
    const year = new Date(t.app.ctx.clock.nowMs()).getUTCFullYear();
    const annual = await call(t.app, 'GET', `/api/v1/wallet/statements/${year}`, { token: lenderA.token });
    expect(annual.statusCode, annual.body).toBe(200);
    expect(annual.json().closing).toEqual(all.closing);
    const depositsThisYear = all.lines.filter((l) => l.kind === 'deposit' && (l as unknown as { at: string }).at.startsWith(String(year))).reduce((a, l) => a + l.amountMinor, 0);
    expect(annual.json().totals.deposit ?? 0).toBe(depositsThisYear);
  });
});
