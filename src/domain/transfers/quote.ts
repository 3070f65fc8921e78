/**
 * What a trade costs and pays (docs/transfers.md), as the offer, its preview and the buy itself show it:
 * the buyer pays price + accrued; the seller receives price + accrued − fee; the fee goes to the
 * platform's fee account; the buyer's yield to maturity on that outlay. One function for all three, so
 * a preview and the buy that follows it agree to the fen.
 */
import { assert } from '../assert.js';
import type { IsoDate } from '../dates.js';
import type { NoteState } from '../servicing/index.js';
import { buyerShare, type BoughtInstallment } from './split.js';
import { transferFeeMinor, transferPriceMinor } from './terms.js';
import { yieldToMaturityBps } from './yield.js';

export interface TradeQuote {
  principalMinor: number;
  priceBps: number;
  priceMinor: number;
  accruedMinor: number;
  /** What the buyer pays: price + accrued. */
  paidMinor: number;
  feeMinor: number;
  /** What the seller receives: price + accrued − fee. */
  sellerReceivesMinor: number;
  yieldToMaturityBps: number;
  /** Installments the buyer will be paid, the current one included. */
  monthsLeft: number;
  nextDueDate: IsoDate;
  installments: BoughtInstallment[];
}

/** The quote for principal `p` of `note` traded on `date` (current period `ci`) at `priceBps`. */
export function quoteTrade(note: NoteState, ci: number, date: IsoDate, principalMinor: number, priceBps: number, feeBps: number): TradeQuote {
  const share = buyerShare(note, ci, date, principalMinor);
  const priceMinor = transferPriceMinor(principalMinor, priceBps);
  const feeMinor = transferFeeMinor(priceMinor, feeBps);
  const paidMinor = priceMinor + share.accruedMinor;
  const sellerReceivesMinor = paidMinor - feeMinor;
  assert(sellerReceivesMinor >= 0 && sellerReceivesMinor + feeMinor === paidMinor, 'price + accrued − fee + fee = what the buyer paid');
  return {
    principalMinor,
    priceBps,
    priceMinor,
    accruedMinor: share.accruedMinor,
    paidMinor,
    feeMinor,
    sellerReceivesMinor,
    yieldToMaturityBps: yieldToMaturityBps({
      outlayMinor: paidMinor,
      paymentsMinor: share.installments.map((i) => i.principalMinor + i.interestMinor),
      daysLeft: share.daysLeft,
      periodDays: share.periodDays,
    }),
    monthsLeft: share.installments.length,
    nextDueDate: share.installments[0]!.dueDate,
    installments: share.installments,
  };
}
