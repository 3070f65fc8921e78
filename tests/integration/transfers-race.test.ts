import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rows } from '../../src/db/client.js';
import { call, expectInvariants, registerLender, walletOfToken, type Session } from './helpers/api.js';
import { createTestStorage, startApp, usingPostgres, type TestApp, type TestStorage } from './helpers/env.js';
import { acceptedBid, createListing, listing, ratedBorrower } from './helpers/market.js';
import { ADMIN_ENV, createPartner } from './helpers/partner.js';
import { expectReplayed, loanOf, setClock } from './helpers/servicing.js';

/**
 * Buyers racing for one offer (docs/transfers.md): 20 lenders, 3 tries each at once, for an offer of ¥1,000
 * in ¥100 pieces, while the borrower prepays the same loan. Exactly ¥1,000 is sold, in ten pieces;
 * every other try is a clear 409 and moves no money; every wallet and note balances. Races only show on
 * real PostgreSQL (PGlite runs one transaction at a time): CI runs this file there too.
 */
let storage: TestStorage;
let t: TestApp;

beforeAll(async () => {
  storage = await createTestStorage();
  t = await startApp(storage, { env: { ...ADMIN_ENV, LENDBOOK_CLOCK: 'settable', LENDBOOK_WORKERS: 'false' } });
  await setClock(t.app, '2031-01-10T01:00:00Z');
});
afterAll(async () => {
  if (t) await expectInvariants(t.app);
  await t?.close();
  await storage?.dispose();
});

describe(`20 buyers racing for one offer (${usingPostgres ? 'PostgreSQL' : 'embedded'})`, () => {
  it('exactly ¥1,000 is sold in ¥100 pieces; every other try is a 409 and moves nothing; no wallet or note out of balance', async () => {
    const partner = await createPartner(t.app);
    const borrower = await ratedBorrower(t.app, partner);
    const seller = await registerLender(t.app, { depositMinor: 1_000_000 });
    const l = await createListing(t.app, borrower, { amountMinor: 1_000_000, termMonths: 12, maxRateBps: 1500, closeWhenFunded: true, durationSec: 86_400 });
    await acceptedBid(t.app, seller.token, l.id, 1_000_000, 1200);
    const loanId = (await listing(t.app, l.id)).loanId as string;
    const noteId = (await loanOf(t.app, loanId)).notes[0]!.id;
    await setClock(t.app, '2031-01-25T03:00:00Z');
    const offer = await call(t.app, 'POST', `/api/v1/notes/${noteId}/offers`, { token: seller.token, body: { principalMinor: 100_000, priceBps: 10_000 } });
    expect(offer.statusCode, offer.body).toBe(201);
    const offerId = offer.json().id as string;
    const buyers: Session[] = [];
    for (let i = 0; i < 20; i++) buyers.push(await registerLender(t.app, { depositMinor: 50_000 }));
    const startBalances = await Promise.all(buyers.map(async (b) => (await walletOfToken(t.app, b.token)).availableMinor));
    const sellerBefore = (await walletOfToken(t.app, seller.token)).availableMinor;

    const outcomes: { buyer: number; status: number; body: Record<string, unknown> }[] = [];
    const prepay = call(t.app, 'POST', `/api/v1/loans/${loanId}/repayments`, { token: borrower.token, body: { amountMinor: 50_000 } });
    await Promise.all(
      buyers.map(async (b, i) => {
        for (let k = 0; k < 3; k++) {
          const res = await call(t.app, 'POST', `/api/v1/note-offers/${offerId}/buy`, { token: b.token, body: { principalMinor: 10_000 }, headers: { 'idempotency-key': `race-${i}-${k}-try` } });
          outcomes.push({ buyer: i, status: res.statusCode, body: res.json() });
        }
      }),
    );
    expect((await prepay).statusCode).toBe(201);

    expect(outcomes).toHaveLength(60);
    expect(outcomes.filter((o) => o.status >= 500)).toEqual([]);
    const won = outcomes.filter((o) => o.status === 201);
    const lost = outcomes.filter((o) => o.status !== 201);
    expect(won).toHaveLength(10);
    expect(won.reduce((a, o) => a + (o.body.principalMinor as number), 0)).toBe(100_000);
    for (const o of lost) {
      expect(o.status).toBe(409);
      expect(o.body.code).toBe('OFFER_NOT_OPEN');
    }
    expect((await call(t.app, 'GET', `/api/v1/note-offers/${offerId}`)).json()).toMatchObject({ status: 'filled', remainingMinor: 0, soldMinor: 100_000 });

    // Each buyer paid exactly what its wins cost and got its share of the prepayment if it already held a
    // note when the prepayment posted (servicing follows ownership); the seller got their proceeds less the
    // fees and its own share; nothing else moved.
    const repaidTo = async (userId: string): Promise<number> => {
      const [r] = await rows<{ s: number }>(t.app.ctx.db, sql`select coalesce(sum(amount_minor), 0)::bigint as s from ledger_transfers where kind = 'repayment' and credit_account_id = ${`acc_w_${userId}`}`);
      return Number(r!.s);
    };
    const paidBy = new Map<number, number>();
    for (const o of won) paidBy.set(o.buyer, (paidBy.get(o.buyer) ?? 0) + (o.body.paidMinor as number));
    for (const [i, b] of buyers.entries()) {
      const repaid = await repaidTo(b.userId);
      if (!paidBy.has(i)) expect(repaid).toBe(0);
      expect((await walletOfToken(t.app, b.token)).availableMinor).toBe(startBalances[i]! - (paidBy.get(i) ?? 0) + repaid);
    }
    const [trades] = await rows<{ n: number; paid: number; fees: number; principal: number }>(
      t.app.ctx.db,
      sql`select count(*)::int as n, sum(paid_minor)::bigint as paid, sum(fee_minor)::bigint as fees, sum(principal_minor)::bigint as principal from note_transfers where offer_id = ${offerId}`,
    );
    expect({ n: trades!.n, principal: Number(trades!.principal) }).toEqual({ n: 10, principal: 100_000 });
    const [ledger] = await rows<{ n: number }>(t.app.ctx.db, sql`select count(*)::int as n from ledger_transfers where kind in ('note_purchase', 'note_transfer_fee')`);
    expect(ledger!.n).toBe(10 + (Number(trades!.fees) > 0 ? 10 : 0));
    const received = (await walletOfToken(t.app, seller.token)).availableMinor - sellerBefore;
    expect(received).toBe(Number(trades!.paid) - Number(trades!.fees) + (await repaidTo(seller.userId)));

    // The notes: ten of the buyers' at ¥100 each (less what the prepayment repaid of them), the seller's less ¥1,000; Σ = the loan.
    const { loan, notes } = await loanOf(t.app, loanId);
    expect(notes).toHaveLength(11);
    expect(notes.filter((n) => n.acquiredVia === 'transfer').every((n) => n.principalMinor === 10_000)).toBe(true);
    expect(notes.find((n) => n.id === noteId)!.soldPrincipalMinor).toBe(100_000);
    expect(notes.reduce((a, n) => a + n.principalMinor, 0)).toBe(loan.principalMinor);
    await expectReplayed(t.app, loanId);
    await expectInvariants(t.app);
  });
});
