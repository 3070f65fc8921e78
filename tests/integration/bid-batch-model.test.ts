import { sql } from 'drizzle-orm';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rows } from '../../src/db/client.js';
import { placeBidBatch, placeBids, type BidOutcome, type ListingBid } from '../../src/services/bidding.js';
import { withdraw } from '../../src/services/listings.js';
import { expectInvariants, registerLender, walletOfToken, type Session } from './helpers/api.js';
import { createTestStorage, startApp, type TestApp, type TestStorage } from './helpers/env.js';
import { createListing, newPartner, ratedBorrower, type Borrower, type ListingOptions } from './helpers/market.js';
import { ADMIN_ENV, type PartnerKey } from './helpers/partner.js';

/**
 * Group commit across listings must not change a single decision: a batch of bids over several listings,
 * in one transaction, decides each bid exactly as placing them one at a time in the same order would —
 * same acceptances and rejection codes, same priorities, same books, same wallets. Two identical worlds
 * (the same listings, lenders with the same deposits) get the same generated bids, one as a batch and one
 * bid by bid, and are compared.
 */

let storage: TestStorage;
let a: TestApp;
let partner: PartnerKey;
const borrowers: { batch: Borrower[]; single: Borrower[] } = { batch: [], single: [] };

// A uniform listing, a pay-as-bid one, and one that clears the moment it is funded (in the middle of a batch).
const LISTINGS: ListingOptions[] = [
  { amountMinor: 300_000, maxRateBps: 1500 },
  { amountMinor: 200_000, maxRateBps: 1400, pricing: 'pay_as_bid' },
  { amountMinor: 200_000, maxRateBps: 1500, closeWhenFunded: true },
];
const LENDERS = 6;
// Small wallets: a lender's bids on different listings of one batch compete for the same money.
const DEPOSITS = [150_000, 250_000, 100_000, 400_000, 200_000, 120_000];

beforeAll(async () => {
  storage = await createTestStorage();
  a = await startApp(storage, { env: { ...ADMIN_ENV } });
  partner = await newPartner(a.app);
  for (const world of ['batch', 'single'] as const) for (let i = 0; i < LISTINGS.length; i++) borrowers[world].push(await ratedBorrower(a.app, partner));
});
afterAll(async () => {
  if (a) await expectInvariants(a.app);
  await a?.close();
  await storage?.dispose();
});

interface World {
  listingIds: string[];
  lenders: Session[];
}

async function newWorld(world: 'batch' | 'single'): Promise<World> {
  const listingIds: string[] = [];
  for (const [i, opts] of LISTINGS.entries()) listingIds.push((await createListing(a.app, borrowers[world][i]!, opts)).id);
  const lenders: Session[] = [];
  for (let i = 0; i < LENDERS; i++) lenders.push(await registerLender(a.app, { depositMinor: DEPOSITS[i]! }));
  return { listingIds, lenders };
}

async function closeWorld(world: 'batch' | 'single', w: World): Promise<void> {
  const open = await rows<{ id: string }>(a.app.ctx.db, sql`select id from listings where id = any(${`{${w.listingIds.join(',')}}`}::text[]) and status = 'open'`);
  for (const { id } of open) await withdraw(a.app.ctx, borrowers[world][w.listingIds.indexOf(id)]!.userId, id);
}

type Step = { listing: number; lender: number; amountMinor: number; rateBps: number; ref: number | null };

const step: fc.Arbitrary<Step> = fc.record({
  // Listing 3 does not exist.
  listing: fc.oneof({ weight: 19, arbitrary: fc.integer({ min: 0, max: 2 }) }, { weight: 1, arbitrary: fc.constant(3) }),
  lender: fc.integer({ min: 0, max: LENDERS - 1 }),
  // Mostly valid amounts, sometimes one that is not whole yuan.
  amountMinor: fc.oneof({ weight: 19, arbitrary: fc.integer({ min: 1, max: 18 }).map((k) => k * 10_000) }, { weight: 1, arbitrary: fc.constant(10_050) }),
  rateBps: fc.integer({ min: 800, max: 1420 }),
  // A client ref shared by some steps: retries (same bid again) and reuse for another bid.
  ref: fc.option(fc.integer({ min: 0, max: 2 }), { nil: null, freq: 3 }),
});

function itemsOf(w: World, steps: readonly Step[]): ListingBid[] {
  return steps.map((s) => ({
    listingId: w.listingIds[s.listing] ?? 'lst_does_not_exist',
    request: { lenderId: w.lenders[s.lender]!.userId, amountMinor: s.amountMinor, rateBps: s.rateBps, clientRef: s.ref === null ? null : `model:${s.ref}` },
  }));
}

/** An outcome without the world's own ids; `final` drops the live view of bids on a listing that cleared. */
function comparable(o: BidOutcome, listingIndex: number, clearedListings: ReadonlySet<number>) {
  if (!o.ok) return { ok: false, code: o.code };
  const b = o.bid;
  const decision = { ok: true, replayed: o.replayed, listing: listingIndex, amountMinor: b.amountMinor, requestedAmountMinor: b.requestedAmountMinor, rateBps: b.rateBps, priority: b.priority };
  // One bid at a time, a bid answered before the listing cleared reports its standing then; in a batch
  // every bid is answered after the commit, clearing included. The stored rows are compared below.
  return clearedListings.has(listingIndex) ? decision : { ...decision, status: b.status, fillMinor: b.fillMinor, standing: b.standing };
}

async function stateOf(w: World) {
  const lenderIndex = new Map(w.lenders.map((l, i) => [l.userId, i]));
  const listings = [];
  for (const id of w.listingIds) {
    const [l] = await rows<{ status: string; seq: number; coverage_minor: string; current_rate_bps: number; funded_pct: number; bid_count: number }>(
      a.app.ctx.db,
      sql`select status, seq, coverage_minor, current_rate_bps, funded_pct, bid_count from listings where id = ${id}`,
    );
    const stored = await rows<{ lender_id: string; amount_minor: string; requested_amount_minor: string; rate_bps: number; priority: number; status: string; fill_minor: string }>(
      a.app.ctx.db,
      sql`select lender_id, amount_minor, requested_amount_minor, rate_bps, priority, status, fill_minor from bids where listing_id = ${id} order by priority`,
    );
    listings.push({
      ...l,
      coverage_minor: Number(l!.coverage_minor),
      bids: stored.map((b) => ({ lender: lenderIndex.get(b.lender_id), amount: Number(b.amount_minor), requested: Number(b.requested_amount_minor), rate: b.rate_bps, priority: b.priority, status: b.status, fill: Number(b.fill_minor) })),
    });
  }
  const wallets = [];
  for (const l of w.lenders) {
    const wallet = await walletOfToken(a.app, l.token);
    // The last wallet event each lender was sent carries the balances its wallet was left with.
    const [last] = await rows<{ m: { data: { availableMinor: number; heldMinor: number } } }>(
      a.app.ctx.db,
      sql`select e.m from outbox o, jsonb_array_elements(o.messages) with ordinality as e(m, i)
          where e.m->>'channel' = ${`user:${l.userId}`} and e.m->>'type' = 'wallet.changed' order by o.id desc, e.i desc limit 1`,
    );
    expect({ availableMinor: last?.m.data.availableMinor, heldMinor: last?.m.data.heldMinor }).toEqual({ availableMinor: wallet.availableMinor, heldMinor: wallet.heldMinor });
    wallets.push(wallet);
  }
  return { listings, wallets };
}

describe('group commit across listings', () => {
  // The bids go in one batch, or in several one after another: a batch then starts from the book the
  // one before it left on this node (its cache), which one at a time must agree with too.
  it('batches over several listings decide every bid exactly as one bid at a time in the same order', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(step, { minLength: 10, maxLength: 40 }), fc.array(fc.integer({ min: 1, max: 39 }), { maxLength: 4 }), async (steps, cutsDrawn) => {
        const batchWorld = await newWorld('batch');
        const singleWorld = await newWorld('single');
        try {
          const items = itemsOf(batchWorld, steps);
          const cuts = [...new Set(cutsDrawn.filter((c) => c < steps.length))].sort((x, y) => x - y);
          const batchOutcomes: BidOutcome[] = [];
          let from = 0;
          for (const to of [...cuts, steps.length]) {
            batchOutcomes.push(...(await placeBidBatch(a.app.ctx, items.slice(from, to))));
            from = to;
          }
          const singleOutcomes: BidOutcome[] = [];
          for (const item of itemsOf(singleWorld, steps)) singleOutcomes.push((await placeBids(a.app.ctx, item.listingId, [item.request]))[0]!);
          const batchState = await stateOf(batchWorld);
          const singleState = await stateOf(singleWorld);
          expect(batchState).toEqual(singleState);
          const cleared = new Set(singleState.listings.flatMap((l, i) => (l.status === 'cleared' ? [i] : [])));
          expect(batchOutcomes.map((o, i) => comparable(o, steps[i]!.listing, cleared))).toEqual(singleOutcomes.map((o, i) => comparable(o, steps[i]!.listing, cleared)));
        } finally {
          await closeWorld('batch', batchWorld);
          await closeWorld('single', singleWorld);
        }
      }),
      { numRuns: 12, endOnFailure: true },
    );
    // Each run builds two worlds through the API (listings, lenders with KYC and deposits).
  }, 600_000);
});
