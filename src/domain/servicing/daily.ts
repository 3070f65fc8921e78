/**
 * The daily servicing step, docs/market-rules.md §6 ("Repayment, lateness, default"): days past due, lateness after
 * the grace days, penalty interest on the overdue amount, delinquency buckets, and default with
 * acceleration. Closing a day is idempotent (a day already closed is skipped) and catches up missed days
 * one by one, so the result never depends on when the job ran. Reminders of coming due dates too.
 */
import { assert } from '../assert.js';
import { addDays, compareIsoDate, daysBetween, isIsoDate, type IsoDate } from '../dates.js';
import { decFromInt, toMinorHalfEven } from '../decimal.js';
import { allocateLargestRemainder } from '../money.js';
import { accelerateNote } from './accrual.js';
import {
  assertLoanInvariants,
  cloneState,
  currentIndex,
  dueDateAt,
  installmentCount,
  loanUnpaidAt,
  unpaidPrincipalAndInterest,
  unpaidTotal,
  type Bucket,
  type LoanState,
  type ServicingSettings,
} from './state.js';

/** A limit on one catch-up: about 30 years of days. */
export const MAX_CATCH_UP_DAYS = 11_000;

export type ServicingEvent =
  | { type: 'installment_late'; on: IsoDate; n: number }
  | { type: 'bucket_changed'; on: IsoDate; from: Bucket; to: Bucket }
  | { type: 'defaulted'; on: IsoDate; daysPastDue: number; acceleratedPrincipalMinor: number };

export interface AccrueResult {
  state: LoanState;
  events: ServicingEvent[];
  /** Penalty accrued by the days closed in this call. */
  penaltyAccruedMinor: number;
}

/**
 * Days past due on `date`: counted from the due date of the oldest installment that is due before `date`
 * and still has anything unpaid (principal, interest or penalty); 0 when there is none.
 */
export function daysPastDue(state: LoanState, date: IsoDate): number {
  const count = installmentCount(state);
  for (let i = 0; i < count; i++) {
    const due = dueDateAt(state, i);
    if (compareIsoDate(due, date) >= 0) return 0;
    if (loanUnpaidAt(state, i, unpaidTotal) > 0) return daysBetween(due, date);
  }
  return 0;
}

/** Buckets of docs/market-rules.md §6; 'dpd_91_plus' only exists when defaultAfterDays is raised above 90. */
export function bucketFor(dpd: number, settings: ServicingSettings): Bucket {
  if (dpd > settings.defaultAfterDays) return 'default';
  if (dpd === 0) return 'current';
  if (dpd <= 30) return 'dpd_1_30';
  if (dpd <= 60) return 'dpd_31_60';
  if (dpd <= 90) return 'dpd_61_90';
  return 'dpd_91_plus';
}

/** An installment is late on `date` when it is unpaid more than graceDays after its due date. */
export function isLate(dueDate: IsoDate, date: IsoDate, settings: ServicingSettings): boolean {
  return daysBetween(dueDate, date) > settings.graceDays;
}

function assertSettings(settings: ServicingSettings): void {
  const { graceDays, penaltyBpsPerDay, defaultAfterDays } = settings;
  for (const v of [graceDays, penaltyBpsPerDay, defaultAfterDays]) assert(Number.isSafeInteger(v) && v >= 0, 'servicing settings are integers >= 0');
  assert(penaltyBpsPerDay <= 10_000 && defaultAfterDays >= 1, 'servicing settings out of range');
}

/**
 * Closes every day after servicedThrough up to `date` (nothing when `date` is already closed). Each day
 * closes after that day's payments: penalties for the day accrue on what is still overdue at its end.
 */
export function accrueDay(state: LoanState, date: IsoDate, settings: ServicingSettings): AccrueResult {
  assert(isIsoDate(date), `accrueDay: not an ISO date: ${date}`);
  assertSettings(settings);
  if (compareIsoDate(date, state.servicedThrough) <= 0) return { state, events: [], penaltyAccruedMinor: 0 };
  assert(daysBetween(state.servicedThrough, date) <= MAX_CATCH_UP_DAYS, 'accrueDay: catch-up too long');
  const next = cloneState(state);
  const events: ServicingEvent[] = [];
  let penaltyAccruedMinor = 0;
  for (let day = addDays(state.servicedThrough, 1); compareIsoDate(day, date) <= 0; day = addDays(day, 1)) {
    penaltyAccruedMinor += closeDay(next, day, settings, events);
  }
  assertLoanInvariants(next);
  return { state: next, events, penaltyAccruedMinor };
}

/** One day: penalties (while active), then days past due, bucket and default. Returns the penalty. */
function closeDay(state: LoanState, day: IsoDate, settings: ServicingSettings, events: ServicingEvent[]): number {
  const penaltyMinor = state.status === 'active' ? accruePenalties(state, day, settings, events) : 0;
  const dpd = state.status === 'repaid' ? 0 : daysPastDue(state, day);
  if (state.status === 'active' && dpd > settings.defaultAfterDays) defaultLoan(state, day, dpd, events);
  const bucket = state.status === 'defaulted' ? 'default' : bucketFor(dpd, settings);
  if (bucket !== state.bucket) events.push({ type: 'bucket_changed', on: day, from: state.bucket, to: bucket });
  state.bucket = bucket;
  state.daysPastDue = dpd;
  state.servicedThrough = day;
  return penaltyMinor;
}

/**
 * Penalty interest for `day` on each late installment: penaltyBpsPerDay × its overdue principal + interest,
 * rounded once for the installment and split over the notes by their overdue amounts (largest remainder).
 * It starts on the first day after the grace days (due date + graceDays + 1); grace days are not charged
 * retroactively.
 */
function accruePenalties(state: LoanState, day: IsoDate, settings: ServicingSettings, events: ServicingEvent[]): number {
  let totalMinor = 0;
  const count = installmentCount(state);
  for (let i = 0; i < count; i++) {
    const due = dueDateAt(state, i);
    if (!isLate(due, day, settings)) break; // due dates are ordered: later ones are not late either
    const weights = state.notes.map((note) => unpaidPrincipalAndInterest(note.installments[i]!));
    const overdueMinor = weights.reduce((a, b) => a + b, 0);
    if (overdueMinor === 0) continue;
    if (daysBetween(due, day) === settings.graceDays + 1) events.push({ type: 'installment_late', on: day, n: i + 1 });
    const penaltyMinor = toMinorHalfEven(decFromInt(overdueMinor).mul(decFromInt(settings.penaltyBpsPerDay)).div(decFromInt(10_000)));
    if (penaltyMinor === 0) continue;
    allocateLargestRemainder(penaltyMinor, weights).forEach((share, j) => {
      state.notes[j]!.installments[i]!.penaltyMinor += share;
    });
    totalMinor += penaltyMinor;
  }
  return totalMinor;
}

/**
 * Default (docs/market-rules.md §6): over defaultAfterDays past due. Acceleration makes the whole outstanding
 * principal (and interest earned to `day` in the current period) due on `day`; notes still owed anything
 * are marked defaulted. From then on nothing more accrues: the claim is fixed, and payments (recoveries)
 * are allocated like any payment.
 */
function defaultLoan(state: LoanState, day: IsoDate, dpd: number, events: ServicingEvent[]): void {
  const ci = currentIndex(state, day);
  let acceleratedPrincipalMinor = 0;
  for (const note of state.notes) {
    if (ci >= 0) acceleratedPrincipalMinor += accelerateNote(note, ci, day);
    if (note.status === 'active') note.status = 'defaulted';
  }
  state.status = 'defaulted';
  state.defaultedOn = day;
  events.push({ type: 'defaulted', on: day, daysPastDue: dpd, acceleratedPrincipalMinor });
}

export interface Delinquency {
  daysPastDue: number;
  bucket: Bucket;
  /** Loan-level installments that are late on the date (unpaid past the grace days). */
  lateInstallments: number[];
}

/** Delinquency on `date` as the state stands (no accrual). */
export function delinquency(state: LoanState, date: IsoDate, settings: ServicingSettings): Delinquency {
  const dpd = state.status === 'repaid' ? 0 : daysPastDue(state, date);
  const lateInstallments: number[] = [];
  for (let i = 0; i < installmentCount(state); i++) {
    if (isLate(dueDateAt(state, i), date, settings) && loanUnpaidAt(state, i, unpaidTotal) > 0) lateInstallments.push(i + 1);
  }
  return { daysPastDue: dpd, bucket: state.status === 'defaulted' ? 'default' : bucketFor(dpd, settings), lateInstallments };
}

export interface DueReminder {
  n: number;
  dueDate: IsoDate;
  /** 0 = due today. */
  daysUntilDue: number;
  /** Unpaid principal + interest + penalty of the installment. */
  amountMinor: number;
}

/** Installments of an active loan due `leadDays` days after `date` (default: in 3 days and today). */
export function dueReminders(state: LoanState, date: IsoDate, leadDays: readonly number[] = [3, 0]): DueReminder[] {
  assert(isIsoDate(date), 'dueReminders: not an ISO date');
  if (state.status !== 'active') return [];
  const reminders: DueReminder[] = [];
  for (let i = 0; i < installmentCount(state); i++) {
    const dueDate = dueDateAt(state, i);
    const daysUntilDue = daysBetween(date, dueDate);
    const amountMinor = loanUnpaidAt(state, i, unpaidTotal);
    if (leadDays.includes(daysUntilDue) && amountMinor > 0) reminders.push({ n: i + 1, dueDate, daysUntilDue, amountMinor });
  }
  return reminders;
}
