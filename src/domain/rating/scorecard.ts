/**
 * The published scorecard: one points table per feature (banded, like a classic credit scorecard),
 * summed to a score 0..1000 and mapped to a grade. The tables are data so that docs/rating.md, the web
 * app and the tests all read the same numbers; changing any of them is a new SCORECARD_VERSION.
 */
import { assert } from '../assert.js';
import { GRADES, type Grade } from '../grades.js';
import type { MerchantFeatures } from './features.js';

export const SCORECARD_VERSION = 'lendbook-scorecard-1';
export const MAX_SCORE = 1000;

export const FEATURE_NAMES = [
  'monthsActive',
  'gmv',
  'salesStability',
  'salesTrend',
  'refundRate',
  'disputeRate',
  'averageOrderValue',
  'onTimeShare',
  'worstDaysLate',
  'debtToMonthlyGmv',
] as const;
export type FeatureName = (typeof FEATURE_NAMES)[number];

export const REASON_CODES = [
  'SHORT_HISTORY',
  'LOW_GMV',
  'VOLATILE_SALES',
  'DECLINING_SALES',
  'NO_SALES_TREND',
  'HIGH_REFUND_RATE',
  'HIGH_DISPUTE_RATE',
  'LOW_ORDER_VALUE',
  'NO_REPAYMENT_HISTORY',
  'LATE_REPAYMENTS',
  'SEVERELY_LATE',
  'HIGH_DEBT',
] as const;
export type ReasonCode = (typeof REASON_CODES)[number];

/** Plain-language texts; each must be true for every band below the table's top. */
export const REASON_TEXTS: Record<ReasonCode, { text: string; textZh: string }> = {
  SHORT_HISTORY: {
    text: 'Your shop did not have sales in every one of the last 12 months.',
    textZh: '近12个月中并非每个月都有销售。',
  },
  LOW_GMV: {
    text: 'Your sales over the last 12 months, after refunds and disputes, are below the highest band.',
    textZh: '扣除退款和争议后，近12个月的销售额未达到最高档。',
  },
  VOLATILE_SALES: {
    text: 'Your monthly sales vary more from month to month than those of the steadiest shops.',
    textZh: '月销售额的波动大于最稳定的店铺。',
  },
  DECLINING_SALES: {
    text: 'Your sales in the last 3 months were lower than in the 3 months before.',
    textZh: '近3个月的销售额低于之前3个月。',
  },
  NO_SALES_TREND: {
    text: 'There are not yet two full 3-month periods of sales to compare.',
    textZh: '尚无两个完整的3个月销售期可供比较。',
  },
  HIGH_REFUND_RATE: {
    text: 'Refunds took a larger share of your sales than at the best-rated shops.',
    textZh: '退款占销售额的比例高于评分最好的店铺。',
  },
  HIGH_DISPUTE_RATE: {
    text: 'Buyers opened disputes on more of your orders than at the best-rated shops.',
    textZh: '买家发起争议的订单比例高于评分最好的店铺。',
  },
  LOW_ORDER_VALUE: {
    text: 'Your average order value is below the highest band.',
    textZh: '平均订单金额未达到最高档。',
  },
  NO_REPAYMENT_HISTORY: {
    text: 'You have no repayment history on Lendbook yet.',
    textZh: '您在Lendbook上尚无还款记录。',
  },
  LATE_REPAYMENTS: {
    text: 'Some of your Lendbook installments were not paid on time.',
    textZh: '您在Lendbook上有部分分期未按时还款。',
  },
  SEVERELY_LATE: {
    text: 'At least one Lendbook installment was paid after its due date, or is still overdue.',
    textZh: '至少有一期还款晚于到期日，或仍在逾期中。',
  },
  HIGH_DEBT: {
    text: 'Your outstanding Lendbook debt is a large share of your monthly sales.',
    textZh: '您在Lendbook的未还本金占月销售额的比例较大。',
  },
};

/**
 * The same reasons for the people who read a listing (lenders, visitors): about "the shop", not "you".
 * The borrower's own rating page keeps REASON_TEXTS.
 */
export const LENDER_REASON_TEXTS: Record<ReasonCode, { text: string; textZh: string }> = {
  SHORT_HISTORY: { text: 'The shop did not have sales in every one of the last 12 months.', textZh: '该店铺近12个月中并非每个月都有销售。' },
  LOW_GMV: { text: "The shop's sales over the last 12 months, after refunds and disputes, are below the highest band.", textZh: '该店铺扣除退款和争议后近12个月的销售额未达到最高档。' },
  VOLATILE_SALES: { text: "The shop's monthly sales vary more than those of the steadiest shops.", textZh: '该店铺月销售额的波动大于最稳定的店铺。' },
  DECLINING_SALES: { text: "The shop's sales in the last 3 months were lower than in the 3 months before.", textZh: '该店铺近3个月的销售额低于之前3个月。' },
  NO_SALES_TREND: { text: 'There are not yet two full 3-month periods of sales to compare.', textZh: '尚无两个完整的3个月销售期可供比较。' },
  HIGH_REFUND_RATE: { text: "Refunds took a larger share of the shop's sales than at the best-rated shops.", textZh: '该店铺退款占销售额的比例高于评分最好的店铺。' },
  HIGH_DISPUTE_RATE: { text: "Buyers opened disputes on more of the shop's orders than at the best-rated shops.", textZh: '买家对该店铺发起争议的订单比例高于评分最好的店铺。' },
  LOW_ORDER_VALUE: { text: "The shop's average order value is below the highest band.", textZh: '该店铺平均订单金额未达到最高档。' },
  NO_REPAYMENT_HISTORY: { text: 'The shop has no repayment history on Lendbook yet.', textZh: '该店铺在Lendbook上尚无还款记录。' },
  LATE_REPAYMENTS: { text: "Some of the shop's Lendbook installments were not paid on time.", textZh: '该店铺在Lendbook上有部分分期未按时还款。' },
  SEVERELY_LATE: { text: 'At least one of its Lendbook installments was paid after its due date, or is still overdue.', textZh: '该店铺至少有一期还款晚于到期日，或仍在逾期中。' },
  HIGH_DEBT: { text: "The shop's outstanding Lendbook debt is a large share of its monthly sales.", textZh: '该店铺在Lendbook的未还本金占月销售额的比例较大。' },
};

/** A band covers values from the previous band's `below` (first band: 0) up to, not including, `below`. */
export interface PointsBand {
  below: number | null;
  points: number;
}

export type FeatureUnit = 'months' | 'minor' | 'bps' | 'days';

export interface PointsTable {
  feature: FeatureName;
  /** The MerchantFeatures field the table reads. */
  field: keyof MerchantFeatures;
  title: string;
  titleZh: string;
  unit: FeatureUnit;
  definition: string;
  bands: readonly PointsBand[];
  /** The largest value the feature can take, when bounded (shown as the top band's upper end). */
  maxValue?: number;
  /** Points when the feature cannot be measured (null), and what that means. */
  missingPoints: number;
  missingMeaning: string;
  reason: ReasonCode;
  missingReason: ReasonCode;
}

const MONTH = 1;
const YUAN = 100;

export const POINTS_TABLES: readonly PointsTable[] = [
  {
    feature: 'monthsActive',
    field: 'monthsActive',
    title: 'Months active',
    titleZh: '活跃月数',
    unit: 'months',
    definition: 'Months of the 12-month window, from the month the shop opened, with at least one order (any status).',
    bands: [
      { below: 3 * MONTH, points: 0 },
      { below: 6 * MONTH, points: 30 },
      { below: 9 * MONTH, points: 70 },
      { below: 12 * MONTH, points: 105 },
      { below: null, points: 130 },
    ],
    maxValue: 12,
    missingPoints: 0,
    missingMeaning: 'never missing',
    reason: 'SHORT_HISTORY',
    missingReason: 'SHORT_HISTORY',
  },
  {
    feature: 'gmv',
    field: 'gmvMinor',
    title: 'GMV, 12 months',
    titleZh: '近12个月成交额',
    unit: 'minor',
    definition: 'Value of orders placed in the window that are paid, shipped, delivered or settled (refunded and disputed orders do not count).',
    bands: [
      { below: 60_000 * YUAN, points: 0 },
      { below: 240_000 * YUAN, points: 30 },
      { below: 600_000 * YUAN, points: 60 },
      { below: 1_200_000 * YUAN, points: 90 },
      { below: 3_000_000 * YUAN, points: 120 },
      { below: null, points: 150 },
    ],
    missingPoints: 0,
    missingMeaning: 'never missing',
    reason: 'LOW_GMV',
    missingReason: 'LOW_GMV',
  },
  {
    feature: 'salesStability',
    field: 'salesCvBps',
    title: 'Monthly sales variation (CV)',
    titleZh: '月销售额波动（变异系数）',
    unit: 'bps',
    definition:
      'Coefficient of variation of monthly sales (all orders placed) over the months the shop was open in the window: standard deviation / mean. Lower is steadier.',
    bands: [
      { below: 2000, points: 120 },
      { below: 3500, points: 95 },
      { below: 5000, points: 70 },
      { below: 7500, points: 45 },
      { below: 10000, points: 20 },
      { below: null, points: 0 },
    ],
    missingPoints: 0,
    missingMeaning: 'fewer than 3 months open in the window, or no sales',
    reason: 'VOLATILE_SALES',
    missingReason: 'SHORT_HISTORY',
  },
  {
    feature: 'salesTrend',
    field: 'salesTrendBps',
    title: 'Sales trend',
    titleZh: '销售趋势',
    unit: 'bps',
    definition: 'Sales (all orders placed) of the last 3 months of the window divided by those of the 3 months before; 100% is flat.',
    bands: [
      { below: 5000, points: 0 },
      { below: 7500, points: 25 },
      { below: 9000, points: 50 },
      { below: 10000, points: 75 },
      { below: null, points: 90 },
    ],
    missingPoints: 0,
    missingMeaning: 'fewer than 6 months open in the window, or no sales in the earlier 3 months',
    reason: 'DECLINING_SALES',
    missingReason: 'NO_SALES_TREND',
  },
  {
    feature: 'refundRate',
    field: 'refundRateBps',
    title: 'Refund rate (by value)',
    titleZh: '退款率（按金额）',
    unit: 'bps',
    definition: 'Value of refunded orders / value of all orders placed in the window.',
    bands: [
      { below: 200, points: 120 },
      { below: 500, points: 100 },
      { below: 1000, points: 75 },
      { below: 1500, points: 50 },
      { below: 2500, points: 25 },
      { below: null, points: 0 },
    ],
    missingPoints: 0,
    missingMeaning: 'no orders in the window',
    reason: 'HIGH_REFUND_RATE',
    missingReason: 'SHORT_HISTORY',
  },
  {
    feature: 'disputeRate',
    field: 'disputeRateBps',
    title: 'Dispute rate (by order count)',
    titleZh: '争议率（按订单数）',
    unit: 'bps',
    definition: 'Orders in dispute / all orders placed in the window, counted in orders (not value): one dispute weighs the same whatever the order is worth.',
    bands: [
      { below: 10, points: 110 },
      { below: 30, points: 90 },
      { below: 50, points: 70 },
      { below: 100, points: 45 },
      { below: 200, points: 20 },
      { below: null, points: 0 },
    ],
    missingPoints: 0,
    missingMeaning: 'no orders in the window',
    reason: 'HIGH_DISPUTE_RATE',
    missingReason: 'SHORT_HISTORY',
  },
  {
    feature: 'averageOrderValue',
    field: 'averageOrderValueMinor',
    title: 'Average order value',
    titleZh: '平均订单金额',
    unit: 'minor',
    definition: 'Value of all orders placed in the window / their number.',
    bands: [
      { below: 20 * YUAN, points: 0 },
      { below: 50 * YUAN, points: 15 },
      { below: 150 * YUAN, points: 30 },
      { below: null, points: 40 },
    ],
    missingPoints: 0,
    missingMeaning: 'no orders in the window',
    reason: 'LOW_ORDER_VALUE',
    missingReason: 'SHORT_HISTORY',
  },
  {
    feature: 'onTimeShare',
    field: 'onTimeShareBps',
    title: 'Installments paid on time',
    titleZh: '按时还款比例',
    unit: 'bps',
    definition: 'Lendbook installments paid by their due date / installments that have fallen due.',
    bands: [
      { below: 8000, points: 0 },
      { below: 9000, points: 30 },
      { below: 9500, points: 60 },
      { below: 10000, points: 80 },
      { below: null, points: 100 },
    ],
    maxValue: 10000,
    missingPoints: 60,
    missingMeaning: 'no installment has fallen due yet (new borrowers are neither rewarded nor punished much)',
    reason: 'LATE_REPAYMENTS',
    missingReason: 'NO_REPAYMENT_HISTORY',
  },
  {
    feature: 'worstDaysLate',
    field: 'worstDaysLate',
    title: 'Worst days late',
    titleZh: '最长逾期天数',
    unit: 'days',
    definition: 'The most days any Lendbook installment was (or still is) past its due date.',
    bands: [
      { below: 1, points: 70 },
      { below: 4, points: 60 },
      { below: 31, points: 35 },
      { below: 61, points: 15 },
      { below: null, points: 0 },
    ],
    missingPoints: 45,
    missingMeaning: 'no installment has fallen due yet',
    reason: 'SEVERELY_LATE',
    missingReason: 'NO_REPAYMENT_HISTORY',
  },
  {
    feature: 'debtToMonthlyGmv',
    field: 'debtToMonthlyGmvBps',
    title: 'Debt to monthly GMV',
    titleZh: '负债与月成交额之比',
    unit: 'bps',
    definition: 'Outstanding Lendbook principal / average monthly GMV; 100% is one month of GMV.',
    bands: [
      { below: 5000, points: 70 },
      { below: 10000, points: 55 },
      { below: 20000, points: 35 },
      { below: 30000, points: 15 },
      { below: null, points: 0 },
    ],
    missingPoints: 0,
    missingMeaning: 'debt outstanding but no GMV to repay it from',
    reason: 'HIGH_DEBT',
    missingReason: 'HIGH_DEBT',
  },
];

/** Grade bands: the first whose minimum the score reaches. */
export const GRADE_MIN_SCORE: Readonly<Record<Grade, number>> = { AA: 800, A: 720, B: 650, C: 580, D: 520, E: 460, HR: 0 };

/** Probability of default within 12 months per grade, bps: the scorecard's calibration target. */
export const PROBABILITY_OF_DEFAULT_BPS: Readonly<Record<Grade, number>> = {
  AA: 100,
  A: 200,
  B: 400,
  C: 700,
  D: 1100,
  E: 1700,
  HR: 3000,
};

export interface Reason {
  code: ReasonCode;
  text: string;
  textZh: string;
  feature: FeatureName;
  /** Points short of the table's maximum. */
  pointsLost: number;
}

export interface Rating {
  version: string;
  score: number;
  grade: Grade;
  probabilityOfDefaultBps: number;
  points: Record<FeatureName, number>;
  reasons: Reason[];
}

export const MAX_REASONS = 4;

export function tableMaxPoints(table: PointsTable): number {
  return Math.max(table.missingPoints, ...table.bands.map((b) => b.points));
}

export function tableFor(feature: FeatureName): PointsTable {
  const table = POINTS_TABLES.find((t) => t.feature === feature);
  assert(table !== undefined, `no points table for ${feature}`);
  return table;
}

/** The band a measured value falls in. Values are integers >= 0. */
export function bandIndex(table: PointsTable, value: number): number {
  assert(Number.isSafeInteger(value) && value >= 0, `${table.feature}: bad feature value ${value}`);
  const i = table.bands.findIndex((b) => b.below === null || value < b.below);
  assert(i >= 0, `${table.feature}: bands do not cover ${value}`);
  return i;
}

export function featureValue(table: PointsTable, features: MerchantFeatures): number | null {
  const v = features[table.field];
  assert(v === null || typeof v === 'number', `${table.feature}: field ${table.field} is not a number`);
  return v;
}

export function pointsFor(table: PointsTable, value: number | null): number {
  return value === null ? table.missingPoints : table.bands[bandIndex(table, value)]!.points;
}

export function gradeForScore(score: number): Grade {
  const grade = GRADES.find((g) => score >= GRADE_MIN_SCORE[g]);
  assert(grade !== undefined, `no grade for score ${score}`);
  return grade;
}

export function rate(features: MerchantFeatures): Rating {
  const points = {} as Record<FeatureName, number>;
  let sum = 0;
  for (const table of POINTS_TABLES) {
    points[table.feature] = pointsFor(table, featureValue(table, features));
    sum += points[table.feature];
  }
  const score = Math.min(MAX_SCORE, Math.max(0, sum));
  const grade = gradeForScore(score);
  return {
    version: SCORECARD_VERSION,
    score,
    grade,
    probabilityOfDefaultBps: PROBABILITY_OF_DEFAULT_BPS[grade],
    points,
    reasons: reasonsFor(features, points),
  };
}

/**
 * What lowered the score most: features by points lost (table maximum − points), largest first, ties in
 * table order; a code appears once (two repayment features can both say NO_REPAYMENT_HISTORY).
 */
export function reasonsFor(features: MerchantFeatures, points: Record<FeatureName, number>): Reason[] {
  const lost = POINTS_TABLES.map((table, order) => ({ table, order, lost: tableMaxPoints(table) - points[table.feature] }))
    .filter((x) => x.lost > 0)
    .sort((a, b) => b.lost - a.lost || a.order - b.order);
  const reasons: Reason[] = [];
  for (const { table, lost: pointsLost } of lost) {
    const code = featureValue(table, features) === null ? table.missingReason : table.reason;
    if (reasons.some((r) => r.code === code)) continue;
    reasons.push({ code, ...REASON_TEXTS[code], feature: table.feature, pointsLost });
    if (reasons.length === MAX_REASONS) break;
  }
  return reasons;
}
