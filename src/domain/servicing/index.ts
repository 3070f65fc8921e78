/**
 * Public API of the pure loan schedule and servicing core (AUCTION.md §5 schedules, §6 repayment,
 * lateness and default). docs/servicing.md explains every formula and convention.
 */
export {
  REPAYMENT_KINDS,
  BULLET,
  MAX_BULLET_DAYS,
  periodCount,
  actual365InterestMinor,
  MAX_TERM_MONTHS,
  MAX_RATE_BPS,
  MAX_PRINCIPAL_MINOR,
  isRepaymentKind,
  noteSchedule,
  scheduleKey,
  previewSchedule,
  loanSchedule,
  scheduleTotals,
  amortise,
  annuityPaymentMinor,
  periodInterestMinor,
  dueDates,
  spreadEvenly,
  type RepaymentKind,
  type MonthlyKind,
  type SchedulePeriod,
  type PeriodAmounts,
  type NoteScheduleInput,
  type ScheduleTotals,
} from './schedule.js';
export {
  BUCKETS,
  MAX_NOTES_PER_LOAN,
  PART_ORDER,
  openLoan,
  assertLoanInvariants,
  outstandingPrincipalFrom,
  unpaidPart,
  type Bucket,
  type Installment,
  type LoanState,
  type LoanStatus,
  type LoanTerms,
  type NoteState,
  type NoteStatus,
  type NoteTerms,
  type Part,
  type ServicingSettings,
} from './state.js';
export { accruedInterestToDate, interestForDaysMinor } from './accrual.js';
export {
  applyPayment,
  owedToday,
  type AllocationLine,
  type InstallmentOwed,
  type InstallmentPaid,
  type NoteOwed,
  type NotePaid,
  type OwedToday,
  type PartAmounts,
  type PaymentBreakdown,
  type PaymentResult,
} from './allocation.js';
export {
  MAX_CATCH_UP_DAYS,
  accrueDay,
  bucketFor,
  daysPastDue,
  delinquency,
  dueReminders,
  isLate,
  type AccrueResult,
  type Delinquency,
  type DueReminder,
  type ServicingEvent,
} from './daily.js';
export { replay, type PaymentRecord } from './replay.js';
export { noteSummaries, scheduleView, type InstallmentStatus, type NoteSummary, type ScheduleRow } from './views.js';
export { installmentHistory, nextDueDate, type HistoryEntry } from './history.js';
export {
  DAYS_PER_YEAR,
  cashByMonth,
  formatYuan,
  principalDays,
  realisedYield,
  shownDelinquency,
  type MonthCash,
  type NoteReceipt,
  type StatementNote,
  type YieldFigures,
} from './statements.js';
export { disclosureSeries, lateOn, type DisclosureLoan, type GradeStats, type MonthStats, type PrincipalRepaid } from './disclosure.js';
