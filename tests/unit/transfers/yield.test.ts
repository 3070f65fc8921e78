import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { applyPayment, noteSchedule, openLoan, owedToday, type LoanState, type RepaymentKind } from '../../../src/domain/servicing/index.js';
import { quoteTrade, transferability, yieldToMaturityBps } from '../../../src/domain/transfers/index.js';
import { SETTINGS } from '../servicing/arbitraries.js';

/** '5,149.20' (yuan) → 514920 (fen). */
function yuanToMinor(cell: string): number {
  const m = /^([\d,]+)\.(\d{2})$/.exec(cell.trim());
  if (!m) throw new Error(`not an amount: ${cell}`);
  return Number(m[1]!.replaceAll(',', '')) * 100 + Number(m[2]);
}

interface YtmCase {
  repayment: RepaymentKind;
  principalMinor: number;
  rateBps: number;
  termMonths: number;
  disbursedOn: string;
  paidInstallments: number;
  tradeDate: string;
  buyMinor: number;
  feeBps: number;
  rows: { priceBps: number; priceMinor: number; accruedMinor: number; paidMinor: number; feeMinor: number; sellerReceivesMinor: number; yieldBps: number }[];
}

function readYtmCases(): YtmCase[] {
  const text = readFileSync(new URL('../../../docs/servicing.md', import.meta.url), 'utf8');
  const marker = /<!-- ytm:(\w+) principalMinor=(\d+) rateBps=(\d+) termMonths=(\d+) disbursedOn=([\d-]+) paidInstallments=(\d+) tradeDate=([\d-]+) buyMinor=(\d+) feeBps=(\d+) -->\n((?:\|.*\n)+)/g;
  return [...text.matchAll(marker)].map((m) => ({
    repayment: m[1] as RepaymentKind,
    principalMinor: Number(m[2]),
    rateBps: Number(m[3]),
    termMonths: Number(m[4]),
    disbursedOn: m[5]!,
    paidInstallments: Number(m[6]),
    tradeDate: m[7]!,
    buyMinor: Number(m[8]),
    feeBps: Number(m[9]),
    rows: m[10]!
      .trim()
      .split('\n')
      .slice(2)
      .map((l) => l.split('|').slice(1, -1).map((c) => c.trim()))
      .map((c) => ({
        priceBps: Number(c[1]),
        priceMinor: yuanToMinor(c[2]!),
        accruedMinor: yuanToMinor(c[3]!),
        paidMinor: yuanToMinor(c[4]!),
        feeMinor: yuanToMinor(c[5]!),
        sellerReceivesMinor: yuanToMinor(c[6]!),
        yieldBps: Number(c[7]),
      })),
  }));
}

describe('the yield-to-maturity table of docs/servicing.md §18', () => {
  const cases = readYtmCases();

  it('is found in the doc (par, 5 % discount, 3 % premium)', () => {
    expect(cases).toHaveLength(1);
    expect(cases[0]!.rows.map((r) => r.priceBps)).toEqual([10_000, 9_500, 10_300]);
  });

  for (const c of cases) {
    it(`reproduces every figure: ${c.repayment} ${c.principalMinor} at ${c.rateBps} bps, traded ${c.tradeDate}`, () => {
      let state: LoanState = openLoan({ disbursedOn: c.disbursedOn, termMonths: c.termMonths, repayment: c.repayment, notes: [{ noteId: 'note_a', principalMinor: c.principalMinor, rateBps: c.rateBps }] });
      const schedule = noteSchedule({ ...c, principalMinor: c.principalMinor });
      for (const period of schedule.slice(0, c.paidInstallments)) {
        const r = applyPayment(state, owedToday(state, period.dueDate, SETTINGS).due.totalMinor, period.dueDate, SETTINGS);
        if (!r.ok) throw new Error(r.code);
        state = r.state;
      }
      const note = state.notes[0]!;
      const t = transferability(state, note, c.tradeDate, c.disbursedOn, 0);
      if (!t.ok) throw new Error(t.reason);
      expect(t.transferableMinor).toBe(c.buyMinor);
      for (const row of c.rows) {
        const q = quoteTrade(note, t.currentIndex, c.tradeDate, c.buyMinor, row.priceBps, c.feeBps);
        expect({ priceBps: row.priceBps, priceMinor: q.priceMinor, accruedMinor: q.accruedMinor, paidMinor: q.paidMinor, feeMinor: q.feeMinor, sellerReceivesMinor: q.sellerReceivesMinor, yieldBps: q.yieldToMaturityBps }).toEqual(row);
      }
    });
  }
});

describe('yield to maturity', () => {
  const payments = [88_849, 88_849, 88_849, 88_849, 88_849, 88_847];

  it('falls as the price rises, and is the note rate at par on a due date', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 9_000_000 }), fc.integer({ min: 1, max: 100_000 }), fc.integer({ min: 0, max: 30 }), (outlay, step, daysLeft) => {
        const input = { paymentsMinor: payments, daysLeft: Math.min(daysLeft + 1, 31), periodDays: 31 };
        expect(yieldToMaturityBps({ ...input, outlayMinor: outlay + step })).toBeLessThanOrEqual(yieldToMaturityBps({ ...input, outlayMinor: outlay }));
      }),
      { numRuns: 60 },
    );
    // Six payments of the §4 loan discounted at exactly 1 % a month are worth its 5,149.20 outstanding.
    expect(yieldToMaturityBps({ outlayMinor: 514_920, paymentsMinor: payments, daysLeft: 31, periodDays: 31 })).toBe(1200);
  });

  it('a premium above what the payments are worth is a negative yield; a deep discount a high one', () => {
    expect(yieldToMaturityBps({ outlayMinor: 600_000, paymentsMinor: payments, daysLeft: 31, periodDays: 31 })).toBeLessThan(0);
    expect(yieldToMaturityBps({ outlayMinor: 100_000, paymentsMinor: [0, 100_000], daysLeft: 31, periodDays: 31 })).toBe(0);
    // ¥800 for ¥1,000 in two months: 1.25^(1/2) − 1 = 11.8034 % a month, × 12 = 141.64 %.
    expect(yieldToMaturityBps({ outlayMinor: 80_000, paymentsMinor: [0, 100_000], daysLeft: 31, periodDays: 31 })).toBe(14_164);
  });
});
