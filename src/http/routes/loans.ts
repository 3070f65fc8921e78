import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { and, desc, eq, lt } from 'drizzle-orm';
import { loanNotes, loans } from '../../db/schema/index.js';
import { AppError } from '../../domain/errors.js';
import { isoDateOfMs } from '../../domain/dates.js';
import { delinquency, nextDueDate, noteSummaries, scheduleView, shownDelinquency, type NoteSummary } from '../../domain/servicing/index.js';
import { servicingSettings } from '../../services/servicing-store.js';
import { currentState } from '../../services/statements.js';
import { loadLoan } from '../../services/loans.js';
import { openOfferIds, saleHints } from '../../services/transfer-reads.js';
import { requireUser } from '../plugins/auth.js';
import { Id, Pagination, Strict, parseLimit } from '../schemas.js';

export const loanRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const ctx = app.ctx;

  app.get(
    '/loans/:id',
    {
      config: { access: ['borrower', 'lender'] },
      schema: { tags: ['loans'], summary: 'A loan with its schedule (its borrower, or a lender holding one of its notes)', params: Strict({ id: Id('loan') }) },
    },
    async (request) => {
      const user = requireUser(request);
      const loaded = await loadLoan(ctx.db, request.params.id);
      const mine = loaded && (loaded.loan.borrowerUserId === user.id || loaded.notes.some((n) => n.lenderId === user.id));
      if (!loaded || !mine) throw new AppError('NOT_FOUND', 'no such loan of yours');
      const { loan, notes } = loaded;
      const today = isoDateOfMs(ctx.clock.nowMs());
      // As of now: the days the daily job has not closed yet are closed on a copy, so the view never lags.
      const state = currentState(ctx, loaded.state, today);
      // Lateness as of now, after today's payments (the stored figures are as of yesterday's close).
      const now = delinquency(state, today, servicingSettings(ctx.settings.get()));
      const summaries = new Map(noteSummaries(state).map((s) => [s.noteId, s]));
      return {
        id: loan.id,
        listingId: loan.listingId,
        principalMinor: loan.principalMinor,
        outstandingMinor: sumOf(summaries, (s) => s.outstandingMinor),
        rateBps: loan.rateBps,
        termMonths: loan.termMonths,
        repayment: loan.repayment,
        maturesOn: loan.maturesOn,
        pricing: loan.pricing,
        product: loan.product,
        grade: loan.grade,
        feeMinor: loan.feeMinor,
        currency: 'CNY',
        status: state.status,
        disbursedOn: loan.disbursedOn,
        servicedThrough: state.servicedThrough,
        ...shownDelinquency({ status: state.status, daysPastDue: now.daysPastDue, bucket: now.bucket }),
        lateInstallments: now.lateInstallments,
        defaultedOn: state.defaultedOn,
        nextDueDate: nextDueDate(state),
        paidMinor: sumOf(summaries, (s) => s.receivedPrincipalMinor + s.receivedInterestMinor + s.receivedPenaltyMinor),
        noteCount: notes.length,
        schedule: scheduleView(state, today),
        // A lender sees its own notes of the loan; the borrower sees how many lenders, not who.
        myNotes: notes
          .filter((n) => n.lenderId === user.id)
          .map((n) => {
            const s = summaries.get(n.id)!;
            return { id: n.id, principalMinor: n.principalMinor, rateBps: n.rateBps, outstandingMinor: s.outstandingMinor, receivedPrincipalMinor: s.receivedPrincipalMinor, receivedInterestMinor: s.receivedInterestMinor, receivedPenaltyMinor: s.receivedPenaltyMinor, status: s.status };
          }),
      };
    },
  );

  app.get(
    '/me/loans',
    { config: { access: ['borrower'] }, schema: { tags: ['loans'], summary: 'Your loans, newest first', querystring: Strict(Pagination) } },
    async (request) => {
      const user = requireUser(request);
      const limit = parseLimit(request.query.limit);
      const found = await ctx.db
        .select()
        .from(loans)
        .where(and(eq(loans.borrowerUserId, user.id), request.query.cursor ? lt(loans.id, request.query.cursor) : undefined))
        .orderBy(desc(loans.id))
        .limit(limit + 1);
      const page = found.slice(0, limit);
      return {
        items: page.map((l) => ({
          id: l.id,
          listingId: l.listingId,
          principalMinor: l.principalMinor,
          outstandingMinor: l.outstandingPrincipalMinor,
          rateBps: l.rateBps,
          termMonths: l.termMonths,
          repayment: l.repayment,
          maturesOn: l.maturesOn,
          status: l.status,
          nextDue: l.nextDueDate,
          ...shownDelinquency(l),
          currency: 'CNY',
        })),
        nextCursor: found.length > limit ? (page[page.length - 1]?.id ?? null) : null,
      };
    },
  );

  app.get(
    '/me/notes',
    { config: { access: ['lender'] }, schema: { tags: ['loans'], summary: 'Your notes (portfolio), newest first', querystring: Strict(Pagination) } },
    async (request) => {
      const user = requireUser(request);
      const limit = parseLimit(request.query.limit);
      const found = await ctx.db
        .select({ note: loanNotes, loan: loans })
        .from(loanNotes)
        .innerJoin(loans, eq(loans.id, loanNotes.loanId))
        .where(and(eq(loanNotes.lenderId, user.id), request.query.cursor ? lt(loanNotes.id, request.query.cursor) : undefined))
        .orderBy(desc(loanNotes.id))
        .limit(limit + 1);
      const page = found.slice(0, limit);
      // The secondary market's side of each note: how it was acquired, its open offer, whether it may be sold today.
      const offers = await openOfferIds(ctx.db, page.map((p) => p.note.id));
      const hints = saleHints(ctx, page, isoDateOfMs(ctx.clock.nowMs()));
      return {
        items: page.map(({ note, loan: { listingId, grade, status: loanStatus, daysPastDue, bucket } }) => ({
          ...shownDelinquency({ status: loanStatus, daysPastDue, bucket }),
          id: note.id,
          loanId: note.loanId,
          listingId,
          grade,
          principalMinor: note.principalMinor,
          outstandingMinor: note.outstandingPrincipalMinor,
          rateBps: note.rateBps,
          receivedPrincipalMinor: note.receivedPrincipalMinor,
          receivedInterestMinor: note.receivedInterestMinor,
          receivedPenaltyMinor: note.receivedPenaltyMinor,
          status: note.status,
          loanStatus,
          acquiredVia: note.acquiredVia,
          acquiredAt: note.createdAt.toISOString(),
          soldPrincipalMinor: note.soldPrincipalMinor,
          openOfferId: offers.get(note.id) ?? null,
          sellable: hints.get(note.id)!.sellable,
          notSellableReason: hints.get(note.id)!.reason,
          currency: 'CNY',
        })),
        nextCursor: found.length > limit ? (page[page.length - 1]?.note.id ?? null) : null,
      };
    },
  );
};

function sumOf(summaries: Map<string, NoteSummary>, f: (s: NoteSummary) => number): number {
  let total = 0;
  for (const s of summaries.values()) total += f(s);
  return total;
}
