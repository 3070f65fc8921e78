import { describe, expect, it } from 'vitest';
import { GRADES } from '../../../src/domain/grades.js';
import {
  assessMerchant,
  computeFeatures,
  FEATURE_NAMES,
  GRADE_MIN_SCORE,
  gradeForScore,
  MAX_REASONS,
  MAX_SCORE,
  POINTS_TABLES,
  pointsFor,
  PROBABILITY_OF_DEFAULT_BPS,
  rate,
  REASON_CODES,
  REASON_TEXTS,
  SCORECARD_VERSION,
  tableFor,
  tableMaxPoints,
  type FeatureName,
  type MerchantFeatures,
} from '../../../src/domain/rating/index.js';
import { DEFAULT_SETTINGS } from '../../../src/domain/settings.js';
import { AS_OF, exampleInput, GRADE_EXAMPLES } from './examples.js';
import { generateHistory, GOOD_MERCHANT, ordersFromMonthly } from '../../../src/demo/synthetic.js';

describe('points tables', () => {
  it('cover every feature once, in FEATURE_NAMES order', () => {
    expect(POINTS_TABLES.map((t) => t.feature)).toEqual([...FEATURE_NAMES]);
  });

  it('have contiguous ascending bands ending open, and maxima adding up to 1000', () => {
    for (const t of POINTS_TABLES) {
      const edges = t.bands.map((b) => b.below);
      expect(edges.at(-1), t.feature).toBeNull();
      const finite = edges.slice(0, -1) as number[];
      finite.forEach((e, i) => {
        expect(Number.isSafeInteger(e) && e > 0).toBe(true);
        if (i > 0) expect(e).toBeGreaterThan(finite[i - 1]!);
      });
      for (const b of t.bands) expect(Number.isSafeInteger(b.points) && b.points >= 0).toBe(true);
    }
    expect(POINTS_TABLES.reduce((a, t) => a + tableMaxPoints(t), 0)).toBe(MAX_SCORE);
  });

  // The monotonicity properties rest on these directions: GMV and order value can only help, refunds,
  // disputes and debt can only hurt, and "not measurable" debt is the worst band.
  const direction: Partial<Record<FeatureName, 'up' | 'down'>> = {
    monthsActive: 'up',
    gmv: 'up',
    averageOrderValue: 'up',
    onTimeShare: 'up',
    salesTrend: 'up',
    salesStability: 'down',
    refundRate: 'down',
    disputeRate: 'down',
    worstDaysLate: 'down',
    debtToMonthlyGmv: 'down',
  };
  it.each(FEATURE_NAMES)('%s points move in one direction', (feature) => {
    const points = tableFor(feature).bands.map((b) => b.points);
    const sorted = [...points].sort((a, b) => (direction[feature] === 'up' ? a - b : b - a));
    expect(points).toEqual(sorted);
  });
  it('scores unmeasurable debt as the worst band', () => {
    const t = tableFor('debtToMonthlyGmv');
    expect(t.missingPoints).toBe(Math.min(...t.bands.map((b) => b.points)));
  });

  it('put a value on a band edge into the higher band', () => {
    const t = tableFor('refundRate');
    expect(pointsFor(t, 199)).toBe(120);
    expect(pointsFor(t, 200)).toBe(100);
    expect(pointsFor(t, null)).toBe(t.missingPoints);
    expect(pointsFor(tableFor('worstDaysLate'), 0)).toBe(70);
    expect(pointsFor(tableFor('worstDaysLate'), 3)).toBe(60);
    expect(pointsFor(tableFor('worstDaysLate'), 4)).toBe(35);
  });

  it('have a text in English and Chinese for every reason code', () => {
    for (const c of REASON_CODES) {
      expect(REASON_TEXTS[c].text.length).toBeGreaterThan(10);
      expect(REASON_TEXTS[c].textZh.length).toBeGreaterThan(4);
      expect(c).toMatch(/^[A-Z]+(_[A-Z]+)*$/);
    }
  });
});

describe('grades', () => {
  it('map scores to AA ≥ 800, A ≥ 720, B ≥ 650, C ≥ 580, D ≥ 520, E ≥ 460, HR below', () => {
    const cases: [number, string][] = [
      [1000, 'AA'], [800, 'AA'], [799, 'A'], [720, 'A'], [719, 'B'], [650, 'B'], [649, 'C'], [580, 'C'],
      [579, 'D'], [520, 'D'], [519, 'E'], [460, 'E'], [459, 'HR'], [0, 'HR'],
    ];
    for (const [score, grade] of cases) expect(gradeForScore(score), String(score)).toBe(grade);
    expect(GRADE_MIN_SCORE.AA).toBe(800);
  });

  it('have probabilities of default rising as grades fall, above the expected losses', () => {
    GRADES.forEach((g, i) => {
      if (i > 0) expect(PROBABILITY_OF_DEFAULT_BPS[g]).toBeGreaterThan(PROBABILITY_OF_DEFAULT_BPS[GRADES[i - 1]!]);
      expect(PROBABILITY_OF_DEFAULT_BPS[g]).toBeGreaterThanOrEqual(DEFAULT_SETTINGS.expectedLossBps[g]);
    });
  });

  it.each(GRADES)('grade %s is produced by an explicit merchant', (grade) => {
    const a = assessMerchant(exampleInput(GRADE_EXAMPLES[grade]), DEFAULT_SETTINGS);
    expect(a.rating.grade).toBe(grade);
    expect(a.rating.probabilityOfDefaultBps).toBe(PROBABILITY_OF_DEFAULT_BPS[grade]);
    expect(a.expectedLossBps).toBe(DEFAULT_SETTINGS.expectedLossBps[grade]);
    expect(a.version).toBe(SCORECARD_VERSION);
  });

  it('gives exactly these scores to the explicit merchants', () => {
    const scores = Object.fromEntries(GRADES.map((g) => [g, assessMerchant(exampleInput(GRADE_EXAMPLES[g]), DEFAULT_SETTINGS).rating.score]));
    expect(scores).toEqual({ AA: 905, A: 760, B: 700, C: 625, D: 560, E: 505, HR: 95 });
  });
});

describe('rate', () => {
  const perfect = computeFeatures({
    ...ordersFromMonthly({ asOf: AS_OF, monthlyYuan: Array.from({ length: 12 }, () => 300_000), orderYuan: 200 }),
    asOf: AS_OF,
    repayment: { installmentsDue: 12, installmentsOnTime: 12, worstDaysLate: 0, outstandingPrincipalMinor: 0 },
  });

  it('gives a merchant at the top of every table 1000 points and no reasons', () => {
    const r = rate(perfect);
    expect(r.score).toBe(1000);
    expect(r.grade).toBe('AA');
    expect(r.reasons).toEqual([]);
  });

  it('sums the points of every feature into the score', () => {
    const r = rate(perfect);
    expect(Object.keys(r.points)).toEqual([...FEATURE_NAMES]);
    expect(Object.values(r.points).reduce((a, b) => a + b, 0)).toBe(r.score);
  });

  it('explains with the features that cost the most points, largest first, each code once', () => {
    const r = rate(computeFeatures(exampleInput(GRADE_EXAMPLES.AA)));
    // onTimeShare −40 and worstDaysLate −25 both say NO_REPAYMENT_HISTORY; GMV −30.
    expect(r.reasons.map((x) => [x.code, x.feature, x.pointsLost])).toEqual([
      ['NO_REPAYMENT_HISTORY', 'onTimeShare', 40],
      ['LOW_GMV', 'gmv', 30],
    ]);
    expect(r.reasons[0]!.text).toBe(REASON_TEXTS.NO_REPAYMENT_HISTORY.text);
    expect(r.reasons[0]!.textZh).toBe(REASON_TEXTS.NO_REPAYMENT_HISTORY.textZh);
  });

  it('keeps at most four reasons and breaks ties in table order', () => {
    const worst: MerchantFeatures = {
      ...perfect,
      monthsActive: 0,
      gmvMinor: 0,
      salesCvBps: 20000,
      salesTrendBps: 0,
      refundRateBps: 10000,
      disputeRateBps: 10000,
      averageOrderValueMinor: 0,
      onTimeShareBps: 0,
      worstDaysLate: 365,
      debtToMonthlyGmvBps: null,
    };
    const r = rate(worst);
    expect(r.score).toBe(0);
    expect(r.grade).toBe('HR');
    expect(r.reasons).toHaveLength(MAX_REASONS);
    // gmv 150; monthsActive 130; then stability 120 and refunds 120 tie → table order.
    expect(r.reasons.map((x) => x.code)).toEqual(['LOW_GMV', 'SHORT_HISTORY', 'VOLATILE_SALES', 'HIGH_REFUND_RATE']);
  });

  it('names a missing trend NO_SALES_TREND and a falling one DECLINING_SALES', () => {
    const missing = rate({ ...perfect, salesTrendBps: null }).reasons.map((x) => x.code);
    const falling = rate({ ...perfect, salesTrendBps: 6000 }).reasons.map((x) => x.code);
    expect(missing).toEqual(['NO_SALES_TREND']);
    expect(falling).toEqual(['DECLINING_SALES']);
  });
});

describe('synthetic 24-month merchant history', () => {
  const rateProfile = (p: typeof GOOD_MERCHANT) =>
    assessMerchant({ ...generateHistory(p), asOf: p.asOf, legalForm: 'legal_person', openListingsMinor: 0 }, DEFAULT_SETTINGS);

  it('is generated deterministically from its seed', () => {
    expect(generateHistory(GOOD_MERCHANT)).toEqual(generateHistory(GOOD_MERCHANT));
    expect(generateHistory({ ...GOOD_MERCHANT, seed: 1 })).not.toEqual(generateHistory(GOOD_MERCHANT));
  });

  it('rates a good merchant (steady growth, seasonality, 3% refunds) AA and makes it eligible', () => {
    const a = rateProfile(GOOD_MERCHANT);
    expect(a.features.monthsActive).toBe(12);
    expect(a.rating.grade).toBe('AA');
    expect(a.rating.score).toBe(840);
    expect(a.rating.reasons.map((r) => r.code)).toEqual(['NO_REPAYMENT_HISTORY', 'LOW_GMV', 'VOLATILE_SALES', 'HIGH_REFUND_RATE']);
    expect(a.eligibility).toEqual({ eligible: true });
    expect(a.creditLine.creditLineMinor).toBe(56_619_900); // 3.0 × ¥188,733.28 → ¥566,199
  });

  it('rates the same merchant lower when 12% of its orders are refunded and 1% disputed', () => {
    const a = rateProfile({ ...GOOD_MERCHANT, refundProbability: 0.12, disputeProbability: 0.01 });
    expect(a.rating.grade).toBe('A');
    expect(a.rating.reasons.map((r) => r.code).slice(0, 2)).toEqual(['HIGH_REFUND_RATE', 'HIGH_DISPUTE_RATE']);
  });

  it('does not let a merchant with 4 months of history list (SHORT_HISTORY)', () => {
    const a = rateProfile({ ...GOOD_MERCHANT, months: 4 });
    expect(a.features.monthsActive).toBe(4);
    expect(a.eligibility).toMatchObject({ eligible: false, code: 'SHORT_HISTORY' });
    expect(a.rating.reasons.map((r) => r.code)).toContain('SHORT_HISTORY');
  });
});
