import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RouteEntry } from '../../src/http/plugins/auth.js';
import { call, expectInvariants, registerLender, uniq, type Session } from './helpers/api.js';
import { createTestStorage, startApp, type TestApp, type TestStorage } from './helpers/env.js';
import { ADMIN_ENV, adminToken, createPartner, type PartnerKey } from './helpers/partner.js';
import { acceptedBid, createListing, ratedBorrower } from './helpers/market.js';
import { issue, registerCore } from './helpers/claims.js';
import { addDays, isoDateOfMs } from '../../src/domain/dates.js';

/**
 * Every API route × every role × someone else's object ids: no unexpected 2xx. The table below must name
 * every route of the app (a new route without an entry fails this test), with the ids to try and a
 * valid body, so that a refusal is about who calls, not about a malformed request.
 */
type Role = 'anonymous' | 'lender' | 'borrower' | 'operator' | 'guarantor';
const ROLES: Role[] = ['anonymous', 'lender', 'borrower', 'operator', 'guarantor'];

interface Fixture {
  lenderA: Session;
  lenderB: Session;
  borrowerA: Session;
  borrowerB: Session;
  operator: string;
  partner: PartnerKey;
  merchantRefA: string;
  instructionA: string;
  listingA: string;
  bidA: string;
  loanA: string;
  /** Lender A's note of loan A. */
  noteA: string;
  offerA: string;
  claimA: string;
  /** An account the operator routes may freeze and review without touching the others. */
  spare: Session;
  merchantIdA: string;
  guarantorA: string;
  guarantorB: string;
  /** Guarantor A's pending guarantee of borrower B's listing. */
  guaranteeA: string;
}

interface RouteCase {
  /** Path with params filled with objects of user A (lender A or borrower A). */
  path: (f: Fixture) => string;
  body?: (f: Fixture) => unknown;
  /** Roles that get through to the handler for their own objects. */
  allowed: Role[];
  /** The path names an object of user A: B of the same role must get 404, not 2xx. */
  ownedBy?: 'lenderA' | 'borrowerA' | 'guarantorA';
}

const CASES: Record<string, RouteCase> = {
  'POST /api/v1/auth/register': { path: () => '/api/v1/auth/register', body: () => ({ email: `${uniq()}@example.com`, password: 'correct horse battery', role: 'lender', displayName: 'X' }), allowed: ROLES },
  'POST /api/v1/auth/login': { path: () => '/api/v1/auth/login', body: () => ({ email: 'nobody@example.com', password: 'whatever-password' }), allowed: ROLES },
  'POST /api/v1/auth/logout': { path: () => '/api/v1/auth/logout', allowed: ['lender', 'borrower', 'operator', 'guarantor'] },
  'GET /api/v1/me': { path: () => '/api/v1/me', allowed: ['lender', 'borrower', 'operator', 'guarantor'] },
  'PUT /api/v1/me/kyc': { path: () => '/api/v1/me/kyc', body: () => ({ legalName: '张三', idNumber: '110105199003070017', riskProfile: 'balanced' }), allowed: ['lender', 'borrower'] },
  'POST /api/v1/me/password': { path: () => '/api/v1/me/password', body: () => ({ currentPassword: 'wrong-password-x', newPassword: 'another long password' }), allowed: ['lender', 'borrower', 'operator', 'guarantor'] },
  'GET /api/v1/me/rating': { path: () => '/api/v1/me/rating', allowed: ['borrower'] },
  'GET /api/v1/wallet': { path: () => '/api/v1/wallet', allowed: ['lender', 'borrower', 'guarantor'] },
  'POST /api/v1/wallet/deposits': { path: () => '/api/v1/wallet/deposits', body: () => ({ amountMinor: 100 }), allowed: ['lender', 'borrower', 'guarantor'] },
  'POST /api/v1/wallet/withdrawals': { path: () => '/api/v1/wallet/withdrawals', body: () => ({ amountMinor: 100 }), allowed: ['lender', 'borrower', 'guarantor'] },
  'GET /api/v1/wallet/transfers': { path: () => '/api/v1/wallet/transfers', allowed: ['lender', 'borrower', 'guarantor'] },
  'POST /api/v1/custodian/callbacks': { path: () => '/api/v1/custodian/callbacks', body: (f) => ({ instructionId: f.instructionA, status: 'completed', externalRef: 'x' }), allowed: [] },
  'POST /api/v1/admin/partners': { path: () => '/api/v1/admin/partners', body: () => ({ name: 'P' }), allowed: ['operator'] },
  'GET /api/v1/admin/partners': { path: () => '/api/v1/admin/partners', allowed: ['operator'] },
  'POST /api/v1/admin/partners/:keyId/rotate': { path: (f) => `/api/v1/admin/partners/${f.partner.keyId}/rotate`, allowed: ['operator'] },
  'DELETE /api/v1/admin/partners/:keyId/secrets/:n': { path: (f) => `/api/v1/admin/partners/${f.partner.keyId}/secrets/1`, allowed: ['operator'] },
  'GET /api/v1/admin/invariants': { path: () => '/api/v1/admin/invariants', allowed: ['operator'] },
  'GET /api/v1/admin/webhooks': { path: () => '/api/v1/admin/webhooks', allowed: ['operator'] },
  'POST /api/v1/admin/webhooks/:id/replay': { path: () => '/api/v1/admin/webhooks/whd_0000000000000000000000/replay', allowed: ['operator'] },
  'PUT /api/v1/partner/merchants/:ref': { path: (f) => `/api/v1/partner/merchants/${f.merchantRefA}`, body: () => ({ name: 'X', legalForm: 'legal_person', openedAt: '2023-01-01', category: 'x' }), allowed: [] },
  'POST /api/v1/partner/merchants/:ref/orders': { path: (f) => `/api/v1/partner/merchants/${f.merchantRefA}/orders`, body: () => ({ orders: [{ orderId: 'z', amountMinor: 1, status: 'paid', placedAt: '2025-01-01T00:00:00Z' }] }), allowed: [] },
  'POST /api/v1/partner/merchants/:ref/invites': { path: (f) => `/api/v1/partner/merchants/${f.merchantRefA}/invites`, body: () => ({}), allowed: [] },
  'POST /api/v1/partner/warehouse-receipts': { path: () => '/api/v1/partner/warehouse-receipts', body: (f) => ({ receiptId: 'r1', merchantRef: f.merchantRefA, goods: 'g', quantity: 1, valueMinor: 100 }), allowed: [] },
  'GET /api/v1/partner/merchants/:ref/offers': { path: (f) => `/api/v1/partner/merchants/${f.merchantRefA}/offers`, allowed: [] },
  'PUT /api/v1/partner/webhook': { path: () => '/api/v1/partner/webhook', body: () => ({ url: null }), allowed: [] },
  'POST /api/v1/listings': {
    path: () => '/api/v1/listings',
    body: () => ({ title: 't', purpose: 'p', amountMinor: 100_000, termMonths: 3, maxRateBps: 1500, repayment: 'interest_only', product: 'credit' }),
    allowed: ['borrower'],
  },
  'GET /api/v1/listings': { path: () => '/api/v1/listings', allowed: ROLES },
  'GET /api/v1/listings/:id': { path: (f) => `/api/v1/listings/${f.listingA}`, allowed: ROLES },
  'GET /api/v1/schedule-preview': { path: () => '/api/v1/schedule-preview?amountMinor=100000&termMonths=3&rateBps=1200&repayment=equal_installment', allowed: ROLES },
  'POST /api/v1/listings/:id/withdraw': { path: (f) => `/api/v1/listings/${f.listingA}/withdraw`, allowed: ['borrower'], ownedBy: 'borrowerA' },
  'POST /api/v1/listings/:id/bids': { path: (f) => `/api/v1/listings/${f.listingA}/bids`, body: () => ({ amountMinor: 10_000, rateBps: 1 }), allowed: ['lender'] },
  'PATCH /api/v1/bids/:id': { path: (f) => `/api/v1/bids/${f.bidA}`, body: () => ({ rateBps: 100 }), allowed: ['lender'], ownedBy: 'lenderA' },
  'GET /api/v1/me/bids': { path: () => '/api/v1/me/bids', allowed: ['lender'] },
  'GET /api/v1/me/autobid': { path: () => '/api/v1/me/autobid', allowed: ['lender'] },
  'PUT /api/v1/me/autobid': { path: () => '/api/v1/me/autobid', body: () => ({ enabled: false, amountPerListingMinor: 10_000, maxPerBorrowerMinor: 100_000, budgetMinor: 100_000, reserveMinor: 0, minRateBpsByGrade: { AA: 900 } }), allowed: ['lender'] },
  'POST /api/v1/me/autobid/preview': { path: () => '/api/v1/me/autobid/preview', body: () => ({ enabled: true, amountPerListingMinor: 10_000, maxPerBorrowerMinor: 100_000, budgetMinor: 100_000, reserveMinor: 0, minRateBpsByGrade: { AA: 900 } }), allowed: ['lender'] },
  'GET /api/v1/me/autobid/log': { path: () => '/api/v1/me/autobid/log', allowed: ['lender'] },
  'GET /api/v1/autobid/clearing-rates': { path: () => '/api/v1/autobid/clearing-rates', allowed: ROLES },
  'GET /api/v1/me/collateral': { path: () => '/api/v1/me/collateral', allowed: ['borrower'] },
  'GET /api/v1/me/listings': { path: () => '/api/v1/me/listings', allowed: ['borrower'] },
  'GET /api/v1/loans/:id': { path: (f) => `/api/v1/loans/${f.loanA}`, allowed: ['borrower', 'lender'], ownedBy: 'borrowerA' },
  'GET /api/v1/me/loans': { path: () => '/api/v1/me/loans', allowed: ['borrower'] },
  'GET /api/v1/me/notes': { path: () => '/api/v1/me/notes', allowed: ['lender'] },
  // Servicing. Amounts above any payoff: a caller that gets through is refused by the rules, and no money moves.
  'POST /api/v1/loans/:id/repayments': { path: (f) => `/api/v1/loans/${f.loanA}/repayments`, body: () => ({ amountMinor: 100 }), allowed: ['borrower'], ownedBy: 'borrowerA' },
  'GET /api/v1/loans/:id/owed': { path: (f) => `/api/v1/loans/${f.loanA}/owed`, allowed: ['borrower', 'lender'], ownedBy: 'borrowerA' },
  'GET /api/v1/me/portfolio': { path: () => '/api/v1/me/portfolio', allowed: ['lender'] },
  'GET /api/v1/me/notes.csv': { path: () => '/api/v1/me/notes.csv', allowed: ['lender'] },
  'GET /api/v1/me/loans.csv': { path: () => '/api/v1/me/loans.csv', allowed: ['borrower'] },
  'GET /api/v1/stats': { path: () => '/api/v1/stats', allowed: ROLES },
  'GET /api/v1/stats.csv': { path: () => '/api/v1/stats.csv', allowed: ROLES },
  'POST /api/v1/admin/loans/:id/recoveries': { path: (f) => `/api/v1/admin/loans/${f.loanA}/recoveries`, body: () => ({ amountMinor: 900_000_000_000, reference: 'sale' }), allowed: ['operator'] },
  'GET /api/v1/ws': { path: () => '/api/v1/ws', allowed: ROLES },
  // Widget data: no session at all; the publishable key and the page's Origin decide (widgets-api.test.ts).
  'GET /api/v1/widgets/listings/:id': { path: (f) => `/api/v1/widgets/listings/${f.listingA}?key=pub_none`, allowed: [] },
  'GET /api/v1/widgets/merchants/:ref': { path: (f) => `/api/v1/widgets/merchants/${f.merchantRefA}?key=pub_none`, allowed: [] },
  'GET /api/v1/widgets/merchants/:ref/orders/:orderId/offer': { path: (f) => `/api/v1/widgets/merchants/${f.merchantRefA}/orders/x/offer?key=pub_none`, allowed: [] },
  'POST /api/v1/admin/partners/:partnerId/publishable-keys': { path: (f) => `/api/v1/admin/partners/${f.partner.partnerId}/publishable-keys`, body: () => ({ allowedOrigins: ['https://shop.example'] }), allowed: ['operator'] },
  'GET /api/v1/admin/publishable-keys': { path: () => '/api/v1/admin/publishable-keys', allowed: ['operator'] },
  'POST /api/v1/admin/publishable-keys/:key/revoke': { path: () => '/api/v1/admin/publishable-keys/pub_none/revoke', allowed: ['operator'] },
  'GET /api/v1/admin/settings': { path: () => '/api/v1/admin/settings', allowed: ['operator'] },
  'PUT /api/v1/admin/settings': { path: () => '/api/v1/admin/settings', body: () => ({ minBidMinor: null }), allowed: ['operator'] },
  'POST /api/v1/admin/clock': { path: () => '/api/v1/admin/clock', body: () => ({ advanceMs: 1 }), allowed: ['operator'] },
  // Note transfers. A purchase far above the offer: a caller that gets through is refused by the rules, and no money moves.
  'POST /api/v1/notes/:id/offers': { path: (f) => `/api/v1/notes/${f.noteA}/offers`, body: () => ({ principalMinor: 10_000, priceBps: 10_000 }), allowed: ['lender'], ownedBy: 'lenderA' },
  'GET /api/v1/notes/:id/offer-preview': { path: (f) => `/api/v1/notes/${f.noteA}/offer-preview`, allowed: ['lender'], ownedBy: 'lenderA' },
  'DELETE /api/v1/note-offers/:id': { path: (f) => `/api/v1/note-offers/${f.offerA}`, allowed: ['lender'], ownedBy: 'lenderA' },
  'GET /api/v1/note-offers': { path: () => '/api/v1/note-offers', allowed: ROLES },
  'GET /api/v1/note-offers/:id': { path: (f) => `/api/v1/note-offers/${f.offerA}`, allowed: ROLES },
  'GET /api/v1/note-offers/:id/quote': { path: (f) => `/api/v1/note-offers/${f.offerA}/quote`, allowed: ['lender'] },
  'POST /api/v1/note-offers/:id/buy': { path: (f) => `/api/v1/note-offers/${f.offerA}/buy`, body: () => ({ principalMinor: 900_000_000_000 }), allowed: ['lender'] },
  'GET /api/v1/me/note-offers': { path: () => '/api/v1/me/note-offers', allowed: ['lender'] },
  'GET /api/v1/me/note-transfers': { path: () => '/api/v1/me/note-transfers', allowed: ['lender'] },
  // Supply-chain finance: core enterprises sign with their own key; claims belong to their holder.
  'POST /api/v1/admin/core-enterprises': { path: () => '/api/v1/admin/core-enterprises', body: (f) => ({ partnerId: f.partner.partnerId, name: 'C', legalForm: 'legal_person', grade: 'AA', limitMinor: 100_000 }), allowed: ['operator'] },
  'GET /api/v1/admin/core-enterprises': { path: () => '/api/v1/admin/core-enterprises', allowed: ['operator'] },
  'POST /api/v1/admin/core-enterprises/:keyId/rotate': { path: () => '/api/v1/admin/core-enterprises/ck_0000000000000000000000/rotate', allowed: ['operator'] },
  'POST /api/v1/core/payables': { path: () => '/api/v1/core/payables', body: (f) => ({ payableRef: 'p1', supplierMerchantRef: f.merchantRefA, amountMinor: 100, dueDate: '2031-01-01' }), allowed: [] },
  'GET /api/v1/core/payables/:ref': { path: () => '/api/v1/core/payables/p1', allowed: [] },
  'POST /api/v1/core/payables/:ref/settle': { path: () => '/api/v1/core/payables/p1/settle', body: () => ({}), allowed: [] },
  'GET /api/v1/core/wallet': { path: () => '/api/v1/core/wallet', allowed: [] },
  'POST /api/v1/core/wallet/deposits': { path: () => '/api/v1/core/wallet/deposits', body: () => ({ amountMinor: 100 }), allowed: [] },
  'GET /api/v1/me/claims': { path: () => '/api/v1/me/claims', allowed: ['borrower'] },
  'POST /api/v1/claims/:id/assign': { path: (f) => `/api/v1/claims/${f.claimA}/assign`, body: (f) => ({ toMerchantRef: f.merchantRefA, amountMinor: 900_000_000_000 }), allowed: ['borrower'], ownedBy: 'borrowerA' },
  'GET /api/v1/partner/wallet': { path: () => '/api/v1/partner/wallet', allowed: [] },
  'POST /api/v1/partner/wallet/deposits': { path: () => '/api/v1/partner/wallet/deposits', body: () => ({ amountMinor: 100 }), allowed: [] },
  'POST /api/v1/partner/merchants/:ref/orders/:orderId/proceeds': { path: (f) => `/api/v1/partner/merchants/${f.merchantRefA}/orders/x/proceeds`, body: () => ({ amountMinor: 100 }), allowed: [] },
  // Statements, notifications, the watchlist, note histories, operators' users page.
  'GET /api/v1/wallet/statement': { path: () => '/api/v1/wallet/statement', allowed: ['lender', 'borrower', 'guarantor'] },
  'GET /api/v1/wallet/statement.csv': { path: () => '/api/v1/wallet/statement.csv', allowed: ['lender', 'borrower', 'guarantor'] },
  'GET /api/v1/wallet/statements/:year': { path: () => '/api/v1/wallet/statements/2030', allowed: ['lender', 'borrower', 'guarantor'] },
  'GET /api/v1/loans/:id/repayment-preview': { path: (f) => `/api/v1/loans/${f.loanA}/repayment-preview?amountMinor=100`, allowed: ['borrower'], ownedBy: 'borrowerA' },
  'GET /api/v1/me/notifications': { path: () => '/api/v1/me/notifications', allowed: ['lender', 'borrower', 'operator', 'guarantor'] },
  'POST /api/v1/me/notifications/read': { path: () => '/api/v1/me/notifications/read', body: () => ({ all: true }), allowed: ['lender', 'borrower', 'operator', 'guarantor'] },
  'GET /api/v1/me/notification-preferences': { path: () => '/api/v1/me/notification-preferences', allowed: ['lender', 'borrower', 'operator', 'guarantor'] },
  'PUT /api/v1/me/notification-preferences': { path: () => '/api/v1/me/notification-preferences', body: () => ({}), allowed: ['lender', 'borrower', 'operator', 'guarantor'] },
  'GET /api/v1/me/watchlist': { path: () => '/api/v1/me/watchlist', allowed: ['lender', 'borrower'] },
  'PUT /api/v1/me/watchlist/:id': { path: (f) => `/api/v1/me/watchlist/${f.listingA}`, allowed: ['lender', 'borrower'] },
  'DELETE /api/v1/me/watchlist/:id': { path: (f) => `/api/v1/me/watchlist/${f.listingA}`, allowed: ['lender', 'borrower'] },
  'GET /api/v1/me/notes/:id/repayments': { path: (f) => `/api/v1/me/notes/${f.noteA}/repayments`, allowed: ['lender'], ownedBy: 'lenderA' },
  'GET /api/v1/admin/users': { path: () => '/api/v1/admin/users?q=lender', allowed: ['operator'] },
  'GET /api/v1/admin/users/:id': { path: (f) => `/api/v1/admin/users/${f.spare.userId}`, allowed: ['operator'] },
  'POST /api/v1/admin/users/:id/freeze': { path: (f) => `/api/v1/admin/users/${f.spare.userId}/freeze`, body: () => ({ reason: 'matrix check' }), allowed: ['operator'] },
  'POST /api/v1/admin/users/:id/unfreeze': { path: (f) => `/api/v1/admin/users/${f.spare.userId}/unfreeze`, body: () => ({ reason: 'matrix check' }), allowed: ['operator'] },
  'POST /api/v1/admin/users/:id/identity-review': { path: (f) => `/api/v1/admin/users/${f.spare.userId}/identity-review`, body: () => ({ outcome: 'confirmed', reason: 'matrix check' }), allowed: ['operator'] },
  'POST /api/v1/admin/guarantors': {
    path: () => '/api/v1/admin/guarantors',
    body: () => ({ name: 'G', licenceNo: uniq('LIC'), registeredCapitalMinor: 100_000, email: `${uniq('g')}@example.com`, password: 'guarantee company password' }),
    allowed: ['operator'],
  },
  'GET /api/v1/admin/guarantors': { path: () => '/api/v1/admin/guarantors', allowed: ['operator'] },
  'GET /api/v1/admin/merchants': { path: () => '/api/v1/admin/merchants?relatedParty=false', allowed: ['operator'] },
  'PUT /api/v1/admin/merchants/:id': { path: (f) => `/api/v1/admin/merchants/${f.merchantIdA}`, body: () => ({ relatedParty: false }), allowed: ['operator'] },
  'GET /api/v1/guarantors': { path: () => '/api/v1/guarantors', allowed: ROLES },
  'GET /api/v1/me/guarantor': { path: () => '/api/v1/me/guarantor', allowed: ['guarantor'] },
  'GET /api/v1/guarantees': { path: () => '/api/v1/guarantees', allowed: ['guarantor'] },
  'POST /api/v1/guarantees/:id/accept': { path: (f) => `/api/v1/guarantees/${f.guaranteeA}/accept`, body: () => ({}), allowed: ['guarantor'], ownedBy: 'guarantorA' },
  'POST /api/v1/guarantees/:id/decline': { path: (f) => `/api/v1/guarantees/${f.guaranteeA}/decline`, body: () => ({}), allowed: ['guarantor'], ownedBy: 'guarantorA' },
  'POST /api/v1/guarantees/:id/pay': { path: (f) => `/api/v1/guarantees/${f.guaranteeA}/pay`, body: () => ({}), allowed: ['guarantor'], ownedBy: 'guarantorA' },
  'GET /api/v1/admin/audit-log': { path: () => '/api/v1/admin/audit-log', allowed: ['operator'] },
};

let storage: TestStorage;
let t: TestApp;
let f: Fixture;
beforeAll(async () => {
  storage = await createTestStorage();
  t = await startApp(storage, { env: { ...ADMIN_ENV, LENDBOOK_CLOCK: 'settable' } });
  const partner = await createPartner(t.app);
  const lenderA = await registerLender(t.app, { depositMinor: 1_000_000, displayName: 'Alice Lender' });
  const deposit = await call(t.app, 'POST', '/api/v1/wallet/deposits', { token: lenderA.token, body: { amountMinor: 12_345 } });
  const borrowerA = await ratedBorrower(t.app, partner);
  const borrowerB = await ratedBorrower(t.app, partner);
  // Borrower A: a loan (cleared listing, lender A's note) and an open listing with lender A's bid.
  const cleared = await createListing(t.app, borrowerA, { amountMinor: 100_000, closeWhenFunded: true });
  const filled = await acceptedBid(t.app, lenderA.token, cleared.id, 100_000, 1000);
  expect(filled.status).toBe('filled');
  const loanA = (await call(t.app, 'GET', `/api/v1/listings/${cleared.id}`)).json().loanId as string;
  const noteA = (await call(t.app, 'GET', '/api/v1/me/notes', { token: lenderA.token })).json().items[0].id as string;
  const offerA = await call(t.app, 'POST', `/api/v1/notes/${noteA}/offers`, { token: lenderA.token, body: { principalMinor: 50_000, priceBps: 10_000 } });
  expect(offerA.statusCode, offerA.body).toBe(201);
  const open = await createListing(t.app, borrowerA, { amountMinor: 500_000 });
  const bidA = await acceptedBid(t.app, lenderA.token, open.id, 100_000, 1200);
  const operatorToken = await adminToken(t.app);
  const guarantors: { id: string; token: string }[] = [];
  for (const who of ['a', 'b']) {
    const email = `${uniq(`guarantor-${who}`)}@example.com`;
    const reg = await call(t.app, 'POST', '/api/v1/admin/guarantors', { token: operatorToken, body: { name: `Guarantor ${who}`, licenceNo: uniq('LIC'), registeredCapitalMinor: 100_000_000, email, password: 'guarantee company password' } });
    expect(reg.statusCode, reg.body).toBe(201);
    guarantors.push({ id: reg.json().id, token: (await call(t.app, 'POST', '/api/v1/auth/login', { body: { email, password: 'guarantee company password' } })).json().token });
  }
  const asked = await call(t.app, 'POST', '/api/v1/listings', {
    token: borrowerB.token,
    body: { title: 't', purpose: 'p', amountMinor: 100_000, termMonths: 3, maxRateBps: 1500, repayment: 'interest_only', product: 'credit', guarantee: { guarantorId: guarantors[0]!.id, coveragePct: 50, feeBps: 100 } },
  });
  expect(asked.statusCode, asked.body).toBe(201);
  const guaranteeA = (await call(t.app, 'GET', '/api/v1/guarantees', { token: guarantors[0]!.token })).json().items[0].id as string;
  const core = await registerCore(t.app, partner);
  const { claimId } = await issue(t.app, core, { supplierMerchantRef: borrowerA.merchantRef, amountMinor: 1_000_000, dueDate: addDays(isoDateOfMs(t.app.ctx.clock.nowMs()), 60) });
  f = {
    lenderA,
    lenderB: await registerLender(t.app, { depositMinor: 500_000 }),
    borrowerA,
    borrowerB,
    operator: await adminToken(t.app),
    partner,
    merchantRefA: borrowerA.merchantRef,
    instructionA: deposit.json().id,
    listingA: open.id,
    bidA: bidA.id,
    loanA,
    noteA,
    offerA: offerA.json().id,
    claimA: claimId,
    spare: await registerLender(t.app),
    merchantIdA: borrowerA.merchantId,
    guarantorA: guarantors[0]!.token,
    guarantorB: guarantors[1]!.token,
    guaranteeA,
  };
});
afterAll(async () => {
  if (t) await expectInvariants(t.app);
  await t?.close();
  await storage?.dispose();
});

function tokenFor(role: Role, who: 'A' | 'B' = 'B'): string | undefined {
  switch (role) {
    case 'anonymous':
      return undefined;
    case 'lender':
      return who === 'A' ? f.lenderA.token : f.lenderB.token;
    case 'borrower':
      return who === 'A' ? f.borrowerA.token : f.borrowerB.token;
    case 'operator':
      return f.operator;
    case 'guarantor':
      return who === 'A' ? f.guarantorA : f.guarantorB;
  }
}

describe('authorization matrix', () => {
  it('covers every route of the app', () => {
    const routes = t.app.routeCatalog.map((r: RouteEntry) => `${r.method} ${r.url}`);
    expect(routes.filter((r) => !CASES[r])).toEqual([]);
    expect(Object.keys(CASES).filter((k) => !routes.includes(k))).toEqual([]);
  });

  it('each role × each route: only the declared roles get through; signed routes refuse sessions', async () => {
    const unexpected: string[] = [];
    for (const route of t.app.routeCatalog) {
      const key = `${route.method} ${route.url}`;
      const c = CASES[key]!;
      for (const role of ROLES) {
        // Logout and password changes would end the fixture's sessions: their refusals are what matters here.
        if (c.allowed.includes(role) && (key.endsWith('/logout') || key.endsWith('/password'))) continue;
        const res = await call(t.app, route.method as 'GET', c.path(f), { token: tokenFor(role), ...(c.body ? { body: c.body(f) } : {}) });
        const allowed = c.allowed.includes(role);
        if (!allowed && res.statusCode < 300) unexpected.push(`${key} as ${role}: ${res.statusCode}`);
        if (!allowed) {
          const widget = key.startsWith('GET /api/v1/widgets/');
          const want = widget ? [401, 403] : route.access === 'partner' || route.access === 'core' || route.access === 'custodian' ? [401] : role === 'anonymous' ? [401] : [403];
          if (!want.includes(res.statusCode)) unexpected.push(`${key} as ${role}: ${res.statusCode} ${res.body.slice(0, 120)}`);
        }
        if (res.statusCode >= 500) unexpected.push(`${key} as ${role}: ${res.statusCode}`);
      }
    }
    console.log(`authorization matrix: ${t.app.routeCatalog.length} routes × ${ROLES.length} roles, ${unexpected.length} unexpected`);
    expect(unexpected).toEqual([]);
  });

  it("someone else's objects are never returned or changed (BOLA)", async () => {
    const unexpected: string[] = [];
    let checked = 0;
    for (const route of t.app.routeCatalog) {
      const key = `${route.method} ${route.url}`;
      const c = CASES[key]!;
      if (!c.ownedBy) continue;
      const role: Role = c.ownedBy === 'lenderA' ? 'lender' : c.ownedBy === 'guarantorA' ? 'guarantor' : 'borrower';
      const res = await call(t.app, route.method as 'GET', c.path(f), { token: tokenFor(role, 'B'), ...(c.body ? { body: c.body(f) } : {}) });
      checked++;
      if (res.statusCode !== 404) unexpected.push(`${key} as the other ${role}: ${res.statusCode}`);
      // A lender of another loan is a stranger to this one too.
      if (key === 'GET /api/v1/loans/:id') {
        const asLender = await call(t.app, 'GET', c.path(f), { token: f.lenderB.token });
        if (asLender.statusCode !== 404) unexpected.push(`${key} as another lender: ${asLender.statusCode}`);
        const asNoteHolder = await call(t.app, 'GET', c.path(f), { token: f.lenderA.token });
        if (asNoteHolder.statusCode !== 200) unexpected.push(`${key} as its note holder: ${asNoteHolder.statusCode}`);
      }
    }
    expect(checked).toBeGreaterThanOrEqual(3);
    expect(unexpected).toEqual([]);
  });

  it("a lender never sees another user's wallet, ledger lines or identity", async () => {
    const secrets = [f.lenderA.userId, f.lenderA.email, 'Alice Lender', f.instructionA, f.borrowerA.userId, f.bidA];
    for (const path of ['/api/v1/me', '/api/v1/wallet', '/api/v1/wallet/transfers', '/api/v1/me/bids', '/api/v1/me/notes', '/api/v1/me/portfolio', '/api/v1/me/notes.csv', '/api/v1/stats', `/api/v1/listings/${f.listingA}`, '/api/v1/listings']) {
      const res = await call(t.app, 'GET', path, { token: f.lenderB.token });
      expect(res.statusCode).toBe(200);
      // The public book shows bids anonymously: by id, never by lender.
      const hidden = path.startsWith('/api/v1/listings/') ? secrets.filter((x) => x !== f.bidA) : secrets;
      for (const s of hidden) expect(res.body, `${path} leaks ${s}`).not.toContain(s);
    }
    const mine = await call(t.app, 'GET', '/api/v1/wallet', { token: f.lenderB.token });
    // Lender B's own money (the matrix above placed a small bid with it): all of it, and only it.
    expect(mine.json().availableMinor + mine.json().heldMinor).toBe(500_000);
  });

  it('mass assignment: a body with fields the route does not take is refused', async () => {
    for (const route of t.app.routeCatalog) {
      const key = `${route.method} ${route.url}`;
      const c = CASES[key]!;
      if (!c.body || route.access === 'partner' || route.access === 'core' || route.access === 'custodian') continue;
      const body = c.body(f);
      if (typeof body !== 'object' || body === null || Array.isArray(body)) continue;
      const role = c.allowed.find((r) => r !== 'anonymous') ?? 'anonymous';
      for (const extra of ['status', 'lenderId', 'userId', 'role', 'rateBps', 'availableMinor']) {
        if (extra in body) continue;
        const res = await call(t.app, route.method as 'POST', c.path(f), { token: tokenFor(role, 'B'), body: { ...body, [extra]: 'x' } });
        expect(res.statusCode, `${key} with ${extra}`).toBe(400);
      }
    }
  });
});
