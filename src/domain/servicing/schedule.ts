/**
 * Repayment schedules, docs/market-rules.md §5. Monthly periods due on the disbursement's day of month (clamped to
 * month end); period rate r = rateBps / 10000 / 12 in decimal.js; every amount is rounded half-even to
 * minor units exactly once (toMinorHalfEven). A note has its own schedule; a loan's schedule is the sum of
 * its notes', period by period (docs/market-rules.md §5, last paragraph), so loan totals add up by construction.
 *
 * One more kind has no months: the bullet of a claim-backed loan (docs/supply-chain.md), one period from
 * disbursement to its maturity date, principal and interest due together, interest accruing daily on
 * actual/365.
 */
import { assert, assertNever, assertNonNegativeMinor, assertPositiveMinor } from '../assert.js';
import { addMonthsClamped, daysBetween, isIsoDate, parseIsoDate, type IsoDate } from '../dates.js';
import { decFromInt, divHalfEven, monthlyRate, toMinorHalfEven, type Dec } from '../decimal.js';

/** The monthly schedules a borrower chooses from (docs/market-rules.md §1). */
export const REPAYMENT_KINDS = ['equal_installment', 'equal_principal', 'interest_only'] as const;
export type MonthlyKind = (typeof REPAYMENT_KINDS)[number];
/** One period to a maturity date, principal and interest at its end; interest daily on actual/365. */
export const BULLET = 'bullet' as const;
export type RepaymentKind = MonthlyKind | typeof BULLET;

/** Limits (a limit on everything): far above the listing rules of docs/market-rules.md §1, far below overflow. */
export const MAX_TERM_MONTHS = 600;
export const MAX_RATE_BPS = 100_000;
export const MAX_PRINCIPAL_MINOR = 1_000_000_000_000_000;
/** The longest bullet period: ten years of days. */
export const MAX_BULLET_DAYS = 3660;

/** bps per year → per month: r = bps / 10000 / 12, so O·r = O·bps / 120000. */
const BPS_MONTH_DIVISOR = 120_000;
/** bps per year → per day on actual/365: O·bps·days / 3650000. */
const BPS_DAY_DIVISOR = 3_650_000;

export interface PeriodAmounts {
  principalMinor: number;
  interestMinor: number;
}

export interface SchedulePeriod extends PeriodAmounts {
  /** 1-based period number. */
  n: number;
  dueDate: IsoDate;
}

export interface NoteScheduleInput {
  principalMinor: number;
  rateBps: number;
  /** Months of a monthly schedule; null for a bullet, which has `maturesOn` instead. */
  termMonths: number | null;
  repayment: RepaymentKind;
  disbursedOn: IsoDate;
  /** The bullet's maturity date (after the disbursement); absent for monthly schedules. */
  maturesOn?: IsoDate | null | undefined;
}

export function isRepaymentKind(value: string): value is RepaymentKind {
  return value === BULLET || (REPAYMENT_KINDS as readonly string[]).includes(value);
}

/** How many periods a schedule has: its months, or the bullet's one. */
export function periodCount(terms: { repayment: RepaymentKind; termMonths: number | null }): number {
  if (terms.repayment === BULLET) return 1;
  assert(terms.termMonths !== null, 'a monthly schedule has a term');
  return terms.termMonths;
}

/** Checks a bullet's maturity: a real date, 1..MAX_BULLET_DAYS days after the disbursement. */
export function assertMaturity(disbursedOn: IsoDate, maturesOn: IsoDate | null | undefined): asserts maturesOn is IsoDate {
  assert(typeof maturesOn === 'string' && isIsoDate(maturesOn), `a bullet needs its maturity date, got ${String(maturesOn)}`);
  const days = daysBetween(disbursedOn, maturesOn);
  assert(days >= 1 && days <= MAX_BULLET_DAYS, `a bullet matures 1..${MAX_BULLET_DAYS} days after disbursement, not ${days}`);
}

export function assertRate(rateBps: number): void {
  assert(Number.isSafeInteger(rateBps) && rateBps >= 0 && rateBps <= MAX_RATE_BPS, `rateBps out of range: ${String(rateBps)}`);
}

export function assertTerm(termMonths: number): void {
  assert(
    Number.isSafeInteger(termMonths) && termMonths >= 1 && termMonths <= MAX_TERM_MONTHS,
    `termMonths out of range: ${String(termMonths)}`,
  );
}

/**
 * Interest on `outstandingMinor` for `days` of a period of `periodDays` days (a whole period by default):
 * O·bps·days / (120000·periodDays). It is one exact product divided once, so a true half-minor tie stays a
 * tie and is rounded half-even (multiplying by a 40-digit r = bps/120000 could turn 1.5 into 1.4999…).
 */
export function periodInterestMinor(outstandingMinor: number, rateBps: number, days = 1, periodDays = 1): number {
  assertNonNegativeMinor(outstandingMinor, 'outstandingMinor');
  assertRate(rateBps);
  assert(Number.isSafeInteger(days) && days >= 0 && Number.isSafeInteger(periodDays) && periodDays >= 1, 'bad day counts');
  assert(days <= periodDays, `interest for ${days} days of a ${periodDays}-day period`);
  // The exact product in integers when it fits (it does for any real loan), else in Decimal: same result.
  const product = outstandingMinor * rateBps * days;
  if (Number.isSafeInteger(product)) return divHalfEven(product, BPS_MONTH_DIVISOR * periodDays);
  const exact = decFromInt(outstandingMinor).mul(decFromInt(rateBps)).mul(decFromInt(days));
  return toMinorHalfEven(exact.div(decFromInt(BPS_MONTH_DIVISOR * periodDays)));
}

/**
 * Interest on `outstandingMinor` for `days` days on actual/365: O·bps·days / 3650000, one exact product
 * divided once and rounded half-even (the bullet's interest, and its accrual to any day of its period).
 */
export function actual365InterestMinor(outstandingMinor: number, rateBps: number, days: number): number {
  assertNonNegativeMinor(outstandingMinor, 'outstandingMinor');
  assertRate(rateBps);
  assert(Number.isSafeInteger(days) && days >= 0 && days <= MAX_BULLET_DAYS, 'bad day count');
  const product = outstandingMinor * rateBps * days;
  if (Number.isSafeInteger(product)) return divHalfEven(product, BPS_DAY_DIVISOR);
  const exact = decFromInt(outstandingMinor).mul(decFromInt(rateBps)).mul(decFromInt(days));
  return toMinorHalfEven(exact.div(decFromInt(BPS_DAY_DIVISOR)));
}

/** Due date of each period: the disbursement's day of month, clamped to the month's last day. */
export function dueDates(disbursedOn: IsoDate, termMonths: number): IsoDate[] {
  assert(isIsoDate(disbursedOn), `disbursedOn is not an ISO date: ${disbursedOn}`);
  assertTerm(termMonths);
  const anchorDay = parseIsoDate(disbursedOn).day;
  return Array.from({ length: termMonths }, (_, i) => addMonthsClamped(disbursedOn, i + 1, anchorDay));
}

/**
 * dueDates of the loan the last schedule was made for: every note of a loan has the same dates, and a
 * clearing makes one schedule per note. The array is only read (noteSchedule copies the dates out).
 */
let lastDueDates: { disbursedOn: IsoDate; termMonths: number; dates: readonly IsoDate[] } | undefined;
function loanDueDates(disbursedOn: IsoDate, termMonths: number): readonly IsoDate[] {
  if (lastDueDates?.disbursedOn !== disbursedOn || lastDueDates.termMonths !== termMonths) lastDueDates = { disbursedOn, termMonths, dates: dueDates(disbursedOn, termMonths) };
  return lastDueDates.dates;
}

/** P split into `periods` equal integer parts; the remainder minor units go to the earliest periods. */
export function spreadEvenly(totalMinor: number, periods: number): number[] {
  assertNonNegativeMinor(totalMinor, 'totalMinor');
  const extra = totalMinor % periods;
  const base = (totalMinor - extra) / periods; // exact: no float division of large integers
  return Array.from({ length: periods }, (_, i) => base + (i < extra ? 1 : 0));
}

/** Interest each period on the outstanding principal, given the principal repaid each period. */
function withInterest(principalMinor: number, rateBps: number, principals: readonly number[]): PeriodAmounts[] {
  let outstandingMinor = principalMinor;
  return principals.map((p) => {
    const interestMinor = periodInterestMinor(outstandingMinor, rateBps);
    outstandingMinor -= p;
    return { principalMinor: p, interestMinor };
  });
}

/** The annuity payment P·r / (1 − (1+r)^−n), rounded once. */
export function annuityPaymentMinor(principalMinor: number, rateBps: number, periods: number): number {
  assert(rateBps > 0, 'annuity needs a positive rate');
  const { r, denominator } = annuityTerms(rateBps, periods);
  return toMinorHalfEven(decFromInt(principalMinor).mul(r).div(denominator));
}

/**
 * r and 1 − (1+r)^−n of a rate and term: the same Decimals whether computed now or remembered, and a
 * loan's notes share a few rates (a pay-as-bid loan of 10,000 notes computed the power 10,000 times).
 */
const annuityTermsCache = new Map<string, { r: Dec; denominator: Dec }>();
function annuityTerms(rateBps: number, periods: number): { r: Dec; denominator: Dec } {
  const key = `${rateBps}:${periods}`;
  let terms = annuityTermsCache.get(key);
  if (!terms) {
    const r = monthlyRate(rateBps);
    const one = decFromInt(1);
    terms = { r, denominator: one.minus(one.plus(r).pow(-periods)) };
    if (annuityTermsCache.size >= 20_000) annuityTermsCache.clear(); // bounded: rates × terms in use
    annuityTermsCache.set(key, terms);
  }
  return terms;
}

/**
 * equal_installment: principal = payment − interest, the last period takes what remains exactly. Principal
 * is clamped to [0, outstanding]: it never binds on a fresh schedule within the listing rules (the tests
 * check that payments stay equal), only on the tiny balances a recomputation after prepayment can leave.
 */
function annuity(principalMinor: number, rateBps: number, periods: number): PeriodAmounts[] {
  const paymentMinor = annuityPaymentMinor(principalMinor, rateBps, periods);
  let outstandingMinor = principalMinor;
  const rows: PeriodAmounts[] = [];
  for (let k = 1; k <= periods; k++) {
    const interestMinor = periodInterestMinor(outstandingMinor, rateBps);
    const principalMinorK = k === periods ? outstandingMinor : Math.min(Math.max(paymentMinor - interestMinor, 0), outstandingMinor);
    outstandingMinor -= principalMinorK;
    rows.push({ principalMinor: principalMinorK, interestMinor });
  }
  return rows;
}

/** The principal and interest of each of `periods` periods for `principalMinor` outstanding now. */
export function amortise(principalMinor: number, rateBps: number, periods: number, kind: MonthlyKind): PeriodAmounts[] {
  assertNonNegativeMinor(principalMinor, 'principalMinor');
  assert(principalMinor <= MAX_PRINCIPAL_MINOR, 'principal above the limit');
  assertRate(rateBps);
  assertTerm(periods);
  switch (kind) {
    case 'equal_installment':
      // r = 0: the annuity formula divides by zero; its limit is P/n, remainder in the earliest periods.
      if (rateBps === 0 || principalMinor === 0) return withInterest(principalMinor, rateBps, spreadEvenly(principalMinor, periods));
      return annuity(principalMinor, rateBps, periods);
    case 'equal_principal':
      return withInterest(principalMinor, rateBps, spreadEvenly(principalMinor, periods));
    case 'interest_only':
      return withInterest(principalMinor, rateBps, Array.from({ length: periods }, (_, i) => (i === periods - 1 ? principalMinor : 0)));
    default:
      return assertNever(kind, 'repayment kind');
  }
}

/**
 * Within one loan (which fixes the term, the repayment kind and the dates), notes with the same key have
 * the same schedule: a large loan repeats few of them (round bid amounts; one rate under uniform pricing).
 */
export function scheduleKey(note: { principalMinor: number; rateBps: number }): string {
  return `${note.principalMinor}:${note.rateBps}`;
}

/** One note's schedule (docs/market-rules.md §5; a bullet: one period to its maturity). */
export function noteSchedule(input: NoteScheduleInput): SchedulePeriod[] {
  assertPositiveMinor(input.principalMinor, 'principalMinor');
  if (input.repayment === BULLET) {
    assert(isIsoDate(input.disbursedOn), `disbursedOn is not an ISO date: ${input.disbursedOn}`);
    assertMaturity(input.disbursedOn, input.maturesOn);
    const days = daysBetween(input.disbursedOn, input.maturesOn);
    return [{ n: 1, dueDate: input.maturesOn, principalMinor: input.principalMinor, interestMinor: actual365InterestMinor(input.principalMinor, input.rateBps, days) }];
  }
  assert(input.termMonths !== null, 'a monthly schedule has a term');
  const dates = loanDueDates(input.disbursedOn, input.termMonths);
  return amortise(input.principalMinor, input.rateBps, input.termMonths, input.repayment).map((row, i) => ({
    n: i + 1,
    dueDate: dates[i]!,
    principalMinor: row.principalMinor,
    interestMinor: row.interestMinor,
  }));
}

/**
 * The borrower's preview at the listing's max rate: the loan is then one note at that rate, so the preview
 * is exactly that note's schedule (the cleared loan can only cost less).
 */
export function previewSchedule(input: NoteScheduleInput): SchedulePeriod[] {
  return noteSchedule(input);
}

/** The loan's schedule: the sum of its notes' schedules, period by period. */
export function loanSchedule(noteSchedules: readonly (readonly SchedulePeriod[])[]): SchedulePeriod[] {
  const first = noteSchedules[0];
  assert(first !== undefined, 'loanSchedule: a loan has at least one note');
  for (const s of noteSchedules) {
    assert(s.length === first.length, 'loanSchedule: notes of one loan share the term');
    s.forEach((p, i) => assert(p.dueDate === first[i]!.dueDate && p.n === i + 1, 'loanSchedule: notes share the due dates'));
  }
  return first.map((p, i) => ({
    n: p.n,
    dueDate: p.dueDate,
    principalMinor: sumAt(noteSchedules, i, 'principalMinor'),
    interestMinor: sumAt(noteSchedules, i, 'interestMinor'),
  }));
}

function sumAt(schedules: readonly (readonly SchedulePeriod[])[], i: number, key: keyof PeriodAmounts): number {
  let total = 0;
  for (const s of schedules) total += s[i]![key];
  assert(Number.isSafeInteger(total), 'loanSchedule: total out of range');
  return total;
}

export interface ScheduleTotals {
  principalMinor: number;
  interestMinor: number;
  totalMinor: number;
}

export function scheduleTotals(periods: readonly PeriodAmounts[]): ScheduleTotals {
  let principalMinor = 0;
  let interestMinor = 0;
  for (const p of periods) {
    principalMinor += p.principalMinor;
    interestMinor += p.interestMinor;
  }
  return { principalMinor, interestMinor, totalMinor: principalMinor + interestMinor };
}
