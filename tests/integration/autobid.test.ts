/**
 * Autobid (docs/autobid.md): strategies saved through the API, a listing's opening pass in rotation order
 * up to the autobid share, the log of each lender, the save that bids on listings open now, and the
 * validation of a strategy.
 */
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rows } from '../../src/db/client.js';
import { call, expectInvariants, registerLender, walletOfToken, type Session } from './helpers/api.js';
import { createTestStorage, startApp, type TestApp, type TestStorage } from './helpers/env.js';
import { acceptedBid, createListing, listing, myBids, newPartner, ratedBorrower } from './helpers/market.js';
import { ADMIN_ENV, type PartnerKey } from './helpers/partner.js';
import { waitFor } from './helpers/wait.js';

let storage: TestStorage;
let t: TestApp;
let partner: PartnerKey;

beforeAll(async () => {
  storage = await createTestStorage();
  t = await startApp(storage, { env: { ...ADMIN_ENV, LENDBOOK_CLOCK: 'settable', LENDBOOK_AUCTION_MIN_DURATION_SEC: '60' } });
  partner = await newPartner(t.app);
}, 180_000);
afterAll(async () => {
  if (t) await expectInvariants(t.app);
  await t?.close();
  await storage?.dispose();
});

const ALL_GRADES = (rateBps: number) => Object.fromEntries(['AA', 'A', 'B', 'C', 'D', 'E', 'HR'].map((g) => [g, rateBps]));

function strategy(over: Record<string, unknown> = {}) {
  return { enabled: true, amountPerListingMinor: 70_000, maxPerBorrowerMinor: 1_000_000, budgetMinor: 5_000_000, reserveMinor: 0, minRateBpsByGrade: ALL_GRADES(1200), ...over };
}

async function save(token: string, body: Record<string, unknown>) {
  const res = await call(t.app, 'PUT', '/api/v1/me/autobid', { token, body });
  expect(res.statusCode, res.body).toBe(200);
  return res.json();
}

async function passOf(listingId: string) {
  const [p] = await rows<{ placed: number; matched: number }>(t.app.ctx.db, sql`select placed, matched from autobid_passes where listing_id = ${listingId}`);
  return p;
}

async function openedListing(amountMinor = 1_000_000) {
  const b = await ratedBorrower(t.app, partner);
  const l = await createListing(t.app, b, { amountMinor, maxRateBps: 1500 });
  await waitFor(async () => (await passOf(l.id)) !== undefined, 15_000);
  return l;
}

async function logOf(token: string) {
  const res = await call(t.app, 'GET', '/api/v1/me/autobid/log?limit=200', { token });
  expect(res.statusCode, res.body).toBe(200);
  return res.json().items as { listingId: string; outcome: string; code?: string; bidId?: string; amountMinor?: number; rateBps?: number }[];
}

describe('a strategy', () => {
  it('is refused with the field named: a rate above the platform cap, a negative amount, an unknown grade', async () => {
    const lender = await registerLender(t.app, { depositMinor: 1_000_000 });
    const above = await call(t.app, 'PUT', '/api/v1/me/autobid', { token: lender.token, body: strategy({ minRateBpsByGrade: { AA: 2500 } }) });
    expect(above.statusCode).toBe(400);
    expect(above.json().errors.map((e: { field: string }) => e.field)).toEqual(['body/minRateBpsByGrade/AA']);
    const negative = await call(t.app, 'PUT', '/api/v1/me/autobid', { token: lender.token, body: strategy({ budgetMinor: -100 }) });
    expect(negative.statusCode).toBe(400);
    expect(negative.json().errors[0].field).toBe('body/budgetMinor');
    const grade = await call(t.app, 'PUT', '/api/v1/me/autobid', { token: lender.token, body: strategy({ minRateBpsByGrade: { ZZ: 1000 } }) });
    expect(grade.statusCode).toBe(400);
    expect(grade.json().errors[0].field).toBe('body/minRateBpsByGrade/ZZ');
    const small = await call(t.app, 'PUT', '/api/v1/me/autobid', { token: lender.token, body: strategy({ amountPerListingMinor: 5_000 }) });
    expect(small.statusCode).toBe(400);
    expect(small.json().errors[0].field).toBe('body/amountPerListingMinor');
    const unknown = await call(t.app, 'PUT', '/api/v1/me/autobid', { token: lender.token, body: { ...strategy(), extra: 1 } });
    expect(unknown.statusCode).toBe(400);
  });

  it('needs KYC, and reads as disabled defaults before it is saved', async () => {
    const lender = await registerLender(t.app, { kyc: false });
    const got = await call(t.app, 'GET', '/api/v1/me/autobid', { token: lender.token });
    expect(got.statusCode).toBe(200);
    expect(got.json()).toMatchObject({ enabled: false, updatedAt: null, minRateBpsByGrade: {}, stats: { bidsPlaced: 0, heldMinor: 0 } });
    const put = await call(t.app, 'PUT', '/api/v1/me/autobid', { token: lender.token, body: strategy() });
    expect(put.statusCode, put.body).toBe(422);
    expect(put.json().code).toBe('KYC_REQUIRED');
  });
});

describe('a listing opening with 30 strategies', () => {
  let lenders: Session[];
  let manual: Session;

  it('bids in rotation order until 60 % is covered, logs the rest, and leaves 40 % to a manual bidder', async () => {
    lenders = [];
    for (let i = 0; i < 30; i++) lenders.push(await registerLender(t.app, { depositMinor: 5_000_000 }));
    // A lender's own rate per grade: the rates differ, the order must not follow them.
    for (const [i, l] of lenders.entries()) await save(l.token, strategy({ minRateBpsByGrade: ALL_GRADES(1000 + ((i * 7) % 30) * 10) }));
    const byId = [...lenders].sort((a, b) => (a.userId < b.userId ? -1 : 1));

    // First listing: nobody has autobid yet, so the lender id decides. 8 × ¥700 + ¥400 = ¥6,000 = 60 %.
    const first = await openedListing();
    expect(await passOf(first.id)).toEqual({ placed: 9, matched: 30 });
    const firstBook = await listing(t.app, first.id);
    expect(firstBook.coverageMinor).toBe(600_000);
    const autobids = firstBook.bids.filter((b: { source: string }) => b.source === 'autobid');
    expect(autobids).toHaveLength(9);
    const placedFirst = byId.slice(0, 9);
    for (const [i, l] of placedFirst.entries()) {
      const mine = (await myBids(t.app, l.token)).find((b) => b.listingId === first.id);
      expect(mine, `lender ${i}`).toMatchObject({ amountMinor: i < 8 ? 70_000 : 40_000, status: 'winning' });
      expect((mine as unknown as { source: string }).source).toBe('autobid');
    }
    // Their priorities follow the rotation order.
    const priorities = await Promise.all(placedFirst.map(async (l) => (await rows<{ priority: number }>(t.app.ctx.db, sql`select priority from bids where listing_id = ${first.id} and lender_id = ${l.userId}`))[0]!.priority));
    expect(priorities).toEqual([...priorities].sort((a, b) => a - b));
    for (const l of byId.slice(9)) {
      const log = await logOf(l.token);
      expect(log.find((x) => x.listingId === first.id)).toMatchObject({ outcome: 'skipped', code: 'AUTOBID_SHARE_FULL' });
    }
    const firstLog = (await logOf(byId[8]!.token)).find((x) => x.listingId === first.id);
    expect(firstLog).toMatchObject({ outcome: 'placed', amountMinor: 40_000 });

    // Second listing: the 21 who placed nothing in the window come first, by id.
    const second = await openedListing();
    expect(await passOf(second.id)).toEqual({ placed: 9, matched: 30 });
    const placedSecond = byId.slice(9, 18);
    const secondBids = await rows<{ lender_id: string; amount_minor: string }>(t.app.ctx.db, sql`select lender_id, amount_minor from bids where listing_id = ${second.id} and source = 'autobid' order by priority`);
    expect(secondBids.map((b) => b.lender_id)).toEqual(placedSecond.map((l) => l.userId));
    for (const l of [...placedFirst, ...byId.slice(18)]) {
      expect((await logOf(l.token)).find((x) => x.listingId === second.id)).toMatchObject({ outcome: 'skipped', code: 'AUTOBID_SHARE_FULL' });
    }

    // A manual bidder takes the 40 % autobid left.
    manual = await registerLender(t.app, { depositMinor: 1_000_000 });
    const m = await acceptedBid(t.app, manual.token, second.id, 400_000, 1400);
    expect(m.status).toBe('winning');
    const after = await listing(t.app, second.id);
    expect(after.coverageMinor).toBe(1_000_000);
    expect(after.fundedPct).toBe(100);

    // Wallets: each placed lender holds exactly its bid.
    for (const [i, l] of placedSecond.entries()) {
      const w = await walletOfToken(t.app, l.token);
      expect(w.heldMinor, `lender ${i}`).toBe(i < 8 ? 70_000 : 40_000);
      expect(w.availableMinor + w.heldMinor).toBe(5_000_000);
    }
    const stats = (await call(t.app, 'GET', '/api/v1/me/autobid', { token: placedSecond[0]!.token })).json().stats;
    expect(stats).toMatchObject({ bidsPlaced: 1, heldMinor: 70_000, outstandingMinor: 0 });
    const inv = await call(t.app, 'GET', '/api/v1/admin/invariants', { token: await adminTokenOf() });
    expect(inv.statusCode, inv.body).toBe(200);
    expect(inv.json().checks.filter((c: { ok: boolean }) => !c.ok)).toEqual([]);
    // Nothing left to bid for these strategies: disable them so later tests see only their own.
    for (const l of lenders) await save(l.token, strategy({ enabled: false }));
  }, 240_000);
});

async function adminTokenOf(): Promise<string> {
  const { adminToken } = await import('./helpers/partner.js');
  return adminToken(t.app);
}

describe('limits and reasons', () => {
  it("skips with the reason of each limit: the reserve, the per-borrower limit, the budget, the rate", async () => {
    const b = await ratedBorrower(t.app, partner);
    const reserve = await registerLender(t.app, { depositMinor: 100_000 });
    await save(reserve.token, strategy({ reserveMinor: 95_000, amountPerListingMinor: 50_000 }));
    const perBorrower = await registerLender(t.app, { depositMinor: 1_000_000 });
    await save(perBorrower.token, strategy({ maxPerBorrowerMinor: 50_000, amountPerListingMinor: 50_000 }));
    const budget = await registerLender(t.app, { depositMinor: 1_000_000 });
    await save(budget.token, strategy({ budgetMinor: 5_000, amountPerListingMinor: 50_000 }));
    const rate = await registerLender(t.app, { depositMinor: 1_000_000 });
    await save(rate.token, strategy({ minRateBpsByGrade: ALL_GRADES(2000) }));
    const capped = await registerLender(t.app, { depositMinor: 1_000_000 });
    await save(capped.token, strategy({ amountPerListingMinor: 500_000, maxPerBorrowerMinor: 130_000 }));
    const l = await createListing(t.app, b, { amountMinor: 1_000_000, maxRateBps: 1500 });
    await waitFor(async () => (await passOf(l.id)) !== undefined, 15_000);
    expect((await logOf(reserve.token)).find((x) => x.listingId === l.id)).toMatchObject({ outcome: 'skipped', code: 'AUTOBID_RESERVE' });
    expect((await logOf(budget.token)).find((x) => x.listingId === l.id)).toMatchObject({ outcome: 'skipped', code: 'AUTOBID_BUDGET_SPENT' });
    expect((await logOf(rate.token)).find((x) => x.listingId === l.id)).toMatchObject({ outcome: 'skipped', code: 'AUTOBID_RATE_ABOVE_MAX' });
    // The per-borrower limit caps the amount: ¥1,300 rather than ¥5,000.
    expect((await logOf(capped.token)).find((x) => x.listingId === l.id)).toMatchObject({ outcome: 'placed', amountMinor: 130_000, rateBps: 1200 });
    expect((await logOf(perBorrower.token)).find((x) => x.listingId === l.id)).toMatchObject({ outcome: 'placed', amountMinor: 50_000 });
    const ids = [reserve, perBorrower, budget, rate, capped];
    for (const s of ids) await save(s.token, strategy({ enabled: false }));
    expect((await logOf(perBorrower.token)).filter((x) => x.listingId === l.id)).toHaveLength(1);
  }, 60_000);

  it("counts the lender's notes and manual bids on the borrower against its per-borrower limit, and only autobid exposure against the budget", async () => {
    const b = await ratedBorrower(t.app, partner);
    const lender = await registerLender(t.app, { depositMinor: 2_000_000 });
    // A manual bid that funds a first listing at once: a ¥1,000 note on this borrower.
    const first = await createListing(t.app, b, { amountMinor: 100_000, maxRateBps: 1500, closeWhenFunded: true });
    await waitFor(async () => (await passOf(first.id)) !== undefined, 15_000);
    await acceptedBid(t.app, lender.token, first.id, 100_000, 1200);
    expect((await listing(t.app, first.id)).status).toBe('cleared');
    // ¥1,500 per borrower, ¥600 budget: the note leaves ¥500 under the limit; the budget, which counts
    // only autobid exposure, allows ¥600.
    // (Only 9-month listings: the other tests' listings still open are not this test's.)
    await save(lender.token, strategy({ amountPerListingMinor: 100_000, maxPerBorrowerMinor: 150_000, budgetMinor: 60_000, termsMonths: [9] }));
    const second = await createListing(t.app, b, { amountMinor: 1_000_000, maxRateBps: 1500, termMonths: 9 });
    await waitFor(async () => (await passOf(second.id)) !== undefined, 15_000);
    const line = (await logOf(lender.token)).find((x) => x.listingId === second.id);
    expect(line, JSON.stringify(line)).toMatchObject({ outcome: 'placed', amountMinor: 50_000 });
    const got = (await call(t.app, 'GET', '/api/v1/me/autobid', { token: lender.token })).json();
    expect(got.stats).toMatchObject({ bidsPlaced: 1, heldMinor: 50_000, outstandingMinor: 0 });
    await save(lender.token, strategy({ enabled: false }));
  }, 60_000);

  it('saving a strategy enabled bids on the listings open now with enough time left, once', async () => {
    const l = await openedListing(500_000);
    const lender = await registerLender(t.app, { depositMinor: 1_000_000 });
    const saved = await save(lender.token, strategy({ amountPerListingMinor: 60_000 }));
    expect(saved.placedNow.bids).toBeGreaterThanOrEqual(1);
    const mine = (await myBids(t.app, lender.token)).find((b) => b.listingId === l.id);
    expect(mine).toMatchObject({ amountMinor: 60_000, rateBps: 1200 });
    // Saving again places nothing more on it (one bid per lender and listing).
    await save(lender.token, strategy({ amountPerListingMinor: 60_000 }));
    const bids = await rows<{ n: number }>(t.app.ctx.db, sql`select count(*)::int as n from bids where listing_id = ${l.id} and lender_id = ${lender.userId}`);
    expect(bids[0]!.n).toBe(1);
    expect((await logOf(lender.token)).filter((x) => x.listingId === l.id && x.outcome === 'placed')).toHaveLength(1);
    // The preview of the same settings now finds nothing more to bid on that listing.
    const preview = await call(t.app, 'POST', '/api/v1/me/autobid/preview', { token: lender.token, body: strategy({ amountPerListingMinor: 60_000 }) });
    expect(preview.statusCode, preview.body).toBe(200);
    expect(preview.json().bids.find((x: { listingId: string }) => x.listingId === l.id)).toBeUndefined();
    await save(lender.token, strategy({ enabled: false }));
  }, 60_000);

  it('previews what a strategy would bid on the listings open now', async () => {
    const l = await openedListing(500_000);
    const lender = await registerLender(t.app, { depositMinor: 150_000 });
    const res = await call(t.app, 'POST', '/api/v1/me/autobid/preview', { token: lender.token, body: strategy({ amountPerListingMinor: 100_000 }) });
    expect(res.statusCode, res.body).toBe(200);
    const p = res.json();
    expect(p.listingsOpen).toBeGreaterThanOrEqual(1);
    expect(p.listingsBid).toBeGreaterThanOrEqual(1);
    expect(p.listingsBid).toBe(p.bids.length);
    expect(p.bids.every((x: { amountMinor: number }) => x.amountMinor >= 10_000 && x.amountMinor <= 100_000)).toBe(true);
    expect(l.id).toMatch(/^lst_/);
    // The wallet (¥1,500) bounds the total, whatever the number of listings.
    expect(p.totalMinor).toBeLessThanOrEqual(150_000);
    expect(p.totalMinor).toBe(p.bids.reduce((s: number, b: { amountMinor: number }) => s + b.amountMinor, 0));
    const rates = await call(t.app, 'GET', '/api/v1/autobid/clearing-rates');
    expect(rates.statusCode).toBe(200);
    expect(rates.json().items.map((i: { grade: string }) => i.grade)).toEqual(['AA', 'A', 'B', 'C', 'D', 'E', 'HR']);
  }, 60_000);
});
