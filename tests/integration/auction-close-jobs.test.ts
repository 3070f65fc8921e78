import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rows } from '../../src/db/client.js';
import { call, expectInvariants, registerLender } from './helpers/api.js';
import { createTestStorage, startApp, type TestApp, type TestStorage } from './helpers/env.js';
import { acceptedBid, createListing, ratedBorrower } from './helpers/market.js';
import { ADMIN_ENV, createPartner } from './helpers/partner.js';
import { waitFor } from './helpers/wait.js';

/** With the real clock and real jobs: a short auction closes by itself at its end. */
let storage: TestStorage;
let t: TestApp;
beforeAll(async () => {
  storage = await createTestStorage();
  t = await startApp(storage, { env: { ...ADMIN_ENV, LENDBOOK_AUCTION_MIN_DURATION_SEC: '1', LENDBOOK_SOFT_CLOSE_SEC: '0', LENDBOOK_ALLOW_HTTP_WEBHOOKS: 'on' } });
});
afterAll(async () => {
  if (t) await expectInvariants(t.app);
  await t?.close();
  await storage?.dispose();
});

describe('auction close jobs', () => {
  it('a covered listing clears at its end with no one calling, and its partner hears of it', async () => {
    const partner = await createPartner(t.app, { webhookUrl: 'http://localhost:9/unreachable' });
    const borrower = await ratedBorrower(t.app, partner);
    const lender = await registerLender(t.app, { depositMinor: 1_000_000 });
    const l = await createListing(t.app, borrower, { amountMinor: 300_000, durationSec: 5 });
    await acceptedBid(t.app, lender.token, l.id, 300_000, 1100);
    let status = 'open';
    await waitFor(async () => {
      status = (await call(t.app, 'GET', `/api/v1/listings/${l.id}`)).json().status;
      return status !== 'open';
    }, 30_000, 100);
    expect(status).toBe('cleared');
    const hooks = await rows<{ type: string }>(t.app.ctx.db, sql`select type from webhook_deliveries where partner_id = ${partner.partnerId} and payload->'data'->>'listingId' = ${l.id}`);
    expect(hooks.map((h) => h.type)).toEqual(['listing.cleared']);
    const loans = await call(t.app, 'GET', '/api/v1/me/loans', { token: borrower.token });
    expect(loans.json().items).toHaveLength(1);
    expect(loans.json().items[0]).toMatchObject({ principalMinor: 300_000, rateBps: 1100, status: 'active', termMonths: 12 });
    const notes = await call(t.app, 'GET', '/api/v1/me/notes', { token: lender.token });
    expect(notes.json().items[0]).toMatchObject({ principalMinor: 300_000, rateBps: 1100, outstandingMinor: 300_000 });
    const loan = await call(t.app, 'GET', `/api/v1/loans/${loans.json().items[0].id}`, { token: borrower.token });
    expect(loan.json().schedule).toHaveLength(12);
    const total = loan.json().schedule.reduce((a: number, r: { principalMinor: number }) => a + r.principalMinor, 0);
    expect(total).toBe(300_000);
  });

  it('an uncovered listing fails at its end and releases its holds', async () => {
    const partner = await createPartner(t.app);
    const borrower = await ratedBorrower(t.app, partner);
    const lender = await registerLender(t.app, { depositMinor: 1_000_000 });
    const l = await createListing(t.app, borrower, { amountMinor: 300_000, durationSec: 5 });
    await acceptedBid(t.app, lender.token, l.id, 100_000, 1100);
    await waitFor(async () => (await call(t.app, 'GET', `/api/v1/listings/${l.id}`)).json().status !== 'open', 30_000, 100);
    expect((await call(t.app, 'GET', `/api/v1/listings/${l.id}`)).json().status).toBe('failed');
    expect((await call(t.app, 'GET', '/api/v1/wallet', { token: lender.token })).json()).toMatchObject({ availableMinor: 1_000_000, heldMinor: 0 });
  });
});
