/**
 * Properties of repayment allocation and servicing (docs/market-rules.md §6) over random loans and random sequences
 * of day closes and payments on random dates: money is conserved to the minor unit, no note is ever paid
 * more than it is owed on any part, nothing owed goes negative, the payoff falls by exactly what is paid,
 * and replaying the payments gives the incremental state.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { addDays } from '../../../src/domain/dates.js';
import {
  BULLET,
  REPAYMENT_KINDS,
  accrueDay,
  applyPayment,
  openLoan,
  owedToday,
  replay,
  type AllocationLine,
  type LoanState,
  type LoanTerms,
  type PaymentRecord,
} from '../../../src/domain/servicing/index.js';
import { unpaidPart } from '../../../src/domain/servicing/state.js';
import { SETTINGS, TERMS, arbDate } from './arbitraries.js';

const arbNotes = fc
  .array(fc.record({ principalMinor: fc.integer({ min: 10_000, max: 5_000_000 }), rateBps: fc.integer({ min: 0, max: 2400 }) }), { minLength: 1, maxLength: 5 })
  .map((notes) => notes.map((n, i) => ({ ...n, noteId: `note_${i + 1}` })));

const arbMonthlyTerms: fc.Arbitrary<LoanTerms> = fc.record({
  disbursedOn: arbDate,
  termMonths: fc.constantFrom(...TERMS),
  repayment: fc.constantFrom(...REPAYMENT_KINDS),
  notes: arbNotes,
});

/** Claim-backed loans: one bullet period of 1..365 days, interest on actual/365. */
const arbBulletTerms: fc.Arbitrary<LoanTerms> = fc
  .record({ disbursedOn: arbDate, days: fc.integer({ min: 1, max: 365 }), notes: arbNotes })
  .map(({ disbursedOn, days, notes }) => ({ disbursedOn, termMonths: null, repayment: BULLET, maturesOn: addDays(disbursedOn, days), notes }));

const arbTerms: fc.Arbitrary<LoanTerms> = fc.oneof({ weight: 3, arbitrary: arbMonthlyTerms }, { weight: 1, arbitrary: arbBulletTerms });

type Amount =
  | { mode: 'perMille'; value: number } // a share of the payoff
  | { mode: 'due' } // exactly what is due
  | { mode: 'payoff' }
  | { mode: 'over'; value: number } // more than the payoff: refused
  | { mode: 'small'; value: number };

type Op = { kind: 'close'; days: number } | { kind: 'pay'; days: number; amount: Amount };

const arbAmount: fc.Arbitrary<Amount> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ mode: fc.constant('perMille' as const), value: fc.integer({ min: 1, max: 1000 }) }) },
  { weight: 3, arbitrary: fc.constant({ mode: 'due' as const }) },
  { weight: 1, arbitrary: fc.constant({ mode: 'payoff' as const }) },
  { weight: 1, arbitrary: fc.record({ mode: fc.constant('over' as const), value: fc.integer({ min: 1, max: 10_000 }) }) },
  { weight: 2, arbitrary: fc.record({ mode: fc.constant('small' as const), value: fc.integer({ min: 1, max: 500 }) }) },
);

const arbOp: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ kind: fc.constant('close' as const), days: fc.integer({ min: 0, max: 120 }) }),
  fc.record({ kind: fc.constant('pay' as const), days: fc.integer({ min: 0, max: 45 }), amount: arbAmount }),
);

function amountFor(a: Amount, payoffMinor: number, dueMinor: number): number {
  switch (a.mode) {
    case 'perMille':
      return Math.max(1, Math.floor((payoffMinor * a.value) / 1000));
    case 'due':
      return dueMinor;
    case 'payoff':
      return payoffMinor;
    case 'over':
      return payoffMinor + a.value;
    case 'small':
      return a.value;
  }
}

function totalReceived(state: LoanState): number {
  let total = 0;
  for (const n of state.notes) for (const i of n.installments) total += i.principalPaidMinor + i.interestPaidMinor + i.penaltyPaidMinor;
  return total;
}

/** Checks one accepted payment against the state it was applied to (days before it closed). */
function checkPayment(before: LoanState, after: LoanState, amountMinor: number, paidOn: string, lines: readonly AllocationLine[]): void {
  const owed = owedToday(before, paidOn);
  expect(lines.reduce((a, l) => a + l.amountMinor, 0)).toBe(amountMinor);
  for (const line of lines) {
    const j = before.notes.findIndex((n) => n.noteId === line.noteId);
    expect(line.amountMinor).toBeGreaterThan(0);
    expect(line.part).not.toBe('prepayment_fee'); // these settings have no prepayment fee
    if (line.part === 'prepayment_fee') continue;
    if (!line.early) {
      expect(line.amountMinor).toBeLessThanOrEqual(unpaidPart(before.notes[j]!.installments[line.n - 1]!, line.part));
    } else if (line.part === 'interest') {
      expect(line.amountMinor).toBeLessThanOrEqual(owed.perNote[j]!.accruedInterestMinor);
    } else {
      expect(line.part).toBe('principal');
      expect(line.amountMinor).toBeLessThanOrEqual(owed.perNote[j]!.principalNotDueMinor);
    }
  }
  // The payoff on the payment date falls by exactly the amount, for the loan and for each note.
  const owedAfter = owedToday(after, paidOn);
  expect(owedAfter.payoffMinor).toBe(owed.payoffMinor - amountMinor);
  owed.perNote.forEach((n, j) => {
    const received = lines.filter((l) => l.noteId === n.noteId).reduce((a, l) => a + l.amountMinor, 0);
    expect(owedAfter.perNote[j]!.payoffMinor).toBe(n.payoffMinor - received);
  });
}

describe('allocation properties', () => {
  it('conservation, no overpayment of any note on any part, nothing owed negative, replay = incremental', () => {
    fc.assert(
      fc.property(arbTerms, fc.array(arbOp, { minLength: 1, maxLength: 18 }), (terms, ops) => {
        let state = openLoan(terms);
        let cursor = terms.disbursedOn;
        let borrowerPaidMinor = 0;
        const log: PaymentRecord[] = [];
        for (const op of ops) {
          if (op.kind === 'close') {
            cursor = addDays(cursor, op.days);
            state = accrueDay(state, cursor, SETTINGS).state;
            expect(accrueDay(state, cursor, SETTINGS).state).toBe(state); // idempotent per date
          } else {
            cursor = addDays(cursor, op.days);
            if (cursor <= state.servicedThrough) cursor = addDays(state.servicedThrough, 1);
            if (state.status === 'repaid') {
              expect(applyPayment(state, 1, cursor, SETTINGS)).toMatchObject({ ok: false, code: 'LOAN_NOT_ACTIVE' });
              continue;
            }
            const before = accrueDay(state, addDays(cursor, -1), SETTINGS).state;
            const owed = owedToday(before, cursor);
            const amountMinor = amountFor(op.amount, owed.payoffMinor, owed.due.totalMinor);
            if (amountMinor <= 0) continue;
            const r = applyPayment(state, amountMinor, cursor, SETTINGS);
            if (amountMinor > owed.payoffMinor) {
              expect(r).toMatchObject({ ok: false, code: 'REPAYMENT_EXCEEDS_OWED' });
              continue;
            }
            if (!r.ok) throw new Error(`refused: ${r.code} ${r.detail}`);
            checkPayment(before, r.state, amountMinor, cursor, r.breakdown.lines);
            expect(r.breakdown.perNote.reduce((a, p) => a + p.totalMinor, 0)).toBe(amountMinor);
            state = r.state;
            borrowerPaidMinor += amountMinor;
            log.push({ amountMinor, paidOn: cursor });
            if (amountMinor === owed.payoffMinor) expect(state.status).toBe('repaid');
          }
          // Σ received by the notes = Σ paid by the borrower; nothing owed is negative.
          expect(totalReceived(state)).toBe(borrowerPaidMinor);
          const quote = owedToday(state, addDays(state.servicedThrough, 1));
          expect(quote.payoffMinor).toBeGreaterThanOrEqual(0);
          for (const n of quote.perNote) {
            for (const v of [n.due.penaltyMinor, n.due.interestMinor, n.due.principalMinor, n.accruedInterestMinor, n.principalNotDueMinor]) expect(v).toBeGreaterThanOrEqual(0);
          }
          for (const note of state.notes) {
            expect(note.installments.reduce((a, i) => a + i.principalDueMinor, 0)).toBe(note.principalMinor);
          }
        }
        expect(replay(terms, log, state.servicedThrough, SETTINGS)).toEqual(state);

        // Paying off what is left repays every note its whole principal.
        if (state.status !== 'repaid') {
          const day = addDays(state.servicedThrough, 1);
          const payoff = owedToday(state, day, SETTINGS).payoffMinor;
          const r = applyPayment(state, payoff, day, SETTINGS);
          if (!r.ok) throw new Error(r.code);
          expect(r.state.status).toBe('repaid');
          for (const note of r.state.notes) {
            expect(note.status).toBe('repaid');
            expect(note.installments.reduce((a, i) => a + i.principalPaidMinor, 0)).toBe(note.principalMinor);
          }
        }
      }),
      { numRuns: 400 },
    );
  });

  it('when the daily job runs does not matter: closing every day or only at the end gives the same state', () => {
    fc.assert(
      fc.property(arbTerms, fc.array(fc.record({ days: fc.integer({ min: 1, max: 40 }), perMille: fc.integer({ min: 1, max: 400 }) }), { maxLength: 8 }), fc.integer({ min: 0, max: 200 }), (terms, pays, tail) => {
        let daily = openLoan(terms);
        let lazy = daily;
        let cursor = terms.disbursedOn;
        const log: PaymentRecord[] = [];
        for (const p of pays) {
          for (let k = 0; k < p.days; k++) daily = accrueDay(daily, addDays(cursor, k), SETTINGS).state;
          cursor = addDays(cursor, p.days);
          if (daily.status === 'repaid') break;
          const amountMinor = Math.max(1, Math.floor((owedToday(daily, cursor, SETTINGS).payoffMinor * p.perMille) / 1000));
          const a = applyPayment(daily, amountMinor, cursor, SETTINGS);
          const b = applyPayment(lazy, amountMinor, cursor, SETTINGS);
          if (!a.ok || !b.ok) throw new Error('refused');
          expect(b.breakdown).toEqual(a.breakdown);
          daily = a.state;
          lazy = b.state;
          log.push({ amountMinor, paidOn: cursor });
        }
        const end = addDays(cursor, tail);
        const dailyEnd = accrueDay(daily, end, SETTINGS).state;
        expect(accrueDay(lazy, end, SETTINGS).state).toEqual(dailyEnd);
        expect(replay(terms, log, end, SETTINGS)).toEqual(dailyEnd);
      }),
      { numRuns: 200 },
    );
  });
});
