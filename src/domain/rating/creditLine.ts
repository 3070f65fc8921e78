/**
 * How much a rated merchant may borrow and whether it may list at all. The line follows sales (a
 * multiple of average monthly GMV that shrinks with the grade) and never passes the regulatory cap of
 * docs/market-rules.md §7, which counts everything the borrower owes or has asked for on this platform.
 */
import { assert, assertNonNegativeMinor } from '../assert.js';
import { gradeAtLeast, type Grade } from '../grades.js';
import type { Settings } from '../settings.js';
import { bpsOfMinorFloor, floorToWholeYuan } from './arith.js';

export const LEGAL_FORMS = ['legal_person', 'natural_person'] as const;
export type LegalForm = (typeof LEGAL_FORMS)[number];

/** Credit line as a multiple of average monthly GMV, in bps (30000 = 3.0×). */
export const CREDIT_LINE_MULTIPLE_BPS: Readonly<Record<Grade, number>> = {
  AA: 30000,
  A: 25000,
  B: 20000,
  C: 15000,
  D: 10000,
  E: 5000,
  HR: 0,
};

export interface CreditLineInput {
  grade: Grade;
  avgMonthlyGmvMinor: number;
  legalForm: LegalForm;
  /** Principal still owed on loans on this platform. */
  outstandingPrincipalMinor: number;
  /** Amount of the borrower's open listings (asked for, not yet lent). */
  openListingsMinor: number;
}

export interface CreditLine {
  multipleBps: number;
  /** multiple × average monthly GMV, whole yuan. */
  gradeLineMinor: number;
  /** The regulatory cap for the legal form (settings). */
  capMinor: number;
  /** outstanding principal + open listings. */
  usedMinor: number;
  /** cap − used, at least 0, whole yuan. */
  capLeftMinor: number;
  /** grade line − used, at least 0, whole yuan: what CREDIT_LINE_EXCEEDED checks. */
  gradeLineLeftMinor: number;
  /** min(grade line, cap): the most that may be outstanding at once. */
  creditLineMinor: number;
  /** line − used, at least 0, whole yuan = min(gradeLineLeft, capLeft): the largest listing now. */
  creditLeftMinor: number;
}

export function regulatoryCapMinor(legalForm: LegalForm, settings: Settings): number {
  return legalForm === 'legal_person' ? settings.capLegalPersonMinor : settings.capNaturalPersonMinor;
}

/**
 * The line is a limit on what may be outstanding, so debt and open listings are subtracted once, from
 * the line, to give what is left (subtracting them from the cap and again from the line would count
 * them twice).
 */
export function creditLine(input: CreditLineInput, settings: Settings): CreditLine {
  assertNonNegativeMinor(input.avgMonthlyGmvMinor, 'avgMonthlyGmvMinor');
  assertNonNegativeMinor(input.outstandingPrincipalMinor, 'outstandingPrincipalMinor');
  assertNonNegativeMinor(input.openListingsMinor, 'openListingsMinor');
  const multipleBps = CREDIT_LINE_MULTIPLE_BPS[input.grade];
  const gradeLineMinor = floorToWholeYuan(bpsOfMinorFloor(input.avgMonthlyGmvMinor, multipleBps));
  const capMinor = regulatoryCapMinor(input.legalForm, settings);
  const usedMinor = input.outstandingPrincipalMinor + input.openListingsMinor;
  const creditLineMinor = floorToWholeYuan(Math.min(gradeLineMinor, capMinor));
  const left = (limit: number): number => floorToWholeYuan(Math.max(0, limit - usedMinor));
  return {
    multipleBps,
    gradeLineMinor,
    capMinor,
    usedMinor,
    capLeftMinor: left(capMinor),
    gradeLineLeftMinor: left(gradeLineMinor),
    creditLineMinor,
    creditLeftMinor: left(creditLineMinor),
  };
}

export const ELIGIBILITY_CODES = ['SHORT_HISTORY', 'GRADE_TOO_LOW'] as const;
export type EligibilityCode = (typeof ELIGIBILITY_CODES)[number];

export type Eligibility =
  | { eligible: true }
  | { eligible: false; code: EligibilityCode; text: string; textZh: string };

/** Why a borrower may not post a listing now, besides its rating: one open listing at a time, and credit left. */
export type MayListCode = EligibilityCode | 'OPEN_LISTING' | 'NO_CREDIT_LEFT';
export type MayList = { mayList: true } | { mayList: false; code: MayListCode };

/**
 * "May list now", the one answer the rating page, the new-listing form and the merchant widget show:
 * the rating allows it, no listing of the borrower is open, and at least the smallest listing fits in
 * the credit left (docs/market-rules.md §1).
 */
export function mayListNow(e: Eligibility, openListingsMinor: number, creditLeftMinor: number, minListingMinor: number): MayList {
  if (!e.eligible) return { mayList: false, code: e.code };
  if (openListingsMinor > 0) return { mayList: false, code: 'OPEN_LISTING' };
  if (creditLeftMinor < minListingMinor) return { mayList: false, code: 'NO_CREDIT_LEFT' };
  return { mayList: true };
}

/** History first: a young shop's grade says little, so it hears about its history, not its grade. */
export function eligibility(input: { monthsActive: number; grade: Grade }, settings: Settings): Eligibility {
  assert(Number.isSafeInteger(input.monthsActive) && input.monthsActive >= 0, 'monthsActive must be an integer >= 0');
  if (input.monthsActive < settings.minMonthsActive) {
    return {
      eligible: false,
      code: 'SHORT_HISTORY',
      text: `You need sales in at least ${settings.minMonthsActive} of the last 12 months to borrow; you have ${input.monthsActive}.`,
      textZh: `近12个月中至少需要${settings.minMonthsActive}个月有销售才能借款；您目前有${input.monthsActive}个月。`,
    };
  }
  if (!gradeAtLeast(input.grade, settings.minGradeToList)) {
    return {
      eligible: false,
      code: 'GRADE_TOO_LOW',
      text: `Your grade ${input.grade} is below ${settings.minGradeToList}, the lowest grade that may borrow.`,
      textZh: `您的评级${input.grade}低于可借款的最低评级${settings.minGradeToList}。`,
    };
  }
  return { eligible: true };
}
