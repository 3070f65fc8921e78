/**
 * Explicit merchants used by several rating tests and by the worked example of docs/rating.md.
 */
import type { IsoDate } from '../../../src/domain/dates.js';
import type { Grade } from '../../../src/domain/grades.js';
import type { AssessmentInput, RepaymentHistory } from '../../../src/domain/rating/index.js';
import { ordersFromMonthly, type MonthlySpec } from '../../../src/demo/synthetic.js';

export const AS_OF: IsoDate = '2025-07-10';

const k = (thousands: readonly number[]): number[] => thousands.map((t) => t * 1000);
const flat = (yuan: number): number[] => Array.from({ length: 12 }, () => yuan);

interface Example {
  spec: Omit<MonthlySpec, 'asOf'>;
  repayment: RepaymentHistory | null;
}

/** One explicit merchant per grade: each grade is produced by some input. */
export const GRADE_EXAMPLES: Record<Grade, Example> = {
  AA: { spec: { monthlyYuan: flat(200_000), orderYuan: 200 }, repayment: null },
  A: { spec: { monthlyYuan: flat(50_000), orderYuan: 200, refundBps: 600, disputeBps: 40 }, repayment: null },
  B: { spec: { monthlyYuan: k([30, 50, 30, 50, 30, 50, 30, 50, 30, 50, 30, 50]), orderYuan: 100, refundBps: 1200, disputeBps: 40 }, repayment: null },
  C: {
    spec: { monthlyYuan: k([40, 60, 30, 70, 40, 60, 30, 70, 40, 60, 30, 70]), orderYuan: 100, refundBps: 1200, disputeBps: 120 },
    repayment: { installmentsDue: 10, installmentsOnTime: 9, worstDaysLate: 10, outstandingPrincipalMinor: 3_000_000 },
  },
  D: { spec: { monthlyYuan: k([60, 60, 60, 60, 60, 60, 50, 50, 50, 40, 30, 30]), orderYuan: 60, refundBps: 1600, disputeBps: 120 }, repayment: null },
  E: {
    spec: { monthlyYuan: k([30, 40, 30, 40, 30, 40, 30, 40, 30, 20, 15, 15]), orderYuan: 40, refundBps: 2000, disputeBps: 150 },
    repayment: { installmentsDue: 10, installmentsOnTime: 8, worstDaysLate: 10, outstandingPrincipalMinor: 0 },
  },
  HR: {
    spec: { monthlyYuan: k([0, 0, 0, 0, 0, 0, 5, 40, 2, 30, 1, 1]), orderYuan: 15, refundBps: 3000, disputeBps: 300 },
    repayment: { installmentsDue: 6, installmentsOnTime: 3, worstDaysLate: 75, outstandingPrincipalMinor: 5_000_000 },
  },
};

export function exampleInput(e: Example, extra: Partial<AssessmentInput> = {}): AssessmentInput {
  return { ...ordersFromMonthly({ asOf: AS_OF, ...e.spec }), repayment: e.repayment, asOf: AS_OF, legalForm: 'legal_person', openListingsMinor: 0, ...extra };
}

/** The worked example of docs/rating.md (a tea shop, a legal person, one loan running, one open listing). */
export const WORKED_EXAMPLE: Example = {
  spec: {
    monthlyYuan: k([80, 85, 90, 95, 140, 110, 90, 60, 85, 90, 95, 120]),
    orderYuan: 45,
    refundBps: 600,
    disputeBps: 20,
  },
  repayment: { installmentsDue: 6, installmentsOnTime: 6, worstDaysLate: 0, outstandingPrincipalMinor: 15_000_000 },
};
export const WORKED_EXAMPLE_OPEN_LISTINGS_MINOR = 5_000_000;

export function workedExampleInput(): AssessmentInput {
  return exampleInput(WORKED_EXAMPLE, { openListingsMinor: WORKED_EXAMPLE_OPEN_LISTINGS_MINOR });
}
