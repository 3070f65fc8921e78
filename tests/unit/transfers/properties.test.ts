/**
 * Properties of note transfers (docs/transfers.md) over random loans, random servicing and random trades:
 * a trade splits every installment not yet due so that the seller's and buyer's parts add up to the
 * original exactly, leaves what the borrower owes unchanged, and prices to the fen (price + accrued −
 * fee + fee = what the buyer paid); money stays conserved through later payments; replaying the payments
 * and trades gives the same state; paying off repays every note its whole principal.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { addDays } from '../../../src/domain/dates.js';
import { REPAYMENT_KINDS, accrueDay, applyPayment, openLoan, owedToday, type LoanState, type LoanTerms } from '../../../src/domain/servicing/index.js';
import { accruedUnpaidInterest } from '../../../src/domain/servicing/accrual.js';
import { PART_ORDER, unpaidPart } from '../../../src/domain/servicing/state.js';
import { quoteTrade, replayWithTransfers, transferPriceMinor, transferNote, transferability, type ServicingRecord } from '../../../src/domain/transfers/index.js';
import { SETTINGS, TERMS, arbDate } from '../servicing/arbitraries.js';

const arbTerms: fc.Arbitrary<LoanTerms> = fc.record({
  disbursedOn: arbDate,
  termMonths: fc.constantFrom(...TERMS.filter((t) => t >= 2)),
  repayment: fc.constantFrom(...REPAYMENT_KINDS),
  notes: fc
    .array(fc.record({ principalMinor: fc.integer({ min: 10_000, max: 5_000_000 }), rateBps: fc.integer({ min: 0, max: 2400 }) }), { minLength: 1, maxLength: 4 })
    .map((notes) => notes.map((n, i) => ({ ...n, noteId: `note_a${i + 1}` }))),
});

type Op =
  | { kind: 'pay'; days: number; perMille: number }
  | { kind: 'trade'; days: number; note: number; perMille: number; priceBps: number; feeBps: number };

const arbOp: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ kind: fc.constant('pay' as const), days: fc.integer({ min: 0, max: 40 }), perMille: fc.integer({ min: 1, max: 1000 }) }),
  fc.record({
    kind: fc.constant('trade' as const),
    days: fc.integer({ min: 0, max: 40 }),
    note: fc.nat(),
    perMille: fc.integer({ min: 1, max: 1000 }),
    priceBps: fc.integer({ min: 5000, max: 15_000 }),
    feeBps: fc.integer({ min: 0, max: 1000 }),
  }),
);

function received(state: LoanState): number {
  return state.notes.reduce((a, n) => a + n.installments.reduce((b, i) => b + i.principalPaidMinor + i.interestPaidMinor + i.penaltyPaidMinor, 0), 0);
}

describe('note transfer properties', () => {
  it('split adds up per installment and part, payoff unchanged, prices to the fen, conservation, replay = incremental, payoff repays every note', () => {
    fc.assert(
      fc.property(arbTerms, fc.array(arbOp, { minLength: 1, maxLength: 14 }), (terms, ops) => {
        let state = openLoan(terms);
        let cursor = terms.disbursedOn;
        let paidMinor = 0;
        let trades = 0;
        const log: ServicingRecord[] = [];
        for (const op of ops) {
          cursor = addDays(cursor, op.days);
          if (cursor <= state.servicedThrough) cursor = addDays(state.servicedThrough, 1);
          if (state.status !== 'active') break;
          const before = accrueDay(state, addDays(cursor, -1), SETTINGS).state;
          if (op.kind === 'pay') {
            const payoff = owedToday(before, cursor).payoffMinor;
            const amountMinor = Math.max(1, Math.floor((payoff * op.perMille) / 1000));
            const r = applyPayment(state, amountMinor, cursor, SETTINGS);
            if (!r.ok) throw new Error(`refused: ${r.code}`);
            state = r.state;
            paidMinor += amountMinor;
            log.push({ amountMinor, paidOn: cursor });
          } else {
            const seller = before.notes[op.note % before.notes.length]!;
            const t = transferability(before, seller, cursor, terms.disbursedOn, 0);
            if (!t.ok) continue;
            const p = Math.max(1, Math.floor((t.transferableMinor * op.perMille) / 1000));
            // checkOfferTerms refuses an offer whose price rounds to nothing (a fen or two at a discount).
            if (transferPriceMinor(p, op.priceBps) === 0) continue;
            const quote = quoteTrade(seller, t.currentIndex, cursor, p, op.priceBps, op.feeBps);
            // Price to the fen: what the buyer pays is exactly what the seller and the platform receive.
            expect(quote.paidMinor).toBe(quote.priceMinor + quote.accruedMinor);
            expect(quote.sellerReceivesMinor + quote.feeMinor).toBe(quote.paidMinor);
            expect(quote.accruedMinor).toBeLessThanOrEqual(accruedUnpaidInterest(seller, t.currentIndex, cursor));
            expect(quote.accruedMinor).toBeGreaterThanOrEqual(0);
            const buyerId = `note_b${++trades}`;
            const { state: after, share } = transferNote(state, { fromNoteId: seller.noteId, toNoteId: buyerId, principalMinor: p, tradeDate: cursor }, SETTINGS);
            expect(share.accruedMinor).toBe(quote.accruedMinor);
            const sellerAfter = after.notes.find((n) => n.noteId === seller.noteId)!;
            const buyer = after.notes.find((n) => n.noteId === buyerId)!;
            // Every installment and part: seller after + buyer = seller before, exactly.
            seller.installments.forEach((inst, i) => {
              for (const part of PART_ORDER) expect(unpaidPart(sellerAfter.installments[i]!, part) + unpaidPart(buyer.installments[i]!, part)).toBe(unpaidPart(inst, part));
              expect(sellerAfter.installments[i]!.principalDueMinor + buyer.installments[i]!.principalDueMinor).toBe(inst.principalDueMinor);
              expect(sellerAfter.installments[i]!.interestDueMinor + buyer.installments[i]!.interestDueMinor).toBe(inst.interestDueMinor);
            });
            expect(buyer.principalMinor).toBe(p);
            expect(sellerAfter.principalMinor + buyer.principalMinor).toBe(seller.principalMinor);
            // The buyer's installments are the quote's, from the current period on; nothing before it.
            expect(buyer.installments.slice(t.currentIndex).map((i) => ({ n: i.n, dueDate: i.dueDate, principalMinor: i.principalDueMinor, interestMinor: i.interestDueMinor }))).toEqual(quote.installments);
            expect(buyer.installments.slice(0, t.currentIndex).every((i) => i.principalDueMinor === 0 && i.interestDueMinor === 0)).toBe(true);
            // What the borrower owes is unchanged, for the loan and in total over the two notes.
            const owedBefore = owedToday(before, cursor);
            const owedAfter = owedToday(after, cursor);
            expect(owedAfter.payoffMinor).toBe(owedBefore.payoffMinor);
            expect(owedAfter.accruedInterestMinor).toBe(owedBefore.accruedInterestMinor);
            const byId = new Map(owedAfter.perNote.map((n) => [n.noteId, n]));
            const sellerOwed = owedBefore.perNote.find((n) => n.noteId === seller.noteId)!;
            expect(byId.get(seller.noteId)!.payoffMinor + byId.get(buyerId)!.payoffMinor).toBe(sellerOwed.payoffMinor);
            expect(byId.get(buyerId)!.accruedInterestMinor).toBe(quote.accruedMinor);
            expect(after.notes.reduce((a, n) => a + n.principalMinor, 0)).toBe(terms.notes.reduce((a, n) => a + n.principalMinor, 0));
            if (p === t.transferableMinor) expect(sellerAfter.soldOut).toBe(true);
            state = after;
            log.push({ kind: 'transfer', fromNoteId: seller.noteId, toNoteId: buyerId, principalMinor: p, tradeDate: cursor });
          }
          expect(received(state)).toBe(paidMinor);
        }
        expect(replayWithTransfers(terms, log, state.servicedThrough, SETTINGS)).toEqual(state);
        if (state.status === 'active') {
          const day = addDays(state.servicedThrough, 1);
          const r = applyPayment(state, owedToday(state, day, SETTINGS).payoffMinor, day, SETTINGS);
          if (!r.ok) throw new Error(r.code);
          expect(r.state.status).toBe('repaid');
          for (const note of r.state.notes) {
            expect(['repaid', 'sold']).toContain(note.status);
            expect(note.installments.reduce((a, i) => a + i.principalPaidMinor, 0)).toBe(note.principalMinor);
          }
        }
      }),
      { numRuns: 300 },
    );
  });
});
