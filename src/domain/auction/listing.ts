/**
 * Validating a new listing (docs/market-rules.md §1), the pure part: the caller has already computed the
 * borrower's eligibility, whether it has an open listing, its credit line left and its regulatory cap
 * left (§7); collateral is checked elsewhere.
 *
 * Checks, first failure returned (docs/market-rules.md gives no order; this one puts who may list before what is
 * listed, and the request's own form before the limits it is measured against):
 *  1. BORROWER_NOT_ELIGIBLE   the caller says the borrower may not list (reason passed through)
 *  2. OPEN_LISTING_EXISTS     at most one open listing per borrower
 *  3. VALIDATION_FAILED       unknown product; term not in {1,2,3,6,9,12,18,24,36} or unknown
 *                             repayment (a claim-backed listing instead takes maturesOn, a date, and
 *                             neither of them); unknown pricing; minFundingPct not an integer in 50..100
 *  4. LISTING_AMOUNT_INVALID  amount below 100000 (¥1,000) or not whole yuan
 *  5. LISTING_RATE_INVALID    maxRateBps not an integer in 1..settings.maxRateBps
 *  6. LISTING_DURATION_INVALID durationSec not an integer in the min..max duration settings
 *  7. CREDIT_LINE_EXCEEDED    amount above the credit line left
 *  8. REGULATORY_CAP_EXCEEDED amount above the regulatory cap left
 * Defaults: pricing uniform, minFundingPct 100, closeWhenFunded false, durationSec from settings.
 * The listing starts with seq 0 and endsAtMs = originalEndsAtMs = nowMs + durationSec × 1000.
 */
import { assert, assertNonNegativeMinor } from '../assert.js';
import { reject, type Rejection } from '../errors.js';
import { isWholeMajor } from '../money.js';
import type { Settings } from '../settings.js';
import { assertTimeMs } from './timing.js';
import { PRICINGS, type Pricing } from './types.js';

export const MIN_LISTING_AMOUNT_MINOR = 100_000;
export const TERM_MONTHS = [1, 2, 3, 6, 9, 12, 18, 24, 36] as const;
export type TermMonths = (typeof TERM_MONTHS)[number];
export const REPAYMENTS = ['equal_installment', 'equal_principal', 'interest_only'] as const;
export type Repayment = (typeof REPAYMENTS)[number];
export const PRODUCTS = ['credit', 'order', 'warehouse_receipt', 'claim'] as const;
export type Product = (typeof PRODUCTS)[number];
export const MIN_FUNDING_PCT_MIN = 50;
export const MIN_FUNDING_PCT_MAX = 100;

export type ListingSettings = Pick<Settings, 'maxRateBps' | 'auctionMinDurationSec' | 'auctionMaxDurationSec' | 'auctionDefaultDurationSec'>;

/** The borrower's request as received (already schema-checked at the edge, checked again here). */
export interface NewListingRequest {
  readonly amountMinor: number;
  readonly termMonths?: number | undefined;
  readonly maxRateBps: number;
  readonly repayment?: string | undefined;
  /** A claim-backed listing's maturity date (it has no term or repayment choice: it is a bullet). */
  readonly maturesOn?: string | undefined;
  readonly product: string;
  readonly pricing?: string | undefined;
  readonly minFundingPct?: number | undefined;
  readonly closeWhenFunded?: boolean | undefined;
  readonly durationSec?: number | undefined;
}

export interface NewListingInput {
  readonly request: NewListingRequest;
  readonly borrower: { readonly eligible: boolean; readonly reason?: string; readonly hasOpenListing: boolean };
  readonly creditLineLeftMinor: number;
  readonly capLeftMinor: number;
  readonly nowMs: number;
  readonly settings: ListingSettings;
}

export interface ListingTerms {
  amountMinor: number;
  /** null for a claim-backed listing, which matures on `maturesOn`. */
  termMonths: TermMonths | null;
  maxRateBps: number;
  repayment: Repayment | 'bullet';
  maturesOn: string | null;
  product: Product;
  pricing: Pricing;
  minFundingPct: number;
  closeWhenFunded: boolean;
  durationSec: number;
  endsAtMs: number;
  originalEndsAtMs: number;
  seq: 0;
}

export type NewListingResult = { ok: true; terms: ListingTerms } | Rejection;

function isIntIn(value: number, min: number, max: number): boolean {
  return Number.isSafeInteger(value) && value >= min && value <= max;
}

function oneOf<T extends string | number>(list: readonly T[], value: unknown): value is T {
  return (list as readonly unknown[]).includes(value);
}

const ISO_DATE = /^\d{4}-\d{2}-\d{2}$/;

function termRejection(r: NewListingRequest): Rejection | null {
  if (r.product === 'claim') {
    if (r.termMonths !== undefined || r.repayment !== undefined) {
      return reject('VALIDATION_FAILED', 'a claim-backed listing is repaid in one payment on maturesOn: it takes no termMonths or repayment');
    }
    if (typeof r.maturesOn !== 'string' || !ISO_DATE.test(r.maturesOn)) return reject('VALIDATION_FAILED', 'a claim-backed listing needs maturesOn, a date (YYYY-MM-DD)');
    return null;
  }
  if (r.maturesOn !== undefined) return reject('VALIDATION_FAILED', 'maturesOn is for claim-backed listings; this one takes termMonths');
  if (!oneOf(TERM_MONTHS, r.termMonths)) return reject('VALIDATION_FAILED', `termMonths must be one of ${TERM_MONTHS.join(', ')}`);
  if (!oneOf(REPAYMENTS, r.repayment)) return reject('VALIDATION_FAILED', `repayment must be one of ${REPAYMENTS.join(', ')}`);
  return null;
}

function formRejection(r: NewListingRequest): Rejection | null {
  if (!oneOf(PRODUCTS, r.product)) return reject('VALIDATION_FAILED', `product must be one of ${PRODUCTS.join(', ')}`);
  const term = termRejection(r);
  if (term) return term;
  if (r.pricing !== undefined && !oneOf(PRICINGS, r.pricing)) return reject('VALIDATION_FAILED', `pricing must be one of ${PRICINGS.join(', ')}`);
  if (r.minFundingPct !== undefined && !isIntIn(r.minFundingPct, MIN_FUNDING_PCT_MIN, MIN_FUNDING_PCT_MAX)) {
    return reject('VALIDATION_FAILED', `minFundingPct must be an integer in ${MIN_FUNDING_PCT_MIN}..${MIN_FUNDING_PCT_MAX}`);
  }
  return null;
}

function amountRejection(input: NewListingInput): Rejection | null {
  const { amountMinor } = input.request;
  if (!Number.isSafeInteger(amountMinor) || amountMinor < MIN_LISTING_AMOUNT_MINOR) {
    return reject('LISTING_AMOUNT_INVALID', `the amount must be at least ${MIN_LISTING_AMOUNT_MINOR} minor units`, { minMinor: MIN_LISTING_AMOUNT_MINOR });
  }
  if (!isWholeMajor(amountMinor)) return reject('LISTING_AMOUNT_INVALID', 'the amount must be whole yuan', { minMinor: MIN_LISTING_AMOUNT_MINOR, multipleOfMinor: 100 });
  return null;
}

function limitRejection(input: NewListingInput): Rejection | null {
  const { amountMinor } = input.request;
  if (amountMinor > input.creditLineLeftMinor) return reject('CREDIT_LINE_EXCEEDED', `your credit line left is ${input.creditLineLeftMinor} minor units`, { leftMinor: input.creditLineLeftMinor });
  if (amountMinor > input.capLeftMinor) return reject('REGULATORY_CAP_EXCEEDED', `the regulatory cap left is ${input.capLeftMinor} minor units`, { leftMinor: input.capLeftMinor });
  return null;
}

export function validateNewListing(input: NewListingInput): NewListingResult {
  const { request: r, settings: s, nowMs } = input;
  assertTimeMs(nowMs, 'nowMs');
  assertNonNegativeMinor(input.creditLineLeftMinor, 'creditLineLeftMinor');
  assertNonNegativeMinor(input.capLeftMinor, 'capLeftMinor');
  assert(s.auctionMinDurationSec <= s.auctionMaxDurationSec, 'duration settings out of order');

  if (!input.borrower.eligible) return reject('BORROWER_NOT_ELIGIBLE', input.borrower.reason ?? 'the borrower may not list now');
  if (input.borrower.hasOpenListing) return reject('OPEN_LISTING_EXISTS', 'withdraw or wait for your open listing first');
  const form = formRejection(r);
  if (form) return form;
  const amount = amountRejection(input);
  if (amount) return amount;
  if (!isIntIn(r.maxRateBps, 1, s.maxRateBps)) return reject('LISTING_RATE_INVALID', `maxRateBps must be an integer in 1..${s.maxRateBps}`, { minRateBps: 1, maxRateBps: s.maxRateBps });
  const durationSec = r.durationSec ?? s.auctionDefaultDurationSec;
  if (!isIntIn(durationSec, s.auctionMinDurationSec, s.auctionMaxDurationSec)) {
    return reject('LISTING_DURATION_INVALID', `durationSec must be an integer in ${s.auctionMinDurationSec}..${s.auctionMaxDurationSec}`, { minSec: s.auctionMinDurationSec, maxSec: s.auctionMaxDurationSec });
  }
  const limit = limitRejection(input);
  if (limit) return limit;

  const endsAtMs = nowMs + durationSec * 1000;
  return {
    ok: true,
    terms: {
      amountMinor: r.amountMinor,
      termMonths: r.product === 'claim' ? null : (r.termMonths as TermMonths),
      maxRateBps: r.maxRateBps,
      repayment: r.product === 'claim' ? 'bullet' : (r.repayment as Repayment),
      maturesOn: r.product === 'claim' ? r.maturesOn! : null,
      product: r.product as Product,
      pricing: (r.pricing ?? 'uniform') as Pricing,
      minFundingPct: r.minFundingPct ?? MIN_FUNDING_PCT_MAX,
      closeWhenFunded: r.closeWhenFunded ?? false,
      durationSec,
      endsAtMs,
      originalEndsAtMs: endsAtMs,
      seq: 0,
    },
  };
}
