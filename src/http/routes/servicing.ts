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
import { AmountMinor, Id, IdempotencyHeaders, Problem, QueryInt, Strict } from '../schemas.js';

const LoanParams = Strict({ id: Id('loan') });

const Parts = { penaltyMinor: Type.Integer(), interestMinor: Type.Integer(), principalMinor: Type.Integer(), prepaymentFeeMinor: Type.Integer({ description: 'fee on principal repaid ahead of schedule' }) };
const RepaymentResponse = Type.Object({
  id: Type.String(),
  loanId: Type.String(),
  amountMinor: Type.Integer(),
  ...Parts,
  prepaymentFeeBps: Type.Integer({ description: 'the fee rate the payment was made under' }),
  paidOn: Type.String({ description: 'YYYY-MM-DD' }),
  source: Type.String({ description: 'borrower | order_sweep | recovery | payable_settlement | order_proceeds | guarantor' }),
  guarantorShareMinor: Type.Integer({ minimum: 0, description: "the part that went to the loan's guarantor for what it paid (docs/guarantees.md); the rest went to the note holders" }),
  afterDefault: Type.Boolean({ description: 'the loan had defaulted: a recovery split pro rata' }),
  installments: Type.Array(Type.Object({ n: Type.Integer(), dueDate: Type.String(), early: Type.Boolean(), ...Parts })),
  earlyInterestMinor: Type.Integer(),
  prepaidPrincipalMinor: Type.Integer(),
  loanStatus: Type.String(),
  outstandingMinor: Type.Integer(),
  currency: Type.String(),
  createdAt: Type.String(),
});

const CSV_HEADERS = { 'content-type': 'text/csv; charset=utf-8' };

const Bps = Type.Integer({ minimum: 0, maximum: 10_000 });
const Count = Type.Integer({ minimum: 0 });
const Minor = Type.Integer({ minimum: 0 });
const GradeRow = Type.Object({
  grade: Type.String(),
  loans: Count,
  outstandingPrincipalMinor: Minor,
  lateLoans: Count,
  latePrincipalMinor: Minor,
  defaultedLoans: Count,
  defaultedPrincipalMinor: Minor,
  lateRateBps: Bps,
  defaultRateBps: Bps,
});
const MonthRow = Type.Object({
  month: Type.String({ description: 'YYYY-MM' }),
  asOf: Type.String({ description: "YYYY-MM-DD: the month's last day, or today" }),
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
  top10ShareBps: Bps,
  largestShareBps: Bps,
  relatedPartyLoans: Count,
  relatedPartyOutstandingMinor: Minor,
  overdueLoans: Count,
  overduePrincipalMinor: Minor,
  overdue90Loans: Count,
  overdue90PrincipalMinor: Minor,
  overdueLoanRateBps: Bps,
  overdueAmountRateBps: Bps,
  guarantorPaidToDateMinor: Minor,
  guarantorPaymentsToDate: Count,
  lateRateBps: Bps,
  defaultRateBps: Bps,
  byGrade: Type.Array(GradeRow),
});
const StatsResponse = Type.Object({
  asOf: Type.String(),
  currency: Type.Literal('CNY'),
  feeSchedule: Type.Object({ platformFeeBps: Count, prepaymentFeeBps: Count, transferFeeBps: Count, penaltyBpsPerDay: Count }, { description: 'the settings in force that charge anyone' }),
  months: Type.Array(MonthRow),
});

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
        tags: ['loans'],
        summary: 'Repay from your wallet: oldest installment first, penalty then interest then principal; the rest prepays principal (docs/market-rules.md §6)',
        headers: IdempotencyHeaders,
        params: LoanParams,
        body: Strict({ amountMinor: AmountMinor }),
        response: { 201: RepaymentResponse, 404: Problem, 409: Problem, 422: Problem },
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
        tags: ['loans'],
        summary: 'What a repayment of this amount today would pay: principal, interest, late fees and the prepayment fee on principal repaid ahead of schedule (nothing is paid)',
        params: LoanParams,
        querystring: Strict({ amountMinor: QueryInt(1_000_000_000_000) }),
        response: {
          200: Type.Object({
            loanId: Type.String(),
            paidOn: Type.String(),
            amountMinor: Type.Integer(),
            ...Parts,
            prepaymentFeeBps: Type.Integer(),
            earlyInterestMinor: Type.Integer(),
            prepaidPrincipalMinor: Type.Integer(),
            installments: Type.Array(Type.Object({ n: Type.Integer(), dueDate: Type.String(), early: Type.Boolean(), ...Parts })),
            loanStatusAfter: Type.String(),
            currency: Type.String(),
          }),
          404: Problem,
          409: Problem,
          422: Problem,
        },
      },
    },
    async (request) => previewRepayment(ctx, requireUser(request).id, request.params.id, Number(request.query.amountMinor)),
  );

  app.get(
    '/loans/:id/owed',
    {
      config: { access: ['borrower', 'lender'] },
      schema: { tags: ['loans'], summary: 'What is due today and the payoff (its borrower, or a lender holding one of its notes)', params: LoanParams },
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
        currency: 'CNY',
      };
    },
  );

  app.get(
    '/me/portfolio',
    { config: { access: ['lender'] }, schema: { tags: ['loans'], summary: 'Your portfolio: totals, realised yield, allocation by grade, cash received against the schedules by month' } },
    async (request) => portfolio(ctx, requireUser(request).id),
  );

  app.get(
    '/me/notes/:id/repayments',
    {
      config: { access: ['lender'] },
      schema: {
        tags: ['loans'],
        summary: "One of your notes' repayment history: each payment it received, split into principal, interest, late fees and prepayment fee",
        params: Strict({ id: Id('note') }),
        response: {
          200: Type.Object({
            noteId: Type.String(),
            loanId: Type.String(),
            currency: Type.String(),
            items: Type.Array(Type.Object({ repaymentId: Type.String(), paidOn: Type.String(), source: Type.String(), afterDefault: Type.Boolean(), ...Parts, totalMinor: Type.Integer() })),
          }),
          404: Problem,
        },
      },
    },
    async (request) => noteRepayments(ctx, requireUser(request).id, request.params.id),
  );

  app.get(
    '/me/notes.csv',
    { config: { access: ['lender'] }, schema: { tags: ['loans'], summary: 'Your notes as CSV (money in yuan with two decimals)' } },
    async (request, reply) => reply.headers({ ...CSV_HEADERS, 'content-disposition': 'attachment; filename="lendbook-notes.csv"' }).send(await notesCsv(ctx, requireUser(request).id)),
  );

  app.get(
    '/me/loans.csv',
    { config: { access: ['borrower'] }, schema: { tags: ['loans'], summary: 'Your loans, one line per installment, as CSV (money in yuan with two decimals)' } },
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
        response: { 200: StatsResponse },
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
        response: { 200: Type.String({ description: 'text/csv' }) },
      },
    },
    async (_request, reply) => reply.headers({ ...CSV_HEADERS, 'content-disposition': 'attachment; filename="lendbook-stats.csv"' }).send(await disclosureCsv(ctx)),
  );

  app.post(
    '/admin/loans/:id/recoveries',
    {
      config: { access: ['operator'], idempotent: true },
      schema: {
        tags: ['operators'],
        summary: 'Record proceeds from outside (a collateral sale): the custodian credits the note holders, split like any payment',
        headers: IdempotencyHeaders,
        params: LoanParams,
        body: Strict({ amountMinor: AmountMinor, reference: Type.String({ minLength: 1, maxLength: 200, pattern: '\\S' }) }),
        response: { 201: RepaymentResponse, 404: Problem, 409: Problem, 422: Problem },
      },
    },
    async (request, reply) => {
      const user = requireUser(request);
      return reply.code(201).send(await recordRecovery(ctx, user.id, request.params.id, request.body.amountMinor, request.body.reference, request.idempotencyKey));
    },
  );
};
