import { sql } from 'drizzle-orm';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rows } from '../../src/db/client.js';
import { addDays, isoDateOfMs } from '../../src/domain/dates.js';
import { AppError } from '../../src/domain/errors.js';
import { advanceClock as moveClock } from '../../src/services/admin-settings.js';
import { amendBid, placeBid } from '../../src/services/bidding.js';
import { closeListing } from '../../src/services/clearing.js';
import { acceptGuarantee, declineGuarantee, guaranteesOfListings, payGuarantee } from '../../src/services/guarantees.js';
import { checkInvariants } from '../../src/services/invariants.js';
import { createListing, withdraw } from '../../src/services/listings.js';
import { repayLoan, serviceDueLoans } from '../../src/services/servicing.js';
import { deposit, depositInto, walletOf, withdraw as withdrawMoney } from '../../src/services/wallet.js';
import { call, expectInvariants, registerLender, uniq } from './helpers/api.js';
import { createTestStorage, startApp, type TestApp, type TestStorage } from './helpers/env.js';
import { newPartner, ratedBorrower, type Borrower } from './helpers/market.js';
import { ADMIN_ENV, adminToken } from './helpers/partner.js';

/**
 * The whole market against a pure model: deposits, bids, amends, withdrawn listings, closes, repayments,
 * defaults and withdrawals of money, in random order, through the services. The model keeps every
 * wallet and every book by itself (a naive book: sort everything again after each change); after every
 * command the database must agree with it and every invariant must hold.
 *
 * Third-party guarantees (docs/guarantees.md) run through it too: each sequence registers a guarantor
 * (operator route) with a random capital; borrowers list with it at random coverage and fee; it accepts
 * (within its leverage, by the model's own count of its exposure) or declines; guaranteed loans clear
 * (its fee from the disbursement), default, and it pays on time, late, or not at all; later payments are
 * shared pro rata with it. The model computes what it owes each note (coverage × the note's claim at
 * default, from the notes' installments and the ledger) and every split by itself, never with the
 * product's functions; and no platform account is ever debited.
 */
let storage: TestStorage;
let t: TestApp;
let borrowers: Borrower[];
let lenderIds: string[];
let operator: string;

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
  /** Waiting in pending_guarantee for its guarantor. */
  pending: boolean;
  bids: MBid[];
  guarantee?: MGuarantee;
}
type GStatus = 'pending' | 'active' | 'declined' | 'ended' | 'owed' | 'paid';
interface MGuarantee {
  id: string;
  listingId: string;
  amount: number;
  pct: number;
  feeBps: number;
  status: GStatus;
  loanId?: string;
  fee: number;
  /** What it owes each note: coverage × the note's claim at default, half-even (the model's own). */
  owedPerNote?: Map<string, number>;
  owed: number;
  paid: number;
  recovered: number;
  defaultedOn?: string;
  payBy?: string;
}
interface MLoan {
  id: string;
  listingId: string;
  borrower: string;
  noteLenders: Map<string, string>;
  guarantee?: MGuarantee;
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
  | { op: 'default' }
  | { op: 'glist'; who: number; amount: number; pct: number; feeBps: number }
  | { op: 'gdecide'; which: number; accept: boolean }
  | { op: 'fund'; listing: number; rate: number }
  | { op: 'gpay'; which: number; lateDays: number; topUp: boolean }
  | { op: 'recover'; which: number; amount: number };

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
  { weight: 4, arbitrary: fc.record({ op: fc.constant('glist' as const), who: fc.nat(3), amount: fc.integer({ min: 10, max: 22 }).map((x) => x * 10_000), pct: fc.integer({ min: 1, max: 100 }), feeBps: fc.integer({ min: 0, max: 1000 }) }) },
  { weight: 4, arbitrary: fc.record({ op: fc.constant('gdecide' as const), which: fc.nat(5), accept: fc.oneof({ weight: 3, arbitrary: fc.constant(true) }, { weight: 1, arbitrary: fc.constant(false) }) }) },
  { weight: 3, arbitrary: fc.record({ op: fc.constant('fund' as const), listing: fc.nat(5), rate: fc.integer({ min: 800, max: 1500 }) }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('gpay' as const), which: fc.nat(5), lateDays: fc.integer({ min: 0, max: 50 }), topUp: fc.oneof({ weight: 4, arbitrary: fc.constant(true) }, { weight: 1, arbitrary: fc.constant(false) }) }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('recover' as const), which: fc.nat(5), amount: fc.integer({ min: 1, max: 120 }).map((x) => x * 1_000) }) },
);

/**
 * A guaranteed loan's life, step by step — listed with the guarantor, decided, funded, closed, defaulted,
 * paid (on time, late or not at all), recovered — each step with random terms, woven into the random
 * commands at random places (in its order), so that every sequence gives the guarantee flows a chance
 * among everything else. A step whose moment has not come (nothing pending, nothing owed) does nothing.
 */
const guaranteeStory: fc.Arbitrary<Cmd[]> = fc.tuple(
  fc.record({ op: fc.constant('glist' as const), who: fc.nat(3), amount: fc.integer({ min: 10, max: 22 }).map((x) => x * 10_000), pct: fc.integer({ min: 1, max: 100 }), feeBps: fc.integer({ min: 0, max: 1000 }) }),
  fc.record({ op: fc.constant('gdecide' as const), which: fc.nat(5), accept: fc.oneof({ weight: 6, arbitrary: fc.constant(true) }, { weight: 1, arbitrary: fc.constant(false) }) }),
  fc.record({ op: fc.constant('fund' as const), listing: fc.constant(0), rate: fc.integer({ min: 800, max: 1500 }) }),
  fc.record({ op: fc.constant('close' as const), listing: fc.nat(5) }),
  fc.constant({ op: 'default' as const }),
  fc.record({ op: fc.constant('gpay' as const), which: fc.nat(5), lateDays: fc.integer({ min: 0, max: 50 }), topUp: fc.oneof({ weight: 4, arbitrary: fc.constant(true) }, { weight: 1, arbitrary: fc.constant(false) }) }),
  fc.record({ op: fc.constant('recover' as const), which: fc.nat(5), amount: fc.integer({ min: 1, max: 120 }).map((x) => x * 1_000) }),
  fc.record({ op: fc.constant('repay' as const), who: fc.nat(3), amount: fc.integer({ min: 1, max: 60 }).map((x) => x * 1_000) }),
);

/** The story's steps inserted into the random commands, in their order, at the given (random) places. */
function interleave(random: readonly Cmd[], story: readonly Cmd[], at: readonly number[]): Cmd[] {
  const places = at.slice(0, story.length).map((x) => x % (random.length + 1)).sort((a, b) => a - b);
  const out: Cmd[] = [];
  let next = 0;
  for (let i = 0; i <= random.length; i++) {
    while (next < story.length && places[next] === i) out.push(story[next++]!);
    if (i < random.length) out.push(random[i]!);
  }
  return out;
}

/** n / d rounded half-even, for non-negative integers (the model's own rounding, not the product's). */
function halfEven(n: number, d: number): number {
  const q = Math.floor(n / d);
  const r = n - q * d;
  return 2 * r > d ? q + 1 : 2 * r < d ? q : q + (q % 2);
}
/** A payment after the guarantor paid: [holders, guarantor] by largest remainder (ties to the holders). */
function proRata(amount: number, holders: number, guarantor: number): [number, number] {
  const total = holders + guarantor;
  if (total === 0) return [0, 0];
  const [a, h, g, s] = [BigInt(amount), BigInt(holders), BigInt(guarantor), BigInt(total)];
  let toH = (a * h) / s;
  let toG = (a * g) / s;
  if (toH + toG < a) {
    if ((a * h) % s >= (a * g) % s) toH += 1n;
    else toG += 1n;
  }
  return [Number(toH), Number(toG)];
}
const DAY_MS = 86_400_000;

beforeAll(async () => {
  storage = await createTestStorage();
  // No background work: the model drives time and closing itself.
  t = await startApp(storage, { env: { ...ADMIN_ENV, LENDBOOK_CLOCK: 'settable', LENDBOOK_WORKERS: 'off', LENDBOOK_SOFT_CLOSE_SEC: '0' } });
  // A fixed start: which day each command lands on (due dates, lateness, defaults, a guarantee's pay-by day)
  // then follows from the seed, not from the hour the test happens to run.
  await moveClock(t.app.ctx, Date.parse('2031-03-01T01:00:00Z') - t.app.ctx.clock.nowMs());
  const partner = await newPartner(t.app);
  borrowers = [];
  for (let i = 0; i < 4; i++) borrowers.push(await ratedBorrower(t.app, partner));
  lenderIds = [];
  for (let i = 0; i < 4; i++) lenderIds.push((await registerLender(t.app, { depositMinor: 2_000_000 })).userId);
  operator = await adminToken(t.app);
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
    const sequence = fc
      .record({ capitalMinor: fc.integer({ min: 5, max: 40 }).map((x) => x * 1_000), random: fc.array(cmd, { minLength: 4, maxLength: 32 }), story: guaranteeStory, at: fc.array(fc.nat(), { minLength: 8, maxLength: 8 }) })
      .map(({ capitalMinor, random, story, at }) => ({ capitalMinor, cmds: interleave(random, story, at) }));
    await fc.assert(
      fc.asyncProperty(sequence, async ({ capitalMinor, cmds }) => {
        sequences++;
        // Listings a previous sequence left open (or waiting for its guarantor) are closed first, so each sequence starts clean.
        await closeEverything();
        // This sequence's guarantor, registered by an operator: a capital of its own, so its leverage limit binds at random.
        const email = `${uniq('gtr')}@example.com`;
        const registered = await call(t.app, 'POST', '/api/v1/admin/guarantors', { token: operator, body: { name: `担保 ${uniq('g')}`, licenceNo: uniq('LIC'), registeredCapitalMinor: capitalMinor, email, password: 'guarantee company password' } });
        expect(registered.statusCode, registered.body).toBe(201);
        const guarantor = registered.json() as { id: string; userId: string };
        const capacity = capitalMinor * ctx.settings.get().guarantorLeverage;
        const payDays = ctx.settings.get().guarantorPayDays;
        const users = [...lenderIds, ...borrowers.map((b) => b.userId), guarantor.userId];
        const wallets = new Map<string, Wallet>();
        for (const u of users) {
          const w = await walletOf(ctx.db, u);
          wallets.set(u, { available: w.availableMinor, held: w.heldMinor });
        }
        const listings: MListing[] = [];
        const loans: MLoan[] = [];
        const guaranteesOf: MGuarantee[] = [];
        const w = (u: string) => wallets.get(u)!;
        const expectRejected = async (p: Promise<unknown>, code?: string) => {
          const err = await p.then(() => null, (e: unknown) => e);
          expect(err, 'the model expected a refusal').toBeInstanceOf(AppError);
          if (code) expect((err as AppError).code).toBe(code);
          count(`refused ${(err as AppError).code}`);
        };
        const today = () => isoDateOfMs(ctx.clock.nowMs());

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
            const lent = Math.min(book.coverage, l.amount);
            // The guarantor's fee (feeBps of the principal, half-even) comes out of the disbursement.
            const g = l.guarantee;
            const fee = g ? halfEven(lent * g.feeBps, 10_000) : 0;
            w(l.borrower).available += lent - fee;
            const [loan] = await rows<{ id: string }>(ctx.db, sql`select id from loans where listing_id = ${l.id}`);
            const notes = await rows<{ id: string; lender_id: string }>(ctx.db, sql`select id, lender_id from loan_notes where loan_id = ${loan!.id}`);
            loans.push({ id: loan!.id, listingId: l.id, borrower: l.borrower, noteLenders: new Map(notes.map((n) => [n.id, n.lender_id])), guarantee: g });
            if (g) {
              g.loanId = loan!.id;
              g.fee = fee;
              w(guarantor.userId).available += fee;
              count('guaranteed loans');
            }
          } else {
            for (const b of l.bids) {
              w(b.lender).held -= b.amount;
              w(b.lender).available += b.amount;
            }
            if (l.guarantee) l.guarantee.status = 'ended';
          }
          l.bids = [];
        };

        async function closeEverything() {
          const waiting = await rows<{ id: string; user_id: string }>(
            ctx.db,
            sql`select g.id, gr.user_id from guarantees g join guarantors gr on gr.id = g.guarantor_id join listings l on l.id = g.listing_id where l.status = 'pending_guarantee' and g.status = 'pending'`,
          );
          for (const g of waiting) await declineGuarantee(ctx, g.user_id, g.id);
          const open = await rows<{ id: string; ends_at: string | Date }>(ctx.db, sql`select id, ends_at from listings where status = 'open'`);
          for (const o of open) {
            const ahead = new Date(o.ends_at).getTime() - ctx.clock.nowMs() + 1000;
            if (ahead > 0) await moveClock(ctx, ahead);
            await closeListing(ctx, o.id);
          }
        }

        /** Time passes: every open listing has ended (closed, in the model too) and the daily step runs. */
        async function advance(ms: number) {
          await moveClock(ctx, ms);
          for (const l of listings.filter((x) => x.open)) {
            const o = await closeListing(ctx, l.id);
            await closeInModel(l, o);
          }
          await serviceDueLoans(ctx, 'inline');
        }

        /** What each note of a loan is still owed now (its installments' unpaid parts), by note. */
        async function unpaidOf(loanId: string): Promise<Map<string, number>> {
          const found = await rows<{ id: string; unpaid: number }>(
            ctx.db,
            sql`select n.id, coalesce((select sum((x->>'principalDueMinor')::bigint - (x->>'principalPaidMinor')::bigint + (x->>'interestDueMinor')::bigint - (x->>'interestPaidMinor')::bigint
                                                 + (x->>'penaltyMinor')::bigint - (x->>'penaltyPaidMinor')::bigint) from jsonb_array_elements(n.installments) x), 0)::bigint as unpaid
                from loan_notes n where n.loan_id = ${loanId} order by n.id`,
          );
          return new Map(found.map((r) => [r.id, Number(r.unpaid)]));
        }

        /**
         * A loan of the sequence whose guarantee stood behind it defaulted: what the guarantor owes, note by
         * note, is coverage × the note's claim at default — what it is owed now plus what reached it from
         * payments dated after the default day — half-even. Checked against the guarantee row.
         */
        async function onDefault(loan: MLoan, g: MGuarantee, defaultedOn: string) {
          const unpaid = await unpaidOf(loan.id);
          const after = await rows<{ note_id: string; s: number }>(
            ctx.db,
            sql`select t.reference as note_id, sum(t.amount_minor)::bigint as s from ledger_transfers t join repayments r on t.id like 'xfr_' || r.id || '_%'
                where r.loan_id = ${loan.id} and r.paid_on > ${defaultedOn} and t.kind = 'repayment' group by t.reference`,
          );
          const claims = new Map([...unpaid].map(([id, u]) => [id, u + Number(after.find((a) => a.note_id === id)?.s ?? 0)]));
          g.owedPerNote = new Map([...claims].filter(([, c]) => c > 0).map(([id, c]) => [id, halfEven(c * g.pct, 100)]));
          g.owed = [...g.owedPerNote.values()].reduce((a, x) => a + x, 0);
          g.status = 'owed';
          g.defaultedOn = defaultedOn;
          g.payBy = addDays(defaultedOn, payDays);
          const [row] = await rows<{ owed_minor: number; pay_by: string; per_note: { noteId: string; owedMinor: number }[] | string }>(
            ctx.db,
            sql`select owed_minor, to_char(pay_by, 'YYYY-MM-DD') as pay_by, owed_per_note as per_note from guarantees where id = ${g.id}`,
          );
          const perNote = typeof row!.per_note === 'string' ? (JSON.parse(row!.per_note) as { noteId: string; owedMinor: number }[]) : row!.per_note;
          expect({ owed: Number(row!.owed_minor), payBy: row!.pay_by, perNote: Object.fromEntries(perNote.map((n) => [n.noteId, n.owedMinor])) }, `what the guarantor owes on ${loan.id}`).toEqual({
            owed: g.owed,
            payBy: g.payBy,
            perNote: Object.fromEntries(g.owedPerNote),
          });
          count('guaranteed defaults');
        }

        /**
         * A payment into a loan: what the model expects of it. After its guarantor paid (and until it got it
         * all back) it is shared pro rata between the holders (what they are still owed) and the guarantor
         * (what it paid and has not got back); otherwise it all goes to the holders.
         */
        async function expectedSplit(loan: MLoan, amount: number): Promise<{ toGuarantor: number; exceeds: boolean; shared: boolean }> {
          const g = loan.guarantee;
          const left = g && g.status === 'paid' ? g.paid - g.recovered : 0;
          if (!g || left === 0) return { toGuarantor: 0, exceeds: false, shared: false };
          const holders = [...(await unpaidOf(loan.id)).values()].reduce((a, x) => a + x, 0);
          if (amount > holders + left) return { toGuarantor: 0, exceeds: true, shared: true };
          return { toGuarantor: proRata(amount, holders, left)[1], exceeds: false, shared: true };
        }

        /** A payment made: its transfers to the holders (by note) and to the guarantor, into the model's wallets. */
        async function receivedFrom(repaymentId: string, loan: MLoan, amount: number, expected: { toGuarantor: number; shared: boolean }) {
          const shares = await rows<{ id: string; reference: string; amount_minor: number; kind: string }>(ctx.db, sql`select id, reference, amount_minor, kind from ledger_transfers where id like ${`xfr_${repaymentId}_%`}`);
          expect(shares.reduce((a, s) => a + Number(s.amount_minor), 0)).toBe(amount);
          const toGuarantor = shares.filter((s) => s.kind === 'guarantor_recovery').reduce((a, s) => a + Number(s.amount_minor), 0);
          expect(toGuarantor, `the guarantor's pro rata share of ${amount} on ${loan.id}`).toBe(expected.toGuarantor);
          for (const s of shares) {
            if (s.kind === 'guarantor_recovery') w(guarantor.userId).available += Number(s.amount_minor);
            else w(loan.noteLenders.get(s.reference)!).available += Number(s.amount_minor);
          }
          if (expected.toGuarantor > 0) {
            loan.guarantee!.recovered += expected.toGuarantor;
            count('recoveries shared with the guarantor');
          }
        }

        /** The model's exposure of the guarantor (docs/guarantees.md §3), from its own guarantees and the loans' outstanding principal. */
        async function exposure(): Promise<number> {
          let sum = 0;
          for (const g of guaranteesOf) {
            if (g.status === 'active' && !g.loanId) sum += halfEven(g.amount * g.pct, 100);
            else if (g.status === 'active') {
              const [l] = await rows<{ o: number }>(ctx.db, sql`select outstanding_principal_minor as o from loans where id = ${g.loanId!}`);
              sum += halfEven(Number(l!.o) * g.pct, 100);
            } else if (g.status === 'owed') sum += g.owed - g.paid;
          }
          return sum;
        }

        async function doBid(l: MListing | undefined, u: string, amount: number, rate: number) {
          if (!l) return;
          const book = naiveBook(l);
          const ok =
            l.open &&
            !l.bids.some((b) => b.lender === u) &&
            amount <= l.amount &&
            rate <= l.maxRate &&
            (book.marginalRate === null || rate < book.marginalRate) &&
            w(u).available >= amount;
          if (!ok) {
            await expectRejected(placeBid(ctx, l.id, { lenderId: u, amountMinor: amount, rateBps: rate, clientRef: null }));
            count('bids refused');
            return;
          }
          const { bid } = await placeBid(ctx, l.id, { lenderId: u, amountMinor: amount, rateBps: rate, clientRef: null });
          count('bids accepted');
          l.seq += 1;
          l.bids.push({ id: bid.id, lender: u, amount, rate, priority: l.seq });
          w(u).available -= amount;
          w(u).held += amount;
          settleOutbid(l, wallets);
        }

        async function doList(b: Borrower, amount: number, terms?: { pct: number; feeBps: number }) {
          if (listings.some((l) => (l.open || l.pending) && l.borrower === b.userId)) {
            await expectRejected(createListing(ctx, b.userId, listingBody(amount, terms && { guarantorId: guarantor.id, coveragePct: terms.pct, feeBps: terms.feeBps }), null));
            return;
          }
          const created = await createListing(ctx, b.userId, listingBody(amount, terms && { guarantorId: guarantor.id, coveragePct: terms.pct, feeBps: terms.feeBps }), null).catch((e: unknown) => e);
          if (created instanceof AppError && ['CREDIT_LINE_EXCEEDED', 'REGULATORY_CAP_EXCEEDED'].includes(created.code)) return;
          if (created instanceof Error) throw created;
          const { id, status } = created as { id: string; status: string };
          const l: MListing = { id, borrower: b.userId, amount, maxRate: 1500, seq: 0, open: !terms, pending: !!terms, bids: [] };
          expect(status).toBe(terms ? 'pending_guarantee' : 'open');
          if (terms) {
            const [g] = await rows<{ id: string }>(ctx.db, sql`select id from guarantees where listing_id = ${id}`);
            l.guarantee = { id: g!.id, listingId: id, amount, pct: terms.pct, feeBps: terms.feeBps, status: 'pending', fee: 0, owed: 0, paid: 0, recovered: 0 };
            guaranteesOf.push(l.guarantee);
            count('guaranteed listings');
          }
          listings.push(l);
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
              await doList(borrowers[c.who]!, c.amount);
              break;
            }
            case 'glist': {
              await doList(borrowers[c.who]!, c.amount, { pct: c.pct, feeBps: c.feeBps });
              break;
            }
            case 'gdecide': {
              const waiting = listings.filter((x) => x.pending);
              const l = waiting[c.which % Math.max(1, waiting.length)];
              if (!l) break;
              const g = l.guarantee!;
              if (!c.accept) {
                await declineGuarantee(ctx, guarantor.userId, g.id);
                l.pending = false;
                g.status = 'declined';
                count('guarantees declined');
                break;
              }
              const fits = (await exposure()) + halfEven(l.amount * g.pct, 100) <= capacity;
              if (!fits) {
                await expectRejected(acceptGuarantee(ctx, guarantor.userId, g.id), 'GUARANTOR_CAPACITY_EXCEEDED');
                break;
              }
              await acceptGuarantee(ctx, guarantor.userId, g.id);
              l.pending = false;
              l.open = true;
              g.status = 'active';
              count('guarantees accepted');
              break;
            }
            case 'bid': {
              // Mostly on an open listing (the interesting case); a closed one now and then.
              const open = listings.filter((x) => x.open);
              const l = c.listing < 5 && open.length ? open[c.listing % open.length] : listings[c.listing % Math.max(1, listings.length)];
              await doBid(l, lenderIds[c.who]!, c.amount, c.rate);
              break;
            }
            case 'fund': {
              // Lenders in turn bid what an open listing (a guaranteed one first) still lacks.
              const open = listings.filter((x) => x.open).sort((a, b) => Number(!!b.guarantee) - Number(!!a.guarantee));
              const l = open[c.listing % Math.max(1, open.length)];
              if (!l) break;
              for (const u of lenderIds) {
                const lacking = l.amount - naiveBook(l).coverage;
                if (lacking <= 0 || !l.open) break;
                if (l.bids.some((b) => b.lender === u)) continue;
                await doBid(l, u, Math.min(lacking, 150_000), c.rate);
              }
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
              const l = listings.find((x) => (x.open || x.pending) && x.borrower === b.userId);
              if (!l) break;
              await withdraw(ctx, b.userId, l.id);
              for (const bid of l.bids) {
                w(bid.lender).held -= bid.amount;
                w(bid.lender).available += bid.amount;
              }
              l.bids = [];
              l.open = false;
              l.pending = false;
              if (l.guarantee) l.guarantee.status = 'ended';
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
              const expected = await expectedSplit(loan, c.amount);
              const paid = await repayLoan(ctx, b.userId, loan.id, c.amount, null).catch((e: unknown) => e);
              if (expected.exceeds) expect(paid, 'more than the holders and the guarantor are owed together').toMatchObject({ code: 'REPAYMENT_EXCEEDS_OWED' });
              if (paid instanceof AppError && ['REPAYMENT_EXCEEDS_OWED', 'LOAN_NOT_ACTIVE'].includes(paid.code)) break;
              if (paid instanceof Error) throw paid;
              count('repayments');
              w(b.userId).available -= c.amount;
              await receivedFrom((paid as { id: string }).id, loan, c.amount, expected);
              break;
            }
            case 'recover': {
              // Proceeds from outside on a defaulted loan, recorded by an operator: the custodian pays, never the platform.
              const defaulted = (await rows<{ id: string }>(ctx.db, sql`select id from loans where status = 'defaulted' and id in (${sql.join(loans.length ? loans.map((l) => sql`${l.id}`) : [sql`''`], sql`, `)}) order by id`)).map((r) => r.id);
              const loan = loans.find((l) => l.id === defaulted[c.which % Math.max(1, defaulted.length)]);
              if (!loan) break;
              const expected = await expectedSplit(loan, c.amount);
              const res = await call(t.app, 'POST', `/api/v1/admin/loans/${loan.id}/recoveries`, { token: operator, body: { amountMinor: c.amount, reference: 'model recovery' } });
              if (expected.exceeds) expect(res.json(), 'more than the holders and the guarantor are owed together').toMatchObject({ code: 'REPAYMENT_EXCEEDS_OWED' });
              if (res.statusCode === 422 && ['REPAYMENT_EXCEEDS_OWED', 'LOAN_NOT_ACTIVE'].includes(res.json().code)) break;
              expect(res.statusCode, res.body).toBe(201);
              expect(res.json().guarantorShareMinor).toBe(expected.toGuarantor);
              count('recoveries');
              await receivedFrom(res.json().id, loan, c.amount, expected);
              break;
            }
            case 'gpay': {
              // Days pass (past GUARANTOR_PAY_DAYS now and then), then the guarantor pays what it owes, or cannot.
              if (c.lateDays > 0) await advance(c.lateDays * DAY_MS);
              await syncGuarantees();
              const owed = guaranteesOf.filter((g) => g.status === 'owed');
              const g = owed[c.which % Math.max(1, owed.length)];
              if (!g) break;
              const loan = loans.find((l) => l.id === g.loanId)!;
              const unpaid = await unpaidOf(loan.id);
              // Each note: what the guarantor owes it, at most what it is still owed.
              const perNote = new Map([...g.owedPerNote!].map(([id, o]) => [id, Math.max(0, Math.min(o, unpaid.get(id) ?? 0))]));
              const amount = [...perNote.values()].reduce((a, x) => a + x, 0);
              if (c.topUp && w(guarantor.userId).available < amount) {
                const more = amount - w(guarantor.userId).available;
                await depositInto(ctx, guarantor.userId, more, null);
                w(guarantor.userId).available += more;
              }
              if (w(guarantor.userId).available < amount) {
                await expectRejected(payGuarantee(ctx, guarantor.userId, g.id), 'INSUFFICIENT_FUNDS');
                break;
              }
              const late = today() > g.payBy!;
              await payGuarantee(ctx, guarantor.userId, g.id);
              const moved = await rows<{ reference: string; amount_minor: number; debit: string }>(
                ctx.db,
                sql`select t.reference, t.amount_minor, t.debit_account_id as debit from ledger_transfers t join repayments r on t.id like 'xfr_' || r.id || '_%' where r.loan_id = ${loan.id} and r.source = 'guarantor'`,
              );
              // Each holder receives its coverage of its own claim at default, to the fen, from the guarantor's wallet.
              expect(Object.fromEntries(moved.map((m) => [m.reference, Number(m.amount_minor)])), `the guarantor's payment on ${loan.id}, note by note`).toEqual(Object.fromEntries([...perNote].filter(([, a]) => a > 0)));
              for (const m of moved) expect(m.debit).toBe(`acc_w_${guarantor.userId}`);
              for (const [noteId, a] of perNote) w(loan.noteLenders.get(noteId)!).available += a;
              w(guarantor.userId).available -= amount;
              g.paid = amount;
              g.status = 'paid';
              count(late ? 'guarantor paid late' : 'guarantor paid on time');
              break;
            }
            case 'default': {
              // Far in the future every open listing has ended; past the default threshold nobody pays.
              await advance(130 * DAY_MS);
              break;
            }
          }
          await syncGuarantees();
          for (const u of users) {
            const got = await walletOf(ctx.db, u);
            expect({ available: got.availableMinor, held: got.heldMinor }, `wallet of ${u} after ${c.op}`).toEqual(w(u));
          }
          const inv = await checkInvariants(ctx.db);
          violations += inv.checks.filter((x) => !x.ok).length;
          expect(inv.checks.filter((x) => !x.ok)).toEqual([]);
          // No platform guarantee (docs/guarantees.md §7): after every command, no platform account paid anything.
          expect(inv.checks.find((x) => x.name === 'platform.never_pays'), `after ${c.op}`).toMatchObject({ ok: true });
          // The same, by the test's own count over the ledger: no transfer has ever debited the platform's fee
          // account or an operator's wallet toward a loan, a fee, a guarantee or a recovery.
          const [platformPaid] = await rows<{ n: number }>(
            ctx.db,
            sql`select count(*)::int as n from ledger_transfers t join ledger_accounts a on a.id = t.debit_account_id left join users u on u.id = a.owner_user_id
                where a.kind = 'platform_fees' or u.role = 'operator'`,
          );
          expect(platformPaid!.n, `transfers out of a platform account after ${c.op}`).toBe(0);
        }
        for (const g of guaranteesOf) if (g.status === 'owed' && today() > g.payBy!) count('guarantees left unpaid past their day');

        /**
         * The guarantees of the sequence after a command: a guaranteed loan that defaulted is owed (what, the
         * model computes), one repaid ended; the rows agree with the model, and an owed one shows overdue
         * exactly after its pay-by day.
         */
        async function syncGuarantees() {
          for (const loan of loans) {
            const g = loan.guarantee;
            if (!g || g.status !== 'active') continue;
            const [l] = await rows<{ status: string; defaulted_on: string | null }>(ctx.db, sql`select status, to_char(defaulted_on, 'YYYY-MM-DD') as defaulted_on from loans where id = ${loan.id}`);
            if (l!.status === 'defaulted') await onDefault(loan, g, l!.defaulted_on!);
            else if (l!.status === 'repaid') g.status = 'ended';
          }
          if (guaranteesOf.length === 0) return;
          const found = await rows<{ id: string; status: string; fee_minor: number; owed_minor: number; paid_minor: number; recovered_minor: number; loan_id: string | null }>(
            ctx.db,
            sql`select id, status, fee_minor, owed_minor, paid_minor, recovered_minor, loan_id from guarantees where guarantor_id = ${guarantor.id} order by id`,
          );
          const model = guaranteesOf.map((g) => ({ id: g.id, status: g.status, fee: g.fee, owed: g.owed, paid: g.paid, recovered: g.recovered, loanId: g.loanId ?? null })).sort((a, b) => (a.id < b.id ? -1 : 1));
          expect(found.map((r) => ({ id: r.id, status: r.status, fee: Number(r.fee_minor), owed: Number(r.owed_minor), paid: Number(r.paid_minor), recovered: Number(r.recovered_minor), loanId: r.loan_id })), 'the guarantees against the model').toEqual(model);
          const owed = guaranteesOf.filter((g) => g.status === 'owed');
          if (owed.length) {
            const shown = await guaranteesOfListings(ctx.db, owed.map((g) => g.listingId), today());
            for (const g of owed) expect(shown.get(g.listingId), `the guarantee on ${g.listingId}`).toMatchObject({ status: 'owed', payBy: g.payBy, overdue: today() > g.payBy! });
          }
        }
      }),
      // No shrinking: the database carries on from sequence to sequence, so a shrunk sequence would not replay
      // the failure, and shrinking would only run into the timeout before the failure is reported.
      { numRuns: Number(process.env.MARKET_MODEL_RUNS ?? 40), seed: Number(process.env.FC_SEED ?? 20261129), endOnFailure: true },
    );
    console.log(`market model: ${sequences} sequences, ${commands} commands, ${violations} invariant violations (${Object.entries(done).map(([k, v]) => `${v} ${k}`).join(', ')})`);
    for (const what of ['bids accepted', 'bids refused', 'cleared', 'failed', 'repayments']) expect(done[what] ?? 0, `the commands reached ${what}`).toBeGreaterThan(0);
    const guaranteeSteps = ['guarantees accepted', 'refused GUARANTOR_CAPACITY_EXCEEDED', 'guarantees declined', 'guaranteed loans', 'guaranteed defaults', 'guarantor paid on time', 'guarantor paid late', 'guarantees left unpaid past their day', 'recoveries shared with the guarantor'];
    // With the fixed seed every guarantee step is reached; another seed (FC_SEED) or fewer runs may miss one by chance.
    if (!process.env.FC_SEED && !process.env.MARKET_MODEL_RUNS) for (const what of guaranteeSteps) expect(done[what] ?? 0, `the commands reached ${what}`).toBeGreaterThan(0);
    // Forty sequences of commands (each with a guaranteed loan's story woven in, the random part shorter
    // for it), each checked against the database: the slowest test, more so on PGlite.
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

function listingBody(amountMinor: number, guarantee?: { guarantorId: string; coveragePct: number; feeBps: number }) {
  return { title: 'Model', purpose: 'Model run', amountMinor, termMonths: 6, maxRateBps: 1500, repayment: 'equal_installment', product: 'credit', durationSec: 3600, ...(guarantee ? { guarantee } : {}) };
}
