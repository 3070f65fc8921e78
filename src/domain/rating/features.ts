/**
 * Scorecard features: what a merchant's own trading data (pushed by the order system) and its Lendbook
 * repayment record say about it, as of a date. Pure: the date is an argument and every value is an
 * integer (minor units, months, days or basis points), so a rating can be recomputed and audited later.
 *
 * Window: the 12 whole calendar months before the month of `asOf` (asOf 2025-07-10 → 2024-07..2025-06).
 * Whole months make the monthly series comparable and the rating stable inside a month; orders of the
 * running month and orders after `asOf` are not counted.
 */
import { assert, assertMinor, assertNonNegativeMinor } from '../assert.js';
import { addMonthsToKey, isIsoDate, monthKey, type IsoDate } from '../dates.js';
import { BPS, isqrt, ratioBpsFloor } from './arith.js';

export const ORDER_STATUSES = ['paid', 'shipped', 'delivered', 'settled', 'refunded', 'disputed'] as const;
export type OrderStatus = (typeof ORDER_STATUSES)[number];

/** Statuses whose value counts as GMV: the buyer paid and nothing is contested. */
export const GMV_STATUSES: readonly OrderStatus[] = ['paid', 'shipped', 'delivered', 'settled'];

export const WINDOW_MONTHS = 12;
/** Fewer open months than this and month-to-month stability cannot be judged. */
export const MIN_MONTHS_FOR_STABILITY = 3;
/** The trend compares two 3-month blocks, so the shop must have been open for both. */
export const TREND_BLOCK_MONTHS = 3;

export interface MerchantOrder {
  orderId: string;
  amountMinor: number;
  status: OrderStatus;
  placedAt: IsoDate;
}

/** The merchant's record on Lendbook; null or absent before its first loan. */
export interface RepaymentHistory {
  installmentsDue: number;
  installmentsOnTime: number;
  worstDaysLate: number;
  outstandingPrincipalMinor: number;
}

export interface FeatureInput {
  openedAt: IsoDate;
  orders: readonly MerchantOrder[];
  repayment?: RepaymentHistory | null;
  asOf: IsoDate;
}

export interface MerchantFeatures {
  asOf: IsoDate;
  /** First and last month of the window, 'YYYY-MM'. */
  windowFromMonth: string;
  windowToMonth: string;
  /** Window months on or after the month the shop opened (0..12): the months it could have sold. */
  monthsOpen: number;
  /** Open months with at least one order (any status). */
  monthsActive: number;
  /** Orders placed in the window (any status). */
  orderCount: number;
  /** Value of every order placed in the window, whatever became of it. */
  grossSalesMinor: number;
  /** Gross sales per window month, oldest first (12 entries; months before opening are 0). */
  monthlySalesMinor: number[];
  /** GMV: value of paid/shipped/delivered/settled orders (refunded and disputed orders excluded). */
  gmvMinor: number;
  /** gmvMinor / monthsOpen, rounded down; 0 when the shop was not open in the window. */
  avgMonthlyGmvMinor: number;
  /** Coefficient of variation of monthly gross sales over the open months, bps; null if < 3 open months or no sales. */
  salesCvBps: number | null;
  /** Gross sales of the last 3 window months / the 3 before, bps (10000 = flat); null if not measurable. */
  salesTrendBps: number | null;
  /** Refunded value / gross sales, bps; null without sales. */
  refundRateBps: number | null;
  /** Disputed orders / orders, bps of the order count; null without orders. */
  disputeRateBps: number | null;
  /** grossSalesMinor / orderCount, rounded down; null without orders. */
  averageOrderValueMinor: number | null;
  /** Installments paid on time / installments due, bps; null before the first installment fell due. */
  onTimeShareBps: number | null;
  /** Worst days past due of any installment; null before the first installment fell due. */
  worstDaysLate: number | null;
  outstandingPrincipalMinor: number;
  /** Outstanding principal / average monthly GMV, bps (10000 = one month of GMV); null if debt but no GMV. */
  debtToMonthlyGmvBps: number | null;
  /** Orders ignored because they are dated before the shop opened (a data error to report, not to score). */
  ordersBeforeOpening: number;
}

interface WindowTotals {
  monthly: number[];
  activeMonths: Set<number>;
  orderCount: number;
  gross: number;
  gmv: number;
  refunded: number;
  disputedCount: number;
  beforeOpening: number;
}

export function computeFeatures(input: FeatureInput): MerchantFeatures {
  assert(isIsoDate(input.asOf), `computeFeatures: bad asOf ${input.asOf}`);
  assert(isIsoDate(input.openedAt), `computeFeatures: bad openedAt ${input.openedAt}`);
  const windowFromMonth = addMonthsToKey(monthKey(input.asOf), -WINDOW_MONTHS);
  const windowToMonth = addMonthsToKey(monthKey(input.asOf), -1);
  const monthsOpen = countOpenMonths(windowFromMonth, input.openedAt);
  const t = sumWindow(input, windowFromMonth);
  const repayment = repaymentFeatures(input.repayment ?? null);
  const openMonthly = t.monthly.slice(WINDOW_MONTHS - monthsOpen);
  return {
    asOf: input.asOf,
    windowFromMonth,
    windowToMonth,
    monthsOpen,
    monthsActive: t.activeMonths.size,
    orderCount: t.orderCount,
    grossSalesMinor: t.gross,
    monthlySalesMinor: t.monthly,
    gmvMinor: t.gmv,
    avgMonthlyGmvMinor: monthsOpen === 0 ? 0 : Math.floor(t.gmv / monthsOpen),
    salesCvBps: coefficientOfVariationBps(openMonthly),
    salesTrendBps: trendBps(t.monthly, monthsOpen),
    refundRateBps: t.gross === 0 ? null : ratioBpsFloor(t.refunded, t.gross),
    disputeRateBps: t.orderCount === 0 ? null : ratioBpsFloor(t.disputedCount, t.orderCount),
    averageOrderValueMinor: t.orderCount === 0 ? null : Math.floor(t.gross / t.orderCount),
    ...repayment,
    debtToMonthlyGmvBps: debtRatioBps(repayment.outstandingPrincipalMinor, t.gmv, monthsOpen),
    ordersBeforeOpening: t.beforeOpening,
  };
}

/** Window months from the shop's opening month on (all 12 if it opened before the window). */
function countOpenMonths(windowFromMonth: string, openedAt: IsoDate): number {
  for (let i = 0; i < WINDOW_MONTHS; i++) {
    if (addMonthsToKey(windowFromMonth, i) >= monthKey(openedAt)) return WINDOW_MONTHS - i;
  }
  return 0;
}

function monthIndex(windowFromMonth: string, key: string): number {
  const y = Number(key.slice(0, 4)) - Number(windowFromMonth.slice(0, 4));
  return y * 12 + Number(key.slice(5, 7)) - Number(windowFromMonth.slice(5, 7));
}

function sumWindow(input: FeatureInput, windowFromMonth: string): WindowTotals {
  const t: WindowTotals = {
    monthly: new Array<number>(WINDOW_MONTHS).fill(0),
    activeMonths: new Set(),
    orderCount: 0,
    gross: 0,
    gmv: 0,
    refunded: 0,
    disputedCount: 0,
    beforeOpening: 0,
  };
  for (const order of input.orders) {
    checkOrder(order);
    if (order.placedAt < input.openedAt) {
      t.beforeOpening++;
      continue;
    }
    const i = monthIndex(windowFromMonth, monthKey(order.placedAt));
    if (i < 0 || i >= WINDOW_MONTHS) continue;
    addOrder(t, i, order);
  }
  for (const v of [t.gross, t.gmv, t.refunded]) assertMinor(v, 'window total');
  return t;
}

function addOrder(t: WindowTotals, monthIdx: number, order: MerchantOrder): void {
  t.monthly[monthIdx] = t.monthly[monthIdx]! + order.amountMinor;
  t.activeMonths.add(monthIdx);
  t.orderCount++;
  t.gross += order.amountMinor;
  if (GMV_STATUSES.includes(order.status)) t.gmv += order.amountMinor;
  else if (order.status === 'refunded') t.refunded += order.amountMinor;
  else t.disputedCount++;
}

function checkOrder(order: MerchantOrder): void {
  assertNonNegativeMinor(order.amountMinor, `order ${order.orderId} amountMinor`);
  assert(isIsoDate(order.placedAt), `order ${order.orderId}: bad placedAt ${order.placedAt}`);
  assert((ORDER_STATUSES as readonly string[]).includes(order.status), `order ${order.orderId}: bad status`);
}

/**
 * Population standard deviation / mean of the monthly sales, as bps: √(n·Σx² − (Σx)²) / Σx. Computed
 * exactly on integers (BigInt) so that scaling every amount by k gives exactly the same value.
 */
export function coefficientOfVariationBps(monthlyMinor: readonly number[]): number | null {
  const n = BigInt(monthlyMinor.length);
  if (monthlyMinor.length < MIN_MONTHS_FOR_STABILITY) return null;
  const sum = monthlyMinor.reduce((a, x) => a + BigInt(x), 0n);
  if (sum === 0n) return null;
  const sumSq = monthlyMinor.reduce((a, x) => a + BigInt(x) * BigInt(x), 0n);
  const scaled = ((n * sumSq - sum * sum) * BigInt(BPS) * BigInt(BPS)) / (sum * sum);
  return Number(isqrt(scaled));
}

/** Last 3 months against the 3 before; needs 6 open months and sales in the earlier block. */
function trendBps(monthly: readonly number[], monthsOpen: number): number | null {
  if (monthsOpen < 2 * TREND_BLOCK_MONTHS) return null;
  const last = monthly.slice(-TREND_BLOCK_MONTHS).reduce((a, b) => a + b, 0);
  const before = monthly.slice(-2 * TREND_BLOCK_MONTHS, -TREND_BLOCK_MONTHS).reduce((a, b) => a + b, 0);
  return before === 0 ? null : ratioBpsFloor(last, before);
}

function repaymentFeatures(r: RepaymentHistory | null): Pick<MerchantFeatures, 'onTimeShareBps' | 'worstDaysLate' | 'outstandingPrincipalMinor'> {
  if (r === null) return { onTimeShareBps: null, worstDaysLate: null, outstandingPrincipalMinor: 0 };
  assert(Number.isSafeInteger(r.installmentsDue) && r.installmentsDue >= 0, 'installmentsDue must be an integer >= 0');
  assert(
    Number.isSafeInteger(r.installmentsOnTime) && r.installmentsOnTime >= 0 && r.installmentsOnTime <= r.installmentsDue,
    'installmentsOnTime must be an integer within 0..installmentsDue',
  );
  assert(Number.isSafeInteger(r.worstDaysLate) && r.worstDaysLate >= 0, 'worstDaysLate must be an integer >= 0');
  assertNonNegativeMinor(r.outstandingPrincipalMinor, 'outstandingPrincipalMinor');
  const hasHistory = r.installmentsDue > 0;
  return {
    onTimeShareBps: hasHistory ? ratioBpsFloor(r.installmentsOnTime, r.installmentsDue) : null,
    worstDaysLate: hasHistory ? r.worstDaysLate : null,
    outstandingPrincipalMinor: r.outstandingPrincipalMinor,
  };
}

/**
 * Debt over average monthly GMV, from the exact totals (not the rounded-down average) so that the
 * ratio only moves with debt and GMV. No debt is 0 whatever the GMV; debt without GMV is null (worst).
 */
function debtRatioBps(outstandingMinor: number, gmvMinor: number, monthsOpen: number): number | null {
  if (outstandingMinor === 0) return 0;
  if (gmvMinor === 0) return null;
  return ratioBpsFloor(outstandingMinor * monthsOpen, gmvMinor);
}
