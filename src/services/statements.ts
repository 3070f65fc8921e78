/**
 * Read models of servicing (statements and disclosure): the lender's portfolio, the CSV
 * exports, and the public monthly statistics. Reads only; the figures come from the servicing tables
 * (loans, loan_notes, repayments) and the pure functions of src/domain/servicing.
 */
import type { RepaymentSource } from './servicing.js';
import { asc, desc, eq, or, sql } from 'drizzle-orm';
import type { AppContext } from '../context.js';
import { rows, type Queryable } from '../db/client.js';
import { loanNotes, loans, noteTransfers } from '../db/schema/index.js';
import { addDays, compareIsoDate, isoDateOfMs, type IsoDate } from '../domain/dates.js';
import { GRADES } from '../domain/grades.js';
import { AppError } from '../domain/errors.js';
import {
  accrueDay,
  cashByMonth,
  disclosureSeries,
  formatYuan,
  realisedYield,
  scheduleView,
  shownDelinquency,
  type HistoryEntry,
  type LoanState,
  type NoteReceipt,
  type NoteSale,
  type StatementNote,
} from '../domain/servicing/index.js';
import { standingsOf, stateOf, type LoanRow, type NoteRow } from './loans.js';
import { servicingSettings } from './servicing-store.js';
import { transferItem } from './transfers.js';

/** A limit on every export: rows of one CSV. */
export const MAX_CSV_ROWS = 50_000;
/** Transfers listed in the portfolio (all count in its totals; GET /me/note-transfers pages through them). */
const MAX_STATEMENT_TRANSFERS = 200;

function todayOf(ctx: AppContext): IsoDate {
  return isoDateOfMs(ctx.clock.nowMs());
}

/**
 * The loan's state as of now for reads: the days before today closed on a copy, so a view never waits for
 * the daily job (and shows what a payment today would see).
 */
export function currentState(ctx: AppContext, state: LoanState, day: IsoDate = todayOf(ctx)): LoanState {
  if (compareIsoDate(day, state.servicedThrough) <= 0) return state;
  return accrueDay(state, addDays(day, -1), servicingSettings(ctx.settings.get())).state;
}

// ---- lender portfolio ----

interface ReceiptRow {
  note_id: string;
  paid_on: string;
  principal: number;
  interest: number;
  penalty: number;
}

/** What each note of the lender received, payment by payment (from the repayments' per-note split). */
async function receiptsOfLender(q: Queryable, lenderId: string): Promise<Map<string, NoteReceipt[]>> {
  const found = await rows<ReceiptRow>(
    q,
    sql`select x->>'noteId' as note_id, to_char(r.paid_on, 'YYYY-MM-DD') as paid_on, (x->>'principalMinor')::bigint as principal,
               (x->>'interestMinor')::bigint as interest, (x->>'penaltyMinor')::bigint as penalty
        from repayments r cross join lateral jsonb_array_elements(r.breakdown->'perNote') as x
        join loan_notes n on n.id = x->>'noteId' and n.loan_id = r.loan_id
        where n.lender_id = ${lenderId} and (x->>'totalMinor')::bigint > 0
        order by r.paid_on, r.created_at`,
  );
  const byNote = new Map<string, NoteReceipt[]>();
  for (const r of found) {
    const list = byNote.get(r.note_id) ?? [];
    list.push({ paidOn: r.paid_on, principalMinor: Number(r.principal), interestMinor: Number(r.interest), penaltyMinor: Number(r.penalty) });
    byNote.set(r.note_id, list);
  }
  return byNote;
}

/** GET /me/notes/:id/repayments: what one note of the lender received, payment by payment, newest first. */
export async function noteRepayments(ctx: AppContext, lenderId: string, noteId: string) {
  const [note] = await ctx.db.select({ id: loanNotes.id, lenderId: loanNotes.lenderId, loanId: loanNotes.loanId }).from(loanNotes).where(eq(loanNotes.id, noteId));
  if (!note || note.lenderId !== lenderId) throw new AppError('NOT_FOUND', 'no such note of yours');
  const found = await rows<{ id: string; paid_on: string; source: RepaymentSource; after_default: boolean; principal: number; interest: number; penalty: number; fee: number | null; total: number }>(
    ctx.db,
    sql`select r.id, to_char(r.paid_on, 'YYYY-MM-DD') as paid_on, r.source, r.after_default,
               (x->>'principalMinor')::bigint as principal, (x->>'interestMinor')::bigint as interest, (x->>'penaltyMinor')::bigint as penalty,
               (x->>'prepaymentFeeMinor')::bigint as fee, (x->>'totalMinor')::bigint as total
        from repayments r cross join lateral jsonb_array_elements(r.breakdown->'perNote') as x
        where r.loan_id = ${note.loanId} and x->>'noteId' = ${noteId} and (x->>'totalMinor')::bigint > 0
        order by r.created_at desc, r.id desc limit ${MAX_CSV_ROWS}`,
  );
  return {
    noteId,
    loanId: note.loanId,
    currency: 'CNY' as const,
    items: found.map((r) => ({
      repaymentId: r.id,
      paidOn: r.paid_on,
      source: r.source,
      afterDefault: Boolean(r.after_default),
      principalMinor: Number(r.principal),
      interestMinor: Number(r.interest),
      penaltyMinor: Number(r.penalty),
      prepaymentFeeMinor: Number(r.fee ?? 0),
      totalMinor: Number(r.total),
    })),
  };
}

async function notesOfLender(q: Queryable, lenderId: string) {
  return q
    .select({ note: loanNotes, loan: loans })
    .from(loanNotes)
    .innerJoin(loans, eq(loans.id, loanNotes.loanId))
    .where(eq(loanNotes.lenderId, lenderId))
    .orderBy(asc(loanNotes.id))
    .limit(MAX_CSV_ROWS);
}

/** The lender's trades: sales by the note sold from, purchases by the note bought, newest first. */
async function tradesOfLender(q: Queryable, lenderId: string) {
  const all = await q
    .select()
    .from(noteTransfers)
    .where(or(eq(noteTransfers.sellerId, lenderId), eq(noteTransfers.buyerId, lenderId)))
    .orderBy(desc(noteTransfers.createdAt), desc(noteTransfers.id))
    .limit(MAX_CSV_ROWS);
  const salesOf = new Map<string, NoteSale[]>();
  const boughtAs = new Map<string, (typeof all)[number]>();
  for (const x of all) {
    if (x.sellerId === lenderId) salesOf.set(x.sellerNoteId, [...(salesOf.get(x.sellerNoteId) ?? []), { tradedOn: x.tradedOn, principalMinor: x.principalMinor, installments: x.installments }]);
    if (x.buyerId === lenderId) boughtAs.set(x.buyerNoteId, x);
  }
  return { all, salesOf, boughtAs };
}

type Trades = Awaited<ReturnType<typeof tradesOfLender>>;

function statementNote(note: NoteRow, loan: LoanRow, receipts: readonly NoteReceipt[], trades?: Trades): StatementNote {
  const bought = trades?.boughtAs.get(note.id);
  return {
    ...(bought ? { boughtOn: bought.tradedOn, boughtInstallments: bought.installments } : {}),
    sales: trades?.salesOf.get(note.id) ?? [],
    principalMinor: note.principalMinor,
    rateBps: note.rateBps,
    termMonths: loan.termMonths,
    maturesOn: loan.maturesOn,
    repayment: loan.repayment,
    disbursedOn: loan.disbursedOn,
    defaultedOn: loan.defaultedOn,
    defaulted: note.status === 'defaulted',
    outstandingMinor: note.outstandingPrincipalMinor,
    receipts,
  };
}

function sum<T>(items: readonly T[], f: (x: T) => number): number {
  return items.reduce((a, x) => a + f(x), 0);
}

/** GET /me/portfolio: totals, realised yield, allocation by grade, cash received against the schedules. */
export async function portfolio(ctx: AppContext, lenderId: string) {
  const day = todayOf(ctx);
  const held = await notesOfLender(ctx.db, lenderId);
  const receipts = await receiptsOfLender(ctx.db, lenderId);
  const trades = await tradesOfLender(ctx.db, lenderId);
  const notes = held.map(({ note, loan }) => statementNote(note, loan, receipts.get(note.id) ?? [], trades));
  const listingOf = new Map(held.map(({ loan }) => [loan.id, loan.listingId]));
  const transfers = trades.all.map((x) => transferItem({ ...x, listingId: listingOf.get(x.loanId)! }, lenderId));
  const y = realisedYield(notes, day, transfers);
  // Late as the loan page and the notes list say it: the standing as of today.
  const standings = await standingsOf(ctx.db, [...new Map(held.map((h) => [h.loan.id, h.loan])).values()], day, servicingSettings(ctx.settings.get()));
  const late = held.filter(({ note, loan }) => note.status === 'active' && standings.get(loan.id)?.standing === 'late');
  const defaulted = held.filter(({ note }) => note.status === 'defaulted');
  const outstanding = sum(held, (h) => h.note.outstandingPrincipalMinor);
  const grades = GRADES.filter((g) => held.some((h) => h.loan.grade === g));
  return {
    asOf: day,
    currency: 'CNY' as const,
    totals: {
      notes: held.length,
      activeNotes: held.filter((h) => h.note.status === 'active').length,
      repaidNotes: held.filter((h) => h.note.status === 'repaid').length,
      soldNotes: held.filter((h) => h.note.status === 'sold').length,
      defaultedNotes: defaulted.length,
      principalLentMinor: sum(held, (h) => h.note.principalMinor),
      outstandingMinor: outstanding,
      lateOutstandingMinor: sum(late, (h) => h.note.outstandingPrincipalMinor),
      defaultedOutstandingMinor: sum(defaulted, (h) => h.note.outstandingPrincipalMinor),
      receivedPrincipalMinor: sum(held, (h) => h.note.receivedPrincipalMinor),
      receivedInterestMinor: sum(held, (h) => h.note.receivedInterestMinor),
      receivedPenaltyMinor: sum(held, (h) => h.note.receivedPenaltyMinor),
      transferResultMinor: y.transferResultMinor,
      receivedPrepaymentFeeMinor: sum(held, (h) => h.note.receivedPrepaymentFeeMinor),
      principalDays: y.principalDays,
      realisedYieldBps: y.realisedYieldBps,
    },
    // Transfers in and out (docs/transfers.md): what was bought and sold, at what price and accrued, and
    // the fees paid on sales.
    transfers: {
      boughtPrincipalMinor: sum(transfers.filter((x) => x.direction === 'in'), (x) => x.principalMinor),
      soldPrincipalMinor: sum(transfers.filter((x) => x.direction === 'out'), (x) => x.principalMinor),
      paidMinor: sum(transfers.filter((x) => x.direction === 'in'), (x) => -x.amountMinor),
      receivedMinor: sum(transfers.filter((x) => x.direction === 'out'), (x) => x.amountMinor),
      feesMinor: sum(transfers, (x) => x.feeMinor),
      items: transfers.slice(0, MAX_STATEMENT_TRANSFERS),
    },
    byGrade: grades.map((grade) => {
      const mine = held.filter((h) => h.loan.grade === grade);
      return { grade, notes: mine.length, principalMinor: sum(mine, (h) => h.note.principalMinor), outstandingMinor: sum(mine, (h) => h.note.outstandingPrincipalMinor) };
    }),
    cashflow: cashByMonth(notes),
  };
}

// ---- CSV ----

function csvField(value: string | number | null): string {
  const text = value === null ? '' : String(value);
  return /[",\n\r]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

export function csv(header: readonly string[], lines: readonly (readonly (string | number | null)[])[]): string {
  return [header, ...lines].map((line) => line.map(csvField).join(',')).join('\r\n') + '\r\n';
}

/** GET /me/notes.csv: one line per note, money in yuan with two decimals. */
export async function notesCsv(ctx: AppContext, lenderId: string): Promise<string> {
  const held = await notesOfLender(ctx.db, lenderId);
  const standings = await standingsOf(ctx.db, [...new Map(held.map((h) => [h.loan.id, h.loan])).values()], todayOf(ctx), servicingSettings(ctx.settings.get()));
  return csv(
    ['note_id', 'loan_id', 'listing_id', 'grade', 'rate_bps', 'repayment', 'term_months', 'disbursed_on', 'principal_yuan', 'outstanding_yuan', 'received_principal_yuan', 'received_interest_yuan', 'received_penalty_yuan', 'received_prepayment_fee_yuan', 'note_status', 'loan_status', 'standing', 'days_past_due', 'bucket', 'matures_on', 'acquired_via', 'acquired_on', 'sold_principal_yuan'],
    held.map(({ note, loan }) => {
      const s = standings.get(loan.id)!;
      // A note sold whole owes its holder nothing, like a repaid one.
      const repaid = note.status === 'repaid' || note.status === 'sold';
      return [
        note.id,
        loan.id,
        loan.listingId,
        loan.grade,
        note.rateBps,
        loan.repayment,
        loan.termMonths,
        loan.disbursedOn,
        formatYuan(note.principalMinor),
        formatYuan(note.outstandingPrincipalMinor),
        formatYuan(note.receivedPrincipalMinor),
        formatYuan(note.receivedInterestMinor),
        formatYuan(note.receivedPenaltyMinor),
        formatYuan(note.receivedPrepaymentFeeMinor),
        note.status,
        s.state.status,
        repaid ? 'repaid' : s.standing,
        repaid ? 0 : s.daysPastDue,
        repaid ? 'current' : s.bucket,
        loan.maturesOn,
        note.acquiredVia,
        isoDateOfMs(note.createdAt.getTime()),
        formatYuan(note.soldPrincipalMinor),
      ];
    }),
  );
}

/** GET /me/loans.csv: one line per installment of each of the borrower's loans, as of today. */
export async function loansCsv(ctx: AppContext, borrowerId: string): Promise<string> {
  const day = todayOf(ctx);
  const mine = await ctx.db.select().from(loans).where(eq(loans.borrowerUserId, borrowerId)).orderBy(asc(loans.id)).limit(MAX_CSV_ROWS);
  const lines: (string | number)[][] = [];
  for (const loan of mine) {
    const notes = await ctx.db.select().from(loanNotes).where(eq(loanNotes.loanId, loan.id)).orderBy(asc(loanNotes.id));
    const state = currentState(ctx, stateOf(loan, notes), day);
    for (const r of scheduleView(state, day)) {
      lines.push([loan.id, loan.listingId, loan.disbursedOn, state.status, loan.rateBps, r.n, r.dueDate, formatYuan(r.principalMinor), formatYuan(r.interestMinor), formatYuan(r.feeMinor), formatYuan(r.paidMinor), r.status]);
    }
  }
  return csv(['loan_id', 'listing_id', 'disbursed_on', 'loan_status', 'rate_bps', 'n', 'due_date', 'principal_yuan', 'interest_yuan', 'fee_yuan', 'paid_yuan', 'installment_status'], lines.slice(0, MAX_CSV_ROWS));
}

// ---- disclosure ----

/** GET /stats: the monthly series of docs/servicing.md "Disclosure", computed from the servicing tables. */
export async function disclosure(ctx: AppContext) {
  const day = todayOf(ctx);
  const all = await rows<{ id: string; grade: string; borrower_user_id: string; principal_minor: number; disbursed_on: string; defaulted_on: string | null; installment_history: HistoryEntry[] | string; related_party: boolean }>(
    ctx.db,
    sql`select l.id, l.grade, l.borrower_user_id, l.principal_minor, to_char(l.disbursed_on, 'YYYY-MM-DD') as disbursed_on,
               to_char(l.defaulted_on, 'YYYY-MM-DD') as defaulted_on, l.installment_history, m.related_party
        from loans l join merchants m on m.id = l.merchant_id order by l.id`,
  );
  // Lenders of record: those who lent at clearing. A note changing hands later changes no disclosed figure.
  const lenders = await rows<{ loan_id: string; lender_id: string }>(ctx.db, sql`select distinct loan_id, lender_id from loan_notes where acquired_via = 'auction'`);
  const repaid = await rows<{ loan_id: string; paid_on: string; principal: number; interest: number }>(
    ctx.db,
    sql`select loan_id, to_char(paid_on, 'YYYY-MM-DD') as paid_on, sum(principal_minor)::bigint as principal, sum(interest_minor)::bigint as interest
        from repayments where principal_minor > 0 or interest_minor > 0 group by loan_id, paid_on`,
  );
  const scheduled = await rows<{ loan_id: string; interest: number }>(
    ctx.db,
    sql`select n.loan_id, sum((x->>'interestDueMinor')::bigint)::bigint as interest from loan_notes n cross join lateral jsonb_array_elements(n.installments) as x group by n.loan_id`,
  );
  const guarantorPaid = await rows<{ loan_id: string; paid_on: string; amount: number }>(
    ctx.db,
    sql`select loan_id, to_char(paid_on, 'YYYY-MM-DD') as paid_on, paid_minor::bigint as amount from guarantees where status = 'paid' and paid_minor > 0 and loan_id is not null`,
  );
  const lendersOf = new Map<string, string[]>();
  for (const l of lenders) lendersOf.set(l.loan_id, [...(lendersOf.get(l.loan_id) ?? []), l.lender_id]);
  const interestOf = new Map(scheduled.map((r) => [r.loan_id, Number(r.interest)]));
  const months = disclosureSeries(
    all.map((l) => ({
      id: l.id,
      grade: l.grade,
      borrowerId: l.borrower_user_id,
      lenderIds: lendersOf.get(l.id) ?? [],
      principalMinor: Number(l.principal_minor),
      disbursedOn: l.disbursed_on,
      defaultedOn: l.defaulted_on,
      history: typeof l.installment_history === 'string' ? (JSON.parse(l.installment_history) as HistoryEntry[]) : l.installment_history,
      relatedParty: l.related_party,
      scheduledInterestMinor: interestOf.get(l.id) ?? 0,
    })),
    repaid.filter((r) => Number(r.principal) > 0).map((r) => ({ loanId: r.loan_id, paidOn: r.paid_on, principalMinor: Number(r.principal) })),
    day,
    GRADES,
    {
      interestPaid: repaid.filter((r) => Number(r.interest) > 0).map((r) => ({ loanId: r.loan_id, paidOn: r.paid_on, interestMinor: Number(r.interest) })),
      guarantorPaid: guarantorPaid.map((g) => ({ loanId: g.loan_id, paidOn: g.paid_on, amountMinor: Number(g.amount) })),
    },
  );
  const settings = ctx.settings.get();
  // The settings that charge anyone; a guarantee's fee is each guarantor's own, shown on its listings.
  const feeSchedule = { platformFeeBps: settings.platformFeeBps, prepaymentFeeBps: settings.prepaymentFeeBps, transferFeeBps: settings.transferFeeBps, penaltyBpsPerDay: settings.penaltyBpsPerDay };
  return { asOf: day, currency: 'CNY' as const, feeSchedule, months };
}

/** The monthly figures as CSV (GET /stats.csv): one row per month, amounts in yuan, rates in bps. */
export async function disclosureCsv(ctx: AppContext): Promise<string> {
  const { months } = await disclosure(ctx);
  const header = [
    'month', 'as_of', 'lent_in_month_yuan', 'loans_in_month', 'lent_to_date_yuan', 'loans_to_date', 'outstanding_principal_yuan', 'outstanding_loans', 'outstanding_interest_yuan',
    'borrowers', 'lenders', 'borrowers_to_date', 'lenders_to_date', 'top10_share_bps', 'largest_share_bps', 'related_party_loans', 'related_party_outstanding_yuan',
    'overdue_loans', 'overdue_principal_yuan', 'overdue_90_loans', 'overdue_90_principal_yuan', 'overdue_loan_rate_bps', 'overdue_amount_rate_bps',
    'guarantor_payments_to_date', 'guarantor_paid_to_date_yuan', 'late_rate_bps', 'default_rate_bps',
  ];
  const lines = months.map((m) => [
    m.month, m.asOf, formatYuan(m.volumeLentMinor), m.loansDisbursed, formatYuan(m.lentToDateMinor), m.loansToDate, formatYuan(m.outstandingPrincipalMinor), m.outstandingLoans, formatYuan(m.outstandingInterestMinor),
    m.borrowers, m.lenders, m.borrowersToDate, m.lendersToDate, m.top10ShareBps, m.largestShareBps, m.relatedPartyLoans, formatYuan(m.relatedPartyOutstandingMinor),
    m.overdueLoans, formatYuan(m.overduePrincipalMinor), m.overdue90Loans, formatYuan(m.overdue90PrincipalMinor), m.overdueLoanRateBps, m.overdueAmountRateBps,
    m.guarantorPaymentsToDate, formatYuan(m.guarantorPaidToDateMinor), m.lateRateBps, m.defaultRateBps,
  ]);
  return csv(header, lines);
}
