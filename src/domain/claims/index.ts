/** Supply-chain finance, the pure rules: claims, claim-backed listings and where outside money lands. */
export {
  MIN_ASSIGN_MINOR,
  assignClaim,
  chainView,
  checkIssue,
  claimActivity,
  samePayable,
  type Assignment,
  type ChainLink,
  type ClaimSettings,
  type ClaimState,
  type IssueInput,
  type PayableState,
  type PayableTerms,
} from './claims.js';
export { claimAdvancePct, claimFinancingLimit, validateClaimCollateral, type ClaimCollateral, type ClaimCollateralInput, type CollateralClaim } from './listing.js';
export { proceedsSplit, settlementSplit, type ClaimPayout, type Settlement, type SettlingClaim } from './settlement.js';
