/** Credit grades, best first. HR = high risk. */
export const GRADES = ['AA', 'A', 'B', 'C', 'D', 'E', 'HR'] as const;
export type Grade = (typeof GRADES)[number];

export function isGrade(value: string): value is Grade {
  return (GRADES as readonly string[]).includes(value);
}

/** Lower rank is better: AA = 0 ... HR = 6. */
export function gradeRank(grade: Grade): number {
  return GRADES.indexOf(grade);
}

/** True when `grade` is `floor` or better. */
export function gradeAtLeast(grade: Grade, floor: Grade): boolean {
  return gradeRank(grade) <= gradeRank(floor);
}

export const RISK_PROFILES = ['conservative', 'balanced', 'aggressive'] as const;
export type RiskProfile = (typeof RISK_PROFILES)[number];

/** The worst grade each risk profile may bid on (conservative A+, balanced C+, aggressive all). */
export const RISK_PROFILE_FLOOR: Record<RiskProfile, Grade> = {
  conservative: 'A',
  balanced: 'C',
  aggressive: 'HR',
};

export function riskProfileAllows(profile: RiskProfile, grade: Grade): boolean {
  return gradeAtLeast(grade, RISK_PROFILE_FLOOR[profile]);
}
