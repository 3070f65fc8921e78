import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rows } from '../../src/db/client.js';
import { AssertionError } from '../../src/domain/assert.js';
import { openLoan, type Installment, type RepaymentKind } from '../../src/domain/servicing/index.js';
import { applyBatch } from '../../src/ledger/batch.js';
import { walletAccountId } from '../../src/ledger/ledger.js';
import { expectInvariants, registerLender, walletOfToken, type Session } from './helpers/api.js';
import { createTestStorage, startApp, type TestApp, type TestStorage } from './helpers/env.js';
import { acceptedBid, createListing, endAuction, listing, newPartner, ratedBorrower, type Borrower } from './helpers/market.js';
import { ADMIN_ENV } from './helpers/partner.js';

/**
 * A clearing where every note has terms of its own (pay-as-bid, all amounts and rates different) writes
 * the same notes, schedules and ledger lines as the domain computes them: each stored installment list
 * is exactly the opening state of its note, each hold is posted for its fill or voided whole.
 */
let storage: TestStorage;
let t: TestApp;
let borrower: Borrower;
const lenders: Session[] = [];
const FUNDS = 1_000_000;
// Seven bids of different amounts and rates for a listing of 700,000: the cheapest fill whole, the
// marginal one in part.
const BIDS: [number, number][] = [
  [110_000, 1010],
  [95_000, 1150],
  [123_400, 1080],
  [87_600, 1230],
  [150_000, 1320],
  [64_300, 1190],
  [100_000, 1400],
];

beforeAll(async () => {
  storage = await createTestStorage();
  t = await startApp(storage, { env: { ...ADMIN_ENV, LENDBOOK_CLOCK: 'settable' } });
  borrower = await ratedBorrower(t.app, await newPartner(t.app));
  for (let i = 0; i < BIDS.length; i++) lenders.push(await registerLender(t.app, { depositMinor: FUNDS, displayName: `D${i}` }));
});
afterAll(async () => {
  if (t) await expectInvariants(t.app);
  await t?.close();
  await storage?.dispose();
});

describe('clearing with distinct terms', () => {
  it('pay-as-bid, every note its own schedule: stored notes and ledger lines are what the domain computes', async () => {
    const l = await createListing(t.app, borrower, { amountMinor: 700_000, maxRateBps: 1500, pricing: 'pay_as_bid', termMonths: 9 });
    const placed = [];
    for (let i = 0; i < BIDS.length; i++) placed.push({ ...(await acceptedBid(t.app, lenders[i]!.token, l.id, BIDS[i]![0], BIDS[i]![1])), lender: lenders[i]!, amountMinor: BIDS[i]![0] });
    expect(await endAuction(t.app, l.id)).toBe('cleared');
    const view = await listing(t.app, l.id);

    const [loan] = await rows<{ id: string; term_months: number; repayment: RepaymentKind; disbursed_on: string; principal_minor: number }>(
      t.app.ctx.db,
      sql`select id, term_months, repayment, disbursed_on::text as disbursed_on, principal_minor from loans where id = ${view.loanId}`,
    );
    const notes = await rows<{ id: string; bid_id: string; principal_minor: number; rate_bps: number; outstanding_principal_minor: number; installments: Installment[] }>(
      t.app.ctx.db,
      sql`select id, bid_id, principal_minor, rate_bps, outstanding_principal_minor, installments from loan_notes where loan_id = ${loan!.id} order by id`,
    );
    // Cheapest first up to 700,000: 110,000 + 123,400 + 95,000 + 64,300 + 87,600 = 480,300, then 150,000
    // at 1320 whole (630,300), then 69,700 of the 100,000 at 1400.
    const fillOf = new Map(notes.map((n) => [n.bid_id, Number(n.principal_minor)]));
    expect(placed.map((b) => fillOf.get(b.id) ?? 0)).toEqual([110_000, 95_000, 123_400, 87_600, 150_000, 64_300, 69_700]);
    expect(new Set(notes.map((n) => `${n.principal_minor}:${n.rate_bps}`)).size).toBe(notes.length);
    expect(notes.reduce((a, n) => a + Number(n.principal_minor), 0)).toBe(Number(loan!.principal_minor));

    // Every stored schedule, field by field, is the note's opening state as the domain makes it.
    const opened = openLoan({
      disbursedOn: loan!.disbursed_on,
      termMonths: loan!.term_months,
      repayment: loan!.repayment,
      maturesOn: null,
      notes: notes.map((n) => ({ noteId: n.id, principalMinor: Number(n.principal_minor), rateBps: n.rate_bps })),
    });
    for (const [i, n] of notes.entries()) {
      expect(n.installments).toEqual(opened.notes[i]!.installments);
      expect(Number(n.outstanding_principal_minor)).toBe(Number(n.principal_minor));
    }

    // Ledger: each hold posted for its fill (pending_id = the hold), the rest released; wallets follow.
    const lines = await rows<{ id: string; phase: string; pending_id: string; amount_minor: number; kind: string; reference: string }>(
      t.app.ctx.db,
      sql`select t.id, t.phase, t.pending_id, t.amount_minor, t.kind, t.reference from ledger_transfers t join bids b on b.hold_id = t.pending_id where b.listing_id = ${l.id} order by t.id`,
    );
    const holdOf = new Map((await rows<{ id: string; hold_id: string }>(t.app.ctx.db, sql`select id, hold_id from bids where listing_id = ${l.id}`)).map((b) => [b.id, b.hold_id]));
    expect(lines).toHaveLength(BIDS.length);
    for (const b of placed) {
      const fill = fillOf.get(b.id) ?? 0;
      const line = lines.find((x) => x.reference === b.id)!;
      expect(line).toMatchObject({ id: `xfr_fill_${b.id}`, phase: 'post', kind: 'bid_fill', amount_minor: fill });
      expect(line.pending_id).toBe(holdOf.get(b.id));
      expect(await walletOfToken(t.app, b.lender.token)).toMatchObject({ availableMinor: FUNDS - fill, heldMinor: 0 });
    }
    await expectInvariants(t.app);
  });

  it('a resolution that does not match its hold is refused and writes nothing', async () => {
    const l = await createListing(t.app, borrower, { amountMinor: 300_000, maxRateBps: 1500, pricing: 'pay_as_bid' });
    const b = await acceptedBid(t.app, lenders[0]!.token, l.id, 300_000, 1100);
    const [hold] = await rows<{ id: string; amount_minor: number }>(t.app.ctx.db, sql`select h.id, h.amount_minor from bids b join ledger_transfers h on h.id = b.hold_id where b.id = ${b.id}`);
    const before = await rows<{ n: number }>(t.app.ctx.db, sql`select count(*)::int as n from ledger_transfers`);
    const wrongAmount = { id: hold!.id, debitAccountId: walletAccountId(lenders[0]!.userId), creditAccountId: walletAccountId(borrower.userId), amountMinor: Number(hold!.amount_minor) + 100, kind: 'bid_hold', reference: b.id };
    const attempt = t.app.ctx.transaction((tx) => applyBatch(tx, [], [{ id: `xfr_fill_${b.id}`, hold: wrongAmount, phase: 'post', amountMinor: 300_000, kind: 'bid_fill' }], new Date(t.app.ctx.clock.nowMs())));
    await expect(attempt).rejects.toThrow(AssertionError);
    await expect(attempt).rejects.toThrow(`resolution of a hold that does not match: ${hold!.id}`);
    expect(await rows<{ n: number }>(t.app.ctx.db, sql`select count(*)::int as n from ledger_transfers`)).toEqual(before);
    // The hold is untouched: the listing still clears with it.
    expect(await endAuction(t.app, l.id)).toBe('cleared');
  });
});
