import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Dec, decFromInt } from '../../../src/domain/decimal.js';
import { daysInMonth, parseIsoDate } from '../../../src/domain/dates.js';
import {
  REPAYMENT_KINDS,
  annuityPaymentMinor,
  loanSchedule,
  noteSchedule,
  previewSchedule,
  scheduleTotals,
  type RepaymentKind,
} from '../../../src/domain/servicing/index.js';
import { arbDate, TERMS } from './arbitraries.js';

// ---- the textbook tables of docs/servicing.md §4, read from the doc itself ----

interface DocRow {
  n: number;
  dueDate: string;
  principalMinor: number;
  interestMinor: number;
  paymentMinor: number;
  remainingMinor: number;
}

interface DocCase {
  repayment: RepaymentKind;
  principalMinor: number;
  rateBps: number;
  termMonths: number;
  disbursedOn: string;
  rows: DocRow[];
  totals: { principalMinor: number; interestMinor: number; paymentMinor: number };
}

/** '9,211.51' (yuan) → 921151 (fen); '**10,000.00**' too. */
function yuanToMinor(cell: string): number {
  const m = /^\**([\d,]+)\.(\d{2})\**$/.exec(cell.trim());
  if (!m) throw new Error(`not an amount: ${cell}`);
  return Number(m[1]!.replaceAll(',', '')) * 100 + Number(m[2]);
}

function readDocCases(): DocCase[] {
  const text = readFileSync(new URL('../../../docs/servicing.md', import.meta.url), 'utf8');
  const cases: DocCase[] = [];
  const marker = /<!-- case:(\w+) principalMinor=(\d+) rateBps=(\d+) termMonths=(\d+) disbursedOn=([\d-]+) -->\n((?:\|.*\n)+)/g;
  for (const m of text.matchAll(marker)) {
    const lines = m[6]!.trim().split('\n').slice(2); // header and alignment rows
    const cells = lines.map((l) => l.split('|').slice(1, -1).map((c) => c.trim()));
    const totalCells = cells.pop()!;
    cases.push({
      repayment: m[1] as RepaymentKind,
      principalMinor: Number(m[2]),
      rateBps: Number(m[3]),
      termMonths: Number(m[4]),
      disbursedOn: m[5]!,
      rows: cells.map((c) => ({
        n: Number(c[0]),
        dueDate: c[1]!,
        principalMinor: yuanToMinor(c[2]!),
        interestMinor: yuanToMinor(c[3]!),
        paymentMinor: yuanToMinor(c[4]!),
        remainingMinor: yuanToMinor(c[5]!),
      })),
      totals: { principalMinor: yuanToMinor(totalCells[2]!), interestMinor: yuanToMinor(totalCells[3]!), paymentMinor: yuanToMinor(totalCells[4]!) },
    });
  }
  return cases;
}

describe('textbook cases of docs/servicing.md §4', () => {
  const cases = readDocCases();

  it('the doc has the three cases, one per repayment kind', () => {
    expect(cases.map((c) => c.repayment)).toEqual(['equal_installment', 'equal_principal', 'interest_only']);
  });

  for (const c of cases) {
    it(`${c.repayment}: every figure of the table`, () => {
      const schedule = noteSchedule(c);
      expect(schedule).toHaveLength(c.rows.length);
      let remainingMinor = c.principalMinor;
      schedule.forEach((p, i) => {
        const row = c.rows[i]!;
        remainingMinor -= p.principalMinor;
        expect({ n: p.n, dueDate: p.dueDate, principal: p.principalMinor, interest: p.interestMinor, payment: p.principalMinor + p.interestMinor, remaining: remainingMinor }).toEqual({
          n: row.n,
          dueDate: row.dueDate,
          principal: row.principalMinor,
          interest: row.interestMinor,
          payment: row.paymentMinor,
          remaining: row.remainingMinor,
        });
      });
      const totals = scheduleTotals(schedule);
      expect(totals).toEqual({ principalMinor: c.totals.principalMinor, interestMinor: c.totals.interestMinor, totalMinor: c.totals.paymentMinor });
    });
  }

  it('equal_installment ¥10,000 at 12% / 12 months: the textbook payment ¥888.49 and a few figures, hard-coded', () => {
    expect(annuityPaymentMinor(1_000_000, 1200, 12)).toBe(88_849);
    const s = noteSchedule({ principalMinor: 1_000_000, rateBps: 1200, termMonths: 12, repayment: 'equal_installment', disbursedOn: '2025-01-15' });
    expect(s[0]).toEqual({ n: 1, dueDate: '2025-02-15', principalMinor: 78_849, interestMinor: 10_000 });
    expect(s[1]).toEqual({ n: 2, dueDate: '2025-03-15', principalMinor: 79_637, interestMinor: 9_212 });
    expect(s[11]).toEqual({ n: 12, dueDate: '2026-01-15', principalMinor: 87_967, interestMinor: 880 });
    expect(scheduleTotals(s)).toEqual({ principalMinor: 1_000_000, interestMinor: 66_186, totalMinor: 1_066_186 });
  });

  it('equal_principal ¥12,000 at 9% / 6 months, hard-coded', () => {
    const s = noteSchedule({ principalMinor: 1_200_000, rateBps: 900, termMonths: 6, repayment: 'equal_principal', disbursedOn: '2024-01-31' });
    expect(s.map((p) => p.principalMinor)).toEqual([200_000, 200_000, 200_000, 200_000, 200_000, 200_000]);
    expect(s.map((p) => p.interestMinor)).toEqual([9_000, 7_500, 6_000, 4_500, 3_000, 1_500]);
  });

  it('interest_only ¥5,000 at 8% / 3 months, hard-coded', () => {
    const s = noteSchedule({ principalMinor: 500_000, rateBps: 800, termMonths: 3, repayment: 'interest_only', disbursedOn: '2025-03-10' });
    expect(s.map((p) => [p.principalMinor, p.interestMinor])).toEqual([
      [0, 3_333],
      [0, 3_333],
      [500_000, 3_333],
    ]);
  });
});

describe('schedule rules of docs/market-rules.md §5', () => {
  it('due dates: 31 Jan → 28 Feb (29 in a leap year), 31 Mar, 30 Apr …, the anchor day is kept', () => {
    const dates = (d: string, n: number) =>
      noteSchedule({ principalMinor: 1_200_000, rateBps: 1000, termMonths: n, repayment: 'equal_principal', disbursedOn: d }).map((p) => p.dueDate);
    expect(dates('2025-01-31', 4)).toEqual(['2025-02-28', '2025-03-31', '2025-04-30', '2025-05-31']);
    expect(dates('2024-01-31', 3)).toEqual(['2024-02-29', '2024-03-31', '2024-04-30']);
    expect(dates('2024-01-30', 2)).toEqual(['2024-02-29', '2024-03-30']);
    expect(dates('2024-11-30', 3)).toEqual(['2024-12-30', '2025-01-30', '2025-02-28']);
    expect(dates('2024-08-31', 1)).toEqual(['2024-09-30']);
  });

  it('rounds interest half-even on an exact tie (1.5 → 2, 2.5 → 2), even where r is not a finite decimal', () => {
    // 180 · 1000 bps / 120000 = 1.5 exactly; r = 0.008333… would give 1.4999… if multiplied first.
    const s = noteSchedule({ principalMinor: 180, rateBps: 1000, termMonths: 1, repayment: 'interest_only', disbursedOn: '2025-01-01' });
    expect(s[0]!.interestMinor).toBe(2);
    const t = noteSchedule({ principalMinor: 300, rateBps: 1000, termMonths: 1, repayment: 'interest_only', disbursedOn: '2025-01-01' });
    expect(t[0]!.interestMinor).toBe(2); // 2.5 → 2
  });

  it('equal_principal puts the remainder minor units in the earliest periods', () => {
    const s = noteSchedule({ principalMinor: 1_000_003, rateBps: 1200, termMonths: 6, repayment: 'equal_principal', disbursedOn: '2025-01-01' });
    expect(s.map((p) => p.principalMinor)).toEqual([166_668, 166_667, 166_667, 166_667, 166_667, 166_667]);
  });

  it('equal_installment at 0 bps is P/n with the remainder in the earliest periods, no interest', () => {
    const s = noteSchedule({ principalMinor: 100_005, rateBps: 0, termMonths: 3, repayment: 'equal_installment', disbursedOn: '2025-01-01' });
    expect(s.map((p) => [p.principalMinor, p.interestMinor])).toEqual([
      [33_335, 0],
      [33_335, 0],
      [33_335, 0],
    ]);
    const t = noteSchedule({ principalMinor: 100_001, rateBps: 0, termMonths: 3, repayment: 'equal_installment', disbursedOn: '2025-01-01' });
    expect(t.map((p) => p.principalMinor)).toEqual([33_334, 33_334, 33_333]);
  });

  it('the preview at the max rate is the one-note schedule', () => {
    const input = { principalMinor: 1_000_000, rateBps: 1500, termMonths: 12, repayment: 'equal_installment' as const, disbursedOn: '2025-06-30' };
    expect(previewSchedule(input)).toEqual(noteSchedule(input));
  });

  it('a loan schedule of notes with different dates or terms is a programming error', () => {
    const a = noteSchedule({ principalMinor: 100_000, rateBps: 1000, termMonths: 3, repayment: 'equal_principal', disbursedOn: '2025-01-01' });
    const b = noteSchedule({ principalMinor: 100_000, rateBps: 1000, termMonths: 3, repayment: 'equal_principal', disbursedOn: '2025-01-02' });
    expect(() => loanSchedule([a, b])).toThrow(/due dates/);
    expect(() => loanSchedule([])).toThrow();
  });
});

// ---- properties ----

const arbInput = fc.record({
  principalMinor: fc.integer({ min: 100_000, max: 10_000_000_000 }),
  rateBps: fc.oneof(fc.integer({ min: 0, max: 10_000 }), fc.constantFrom(0, 1, 1200, 2400, 10_000)),
  termMonths: fc.oneof(fc.constantFrom(...TERMS), fc.integer({ min: 1, max: 60 })),
  repayment: fc.constantFrom(...REPAYMENT_KINDS),
  disbursedOn: arbDate,
});

/** |last − A| ≤ Σ_{j=0..n−1} (1+r)^j (docs/servicing.md §3): each period carries at most ½ + ½ of rounding. */
function lastPaymentTolerance(rateBps: number, n: number): number {
  const growth = decFromInt(1).plus(decFromInt(rateBps).div(120_000));
  let sum = new Dec(0);
  for (let j = 0; j < n; j++) sum = sum.plus(growth.pow(j));
  return Math.floor(sum.toNumber());
}

describe('schedule properties', () => {
  it('Σ principal = P exactly; principal and interest never negative; due dates on the anchor day, clamped', () => {
    fc.assert(
      fc.property(arbInput, (input) => {
        const s = noteSchedule(input);
        expect(s).toHaveLength(input.termMonths);
        expect(s.reduce((a, p) => a + p.principalMinor, 0)).toBe(input.principalMinor);
        const anchor = parseIsoDate(input.disbursedOn).day;
        let prev = input.disbursedOn;
        for (const p of s) {
          expect(p.principalMinor).toBeGreaterThanOrEqual(0);
          expect(p.interestMinor).toBeGreaterThanOrEqual(0);
          expect(Number.isSafeInteger(p.principalMinor) && Number.isSafeInteger(p.interestMinor)).toBe(true);
          expect(p.dueDate > prev).toBe(true);
          const { year, month, day } = parseIsoDate(p.dueDate);
          expect(day).toBe(Math.min(anchor, daysInMonth(year, month)));
          prev = p.dueDate;
        }
      }),
      { numRuns: 1500 },
    );
  });

  it('equal_installment: equal payments except the last, which is within Σ(1+r)^j of the others; P/n ± 1 at 0 bps', () => {
    fc.assert(
      fc.property(arbInput, (raw) => {
        const input = { ...raw, repayment: 'equal_installment' as const };
        const s = noteSchedule(input);
        const payments = s.map((p) => p.principalMinor + p.interestMinor);
        if (input.rateBps === 0) {
          expect(Math.max(...payments) - Math.min(...payments)).toBeLessThanOrEqual(1);
          return;
        }
        const a = annuityPaymentMinor(input.principalMinor, input.rateBps, input.termMonths);
        payments.slice(0, -1).forEach((p) => expect(p).toBe(a));
        expect(Math.abs(payments.at(-1)! - a)).toBeLessThanOrEqual(lastPaymentTolerance(input.rateBps, input.termMonths));
      }),
      { numRuns: 1500 },
    );
  });

  it('equal_principal: principal parts differ by at most 1, earliest largest; interest_only: principal only at the end', () => {
    fc.assert(
      fc.property(arbInput, (raw) => {
        const ep = noteSchedule({ ...raw, repayment: 'equal_principal' }).map((p) => p.principalMinor);
        expect(Math.max(...ep) - Math.min(...ep)).toBeLessThanOrEqual(1);
        ep.forEach((p, i) => i > 0 && expect(p).toBeLessThanOrEqual(ep[i - 1]!));
        const io = noteSchedule({ ...raw, repayment: 'interest_only' });
        io.slice(0, -1).forEach((p) => expect(p.principalMinor).toBe(0));
        expect(new Set(io.map((p) => p.interestMinor)).size).toBe(1);
      }),
      { numRuns: 500 },
    );
  });

  it('Σ note schedules = loan schedule for every period, and the loan carries Σ note principal', () => {
    const arbLoan = fc.record({
      termMonths: fc.constantFrom(...TERMS),
      repayment: fc.constantFrom(...REPAYMENT_KINDS),
      disbursedOn: arbDate,
      notes: fc.array(fc.record({ principalMinor: fc.integer({ min: 10_000, max: 1_000_000_000 }), rateBps: fc.integer({ min: 0, max: 10_000 }) }), {
        minLength: 1,
        maxLength: 12,
      }),
    });
    fc.assert(
      fc.property(arbLoan, (loan) => {
        const schedules = loan.notes.map((n) => noteSchedule({ ...n, termMonths: loan.termMonths, repayment: loan.repayment, disbursedOn: loan.disbursedOn }));
        const total = loanSchedule(schedules);
        total.forEach((p, i) => {
          expect(p.principalMinor).toBe(schedules.reduce((a, s) => a + s[i]!.principalMinor, 0));
          expect(p.interestMinor).toBe(schedules.reduce((a, s) => a + s[i]!.interestMinor, 0));
          expect(p.dueDate).toBe(schedules[0]![i]!.dueDate);
        });
        expect(scheduleTotals(total).principalMinor).toBe(loan.notes.reduce((a, n) => a + n.principalMinor, 0));
      }),
      { numRuns: 500 },
    );
  });
});
