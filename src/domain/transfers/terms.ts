/**
 * The terms of a note transfer, docs/transfers.md: what an offer may ask (principal, price within the
 * discount and premium limits), what a buy may take, the price, the fee. Pure integer arithmetic, and
 * decimal.js for the one rounding of each amount.
 */
import { assert, assertPositiveMinor } from '../assert.js';
import { decFromInt, toMinorHalfEven } from '../decimal.js';
import { reject, type Rejection } from '../errors.js';
import { isWholeMajor } from '../money.js';
import { formatBpsAsPercent as pctText, formatYuan as yuanText } from '../rating/markdown.js';

/** 10000 bps = par. */
export const PAR_BPS = 10_000;

/** Settings of §10 (and MIN_BID_MINOR of §2, the smallest piece that may change hands). */
export interface TransferSettings {
  minBidMinor: number;
  transferMaxDiscountBps: number;
  transferMaxPremiumBps: number;
  transferFeeBps: number;
  transferMinHoldDays: number;
  transferOfferTtlDays: number;
}

export interface PriceLimits {
  minPriceBps: number;
  maxPriceBps: number;
}

export function priceLimits(s: TransferSettings): PriceLimits {
  return { minPriceBps: PAR_BPS - s.transferMaxDiscountBps, maxPriceBps: PAR_BPS + s.transferMaxPremiumBps };
}

/**
 * An offer's principal: whole yuan and at least MIN_BID_MINOR, or exactly the note's whole transferable
 * principal (which may carry fen); never more than it. Its price: within the discount and premium limits.
 */
export function checkOfferTerms(input: { principalMinor: number; priceBps: number }, transferableMinor: number, s: TransferSettings): Rejection | null {
  assert(Number.isSafeInteger(transferableMinor) && transferableMinor > 0, 'an offer is checked against a positive transferable principal');
  const p = input.principalMinor;
  if (!Number.isSafeInteger(p) || p <= 0 || p > transferableMinor) {
    return reject('OFFER_AMOUNT_INVALID', `the principal offered must be at most the ${yuanText(transferableMinor)} the note has outstanding`);
  }
  if (p !== transferableMinor && (!isWholeMajor(p) || p < s.minBidMinor)) {
    return reject('OFFER_AMOUNT_INVALID', `offer whole yuan, at least ${yuanText(s.minBidMinor)}, or the whole ${yuanText(transferableMinor)}`);
  }
  const limits = priceLimits(s);
  if (!Number.isSafeInteger(input.priceBps) || input.priceBps < limits.minPriceBps || input.priceBps > limits.maxPriceBps) {
    return reject('OFFER_PRICE_OUT_OF_RANGE', `the price must be within ${pctText(limits.minPriceBps)} and ${pctText(limits.maxPriceBps)} of the principal`);
  }
  // A crumb of a few fen at a discount can round to a price of nothing: a note is never given away.
  if (transferPriceMinor(p, input.priceBps) === 0) {
    return reject('OFFER_AMOUNT_INVALID', `at ${pctText(input.priceBps)} the ${yuanText(p)} offered would sell for nothing; offer it at par`);
  }
  return null;
}

/**
 * A buy takes all or part of what is left on the offer: whole yuan and at least MIN_BID_MINOR, or the
 * rest exactly. A partial buy must leave at least MIN_BID_MINOR on the offer (a smaller rest could only
 * ever sell as a crumb): the buyer takes the rest instead.
 */
export function checkBuyAmount(principalMinor: number, remainingMinor: number, s: TransferSettings): Rejection | null {
  assert(Number.isSafeInteger(remainingMinor) && remainingMinor > 0, 'a buy is checked against an open offer');
  if (!Number.isSafeInteger(principalMinor) || principalMinor <= 0) return reject('OFFER_AMOUNT_INVALID', 'the principal to buy must be a positive amount');
  if (principalMinor > remainingMinor) return reject('OFFER_REMAINING_EXCEEDED', `only ${yuanText(remainingMinor)} is left on this offer`);
  if (principalMinor === remainingMinor) return null;
  if (!isWholeMajor(principalMinor) || principalMinor < s.minBidMinor) {
    return reject('OFFER_AMOUNT_INVALID', `buy whole yuan, at least ${yuanText(s.minBidMinor)}, or the whole ${yuanText(remainingMinor)} left`);
  }
  if (remainingMinor - principalMinor < s.minBidMinor) {
    return reject('OFFER_AMOUNT_INVALID', `leave at least ${yuanText(s.minBidMinor)} on the offer, or buy the whole ${yuanText(remainingMinor)} left`);
  }
  return null;
}

/** price = round_half_even(p × priceBps / 10000). */
export function transferPriceMinor(principalMinor: number, priceBps: number): number {
  assertPositiveMinor(principalMinor, 'principalMinor');
  assert(Number.isSafeInteger(priceBps) && priceBps > 0, 'priceBps is a positive integer');
  return toMinorHalfEven(decFromInt(principalMinor).mul(priceBps).div(PAR_BPS));
}

/** fee = round_half_even(price × TRANSFER_FEE_BPS / 10000), paid by the seller to the platform's fee account. */
export function transferFeeMinor(priceMinor: number, feeBps: number): number {
  assert(Number.isSafeInteger(priceMinor) && priceMinor >= 0, 'priceMinor is an amount');
  assert(Number.isSafeInteger(feeBps) && feeBps >= 0 && feeBps <= PAR_BPS, 'feeBps is 0..10000');
  return toMinorHalfEven(decFromInt(priceMinor).mul(feeBps).div(PAR_BPS));
}
