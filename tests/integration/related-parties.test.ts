import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, expectInvariants, registerLender } from './helpers/api.js';
import { createTestStorage, startApp, type TestApp, type TestStorage } from './helpers/env.js';
import { acceptedBid, createListing, listing, ratedBorrower, type Borrower } from './helpers/market.js';
import { ADMIN_ENV, adminToken, createPartner } from './helpers/partner.js';

/**
 * Related parties (docs/servicing.md "Disclosure", docs/operators.md): operators find a merchant, mark it
 * related with a reason kept in the audit log of its borrower account, and the disclosure counts its loan
 * as related-party lending; taking the mark off takes it out again.
 */
let storage: TestStorage;
let t: TestApp;
let admin = '';
let borrower: Borrower;
let other: Borrower;
let loanPrincipalMinor = 0;

beforeAll(async () => {
  storage = await createTestStorage();
  t = await startApp(storage, { env: { ...ADMIN_ENV, LENDBOOK_WORKERS: 'false' } });
  admin = await adminToken(t.app);
  const partner = await createPartner(t.app);
  borrower = await ratedBorrower(t.app, partner);
  other = await ratedBorrower(t.app, partner);
  const lender = await registerLender(t.app, { depositMinor: 2_000_000 });
  const l = await createListing(t.app, borrower, { amountMinor: 1_000_000, termMonths: 6, maxRateBps: 1500, closeWhenFunded: true, durationSec: 86_400 });
  await acceptedBid(t.app, lender.token, l.id, 1_000_000, 1100);
  const after = await listing(t.app, l.id);
  expect(after.status).toBe('cleared');
  loanPrincipalMinor = 1_000_000;
});
afterAll(async () => {
  if (t) await expectInvariants(t.app);
  await t?.close();
  await storage?.dispose();
});

async function merchants(query: string) {
  const res = await call(t.app, 'GET', `/api/v1/admin/merchants${query}`, { token: admin });
  expect(res.statusCode, res.body).toBe(200);
  return res.json() as { items: { id: string; ref: string; name: string; borrowerEmail: string | null; relatedParty: boolean; activeLoans: number; outstandingPrincipalMinor: number }[]; nextCursor: string | null };
}

async function relatedToday(): Promise<{ relatedPartyLoans: number; relatedPartyOutstandingMinor: number }> {
  const stats = (await call(t.app, 'GET', '/api/v1/stats')).json() as { months: { relatedPartyLoans: number; relatedPartyOutstandingMinor: number }[] };
  return stats.months.at(-1)!;
}

describe('related parties', () => {
  it('operators find a merchant by its ref or its borrower’s e-mail, with its active lending', async () => {
    const byRef = await merchants(`?q=${encodeURIComponent(borrower.merchantRef)}`);
    expect(byRef.items.map((m) => m.id)).toEqual([borrower.merchantId]);
    expect(byRef.items[0]).toMatchObject({ relatedParty: false, borrowerEmail: borrower.email, activeLoans: 1, outstandingPrincipalMinor: loanPrincipalMinor });
    const byEmail = await merchants(`?q=${encodeURIComponent(other.email)}`);
    expect(byEmail.items).toEqual([expect.objectContaining({ id: other.merchantId, activeLoans: 0, outstandingPrincipalMinor: 0 })]);
    // Paged newest first, each merchant once.
    const first = await merchants('?limit=1');
    expect(first.items).toHaveLength(1);
    expect(first.nextCursor).toBe(first.items[0]!.id);
    const second = await merchants(`?limit=1&cursor=${first.nextCursor}`);
    expect(second.items[0]!.id < first.items[0]!.id).toBe(true);
  });

  it('marking a merchant related counts its loan in the disclosure, and the audit log says who and why', async () => {
    expect(await relatedToday()).toMatchObject({ relatedPartyLoans: 0, relatedPartyOutstandingMinor: 0 });
    const res = await call(t.app, 'PUT', `/api/v1/admin/merchants/${borrower.merchantId}`, { token: admin, body: { relatedParty: true, reason: 'owned by a shareholder of the platform' } });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toMatchObject({ id: borrower.merchantId, relatedParty: true, activeLoans: 1 });
    expect(await relatedToday()).toMatchObject({ relatedPartyLoans: 1, relatedPartyOutstandingMinor: loanPrincipalMinor });
    expect((await merchants('?relatedParty=true')).items.map((m) => m.id)).toEqual([borrower.merchantId]);
    expect((await merchants('?relatedParty=false')).items.map((m) => m.id)).not.toContain(borrower.merchantId);

    // Marking it again changes nothing and writes nothing.
    const again = await call(t.app, 'PUT', `/api/v1/admin/merchants/${borrower.merchantId}`, { token: admin, body: { relatedParty: true, reason: 'again' } });
    expect(again.statusCode).toBe(200);
    const detail = (await call(t.app, 'GET', `/api/v1/admin/users/${borrower.userId}`, { token: admin })).json() as { audit: { action: string; reason: string }[] };
    expect(detail.audit.filter((a) => a.action.startsWith('related_party'))).toEqual([expect.objectContaining({ action: 'related_party_marked', reason: 'owned by a shareholder of the platform' })]);
  });

  it('taking the mark off takes the loan out of related-party lending again', async () => {
    const res = await call(t.app, 'PUT', `/api/v1/admin/merchants/${borrower.merchantId}`, { token: admin, body: { relatedParty: false, reason: 'shareholding sold' } });
    expect(res.json()).toMatchObject({ relatedParty: false });
    expect(await relatedToday()).toMatchObject({ relatedPartyLoans: 0, relatedPartyOutstandingMinor: 0 });
    const detail = (await call(t.app, 'GET', `/api/v1/admin/users/${borrower.userId}`, { token: admin })).json() as { audit: { action: string }[] };
    expect(detail.audit.filter((a) => a.action.startsWith('related_party')).map((a) => a.action).sort()).toEqual(['related_party_marked', 'related_party_unmarked']);
  });

  it('bad input is refused and changes nothing', async () => {
    const unknown = await call(t.app, 'PUT', '/api/v1/admin/merchants/mer_000000000000000000000000', { token: admin, body: { relatedParty: true } });
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json().code).toBe('MERCHANT_NOT_FOUND');
    const noFlag = await call(t.app, 'PUT', `/api/v1/admin/merchants/${borrower.merchantId}`, { token: admin, body: { reason: 'x' } });
    expect(noFlag.statusCode).toBe(400);
    expect(noFlag.json().code).toBe('VALIDATION_FAILED');
    const badFilter = await call(t.app, 'GET', '/api/v1/admin/merchants?relatedParty=yes', { token: admin });
    expect(badFilter.statusCode).toBe(400);
    expect((await merchants(`?q=${encodeURIComponent(borrower.merchantRef)}`)).items[0]!.relatedParty).toBe(false);
  });
});
