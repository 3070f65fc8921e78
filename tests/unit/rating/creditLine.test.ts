import { describe, expect, it } from 'vitest';
import { GRADES, type Grade } from '../../../src/domain/grades.js';
import { CREDIT_LINE_MULTIPLE_BPS, creditLine, eligibility, regulatoryCapMinor, type CreditLineInput } from '../../../src/domain/rating/index.js';
import { DEFAULT_SETTINGS, type Settings } from '../../../src/domain/settings.js';

const base: CreditLineInput = { grade: 'AA', avgMonthlyGmvMinor: 0, legalForm: 'legal_person', outstandingPrincipalMinor: 0, openListingsMinor: 0 };
const line = (over: Partial<CreditLineInput>, settings: Settings = DEFAULT_SETTINGS) => creditLine({ ...base, ...over }, settings);

describe('credit line', () => {
  it('is the grade multiple × average monthly GMV, rounded down to whole yuan', () => {
    // ¥10,000.55 a month: AA 3.0× = ¥30,001.65 → ¥30,001
    expect(line({ avgMonthlyGmvMinor: 1_000_055 })).toMatchObject({ gradeLineMinor: 3_000_100, creditLineMinor: 3_000_100, creditLeftMinor: 3_000_100 });
    const expected: Record<Grade, number> = { AA: 30_000_000, A: 25_000_000, B: 20_000_000, C: 15_000_000, D: 10_000_000, E: 5_000_000, HR: 0 };
    for (const g of GRADES) expect(line({ grade: g, avgMonthlyGmvMinor: 10_000_000 }).creditLineMinor, g).toBe(expected[g]);
  });

  it('has multiples falling with the grade, from 3.0× to nothing for HR', () => {
    expect(CREDIT_LINE_MULTIPLE_BPS.AA).toBe(30000);
    expect(CREDIT_LINE_MULTIPLE_BPS.HR).toBe(0);
    GRADES.forEach((g, i) => i > 0 && expect(CREDIT_LINE_MULTIPLE_BPS[g]).toBeLessThan(CREDIT_LINE_MULTIPLE_BPS[GRADES[i - 1]!]));
  });

  it('is capped at ¥1,000,000 for a legal person and ¥200,000 for a natural person', () => {
    const big = { avgMonthlyGmvMinor: 100_000_000 }; // ¥1,000,000 a month → AA grade line ¥3,000,000
    expect(line({ ...big, legalForm: 'legal_person' })).toMatchObject({ gradeLineMinor: 300_000_000, capMinor: 100_000_000, creditLineMinor: 100_000_000, creditLeftMinor: 100_000_000 });
    expect(line({ ...big, legalForm: 'natural_person' })).toMatchObject({ capMinor: 20_000_000, creditLineMinor: 20_000_000, creditLeftMinor: 20_000_000 });
    expect(regulatoryCapMinor('legal_person', DEFAULT_SETTINGS)).toBe(DEFAULT_SETTINGS.capLegalPersonMinor);
    expect(regulatoryCapMinor('natural_person', DEFAULT_SETTINGS)).toBe(DEFAULT_SETTINGS.capNaturalPersonMinor);
  });

  it('follows the cap settings', () => {
    const s = { ...DEFAULT_SETTINGS, capNaturalPersonMinor: 5_000_000 };
    expect(line({ avgMonthlyGmvMinor: 100_000_000, legalForm: 'natural_person' }, s).creditLineMinor).toBe(5_000_000);
  });

  it('leaves line − outstanding − open listings, counting each once', () => {
    // grade line ¥300,000 (AA, ¥100,000 a month), ¥120,000.37 owed, ¥50,000 listed
    const l = line({ avgMonthlyGmvMinor: 10_000_000, outstandingPrincipalMinor: 12_000_037, openListingsMinor: 5_000_000 });
    expect(l).toMatchObject({
      creditLineMinor: 30_000_000,
      usedMinor: 17_000_037,
      gradeLineLeftMinor: 12_999_900, // ¥129,999.63 → ¥129,999
      capLeftMinor: 82_999_900,
      creditLeftMinor: 12_999_900,
    });
  });

  it('lets the cap bind on what is left when the grade line is above it', () => {
    // natural person: grade line ¥600,000, cap ¥200,000; owes ¥150,000 and lists ¥30,000 → ¥20,000 left
    const l = line({ avgMonthlyGmvMinor: 20_000_000, legalForm: 'natural_person', outstandingPrincipalMinor: 15_000_000, openListingsMinor: 3_000_000 });
    expect(l).toMatchObject({ gradeLineMinor: 60_000_000, creditLineMinor: 20_000_000, capLeftMinor: 2_000_000, gradeLineLeftMinor: 42_000_000, creditLeftMinor: 2_000_000 });
  });

  it('never leaves less than nothing', () => {
    const l = line({ avgMonthlyGmvMinor: 1_000_000, outstandingPrincipalMinor: 150_000_000, legalForm: 'legal_person' });
    expect(l).toMatchObject({ creditLeftMinor: 0, capLeftMinor: 0, gradeLineLeftMinor: 0 });
  });

  it('refuses amounts that are not minor units', () => {
    expect(() => line({ avgMonthlyGmvMinor: 1.5 })).toThrow();
    expect(() => line({ outstandingPrincipalMinor: -1 })).toThrow();
  });
});

describe('eligibility', () => {
  it('needs 6 months active and grade D or better (defaults)', () => {
    expect(eligibility({ monthsActive: 6, grade: 'D' }, DEFAULT_SETTINGS)).toEqual({ eligible: true });
    expect(eligibility({ monthsActive: 12, grade: 'AA' }, DEFAULT_SETTINGS)).toEqual({ eligible: true });
    expect(eligibility({ monthsActive: 5, grade: 'AA' }, DEFAULT_SETTINGS)).toMatchObject({ eligible: false, code: 'SHORT_HISTORY' });
    expect(eligibility({ monthsActive: 12, grade: 'E' }, DEFAULT_SETTINGS)).toMatchObject({ eligible: false, code: 'GRADE_TOO_LOW' });
  });

  it('reports a short history before a low grade', () => {
    const e = eligibility({ monthsActive: 4, grade: 'HR' }, DEFAULT_SETTINGS);
    expect(e).toMatchObject({ eligible: false, code: 'SHORT_HISTORY' });
    if (!e.eligible) expect(e.text).toContain('4');
  });

  it('follows the settings', () => {
    const s = { ...DEFAULT_SETTINGS, minMonthsActive: 3, minGradeToList: 'B' as const };
    expect(eligibility({ monthsActive: 3, grade: 'B' }, s)).toEqual({ eligible: true });
    expect(eligibility({ monthsActive: 3, grade: 'C' }, s)).toMatchObject({ eligible: false, code: 'GRADE_TOO_LOW' });
  });
});
