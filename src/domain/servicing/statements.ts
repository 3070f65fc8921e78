/**
 * Lender statements: realised yield and cash received against the schedule, month
 * by month. Pure: the shell reads the notes and their receipts and passes today's date in. Definitions are
 * in docs/servicing.md "Statements".
 */
import { assert, assertNonNegativeMinor } from '../assert.js';
import { compareIsoDate, daysBetween, monthKey, addMonthsToKey, type IsoDate } from '../dates.js';
import { decFromInt, toMinorHalfEven } from '../decimal.js';
import { noteSchedule, type RepaymentKind } from './schedule.js';

/** What a note has received in one payment. */
export interface NoteReceipt {
  paidOn: IsoDate;
  principalMinor: number;
  interestMinor: number;
  penaltyMinor: number;
}

/** Principal sold out of a note in one trade, with the buyer's share of each installment not yet due. */
export interface NoteSale {
  tradedOn: IsoDate;
  principalMinor: number;
  installments: readonly { dueDate: IsoDate; principalMinor: number; interestMinor: number }[];
}

export interface StatementNote {
  /** What the note carries now: what was lent or bought, less what was sold out of it. */
  principalMinor: number;
  rateBps: number;
  /** Months; null for a bullet, which has `maturesOn`. */
  termMonths: number | null;
  maturesOn?: IsoDate | null;
  repayment: RepaymentKind;
  disbursedOn: IsoDate;
  /** The loan's default date, kept after a full recovery. */
  defaultedOn: IsoDate | null;
  /** True while the note is defaulted and still owed principal: that principal is counted as lost. */
  defaulted: boolean;
  outstandingMinor: number;
  receipts: readonly NoteReceipt[];
  /** The day its holder bought it (a note bought from another lender); absent for a note from the auction. */
  boughtOn?: IsoDate;
  /** A bought note's installments as bought: its contractual schedule. */
  boughtInstallments?: readonly { dueDate: IsoDate; principalMinor: number; interestMinor: number }[];
  /** Principal sold out of it to other lenders. */
  sales?: readonly NoteSale[];
}

/** One trade as its party's statement counts it (docs/servicing.md "Statements"). */
export interface StatementTrade {
  direction: 'in' | 'out';
  principalMinor: number;
  priceMinor: number;
  accruedMinor: number;
  feeMinor: number;
}

/**
 * What a trade added to its party's income: a seller earns the accrued interest it was paid and the
 * price above the principal (a loss below it), less the fee; a buyer pays the accrued (it receives it
 * back with the period's interest) and the premium (a loss taken at once: the note repays at par).
 */
export function tradeResultMinor(trade: StatementTrade): number {
  const overPar = trade.priceMinor - trade.principalMinor;
  return trade.direction === 'out' ? trade.accruedMinor + overPar - trade.feeMinor : -trade.accruedMinor - overPar;
}

export const DAYS_PER_YEAR = 365;

/**
 * Principal-days a note was at work for its holder from disbursement (or its purchase) to `end`: what it
 * carried at the start times the days, less each principal repayment and each sale times the days it no
 * longer earned. A payment or sale on or after `end` changes nothing.
 */
export function principalDays(note: StatementNote, end: IsoDate): number {
  const days = Math.max(0, daysBetween(note.boughtOn ?? note.disbursedOn, end));
  const sales = note.sales ?? [];
  let total = (note.principalMinor + sales.reduce((a, x) => a + x.principalMinor, 0)) * days;
  for (const r of note.receipts) {
    if (compareIsoDate(r.paidOn, end) < 0) total -= r.principalMinor * daysBetween(r.paidOn, end);
  }
  for (const x of sales) {
    if (compareIsoDate(x.tradedOn, end) < 0) total -= x.principalMinor * daysBetween(x.tradedOn, end);
  }
  assert(Number.isSafeInteger(total) && total >= 0, 'principal-days out of range');
  return total;
}

export interface YieldFigures {
  interestReceivedMinor: number;
  penaltyReceivedMinor: number;
  /** What trades added (sales: accrued + price over par − fee; purchases: −accrued − price over par). */
  transferResultMinor: number;
  /** Principal of defaulted notes not recovered so far. */
  lossMinor: number;
  principalDays: number;
  /** null before a day has passed on any note. */
  realisedYieldBps: number | null;
}

/**
 * Realised yield, annualised: (interest + penalty received + what trades added − principal lost on
 * defaulted notes) per principal-year at work, in bps: `(I + F + T − L) · 365 · 10000 / Σ principal-days`,
 * rounded half-even once. A defaulted note stops being at work on its loan's default date (its claim is
 * fixed then).
 */
export function realisedYield(notes: readonly StatementNote[], today: IsoDate, trades: readonly StatementTrade[] = []): YieldFigures {
  const transferResultMinor = trades.reduce((a, x) => a + tradeResultMinor(x), 0);
  let interestReceivedMinor = 0;
  let penaltyReceivedMinor = 0;
  let lossMinor = 0;
  let days = 0;
  for (const note of notes) {
    for (const r of note.receipts) {
      interestReceivedMinor += r.interestMinor;
      penaltyReceivedMinor += r.penaltyMinor;
    }
    if (note.defaulted) lossMinor += note.outstandingMinor;
    const end = note.defaultedOn !== null && compareIsoDate(note.defaultedOn, today) < 0 ? note.defaultedOn : today;
    days += principalDays(note, end);
  }
  const net = interestReceivedMinor + penaltyReceivedMinor + transferResultMinor - lossMinor;
  const realisedYieldBps = days === 0 ? null : toMinorHalfEven(decFromInt(net).mul(DAYS_PER_YEAR * 10_000).div(decFromInt(days)));
  return { interestReceivedMinor, penaltyReceivedMinor, transferResultMinor, lossMinor, principalDays: days, realisedYieldBps };
}

export interface MonthCash {
  month: string;
  /** Principal + interest due in the month by the notes' contractual schedules (as cleared or bought, less what was sold). */
  expectedMinor: number;
  /** Everything the notes received in the month: principal, interest and penalty. */
  receivedMinor: number;
}

/** Cash received against the contractual schedules, month by month, from the first disbursement. */
export function cashByMonth(notes: readonly StatementNote[]): MonthCash[] {
  const expected = new Map<string, number>();
  const received = new Map<string, number>();
  const add = (map: Map<string, number>, month: string, amountMinor: number) => map.set(month, (map.get(month) ?? 0) + amountMinor);
  for (const note of notes) {
    const sales = note.sales ?? [];
    add(expected, monthKey(note.boughtOn ?? note.disbursedOn), 0);
    // A note's contract: as cleared (its principal then) or as bought, less the installments sold on.
    const contract = note.boughtInstallments ?? noteSchedule({ ...note, principalMinor: note.principalMinor + sales.reduce((a, x) => a + x.principalMinor, 0) });
    for (const p of contract) add(expected, monthKey(p.dueDate), p.principalMinor + p.interestMinor);
    for (const p of sales.flatMap((x) => x.installments)) add(expected, monthKey(p.dueDate), -(p.principalMinor + p.interestMinor));
    for (const r of note.receipts) add(received, monthKey(r.paidOn), r.principalMinor + r.interestMinor + r.penaltyMinor);
  }
  const months = [...expected.keys(), ...received.keys()].sort();
  if (months.length === 0) return [];
  const rows: MonthCash[] = [];
  for (let m = months[0]!; m <= months[months.length - 1]!; m = addMonthsToKey(m, 1)) {
    rows.push({ month: m, expectedMinor: expected.get(m) ?? 0, receivedMinor: received.get(m) ?? 0 });
  }
  return rows;
}

/** Minor units as yuan with two decimals ("-1234.05"), by integer division: no float touches the amount. */
export function formatYuan(amountMinor: number): string {
  assert(Number.isSafeInteger(amountMinor), 'formatYuan: not a safe integer');
  const abs = Math.abs(amountMinor);
  assertNonNegativeMinor(abs, 'formatYuan');
  const whole = Math.floor(abs / 100);
  const fen = abs % 100;
  return `${amountMinor < 0 ? '-' : ''}${whole}.${String(fen).padStart(2, '0')}`;
}

/**
 * Days past due and bucket as statements show them. The state keeps them as of its last closed day, and a
 * repaid loan's days are no longer closed: once repaid, nothing is past due.
 */
export function shownDelinquency<B extends string>(loan: { status: string; daysPastDue: number; bucket: B }): { daysPastDue: number; bucket: B | 'current' } {
  return loan.status === 'repaid' ? { daysPastDue: 0, bucket: 'current' } : { daysPastDue: loan.daysPastDue, bucket: loan.bucket };
}
