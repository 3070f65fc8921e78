import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { compareIsoDate, isoDateOfMs } from '../../domain/dates.js';
import { AppError } from '../../domain/errors.js';
import { delinquency, owedToday, shownDelinquency } from '../../domain/servicing/index.js';
import { servicingSettings } from '../../services/servicing-store.js';
import { loadLoan } from '../../services/loans.js';
import { previewRepayment, recordRecovery, repayLoan } from '../../services/servicing.js';
import { currentState, disclosure, disclosureCsv, loansCsv, noteRepayments, notesCsv, portfolio } from '../../services/statements.js';
import { requireUser, type AuthUser } from '../plugins/auth.js';
import { AmountMinor, Bps, CsvText, Errors, Grade, Id, IdempotencyHeaders, IsoDate, MinorUnits, Named, Nullable, OneOf, QueryInt, RefOf, Strict, Timestamp } from '../schemas.js';
import { Bucket, LoanStatus } from './loans.js';

const LoanParams = Strict({ id: Id('loan') });

const Parts = {
  penaltyMinor: Type.Integer({ description: 'late fees (fen)' }),
  interestMinor: MinorUnits,
  principalMinor: MinorUnits,
  prepaymentFeeMinor: Type.Integer({ description: 'fee on principal repaid ahead of schedule (fen)' }),
};
const RepaymentSource = OneOf(['borrower', 'order_sweep', 'recovery', 'payable_settlement', 'order_proceeds', 'guarantor'] as const, { description: 'where the money came from' });
const InstallmentPaid = Type.Object({ n: Type.Integer(), dueDate: IsoDate, early: Type.Boolean({ description: 'paid before its due date' }), ...Parts }, { description: 'what the payment paid on one installment' });

export const Repayment = Named(
  'Repayment',
  Type.Object(
    {
      id: RefOf('rep_…'),
      loanId: RefOf('loan_…'),
      amountMinor: MinorUnits,
      ...Parts,
      prepaymentFeeBps: Bps('the prepayment fee rate the payment was made under'),
      guarantorShareMinor: Type.Integer({ minimum: 0, description: "the part that went to the loan's guarantor for what it paid (docs/guarantees.md); the rest went to the note holders (fen)" }),
      paidOn: IsoDate,
      source: RepaymentSource,
      afterDefault: Type.Boolean({ description: 'the loan had defaulted: a recovery split pro rata' }),
      installments: Type.Array(InstallmentPaid),
      earlyInterestMinor: Type.Integer({ description: 'interest of the current period paid ahead of its due date (fen)' }),
      prepaidPrincipalMinor: Type.Integer({ description: 'principal repaid ahead of schedule (fen)' }),
      loanStatus: LoanStatus,
      outstandingMinor: Type.Integer({ description: "the loan's principal left after the payment (fen)" }),
      currency: Type.Literal('CNY'),
      createdAt: Timestamp,
    },
    {
      description: 'A payment into a loan: its parts and the installments it paid, not its split over the notes',
      example: {
        id: 'rep_0kx3p1q2r3s4',
        loanId: 'loan_0kx3n1c2d3e4',
        amountMinor: 3_525_000,
        penaltyMinor: 0,
        interestMinor: 275_000,
        principalMinor: 3_250_000,
        prepaymentFeeMinor: 0,
        prepaymentFeeBps: 100,
        guarantorShareMinor: 0,
        paidOn: '2026-12-09',
        source: 'borrower',
        afterDefault: false,
        installments: [{ n: 1, dueDate: '2026-12-09', early: false, penaltyMinor: 0, interestMinor: 275_000, principalMinor: 3_250_000, prepaymentFeeMinor: 0 }],
        earlyInterestMinor: 0,
        prepaidPrincipalMinor: 0,
        loanStatus: 'active',
        outstandingMinor: 16_750_000,
        currency: 'CNY',
        createdAt: '2026-12-09T02:00:00.000Z',
      },
    },
  ),
);

export const RepaymentPreview = Named(
  'RepaymentPreview',
  Type.Object({
    loanId: RefOf('loan_…'),
    paidOn: IsoDate,
    amountMinor: MinorUnits,
    ...Parts,
    prepaymentFeeBps: Bps('the prepayment fee rate in force'),
    earlyInterestMinor: MinorUnits,
    prepaidPrincipalMinor: MinorUnits,
    installments: Type.Array(InstallmentPaid),
    loanStatusAfter: LoanStatus,
    currency: Type.Literal('CNY'),
  }, { description: 'What a repayment of this amount today would pay (nothing is paid)' }),
);

export const Owed = Named(
  'Owed',
  Type.Object(
    {
      loanId: RefOf('loan_…'),
      date: IsoDate,
      status: LoanStatus,
      daysPastDue: Type.Integer(),
      bucket: Bucket,
      due: Type.Object({ penaltyMinor: MinorUnits, interestMinor: MinorUnits, principalMinor: MinorUnits, totalMinor: MinorUnits }, { description: 'what is due today' }),
      dueInstallments: Type.Array(Type.Object({ n: Type.Integer(), dueDate: IsoDate, penaltyMinor: MinorUnits, interestMinor: MinorUnits, principalMinor: MinorUnits }), { description: 'each due installment with anything unpaid, oldest first' }),
      accruedInterestMinor: Type.Integer({ description: 'interest accrued in the current period, not yet due (fen)' }),
      principalNotDueMinor: MinorUnits,
      prepaymentFeeMinor: Type.Integer({ description: 'the fee a payoff today would pay on principalNotDueMinor (fen)' }),
      prepaymentFeeBps: Bps('the prepayment fee rate in force'),
      payoffMinor: Type.Integer({ description: 'everything a payoff today would take (fen)' }),
      currency: Type.Literal('CNY'),
    },
    {
      description: 'What is due today and the payoff',
      example: {
        loanId: 'loan_0kx3n1c2d3e4',
        date: '2026-12-09',
        status: 'active',
        daysPastDue: 0,
        bucket: 'current',
        due: { penaltyMinor: 0, interestMinor: 275_000, principalMinor: 3_250_000, totalMinor: 3_525_000 },
        dueInstallments: [{ n: 1, dueDate: '2026-12-09', penaltyMinor: 0, interestMinor: 275_000, principalMinor: 3_250_000 }],
        accruedInterestMinor: 0,
        principalNotDueMinor: 16_750_000,
        prepaymentFeeMinor: 167_500,
        prepaymentFeeBps: 100,
        payoffMinor: 20_442_500,
        currency: 'CNY',
      },
    },
  ),
);

export const NoteRepayment = Named(
  'NoteRepayment',
  Type.Object({ repaymentId: RefOf('rep_…'), paidOn: IsoDate, source: RepaymentSource, afterDefault: Type.Boolean(), ...Parts, totalMinor: MinorUnits }, { description: 'what one payment paid to one note' }),
);

export const Portfolio = Named(
  'Portfolio',
  Type.Object(
    {
      asOf: IsoDate,
      currency: Type.Literal('CNY'),
      totals: Type.Object({
        notes: Type.Integer(),
        activeNotes: Type.Integer(),
        repaidNotes: Type.Integer(),
        soldNotes: Type.Integer(),
        defaultedNotes: Type.Integer(),
        principalLentMinor: MinorUnits,
        outstandingMinor: MinorUnits,
        lateOutstandingMinor: MinorUnits,
        defaultedOutstandingMinor: MinorUnits,
        receivedPrincipalMinor: MinorUnits,
        receivedInterestMinor: MinorUnits,
        receivedPenaltyMinor: MinorUnits,
        transferResultMinor: Type.Integer({ description: 'gains less losses and fees on notes bought and sold (fen)' }),
        receivedPrepaymentFeeMinor: MinorUnits,
        principalDays: Type.Integer({ description: 'outstanding principal (fen) × days held' }),
        realisedYieldBps: Nullable(Bps('realised yield per year; null: nothing held for a day yet')),
      }),
      transfers: Type.Object({
        boughtPrincipalMinor: MinorUnits,
        soldPrincipalMinor: MinorUnits,
        paidMinor: MinorUnits,
        receivedMinor: MinorUnits,
        feesMinor: MinorUnits,
        items: Type.Array(
          Type.Object({
            id: RefOf('the transfer'),
            direction: OneOf(['in', 'out'] as const, { description: 'in: bought; out: sold' }),
            offerId: RefOf('the offer'),
            loanId: RefOf('loan_…'),
            listingId: RefOf('lst_…'),
            noteId: RefOf('note_…, yours'),
            principalMinor: MinorUnits,
            priceBps: Bps('price per 10,000 of principal'),
            priceMinor: MinorUnits,
            accruedMinor: MinorUnits,
            feeMinor: MinorUnits,
            amountMinor: Type.Integer({ description: 'cash for you: received on a sale (after the fee), negative for a purchase (fen)' }),
            yieldToMaturityBps: Bps("the buyer's yield to maturity at the price, per year"),
            tradedOn: IsoDate,
            createdAt: Timestamp,
            currency: Type.Literal('CNY'),
          }),
          { description: 'the latest transfers, newest first' },
        ),
      }),
      byGrade: Type.Array(Type.Object({ grade: Grade, notes: Type.Integer(), principalMinor: MinorUnits, outstandingMinor: MinorUnits })),
      cashflow: Type.Array(
        Type.Object({
          month: Type.String({ description: 'YYYY-MM' }),
          expectedMinor: Type.Integer({ description: 'principal + interest due in the month by the contractual schedules (fen)' }),
          receivedMinor: Type.Integer({ description: 'everything received in the month (fen)' }),
        }),
      ),
    },
    {
      description: "A lender's portfolio: totals, realised yield, transfers, allocation by grade and cash by month",
      example: {
        asOf: '2026-12-09',
        currency: 'CNY',
        totals: { notes: 3, activeNotes: 3, repaidNotes: 0, soldNotes: 0, defaultedNotes: 0, principalLentMinor: 7_500_000, outstandingMinor: 6_200_000, lateOutstandingMinor: 0, defaultedOutstandingMinor: 0, receivedPrincipalMinor: 1_300_000, receivedInterestMinor: 110_000, receivedPenaltyMinor: 0, transferResultMinor: 0, receivedPrepaymentFeeMinor: 0, principalDays: 210_000_000, realisedYieldBps: 1911 },
        transfers: { boughtPrincipalMinor: 0, soldPrincipalMinor: 0, paidMinor: 0, receivedMinor: 0, feesMinor: 0, items: [] },
        byGrade: [{ grade: 'B', notes: 3, principalMinor: 7_500_000, outstandingMinor: 6_200_000 }],
        cashflow: [{ month: '2026-12', expectedMinor: 1_410_000, receivedMinor: 1_410_000 }],
      },
    },
  ),
);

const CSV_HEADERS = { 'content-type': 'text/csv; charset=utf-8' };

const Count = Type.Integer({ minimum: 0 });
const Minor = Type.Integer({ minimum: 0, description: 'integer minor units (fen)' });
const ShareBps = (description: string) => Type.Integer({ minimum: 0, maximum: 10_000, description: `${description}, basis points` });
const DisclosureGrade = Named(
  'DisclosureGrade',
  Type.Object({
    grade: Type.String({ description: 'rating grade, AA (best) to HR (high risk)' }),
    loans: Count,
    outstandingPrincipalMinor: Minor,
    lateLoans: Count,
    latePrincipalMinor: Minor,
    defaultedLoans: Count,
    defaultedPrincipalMinor: Minor,
    lateRateBps: ShareBps('late principal of outstanding'),
    defaultRateBps: ShareBps('defaulted principal of principal lent'),
  }),
);
const DisclosureMonth = Named(
  'DisclosureMonth',
  Type.Object({
    month: Type.String({ description: 'YYYY-MM' }),
    asOf: IsoDate,
    volumeLentMinor: Minor,
    loansDisbursed: Count,
    lentToDateMinor: Minor,
    loansToDate: Count,
    outstandingPrincipalMinor: Minor,
    outstandingLoans: Count,
    outstandingInterestMinor: Minor,
    borrowers: Count,
    lenders: Count,
    borrowersToDate: Count,
    lendersToDate: Count,
    top10ShareBps: ShareBps('share of outstanding of the 10 largest borrowers'),
    largestShareBps: ShareBps('share of outstanding of the largest borrower'),
    relatedPartyLoans: Count,
    relatedPartyOutstandingMinor: Minor,
    overdueLoans: Count,
    overduePrincipalMinor: Minor,
    overdue90Loans: Count,
    overdue90PrincipalMinor: Minor,
    overdueLoanRateBps: ShareBps('overdue loans of outstanding loans'),
    overdueAmountRateBps: ShareBps('overdue principal of outstanding principal'),
    guarantorPaidToDateMinor: Minor,
    guarantorPaymentsToDate: Count,
    lateRateBps: ShareBps('late principal of outstanding'),
    defaultRateBps: ShareBps('defaulted principal of principal lent'),
    byGrade: Type.Array(DisclosureGrade),
  }, { description: "a month's figures at its last day (today for the current month)" }),
);
export const Stats = Named(
  'Stats',
  Type.Object(
    {
      asOf: IsoDate,
      currency: Type.Literal('CNY'),
      feeSchedule: Type.Object(
        { platformFeeBps: Bps('platform fee on the principal, from the disbursement'), prepaymentFeeBps: Bps('fee on principal repaid ahead of schedule'), transferFeeBps: Bps("fee on a note's sale price, paid by the seller"), penaltyBpsPerDay: Bps('late fee per day on what is overdue') },
        { description: 'the settings in force that charge anyone' },
      ),
      months: Type.Array(DisclosureMonth),
    },
    {
      description: "The platform's public disclosure",
      example: {
        asOf: '2026-12-09',
        currency: 'CNY',
        feeSchedule: { platformFeeBps: 200, prepaymentFeeBps: 100, transferFeeBps: 50, penaltyBpsPerDay: 5 },
        months: [],
      },
    },
  ),
);

export const servicingRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const ctx = app.ctx;

  /** The loan if the caller is its borrower or holds one of its notes; NOT_FOUND otherwise (no probing). */
  async function visibleLoan(user: AuthUser, loanId: string) {
    const loaded = await loadLoan(ctx.db, loanId);
    const mine = loaded && (loaded.loan.borrowerUserId === user.id || loaded.notes.some((n) => n.lenderId === user.id));
    if (!loaded || !mine) throw new AppError('NOT_FOUND', 'no such loan of yours');
    return loaded;
  }

  app.post(
    '/loans/:id/repayments',
    {
      config: { access: ['borrower'], idempotent: true },
      schema: {
        operationId: 'repayLoan',
        tags: ['loans'],
        summary: 'Repay from your wallet: oldest installment first, penalty then interest then principal; the rest prepays principal (docs/market-rules.md §6)',
        headers: IdempotencyHeaders,
        params: LoanParams,
        body: Strict({ amountMinor: AmountMinor }),
        response: { 201: Repayment, ...Errors('NOT_FOUND', 'AMOUNT_INVALID', 'LOAN_NOT_ACTIVE', 'REPAYMENT_EXCEEDS_OWED', 'INSUFFICIENT_FUNDS', 'CONFLICT') },
      },
    },
    async (request, reply) => {
      const user = requireUser(request);
      return reply.code(201).send(await repayLoan(ctx, user.id, request.params.id, request.body.amountMinor, request.idempotencyKey));
    },
  );

  app.get(
    '/loans/:id/repayment-preview',
    {
      config: { access: ['borrower'] },
      schema: {
        operationId: 'previewRepayment',
        tags: ['loans'],
        summary: 'What a repayment of this amount today would pay: principal, interest, late fees and the prepayment fee on principal repaid ahead of schedule (nothing is paid)',
        params: LoanParams,
        querystring: Strict({ amountMinor: QueryInt(1_000_000_000_000) }),
        response: { 200: RepaymentPreview, ...Errors('NOT_FOUND', 'AMOUNT_INVALID', 'LOAN_NOT_ACTIVE', 'REPAYMENT_EXCEEDS_OWED', 'CONFLICT') },
      },
    },
    async (request) => previewRepayment(ctx, requireUser(request).id, request.params.id, Number(request.query.amountMinor)),
  );

  app.get(
    '/loans/:id/owed',
    {
      config: { access: ['borrower', 'lender'] },
      schema: {
        operationId: 'getLoanOwed',
        tags: ['loans'],
        summary: 'What is due today and the payoff (its borrower, or a lender holding one of its notes)',
        params: LoanParams,
        response: { 200: Owed, ...Errors('NOT_FOUND', 'CONFLICT') },
      },
    },
    async (request) => {
      const loaded = await visibleLoan(requireUser(request), request.params.id);
      const day = isoDateOfMs(ctx.clock.nowMs());
      if (compareIsoDate(day, loaded.state.servicedThrough) < 0) throw new AppError('CONFLICT', `the loan is serviced through ${loaded.state.servicedThrough}; retry`);
      const state = currentState(ctx, loaded.state, day);
      const owed = state.status === 'repaid' ? null : owedToday(state, day, servicingSettings(ctx.settings.get()));
      return {
        loanId: loaded.loan.id,
        date: day,
        status: state.status,
        // As of now, after today's payments.
        ...shownDelinquency({ status: state.status, ...delinquency(state, day, servicingSettings(ctx.settings.get())) }),
        due: owed?.due ?? { penaltyMinor: 0, interestMinor: 0, principalMinor: 0, totalMinor: 0 },
        dueInstallments: owed?.dueInstallments ?? [],
        accruedInterestMinor: owed?.accruedInterestMinor ?? 0,
        principalNotDueMinor: owed?.principalNotDueMinor ?? 0,
        prepaymentFeeMinor: owed?.prepaymentFeeMinor ?? 0,
        prepaymentFeeBps: ctx.settings.get().prepaymentFeeBps,
        payoffMinor: owed?.payoffMinor ?? 0,
        currency: 'CNY' as const,
      };
    },
  );

  app.get(
    '/me/portfolio',
    { config: { access: ['lender'] }, schema: { operationId: 'getMyPortfolio', tags: ['loans'], summary: 'Your portfolio: totals, realised yield, allocation by grade, cash received against the schedules by month', response: { 200: Portfolio } } },
    async (request) => portfolio(ctx, requireUser(request).id),
  );

  app.get(
    '/me/notes/:id/repayments',
    {
      config: { access: ['lender'] },
      schema: {
        operationId: 'listNoteRepayments',
        tags: ['loans'],
        summary: "One of your notes' repayment history: each payment it received, split into principal, interest, late fees and prepayment fee",
        params: Strict({ id: Id('note') }),
        response: {
          200: Type.Object({ noteId: RefOf('note_…'), loanId: RefOf('loan_…'), currency: Type.Literal('CNY'), items: Type.Array(NoteRepayment, { description: 'newest first' }) }),
          ...Errors('NOT_FOUND'),
        },
      },
    },
    async (request) => noteRepayments(ctx, requireUser(request).id, request.params.id),
  );

  app.get(
    '/me/notes.csv',
    { config: { access: ['lender'] }, schema: { operationId: 'downloadMyNotesCsv', tags: ['loans'], summary: 'Your notes as CSV (money in yuan with two decimals)', response: { 200: CsvText } } },
    async (request, reply) => reply.headers({ ...CSV_HEADERS, 'content-disposition': 'attachment; filename="lendbook-notes.csv"' }).send(await notesCsv(ctx, requireUser(request).id)),
  );

  app.get(
    '/me/loans.csv',
    { config: { access: ['borrower'] }, schema: { operationId: 'downloadMyLoansCsv', tags: ['loans'], summary: 'Your loans, one line per installment, as CSV (money in yuan with two decimals)', response: { 200: CsvText } } },
    async (request, reply) => reply.headers({ ...CSV_HEADERS, 'content-disposition': 'attachment; filename="lendbook-loans.csv"' }).send(await loansCsv(ctx, requireUser(request).id)),
  );

  app.get(
    '/stats',
    {
      config: { access: 'public' },
      schema: {
        operationId: 'disclosureStats',
        tags: ['disclosure'],
        summary: 'Public disclosure (docs/servicing.md "Disclosure"): for each past month at its last day and for today, lending to date, outstanding principal and interest, borrowers and lenders, concentration, related parties, overdue and over 90 days, guarantor payments, rates by grade, and the fee schedule in force',
        response: { 200: Stats },
      },
    },
    async () => disclosure(ctx),
  );

  app.get(
    '/stats.csv',
    {
      config: { access: 'public' },
      schema: {
        operationId: 'disclosureStatsCsv',
        tags: ['disclosure'],
        summary: 'The monthly disclosure figures as CSV, one row per month (money in yuan with two decimals, rates in bps)',
        response: { 200: CsvText },
      },
    },
    async (_request, reply) => reply.headers({ ...CSV_HEADERS, 'content-disposition': 'attachment; filename="lendbook-stats.csv"' }).send(await disclosureCsv(ctx)),
  );

  app.post(
    '/admin/loans/:id/recoveries',
    {
      config: { access: ['operator'], idempotent: true },
      schema: {
        operationId: 'recordLoanRecovery',
        tags: ['operators'],
        summary: 'Record proceeds from outside (a collateral sale): the custodian credits the note holders, split like any payment',
        headers: IdempotencyHeaders,
        params: LoanParams,
        body: Strict({ amountMinor: AmountMinor, reference: Type.String({ minLength: 1, maxLength: 200, pattern: '\\S' }) }),
        response: { 201: Repayment, ...Errors('NOT_FOUND', 'AMOUNT_INVALID', 'LOAN_NOT_ACTIVE', 'REPAYMENT_EXCEEDS_OWED', 'CONFLICT') },
      },
    },
    async (request, reply) => {
      const user = requireUser(request);
      return reply.code(201).send(await recordRecovery(ctx, user.id, request.params.id, request.body.amountMinor, request.body.reference, request.idempotencyKey));
    },
  );
};
