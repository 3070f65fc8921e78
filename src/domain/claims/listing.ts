/**
 * Claim-backed listings (docs/supply-chain.md §2): a holder finances its claims before their due date.
 * The loan is repaid by the core enterprise's payment, so the listing is graded by the core enterprise,
 * lends up to an advance rate of the claims for that grade, and matures no later than the first of them.
 */
import { assertNonNegativeMinor } from '../assert.js';
import { compareIsoDate, isIsoDate, type IsoDate } from '../dates.js';
import { reject, type Rejection } from '../errors.js';
import type { Grade } from '../grades.js';
import { floorToWholeYuan, percentOfMinorFloor } from '../rating/arith.js';
import { CLAIM_UNFINANCEABLE_GRADES, type Settings } from '../settings.js';
import { claimActivity, type ClaimState, type PayableState } from './claims.js';

export interface CollateralClaim extends ClaimState {
  coreEnterpriseId: string;
  payable: PayableState;
}

export interface ClaimCollateralInput {
  amountMinor: number;
  claimIds: readonly string[];
  /** The claims with those ids that the borrower's merchant holds (others are simply absent). */
  claims: readonly CollateralClaim[];
  /** Grade of each core enterprise named by the claims. */
  coreGrades: ReadonlyMap<string, Grade>;
  maturesOn: string;
  /** The first maturity allowed: the day after the auction could end at the latest. */
  firstMaturity: IsoDate;
  today: IsoDate;
  settings: Pick<Settings, 'claimAdvancePct'>;
}

export interface ClaimCollateral {
  coreEnterpriseId: string;
  grade: Grade;
  advancePct: number;
  valueMinor: number;
  limitMinor: number;
  /** The earliest due date of the claims: the latest the loan may mature. */
  lastMaturity: IsoDate;
}

/** The advance rate for claims on a core enterprise of this grade, or null when they cannot back a listing. */
export function claimAdvancePct(grade: Grade, settings: Pick<Settings, 'claimAdvancePct'>): number | null {
  if (CLAIM_UNFINANCEABLE_GRADES.includes(grade)) return null;
  return settings.claimAdvancePct[grade] ?? null;
}

/** advance rate × the claims, whole yuan, rounded down. */
export function claimFinancingLimit(grade: Grade, valueMinor: number, settings: Pick<Settings, 'claimAdvancePct'>): number {
  return floorToWholeYuan(percentOfMinorFloor(valueMinor, claimAdvancePct(grade, settings) ?? 0));
}

/**
 * Checks the claims of a new listing, first failure returned: the ids (COLLATERAL_INVALID: none, a
 * repeat, one the borrower does not hold, claims on two core enterprises, a grade that cannot back
 * listings), each claim (CLAIM_NOT_ACTIVE: settled, due or empty; COLLATERAL_PLEDGED), the maturity
 * (LISTING_MATURITY_INVALID: after the first due date, or not after the auction), then the amount
 * (COLLATERAL_INSUFFICIENT: above the advance rate of the claims).
 */
export function validateClaimCollateral(input: ClaimCollateralInput): { ok: true; collateral: ClaimCollateral } | Rejection {
  assertNonNegativeMinor(input.amountMinor, 'amountMinor');
  const ids = input.claimIds;
  if (ids.length === 0) return reject('COLLATERAL_INVALID', 'a claim-backed listing needs at least one claim');
  if (new Set(ids).size !== ids.length) return reject('COLLATERAL_INVALID', 'a claim is listed twice');
  const byId = new Map(input.claims.map((c) => [c.id, c]));
  const chosen: CollateralClaim[] = [];
  for (const id of ids) {
    const claim = byId.get(id);
    if (!claim) return reject('COLLATERAL_INVALID', `claim ${id} is not one of the claims you hold`);
    chosen.push(claim);
  }
  const cores = new Set(chosen.map((c) => c.coreEnterpriseId));
  if (cores.size !== 1) return reject('COLLATERAL_INVALID', 'the claims of one listing must all be on the same core enterprise');
  const coreEnterpriseId = chosen[0]!.coreEnterpriseId;
  const grade = input.coreGrades.get(coreEnterpriseId);
  if (!grade) return reject('COLLATERAL_INVALID', 'the core enterprise of these claims is unknown');
  const advancePct = claimAdvancePct(grade, input.settings);
  if (advancePct === null) return reject('COLLATERAL_INVALID', `claims on a core enterprise graded ${grade} cannot back a listing`);
  for (const claim of chosen) {
    const inactive = claimActivity(claim.payable, input.today);
    if (inactive) return { ...inactive, detail: `claim ${claim.id}: ${inactive.detail}` };
    if (claim.amountMinor === 0) return reject('CLAIM_NOT_ACTIVE', `claim ${claim.id}: nothing is left of it`);
    if (claim.pledged) return reject('COLLATERAL_PLEDGED', `claim ${claim.id} already backs another listing or loan`);
  }
  const lastMaturity = chosen.map((c) => c.payable.dueDate).sort(compareIsoDate)[0]!;
  if (!isIsoDate(input.maturesOn)) return reject('LISTING_MATURITY_INVALID', 'maturesOn is not a calendar date');
  if (compareIsoDate(input.maturesOn, lastMaturity) > 0) {
    return reject('LISTING_MATURITY_INVALID', `the loan must mature by ${lastMaturity}, the earliest due date of its claims`);
  }
  if (compareIsoDate(input.maturesOn, input.firstMaturity) < 0) {
    return reject('LISTING_MATURITY_INVALID', `the loan must mature on or after ${input.firstMaturity}, the day after its auction can end`);
  }
  const valueMinor = chosen.reduce((a, c) => a + c.amountMinor, 0);
  const limitMinor = claimFinancingLimit(grade, valueMinor, input.settings);
  if (input.amountMinor > limitMinor) {
    return reject('COLLATERAL_INSUFFICIENT', `claims worth ${valueMinor} back at most ${limitMinor} (${advancePct}% for a core enterprise graded ${grade}); asked ${input.amountMinor}`);
  }
  return { ok: true, collateral: { coreEnterpriseId, grade, advancePct, valueMinor, limitMinor, lastMaturity } };
}
