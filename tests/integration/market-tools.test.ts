/**
 * What users of the anchor platforms expect: rate and amount range filters and a watchlist on the market,
 * each note's repayment history, and operators who find an account, review its identity, freeze and
 * unfreeze it with a reason that the audit log keeps.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, expectInvariants, registerLender, type Session } from './helpers/api.js';
import { createTestStorage, startApp, type TestApp, type TestStorage } from './helpers/env.js';
import { acceptedBid, createListing, endAuction, newPartner, ratedBorrower, type Borrower } from './helpers/market.js';
import { ADMIN_ENV, adminToken } from './helpers/partner.js';
import { dayOf, owed, repayOk } from './helpers/servicing.js';

let storage: TestStorage;
let t: TestApp;
let admin: string;
let lender: Session;
let borrowers: Borrower[];

beforeAll(async () => {
  storage = await createTestStorage();
  t = await startApp(storage, { env: { ...ADMIN_ENV, LENDBOOK_CLOCK: 'settable', LENDBOOK_AUCTION_MIN_DURATION_SEC: '60' } });
  admin = await adminToken(t.app);
  const partner = await newPartner(t.app);
  borrowers = await Promise.all([ratedBorrower(t.app, partner), ratedBorrower(t.app, partner), ratedBorrower(t.app, partner)]);
  lender = await registerLender(t.app, { depositMinor: 5_000_000 });
});
afterAll(async () => {
  if (t) await expectInvariants(t.app);
  await t?.close();
  await storage?.dispose();
});

const ids = (res: { json: () => { items: { id: string }[] } }) => res.json().items.map((l) => l.id).sort();

describe('the market, notes and accounts', () => {
  it('filters by current rate and amount ranges', async () => {
    const small = await createListing(t.app, borrowers[0]!, { amountMinor: 200_000, maxRateBps: 1000, durationSec: 3600 });
    const mid = await createListing(t.app, borrowers[1]!, { amountMinor: 500_000, maxRateBps: 1500, durationSec: 3600 });
    const big = await createListing(t.app, borrowers[2]!, { amountMinor: 900_000, maxRateBps: 2000, durationSec: 3600 });
    const q = (s: string) => call(t.app, 'GET', `/api/v1/listings?status=open&${s}`);
    expect(ids(await q('minRateBps=1200&maxRateBps=1800'))).toEqual([mid.id]);
    expect(ids(await q('minAmountMinor=300000'))).toEqual([mid.id, big.id].sort());
    expect(ids(await q('maxAmountMinor=500000&maxRateBps=1500'))).toEqual([small.id, mid.id].sort());
    expect((await q('minRateBps=1.5')).statusCode).toBe(400);
  });

  it('a watchlist: add, list with the listings as they stand, remove; someone else sees their own', async () => {
    const open = (await call(t.app, 'GET', '/api/v1/listings?status=open')).json().items as { id: string }[];
    for (const l of open.slice(0, 2)) expect((await call(t.app, 'PUT', `/api/v1/me/watchlist/${l.id}`, { token: lender.token })).statusCode).toBe(204);
    expect((await call(t.app, 'PUT', `/api/v1/me/watchlist/${open[0]!.id}`, { token: lender.token })).statusCode).toBe(204); // twice is once
    const list = (await call(t.app, 'GET', '/api/v1/me/watchlist', { token: lender.token })).json();
    expect([...list.listingIds].sort()).toEqual(open.slice(0, 2).map((l) => l.id).sort());
    expect(list.items[0]).toMatchObject({ status: 'open', fundedPct: expect.any(Number) });
    expect((await call(t.app, 'DELETE', `/api/v1/me/watchlist/${open[0]!.id}`, { token: lender.token })).statusCode).toBe(204);
    expect((await call(t.app, 'GET', '/api/v1/me/watchlist', { token: lender.token })).json().listingIds).toEqual([open[1]!.id]);
    const other = await registerLender(t.app);
    expect((await call(t.app, 'GET', '/api/v1/me/watchlist', { token: other.token })).json().listingIds).toEqual([]);
    expect((await call(t.app, 'PUT', '/api/v1/me/watchlist/lst_0000000000nothere', { token: lender.token })).statusCode).toBe(404);
  });

  it("a note's repayment history: every payment it received, split into its parts", async () => {
    const listing = (await call(t.app, 'GET', '/api/v1/listings?status=open&maxAmountMinor=200000')).json().items[0] as { id: string };
    const bid = await acceptedBid(t.app, lender.token, listing.id, 200_000, 900);
    expect(await endAuction(t.app, listing.id)).toBe('cleared');
    const loanId = (await call(t.app, 'GET', `/api/v1/listings/${listing.id}`)).json().loanId as string;
    const b = borrowers[0]!;
    await call(t.app, 'POST', '/api/v1/wallet/deposits', { token: b.token, body: { amountMinor: 500_000 } });
    const loan = (await call(t.app, 'GET', `/api/v1/loans/${loanId}`, { token: b.token })).json();
    expect(loan.title).toBe('Stock for the autumn season');
    await dayOf(t.app, loan.schedule[0].dueDate);
    const due = (await owed(t.app, b.token, loanId)).due.totalMinor as number;
    await repayOk(t.app, b.token, loanId, due);
    await repayOk(t.app, b.token, loanId, 10_000);
    const noteId = `note_${bid.id.slice(4)}`;
    const history = await call(t.app, 'GET', `/api/v1/me/notes/${noteId}/repayments`, { token: lender.token });
    expect(history.statusCode, history.body).toBe(200);
    const items = history.json().items as { totalMinor: number; principalMinor: number; interestMinor: number; penaltyMinor: number; prepaymentFeeMinor: number }[];
    expect(items.map((i) => i.totalMinor)).toEqual([10_000, due]);
    for (const i of items) expect(i.principalMinor + i.interestMinor + i.penaltyMinor + i.prepaymentFeeMinor).toBe(i.totalMinor);
    const note = (await call(t.app, 'GET', '/api/v1/me/notes', { token: lender.token })).json().items.find((n: { id: string }) => n.id === noteId);
    expect(note.title).toBe('Stock for the autumn season');
    expect(items.reduce((a, i) => a + i.principalMinor, 0)).toBe(note.receivedPrincipalMinor);
    expect((await call(t.app, 'GET', `/api/v1/me/notes/${noteId}/repayments`, { token: (await registerLender(t.app)).token })).statusCode).toBe(404);
  });

  it('operators find an account, review its identity, freeze it (no bids, no withdrawals, repayments go on) and unfreeze it, each with a reason in the audit log', async () => {
    const found = (await call(t.app, 'GET', `/api/v1/admin/users?q=${encodeURIComponent(lender.email)}`, { token: admin })).json().items;
    expect(found.map((u: { id: string }) => u.id)).toEqual([lender.userId]);
    const review = await call(t.app, 'POST', `/api/v1/admin/users/${lender.userId}/identity-review`, { token: admin, body: { outcome: 'confirmed', reason: 'ID card checked against the custodian’s record' } });
    expect(review.statusCode, review.body).toBe(200);
    expect(review.json()).toMatchObject({ kycReview: 'confirmed', kycStatus: 'verified', legalName: '张三' });
    const frozen = await call(t.app, 'POST', `/api/v1/admin/users/${lender.userId}/freeze`, { token: admin, body: { reason: 'Suspicious deposits under review' } });
    expect(frozen.json()).toMatchObject({ frozen: true, frozenReason: 'Suspicious deposits under review' });
    expect((await call(t.app, 'POST', `/api/v1/admin/users/${lender.userId}/freeze`, { token: admin, body: { reason: 'again' } })).statusCode).toBe(409);
    const open = await createListing(t.app, await ratedBorrower(t.app, await newPartner(t.app)), { amountMinor: 200_000, durationSec: 3600 });
    const bid = await call(t.app, 'POST', `/api/v1/listings/${open.id}/bids`, { token: lender.token, body: { amountMinor: 10_000, rateBps: 1000 } });
    expect(bid.statusCode).toBe(403);
    expect(bid.json().code).toBe('ACCOUNT_FROZEN');
    expect((await call(t.app, 'POST', '/api/v1/wallet/withdrawals', { token: lender.token, body: { amountMinor: 100 } })).json().code).toBe('ACCOUNT_FROZEN');
    // Nor does it trade notes: no offer of its own, no purchase of another's.
    const heldNote = (await call(t.app, 'GET', '/api/v1/me/notes', { token: lender.token })).json().items[0] as { id: string };
    const offer = await call(t.app, 'POST', `/api/v1/notes/${heldNote.id}/offers`, { token: lender.token, body: { principalMinor: 10_000, priceBps: 10_000 } });
    expect([offer.statusCode, offer.json().code]).toEqual([403, 'ACCOUNT_FROZEN']);
    // Refused before the offer is even looked up: a frozen account learns nothing about offers either.
    const buy = await call(t.app, 'POST', '/api/v1/note-offers/nof_0000000000000000/buy', { token: lender.token, body: { principalMinor: 10_000 } });
    expect([buy.statusCode, buy.json().code]).toEqual([403, 'ACCOUNT_FROZEN']);
    // The owner hears of it.
    await t.app.ctx.dispatcher.dispatchOnce();
    const centre = (await call(t.app, 'GET', '/api/v1/me/notifications?locale=en', { token: lender.token })).json();
    expect(centre.items[0]).toMatchObject({ kind: 'account_frozen', title: 'Your account is frozen' });
    const unfrozen = await call(t.app, 'POST', `/api/v1/admin/users/${lender.userId}/unfreeze`, { token: admin, body: { reason: 'Source of funds documented' } });
    expect(unfrozen.json().frozen).toBe(false);
    expect((await call(t.app, 'POST', `/api/v1/listings/${open.id}/bids`, { token: lender.token, body: { amountMinor: 10_000, rateBps: 1000 } })).statusCode).toBe(201);
    const audit = (await call(t.app, 'GET', `/api/v1/admin/audit-log?userId=${lender.userId}`, { token: admin })).json().items as { action: string; reason: string; actor: string }[];
    expect(audit.map((a) => [a.action, a.reason])).toEqual([
      ['unfreeze', 'Source of funds documented'],
      ['freeze', 'Suspicious deposits under review'],
      ['identity_confirmed', 'ID card checked against the custodian’s record'],
    ]);
    expect(audit[0]!.actor).toBe(ADMIN_ENV.LENDBOOK_ADMIN_EMAIL);
    expect((await call(t.app, 'POST', `/api/v1/admin/users/${lender.userId}/freeze`, { token: admin, body: { reason: '' } })).statusCode).toBe(400);
  });
});
