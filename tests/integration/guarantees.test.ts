import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rows } from '../../src/db/client.js';
import { allocateLargestRemainder } from '../../src/domain/money.js';
import { owedToday } from '../../src/domain/servicing/index.js';
import { checkInvariants } from '../../src/services/invariants.js';
import { serviceDueLoans } from '../../src/services/servicing.js';
import { call, expectInvariants, registerLender, uniq, walletOfToken, type Session } from './helpers/api.js';
import { createTestStorage, startApp, type TestApp, type TestStorage } from './helpers/env.js';
import { acceptedBid, bid, listing, ratedBorrower, type Borrower } from './helpers/market.js';
import { ADMIN_ENV, adminToken, createPartner, type PartnerKey } from './helpers/partner.js';
import { loanOf, messagesTo, setClock, webhooksOf } from './helpers/servicing.js';

/**
 * Third-party guarantors (docs/guarantees.md): a listing naming one waits for it; acceptance within the
 * capacity, also when two race; the fee from the disbursement; a default fixes what the guarantor owes;
 * unpaid past its days it shows as overdue; its payment gives each holder its coverage of its claim to
 * the fen; later recoveries are shared pro rata; the platform's accounts never move.
 */
let storage: TestStorage;
let t: TestApp;
let partner: PartnerKey;
let operator: string;
const L: Session[] = [];
let guarantor: { id: string; userId: string; token: string };

async function newGuarantor(capitalMinor: number) {
  const email = `${uniq('gtr')}@example.com`;
  const res = await call(t.app, 'POST', '/api/v1/admin/guarantors', { token: operator, body: { name: `担保公司 ${uniq('g')}`, licenceNo: uniq('LIC'), registeredCapitalMinor: capitalMinor, email, password: 'guarantee company password' } });
  expect(res.statusCode, res.body).toBe(201);
  const login = await call(t.app, 'POST', '/api/v1/auth/login', { body: { email, password: 'guarantee company password' } });
  expect(login.statusCode, login.body).toBe(200);
  return { ...(res.json() as { id: string; userId: string }), token: login.json().token as string };
}

async function guaranteedListing(b: Borrower, guarantorId: string, amountMinor: number, coveragePct = 80, feeBps = 200) {
  const res = await call(t.app, 'POST', '/api/v1/listings', {
    token: b.token,
    body: { title: 'Stock', purpose: 'Inventory', amountMinor, termMonths: 6, maxRateBps: 1500, repayment: 'equal_principal', product: 'credit', pricing: 'uniform', closeWhenFunded: true, durationSec: 86_400, guarantee: { guarantorId, coveragePct, feeBps } },
  });
  expect(res.statusCode, res.body).toBe(201);
  return res.json() as { id: string; status: string };
}

async function guaranteeOf(token: string, listingId: string) {
  const res = await call(t.app, 'GET', '/api/v1/guarantees?limit=100', { token });
  expect(res.statusCode, res.body).toBe(200);
  return (res.json().items as { id: string; listingId: string; status: string; owedMinor: number; paidMinor: number; recoveredMinor: number; feeMinor: number; payBy: string | null; overdue: boolean }[]).find((g) => g.listingId === listingId)!;
}

async function platformAccounts() {
  return rows<{ id: string; debits: number; credits: number }>(
    t.app.ctx.db,
    sql`select a.id, (a.debits_posted_minor + a.debits_pending_minor)::bigint as debits, (a.credits_posted_minor + a.credits_pending_minor)::bigint as credits
        from ledger_accounts a left join users u on u.id = a.owner_user_id where a.kind = 'platform_fees' or u.role = 'operator' order by a.id`,
  );
}

beforeAll(async () => {
  storage = await createTestStorage();
  t = await startApp(storage, { env: { ...ADMIN_ENV, LENDBOOK_CLOCK: 'settable', LENDBOOK_PREPAYMENT_FEE_BPS: '0', LENDBOOK_PLATFORM_FEE_BPS: '100', LENDBOOK_WORKERS: 'false', LENDBOOK_ALLOW_HTTP_WEBHOOKS: 'on' } });
  await setClock(t.app, '2031-01-10T01:00:00Z');
  operator = await adminToken(t.app);
  partner = await createPartner(t.app, { webhookUrl: 'http://localhost:9/unreachable' });
  for (let i = 0; i < 3; i++) L.push(await registerLender(t.app, { depositMinor: 3_000_000 }));
  // Capital ¥10,000 × leverage 10: ¥100,000 of covered principal.
  guarantor = await newGuarantor(1_000_000);
});
afterAll(async () => {
  if (t) await expectInvariants(t.app);
  await t?.close();
  await storage?.dispose();
});

describe('a guaranteed loan from request to recovery', () => {
  let b: Borrower;
  let listingId: string;
  let loanId: string;
  let platformBefore: Awaited<ReturnType<typeof platformAccounts>>;

  it('waits in pending_guarantee, not biddable, until the guarantor accepts; then opens with its badge', async () => {
    b = await ratedBorrower(t.app, partner);
    const l = await guaranteedListing(b, guarantor.id, 600_000);
    listingId = l.id;
    expect(l.status).toBe('pending_guarantee');
    const refused = await bid(t.app, L[0]!.token, listingId, 200_000, 1000);
    expect(refused.json().code).toBe('LISTING_NOT_OPEN');
    const pending = await guaranteeOf(guarantor.token, listingId);
    expect(pending).toMatchObject({ status: 'pending' });
    expect((await messagesTo(t.app, `user:${guarantor.userId}`, 'guarantee.requested')).some((m) => m.listingId === listingId)).toBe(true);
    // Only its guarantor may decide: a lender is forbidden, another guarantor finds nothing.
    expect((await call(t.app, 'POST', `/api/v1/guarantees/${pending.id}/accept`, { token: L[0]!.token, body: {} })).statusCode).toBe(403);
    const other = await newGuarantor(1_000_000);
    expect((await call(t.app, 'POST', `/api/v1/guarantees/${pending.id}/accept`, { token: other.token, body: {} })).statusCode).toBe(404);

    await setClock(t.app, '2031-01-10T02:00:00Z');
    const accepted = await call(t.app, 'POST', `/api/v1/guarantees/${pending.id}/accept`, { token: guarantor.token, body: {} });
    expect(accepted.statusCode, accepted.body).toBe(200);
    expect(accepted.json()).toMatchObject({ status: 'active', coveredMinor: 480_000 });
    const shown = await listing(t.app, listingId);
    expect(shown.status).toBe('open');
    // The auction runs its full day from the acceptance (the settable clock runs on at real speed after a move).
    const endsAtMs = Date.parse(shown.endsAt);
    expect(endsAtMs).toBeGreaterThanOrEqual(Date.parse('2031-01-11T02:00:00Z'));
    expect(endsAtMs).toBeLessThan(Date.parse('2031-01-11T02:10:00Z'));
    expect(shown.guarantee).toMatchObject({ guarantorId: guarantor.id, coveragePct: 80, feeBps: 200, status: 'active', overdue: false });
    const market = (await call(t.app, 'GET', '/api/v1/listings?status=open')).json();
    expect(market.items.find((x: { id: string }) => x.id === listingId).guarantee).toMatchObject({ coveragePct: 80 });
  });

  it("clears; the guarantor's fee (2 % of the principal) comes from the disbursement", async () => {
    const borrowerBefore = await walletOfToken(t.app, b.token);
    for (const lender of L) await acceptedBid(t.app, lender.token, listingId, 200_000, 1200);
    loanId = (await listing(t.app, listingId)).loanId;
    expect(loanId).toBeTruthy();
    // ¥6,000 lent: ¥60 platform fee (100 bps), ¥120 guarantee fee (200 bps) to the guarantor.
    expect((await walletOfToken(t.app, b.token)).availableMinor - borrowerBefore.availableMinor).toBe(600_000 - 6_000 - 12_000);
    expect((await walletOfToken(t.app, guarantor.token)).availableMinor).toBe(12_000);
    expect(await guaranteeOf(guarantor.token, listingId)).toMatchObject({ status: 'active', feeMinor: 12_000 });
    platformBefore = await platformAccounts();
  });

  it('defaults: what it owes is fixed at 80 % of each note claim; unpaid past GUARANTOR_PAY_DAYS it shows as overdue', async () => {
    await setClock(t.app, '2031-05-15T01:00:00Z');
    await serviceDueLoans(t.app.ctx, 'inline');
    const { loan, notes, state } = await loanOf(t.app, loanId);
    expect(loan.status).toBe('defaulted');
    const claims = owedToday(state, state.servicedThrough).perNote.map((n) => n.payoffMinor);
    const owed = claims.map((c) => Math.round(c * 0.8));
    const g = await guaranteeOf(guarantor.token, listingId);
    // Default on 12 May (91 days past the 10 February installment); GUARANTOR_PAY_DAYS 30 later.
    expect(loan.defaultedOn).toBe('2031-05-12');
    expect(g).toMatchObject({ status: 'owed', owedMinor: owed.reduce((a, x) => a + x, 0), payBy: '2031-06-11', overdue: false });
    // Each holder is told what the guarantor owes on its note.
    for (const [i, lender] of L.entries()) {
      const [m] = (await messagesTo(t.app, `user:${lender.userId}`, 'guarantee.owed')).filter((x) => x.loanId === loanId);
      expect(m).toMatchObject({ noteId: notes[i]!.id, owedMinor: owed[i] });
    }
    expect((await webhooksOf(t.app, partner.partnerId, 'guarantee.owed')).some((h) => h.loanId === loanId)).toBe(true);

    await setClock(t.app, '2031-06-11T01:00:00Z');
    await serviceDueLoans(t.app.ctx, 'inline');
    expect((await listing(t.app, listingId)).guarantee).toMatchObject({ status: 'owed', overdue: false });
    await setClock(t.app, '2031-06-12T01:00:00Z');
    await serviceDueLoans(t.app.ctx, 'inline');
    expect((await listing(t.app, listingId)).guarantee).toMatchObject({ status: 'owed', overdue: true, payBy: '2031-06-11' });
    expect((await messagesTo(t.app, `user:${L[0]!.userId}`, 'guarantee.overdue')).filter((m) => m.loanId === loanId)).toHaveLength(1);
  });

  it('pays: each holder receives 80 % of its defaulted amount to the fen, from the guarantor, none from the platform', async () => {
    const { state } = await loanOf(t.app, loanId);
    const claims = owedToday(state, state.servicedThrough).perNote.map((n) => n.payoffMinor);
    const g = await guaranteeOf(guarantor.token, listingId);
    // It has only its fee: nothing moves.
    const short = await call(t.app, 'POST', `/api/v1/guarantees/${g.id}/pay`, { token: guarantor.token, body: {} });
    expect(short.statusCode).toBe(422);
    expect(short.json().code).toBe('INSUFFICIENT_FUNDS');
    expect((await call(t.app, 'POST', '/api/v1/wallet/deposits', { token: guarantor.token, body: { amountMinor: 600_000 } })).statusCode).toBe(201);
    const before = await Promise.all(L.map((l) => walletOfToken(t.app, l.token)));
    const paid = await call(t.app, 'POST', `/api/v1/guarantees/${g.id}/pay`, { token: guarantor.token, body: {}, headers: { 'idempotency-key': 'pay-guarantee-1' } });
    expect(paid.statusCode, paid.body).toBe(200);
    expect(paid.json()).toMatchObject({ status: 'paid', paidMinor: g.owedMinor, paidOn: '2031-06-12' });
    const after = await Promise.all(L.map((l) => walletOfToken(t.app, l.token)));
    const received = after.map((w, i) => w.availableMinor - before[i]!.availableMinor);
    expect(received).toEqual(claims.map((c) => Math.round(c * 0.8)));
    for (const [i, r] of received.entries()) expect(Math.abs(r - claims[i]! * 0.8)).toBeLessThanOrEqual(0.5);
    expect((await walletOfToken(t.app, guarantor.token)).availableMinor).toBe(12_000 + 600_000 - g.owedMinor);
    // Paying again answers the payment and moves nothing.
    const again = await call(t.app, 'POST', `/api/v1/guarantees/${g.id}/pay`, { token: guarantor.token, body: {} });
    expect(again.statusCode).toBe(200);
    expect((await Promise.all(L.map((l) => walletOfToken(t.app, l.token)))).map((w) => w.availableMinor)).toEqual(after.map((w) => w.availableMinor));
    for (const lender of L) expect((await messagesTo(t.app, `user:${lender.userId}`, 'payment.received')).some((m) => m.loanId === loanId && m.source === 'guarantor')).toBe(true);
    expect((await listing(t.app, listingId)).guarantee).toMatchObject({ status: 'paid', overdue: false, paidMinor: g.owedMinor });
    expect(await platformAccounts()).toEqual(platformBefore);
  });

  it('a later recovery of ¥1,000 is split pro rata between the holders (what they are still owed) and the guarantor (what it paid)', async () => {
    const { state } = await loanOf(t.app, loanId);
    const holdersOwed = owedToday(state, state.servicedThrough).payoffMinor;
    const g = await guaranteeOf(guarantor.token, listingId);
    const [toHolders, toGuarantor] = allocateLargestRemainder(100_000, [holdersOwed, g.paidMinor]) as [number, number];
    const before = await Promise.all(L.map((l) => walletOfToken(t.app, l.token)));
    const gBefore = await walletOfToken(t.app, guarantor.token);
    const res = await call(t.app, 'POST', `/api/v1/admin/loans/${loanId}/recoveries`, { token: operator, body: { amountMinor: 100_000, reference: 'collateral sale' }, headers: { 'idempotency-key': 'guaranteed-recovery-1' } });
    expect(res.statusCode, res.body).toBe(201);
    expect(res.json()).toMatchObject({ amountMinor: 100_000, guarantorShareMinor: toGuarantor, source: 'recovery' });
    const after = await Promise.all(L.map((l) => walletOfToken(t.app, l.token)));
    expect(after.reduce((a, w, i) => a + w.availableMinor - before[i]!.availableMinor, 0)).toBe(toHolders);
    expect((await walletOfToken(t.app, guarantor.token)).availableMinor - gBefore.availableMinor).toBe(toGuarantor);
    expect(await guaranteeOf(guarantor.token, listingId)).toMatchObject({ recoveredMinor: toGuarantor });
    // The same key again is the same recovery.
    const again = await call(t.app, 'POST', `/api/v1/admin/loans/${loanId}/recoveries`, { token: operator, body: { amountMinor: 100_000, reference: 'collateral sale' }, headers: { 'idempotency-key': 'guaranteed-recovery-1' } });
    expect(again.statusCode).toBe(201);
    expect((await walletOfToken(t.app, guarantor.token)).availableMinor - gBefore.availableMinor).toBe(toGuarantor);
    // More than the holders and the guarantor are owed together is refused.
    const { state: s2 } = await loanOf(t.app, loanId);
    const left = owedToday(s2, s2.servicedThrough).payoffMinor + g.paidMinor - toGuarantor;
    const over = await call(t.app, 'POST', `/api/v1/admin/loans/${loanId}/recoveries`, { token: operator, body: { amountMinor: left + 1, reference: 'too much' } });
    expect(over.json()).toMatchObject({ code: 'REPAYMENT_EXCEEDS_OWED', payoffMinor: left });
    expect(await platformAccounts()).toEqual(platformBefore);
    const inv = await checkInvariants(t.app.ctx.db);
    expect(inv.checks.find((c) => c.name === 'platform.never_pays')).toMatchObject({ ok: true });
    expect(inv.checks.filter((c) => !c.ok)).toEqual([]);
  });
});

describe('disclosure from loans and the ledger', () => {
  it('GET /stats today: lent, outstanding, overdue and guarantor payments agree with the loans and the ledger; the CSV has the same rows', async () => {
    const stats = (await call(t.app, 'GET', '/api/v1/stats')).json();
    const today = stats.months[stats.months.length - 1];
    const [lent] = await rows<{ s: number; n: number }>(t.app.ctx.db, sql`select coalesce(sum(principal_minor), 0)::bigint as s, count(*)::int as n from loans`);
    // What reached borrowers' wallets from bids is what was lent.
    const [fills] = await rows<{ s: number }>(t.app.ctx.db, sql`select coalesce(sum(amount_minor), 0)::bigint as s from ledger_transfers where kind = 'bid_fill' and phase = 'post'`);
    expect(today).toMatchObject({ lentToDateMinor: Number(lent!.s), loansToDate: lent!.n });
    expect(Number(fills!.s)).toBe(Number(lent!.s));
    const [out] = await rows<{ s: number; n: number }>(t.app.ctx.db, sql`select coalesce(sum(outstanding_principal_minor), 0)::bigint as s, count(*)::int as n from loans where outstanding_principal_minor > 0`);
    expect(today).toMatchObject({ outstandingPrincipalMinor: Number(out!.s), outstandingLoans: out!.n });
    // Guarantor payments: the repayment transfers out of guarantors' wallets.
    const [paid] = await rows<{ s: number }>(
      t.app.ctx.db,
      sql`select coalesce(sum(t.amount_minor), 0)::bigint as s from ledger_transfers t join ledger_accounts a on a.id = t.debit_account_id join users u on u.id = a.owner_user_id where t.kind = 'repayment' and u.role = 'guarantor'`,
    );
    expect(today).toMatchObject({ guarantorPaidToDateMinor: Number(paid!.s), guarantorPaymentsToDate: 1 });
    const [defaulted] = await rows<{ s: number; n: number }>(t.app.ctx.db, sql`select coalesce(sum(outstanding_principal_minor), 0)::bigint as s, count(*)::int as n from loans where status = 'defaulted' and outstanding_principal_minor > 0`);
    expect(today.overdue90Loans).toBeGreaterThanOrEqual(defaulted!.n);
    expect(today.overdue90PrincipalMinor).toBeGreaterThanOrEqual(Number(defaulted!.s));
    expect(stats.feeSchedule).toMatchObject({ platformFeeBps: 100, prepaymentFeeBps: 0 });
    const csv = await call(t.app, 'GET', '/api/v1/stats.csv');
    expect(csv.headers['content-type']).toContain('text/csv');
    const lines = csv.body.trim().split('\n');
    expect(lines).toHaveLength(stats.months.length + 1);
    expect(lines[0]).toContain('guarantor_paid_to_date_yuan');
  });
});

describe('capacity and decline', () => {
  it('the leverage limit refuses the acceptance that would pass it, also when two acceptances race', async () => {
    // Capital ¥1,000 × 10 = ¥10,000 of cover: one ¥10,000 listing at 100 %, not two.
    const small = await newGuarantor(100_000);
    const b1 = await ratedBorrower(t.app, partner);
    const b2 = await ratedBorrower(t.app, partner);
    const l1 = await guaranteedListing(b1, small.id, 1_000_000, 100, 100);
    const l2 = await guaranteedListing(b2, small.id, 1_000_000, 100, 100);
    const items = (await call(t.app, 'GET', '/api/v1/guarantees?status=pending', { token: small.token })).json().items as { id: string; listingId: string }[];
    expect(items).toHaveLength(2);
    const results = await Promise.all(items.map((g) => call(t.app, 'POST', `/api/v1/guarantees/${g.id}/accept`, { token: small.token, body: {} })));
    expect(results.map((r) => r.statusCode).sort()).toEqual([200, 422]);
    const refused = results.find((r) => r.statusCode === 422)!.json();
    expect(refused).toMatchObject({ code: 'GUARANTOR_CAPACITY_EXCEEDED', capacityMinor: 1_000_000, exposureMinor: 1_000_000, neededMinor: 1_000_000 });
    const statuses = [(await listing(t.app, l1.id)).status, (await listing(t.app, l2.id)).status].sort();
    expect(statuses).toEqual(['open', 'pending_guarantee']);
    const self = (await call(t.app, 'GET', '/api/v1/me/guarantor', { token: small.token })).json();
    expect(self).toMatchObject({ capacityMinor: 1_000_000, exposureMinor: 1_000_000, leftMinor: 0, pendingRequests: 1 });
    // Declining the other withdraws its listing.
    const pending = items.find((g) => results[items.indexOf(g)]!.statusCode === 422)!;
    const declined = await call(t.app, 'POST', `/api/v1/guarantees/${pending.id}/decline`, { token: small.token, body: {} });
    expect(declined.json()).toMatchObject({ status: 'declined' });
    expect((await listing(t.app, pending.listingId)).status).toBe('withdrawn');
    expect((await call(t.app, 'POST', `/api/v1/guarantees/${pending.id}/accept`, { token: small.token, body: {} })).json().code).toBe('GUARANTEE_NOT_PENDING');
  });

  it('refuses terms outside the rules and unknown guarantors', async () => {
    const b = await ratedBorrower(t.app, partner);
    const bad = await call(t.app, 'POST', '/api/v1/listings', {
      token: b.token,
      body: { title: 'x', purpose: 'y', amountMinor: 100_000, termMonths: 3, maxRateBps: 1500, repayment: 'interest_only', product: 'credit', guarantee: { guarantorId: 'gtr_0000000000000000', coveragePct: 50, feeBps: 100 } },
    });
    expect(bad.json().code).toBe('GUARANTOR_NOT_FOUND');
    const over = await call(t.app, 'POST', '/api/v1/listings', {
      token: b.token,
      body: { title: 'x', purpose: 'y', amountMinor: 100_000, termMonths: 3, maxRateBps: 1500, repayment: 'interest_only', product: 'credit', guarantee: { guarantorId: guarantor.id, coveragePct: 101, feeBps: 100 } },
    });
    expect(over.statusCode).toBe(400);
  });
});
