import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rows } from '../../src/db/client.js';
import { checkInvariants } from '../../src/services/invariants.js';
import { expireOffers } from '../../src/services/transfers.js';
import { call, expectInvariants, registerLender, walletOfToken, type Session } from './helpers/api.js';
import { createTestStorage, startApp, type TestApp, type TestStorage } from './helpers/env.js';
import { acceptedBid, createListing, listing, ratedBorrower, type Borrower } from './helpers/market.js';
import { ADMIN_ENV, adminToken, createPartner, type PartnerKey } from './helpers/partner.js';
import { dayOf, expectReplayed, loanOf, messagesTo, owed, repayOk, setClock } from './helpers/servicing.js';

/**
 * The rules around a trade (docs/transfers.md): every refusal with its code and nothing
 * moved; offers ended by the platform when the loan falls past due, trimmed or ended by a prepayment,
 * expired after their time; a note whose loan defaults after a transfer leaves the loss with the holder
 * of the day, and recoveries go to the holders; the disclosure figures do not change with a transfer.
 */
let storage: TestStorage;
let t: TestApp;
let partner: PartnerKey;
let seller: Session;
let buyer: Session;
let poor: Session;
let operator: string;

beforeAll(async () => {
  storage = await createTestStorage();
  t = await startApp(storage, { env: { ...ADMIN_ENV, LENDBOOK_CLOCK: 'settable', LENDBOOK_WORKERS: 'false' } });
  await setClock(t.app, '2031-01-10T01:00:00Z');
  partner = await createPartner(t.app);
  seller = await registerLender(t.app, { depositMinor: 10_000_000 });
  buyer = await registerLender(t.app, { depositMinor: 5_000_000 });
  poor = await registerLender(t.app, { depositMinor: 5_000 });
  operator = await adminToken(t.app);
});
afterAll(async () => {
  if (t) await expectInvariants(t.app);
  await t?.close();
  await storage?.dispose();
});

/** A fresh loan (its own borrower) with one note of the seller. */
async function loanWithNote(opts: { amountMinor?: number; termMonths?: number; repayment?: 'equal_installment' | 'equal_principal' | 'interest_only' } = {}) {
  const borrower = await ratedBorrower(t.app, partner);
  const amountMinor = opts.amountMinor ?? 1_000_000;
  const l = await createListing(t.app, borrower, { amountMinor, termMonths: opts.termMonths ?? 12, repayment: opts.repayment ?? 'equal_installment', maxRateBps: 1500, closeWhenFunded: true, durationSec: 86_400 });
  await acceptedBid(t.app, seller.token, l.id, amountMinor, 1200);
  const loanId = (await listing(t.app, l.id)).loanId as string;
  const { notes } = await loanOf(t.app, loanId);
  return { borrower, loanId, noteId: notes[0]!.id };
}

async function offer(noteId: string, principalMinor: number, priceBps = 10_000) {
  const res = await call(t.app, 'POST', `/api/v1/notes/${noteId}/offers`, { token: seller.token, body: { principalMinor, priceBps } });
  expect(res.statusCode, res.body).toBe(201);
  return res.json();
}

async function buy(who: Session, offerId: string, principalMinor: number) {
  return call(t.app, 'POST', `/api/v1/note-offers/${offerId}/buy`, { token: who.token, body: { principalMinor } });
}

async function ledgerCount(): Promise<number> {
  const [r] = await rows<{ n: number }>(t.app.ctx.db, sql`select count(*)::int as n from ledger_transfers`);
  return Number(r!.n);
}

async function offerOf(id: string) {
  return (await call(t.app, 'GET', `/api/v1/note-offers/${id}`)).json();
}

describe('refusals: a code each, nothing moved', () => {
  it('offers: limits of price and principal, only the holder, one open offer per note', async () => {
    const { noteId, borrower } = await loanWithNote();
    const refuse = async (token: string, body: unknown, status: number, code: string) => {
      const res = await call(t.app, 'POST', `/api/v1/notes/${noteId}/offers`, { token, body });
      expect(res.statusCode, res.body).toBe(status);
      expect(res.json().code).toBe(code);
      return res.json();
    };
    expect(await refuse(seller.token, { principalMinor: 100_000, priceBps: 7_999 }, 422, 'OFFER_PRICE_OUT_OF_RANGE')).toMatchObject({ minPriceBps: 8_000, maxPriceBps: 10_500 });
    await refuse(seller.token, { principalMinor: 100_000, priceBps: 10_501 }, 422, 'OFFER_PRICE_OUT_OF_RANGE');
    expect(await refuse(seller.token, { principalMinor: 9_900, priceBps: 10_000 }, 422, 'OFFER_AMOUNT_INVALID')).toMatchObject({ minPrincipalMinor: 10_000, maxPrincipalMinor: 1_000_000 });
    await refuse(seller.token, { principalMinor: 1_000_100, priceBps: 10_000 }, 422, 'OFFER_AMOUNT_INVALID');
    await refuse(seller.token, { principalMinor: 10_050, priceBps: 10_000 }, 422, 'OFFER_AMOUNT_INVALID');
    await refuse(buyer.token, { principalMinor: 100_000, priceBps: 10_000 }, 404, 'NOT_FOUND');
    await refuse(borrower.token, { principalMinor: 100_000, priceBps: 10_000 }, 403, 'FORBIDDEN');
    // Floats, strings and unknown fields are schema errors.
    await refuse(seller.token, { principalMinor: 100_000.5, priceBps: 10_000 }, 400, 'VALIDATION_FAILED');
    await refuse(seller.token, { principalMinor: '100000', priceBps: 10_000 }, 400, 'VALIDATION_FAILED');
    await refuse(seller.token, { principalMinor: 100_000, priceBps: 10_000, sellerId: buyer.userId }, 400, 'VALIDATION_FAILED');
    const first = await offer(noteId, 100_000);
    expect(await refuse(seller.token, { principalMinor: 100_000, priceBps: 10_000 }, 409, 'OFFER_EXISTS')).toMatchObject({ offerId: first.id });
    // Cancelled, the note may be offered again; cancelling twice is a conflict; another lender's offer is not found.
    expect((await call(t.app, 'DELETE', `/api/v1/note-offers/${first.id}`, { token: buyer.token })).statusCode).toBe(404);
    const cancelled = await call(t.app, 'DELETE', `/api/v1/note-offers/${first.id}`, { token: seller.token });
    expect(cancelled.statusCode, cancelled.body).toBe(200);
    expect(cancelled.json()).toMatchObject({ status: 'cancelled', endReason: 'seller', remainingMinor: 100_000 });
    expect((await call(t.app, 'DELETE', `/api/v1/note-offers/${first.id}`, { token: seller.token })).json()).toMatchObject({ code: 'OFFER_NOT_OPEN', offerStatus: 'cancelled' });
    await offer(noteId, 100_000);
  });

  it('buys: own offer and the borrower are self-dealing; amounts; funds; KYC; each refusal moves nothing', async () => {
    const { noteId, borrower } = await loanWithNote();
    const o = await offer(noteId, 300_000, 9_900);
    let before = await ledgerCount();
    const expectRefused = async (who: Session | { token: string }, principalMinor: number, status: number, code: string) => {
      const res = await buy(who as Session, o.id, principalMinor);
      expect(res.statusCode, res.body).toBe(status);
      expect(res.json().code).toBe(code);
      return res.json();
    };
    await expectRefused(seller, 100_000, 422, 'SELF_DEALING');
    await expectRefused(borrower, 100_000, 403, 'FORBIDDEN');
    // The borrower's own lender account (same person, same id number) may not buy its loan's notes.
    const sameKyc = await registerLender(t.app, { kyc: false });
    await t.app.ctx.db.execute(sql`update users set id_number_hash = 'same-person' where id = ${borrower.userId}`);
    await t.app.ctx.db.execute(sql`update users set kyc_status = 'verified', legal_name = '李四', id_number_hash = 'same-person', risk_profile = 'aggressive' where id = ${sameKyc.userId}`);
    expect((await call(t.app, 'POST', '/api/v1/wallet/deposits', { token: sameKyc.token, body: { amountMinor: 1_000_000 } })).statusCode).toBe(201);
    before = await ledgerCount();
    await expectRefused(sameKyc, 100_000, 422, 'SELF_DEALING');
    const noKyc = await registerLender(t.app, { kyc: false });
    await expectRefused(noKyc, 100_000, 422, 'LENDER_NOT_ELIGIBLE');
    expect(await expectRefused(buyer, 295_000, 422, 'OFFER_AMOUNT_INVALID')).toMatchObject({ remainingMinor: 300_000 }); // would leave ¥50
    await expectRefused(buyer, 9_000, 422, 'OFFER_AMOUNT_INVALID');
    await expectRefused(buyer, 300_100, 409, 'OFFER_REMAINING_EXCEEDED');
    expect(await expectRefused(poor, 100_000, 422, 'INSUFFICIENT_FUNDS')).toMatchObject({ availableMinor: 5_000 });
    expect(await ledgerCount()).toBe(before);
    expect(await offerOf(o.id)).toMatchObject({ remainingMinor: 300_000, soldMinor: 0, status: 'open' });
    expect((await call(t.app, 'POST', `/api/v1/note-offers/nof_0000000000000000000000/buy`, { token: buyer.token, body: { principalMinor: 10_000 } })).statusCode).toBe(404);
    // An Idempotency-Key reused for another purchase is refused; the same one replays the first.
    const key = { 'idempotency-key': 'same-purchase-key' };
    const first = await call(t.app, 'POST', `/api/v1/note-offers/${o.id}/buy`, { token: buyer.token, body: { principalMinor: 100_000 }, headers: key });
    expect(first.statusCode, first.body).toBe(201);
    const replay = await call(t.app, 'POST', `/api/v1/note-offers/${o.id}/buy`, { token: buyer.token, body: { principalMinor: 100_000 }, headers: key });
    expect(replay.json()).toEqual(first.json());
    const other = await call(t.app, 'POST', `/api/v1/note-offers/${o.id}/buy`, { token: buyer.token, body: { principalMinor: 200_000 }, headers: key });
    expect(other.json().code).toBe('IDEMPOTENCY_KEY_REUSED');
    expect(await offerOf(o.id)).toMatchObject({ remainingMinor: 200_000, soldMinor: 100_000 });
    await expectInvariants(t.app);
  });

  it('a note held fewer than TRANSFER_MIN_HOLD_DAYS days cannot be offered, with the reason', async () => {
    const put = (v: number | null) => call(t.app, 'PUT', '/api/v1/admin/settings', { token: operator, body: { transferMinHoldDays: v } });
    expect((await put(30)).statusCode).toBe(200);
    const bad = await call(t.app, 'PUT', '/api/v1/admin/settings', { token: operator, body: { transferOfferTtlDays: 0 } });
    expect(bad.statusCode).toBe(400);
    const { noteId } = await loanWithNote();
    const res = await call(t.app, 'POST', `/api/v1/notes/${noteId}/offers`, { token: seller.token, body: { principalMinor: 100_000, priceBps: 10_000 } });
    expect(res.statusCode).toBe(422);
    expect(res.json()).toMatchObject({ code: 'NOTE_NOT_TRANSFERABLE', reason: 'hold_period' });
    const preview = (await call(t.app, 'GET', `/api/v1/notes/${noteId}/offer-preview`, { token: seller.token })).json();
    expect(preview).toMatchObject({ eligible: false, reason: 'hold_period', quote: null });
    const mine = (await call(t.app, 'GET', '/api/v1/me/notes', { token: seller.token })).json().items.find((n: { id: string }) => n.id === noteId);
    expect(mine).toMatchObject({ sellable: false, notSellableReason: 'hold_period', acquiredVia: 'auction', openOfferId: null });
    expect((await put(null)).statusCode).toBe(200);
  });
});

describe('offers kept in line by servicing', () => {
  it('the daily step ends an offer when its loan falls past due; the seller is told', async () => {
    const { noteId, loanId } = await loanWithNote();
    await dayOf(t.app, '2031-02-05');
    const o = await offer(noteId, 200_000);
    await dayOf(t.app, '2031-02-10'); // due today: still open
    expect(await offerOf(o.id)).toMatchObject({ status: 'open' });
    await dayOf(t.app, '2031-02-11'); // unpaid after its due date
    expect(await offerOf(o.id)).toMatchObject({ status: 'cancelled', endReason: 'past_due' });
    const told = await messagesTo(t.app, `user:${seller.userId}`, 'offer.ended');
    expect(told.some((m) => m.id === o.id && m.endReason === 'past_due')).toBe(true);
    const again = await call(t.app, 'POST', `/api/v1/notes/${noteId}/offers`, { token: seller.token, body: { principalMinor: 100_000, priceBps: 10_000 } });
    expect(again.json()).toMatchObject({ code: 'NOTE_NOT_TRANSFERABLE', reason: 'past_due' });
    await expectReplayed(t.app, loanId);
  });

  it('a prepayment trims an offer of the whole note and ends an offer of part of it that no longer fits', async () => {
    await setClock(t.app, '2031-03-01T01:00:00Z');
    const whole = await loanWithNote({ amountMinor: 500_000, termMonths: 6 });
    const part = await loanWithNote({ amountMinor: 500_000, termMonths: 6 });
    await dayOf(t.app, '2031-03-05');
    const wholeOffer = await offer(whole.noteId, 500_000, 10_100);
    expect(wholeOffer.wholeNote).toBe(true);
    const partOffer = await offer(part.noteId, 400_000);
    for (const { borrower, loanId } of [whole, part]) {
      const res = await repayOk(t.app, borrower.token, loanId, 200_000, `prepay-${loanId}`);
      expect(res.prepaidPrincipalMinor).toBeGreaterThan(0);
    }
    const { notes } = await loanOf(t.app, whole.loanId);
    expect(await offerOf(wholeOffer.id)).toMatchObject({ status: 'open', remainingMinor: notes[0]!.outstandingPrincipalMinor, wholeNote: true });
    expect(await offerOf(partOffer.id)).toMatchObject({ status: 'cancelled', endReason: 'repaid_below_offer' });
    await expectReplayed(t.app, whole.loanId);
  });

  it('an offer expires TRANSFER_OFFER_TTL_DAYS after it opened', async () => {
    const { noteId } = await loanWithNote();
    const o = await offer(noteId, 100_000);
    expect(Date.parse(o.expiresAt) - Date.parse(o.createdAt)).toBe(7 * 86_400_000);
    await setClock(t.app, new Date(Date.parse(o.expiresAt) + 1000).toISOString());
    expect((await buy(buyer, o.id, 100_000)).json()).toMatchObject({ code: 'OFFER_NOT_OPEN', offerStatus: 'expired' });
    expect((await call(t.app, 'GET', '/api/v1/note-offers')).json().items.map((x: { id: string }) => x.id)).not.toContain(o.id);
    expect(await expireOffers(t.app.ctx)).toBeGreaterThanOrEqual(1);
    expect(await offerOf(o.id)).toMatchObject({ status: 'expired', endReason: 'expired' });
    expect(await expireOffers(t.app.ctx)).toBe(0);
  });
});

describe('the transfer invariants', () => {
  it('catch an offer or a note that no longer adds up with its trades (and pass again once repaired)', async () => {
    const { noteId } = await loanWithNote();
    const o = await offer(noteId, 300_000);
    expect((await buy(buyer, o.id, 100_000)).statusCode).toBe(201);
    const failing = async () => (await checkInvariants(t.app.ctx.db)).checks.filter((c) => !c.ok).map((c) => c.name);
    expect(await failing()).toEqual([]);
    await t.app.ctx.db.execute(sql`update note_offers set sold_minor = sold_minor + 100, remaining_minor = remaining_minor - 100 where id = ${o.id}`);
    expect(await failing()).toEqual(['transfers.offers_add_up']);
    await t.app.ctx.db.execute(sql`update note_offers set sold_minor = sold_minor - 100, remaining_minor = remaining_minor + 100 where id = ${o.id}`);
    await t.app.ctx.db.execute(sql`update loan_notes set principal_minor = principal_minor - 100, outstanding_principal_minor = outstanding_principal_minor - 100, sold_principal_minor = sold_principal_minor + 100 where id = ${noteId}`);
    expect(await failing()).toEqual(expect.arrayContaining(['transfers.note_principal']));
    await t.app.ctx.db.execute(sql`update loan_notes set principal_minor = principal_minor + 100, outstanding_principal_minor = outstanding_principal_minor + 100, sold_principal_minor = sold_principal_minor - 100 where id = ${noteId}`);
    await t.app.ctx.db.execute(sql`update ledger_transfers set reference = 'xfr_elsewhere' where kind = 'note_transfer_fee' and reference in (select id from note_transfers where offer_id = ${o.id})`);
    expect(await failing()).toEqual(['transfers.ledger_matches_trades']);
    await t.app.ctx.db.execute(sql`update ledger_transfers set reference = (select id from note_transfers where offer_id = ${o.id}) where reference = 'xfr_elsewhere'`);
    expect(await failing()).toEqual([]);
  });
});

describe('servicing follows ownership', () => {
  it('a note sold whole, then the loan defaults: the loss is the buyer’s, the seller is out; a recovery pays the holder of the day', async () => {
    await setClock(t.app, '2032-01-05T01:00:00Z');
    const { noteId, loanId, borrower } = await loanWithNote({ amountMinor: 600_000, termMonths: 6 });
    const half = await loanWithNote({ amountMinor: 600_000, termMonths: 6 });
    await dayOf(t.app, '2032-01-20');
    const stats = (await call(t.app, 'GET', '/api/v1/stats')).json();
    const o = await offer(noteId, 600_000, 9_700);
    const res = await buy(buyer, o.id, 600_000);
    expect(res.statusCode, res.body).toBe(201);
    const bought = res.json();
    const h = await offer(half.noteId, 300_000);
    const res2 = await buy(buyer, h.id, 300_000);
    expect(res2.statusCode, res2.body).toBe(201);
    // The disclosure counts loans and their lenders of record, not holders: a trade changes nothing in it.
    expect((await call(t.app, 'GET', '/api/v1/stats')).json()).toEqual(stats);
    const afterTrade = await loanOf(t.app, loanId);
    expect(afterTrade.notes.find((n) => n.id === noteId)).toMatchObject({ status: 'sold', principalMinor: 0, outstandingPrincipalMinor: 0, soldOut: true, soldPrincipalMinor: 600_000 });
    // Nobody pays: 91 days past the first due date (5 Feb) the loans default.
    await dayOf(t.app, '2032-05-07');
    const loan = await loanOf(t.app, loanId);
    expect(loan.loan.status).toBe('defaulted');
    expect(loan.notes.find((n) => n.id === noteId)!.status).toBe('sold');
    expect(loan.notes.find((n) => n.id === bought.noteId)!.status).toBe('defaulted');
    const claim = (await owed(t.app, borrower.token, loanId)).payoffMinor;
    const toBuyer = (await messagesTo(t.app, `user:${buyer.userId}`, 'loan.defaulted')).filter((m) => m.loanId === loanId);
    expect(toBuyer).toEqual([expect.objectContaining({ noteId: bought.noteId, claimMinor: claim })]);
    expect((await messagesTo(t.app, `user:${seller.userId}`, 'loan.defaulted')).filter((m) => m.loanId === loanId)).toEqual([]);
    // The portfolios: the buyer carries the defaulted principal of both loans; the seller only its half of the second.
    const notesOn = async (who: Session) =>
      ((await call(t.app, 'GET', '/api/v1/me/notes?limit=200', { token: who.token })).json().items as { loanId: string; status: string; outstandingMinor: number }[])
        .filter((n) => n.loanId === loanId || n.loanId === half.loanId)
        .map((n) => [n.loanId === loanId ? 'whole' : 'half', n.status, n.outstandingMinor])
        .sort();
    expect(await notesOn(buyer)).toEqual([['half', 'defaulted', 300_000], ['whole', 'defaulted', 600_000]]);
    expect(await notesOn(seller)).toEqual([['half', 'defaulted', 300_000], ['whole', 'sold', 0]]);
    // Both holders of the half-sold loan carry their own claim.
    const halfLoan = await loanOf(t.app, half.loanId);
    expect(halfLoan.notes.map((n) => [n.lenderId, n.status, n.outstandingPrincipalMinor]).sort()).toEqual([[buyer.userId, 'defaulted', 300_000], [seller.userId, 'defaulted', 300_000]].sort());
    // A recovery is split pro rata between the two holders of the day.
    const b0 = (await walletOfToken(t.app, buyer.token)).availableMinor;
    const s0 = (await walletOfToken(t.app, seller.token)).availableMinor;
    const rec = await call(t.app, 'POST', `/api/v1/admin/loans/${half.loanId}/recoveries`, { token: operator, body: { amountMinor: 100_000, reference: 'collateral sale' } });
    expect(rec.statusCode, rec.body).toBe(201);
    expect((await walletOfToken(t.app, buyer.token)).availableMinor - b0 + (await walletOfToken(t.app, seller.token)).availableMinor - s0).toBe(100_000);
    expect((await walletOfToken(t.app, buyer.token)).availableMinor - b0).toBe(50_000);
    await expectReplayed(t.app, loanId);
    await expectReplayed(t.app, half.loanId);
    await expectInvariants(t.app);
  });
});
