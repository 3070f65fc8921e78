/**
 * Claims (docs/supply-chain.md): a core enterprise's irrevocable promise to pay an amount on a due date
 * to whoever holds it, issued as a payable to one of its suppliers and passed down the tiers by
 * assignment. Pure rules: the caller reads the rows under lock and writes what these functions decide.
 *
 * The one invariant everything here keeps: the claims of a payable always add up to the payable. An
 * issue makes one claim of the whole amount; an assignment moves part of a claim into a new one.
 */
import { assert, assertPositiveMinor } from '../assert.js';
import { daysBetween, isIsoDate, type IsoDate } from '../dates.js';
import { reject, type Rejection } from '../errors.js';
import { isWholeMajor } from '../money.js';
import type { Settings } from '../settings.js';

/** The smallest part of a claim that may be passed on: ¥100. */
export const MIN_ASSIGN_MINOR = 10_000;

export type ClaimSettings = Pick<Settings, 'claimMaxDays' | 'claimMaxTier'>;

export interface IssueInput {
  amountMinor: number;
  dueDate: IsoDate;
  today: IsoDate;
  /** What the core enterprise's unpaid claims add up to now (its outstanding payables). */
  unpaidMinor: number;
  limitMinor: number;
  settings: ClaimSettings;
}

/**
 * May the core enterprise confirm this payable? Its due date is 1..CLAIM_MAX_DAYS days ahead, and its
 * unpaid claims with this one stay within its limit.
 */
export function checkIssue(input: IssueInput): { ok: true } | Rejection {
  assertPositiveMinor(input.amountMinor, 'amountMinor');
  assert(input.unpaidMinor >= 0 && Number.isSafeInteger(input.unpaidMinor), 'unpaidMinor');
  if (!isIsoDate(input.dueDate)) return reject('PAYABLE_DUE_DATE_INVALID', 'dueDate is not a calendar date');
  const days = daysBetween(input.today, input.dueDate);
  if (days < 1 || days > input.settings.claimMaxDays) {
    return reject('PAYABLE_DUE_DATE_INVALID', `the due date must be 1 to ${input.settings.claimMaxDays} days after today (${input.today}); it is ${days}`);
  }
  if (input.unpaidMinor + input.amountMinor > input.limitMinor) {
    return reject('CORE_LIMIT_EXCEEDED', `unpaid claims ${input.unpaidMinor} + this payable ${input.amountMinor} exceed the limit ${input.limitMinor}`);
  }
  return { ok: true };
}

export interface PayableTerms {
  supplierMerchantId: string;
  amountMinor: number;
  dueDate: IsoDate;
  orderIds: readonly string[];
}

/** The same payable confirmed again (a retry), as opposed to another one under the same reference. */
export function samePayable(a: PayableTerms, b: PayableTerms): boolean {
  return (
    a.supplierMerchantId === b.supplierMerchantId &&
    a.amountMinor === b.amountMinor &&
    a.dueDate === b.dueDate &&
    a.orderIds.length === b.orderIds.length &&
    a.orderIds.every((o, i) => o === b.orderIds[i])
  );
}

/** A claim as the rules see it. */
export interface ClaimState {
  id: string;
  holderMerchantId: string;
  tier: number;
  amountMinor: number;
  /** Holders from tier 1 to this claim's, merchant ids. */
  chain: readonly string[];
  pledged: boolean;
}

export interface PayableState {
  status: 'outstanding' | 'settled';
  dueDate: IsoDate;
}

/**
 * A claim is active while its payable is unpaid and not yet due: on the due date it is the core
 * enterprise's turn to pay, and the right to be paid stops changing hands.
 */
export function claimActivity(payable: PayableState, today: IsoDate): Rejection | null {
  if (payable.status === 'settled') return reject('CLAIM_NOT_ACTIVE', 'the payable is already settled');
  if (daysBetween(today, payable.dueDate) <= 0) return reject('CLAIM_NOT_ACTIVE', `the claim fell due on ${payable.dueDate}`);
  return null;
}

export interface AssignInput {
  claim: ClaimState;
  payable: PayableState;
  toMerchantId: string;
  amountMinor: number;
  today: IsoDate;
  settings: ClaimSettings;
}

export interface Assignment {
  /** What the assigning holder keeps. */
  keptMinor: number;
  /** The new claim, one tier down. */
  child: { holderMerchantId: string; tier: number; amountMinor: number; chain: string[] };
}

/**
 * Passes `amountMinor` of a claim to one of the holder's own suppliers. Checks, first failure returned:
 * the claim is active and holds something (CLAIM_NOT_ACTIVE), is not pledged (CLAIM_PLEDGED), is above
 * the last tier (CLAIM_TIER_EXCEEDED), the amount is whole yuan within ¥100..held
 * (CLAIM_AMOUNT_INVALID), and the assignee is not already in the chain (VALIDATION_FAILED: a claim
 * only moves down).
 */
export function assignClaim(input: AssignInput): { ok: true; assignment: Assignment } | Rejection {
  const { claim, amountMinor, settings } = input;
  assert(claim.chain.length === claim.tier && claim.chain[claim.tier - 1] === claim.holderMerchantId, 'a claim carries its chain');
  const inactive = claimActivity(input.payable, input.today);
  if (inactive) return inactive;
  if (claim.amountMinor === 0) return reject('CLAIM_NOT_ACTIVE', 'nothing is left of this claim');
  if (claim.pledged) return reject('CLAIM_PLEDGED', 'the claim backs a listing or a loan; it cannot be assigned while it does');
  if (claim.tier >= settings.claimMaxTier) return reject('CLAIM_TIER_EXCEEDED', `tier ${claim.tier} is the deepest a claim may go (CLAIM_MAX_TIER ${settings.claimMaxTier})`);
  if (!Number.isSafeInteger(amountMinor) || amountMinor < MIN_ASSIGN_MINOR || !isWholeMajor(amountMinor)) {
    return reject('CLAIM_AMOUNT_INVALID', `an assignment is whole yuan, at least ${MIN_ASSIGN_MINOR} minor units`);
  }
  if (amountMinor > claim.amountMinor) return reject('CLAIM_AMOUNT_INVALID', `the claim holds ${claim.amountMinor}; ${amountMinor} cannot be assigned`);
  if (claim.chain.includes(input.toMerchantId)) return reject('VALIDATION_FAILED', 'the merchant already holds a claim in this chain: a claim only moves down the tiers');
  return {
    ok: true,
    assignment: {
      keptMinor: claim.amountMinor - amountMinor,
      child: { holderMerchantId: input.toMerchantId, tier: claim.tier + 1, amountMinor, chain: [...claim.chain, input.toMerchantId] },
    },
  };
}

export interface ChainLink {
  merchantName: string;
  tier: number;
}

/** Issuer first (tier 0), then each holder in order: what every claim shows. */
export function chainView(coreEnterpriseName: string, chain: readonly string[], nameOf: (merchantId: string) => string): ChainLink[] {
  return [{ merchantName: coreEnterpriseName, tier: 0 }, ...chain.map((id, i) => ({ merchantName: nameOf(id), tier: i + 1 }))];
}
