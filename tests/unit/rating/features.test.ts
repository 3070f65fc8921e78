import { describe, expect, it } from 'vitest';
import { addMonthsToKey } from '../../../src/domain/dates.js';
import { coefficientOfVariationBps, computeFeatures, type MerchantOrder, type OrderStatus } from '../../../src/domain/rating/index.js';

const AS_OF = '2025-07-10';
let seq = 0;
function order(placedAt: string, amountYuan: number, status: OrderStatus = 'settled'): MerchantOrder {
  return { orderId: `o${seq++}`, amountMinor: amountYuan * 100, status, placedAt };
}

describe('computeFeatures: the window', () => {
  it('is the 12 whole months before the month of asOf; the running month and later orders are out', () => {
    const f = computeFeatures({
      openedAt: '2020-01-01',
      asOf: AS_OF,
      orders: [order('2024-06-30', 1000), order('2024-07-01', 100), order('2025-06-30', 200), order('2025-07-01', 5000), order('2025-08-01', 7000)],
    });
    expect(f.windowFromMonth).toBe('2024-07');
    expect(f.windowToMonth).toBe('2025-06');
    expect(f.gmvMinor).toBe(30000);
    expect(f.orderCount).toBe(2);
    expect(f.monthlySalesMinor[0]).toBe(10000);
    expect(f.monthlySalesMinor[11]).toBe(20000);
    expect(f.monthsActive).toBe(2);
    expect(f.monthsOpen).toBe(12);
  });

  it('counts open months from the month the shop opened and ignores orders dated before opening', () => {
    const f = computeFeatures({
      openedAt: '2025-03-15',
      asOf: AS_OF,
      orders: [order('2025-03-01', 999), order('2025-03-20', 100), order('2025-04-02', 100), order('2025-06-02', 100)],
    });
    expect(f.monthsOpen).toBe(4);
    expect(f.monthsActive).toBe(3);
    expect(f.ordersBeforeOpening).toBe(1);
    expect(f.gmvMinor).toBe(30000);
    expect(f.avgMonthlyGmvMinor).toBe(7500); // 30000 / 4 open months
  });

  it('has no open months when the shop opens in or after the rating month', () => {
    const f = computeFeatures({ openedAt: '2025-07-01', asOf: AS_OF, orders: [order('2025-07-02', 100)] });
    expect(f).toMatchObject({ monthsOpen: 0, monthsActive: 0, gmvMinor: 0, avgMonthlyGmvMinor: 0, salesCvBps: null, salesTrendBps: null });
    expect(f).toMatchObject({ refundRateBps: null, disputeRateBps: null, averageOrderValueMinor: null });
  });
});

describe('computeFeatures: GMV, refunds, disputes', () => {
  const orders = [
    order('2025-01-05', 100, 'paid'),
    order('2025-01-06', 100, 'shipped'),
    order('2025-02-05', 100, 'delivered'),
    order('2025-02-06', 100, 'settled'),
    order('2025-03-05', 300, 'refunded'),
    order('2025-03-06', 1000, 'disputed'),
  ];
  const f = computeFeatures({ openedAt: '2020-01-01', asOf: AS_OF, orders });

  it('GMV keeps paid/shipped/delivered/settled and leaves refunded and disputed out', () => {
    expect(f.gmvMinor).toBe(40000);
    expect(f.grossSalesMinor).toBe(170000);
  });
  it('refund rate is by value, dispute rate by order count', () => {
    expect(f.refundRateBps).toBe(1764); // 300 / 1700 = 17.647% → rounded down
    expect(f.disputeRateBps).toBe(1666); // 1 / 6 = 16.666% → rounded down
  });
  it('average order value is over all orders placed, rounded down', () => {
    expect(f.averageOrderValueMinor).toBe(28333); // 170000 / 6
  });
  it('months active counts a month with only refunded or disputed orders', () => {
    expect(f.monthsActive).toBe(3);
  });
});

describe('computeFeatures: stability and trend', () => {
  it('CV is the population standard deviation over the mean, in bps, exact', () => {
    expect(coefficientOfVariationBps([100, 100, 100])).toBe(0);
    // mean 200, values 100 and 300 → sd 100 → CV 50%
    expect(coefficientOfVariationBps([100, 300, 100, 300])).toBe(5000);
    // [0, 0, 300]: mean 100, sd √20000 = 141.42… → 14142 bps
    expect(coefficientOfVariationBps([0, 0, 300])).toBe(14142);
    expect(coefficientOfVariationBps([1, 2])).toBeNull(); // fewer than 3 months
    expect(coefficientOfVariationBps([0, 0, 0])).toBeNull(); // no sales
  });

  it('CV is invariant under scaling every month by the same factor', () => {
    const base = [123457, 99999, 3, 777777, 1, 0];
    expect(coefficientOfVariationBps(base.map((x) => x * 7))).toBe(coefficientOfVariationBps(base));
  });

  it('CV is over the open months only', () => {
    const orders = ['2025-01-10', '2025-02-10', '2025-03-10', '2025-04-10', '2025-05-10', '2025-06-10'].map((d) => order(d, 100));
    expect(computeFeatures({ openedAt: '2025-01-01', asOf: AS_OF, orders }).salesCvBps).toBe(0);
    expect(computeFeatures({ openedAt: '2024-01-01', asOf: AS_OF, orders }).salesCvBps).toBe(10000); // six zero months count
  });

  it('trend is the last 3 months over the 3 before, and needs 6 open months and earlier sales', () => {
    const orders = [order('2025-01-10', 100), order('2025-02-10', 100), order('2025-03-10', 100), order('2025-04-10', 50), order('2025-05-10', 100), order('2025-06-10', 100)];
    expect(computeFeatures({ openedAt: '2025-01-01', asOf: AS_OF, orders }).salesTrendBps).toBe(8333);
    expect(computeFeatures({ openedAt: '2025-02-01', asOf: AS_OF, orders: orders.slice(1) }).salesTrendBps).toBeNull();
    expect(computeFeatures({ openedAt: '2024-01-01', asOf: AS_OF, orders: orders.slice(3) }).salesTrendBps).toBeNull();
  });
});

describe('computeFeatures: repayment and debt', () => {
  const orders = Array.from({ length: 12 }, (_, m) => order(`${addMonthsToKey('2024-07', m)}-10`, 1000));

  it('has no repayment features before the first loan, and no debt', () => {
    const f = computeFeatures({ openedAt: '2020-01-01', asOf: AS_OF, orders, repayment: null });
    expect(f).toMatchObject({ onTimeShareBps: null, worstDaysLate: null, outstandingPrincipalMinor: 0, debtToMonthlyGmvBps: 0, gmvMinor: 1_200_000 });
  });

  it('measures on-time share, worst days late and debt over average monthly GMV', () => {
    const f = computeFeatures({
      openedAt: '2020-01-01',
      asOf: AS_OF,
      orders,
      repayment: { installmentsDue: 8, installmentsOnTime: 7, worstDaysLate: 12, outstandingPrincipalMinor: 150_000 },
    });
    expect(f).toMatchObject({ onTimeShareBps: 8750, worstDaysLate: 12, outstandingPrincipalMinor: 150_000, debtToMonthlyGmvBps: 15000 });
  });

  it('a fresh loan with nothing due yet has debt but no repayment record', () => {
    const f = computeFeatures({
      openedAt: '2020-01-01',
      asOf: AS_OF,
      orders,
      repayment: { installmentsDue: 0, installmentsOnTime: 0, worstDaysLate: 0, outstandingPrincipalMinor: 50_000 },
    });
    expect(f).toMatchObject({ onTimeShareBps: null, worstDaysLate: null, debtToMonthlyGmvBps: 5000 });
  });

  it('debt without any GMV is not measurable (scored as the worst band)', () => {
    const f = computeFeatures({
      openedAt: '2020-01-01',
      asOf: AS_OF,
      orders: [order('2025-01-10', 100, 'refunded')],
      repayment: { installmentsDue: 1, installmentsOnTime: 1, worstDaysLate: 0, outstandingPrincipalMinor: 1 },
    });
    expect(f.debtToMonthlyGmvBps).toBeNull();
  });

  it('refuses inconsistent inputs', () => {
    expect(() =>
      computeFeatures({ openedAt: '2020-01-01', asOf: AS_OF, orders, repayment: { installmentsDue: 1, installmentsOnTime: 2, worstDaysLate: 0, outstandingPrincipalMinor: 0 } }),
    ).toThrow(/installmentsOnTime/);
    expect(() => computeFeatures({ openedAt: '2020-01-01', asOf: '2025-13-01', orders })).toThrow(/asOf/);
    expect(() => computeFeatures({ openedAt: '2020-01-01', asOf: AS_OF, orders: [{ ...order('2025-01-01', 1), amountMinor: 1.5 }] })).toThrow();
  });
});
