/**
 * The prepayment fee of docs/market-rules.md §6: the figures docs/servicing.md publishes are the ones the
 * servicing core computes (the test reads the doc's table), and the split of a payment between prepaid
 * principal and fee is exact for any amount.
 */
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { applyPayment, openLoan, owedToday, prepaymentFeeMinor, splitPrepayment, type LoanState, type ServicingSettings } from '../../../src/domain/servicing/index.js';
import { SETTINGS } from './arbitraries.js';

const WITH_FEE: ServicingSettings = { ...SETTINGS, prepaymentFeeBps: 100 };

function documented(): Map<string, number> {
  const doc = readFileSync(new URL('../../../docs/servicing.md', import.meta.url), 'utf8');
  const table = doc.slice(doc.indexOf('<!-- prepayment-figures -->'), doc.indexOf('<!-- /prepayment-figures -->'));
  const rows = new Map<string, number>();
  for (const line of table.split('\n')) {
    const m = /^\| (.+?) \| (\d+) \|$/.exec(line.trim());
    if (m) rows.set(m[1]!, Number(m[2]));
  }
  return rows;
}

function paidOk(r: ReturnType<typeof applyPayment>) {
  if (!r.ok) throw new Error(`${r.code}: ${r.detail}`);
  return r;
}

function example(): LoanState {
  return openLoan({
    disbursedOn: '2026-01-15',
    termMonths: 12,
    repayment: 'equal_installment',
    notes: [
      { noteId: 'note_a', principalMinor: 600_000, rateBps: 1200 },
      { noteId: 'note_b', principalMinor: 400_000, rateBps: 1200 },
    ],
  });
}

describe('the prepayment fee', () => {
  it('reproduces the figures of docs/servicing.md', () => {
    const doc = documented();
    const fig = (label: string) => {
      expect(doc.has(label), label).toBe(true);
      return doc.get(label)!;
    };
    let state = example();
    const due = owedToday(state, '2026-02-15', WITH_FEE).due.totalMinor;
    expect(due).toBe(fig('installment 1, paid on 2026-02-15'));
    state = paidOk(applyPayment(state, due, '2026-02-15', WITH_FEE)).state;
    const quote = owedToday(state, '2026-03-01', WITH_FEE);
    expect(quote.accruedInterestMinor).toBe(fig('interest earned 2026-02-15 → 2026-03-01 (14 of 28 days)'));
    expect(quote.principalNotDueMinor).toBe(fig('principal not yet due on 2026-03-01'));
    expect(quote.prepaymentFeeMinor).toBe(fig('prepayment fee on it (1.00 %)'));
    expect(quote.payoffMinor).toBe(fig('payoff on 2026-03-01'));
    expect(owedToday(state, '2026-03-01', { ...WITH_FEE, prepaymentFeeBps: 0 }).payoffMinor).toBe(fig('payoff on 2026-03-01 with the fee off'));
    expect(quote.perNote.map((n) => n.prepaymentFeeMinor)).toEqual([fig("note A's share of the payoff's fee"), fig("note B's share of the payoff's fee")]);

    const part = paidOk(applyPayment(state, 300_000, '2026-03-01', WITH_FEE)).breakdown;
    expect(part.earlyInterestMinor).toBe(fig('¥3,000 paid on 2026-03-01: interest'));
    expect(part.prepaidPrincipalMinor).toBe(fig('¥3,000 paid on 2026-03-01: principal prepaid'));
    expect(part.prepaymentFeeMinor).toBe(fig('¥3,000 paid on 2026-03-01: prepayment fee'));
    expect(part.perNote.reduce((a, n) => a + n.prepaymentFeeMinor, 0)).toBe(part.prepaymentFeeMinor);

    // Paying the payoff repays the loan, the fee included, and the notes receive exactly what was paid.
    const full = paidOk(applyPayment(state, quote.payoffMinor, '2026-03-01', WITH_FEE));
    expect(full.state.status).toBe('repaid');
    expect(full.breakdown.prepaymentFeeMinor).toBe(quote.prepaymentFeeMinor);
    expect(full.breakdown.perNote.map((n) => n.totalMinor)).toEqual(quote.perNote.map((n) => n.payoffMinor));

    // The complaint: a loan paid off the day it was disbursed no longer costs nothing.
    const sameDay = owedToday(example(), '2026-01-15', WITH_FEE);
    expect(sameDay.payoffMinor).toBe(fig('the same ¥10,000 paid off on the day it was disbursed'));
    expect(paidOk(applyPayment(example(), sameDay.payoffMinor, '2026-01-15', WITH_FEE)).state.status).toBe('repaid');
  });

  it('splits any remainder into principal and a fee that never exceeds the rule, at most a spare fen going to principal', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 5_000_000_000 }), fc.integer({ min: 0, max: 5_000_000_000 }), fc.integer({ min: 0, max: 1000 }), (left, max, bps) => {
        const [p, fee] = splitPrepayment(left, max, bps);
        expect(p + fee).toBeLessThanOrEqual(left);
        expect(p).toBeLessThanOrEqual(max);
        expect(fee).toBeLessThanOrEqual(prepaymentFeeMinor(p, bps));
        expect(prepaymentFeeMinor(p, bps) - fee).toBeLessThanOrEqual(1);
        // Nothing is left over unless all the principal is repaid.
        if (p < max) expect(p + fee).toBe(left);
      }),
    );
  });

  it('is off at 0 and rounds half-even', () => {
    expect(prepaymentFeeMinor(1_000_000, 0)).toBe(0);
    expect(prepaymentFeeMinor(250, 100)).toBe(2); // 2.5 → 2
    expect(prepaymentFeeMinor(350, 100)).toBe(4); // 3.5 → 4
  });
});
