/**
 * The whole rating of a merchant in one pure call: features → points → grade → credit line →
 * eligibility, with the expected loss lenders are shown. What a rating job stores (with its inputs and
 * SCORECARD_VERSION) and what GET /me/rating returns.
 */
import { assertNonNegativeMinor } from '../assert.js';
import type { Settings } from '../settings.js';
import { creditLine, eligibility, type CreditLine, type Eligibility, type LegalForm } from './creditLine.js';
import { computeFeatures, type FeatureInput, type MerchantFeatures } from './features.js';
import { rate, SCORECARD_VERSION, type Rating } from './scorecard.js';

export interface AssessmentInput extends FeatureInput {
  legalForm: LegalForm;
  /** Amount of the merchant's open listings. */
  openListingsMinor: number;
}

export interface Assessment {
  version: string;
  features: MerchantFeatures;
  rating: Rating;
  /** Expected loss for the grade, bps of principal (settings.expectedLossBps). */
  expectedLossBps: number;
  creditLine: CreditLine;
  eligibility: Eligibility;
}

export function assessMerchant(input: AssessmentInput, settings: Settings): Assessment {
  assertNonNegativeMinor(input.openListingsMinor, 'openListingsMinor');
  const features = computeFeatures(input);
  const rating = rate(features);
  return {
    version: SCORECARD_VERSION,
    features,
    rating,
    expectedLossBps: settings.expectedLossBps[rating.grade],
    creditLine: creditLine(
      {
        grade: rating.grade,
        avgMonthlyGmvMinor: features.avgMonthlyGmvMinor,
        legalForm: input.legalForm,
        outstandingPrincipalMinor: features.outstandingPrincipalMinor,
        openListingsMinor: input.openListingsMinor,
      },
      settings,
    ),
    eligibility: eligibility({ monthsActive: features.monthsActive, grade: rating.grade }, settings),
  };
}
