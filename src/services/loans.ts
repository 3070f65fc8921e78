import { asc, eq, inArray, sql } from 'drizzle-orm';
import type { Queryable } from '../db/client.js';
import { loanNotes, loans } from '../db/schema/index.js';
import { assert } from '../domain/assert.js';
import { addDays, compareIsoDate, type IsoDate } from '../domain/dates.js';
import { accrueDay, loanStanding, openLoanShared, outstandingPrincipalFrom, scheduleKey, type Installment, type LoanStanding, type LoanState, type NoteState, type RepaymentKind, type ServicingSettings } from '../domain/servicing/index.js';

export type LoanRow = typeof loans.$inferSelect;
export type NoteRow = typeof loanNotes.$inferSelect;

export interface NewLoan {
  id: string;
  listingId: string;
  borrowerUserId: string;
  merchantId: string;
  principalMinor: number;
  rateBps: number;
  termMonths: number | null;
  repayment: RepaymentKind;
  /** A bullet's maturity date. */
  maturesOn: IsoDate | null;
  pricing: 'uniform' | 'pay_as_bid';
  product: 'credit' | 'order' | 'warehouse_receipt' | 'claim';
  grade: string;
  feeMinor: number;
  disbursedOn: IsoDate;
  receiptId: string | null;
  notes: { id: string; bidId: string; lenderId: string; principalMinor: number; rateBps: number }[];
  at: Date;
}

const NOTE_CHUNK = 2000;

/**
 * Writes a loan and its notes with their schedules (servicing state) as clearing creates them. Notes with
 * the same schedule key start with the same installments: each distinct list is made once (openLoanShared)
 * and sent once, and the insert joins it to its notes.
 */
export async function insertLoan(tx: Queryable, loan: NewLoan): Promise<void> {
  const { state, indexOfKey } = openLoanShared({
    disbursedOn: loan.disbursedOn,
    termMonths: loan.termMonths,
    repayment: loan.repayment,
    maturesOn: loan.maturesOn,
    notes: loan.notes.map((n) => ({ noteId: n.id, principalMinor: n.principalMinor, rateBps: n.rateBps })),
  });
  await tx.insert(loans).values({
    id: loan.id,
    listingId: loan.listingId,
    borrowerUserId: loan.borrowerUserId,
    merchantId: loan.merchantId,
    principalMinor: loan.principalMinor,
    rateBps: loan.rateBps,
    termMonths: loan.termMonths,
    repayment: loan.repayment,
    maturesOn: loan.maturesOn,
    pricing: loan.pricing,
    product: loan.product,
    grade: loan.grade,
    feeMinor: loan.feeMinor,
    disbursedOn: loan.disbursedOn,
    status: 'active',
    outstandingPrincipalMinor: loan.principalMinor,
    servicedThrough: state.servicedThrough,
    daysPastDue: 0,
    bucket: state.bucket,
    nextDueDate: state.notes[0]!.installments[0]!.dueDate,
    receiptId: loan.receiptId,
    createdAt: loan.at,
  });
  // One statement per 2,000 notes, the rows as one JSON document: a clearing with thousands of winners
  // must not cost thousands of round trips or a parameter list per column.
  const at = loan.at.toISOString();
  for (let i = 0; i < loan.notes.length; i += NOTE_CHUNK) {
    const schedules: Installment[][] = [];
    const scheduleIndex = new Map<number, number>();
    const rowsOfChunk = loan.notes.slice(i, i + NOTE_CHUNK).map((n) => {
      const shared = indexOfKey.get(scheduleKey(n))!;
      let k = scheduleIndex.get(shared);
      if (k === undefined) {
        k = schedules.push(state.notes[shared]!.installments); // 1-based, as ordinality counts
        scheduleIndex.set(shared, k);
      }
      return { id: n.id, bid: n.bidId, lender: n.lenderId, p: n.principalMinor, r: n.rateBps, s: k };
    });
    await tx.execute(sql`insert into loan_notes (id, loan_id, bid_id, lender_id, principal_minor, rate_bps, status, outstanding_principal_minor, installments, created_at)
      select x.id, ${loan.id}, x.bid, x.lender, x.p, x.r, 'active', x.p, s.inst, ${at}::timestamptz
      from jsonb_to_recordset(${JSON.stringify(rowsOfChunk)}::jsonb) as x(id text, bid text, lender text, p bigint, r integer, s bigint)
      join jsonb_array_elements(${JSON.stringify(schedules)}::jsonb) with ordinality as s(inst, k) on s.k = x.s`);
  }
}

export interface LoadedLoan {
  loan: LoanRow;
  notes: NoteRow[];
  state: LoanState;
}

/** Reassembles a loan's servicing state from its row and its notes (locking the loan row if asked). */
export async function loadLoan(q: Queryable, loanId: string, forUpdate = false): Promise<LoadedLoan | undefined> {
  const base = q.select().from(loans).where(eq(loans.id, loanId));
  const [loan] = forUpdate ? await base.for('update') : await base;
  if (!loan) return undefined;
  const notes = await q.select().from(loanNotes).where(eq(loanNotes.loanId, loanId)).orderBy(asc(loanNotes.id));
  return { loan, notes, state: stateOf(loan, notes) };
}

export function stateOf(loan: LoanRow, notes: NoteRow[]): LoanState {
  return {
    disbursedOn: loan.disbursedOn,
    termMonths: loan.termMonths,
    repayment: loan.repayment,
    status: loan.status,
    notes: notes.map(noteStateOf),
    servicedThrough: loan.servicedThrough,
    daysPastDue: loan.daysPastDue,
    bucket: loan.bucket as LoanState['bucket'],
    defaultedOn: loan.defaultedOn,
  };
}

export function noteStateOf(n: NoteRow): NoteState {
  return { noteId: n.id, principalMinor: n.principalMinor, rateBps: n.rateBps, status: n.status, installments: n.installments as Installment[], ...(n.soldOut ? { soldOut: true } : {}) };
}

export async function notesOfLoans(q: Queryable, loanIds: string[]): Promise<NoteRow[]> {
  if (loanIds.length === 0) return [];
  return q.select().from(loanNotes).where(inArray(loanNotes.loanId, loanIds));
}

/** Outstanding principal of a note in the state. */
export function noteOutstanding(note: NoteState): number {
  return outstandingPrincipalFrom(note, 0);
}

export function assertSameNotes(state: LoanState, notes: NoteRow[]): void {
  assert(state.notes.length === notes.length, 'loan state and note rows differ');
}

/**
 * The standing of each loan as of today (docs/market-rules.md §6), computed the one way every page and
 * export shows it: the days before today closed on a copy of the state, then loanStanding.
 */
export async function standingsOf(
  q: Queryable,
  loanRows: readonly LoanRow[],
  today: IsoDate,
  settings: ServicingSettings,
): Promise<Map<string, LoanStanding & { outstandingMinor: number; state: LoanState }>> {
  const notes = await notesOfLoans(q, loanRows.map((l) => l.id));
  const byLoan = new Map<string, NoteRow[]>();
  for (const n of [...notes].sort((a, b) => (a.id < b.id ? -1 : 1))) byLoan.set(n.loanId, [...(byLoan.get(n.loanId) ?? []), n]);
  const out = new Map<string, LoanStanding & { outstandingMinor: number; state: LoanState }>();
  for (const loan of loanRows) {
    const stored = stateOf(loan, byLoan.get(loan.id) ?? []);
    const state = compareIsoDate(today, stored.servicedThrough) > 0 ? accrueDay(stored, addDays(today, -1), settings).state : stored;
    out.set(loan.id, { ...loanStanding(state, today, settings), outstandingMinor: state.notes.reduce((a, n) => a + outstandingPrincipalFrom(n, 0), 0), state });
  }
  return out;
}
