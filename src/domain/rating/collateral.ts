/**
 * Collateral products (docs/market-rules.md §1, §6): order financing (订单融资) lends against orders that buyers
 * have paid but that have not settled to the merchant yet, so the settlement can repay the loan;
 * warehouse receipts (仓单质押) lend against goods held by a warehouse. Limits are whole yuan, rounded
 * down, and the checks return a Rejection with the first failing code instead of throwing.
 */
import { assert, assertNonNegativeMinor } from '../assert.js';
import { daysBetween, isIsoDate, type IsoDate } from '../dates.js';
import { reject, type Rejection } from '../errors.js';
import type { Grade } from '../grades.js';
import type { Settings } from '../settings.js';
import { floorToWholeYuan, percentOfMinorFloor } from './arith.js';
import type { MerchantOrder, OrderStatus } from './features.js';

/** Paid but not settled: settled money has already reached the merchant, refunds and disputes may never. */
export const FINANCEABLE_STATUSES: readonly OrderStatus[] = ['paid', 'shipped', 'delivered'];

export const PRODUCTS = ['credit', 'order', 'warehouse_receipt', 'claim'] as const;
export type Product = (typeof PRODUCTS)[number];

export type CollateralCode = 'COLLATERAL_INVALID' | 'COLLATERAL_INSUFFICIENT' | 'COLLATERAL_PLEDGED';
export type CollateralRejection = Rejection & { code: CollateralCode };

export type ListingCollateral = { orderIds: readonly string[] } | { receiptId: string } | { claimIds: readonly string[] };

function collateralReject(code: CollateralCode, detail: string, extra?: Record<string, number>): CollateralRejection {
  return { ...reject(code, detail, extra), code };
}

function asSet(ids: Iterable<string>): ReadonlySet<string> {
  return ids instanceof Set ? (ids as ReadonlySet<string>) : new Set(ids);
}

/** Why one order cannot back a listing now, or null when it can. */
export function orderIneligibility(
  order: MerchantOrder,
  asOf: IsoDate,
  settings: Settings,
  pledgedOrderIds: Iterable<string>,
): CollateralRejection | null {
  assert(isIsoDate(asOf), `bad asOf ${asOf}`);
  if (asSet(pledgedOrderIds).has(order.orderId)) {
    return collateralReject('COLLATERAL_PLEDGED', `order ${order.orderId} already backs another listing or loan`);
  }
  if (!FINANCEABLE_STATUSES.includes(order.status)) {
    return collateralReject('COLLATERAL_INVALID', `order ${order.orderId} is ${order.status}; only paid, shipped or delivered orders can back a listing`);
  }
  const ageDays = daysBetween(order.placedAt, asOf);
  if (ageDays < 0 || ageDays > settings.orderMaxAgeDays) {
    return collateralReject('COLLATERAL_INVALID', `order ${order.orderId} was placed ${ageDays} days ago; it must be 0..${settings.orderMaxAgeDays}`);
  }
  if (order.amountMinor <= 0) return collateralReject('COLLATERAL_INVALID', `order ${order.orderId} has no value`);
  return null;
}

/** Orders that may back a listing as of `asOf`, in the order given. */
export function eligibleOrders(
  orders: readonly MerchantOrder[],
  asOf: IsoDate,
  settings: Settings,
  pledgedOrderIds: Iterable<string>,
): MerchantOrder[] {
  const pledged = asSet(pledgedOrderIds);
  return orders.filter((o) => orderIneligibility(o, asOf, settings, pledged) === null);
}

/** The advance rate for the grade, or null when the grade may not use order financing. */
export function orderAdvancePct(grade: Grade, settings: Settings): number | null {
  return settings.orderAdvancePct[grade] ?? null;
}

/** advance rate × value of the pledged orders, whole yuan; 0 for a grade without an advance rate. */
export function orderFinancingLimit(grade: Grade, orderValueMinor: number, settings: Settings): number {
  const pct = orderAdvancePct(grade, settings) ?? 0;
  return floorToWholeYuan(percentOfMinorFloor(orderValueMinor, pct));
}

/** loan-to-value × receipt value, whole yuan. */
export function receiptLimit(valueMinor: number, settings: Settings): number {
  return floorToWholeYuan(percentOfMinorFloor(valueMinor, settings.warehouseLtvPct));
}

const COLLATERAL_OF: Record<Product, 'none' | 'orders' | 'receipt' | 'claims'> = { credit: 'none', order: 'orders', warehouse_receipt: 'receipt', claim: 'claims' };
const COLLATERAL_WORDS = { none: 'no collateral', orders: 'orderIds', receipt: 'a receiptId', claims: 'claimIds' } as const;

/** A credit listing takes no collateral; the other products take exactly their kind. */
export function checkCollateralMatchesProduct(product: Product, collateral: ListingCollateral | null | undefined): CollateralRejection | null {
  const kind = collateral == null ? 'none' : 'orderIds' in collateral ? 'orders' : 'claimIds' in collateral ? 'claims' : 'receipt';
  const wanted = COLLATERAL_OF[product];
  if (kind === wanted) return null;
  return collateralReject('COLLATERAL_INVALID', `a ${product} listing takes ${COLLATERAL_WORDS[wanted]}`);
}

export interface OrderCollateralInput {
  amountMinor: number;
  grade: Grade;
  orderIds: readonly string[];
  /** The borrower's own orders: an id not among them is invalid (unknown, or someone else's). */
  merchantOrders: readonly MerchantOrder[];
  pledgedOrderIds: Iterable<string>;
  asOf: IsoDate;
  settings: Settings;
}

export type OrderCollateralResult = { ok: true; orders: MerchantOrder[]; valueMinor: number; limitMinor: number } | CollateralRejection;

/** Checks a listing backed by orders: the orders, then whether they cover the amount. */
export function validateOrderCollateral(input: OrderCollateralInput): OrderCollateralResult {
  assertNonNegativeMinor(input.amountMinor, 'amountMinor');
  const ids = input.orderIds;
  if (ids.length === 0) return collateralReject('COLLATERAL_INVALID', 'order financing needs at least one order');
  if (new Set(ids).size !== ids.length) return collateralReject('COLLATERAL_INVALID', 'an order is listed twice');
  if (orderAdvancePct(input.grade, input.settings) === null) {
    return collateralReject('COLLATERAL_INVALID', `grade ${input.grade} may not use order financing`);
  }
  const byId = new Map(input.merchantOrders.map((o) => [o.orderId, o]));
  const pledged = asSet(input.pledgedOrderIds);
  const orders: MerchantOrder[] = [];
  for (const id of ids) {
    const order = byId.get(id);
    if (order === undefined) return collateralReject('COLLATERAL_INVALID', `order ${id} is not one of this merchant's orders`);
    const why = orderIneligibility(order, input.asOf, input.settings, pledged);
    if (why !== null) return why;
    orders.push(order);
  }
  const valueMinor = orders.reduce((a, o) => a + o.amountMinor, 0);
  const limitMinor = orderFinancingLimit(input.grade, valueMinor, input.settings);
  if (input.amountMinor > limitMinor) {
    return collateralReject('COLLATERAL_INSUFFICIENT', `orders worth ${valueMinor} back at most ${limitMinor} at grade ${input.grade}; asked ${input.amountMinor}`, { valueMinor, limitMinor });
  }
  return { ok: true, orders, valueMinor, limitMinor };
}

export interface WarehouseReceipt {
  receiptId: string;
  valueMinor: number;
}

export interface ReceiptCollateralInput {
  amountMinor: number;
  /** The receipt issued to this merchant, or null when the id is unknown or someone else's. */
  receipt: WarehouseReceipt | null;
  /** The receipt already backs another listing or an outstanding loan. */
  pledged: boolean;
  settings: Settings;
}

export type ReceiptCollateralResult = { ok: true; valueMinor: number; limitMinor: number } | CollateralRejection;

export function validateReceiptCollateral(input: ReceiptCollateralInput): ReceiptCollateralResult {
  assertNonNegativeMinor(input.amountMinor, 'amountMinor');
  if (input.receipt === null) return collateralReject('COLLATERAL_INVALID', "the receipt is not one of this merchant's receipts");
  if (input.pledged) return collateralReject('COLLATERAL_PLEDGED', `receipt ${input.receipt.receiptId} already backs another listing or loan`);
  const valueMinor = input.receipt.valueMinor;
  const limitMinor = receiptLimit(valueMinor, input.settings);
  if (input.amountMinor > limitMinor) {
    return collateralReject('COLLATERAL_INSUFFICIENT', `receipt worth ${valueMinor} backs at most ${limitMinor}; asked ${input.amountMinor}`, { valueMinor, limitMinor });
  }
  return { ok: true, valueMinor, limitMinor };
}
