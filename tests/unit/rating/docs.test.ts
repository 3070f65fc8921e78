import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { GRADES } from '../../../src/domain/grades.js';
import {
  assessMerchant,
  explainMarkdown,
  formatBpsAsPercent,
  formatMultiple,
  formatYuan,
  GRADE_MIN_SCORE,
  SCORECARD_VERSION,
  scorecardMarkdown,
} from '../../../src/domain/rating/index.js';
import { DEFAULT_SETTINGS } from '../../../src/domain/settings.js';
import { WORKED_EXAMPLE, WORKED_EXAMPLE_OPEN_LISTINGS_MINOR, workedExampleInput } from './examples.js';

const doc = readFileSync(new URL('../../../docs/rating.md', import.meta.url), 'utf8');
/** Prose may be re-wrapped freely: compare it with runs of whitespace collapsed. */
const prose = doc.replace(/\s+/g, ' ');

describe('docs/rating.md matches the code', () => {
  it('embeds the generated scorecard tables verbatim', () => {
    expect(doc).toContain(scorecardMarkdown(DEFAULT_SETTINGS));
    expect(doc).toContain(SCORECARD_VERSION);
  });

  it('states the grade bands of the code', () => {
    const bands = GRADES.filter((g) => g !== 'HR').map((g) => `${g} ≥ ${GRADE_MIN_SCORE[g]}`).join(', ');
    expect(prose).toContain(bands);
  });

  describe('worked example', () => {
    const input = workedExampleInput();
    const a = assessMerchant(input, DEFAULT_SETTINGS);

    it('embeds the breakdown the code computes', () => {
      expect(doc).toContain(explainMarkdown(a));
    });

    it('shows the monthly sales, counts and amounts the code uses', () => {
      expect(doc).toContain(`| ${a.features.monthlySalesMinor.map(formatYuan).join(' | ')} |`);
      const refunded = input.orders.filter((o) => o.status === 'refunded');
      const disputed = input.orders.filter((o) => o.status === 'disputed');
      const sum = (xs: typeof refunded) => xs.reduce((t, x) => t + x.amountMinor, 0);
      expect(prose).toContain(`${a.features.orderCount.toLocaleString('en-US')} orders worth ${formatYuan(a.features.grossSalesMinor)}`);
      expect(prose).toContain(`${refunded.length.toLocaleString('en-US')} of them (${formatYuan(sum(refunded))}) were refunded`);
      expect(prose).toContain(`${disputed.length} (${formatYuan(sum(disputed))}) are`);
      expect(prose).toContain(`GMV is ${formatYuan(a.features.gmvMinor)}`);
      expect(prose).toContain(`average monthly GMV ${formatYuan(a.features.avgMonthlyGmvMinor)}`);
      expect(prose).toContain(`→ ${formatBpsAsPercent(a.features.refundRateBps!)}`);
      expect(prose).toContain(`= ${formatBpsAsPercent(a.features.salesTrendBps!)}`);
      expect(prose).toContain(`= ${formatBpsAsPercent(a.features.debtToMonthlyGmvBps!)}`);
      expect(prose).toContain(`${formatYuan(WORKED_EXAMPLE.repayment!.outstandingPrincipalMinor)} of principal is outstanding`);
      expect(prose).toContain(`open listing for ${formatYuan(WORKED_EXAMPLE_OPEN_LISTINGS_MINOR)}`);
    });

    it('states the credit line arithmetic of the code', () => {
      expect(a.rating.grade).toBe('A');
      expect(formatMultiple(a.creditLine.multipleBps)).toBe('2.5×');
      expect(prose).toContain(`rounded down to ${formatYuan(a.creditLine.creditLineMinor)}`);
      expect(prose).toContain(`leave ${formatYuan(a.creditLine.creditLeftMinor)} for a new listing`);
      expect(prose).toContain(`needs ${GRADE_MIN_SCORE.AA - a.rating.score} more points`);
    });
  });
});
