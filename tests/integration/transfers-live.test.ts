import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, expectInvariants, registerLender } from './helpers/api.js';
import { createTestStorage, startApp, type TestApp, type TestStorage } from './helpers/env.js';
import { acceptedBid, createListing, listing, newPartner, ratedBorrower } from './helpers/market.js';
import { ADMIN_ENV } from './helpers/partner.js';
import { eventsOf, openSocket } from './helpers/ws.js';

/**
 * The `note-offers` channel (docs/realtime.md): anyone may watch the secondary market; a snapshot of the
 * open offers, then offer.created, offer.filled (with what was bought), offer.cancelled, with contiguous
 * seq; the seller and buyer hear of the trade on `me`.
 */
let storage: TestStorage;
let t: TestApp;

beforeAll(async () => {
  storage = await createTestStorage();
  t = await startApp(storage, { listen: true, env: { ...ADMIN_ENV } });
});
afterAll(async () => {
  if (t) await expectInvariants(t.app);
  await t?.close();
  await storage?.dispose();
});

describe('the note-offers channel', () => {
  it('snapshot, then created, filled in part and whole, cancelled; the parties hear of it on me', async () => {
    const partner = await newPartner(t.app);
    const borrower = await ratedBorrower(t.app, partner);
    const seller = await registerLender(t.app, { depositMinor: 2_000_000 });
    const buyer = await registerLender(t.app, { depositMinor: 2_000_000 });
    const l = await createListing(t.app, borrower, { amountMinor: 1_000_000, closeWhenFunded: true, durationSec: 86_400 });
    await acceptedBid(t.app, seller.token, l.id, 1_000_000, 1200);
    const loanId = (await listing(t.app, l.id)).loanId as string;
    const noteId = (await call(t.app, 'GET', '/api/v1/me/notes', { token: seller.token })).json().items.find((n: { loanId: string }) => n.loanId === loanId).id as string;

    const market = await openSocket(t.url);
    const sellerMe = await openSocket(t.url, { token: seller.token });
    const buyerMe = await openSocket(t.url, { token: buyer.token });
    market.send({ op: 'subscribe', channel: 'note-offers' });
    const snap = await market.next((m) => m.type === 'snapshot' && m.channel === 'note-offers');
    expect(snap.data).toEqual({ items: [] });
    for (const s of [sellerMe, buyerMe]) {
      s.send({ op: 'subscribe', channel: 'me' });
      await s.next((m) => m.type === 'snapshot' && m.channel === 'me');
    }

    const offer = (await call(t.app, 'POST', `/api/v1/notes/${noteId}/offers`, { token: seller.token, body: { principalMinor: 300_000, priceBps: 9_900 } })).json();
    await market.next((m) => m.type === 'event' && m.event === 'offer.created');
    const part = await call(t.app, 'POST', `/api/v1/note-offers/${offer.id}/buy`, { token: buyer.token, body: { principalMinor: 100_000 } });
    expect(part.statusCode, part.body).toBe(201);
    await market.next((m) => m.type === 'event' && m.event === 'offer.filled');
    const rest = await call(t.app, 'POST', `/api/v1/note-offers/${offer.id}/buy`, { token: buyer.token, body: { principalMinor: 200_000 } });
    expect(rest.statusCode, rest.body).toBe(201);
    const second = (await call(t.app, 'POST', `/api/v1/notes/${noteId}/offers`, { token: seller.token, body: { principalMinor: 100_000, priceBps: 10_000 } })).json();
    await call(t.app, 'DELETE', `/api/v1/note-offers/${second.id}`, { token: seller.token });
    await market.next((m) => m.type === 'event' && m.event === 'offer.cancelled');

    const events = eventsOf(market.messages, 'note-offers');
    expect(events.map((e) => e.seq)).toEqual(events.map((_, i) => snap.seq! + i + 1));
    expect(events.map((e) => [e.event, e.data.id, e.data.status, e.data.remainingMinor, e.data.filledMinor])).toEqual([
      ['offer.created', offer.id, 'open', 300_000, undefined],
      ['offer.filled', offer.id, 'open', 200_000, 100_000],
      ['offer.filled', offer.id, 'filled', 0, 200_000],
      ['offer.created', second.id, 'open', 100_000, undefined],
      ['offer.cancelled', second.id, 'cancelled', 100_000, undefined],
    ]);
    // Lenders stay anonymous to each other on the public channel.
    expect(JSON.stringify(events)).not.toContain(seller.userId);
    expect(JSON.stringify(events)).not.toContain(buyer.userId);

    const sold = await sellerMe.next((m) => m.event === 'note.sold' && m.data.remainingMinor === 0);
    expect(sold.data).toMatchObject({ offerId: offer.id, noteId, principalMinor: 200_000, priceMinor: 198_000 });
    expect(sold.data.receivedMinor).toBe(sold.data.priceMinor + sold.data.accruedMinor - sold.data.feeMinor);
    const bought = await buyerMe.next((m) => m.event === 'note.bought' && m.data.principalMinor === 200_000);
    expect(bought.data).toMatchObject({ offerId: offer.id, loanId, noteId: rest.json().noteId });
    await buyerMe.next((m) => m.event === 'wallet.changed' && m.data.reason === 'note.transfer');
    for (const s of [market, sellerMe, buyerMe]) s.close();
  });
});
