/**
 * Reads of loans and notes as their borrower and lenders see them (docs/servicing.md): one loan with its
 * schedule as of now, a borrower's loans and a lender's notes, each with the one standing the servicing
 * sweep computes. Reads only, no locks.
 */
import { and, desc, eq, lt } from 'drizzle-orm';
import type { AppContext } from '../context.js';
import { listings, loanNotes, loans } from '../db/schema/index.js';
import { AppError } from '../domain/errors.js';
import type { Grade } from '../domain/grades.js';
import { isoDateOfMs } from '../domain/dates.js';
import { delinquency, loanStanding, nextDueDate, noteSummaries, scheduleView, shownDelinquency, type NoteSummary } from '../domain/servicing/index.js';
import { loadLoan, standingsOf } from './loans.js';
import { servicingSettings } from './servicing-store.js';
import { currentState } from './statements.js';
import { openOfferIds, saleHints } from './transfer-reads.js';

/** A loan with its schedule, for its borrower or a lender holding one of its notes; NOT_FOUND for anyone else. */
export async function loanView(ctx: AppContext, userId: string, loanId: string) {
  const loaded = await loadLoan(ctx.db, loanId);
  const mine = loaded && (loaded.loan.borrowerUserId === userId || loaded.notes.some((n) => n.lenderId === userId));
  if (!loaded || !mine) throw new AppError('NOT_FOUND', 'no such loan of yours');
  const { loan, notes } = loaded;
  const today = isoDateOfMs(ctx.clock.nowMs());
  // As of now: the days the daily job has not closed yet are closed on a copy, so the view never lags.
  const state = currentState(ctx, loaded.state, today);
  // Lateness as of now, after today's payments (the stored figures are as of yesterday's close).
  const now = delinquency(state, today, servicingSettings(ctx.settings.get()));
  const standing = loanStanding(state, today, servicingSettings(ctx.settings.get()));
  const [listing] = await ctx.db.select({ title: listings.title }).from(listings).where(eq(listings.id, loan.listingId));
  const summaries = new Map(noteSummaries(state).map((s) => [s.noteId, s]));
  return {
    id: loan.id,
    listingId: loan.listingId,
    title: listing?.title ?? '',
    standing: standing.standing,
    nextDue: standing.nextDue,
    principalMinor: loan.principalMinor,
    outstandingMinor: sumOf(summaries, (s) => s.outstandingMinor),
    rateBps: loan.rateBps,
    termMonths: loan.termMonths,
    repayment: loan.repayment,
    maturesOn: loan.maturesOn,
    pricing: loan.pricing,
    product: loan.product,
    grade: loan.grade as Grade,
    feeMinor: loan.feeMinor,
    currency: 'CNY' as const,
    status: state.status,
    disbursedOn: loan.disbursedOn,
    servicedThrough: state.servicedThrough,
    ...shownDelinquency({ status: state.status, daysPastDue: now.daysPastDue, bucket: now.bucket }),
    lateInstallments: now.lateInstallments,
    defaultedOn: state.defaultedOn,
    nextDueDate: nextDueDate(state),
    paidMinor: sumOf(summaries, (s) => s.receivedPrincipalMinor + s.receivedInterestMinor + s.receivedPenaltyMinor + s.receivedPrepaymentFeeMinor),
    noteCount: notes.length,
    schedule: scheduleView(state, today),
    // A lender sees its own notes of the loan; the borrower sees how many lenders, not who.
    myNotes: notes
      .filter((n) => n.lenderId === userId)
      .map((n) => {
        const s = summaries.get(n.id)!;
        return { id: n.id, principalMinor: n.principalMinor, rateBps: n.rateBps, outstandingMinor: s.outstandingMinor, receivedPrincipalMinor: s.receivedPrincipalMinor, receivedInterestMinor: s.receivedInterestMinor, receivedPenaltyMinor: s.receivedPenaltyMinor, receivedPrepaymentFeeMinor: s.receivedPrepaymentFeeMinor, status: s.status };
      }),
  };
}

/** A borrower's loans, newest first, each with its standing as of today. */
export async function myLoans(ctx: AppContext, userId: string, limit: number, cursor: string | undefined) {
  const found = await ctx.db
    .select({ loan: loans, title: listings.title })
    .from(loans)
    .innerJoin(listings, eq(listings.id, loans.listingId))
    .where(and(eq(loans.borrowerUserId, userId), cursor ? lt(loans.id, cursor) : undefined))
    .orderBy(desc(loans.id))
    .limit(limit + 1);
  const page = found.slice(0, limit);
  const today = isoDateOfMs(ctx.clock.nowMs());
  const standings = await standingsOf(ctx.db, page.map((p) => p.loan), today, servicingSettings(ctx.settings.get()));
  return {
    items: page.map(({ loan: l, title }) => {
      const s = standings.get(l.id)!;
      return {
        id: l.id,
        listingId: l.listingId,
        title,
        principalMinor: l.principalMinor,
        outstandingMinor: s.outstandingMinor,
        rateBps: l.rateBps,
        termMonths: l.termMonths,
        repayment: l.repayment,
        maturesOn: l.maturesOn,
        status: s.state.status,
        standing: s.standing,
        nextDue: s.nextDue?.dueDate ?? null,
        nextDueAmountMinor: s.nextDue?.amountMinor ?? 0,
        daysPastDue: s.daysPastDue,
        bucket: s.bucket,
        currency: 'CNY' as const,
      };
    }),
    nextCursor: found.length > limit ? (page[page.length - 1]?.loan.id ?? null) : null,
  };
}

/** A lender's notes (the portfolio), newest first, with the loan's standing and the note's side of the secondary market. */
export async function myNotes(ctx: AppContext, userId: string, limit: number, cursor: string | undefined) {
  const found = await ctx.db
    .select({ note: loanNotes, loan: loans, title: listings.title })
    .from(loanNotes)
    .innerJoin(loans, eq(loans.id, loanNotes.loanId))
    .innerJoin(listings, eq(listings.id, loans.listingId))
    .where(and(eq(loanNotes.lenderId, userId), cursor ? lt(loanNotes.id, cursor) : undefined))
    .orderBy(desc(loanNotes.id))
    .limit(limit + 1);
  const page = found.slice(0, limit);
  const today = isoDateOfMs(ctx.clock.nowMs());
  const standings = await standingsOf(ctx.db, [...new Map(page.map((p) => [p.loan.id, p.loan])).values()], today, servicingSettings(ctx.settings.get()));
  // The secondary market's side of each note: how it was acquired, its open offer, whether it may be
  // sold today (past due as the standing counts it, the one truth every page shows).
  const offers = await openOfferIds(ctx.db, page.map((p) => p.note.id));
  const hints = saleHints(ctx, page.map(({ note, loan }) => ({ note, loan: { ...loan, daysPastDue: standings.get(loan.id)!.daysPastDue } })), today);
  return {
    items: page.map(({ note, loan, title }) => {
      const s = standings.get(loan.id)!;
      // The note's own state: a note is repaid or defaulted with its loan, never "current" on a late
      // loan; a note sold whole owes its holder nothing, like a repaid one.
      const settled = note.status === 'repaid' || note.status === 'sold';
      const noteStanding = settled ? 'repaid' : s.standing;
      return {
        daysPastDue: settled ? 0 : s.daysPastDue,
        bucket: settled ? 'current' : s.bucket,
        standing: noteStanding,
        id: note.id,
        loanId: note.loanId,
        listingId: loan.listingId,
        title,
        grade: loan.grade as Grade,
        principalMinor: note.principalMinor,
        outstandingMinor: note.outstandingPrincipalMinor,
        rateBps: note.rateBps,
        receivedPrincipalMinor: note.receivedPrincipalMinor,
        receivedInterestMinor: note.receivedInterestMinor,
        receivedPenaltyMinor: note.receivedPenaltyMinor,
        receivedPrepaymentFeeMinor: note.receivedPrepaymentFeeMinor,
        status: note.status,
        loanStatus: s.state.status,
        acquiredVia: note.acquiredVia,
        acquiredAt: note.createdAt.toISOString(),
        soldPrincipalMinor: note.soldPrincipalMinor,
        openOfferId: offers.get(note.id) ?? null,
        sellable: hints.get(note.id)!.sellable,
        notSellableReason: hints.get(note.id)!.reason,
        currency: 'CNY' as const,
      };
    }),
    nextCursor: found.length > limit ? (page[page.length - 1]?.note.id ?? null) : null,
  };
}

function sumOf(summaries: Map<string, NoteSummary>, f: (s: NoteSummary) => number): number {
  let total = 0;
  for (const s of summaries.values()) total += f(s);
  return total;
}
