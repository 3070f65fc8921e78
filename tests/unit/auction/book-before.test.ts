import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { computeBook, placeBid, type ActiveBid, type Book } from '../../../src/domain/auction/index.js';
import { insertIntoSettledBook } from '../../../src/domain/auction/book.js';
import { SETTINGS, T0_MS, lender, makeListing } from './fixtures.js';

type Step = { who: number; amount: number; rate: number };
const STEP = { who: fc.nat(12), amount: fc.integer({ min: 1, max: 40 }), rate: fc.integer({ min: 800, max: 1500 }) };

/** The i-th bid of a generated sequence, on the listing and bids it has reached. */
function bidInput(listing: ReturnType<typeof makeListing>, active: ActiveBid[], s: Step, i: number) {
  return {
    listing,
    activeBids: active,
    lender: lender(`usr_${s.who}`),
    bid: { amountMinor: s.amount * 10_000, rateBps: s.rate },
    newBidId: `bid_${i}`,
    availableMinor: 10_000_000,
    nowMs: T0_MS,
    settings: SETTINGS,
  };
}

/** The active bids a settled book leaves (its entries without their fills). */
const activeOf = (book: Book): ActiveBid[] => book.entries.map(({ id, lenderId, amountMinor, rateBps, priority }) => ({ id, lenderId, amountMinor, rateBps, priority }));

/** A caller may hand placeBid the book it already has (a batch): the decision must be exactly the same. */
describe('placeBid with the book known', () => {
  it('decides exactly as when it computes the book itself, over random sequences', () => {
    fc.assert(
      fc.property(
        fc.array(fc.record(STEP), { minLength: 1, maxLength: 60 }),
        (steps) => {
          let listing = makeListing({ amountMinor: 1_000_000 });
          let active: ActiveBid[] = [];
          let book: Book | undefined;
          steps.forEach((s, i) => {
            const input = bidInput(listing, active, s, i);
            const fresh = placeBid(input);
            const reused = placeBid({ ...input, ...(book ? { bookBefore: book } : {}) });
            expect(reused).toEqual(fresh);
            if (fresh.ok) {
              listing = { ...listing, seq: fresh.seq, endsAtMs: fresh.endsAtMs };
              active = activeOf(fresh.book);
              book = fresh.book;
            }
          });
        },
      ),
      { numRuns: 300 },
    );
  });

  it("decides exactly the same when the bids given are the book's own entries (a batch: the index follows the book)", () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ ...STEP, reuseId: fc.boolean() }), { minLength: 1, maxLength: 60 }),
        (steps) => {
          let listing = makeListing({ amountMinor: 1_000_000 });
          let active: ActiveBid[] = [];
          let book: Book | undefined;
          steps.forEach((s, i) => {
            const input = bidInput(listing, active, s, i);
            const fresh = placeBid(input);
            if (book) {
              // An id already in the book is refused the same way with the index as without.
              const taken = book.entries[0]?.id;
              if (s.reuseId && taken) {
                expect(() => placeBid({ ...input, newBidId: taken })).toThrow(/newBidId must be new/);
                expect(() => placeBid({ ...input, activeBids: book!.entries, bookBefore: book!, newBidId: taken })).toThrow(/newBidId must be new/);
              }
            }
            const batch = placeBid({ ...input, ...(book ? { activeBids: book.entries, bookBefore: book } : {}) });
            expect(batch).toEqual(fresh);
            if (fresh.ok && batch.ok) {
              listing = { ...listing, seq: fresh.seq, endsAtMs: fresh.endsAtMs };
              active = activeOf(fresh.book);
              book = batch.book;
            }
          });
        },
      ),
      { numRuns: 300 },
    );
  });

  it('refuses a book that is not the book of the bids given', () => {
    const listing = makeListing();
    const first = placeBid({ listing, activeBids: [], lender: lender('usr_a'), bid: { amountMinor: 100_000, rateBps: 1000 }, newBidId: 'bid_a', availableMinor: 1_000_000, nowMs: T0_MS, settings: SETTINGS });
    if (!first.ok) throw new Error('accepted expected');
    expect(() =>
      placeBid({ listing: { ...listing, seq: first.seq }, activeBids: [], bookBefore: first.book, lender: lender('usr_b'), bid: { amountMinor: 100_000, rateBps: 1000 }, newBidId: 'bid_b', availableMinor: 1_000_000, nowMs: T0_MS, settings: SETTINGS }),
    ).toThrow(/not the book of these bids/);
  });
});

describe('insertIntoSettledBook', () => {
  it('equals computeBook of the winning bids, and cuts exactly the bids computeBook finds outside', () => {
    fc.assert(
      fc.property(
        fc.constantFrom('uniform' as const, 'pay_as_bid' as const),
        fc.integer({ min: 1, max: 50 }).map((x) => x * 10_000),
        fc.array(fc.record({ amount: fc.integer({ min: 1, max: 30 }).map((x) => x * 1_000), rate: fc.integer({ min: 900, max: 1000 }) }), { minLength: 1, maxLength: 80 }),
        (pricing, amountMinor, steps) => {
          const terms = { amountMinor, maxRateBps: 1500, pricing };
          let book = computeBook(terms, []);
          steps.forEach((s, i) => {
            const bid = { id: `b${i}`, lenderId: `l${i}`, amountMinor: s.amount, rateBps: s.rate, priority: i + 1 };
            const { book: next, outbid } = insertIntoSettledBook(terms, book, bid);
            const full = computeBook(terms, [...book.entries, bid]);
            expect(outbid.map((e) => e.id)).toEqual(full.entries.filter((e) => !e.winning).map((e) => e.id));
            const expected = computeBook(terms, full.entries.filter((e) => e.winning));
            expect({ ...next, bookLevels: next.bookLevels }).toEqual(expected);
            book = next;
          });
        },
      ),
      { numRuns: 500 },
    );
  });
});
