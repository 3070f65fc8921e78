import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rows } from '../../src/db/client.js';
import { call, expectInvariants, registerLender, walletOfToken, type Session } from './helpers/api.js';
import { createTestStorage, startApp, type TestApp, type TestStorage } from './helpers/env.js';
import { acceptedBid, createListing, listing, ratedBorrower, type Borrower } from './helpers/market.js';
import { ADMIN_ENV, createPartner } from './helpers/partner.js';
import { dayOf, expectReplayed, loanOf, messagesTo, owed, repayOk, setClock } from './helpers/servicing.js';

/**
 * The secondary market end to end (docs/transfers.md): a 12-month note sold in three partial buys across a
 * repayment date. After each trade: the buyer paid price + accrued, the seller got that less the fee,
 * the fee is in the platform's fee account, the notes add up to the loan, the stored state is a replay
 * of the payments and trades, and the invariants hold; every payment after a trade lands with the
 * holder of each note to the fen; the statements show the transfers in and out.
 */
let storage: TestStorage;
let t: TestApp;
let borrower: Borrower;
let seller: Session;
const buyers: Session[] = [];
let loanId = '';
let sellerNote = '';
let offerId = '';
const boughtNotes: string[] = [];

const PRICE_BPS = 9800;

beforeAll(async () => {
  storage = await createTestStorage();
  t = await startApp(storage, { env: { ...ADMIN_ENV, LENDBOOK_CLOCK: 'settable', LENDBOOK_WORKERS: 'false' } });
  await setClock(t.app, '2031-01-10T01:00:00Z');
  const partner = await createPartner(t.app);
  borrower = await ratedBorrower(t.app, partner);
  seller = await registerLender(t.app, { depositMinor: 2_000_000, displayName: 'Sam Seller' });
  for (let i = 0; i < 3; i++) buyers.push(await registerLender(t.app, { depositMinor: 1_000_000 }));
});
afterAll(async () => {
  if (t) await expectInvariants(t.app);
  await t?.close();
  await storage?.dispose();
});

async function feesAccount(): Promise<number> {
  const [r] = await rows<{ s: number }>(t.app.ctx.db, sql`select credits_posted_minor - debits_posted_minor as s from ledger_accounts where id = 'acc_platform_fees'`);
  return Number(r!.s);
}

async function buyOk(buyer: Session, principalMinor: number, key: string) {
  const res = await call(t.app, 'POST', `/api/v1/note-offers/${offerId}/buy`, { token: buyer.token, body: { principalMinor }, headers: { 'idempotency-key': key } });
  expect(res.statusCode, res.body).toBe(201);
  return res.json();
}

/** Buys and checks the money: buyer −(price + accrued), seller +(price + accrued − fee), platform +fee. */
async function buyAndCheck(buyer: Session, principalMinor: number, key: string) {
  const quote = await call(t.app, 'GET', `/api/v1/note-offers/${offerId}/quote?principalMinor=${principalMinor}`, { token: buyer.token });
  expect(quote.statusCode, quote.body).toBe(200);
  const q = quote.json();
  const [b0, s0, f0] = [(await walletOfToken(t.app, buyer.token)).availableMinor, (await walletOfToken(t.app, seller.token)).availableMinor, await feesAccount()];
  const bought = await buyOk(buyer, principalMinor, key);
  // The buy is what its preview said, to the fen.
  expect(bought).toMatchObject({ offerId, loanId, principalMinor, priceBps: PRICE_BPS, priceMinor: q.priceMinor, accruedMinor: q.accruedMinor, paidMinor: q.paidMinor, yieldToMaturityBps: q.yieldToMaturityBps });
  expect(q.priceMinor).toBe(Math.round((principalMinor * PRICE_BPS) / 10_000)); // whole yuan × 98 %: exact
  expect(q.paidMinor).toBe(q.priceMinor + q.accruedMinor);
  expect(q.sellerReceivesMinor + q.feeMinor).toBe(q.paidMinor);
  expect(q.feeMinor).toBe(Math.round((q.priceMinor * 50) / 10_000));
  expect((await walletOfToken(t.app, buyer.token)).availableMinor).toBe(b0 - q.paidMinor);
  expect((await walletOfToken(t.app, seller.token)).availableMinor).toBe(s0 + q.sellerReceivesMinor);
  expect(await feesAccount()).toBe(f0 + q.feeMinor);
  boughtNotes.push(bought.noteId);
  await expectReplayed(t.app, loanId);
  await expectInvariants(t.app);
  return { bought, q };
}

/** Each holder received, from the payment, exactly what its note had due on the installment. */
async function payInstallmentAndCheck(n: number) {
  const before = await loanOf(t.app, loanId);
  const dueOf = new Map(before.notes.map((note) => {
    const inst = (note.installments as { n: number; principalDueMinor: number; interestDueMinor: number; principalPaidMinor: number; interestPaidMinor: number }[])[n - 1]!;
    return [note.id, inst.principalDueMinor - inst.principalPaidMinor + inst.interestDueMinor - inst.interestPaidMinor];
  }));
  const holderOf = new Map(before.notes.map((note) => [note.id, note.lenderId]));
  const quote = await owed(t.app, borrower.token, loanId);
  const paid = await repayOk(t.app, borrower.token, loanId, quote.due.totalMinor, `pay-installment-${n}`);
  expect(paid.amountMinor).toBe([...dueOf.values()].reduce((a, b) => a + b, 0));
  for (const [noteId, due] of dueOf) {
    const [line] = await rows<{ amount: number; credit: string }>(t.app.ctx.db, sql`select amount_minor as amount, credit_account_id as credit from ledger_transfers where id = ${`xfr_${paid.id}_${noteId}`}`);
    if (due === 0) {
      expect(line).toBeUndefined();
      continue;
    }
    expect({ noteId, amount: Number(line!.amount), credit: line!.credit }).toEqual({ noteId, amount: due, credit: `acc_w_${holderOf.get(noteId)}` });
  }
  await expectReplayed(t.app, loanId);
  await expectInvariants(t.app);
  return paid;
}

describe('a 12-month note sold in three partial buys across a repayment date', () => {
  it('the loan clears into one note of the seller', async () => {
    const l = await createListing(t.app, borrower, { amountMinor: 1_000_000, maxRateBps: 1500, termMonths: 12, repayment: 'equal_installment', closeWhenFunded: true, durationSec: 86_400 });
    await acceptedBid(t.app, seller.token, l.id, 1_000_000, 1200);
    loanId = (await listing(t.app, l.id)).loanId;
    const { notes } = await loanOf(t.app, loanId);
    expect(notes).toHaveLength(1);
    sellerNote = notes[0]!.id;
    const dep = await call(t.app, 'POST', '/api/v1/wallet/deposits', { token: borrower.token, body: { amountMinor: 200_000 } });
    expect(dep.statusCode).toBe(201);
  });

  it('the seller previews and offers ¥6,000 at 98 %', async () => {
    await dayOf(t.app, '2031-02-05');
    const preview = await call(t.app, 'GET', `/api/v1/notes/${sellerNote}/offer-preview?principalMinor=600000&priceBps=${PRICE_BPS}`, { token: seller.token });
    expect(preview.statusCode, preview.body).toBe(200);
    const p = preview.json();
    expect(p).toMatchObject({ eligible: true, reason: null, transferableMinor: 1_000_000, limits: { minPriceBps: 8000, maxPriceBps: 10_500, feeBps: 50, minPrincipalMinor: 10_000, maxPrincipalMinor: 1_000_000 } });
    // 26 of the 31 days of period 1: accrued = round(600,000 · 1200 · 26 / (120,000 · 31)) = 5,032.26 → 5,032.
    expect(p.quote).toMatchObject({ principalMinor: 600_000, priceMinor: 588_000, accruedMinor: 5_032, paidMinor: 593_032, feeMinor: 2_940, sellerReceivesMinor: 590_092, monthsLeft: 12, nextDueDate: '2031-02-10' });
    const res = await call(t.app, 'POST', `/api/v1/notes/${sellerNote}/offers`, { token: seller.token, body: { principalMinor: 600_000, priceBps: PRICE_BPS }, headers: { 'idempotency-key': 'offer-first' } });
    expect(res.statusCode, res.body).toBe(201);
    const offer = res.json();
    offerId = offer.id;
    expect(offer).toMatchObject({ noteId: sellerNote, loanId, principalMinor: 600_000, remainingMinor: 600_000, priceBps: PRICE_BPS, status: 'open', wholeNote: false, accruedPerRemainingMinor: 5_032, monthsLeft: 12, yieldToMaturityBps: p.quote.yieldToMaturityBps });
    expect(offer.id).toMatch(/^nof_/);
    // Public: on the market without a login, best yield first.
    const market = await call(t.app, 'GET', '/api/v1/note-offers');
    expect(market.statusCode).toBe(200);
    expect(market.json().items.map((o: { id: string }) => o.id)).toEqual([offerId]);
    expect(market.body).not.toContain(seller.userId);
    // A second offer on the same note is refused while this one is open.
    const again = await call(t.app, 'POST', `/api/v1/notes/${sellerNote}/offers`, { token: seller.token, body: { principalMinor: 100_000, priceBps: 10_000 } });
    expect(again.statusCode).toBe(409);
    expect(again.json()).toMatchObject({ code: 'OFFER_EXISTS', offerId });
  });

  it('buyer 1 takes ¥2,000 in period 1: its note is born with its share of every installment', async () => {
    await dayOf(t.app, '2031-02-06');
    const { bought } = await buyAndCheck(buyers[0]!, 200_000, 'purchase-1');
    expect(bought.noteId).toMatch(/^note_/);
    const { notes } = await loanOf(t.app, loanId);
    const seller1 = notes.find((n) => n.id === sellerNote)!;
    const buyer1 = notes.find((n) => n.id === bought.noteId)!;
    expect([seller1.principalMinor, seller1.soldPrincipalMinor, buyer1.principalMinor, buyer1.acquiredVia, buyer1.sourceNoteId]).toEqual([800_000, 200_000, 200_000, 'transfer', sellerNote]);
    expect(seller1.principalMinor + buyer1.principalMinor).toBe(1_000_000);
    // The worked example of docs/transfers.md: 27 of 31 days accrued on ¥2,000 is ¥17.42; the buyer's
    // share of installments 1, 2 and 12, and the seller's of installment 1 (¥788.49 + ¥100.00 before).
    expect(bought).toMatchObject({ priceMinor: 196_000, accruedMinor: 1_742, paidMinor: 197_742 });
    const parts = (note: typeof buyer1, n: number) => {
      const i = (note.installments as { principalDueMinor: number; interestDueMinor: number }[])[n - 1]!;
      return [i.principalDueMinor, i.interestDueMinor];
    };
    expect([parts(buyer1, 1), parts(buyer1, 2), parts(buyer1, 12)]).toEqual([[15_770, 2_000], [15_928, 1_842], [17_593, 176]]);
    expect(parts(seller1, 1)).toEqual([63_079, 8_000]);
    // A replay of the idempotent buy returns the first purchase and moves nothing more.
    const wallet = (await walletOfToken(t.app, buyers[0]!.token)).availableMinor;
    expect(await buyOk(buyers[0]!, 200_000, 'purchase-1')).toEqual(bought);
    expect((await walletOfToken(t.app, buyers[0]!.token)).availableMinor).toBe(wallet);
    const offer = (await call(t.app, 'GET', `/api/v1/note-offers/${offerId}`)).json();
    expect(offer).toMatchObject({ remainingMinor: 400_000, soldMinor: 200_000, status: 'open' });
  });

  it('installment 1 is paid: the seller and buyer 1 each get exactly their note’s share', async () => {
    await dayOf(t.app, '2031-02-10');
    const paid = await payInstallmentAndCheck(1);
    const got = await messagesTo(t.app, `user:${buyers[0]!.userId}`, 'payment.received');
    expect(got.map((m) => m.repaymentId)).toEqual([paid.id]);
    // The offer follows the note: still ¥4,000 left, now quoted for 11 months with no accrued yet.
    const offer = (await call(t.app, 'GET', `/api/v1/note-offers/${offerId}`)).json();
    expect(offer).toMatchObject({ remainingMinor: 400_000, monthsLeft: 11, accruedPerRemainingMinor: 0, quotedOn: '2031-02-10', nextDueDate: '2031-03-10' });
  });

  it('buyer 2 takes ¥2,000 after the repayment date', async () => {
    await dayOf(t.app, '2031-02-11');
    await buyAndCheck(buyers[1]!, 200_000, 'purchase-2');
  });

  it('buyer 3 takes the rest: the offer is filled', async () => {
    await setClock(t.app, '2031-02-11T09:00:00Z'); // the offer (seven days from 5 Feb, 01:00) is still open
    // More than is left is refused as a race lost, and moves nothing.
    const tooMuch = await call(t.app, 'POST', `/api/v1/note-offers/${offerId}/buy`, { token: buyers[2]!.token, body: { principalMinor: 300_000 } });
    expect(tooMuch.statusCode, tooMuch.body).toBe(409);
    expect(tooMuch.json(), tooMuch.body).toMatchObject({ code: 'OFFER_REMAINING_EXCEEDED', remainingMinor: 200_000 });
    await buyAndCheck(buyers[2]!, 200_000, 'purchase-3');
    const offer = (await call(t.app, 'GET', `/api/v1/note-offers/${offerId}`)).json();
    expect(offer).toMatchObject({ remainingMinor: 0, soldMinor: 600_000, status: 'filled' });
    const after = await call(t.app, 'POST', `/api/v1/note-offers/${offerId}/buy`, { token: buyers[2]!.token, body: { principalMinor: 10_000 } });
    expect(after.json()).toMatchObject({ code: 'OFFER_NOT_OPEN', offerStatus: 'filled' });
    expect((await call(t.app, 'GET', '/api/v1/note-offers')).json().items).toEqual([]);
  });

  it('installments 2 and 3 are paid: each of the four holders gets its note’s share to the fen', async () => {
    await dayOf(t.app, '2031-03-10');
    await payInstallmentAndCheck(2);
    await dayOf(t.app, '2031-04-10');
    await payInstallmentAndCheck(3);
    const { notes, loan } = await loanOf(t.app, loanId);
    expect(notes).toHaveLength(4);
    expect(notes.reduce((a, n) => a + n.principalMinor, 0)).toBe(loan.principalMinor);
    expect(notes.reduce((a, n) => a + n.outstandingPrincipalMinor, 0)).toBe(loan.outstandingPrincipalMinor);
  });

  it('the statements show the transfers: out for the seller with price, accrued and fee; in for each buyer', async () => {
    const out = (await call(t.app, 'GET', '/api/v1/me/note-transfers', { token: seller.token })).json().items;
    expect(out).toHaveLength(3);
    for (const x of out) {
      expect(x).toMatchObject({ direction: 'out', noteId: sellerNote, principalMinor: 200_000, priceBps: PRICE_BPS, priceMinor: 196_000 });
      expect(x.amountMinor).toBe(x.priceMinor + x.accruedMinor - x.feeMinor);
      expect(x.feeMinor).toBe(980);
    }
    const portfolio = (await call(t.app, 'GET', '/api/v1/me/portfolio', { token: seller.token })).json();
    expect(portfolio.transfers).toMatchObject({ soldPrincipalMinor: 600_000, boughtPrincipalMinor: 0, feesMinor: 2_940 });
    expect(portfolio.transfers.items).toHaveLength(3);
    expect(portfolio.totals.principalLentMinor).toBe(400_000);
    for (const [i, buyer] of buyers.entries()) {
      const mine = (await call(t.app, 'GET', '/api/v1/me/note-transfers', { token: buyer.token })).json().items;
      expect(mine).toEqual([expect.objectContaining({ direction: 'in', noteId: boughtNotes[i], principalMinor: 200_000, feeMinor: 0 })]);
      expect(mine[0].amountMinor).toBe(-(mine[0].priceMinor + mine[0].accruedMinor));
      const notes = (await call(t.app, 'GET', '/api/v1/me/notes', { token: buyer.token })).json().items;
      expect(notes).toEqual([expect.objectContaining({ id: boughtNotes[i], loanId, acquiredVia: 'transfer', principalMinor: 200_000 })]);
    }
    // The seller's ledger lines: the purchase price in, the fee out, for each trade.
    const lines = (await call(t.app, 'GET', '/api/v1/wallet/transfers?limit=200', { token: seller.token })).json().items as { kind: string; direction: string; amountMinor: number }[];
    expect(lines.filter((l) => l.kind === 'note_purchase' && l.direction === 'credit')).toHaveLength(3);
    expect(lines.filter((l) => l.kind === 'note_transfer_fee' && l.direction === 'debit').map((l) => l.amountMinor)).toEqual([980, 980, 980]);
  });
});
