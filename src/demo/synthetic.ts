/**
 * A seeded, pure synthetic merchant history (the demo market and the rating tests): monthly sales with
 * growth, Chinese e-commerce seasonality (618 in June, 双11 in November, 双12, a Spring Festival dip) and
 * noise, cut into orders with refunds and disputes at given rates. Same parameters, same orders.
 */
import { addMonthsToKey, daysBetween, daysInMonth, formatIsoDate, monthKey, type IsoDate } from '../domain/dates.js';
import type { MerchantOrder, OrderStatus } from '../domain/rating/index.js';

/** mulberry32: a tiny deterministic PRNG, uniform in [0, 1). */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Sales multiplier per calendar month (index 0 = January). */
export const SEASONALITY = [1.0, 0.7, 0.95, 0.95, 1.0, 1.3, 0.95, 0.95, 1.0, 1.05, 1.6, 1.25];

export interface MerchantProfile {
  seed: number;
  asOf: IsoDate;
  /** Whole months of history before asOf's month (orders also run into asOf's month, up to the day before). */
  months: number;
  baseMonthlySalesMinor: number;
  /** Compound growth per month, e.g. 0.01. */
  growthPerMonth: number;
  seasonal: boolean;
  averageOrderMinor: number;
  /** Probability of an order ending refunded / disputed. */
  refundProbability: number;
  disputeProbability: number;
  /** Monthly sales noise, ± this fraction. */
  noise: number;
}

export const GOOD_MERCHANT: MerchantProfile = {
  seed: 20250710,
  asOf: '2025-07-10',
  months: 24,
  baseMonthlySalesMinor: 15_000_000, // ¥150,000 a month
  growthPerMonth: 0.01,
  seasonal: true,
  averageOrderMinor: 18_000, // ¥180
  refundProbability: 0.03,
  disputeProbability: 0.002,
  noise: 0.1,
};

function statusFor(rand: () => number, p: MerchantProfile, ageDays: number): OrderStatus {
  const r = rand();
  if (r < p.refundProbability) return 'refunded';
  if (r < p.refundProbability + p.disputeProbability) return 'disputed';
  if (ageDays > 20) return 'settled';
  if (ageDays > 7) return 'delivered';
  return ageDays > 2 ? 'shipped' : 'paid';
}

export function generateHistory(p: MerchantProfile): { openedAt: IsoDate; orders: MerchantOrder[] } {
  const rand = prng(p.seed);
  const firstMonth = addMonthsToKey(monthKey(p.asOf), -p.months);
  const orders: MerchantOrder[] = [];
  for (let m = 0; m <= p.months; m++) {
    const key = addMonthsToKey(firstMonth, m);
    const [year, month] = [Number(key.slice(0, 4)), Number(key.slice(5, 7))];
    const lastDay = m === p.months ? Number(p.asOf.slice(8, 10)) - 1 : daysInMonth(year, month);
    if (lastDay < 1) continue;
    const season = p.seasonal ? SEASONALITY[month - 1]! : 1;
    const noise = 1 + (rand() * 2 - 1) * p.noise;
    const monthShare = lastDay / daysInMonth(year, month);
    const target = p.baseMonthlySalesMinor * (1 + p.growthPerMonth) ** m * season * noise * monthShare;
    let sold = 0;
    while (sold < target) {
      const amountMinor = Math.max(100, Math.round(p.averageOrderMinor * (0.5 + rand())));
      const placedAt = formatIsoDate(year, month, 1 + Math.floor(rand() * lastDay));
      const status = statusFor(rand, p, daysBetween(placedAt, p.asOf));
      orders.push({ orderId: `o-${p.seed}-${orders.length}`, amountMinor, status, placedAt });
      sold += amountMinor;
    }
  }
  return { openedAt: `${firstMonth}-01`, orders };
}

export interface MonthlySpec {
  asOf: IsoDate;
  /** Gross sales per month in yuan, oldest first; the last entry is the month before asOf's month. */
  monthlyYuan: readonly number[];
  orderYuan: number;
  /** Share of orders ending refunded, in bps of the order count (spread evenly). */
  refundBps?: number;
  /** Share of orders ending disputed, in bps of the order count (spread evenly). */
  disputeBps?: number;
  openedAt?: IsoDate;
}

/** True for exactly `bps`/10000 of the indexes 0..n-1, spread evenly. */
function hit(i: number, bps: number): boolean {
  return Math.floor(((i + 1) * bps) / 10000) > Math.floor((i * bps) / 10000);
}

/** An explicit history: every month cut into equal orders, spread over days 1..28. */
export function ordersFromMonthly(spec: MonthlySpec): { openedAt: IsoDate; orders: MerchantOrder[] } {
  const firstMonth = addMonthsToKey(monthKey(spec.asOf), -spec.monthlyYuan.length);
  const orders: MerchantOrder[] = [];
  // Separate counters so that disputes never land on the orders already chosen to be refunded.
  let [n, r, d] = [0, 0, 0];
  spec.monthlyYuan.forEach((yuan, m) => {
    const key = addMonthsToKey(firstMonth, m);
    const count = Math.floor(yuan / spec.orderYuan);
    for (let k = 0; k < count; k++, n++) {
      const refunded = hit(r++, spec.refundBps ?? 0);
      const status: OrderStatus = refunded ? 'refunded' : hit(d++, spec.disputeBps ?? 0) ? 'disputed' : 'settled';
      orders.push({ orderId: `x-${n}`, amountMinor: spec.orderYuan * 100, status, placedAt: `${key}-${String(1 + (k % 28)).padStart(2, '0')}` });
    }
  });
  return { openedAt: spec.openedAt ?? `${firstMonth}-01`, orders };
}
