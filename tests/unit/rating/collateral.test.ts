import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { addDays } from '../../../src/domain/dates.js';
import { GRADES, type Grade } from '../../../src/domain/grades.js';
import {
  checkCollateralMatchesProduct,
  eligibleOrders,
  orderFinancingLimit,
  receiptLimit,
  validateOrderCollateral,
  validateReceiptCollateral,
  type MerchantOrder,
  type OrderCollateralInput,
  type OrderStatus,
} from '../../../src/domain/rating/index.js';
import { DEFAULT_SETTINGS } from '../../../src/domain/settings.js';

const AS_OF = '2025-07-10';
const o = (orderId: string, amountMinor: number, status: OrderStatus, ageDays: number): MerchantOrder => ({
  orderId,
  amountMinor,
  status,
  placedAt: addDays(AS_OF, -ageDays),
});

describe('eligible orders for order financing', () => {
  const orders = [
    o('paid', 10_000, 'paid', 0),
    o('shipped', 10_000, 'shipped', 30),
    o('delivered', 10_000, 'delivered', 60),
    o('settled', 10_000, 'settled', 5),
    o('refunded', 10_000, 'refunded', 5),
    o('disputed', 10_000, 'disputed', 5),
    o('too-old', 10_000, 'delivered', 61),
    o('future', 10_000, 'paid', -1),
    o('pledged', 10_000, 'shipped', 3),
    o('zero', 0, 'paid', 3),
  ];

  it('keeps paid/shipped/delivered orders at most 60 days old, not pledged', () => {
    expect(eligibleOrders(orders, AS_OF, DEFAULT_SETTINGS, ['pledged']).map((x) => x.orderId)).toEqual(['paid', 'shipped', 'delivered']);
  });

  it('follows orderMaxAgeDays and accepts a Set of pledged ids', () => {
    const s = { ...DEFAULT_SETTINGS, orderMaxAgeDays: 30 };
    expect(eligibleOrders(orders, AS_OF, s, new Set(['pledged', 'paid'])).map((x) => x.orderId)).toEqual(['shipped']);
  });
});

describe('limits', () => {
  it('advance per grade: AA 80% … D 50%, none for E and HR; whole yuan, rounded down', () => {
    const expected: Record<Grade, number> = { AA: 80_000, A: 75_000, B: 70_000, C: 60_000, D: 50_000, E: 0, HR: 0 };
    for (const g of GRADES) expect(orderFinancingLimit(g, 100_000, DEFAULT_SETTINGS), g).toBe(expected[g]);
    expect(orderFinancingLimit('AA', 12_399, DEFAULT_SETTINGS)).toBe(9_900); // 80% = 9,919.2 → ¥99
    expect(orderFinancingLimit('A', 100_000, { ...DEFAULT_SETTINGS, orderAdvancePct: { A: 33 } })).toBe(33_000);
  });

  it('warehouse receipt: loan-to-value 50%, whole yuan, rounded down', () => {
    expect(receiptLimit(1_000_000, DEFAULT_SETTINGS)).toBe(500_000);
    expect(receiptLimit(1_000_399, DEFAULT_SETTINGS)).toBe(500_100); // 500,199.5 → ¥5,001
    expect(receiptLimit(1_000_000, { ...DEFAULT_SETTINGS, warehouseLtvPct: 70 })).toBe(700_000);
  });

  it('never exceed the value and are always whole yuan', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 1e13 }), fc.constantFrom(...GRADES), (value, grade) => {
        for (const limit of [orderFinancingLimit(grade, value, DEFAULT_SETTINGS), receiptLimit(value, DEFAULT_SETTINGS)]) {
          expect(limit % 100).toBe(0);
          expect(limit).toBeLessThanOrEqual(value);
          expect(limit).toBeGreaterThanOrEqual(0);
        }
      }),
    );
  });
});

describe('validateOrderCollateral', () => {
  const merchantOrders = [o('a', 600_000, 'paid', 1), o('b', 400_000, 'delivered', 20), o('c', 500_000, 'settled', 20), o('d', 500_000, 'shipped', 90)];
  const input = (over: Partial<OrderCollateralInput>): OrderCollateralInput => ({
    amountMinor: 800_000,
    grade: 'AA',
    orderIds: ['a', 'b'],
    merchantOrders,
    pledgedOrderIds: [],
    asOf: AS_OF,
    settings: DEFAULT_SETTINGS,
    ...over,
  });

  it('accepts orders that cover the amount at the advance rate', () => {
    expect(validateOrderCollateral(input({}))).toMatchObject({ ok: true, valueMinor: 1_000_000, limitMinor: 800_000 });
  });
  it('COLLATERAL_INSUFFICIENT above the limit', () => {
    expect(validateOrderCollateral(input({ amountMinor: 800_100 }))).toMatchObject({ ok: false, code: 'COLLATERAL_INSUFFICIENT' });
    expect(validateOrderCollateral(input({ grade: 'D' }))).toMatchObject({ ok: false, code: 'COLLATERAL_INSUFFICIENT' }); // 50% = 500,000
  });
  it('COLLATERAL_PLEDGED for an order that backs another listing or loan', () => {
    expect(validateOrderCollateral(input({ pledgedOrderIds: ['b'] }))).toMatchObject({ ok: false, code: 'COLLATERAL_PLEDGED' });
  });
  it('COLLATERAL_INVALID for no orders, a repeated order, an unknown one, a settled or too old one, or a grade without advance', () => {
    for (const over of [
      { orderIds: [] },
      { orderIds: ['a', 'a'] },
      { orderIds: ['a', 'zz'] },
      { orderIds: ['a', 'c'] },
      { orderIds: ['a', 'd'] },
      { grade: 'E' as const },
      { grade: 'HR' as const },
    ]) {
      expect(validateOrderCollateral(input(over)), JSON.stringify(over)).toMatchObject({ ok: false, code: 'COLLATERAL_INVALID' });
    }
  });
  it('returns a rejection with a detail, never throws, for ordinary refusals', () => {
    const r = validateOrderCollateral(input({ orderIds: ['zz'] }));
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.detail).toContain('zz');
  });
});

describe('validateReceiptCollateral', () => {
  const receipt = { receiptId: 'wr-1', valueMinor: 10_000_000 };
  it('accepts up to 50% of the receipt value', () => {
    expect(validateReceiptCollateral({ amountMinor: 5_000_000, receipt, pledged: false, settings: DEFAULT_SETTINGS })).toEqual({ ok: true, valueMinor: 10_000_000, limitMinor: 5_000_000 });
  });
  it('refuses more (INSUFFICIENT), a pledged receipt (PLEDGED) and an unknown one (INVALID)', () => {
    expect(validateReceiptCollateral({ amountMinor: 5_000_100, receipt, pledged: false, settings: DEFAULT_SETTINGS })).toMatchObject({ code: 'COLLATERAL_INSUFFICIENT' });
    expect(validateReceiptCollateral({ amountMinor: 100_000, receipt, pledged: true, settings: DEFAULT_SETTINGS })).toMatchObject({ code: 'COLLATERAL_PLEDGED' });
    expect(validateReceiptCollateral({ amountMinor: 100_000, receipt: null, pledged: false, settings: DEFAULT_SETTINGS })).toMatchObject({ code: 'COLLATERAL_INVALID' });
  });
});

describe('collateral and product', () => {
  it('credit takes none, order takes orderIds, warehouse_receipt takes a receiptId', () => {
    expect(checkCollateralMatchesProduct('credit', null)).toBeNull();
    expect(checkCollateralMatchesProduct('credit', undefined)).toBeNull();
    expect(checkCollateralMatchesProduct('order', { orderIds: ['a'] })).toBeNull();
    expect(checkCollateralMatchesProduct('warehouse_receipt', { receiptId: 'r' })).toBeNull();
    expect(checkCollateralMatchesProduct('credit', { receiptId: 'r' })).toMatchObject({ code: 'COLLATERAL_INVALID' });
    expect(checkCollateralMatchesProduct('order', null)).toMatchObject({ code: 'COLLATERAL_INVALID' });
    expect(checkCollateralMatchesProduct('order', { receiptId: 'r' })).toMatchObject({ code: 'COLLATERAL_INVALID' });
    expect(checkCollateralMatchesProduct('warehouse_receipt', { orderIds: ['a'] })).toMatchObject({ code: 'COLLATERAL_INVALID' });
  });
});
