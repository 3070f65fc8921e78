import { sql } from 'drizzle-orm';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rows } from '../../src/db/client.js';
import { AppError } from '../../src/domain/errors.js';
import { advanceClock as moveClock } from '../../src/services/admin-settings.js';
import { amendBid, placeBid } from '../../src/services/bidding.js';
import { closeListing } from '../../src/services/clearing.js';
import { checkInvariants } from '../../src/services/invariants.js';
import { createListing, withdraw } from '../../src/services/listings.js';
import { repayLoan, serviceDueLoans } from '../../src/services/servicing.js';
import { deposit, walletOf, withdraw as withdrawMoney } from '../../src/services/wallet.js';
import { expectInvariants, registerLender } from './helpers/api.js';
import { createTestStorage, startApp, type TestApp, type TestStorage } from './helpers/env.js';
import { newPartner, ratedBorrower, type Borrower } from './helpers/market.js';
import { ADMIN_ENV } from './helpers/partner.js';

/**
 * The whole market against a pure model: deposits, bids, amends, withdrawn listings, closes, repayments,
 * defaults and withdrawals of money, in random order, through the services. The model keeps every
 * wallet and every book by itself (a naive book: sort everything again after each change); after every
 * command the database must agree with it and every invariant must hold.
 */
let storage: TestStorage;
let t: TestApp;
let borrowers: Borrower[];
let lenderIds: string[];

interface MBid {
  id: string;
  lender: string;
  amount: number;
  rate: number;
  priority: number;
}
interface MListing {
  id: string;
  borrower: string;
  amount: number;
  maxRate: number;
  seq: number;
  open: boolean;
  bids: MBid[];
}
interface Wallet {
  available: number;
  held: number;
}

/** The naive book of docs/market-rules.md §3: sort, walk, keep what is winning. */
function naiveBook(l: MListing): { winning: MBid[]; fills: Map<string, number>; coverage: number; marginalRate: number | null } {
  const sorted = [...l.bids].sort((a, b) => a.rate - b.rate || a.priority - b.priority);
  let before = 0;
  const winning: MBid[] = [];
  const fills = new Map<string, number>();
  for (const b of sorted) {
    if (before >= l.amount) break;
    winning.push(b);
    fills.set(b.id, Math.min(b.amount, l.amount - before));
    before += b.amount;
  }
  const coverage = winning.reduce((a, b) => a + b.amount, 0);
  return { winning, fills, coverage, marginalRate: coverage >= l.amount ? winning[winning.length - 1]!.rate : null };
}

type Cmd =
  | { op: 'deposit'; who: number; amount: number }
  | { op: 'withdrawMoney'; who: number; amount: number }
  | { op: 'list'; who: number; amount: number }
  | { op: 'bid'; who: number; listing: number; amount: number; rate: number }
  | { op: 'amend'; who: number; listing: number; by: number }
  | { op: 'withdrawListing'; who: number }
  | { op: 'close'; listing: number }
  | { op: 'repay'; who: number; amount: number }
  | { op: 'default' };

const cmd: fc.Arbitrary<Cmd> = fc.oneof(
  { weight: 2, arbitrary: fc.record({ op: fc.constant('deposit' as const), who: fc.nat(3), amount: fc.integer({ min: 1, max: 50 }).map((x) => x * 10_000) }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('withdrawMoney' as const), who: fc.nat(3), amount: fc.integer({ min: 1, max: 80 }).map((x) => x * 10_000) }) },
  { weight: 8, arbitrary: fc.record({ op: fc.constant('list' as const), who: fc.nat(3), amount: fc.integer({ min: 10, max: 22 }).map((x) => x * 10_000) }) },
  { weight: 20, arbitrary: fc.record({ op: fc.constant('bid' as const), who: fc.nat(3), listing: fc.nat(5), amount: fc.integer({ min: 1, max: 15 }).map((x) => x * 10_000), rate: fc.integer({ min: 800, max: 1600 }) }) },
  { weight: 4, arbitrary: fc.record({ op: fc.constant('amend' as const), who: fc.nat(3), listing: fc.nat(5), by: fc.integer({ min: 1, max: 200 }) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('withdrawListing' as const), who: fc.nat(3) }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('close' as const), listing: fc.nat(5) }) },
  { weight: 6, arbitrary: fc.record({ op: fc.constant('repay' as const), who: fc.nat(3), amount: fc.integer({ min: 1, max: 60 }).map((x) => x * 1_000) }) },
  { weight: 1, arbitrary: fc.constant({ op: 'default' as const }) },
);

beforeAll(async () => {
  storage = await createTestStorage();
  // No background work: the model drives time and closing itself.
  t = await startApp(storage, { env: { ...ADMIN_ENV, LENDBOOK_CLOCK: 'settable', LENDBOOK_WORKERS: 'off', LENDBOOK_SOFT_CLOSE_SEC: '0' } });
  const partner = await newPartner(t.app);
  borrowers = [];
  for (let i = 0; i < 4; i++) borrowers.push(await ratedBorrower(t.app, partner));
  lenderIds = [];
  for (let i = 0; i < 4; i++) lenderIds.push((await registerLender(t.app, { depositMinor: 2_000_000 })).userId);
});
afterAll(async () => {
  if (t) await expectInvariants(t.app);
  await t?.close();
  await storage?.dispose();
});

describe('the market against a pure model', () => {
  it('after every command the database equals the model and the invariants hold', async () => {
    const ctx = t.app.ctx;
    let sequences = 0;
    let commands = 0;
    let violations = 0;
    const done: Record<string, number> = {};
    const count = (what: string) => (done[what] = (done[what] ?? 0) + 1);
    await fc.assert(
      fc.asyncProperty(fc.array(cmd, { minLength: 10, maxLength: 40 }), async (cmds) => {
        sequences++;
        const users = [...lenderIds, ...borrowers.map((b) => b.userId)];
        const wallets = new Map<string, Wallet>();
        for (const u of users) {
          const w = await walletOf(ctx.db, u);
          wallets.set(u, { available: w.availableMinor, held: w.heldMinor });
        }
        // Listings a previous sequence left open are closed first, so each sequence starts clean.
        await closeEverything();
        for (const u of users) {
          const w = await walletOf(ctx.db, u);
          wallets.set(u, { available: w.availableMinor, held: w.heldMinor });
        }
        const listings: MListing[] = [];
        const loans: { id: string; borrower: string; noteLenders: Map<string, string> }[] = [];
        const w = (u: string) => wallets.get(u)!;
        const expectRejected = async (p: Promise<unknown>) => {
          const err = await p.then(() => null, (e: unknown) => e);
          expect(err, 'the model expected a refusal').toBeInstanceOf(AppError);
          count(`refused ${(err as AppError).code}`);
        };

        const closeInModel = async (l: MListing, outcome: string) => {
          const book = naiveBook(l);
          l.open = false;
          count(outcome);
          if (outcome === 'cleared') {
            for (const b of l.bids) {
              const fill = book.fills.get(b.id) ?? 0;
              w(b.lender).held -= b.amount;
              w(b.lender).available += b.amount - fill;
            }
            w(l.borrower).available += Math.min(book.coverage, l.amount);
            const [loan] = await rows<{ id: string }>(ctx.db, sql`select id from loans where listing_id = ${l.id}`);
            const notes = await rows<{ id: string; lender_id: string }>(ctx.db, sql`select id, lender_id from loan_notes where loan_id = ${loan!.id}`);
            loans.push({ id: loan!.id, borrower: l.borrower, noteLenders: new Map(notes.map((n) => [n.id, n.lender_id])) });
          } else {
            for (const b of l.bids) {
              w(b.lender).held -= b.amount;
              w(b.lender).available += b.amount;
            }
          }
          l.bids = [];
        };

        async function closeEverything() {
          const open = await rows<{ id: string; ends_at: string | Date }>(ctx.db, sql`select id, ends_at from listings where status = 'open'`);
          for (const o of open) {
            const ahead = new Date(o.ends_at).getTime() - ctx.clock.nowMs() + 1000;
            if (ahead > 0) await moveClock(ctx, ahead);
            await closeListing(ctx, o.id);
          }
        }

        for (const c of cmds) {
          commands++;
          switch (c.op) {
            case 'deposit': {
              const u = lenderIds[c.who]!;
              await deposit(ctx, u, c.amount, null);
              w(u).available += c.amount;
              break;
            }
            case 'withdrawMoney': {
              const u = lenderIds[c.who]!;
              if (w(u).available >= c.amount) {
                await withdrawMoney(ctx, u, c.amount, null);
                w(u).available -= c.amount;
              } else await expectRejected(withdrawMoney(ctx, u, c.amount, null));
              break;
            }
            case 'list': {
              const b = borrowers[c.who]!;
              if (listings.some((l) => l.open && l.borrower === b.userId)) {
                await expectRejected(createListing(ctx, b.userId, listingBody(c.amount), null));
                break;
              }
              const created = await createListing(ctx, b.userId, listingBody(c.amount), null).catch((e: unknown) => e);
              if (created instanceof AppError && ['CREDIT_LINE_EXCEEDED', 'REGULATORY_CAP_EXCEEDED'].includes(created.code)) break;
              if (created instanceof Error) throw created;
              listings.push({ id: (created as { id: string }).id, borrower: b.userId, amount: c.amount, maxRate: 1500, seq: 0, open: true, bids: [] });
              break;
            }
            case 'bid': {
              // Mostly on an open listing (the interesting case); a closed one now and then.
              const open = listings.filter((x) => x.open);
              const l = c.listing < 5 && open.length ? open[c.listing % open.length] : listings[c.listing % Math.max(1, listings.length)];
              if (!l) break;
              const u = lenderIds[c.who]!;
              const book = naiveBook(l);
              const ok =
                l.open &&
                !l.bids.some((b) => b.lender === u) &&
                c.amount <= l.amount &&
                c.rate <= l.maxRate &&
                (book.marginalRate === null || c.rate < book.marginalRate) &&
                w(u).available >= c.amount;
              if (!ok) {
                await expectRejected(placeBid(ctx, l.id, { lenderId: u, amountMinor: c.amount, rateBps: c.rate, clientRef: null }));
                count('bids refused');
                break;
              }
              const { bid } = await placeBid(ctx, l.id, { lenderId: u, amountMinor: c.amount, rateBps: c.rate, clientRef: null });
              count('bids accepted');
              l.seq += 1;
              l.bids.push({ id: bid.id, lender: u, amount: c.amount, rate: c.rate, priority: l.seq });
              w(u).available -= c.amount;
              w(u).held += c.amount;
              settleOutbid(l, wallets);
              break;
            }
            case 'amend': {
              const u = lenderIds[c.who]!;
              const l = listings.find((x) => x.open && x.bids.some((b) => b.lender === u));
              const mine = l?.bids.find((b) => b.lender === u);
              if (!l || !l.open || !mine || mine.rate - c.by < 1) break;
              await amendBid(ctx, u, mine.id, mine.rate - c.by);
              l.seq += 1;
              mine.rate -= c.by;
              mine.priority = l.seq;
              settleOutbid(l, wallets);
              break;
            }
            case 'withdrawListing': {
              const b = borrowers[c.who]!;
              const l = listings.find((x) => x.open && x.borrower === b.userId);
              if (!l) break;
              await withdraw(ctx, b.userId, l.id);
              for (const bid of l.bids) {
                w(bid.lender).held -= bid.amount;
                w(bid.lender).available += bid.amount;
              }
              l.bids = [];
              l.open = false;
              break;
            }
            case 'close': {
              const open = listings.filter((x) => x.open);
              const l = open[c.listing % Math.max(1, open.length)];
              if (!l) break;
              const [row] = await rows<{ ends_at: string | Date }>(ctx.db, sql`select ends_at from listings where id = ${l.id}`);
              const ahead = new Date(row!.ends_at).getTime() - ctx.clock.nowMs() + 1000;
              if (ahead > 0) await moveClock(ctx, ahead);
              const outcome = await closeListing(ctx, l.id);
              expect(outcome).toBe(naiveBook(l).coverage >= l.amount ? 'cleared' : 'failed');
              await closeInModel(l, outcome);
              // Moving the clock ended the other open listings too: close them, in the model as well.
              for (const other of listings.filter((x) => x.open)) {
                const o = await closeListing(ctx, other.id);
                if (o === 'cleared' || o === 'failed') await closeInModel(other, o);
              }
              break;
            }
            case 'repay': {
              const loan = loans[c.who % Math.max(1, loans.length)];
              const b = loan && borrowers.find((x) => x.userId === loan.borrower)!;
              if (!loan || !b || w(b.userId).available < c.amount) break;
              const paid = await repayLoan(ctx, b.userId, loan.id, c.amount, null).catch((e: unknown) => e);
              if (paid instanceof AppError && ['REPAYMENT_EXCEEDS_OWED', 'LOAN_NOT_ACTIVE'].includes(paid.code)) break;
              if (paid instanceof Error) throw paid;
              const shares = await rows<{ reference: string; amount_minor: number }>(ctx.db, sql`select reference, amount_minor from ledger_transfers where id like ${`xfr_${(paid as { id: string }).id}_%`}`);
              expect(shares.reduce((a, s) => a + Number(s.amount_minor), 0)).toBe(c.amount);
              count('repayments');
              w(b.userId).available -= c.amount;
              for (const s of shares) w(loan.noteLenders.get(s.reference)!).available += Number(s.amount_minor);
              break;
            }
            case 'default': {
              // Far in the future every open listing has ended; past the default threshold nobody pays.
              await moveClock(ctx, 100 * 86_400_000);
              for (const l of listings.filter((x) => x.open)) {
                const o = await closeListing(ctx, l.id);
                await closeInModel(l, o);
              }
              await serviceDueLoans(ctx, 'inline');
              break;
            }
          }
          for (const u of users) {
            const got = await walletOf(ctx.db, u);
            expect({ available: got.availableMinor, held: got.heldMinor }, `wallet of ${u} after ${c.op}`).toEqual(w(u));
          }
          const inv = await checkInvariants(ctx.db);
          violations += inv.checks.filter((x) => !x.ok).length;
          expect(inv.checks.filter((x) => !x.ok)).toEqual([]);
        }
      }),
      { numRuns: Number(process.env.MARKET_MODEL_RUNS ?? 40), seed: Number(process.env.FC_SEED ?? 20261129) },
    );
    console.log(`market model: ${sequences} sequences, ${commands} commands, ${violations} invariant violations (${Object.entries(done).map(([k, v]) => `${v} ${k}`).join(', ')})`);
    for (const what of ['bids accepted', 'bids refused', 'cleared', 'failed', 'repayments']) expect(done[what] ?? 0, `the commands reached ${what}`).toBeGreaterThan(0);
    // Forty sequences of commands, each checked against the database: the slowest test, more so on PGlite.
  }, 600_000);
});

/** Bids that fell wholly outside the winning set leave the book; their holds go back at once. */
function settleOutbid(l: MListing, wallets: Map<string, Wallet>): void {
  const keep = new Set(naiveBook(l).winning.map((b) => b.id));
  for (const b of l.bids.filter((x) => !keep.has(x.id))) {
    wallets.get(b.lender)!.held -= b.amount;
    wallets.get(b.lender)!.available += b.amount;
  }
  l.bids = l.bids.filter((b) => keep.has(b.id));
}

function listingBody(amountMinor: number) {
  return { title: 'Model', purpose: 'Model run', amountMinor, termMonths: 6, maxRateBps: 1500, repayment: 'equal_installment', product: 'credit', durationSec: 3600 };
}
