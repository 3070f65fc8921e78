import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rows } from '../../src/db/client.js';
import { call, chosenResidentId, expectInvariants, registerLender, type Session } from './helpers/api.js';
import { createTestStorage, startApp, type TestApp, type TestStorage } from './helpers/env.js';
import { acceptedBid, advanceClock, bid, createListing, endAuction, listing, myBids, newPartner, ratedBorrower, type Borrower } from './helpers/market.js';
import { ADMIN_ENV, adminToken, type PartnerKey } from './helpers/partner.js';
import { waitFor } from './helpers/wait.js';

let storage: TestStorage;
let t: TestApp;
let partner: PartnerKey;
let borrower: Borrower;
let lender: Session;
let admin: string;

beforeAll(async () => {
  storage = await createTestStorage();
  t = await startApp(storage, { env: { ...ADMIN_ENV, LENDBOOK_CLOCK: 'settable', LENDBOOK_AUCTION_MIN_DURATION_SEC: '60' } });
  partner = await newPartner(t.app);
  borrower = await ratedBorrower(t.app, partner);
  lender = await registerLender(t.app, { depositMinor: 5_000_000 });
  admin = await adminToken(t.app);
});
afterAll(async () => {
  if (t) await expectInvariants(t.app);
  await t?.close();
  await storage?.dispose();
});

async function ledgerSnapshot() {
  const [r] = await rows<{ n: number; s: number }>(t.app.ctx.db, sql`select count(*)::int as n, coalesce(sum(debits_pending_minor + debits_posted_minor),0)::bigint as s from ledger_accounts l, lateral (select 1) x`);
  const [c] = await rows<{ n: number }>(t.app.ctx.db, sql`select count(*)::int as n from ledger_transfers`);
  const [b] = await rows<{ n: number }>(t.app.ctx.db, sql`select count(*)::int as n from bids`);
  return { accounts: r, transfers: c!.n, bids: b!.n };
}

async function setSettings(body: Record<string, unknown>) {
  const res = await call(t.app, 'PUT', '/api/v1/admin/settings', { token: admin, body });
  expect(res.statusCode, res.body).toBe(200);
}

/** A fresh open listing of a fresh borrower (one open listing per borrower). */
async function openListing(opts: Parameters<typeof createListing>[2] = {}) {
  const b = await ratedBorrower(t.app, partner);
  return { borrower: b, listing: await createListing(t.app, b, opts) };
}

describe('every rejection of docs/market-rules.md §2, each leaving the ledger unchanged', () => {
  const expectRejected = async (res: { statusCode: number; json: () => { code: string } }, code: string, before: Awaited<ReturnType<typeof ledgerSnapshot>>) => {
    expect(res.json().code).toBe(code);
    expect(res.statusCode).toBeGreaterThanOrEqual(400);
    expect(res.statusCode).toBeLessThan(500);
    expect(await ledgerSnapshot()).toEqual(before);
  };

  it('LISTING_NOT_OPEN: after the end, and on a withdrawn listing', async () => {
    const { listing: ended } = await openListing({ durationSec: 3600 });
    await advanceClock(t.app, 3601_000);
    let before = await ledgerSnapshot();
    await expectRejected(await bid(t.app, lender.token, ended.id, 100_000, 1000), 'LISTING_NOT_OPEN', before);
    const { borrower: owner, listing: l } = await openListing();
    const stranger = await ratedBorrower(t.app, partner);
    expect((await call(t.app, 'POST', `/api/v1/listings/${l.id}/withdraw`, { token: stranger.token })).statusCode).toBe(404);
    expect((await call(t.app, 'POST', `/api/v1/listings/${l.id}/withdraw`, { token: owner.token })).statusCode).toBe(200);
    before = await ledgerSnapshot();
    await expectRejected(await bid(t.app, lender.token, l.id, 100_000, 1000), 'LISTING_NOT_OPEN', before);
  });

  it('LENDER_NOT_ELIGIBLE: KYC incomplete, or a risk profile that excludes the grade', async () => {
    const { listing: l } = await openListing();
    const noKyc = await registerLender(t.app, { kyc: false });
    const before = await ledgerSnapshot();
    await expectRejected(await bid(t.app, noKyc.token, l.id, 100_000, 1000), 'LENDER_NOT_ELIGIBLE', before);
    await setSettings({ gradeFloorBps: null });
    // A conservative lender bids on A and above: move the listing grade out of reach by asking for AA only.
    const grade = (await listing(t.app, l.id)).grade as string;
    const conservative = await registerLender(t.app, { riskProfile: 'conservative', depositMinor: 500_000 });
    const res = await bid(t.app, conservative.token, l.id, 100_000, 1000);
    if (['AA', 'A'].includes(grade)) expect(res.statusCode).toBe(201);
    else await expectRejected(res, 'LENDER_NOT_ELIGIBLE', { ...before, ...(await ledgerSnapshot()) });
  });

  it('SELF_DEALING: the borrower\'s own representative bidding from a lender account (borrower verified first)', async () => {
    const { borrower: b, listing: l } = await openListing();
    const same = await registerLender(t.app, { kyc: false });
    const k2 = await call(t.app, 'PUT', '/api/v1/me/kyc', { token: same.token, body: { legalName: '周法人', idNumber: b.idNumber!, riskProfile: 'aggressive' } });
    expect(k2.statusCode, k2.body).toBe(200);
    await call(t.app, 'POST', '/api/v1/wallet/deposits', { token: same.token, body: { amountMinor: 500_000 } });
    const before = await ledgerSnapshot();
    await expectRejected(await bid(t.app, same.token, l.id, 100_000, 1000), 'SELF_DEALING', before);
  });

  it('SELF_DEALING: the same person verified as a lender first, then as the borrower\'s representative', async () => {
    const id = chosenResidentId(777);
    const same = await registerLender(t.app, { kyc: false });
    expect((await call(t.app, 'PUT', '/api/v1/me/kyc', { token: same.token, body: { legalName: '赵六', idNumber: id, riskProfile: 'aggressive' } })).statusCode).toBe(200);
    await call(t.app, 'POST', '/api/v1/wallet/deposits', { token: same.token, body: { amountMinor: 500_000 } });
    const b = await ratedBorrower(t.app, partner, { idNumber: id });
    const l = await createListing(t.app, b);
    const before = await ledgerSnapshot();
    await expectRejected(await bid(t.app, same.token, l.id, 100_000, 1000), 'SELF_DEALING', before);
  });

  it('KYC_REQUIRED: a borrower lists only once its representative\'s identity is known', async () => {
    const unverified = await ratedBorrower(t.app, partner, { kyc: false });
    const res = await call(t.app, 'POST', '/api/v1/listings', { token: unverified.token, body: { title: 'Unverified', purpose: 'Stock', amountMinor: 1_000_000, termMonths: 12, maxRateBps: 1500, repayment: 'equal_installment', product: 'credit' } });
    expect(res.statusCode, res.body).toBe(422);
    expect(res.json().code).toBe('KYC_REQUIRED');
    const [n] = await rows<{ n: number }>(t.app.ctx.db, sql`select count(*)::int as n from listings where borrower_user_id = ${unverified.userId}`);
    expect(n!.n).toBe(0);
  });

  it('BID_EXISTS, BID_AMOUNT_INVALID, BID_RATE_INVALID, BID_NOT_COMPETITIVE, INSUFFICIENT_FUNDS', async () => {
    const { listing: l } = await openListing({ amountMinor: 1_000_000, maxRateBps: 1500 });
    await acceptedBid(t.app, lender.token, l.id, 600_000, 1200);
    const other = await registerLender(t.app, { depositMinor: 150_000 });
    const before = await ledgerSnapshot();
    await expectRejected(await bid(t.app, lender.token, l.id, 100_000, 1000), 'BID_EXISTS', before);
    await expectRejected(await bid(t.app, other.token, l.id, 9_900, 1000), 'BID_AMOUNT_INVALID', before);
    await expectRejected(await bid(t.app, other.token, l.id, 100_050, 1000), 'BID_AMOUNT_INVALID', before);
    await expectRejected(await bid(t.app, other.token, l.id, 1_000_100, 1000), 'BID_AMOUNT_INVALID', before);
    await expectRejected(await bid(t.app, other.token, l.id, 100_000, 1501), 'BID_RATE_INVALID', before);
    await expectRejected(await bid(t.app, other.token, l.id, 200_000, 1000), 'INSUFFICIENT_FUNDS', before);
    const third = await registerLender(t.app, { depositMinor: 1_000_000 });
    await acceptedBid(t.app, third.token, l.id, 400_000, 1300);
    await expectRejected(await bid(t.app, other.token, l.id, 100_000, 1300), 'BID_NOT_COMPETITIVE', await ledgerSnapshot());
    // The grade floor (a setting) refuses rates below it.
    const grade = (await listing(t.app, l.id)).grade as string;
    await setSettings({ gradeFloorBps: { [grade]: 900 } });
    await expectRejected(await bid(t.app, other.token, l.id, 100_000, 899), 'BID_RATE_INVALID', await ledgerSnapshot());
    await setSettings({ gradeFloorBps: null });
  });

  it('LENDER_LISTING_CAP: a lender may hold at most the cap share of one listing', async () => {
    await setSettings({ lenderListingCapPct: 50 });
    try {
      const { listing: l } = await openListing({ amountMinor: 1_000_000 });
      const before = await ledgerSnapshot();
      await expectRejected(await bid(t.app, lender.token, l.id, 600_000, 1000), 'LENDER_LISTING_CAP', before);
      await acceptedBid(t.app, lender.token, l.id, 500_000, 1000);
    } finally {
      await setSettings({ lenderListingCapPct: null });
    }
  });

  it('rejections are checked in the order of docs/market-rules.md: an ended listing comes before KYC and amount', async () => {
    const { listing: l } = await openListing({ durationSec: 3600 });
    await advanceClock(t.app, 3601_000);
    const noKyc = await registerLender(t.app, { kyc: false });
    const res = await bid(t.app, noKyc.token, l.id, 5_500, 99_999);
    expect(res.json().code).toBe('LISTING_NOT_OPEN');
  });
});

describe('amend, withdraw, soft close, close when funded', () => {
  it('an amend lowers the rate only and takes a new priority', async () => {
    const { listing: l } = await openListing({ amountMinor: 1_000_000 });
    const a = await registerLender(t.app, { depositMinor: 1_000_000 });
    const b = await registerLender(t.app, { depositMinor: 1_000_000 });
    const ba = await acceptedBid(t.app, a.token, l.id, 600_000, 1200);
    const bb = await acceptedBid(t.app, b.token, l.id, 600_000, 1100);
    expect((await myBids(t.app, a.token)).find((x) => x.id === ba.id)).toMatchObject({ fillMinor: 400_000 });
    const up = await call(t.app, 'PATCH', `/api/v1/bids/${ba.id}`, { token: a.token, body: { rateBps: 1300 } });
    expect(up.json().code).toBe('AMEND_RATE_NOT_LOWER');
    const foreign = await call(t.app, 'PATCH', `/api/v1/bids/${ba.id}`, { token: b.token, body: { rateBps: 1000 } });
    expect(foreign.statusCode).toBe(404);
    const down = await call(t.app, 'PATCH', `/api/v1/bids/${ba.id}`, { token: a.token, body: { rateBps: 1000 } });
    expect(down.statusCode).toBe(200);
    expect(down.json()).toMatchObject({ rateBps: 1000, fillMinor: 600_000, status: 'winning' });
    expect((await myBids(t.app, b.token)).find((x) => x.id === bb.id)).toMatchObject({ fillMinor: 400_000 });
  });

  it('withdrawing releases every hold and the listing ends', async () => {
    const b = await ratedBorrower(t.app, partner);
    const l = await createListing(t.app, b, { amountMinor: 1_000_000 });
    const x = await registerLender(t.app, { depositMinor: 500_000 });
    await acceptedBid(t.app, x.token, l.id, 300_000, 1000);
    const res = await call(t.app, 'POST', `/api/v1/listings/${l.id}/withdraw`, { token: b.token });
    expect(res.statusCode).toBe(200);
    expect(res.json().status).toBe('withdrawn');
    expect((await call(t.app, 'GET', '/api/v1/wallet', { token: x.token })).json()).toMatchObject({ availableMinor: 500_000, heldMinor: 0 });
    expect((await myBids(t.app, x.token))[0]).toMatchObject({ status: 'released' });
    const again = await call(t.app, 'POST', `/api/v1/listings/${l.id}/withdraw`, { token: b.token });
    expect(again.json().code).toBe('LISTING_NOT_WITHDRAWABLE');
    // The borrower may list again.
    await createListing(t.app, b, { amountMinor: 200_000 });
  });

  it('soft close: a bid in the last window extends the end and the close job moves with it; the cap holds', async () => {
    await setSettings({ softCloseSec: 120, softCloseMaxExtensionSec: 300 });
    const { listing: l } = await openListing({ amountMinor: 1_000_000, durationSec: 3600 });
    const originalEndsMs = Date.parse(l.endsAt);
    const x = await registerLender(t.app, { depositMinor: 2_000_000 });
    const y = await registerLender(t.app, { depositMinor: 2_000_000 });
    await advanceClock(t.app, originalEndsMs - t.app.ctx.clock.nowMs() - 60_000); // 60 s before the end
    await acceptedBid(t.app, x.token, l.id, 100_000, 1400);
    let view = await listing(t.app, l.id);
    const extended = Date.parse(view.endsAt);
    expect(extended).toBeGreaterThan(originalEndsMs);
    expect(extended - t.app.ctx.clock.nowMs()).toBeGreaterThan(110_000);
    expect(view.extended).toBe(true);
    // A close job for the new end exists (deterministic id carries the end's version).
    if (t.app.ctx.queue.kind === 'local') {
      await waitFor(async () => (await rows<{ id: string }>(t.app.ctx.db, sql`select id from local_jobs where id = ${`close-${l.id}-2`}`)).length === 1, 20_000);
    } else {
      const { Queue } = await import('bullmq');
      const q = new Queue('jobs', { connection: t.app.ctx.redis('test-inspect'), prefix: t.config.redisPrefix });
      await waitFor(async () => (await q.getJob(`close-${l.id}-2`)) !== undefined, 20_000);
      const job = await q.getJob(`close-${l.id}-2`);
      expect(job!.opts.delay).toBeGreaterThan(0);
      await q.close();
    }
    // Keep bidding in the window: the end never passes original + 300 s.
    let rate = 1390;
    for (let i = 0; i < 6; i++) {
      await advanceClock(t.app, 100_000);
      if (Date.parse((await listing(t.app, l.id)).endsAt) <= t.app.ctx.clock.nowMs()) break;
      const who = i % 2 ? x : y;
      const r = await bid(t.app, who.token, l.id, 100_000, rate);
      if (r.statusCode !== 201) await call(t.app, 'PATCH', `/api/v1/bids/${(await myBids(t.app, who.token)).find((b) => b.listingId === l.id && b.status === 'winning')!.id}`, { token: who.token, body: { rateBps: rate } });
      rate -= 10;
    }
    view = await listing(t.app, l.id);
    expect(Date.parse(view.endsAt)).toBe(originalEndsMs + 300_000);
    // A stale close job (the old end) does nothing; the listing closes at the new end.
    const { closeListing } = await import('../../src/services/clearing.js');
    if (Date.parse(view.endsAt) > t.app.ctx.clock.nowMs()) expect(await closeListing(t.app.ctx, l.id)).toBe('not_due');
    expect(await endAuction(t.app, l.id)).toBe('failed');
    await setSettings({ softCloseSec: null, softCloseMaxExtensionSec: null });
  });

  it('close when funded: the covering bid is trimmed and the listing clears at once', async () => {
    const { listing: l } = await openListing({ amountMinor: 1_000_000, closeWhenFunded: true });
    const x = await registerLender(t.app, { depositMinor: 2_000_000 });
    const y = await registerLender(t.app, { depositMinor: 2_000_000 });
    await acceptedBid(t.app, x.token, l.id, 700_000, 1200);
    const res = await bid(t.app, y.token, l.id, 500_000, 1300);
    expect(res.statusCode).toBe(201);
    expect(res.json()).toMatchObject({ amountMinor: 300_000, requestedAmountMinor: 500_000, status: 'filled', fillMinor: 300_000 });
    const view = await listing(t.app, l.id);
    expect(view.status).toBe('cleared');
    expect(view.loanId).toMatch(/^loan_/);
    expect((await call(t.app, 'GET', '/api/v1/wallet', { token: y.token })).json()).toMatchObject({ availableMinor: 1_700_000, heldMinor: 0 });
  });
});

describe('listing rules (docs/market-rules.md §1)', () => {
  it('refuses amounts, rates, durations and a second open listing with their codes', async () => {
    const b = await ratedBorrower(t.app, partner);
    const post = (body: Record<string, unknown>) =>
      call(t.app, 'POST', '/api/v1/listings', { token: b.token, body: { title: 't', purpose: 'p', amountMinor: 1_000_000, termMonths: 12, maxRateBps: 1500, repayment: 'equal_installment', product: 'credit', ...body } });
    expect((await post({ amountMinor: 99_900 })).json().code).toBe('LISTING_AMOUNT_INVALID');
    expect((await post({ amountMinor: 100_050 })).json().code).toBe('LISTING_AMOUNT_INVALID');
    expect((await post({ maxRateBps: 2401 })).json().code).toBe('LISTING_RATE_INVALID');
    expect((await post({ durationSec: 30 })).json().code).toBe('LISTING_DURATION_INVALID');
    expect((await post({ termMonths: 5 })).statusCode).toBe(400);
    expect((await post({ amountMinor: 200_000_000 })).json().code).toMatch(/CREDIT_LINE_EXCEEDED|REGULATORY_CAP_EXCEEDED/);
    expect((await post({ product: 'order' })).json().code).toBe('COLLATERAL_INVALID');
    expect((await post({})).statusCode).toBe(201);
    expect((await post({})).json().code).toBe('OPEN_LISTING_EXISTS');
  });

  it('lists, filters and pages the market publicly', async () => {
    const all = await call(t.app, 'GET', '/api/v1/listings?status=open&sort=endsAt&limit=3');
    expect(all.statusCode).toBe(200);
    const page1 = all.json();
    expect(page1.items.length).toBeLessThanOrEqual(3);
    for (const item of page1.items) {
      expect(item.status).toBe('open');
      expect(item).not.toHaveProperty('borrowerUserId');
    }
    if (page1.nextCursor) {
      const page2 = await call(t.app, 'GET', `/api/v1/listings?status=open&sort=endsAt&limit=3&cursor=${page1.nextCursor}`);
      const ids = new Set(page1.items.map((i: { id: string }) => i.id));
      for (const item of page2.json().items) expect(ids.has(item.id)).toBe(false);
      const ends = [...page1.items, ...page2.json().items].map((i: { endsAt: string }) => Date.parse(i.endsAt));
      expect(ends).toEqual([...ends].sort((a, b) => a - b));
    }
    const bad = await call(t.app, 'GET', '/api/v1/listings?termMonths=abc');
    expect(bad.statusCode).toBe(400);
    const badCursor = await call(t.app, 'GET', '/api/v1/listings?cursor=bm90LWEtY3Vyc29y');
    expect(badCursor.statusCode).toBe(400);
  });
});
