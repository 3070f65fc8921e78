/**
 * Servicing state of a loan, docs/market-rules.md §5–6: the loan is its notes, each with its own installments
 * (what is due and what is paid, per part: penalty, interest, principal). Loan-level figures are always
 * sums over the notes, never stored twice. The state is plain data (JSON-safe) and fully re-derivable by
 * replay (replay.ts) from the terms, the payments and the last serviced date.
 */
import { assert, assertNonNegativeMinor, isNonNegativeMinor } from '../assert.js';
import { addDays, compareIsoDate, isIsoDate, type IsoDate } from '../dates.js';
import { BULLET, assertMaturity, assertRate, assertTerm, noteSchedule, periodCount, scheduleKey, type RepaymentKind, type SchedulePeriod } from './schedule.js';

/** A limit on the notes of one loan (one note per winning bid). */
export const MAX_NOTES_PER_LOAN = 10_000;

export interface NoteTerms {
  noteId: string;
  principalMinor: number;
  rateBps: number;
}

export interface LoanTerms {
  disbursedOn: IsoDate;
  /** Months of a monthly schedule; null for a bullet. */
  termMonths: number | null;
  repayment: RepaymentKind;
  /** A bullet's maturity date. */
  maturesOn?: IsoDate | null | undefined;
  notes: readonly NoteTerms[];
}

export interface Installment {
  n: number;
  /** Start of the period: the previous due date, or the disbursement for the first. */
  fromDate: IsoDate;
  /** Scheduled due date; moved earlier only by acceleration on default. */
  dueDate: IsoDate;
  /** Principal of this installment, including principal prepaid early while it was the current one. */
  principalDueMinor: number;
  interestDueMinor: number;
  /** Late fees (penalty interest) accrued on this installment while it was late. */
  penaltyMinor: number;
  principalPaidMinor: number;
  interestPaidMinor: number;
  penaltyPaidMinor: number;
  /** Interest earned from fromDate up to accrualFrom, fixed when principal changed inside the period. */
  interestLockedMinor: number;
  /** Interest after this date accrues on the note's outstanding principal; fromDate until a prepayment. */
  accrualFrom: IsoDate;
  /**
   * How interest accrues inside the period. Absent: a share of the period's interest by days elapsed
   * (monthly schedules). 'actual_365': outstanding × rate × days / 365 (a bullet's one period).
   */
  accrual?: 'actual_365';
  /**
   * Prepayment fees received while this was the current installment (principal repaid ahead of schedule,
   * docs/market-rules.md §6). Absent in states stored before the fee existed: read as 0.
   */
  prepaymentFeePaidMinor?: number;
}

/** `sold`: all the principal the note still had was sold to other lenders (docs/transfers.md); it owes its holder nothing more. */
export type NoteStatus = 'active' | 'repaid' | 'defaulted' | 'sold';
export type LoanStatus = 'active' | 'repaid' | 'defaulted';

export const BUCKETS = ['current', 'dpd_1_30', 'dpd_31_60', 'dpd_61_90', 'dpd_91_plus', 'default'] as const;
export type Bucket = (typeof BUCKETS)[number];

export interface NoteState {
  noteId: string;
  principalMinor: number;
  rateBps: number;
  status: NoteStatus;
  installments: Installment[];
  /**
   * Set when a transfer took all the principal the note had left (docs/transfers.md): once it owes nothing
   * more (an installment due on the trade day may still be paid to it) it is `sold`, not `repaid`.
   */
  soldOut?: boolean;
}

export interface LoanState {
  disbursedOn: IsoDate;
  /** Months of a monthly schedule; null for a bullet (one period, to its maturity). */
  termMonths: number | null;
  repayment: RepaymentKind;
  status: LoanStatus;
  notes: NoteState[];
  /** Last day closed by the daily step; the day before disbursement until the first close. */
  servicedThrough: IsoDate;
  /** Days past due and bucket as of the close of servicedThrough. */
  daysPastDue: number;
  bucket: Bucket;
  defaultedOn: IsoDate | null;
}

export type Part = 'penalty' | 'interest' | 'principal';
/** Inside one installment a payment goes to late fees, then interest, then principal (docs/market-rules.md §6). */
export const PART_ORDER: readonly Part[] = ['penalty', 'interest', 'principal'];

/** Settings the servicing core reads (docs/market-rules.md §8: GRACE_DAYS, PENALTY_BPS_PER_DAY, DEFAULT_AFTER_DAYS, PREPAYMENT_FEE_BPS). */
export interface ServicingSettings {
  graceDays: number;
  penaltyBpsPerDay: number;
  defaultAfterDays: number;
  /** Fee on principal repaid ahead of schedule, bps of it; absent: none. */
  prepaymentFeeBps?: number;
}

/** The prepayment fee on `principalMinor` repaid ahead of schedule: `feeBps` of it, half-even to the fen. */
export function prepaymentFeeMinor(principalMinor: number, feeBps: number): number {
  assertNonNegativeMinor(principalMinor, 'principalMinor');
  assert(Number.isSafeInteger(feeBps) && feeBps >= 0 && feeBps <= 10_000, 'fee bps within 0..10000');
  const scaled = BigInt(principalMinor) * BigInt(feeBps);
  const q = scaled / 10_000n;
  const r = scaled % 10_000n;
  const up = r * 2n > 10_000n || (r * 2n === 10_000n && q % 2n === 1n);
  return Number(up ? q + 1n : q);
}

/** Received prepayment fees of an installment (0 for states stored before the fee existed). */
export function feePaid(inst: Installment): number {
  return inst.prepaymentFeePaidMinor ?? 0;
}

/**
 * A fresh loan whose notes share their schedules: one note per distinct schedule key (scheduleKey), in
 * first-seen order, standing for every note with that key (they have the same installments: the key and
 * the loan's terms fix them). The loan's invariants are checked on these notes; the checks that concern
 * every note (their count, unique ids, rates) on all of them. A clearing writes its 10,000 notes from
 * these few lists instead of building and checking 10,000 copies.
 */
export interface SharedOpening {
  state: LoanState;
  /** Index in state.notes of each schedule key. */
  indexOfKey: Map<string, number>;
}

export function openLoanShared(terms: LoanTerms): SharedOpening {
  assert(isIsoDate(terms.disbursedOn), 'disbursedOn is not an ISO date');
  if (terms.repayment === BULLET) {
    assert(terms.termMonths === null, 'a bullet has no months');
    assertMaturity(terms.disbursedOn, terms.maturesOn);
  } else {
    assert(terms.termMonths !== null, 'a monthly schedule has a term');
    assertTerm(terms.termMonths);
  }
  assert(terms.notes.length >= 1 && terms.notes.length <= MAX_NOTES_PER_LOAN, 'a loan has 1..MAX_NOTES_PER_LOAN notes');
  assert(new Set(terms.notes.map((n) => n.noteId)).size === terms.notes.length, 'note ids are unique');
  const indexOfKey = new Map<string, number>();
  const notes: NoteState[] = [];
  for (const t of terms.notes) {
    assertRate(t.rateBps);
    const key = scheduleKey(t);
    if (indexOfKey.has(key)) continue;
    indexOfKey.set(key, notes.length);
    notes.push(openNote(terms, t));
  }
  const state: LoanState = {
    disbursedOn: terms.disbursedOn,
    termMonths: terms.termMonths,
    repayment: terms.repayment,
    status: 'active',
    notes,
    servicedThrough: addDays(terms.disbursedOn, -1),
    daysPastDue: 0,
    bucket: 'current',
    defaultedOn: null,
  };
  assertLoanInvariants(state);
  return { state, indexOfKey };
}

/** A fresh loan at disbursement: one schedule per note, nothing paid, nothing serviced yet. */
export function openLoan(terms: LoanTerms): LoanState {
  const { state, indexOfKey } = openLoanShared(terms);
  const notes = terms.notes.map((t): NoteState => {
    const shared = state.notes[indexOfKey.get(scheduleKey(t))!]!;
    return { ...shared, noteId: t.noteId, installments: shared.installments.map((i) => ({ ...i })) };
  });
  const full: LoanState = { ...state, notes };
  assertLoanInvariants(full);
  return full;
}

/** One note's opening state: its schedule, nothing paid. */
function openNote(terms: LoanTerms, t: LoanTerms['notes'][number]): NoteState {
  const schedule: SchedulePeriod[] = noteSchedule({ ...t, termMonths: terms.termMonths, repayment: terms.repayment, disbursedOn: terms.disbursedOn, maturesOn: terms.maturesOn ?? null });
  return {
    noteId: t.noteId,
    principalMinor: t.principalMinor,
    rateBps: t.rateBps,
    status: 'active',
    installments: schedule.map((p, i) => {
      const fromDate = i === 0 ? terms.disbursedOn : schedule[i - 1]!.dueDate;
      return {
        n: p.n,
        fromDate,
        dueDate: p.dueDate,
        principalDueMinor: p.principalMinor,
        interestDueMinor: p.interestMinor,
        penaltyMinor: 0,
        principalPaidMinor: 0,
        interestPaidMinor: 0,
        penaltyPaidMinor: 0,
        interestLockedMinor: 0,
        accrualFrom: fromDate,
        ...(terms.repayment === BULLET ? { accrual: 'actual_365' as const } : {}),
      };
    }),
  };
}

export function cloneState(state: LoanState): LoanState {
  return {
    ...state,
    notes: state.notes.map(cloneNote),
  };
}

export function cloneNote(note: NoteState): NoteState {
  return { ...note, installments: note.installments.map((i) => ({ ...i })) };
}

// ---- per-installment amounts ----

export function unpaidPart(inst: Installment, part: Part): number {
  switch (part) {
    case 'penalty':
      return inst.penaltyMinor - inst.penaltyPaidMinor;
    case 'interest':
      return inst.interestDueMinor - inst.interestPaidMinor;
    case 'principal':
      return inst.principalDueMinor - inst.principalPaidMinor;
  }
}

export function addPaid(inst: Installment, part: Part, amountMinor: number): void {
  if (part === 'penalty') inst.penaltyPaidMinor += amountMinor;
  else if (part === 'interest') inst.interestPaidMinor += amountMinor;
  else inst.principalPaidMinor += amountMinor;
}

/** Overdue amount that earns penalty: unpaid principal + interest (penalty does not compound). */
export function unpaidPrincipalAndInterest(inst: Installment): number {
  return unpaidPart(inst, 'principal') + unpaidPart(inst, 'interest');
}

export function unpaidTotal(inst: Installment): number {
  return unpaidPart(inst, 'penalty') + unpaidPrincipalAndInterest(inst);
}

/** Principal of the note not yet paid in installments `fromIndex` and later. */
export function outstandingPrincipalFrom(note: NoteState, fromIndex: number): number {
  let total = 0;
  for (let i = fromIndex; i < note.installments.length; i++) total += unpaidPart(note.installments[i]!, 'principal');
  return total;
}

export function noteOwesNothing(note: NoteState): boolean {
  return note.installments.every((i) => unpaidTotal(i) === 0);
}

// ---- loan-level views (notes share n and due dates) ----

export function installmentCount(state: LoanState): number {
  return state.notes[0]!.installments.length;
}

export function dueDateAt(state: LoanState, index: number): IsoDate {
  return state.notes[0]!.installments[index]!.dueDate;
}

/** Index of the current period on `date`: the first installment not yet due (due after `date`); -1 if none. */
export function currentIndex(state: LoanState, date: IsoDate): number {
  const count = installmentCount(state);
  for (let i = 0; i < count; i++) if (compareIsoDate(dueDateAt(state, i), date) > 0) return i;
  return -1;
}

export function loanUnpaidAt(state: LoanState, index: number, f: (inst: Installment) => number): number {
  let total = 0;
  for (const note of state.notes) total += f(note.installments[index]!);
  return total;
}

/** A note that is done: repaid, or sold whole to other lenders. */
export function noteClosed(note: NoteState): boolean {
  return note.status === 'repaid' || note.status === 'sold';
}

/** Marks notes (and the loan) repaid once nothing is owed (sold, for a note sold whole); defaulted stays until then. */
export function refreshStatuses(state: LoanState): void {
  for (const note of state.notes) if (!noteClosed(note) && noteOwesNothing(note)) note.status = note.soldOut ? 'sold' : 'repaid';
  if (state.notes.every(noteClosed)) state.status = 'repaid';
}

/**
 * Invariants checked after every operation (exchange-core style): amounts are safe non-negative
 * integers, nothing is paid beyond what is due on any part, each note's installments carry exactly its
 * principal, and all notes share the loan's periods.
 */
export function assertLoanInvariants(state: LoanState): void {
  const count = state.notes[0]?.installments.length;
  assert(count === periodCount(state), 'each note has one installment per period of the term');
  for (const note of state.notes) {
    assert(note.installments.length === count, 'notes share the term');
    let principalTotal = 0;
    note.installments.forEach((inst, i) => {
      assert(inst.n === i + 1, 'installments are numbered 1..n');
      assert(inst.dueDate === dueDateAt(state, i), 'notes share the due dates');
      assert(i === 0 || compareIsoDate(inst.dueDate, note.installments[i - 1]!.dueDate) >= 0, 'due dates never go back');
      // The label is formatted only for a failing value (see assert.ts): this runs per note and installment.
      for (const part of PART_ORDER) {
        const unpaid = unpaidPart(inst, part);
        if (!isNonNegativeMinor(unpaid)) assertNonNegativeMinor(unpaid, `unpaid ${part} of ${note.noteId}#${inst.n}`);
      }
      for (const v of [inst.principalPaidMinor, inst.interestPaidMinor, inst.penaltyPaidMinor, inst.interestLockedMinor, feePaid(inst)]) {
        if (!isNonNegativeMinor(v)) assertNonNegativeMinor(v, `paid amounts of ${note.noteId}#${inst.n}`);
      }
      principalTotal += inst.principalDueMinor;
    });
    if (principalTotal !== note.principalMinor) assert(false, `installments of ${note.noteId} carry exactly its principal`);
    if (noteClosed(note) && !noteOwesNothing(note)) assert(false, `${note.status} note ${note.noteId} owes nothing`);
    if (note.status === 'sold' && note.soldOut !== true) assert(false, `sold note ${note.noteId} was sold whole`);
  }
  if (state.status === 'defaulted') assert(state.defaultedOn !== null, 'a defaulted loan has its default date');
  if (state.status === 'active') assert(state.defaultedOn === null, 'an active loan has not defaulted');
}
