import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rows } from '../../src/db/client.js';
import { claimInvariants } from '../../src/services/claim-invariants.js';
import { accrueDay, owedToday, openLoan } from '../../src/domain/servicing/index.js';
import { addDays } from '../../src/domain/dates.js';
import { call, expectInvariants, registerLender, walletOfToken, type Session } from './helpers/api.js';
import { assign, assignOk, claimListing, coreCall, coreDeposit, coreWallet, issue, myClaims, registerCore, type CoreKey } from './helpers/claims.js';
import { createTestStorage, startApp, type TestApp, type TestStorage } from './helpers/env.js';
import { acceptedBid, endAuction, listing, ratedBorrower, type Borrower } from './helpers/market.js';
import { ADMIN_ENV, adminToken, createPartner, partnerCall, type PartnerKey } from './helpers/partner.js';
import { SETTINGS, dayOf, loanOf, setClock, termsOf, webhooksOf } from './helpers/servicing.js';

/**
 * Supply-chain finance end to end (docs/supply-chain.md): a core enterprise confirms ¥1,000,000 to its
 * tier-1 supplier; tier 1 passes ¥400,000 to tier 2, which passes ¥150,000 to tier 3; tier 3 finances
 * ¥135,000 of it (90 % of an AA claim) at auction; at the due date the core enterprise settles and the
 * money lands loan first, to the fen. Then the same with the core enterprise paying ten days late.
 */
let storage: TestStorage;
let t: TestApp;
let partner: PartnerKey;
const FUNDS = 20_000_000;

beforeAll(async () => {
  storage = await createTestStorage();
  t = await startApp(storage, { env: { ...ADMIN_ENV, LENDBOOK_CLOCK: 'settable', LENDBOOK_WEBHOOK_BACKOFF_MS: '3600000', LENDBOOK_ALLOW_HTTP_WEBHOOKS: 'on' } });
  await setClock(t.app, '2031-03-02T01:00:00Z');
  partner = await createPartner(t.app, { webhookUrl: 'http://localhost:9/unreachable' });
});
afterAll(async () => {
  if (t) await expectInvariants(t.app);
  await t?.close();
  await storage?.dispose();
});

interface Chain {
  core: CoreKey;
  tiers: Borrower[];
  lenders: Session[];
  payableRef: string;
  claimIds: string[];
  listingId: string;
  loanId: string;
}

/** Three rated suppliers, a core enterprise, ¥1,000,000 issued and split 1,000,000 → 400,000 → 150,000, and tier 3's ¥135,000 listing cleared. */
async function buildChain(dueDate: string): Promise<Chain> {
  const core = await registerCore(t.app, partner, { grade: 'AA', limitMinor: 500_000_000 });
  const tiers = [await ratedBorrower(t.app, partner), await ratedBorrower(t.app, partner), await ratedBorrower(t.app, partner)];
  const issued = await issue(t.app, core, { supplierMerchantRef: tiers[0]!.merchantRef, amountMinor: 100_000_000, dueDate, orderIds: ['PO-1', 'PO-2'] });
  const c2 = await assignOk(t.app, tiers[0]!.token, issued.claimId, tiers[1]!.merchantRef, 40_000_000);
  expect(c2.tier).toBe(2);
  const c3 = await assignOk(t.app, tiers[1]!.token, c2.id, tiers[2]!.merchantRef, 15_000_000);
  expect(c3.tier).toBe(3);
  expect(c3.chain.map((l) => l.tier)).toEqual([0, 1, 2, 3]);
  const res = await claimListing(t.app, tiers[2]!.token, { claimIds: [c3.id], amountMinor: 13_500_000, maturesOn: dueDate, durationSec: 3600 });
  expect(res.statusCode, res.body).toBe(201);
  const listingId = res.json().id as string;
  const lenders = [await registerLender(t.app, { depositMinor: FUNDS }), await registerLender(t.app, { depositMinor: FUNDS })];
  await acceptedBid(t.app, lenders[0]!.token, listingId, 9_000_000, 1000);
  await acceptedBid(t.app, lenders[1]!.token, listingId, 4_500_000, 1100);
  expect(await endAuction(t.app, listingId)).toBe('cleared');
  const loanId = (await listing(t.app, listingId)).loanId as string;
  return { core, tiers, lenders, payableRef: issued.payableRef, claimIds: [issued.claimId, c2.id, c3.id], listingId, loanId };
}

async function wallets(chain: Chain) {
  return {
    core: await coreWallet(t.app, chain.core),
    tiers: await Promise.all(chain.tiers.map(async (b) => (await walletOfToken(t.app, b.token)).availableMinor)),
    lenders: await Promise.all(chain.lenders.map(async (l) => (await walletOfToken(t.app, l.token)).availableMinor)),
  };
}

describe('a three-tier chain settled on its due date', () => {
  let chain: Chain;
  const DUE = '2031-07-01';

  beforeAll(async () => {
    chain = await buildChain(DUE);
  });

  it('shows the listing graded by its core enterprise, with both grades and the chain', async () => {
    const l = await listing(t.app, chain.listingId);
    expect(l).toMatchObject({ product: 'claim', grade: 'AA', repayment: 'bullet', termMonths: null, maturesOn: DUE, status: 'cleared', borrowerGrade: chain.tiers[2]!.grade });
    expect(l.collateral).toMatchObject({ kind: 'claims', valueMinor: 15_000_000, limitMinor: 13_500_000, coreEnterprise: { grade: 'AA' }, borrowerGrade: chain.tiers[2]!.grade });
    expect(l.collateral.claims).toHaveLength(1);
    expect(l.collateral.claims[0].chain.map((x: { tier: number }) => x.tier)).toEqual([0, 1, 2, 3]);
    expect(l.collateral.claims[0].chain[0].merchantName).toBe(l.collateral.coreEnterprise.name);
    const market = await call(t.app, 'GET', '/api/v1/listings?product=claim&status=cleared');
    expect(market.json().items.map((x: { id: string }) => x.id)).toContain(chain.listingId);
  });

  it('each holder sees what it holds and the chain; a pledged claim cannot be assigned', async () => {
    const [t1, t2, t3] = await Promise.all(chain.tiers.map((b) => myClaims(t.app, b.token)));
    expect(t1!.map((c) => [c.tier, c.amountMinor])).toEqual([[1, 60_000_000]]);
    expect(t2!.map((c) => [c.tier, c.amountMinor])).toEqual([[2, 25_000_000]]);
    expect(t3![0]).toMatchObject({ tier: 3, amountMinor: 15_000_000, status: 'active', pledgedTo: { listingId: chain.listingId, loanId: chain.loanId } });
    expect(t3![0]!.chain).toHaveLength(4);
    const refused = await assign(t.app, chain.tiers[2]!.token, chain.claimIds[2]!, chain.tiers[0]!.merchantRef, 10_000);
    expect(refused.statusCode).toBe(409);
    expect(refused.json().code).toBe('CLAIM_PLEDGED');
  });

  it('the core enterprise sees who holds what; its key cannot call the order system, nor the order system its routes', async () => {
    const p = await coreCall(t.app, chain.core, 'GET', `/api/v1/core/payables/${chain.payableRef}`);
    expect(p.statusCode, p.body).toBe(200);
    expect(p.json().claims.map((c: { holderMerchantRef: string; amountMinor: number }) => [c.holderMerchantRef, c.amountMinor])).toEqual(chain.tiers.map((b, i) => [b.merchantRef, [60_000_000, 25_000_000, 15_000_000][i]]));
    expect(p.json().claims[2].pledgedTo).toEqual({ listingId: chain.listingId, loanId: chain.loanId });
    const asPartner = await partnerCall(t.app, partner, 'GET', `/api/v1/core/payables/${chain.payableRef}`);
    expect(asPartner.statusCode).toBe(401);
    const asCore = await partnerCall(t.app, chain.core, 'GET', `/api/v1/partner/merchants/${chain.tiers[0]!.merchantRef}/offers`);
    expect(asCore.statusCode).toBe(401);
    expect(asCore.json().code).toBe('PARTNER_KEY_UNKNOWN');
  });

  it("the order system's widget offers a holder its claims' financing on the core enterprise's credit", async () => {
    const shop = 'https://shop.example';
    const pub = await call(t.app, 'POST', `/api/v1/admin/partners/${partner.partnerId}/publishable-keys`, { token: await adminToken(t.app), body: { allowedOrigins: [shop] } });
    const offer = await call(t.app, 'GET', `/api/v1/widgets/merchants/${chain.tiers[1]!.merchantRef}/orders/any-order/offer?key=${pub.json().key}`, { headers: { origin: shop } });
    expect(offer.statusCode, offer.body).toBe(200);
    // Tier 2 keeps ¥250,000 of an AA claim: 90 % of it, on the core enterprise's grade.
    expect(offer.json().claims).toMatchObject({ grade: 'AA', count: 1, valueMinor: 25_000_000, advancePct: 90, maxAmountMinor: 22_500_000, claimIds: [chain.claimIds[1]] });
    // Tier 3's claim backs its loan: nothing more to offer it.
    const t3 = await call(t.app, 'GET', `/api/v1/widgets/merchants/${chain.tiers[2]!.merchantRef}/orders/any-order/offer?key=${pub.json().key}`, { headers: { origin: shop } });
    expect(t3.json().claims).toBeNull();
  });

  it('refuses to settle before the due date, and without the money; nothing moves', async () => {
    const early = await coreCall(t.app, chain.core, 'POST', `/api/v1/core/payables/${chain.payableRef}/settle`, {});
    expect(early.statusCode).toBe(409);
    expect(early.json().code).toBe('PAYABLE_NOT_DUE');
    await dayOf(t.app, DUE);
    await coreDeposit(t.app, chain.core, 99_999_999);
    const before = await wallets(chain);
    const poor = await coreCall(t.app, chain.core, 'POST', `/api/v1/core/payables/${chain.payableRef}/settle`, {});
    expect(poor.statusCode).toBe(422);
    expect(poor.json().code).toBe('INSUFFICIENT_FUNDS');
    expect(await wallets(chain)).toEqual(before);
    expect((await loanOf(t.app, chain.loanId)).loan.status).toBe('active');
  });

  it('settles to the fen: the lenders principal and interest, tier 3 the rest, tiers 1 and 2 their parts', async () => {
    await coreDeposit(t.app, chain.core, 1);
    const before = await wallets(chain);
    // 121 days at 11.00 %: 9,000,000 × 1100 × 121 / 3,650,000 = 328,191.78 → 328,192; 4,500,000 → 164,095.89 → 164,096.
    const settled = await coreCall(t.app, chain.core, 'POST', `/api/v1/core/payables/${chain.payableRef}/settle`, {});
    expect(settled.statusCode, settled.body).toBe(200);
    expect(settled.json()).toMatchObject({ status: 'settled', settledOn: DUE });
    const after = await wallets(chain);
    expect(after.core).toBe(before.core - 100_000_000);
    expect(after.lenders[0]! - before.lenders[0]!).toBe(9_000_000 + 328_192);
    expect(after.lenders[1]! - before.lenders[1]!).toBe(4_500_000 + 164_096);
    expect(after.tiers[2]! - before.tiers[2]!).toBe(15_000_000 - 13_992_288);
    expect(after.tiers[1]! - before.tiers[1]!).toBe(25_000_000);
    expect(after.tiers[0]! - before.tiers[0]!).toBe(60_000_000);
    const claims = settled.json().claims as { amountMinor: number; toLoanMinor: number; toHolderMinor: number }[];
    expect(claims.map((c) => [c.toLoanMinor, c.toHolderMinor])).toEqual([[0, 60_000_000], [0, 25_000_000], [13_992_288, 1_007_712]]);
    const { loan } = await loanOf(t.app, chain.loanId);
    expect(loan).toMatchObject({ status: 'repaid', outstandingPrincipalMinor: 0 });
    const [rep] = await rows<{ source: string; amount_minor: number; interest_minor: number }>(t.app.ctx.db, sql`select source, amount_minor, interest_minor from repayments where loan_id = ${chain.loanId}`);
    expect(rep).toMatchObject({ source: 'payable_settlement', amount_minor: 13_992_288, interest_minor: 492_288 });
    const t3 = await myClaims(t.app, chain.tiers[2]!.token);
    expect(t3[0]).toMatchObject({ status: 'settled', toLoanMinor: 13_992_288, toHolderMinor: 1_007_712 });
  });

  it('a second settle changes nothing and answers the same', async () => {
    const before = await wallets(chain);
    const again = await coreCall(t.app, chain.core, 'POST', `/api/v1/core/payables/${chain.payableRef}/settle`, {});
    expect(again.statusCode).toBe(200);
    expect(again.json().status).toBe('settled');
    expect(await wallets(chain)).toEqual(before);
  });

  it('tells the order system: claim.issued, claim.assigned twice, payable.settled', async () => {
    expect((await webhooksOf(t.app, partner.partnerId, 'claim.issued')).filter((w) => w.payableRef === chain.payableRef)).toHaveLength(1);
    expect((await webhooksOf(t.app, partner.partnerId, 'claim.assigned')).filter((w) => w.payableRef === chain.payableRef).map((w) => w.amountMinor)).toEqual([40_000_000, 15_000_000]);
    const [settled] = (await webhooksOf(t.app, partner.partnerId, 'payable.settled')).filter((w) => w.payableRef === chain.payableRef);
    expect(settled).toMatchObject({ amountMinor: 100_000_000, settledOn: DUE });
    await expectInvariants(t.app);
  });
});

class Rollback extends Error {}

/** Breaks the data in a transaction that is rolled back, and returns the claim checks that noticed. */
async function claimChecksFailingAfter(corruption: readonly ReturnType<typeof sql>[]): Promise<string[]> {
  let failed: string[] = [];
  await t.app.ctx.db
    .transaction(async (tx) => {
      for (const statement of corruption) await tx.execute(statement);
      failed = (await claimInvariants(tx)).filter((c) => !c.ok).map((c) => c.name);
      throw new Rollback();
    })
    .catch((e: unknown) => {
      if (!(e instanceof Rollback)) throw e;
    });
  return failed;
}

describe('each claim invariant notices its corruption', () => {
  it('holds before any', async () => {
    expect(await claimChecksFailingAfter([])).toEqual([]);
  });

  it.each([
    ['claims.payable_sums', [sql`update payables set amount_minor = amount_minor + 100`]],
    ['claims.within_core_limit', [sql`update payables set status = 'outstanding', settled_at = null, settled_on = null`, sql`update core_enterprises set limit_minor = 1`]],
    ['claims.tiers_and_chains', [sql`update claims set tier = tier + 1 where tier = 3`]],
    ['claims.settlements_paid_out', [sql`update claims set to_loan_minor = to_loan_minor + 1, to_holder_minor = to_holder_minor - 1 where tier = 3 and to_holder_minor > 0`]],
    ['claims.holder_transfers', [sql`update ledger_transfers set amount_minor = amount_minor + 1 where kind = 'claim_settlement'`]],
  ] as const)('%s', async (name, corruption) => {
    expect(await claimChecksFailingAfter(corruption)).toContain(name);
  });
});

describe('the same chain with the core enterprise paying ten days late', () => {
  let chain: Chain;
  const DUE = '2031-10-30';

  beforeAll(async () => {
    await setClock(t.app, '2031-07-02T01:00:00Z');
    chain = await buildChain(DUE);
  });

  it('the loan goes late after the grace days and accrues penalty, like any loan', async () => {
    for (let d = DUE; d <= '2031-11-09'; d = addDays(d, 1)) await dayOf(t.app, d);
    const { loan } = await loanOf(t.app, chain.loanId);
    expect(loan.status).toBe('active');
    expect(loan.daysPastDue).toBe(9);
    expect(loan.bucket).toBe('dpd_1_30');
    const penalty = await rows<{ n: number }>(t.app.ctx.db, sql`select count(*)::int as n from outbox o cross join lateral jsonb_array_elements(o.messages) m where m->>'type' = 'installment.late' and m->'data'->>'loanId' = ${chain.loanId}`);
    expect(penalty[0]!.n).toBe(1);
  });

  it('then the settlement pays it with penalty, to the fen, and the holder gets what is left', async () => {
    await coreDeposit(t.app, chain.core, 100_000_000);
    const before = await wallets(chain);
    // The pure core, independently: the loan's terms, the days closed through yesterday, the payoff today.
    const terms = await termsOf(t.app, chain.loanId);
    const expected = owedToday(accrueDay(openLoan(terms), '2031-11-08', SETTINGS).state, '2031-11-09');
    expect(expected.due.penaltyMinor).toBeGreaterThan(0);
    const settled = await coreCall(t.app, chain.core, 'POST', `/api/v1/core/payables/${chain.payableRef}/settle`, {});
    expect(settled.statusCode, settled.body).toBe(200);
    const after = await wallets(chain);
    const perNote = new Map(expected.perNote.map((n) => [n.noteId, n.payoffMinor]));
    const { notes, loan } = await loanOf(t.app, chain.loanId);
    for (const [i, lender] of chain.lenders.entries()) {
      const note = notes.find((n) => n.lenderId === lender.userId)!;
      expect(after.lenders[i]! - before.lenders[i]!).toBe(perNote.get(note.id));
      expect(note.receivedPenaltyMinor).toBeGreaterThan(0);
    }
    expect(after.tiers[2]! - before.tiers[2]!).toBe(15_000_000 - expected.payoffMinor);
    expect(after.tiers[0]! - before.tiers[0]!).toBe(60_000_000);
    expect(after.tiers[1]! - before.tiers[1]!).toBe(25_000_000);
    expect(after.core).toBe(before.core - 100_000_000);
    expect(loan.status).toBe('repaid');
    await expectInvariants(t.app);
  });
});
