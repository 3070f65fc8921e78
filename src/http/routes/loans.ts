import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { BUCKETS } from '../../domain/servicing/index.js';
import { NOT_TRANSFERABLE_REASONS } from '../../domain/transfers/index.js';
import { loanView, myLoans, myNotes } from '../../services/loan-reads.js';
import { requireUser } from '../plugins/auth.js';
import { Bps, Errors, Grade, Id, IsoDate, MinorUnits, Named, Nullable, OneOf, Page, Pagination, parseLimit, RefOf, Strict, Timestamp } from '../schemas.js';

/** One of a list of words: a union of literals, typed as the union of the words. */

export const Bucket = OneOf(BUCKETS, { description: 'days-past-due bucket (docs/servicing.md)' });
export const LoanStatus = OneOf(['active', 'repaid', 'defaulted'] as const);
export const NoteStatus = OneOf(['active', 'repaid', 'defaulted', 'sold'] as const);
const Standing = OneOf(['current', 'late', 'defaulted', 'repaid'] as const, { description: 'the one standing every page shows, as of today' });
const RepaymentKind = OneOf(['equal_installment', 'equal_principal', 'interest_only', 'bullet'] as const);

export const ScheduleInstallment = Named(
  'ScheduleInstallment',
  Type.Object(
    {
      n: Type.Integer({ description: 'installment number, from 1' }),
      dueDate: IsoDate,
      principalMinor: MinorUnits,
      interestMinor: MinorUnits,
      feeMinor: Type.Integer({ description: 'late fees accrued (fen)' }),
      paidMinor: MinorUnits,
      leftMinor: Type.Integer({ description: 'left to pay: principal + interest + late fees − paid (fen)' }),
      status: OneOf(['paid', 'partly_paid', 'upcoming', 'due', 'overdue'] as const),
    },
    { example: { n: 1, dueDate: '2026-12-09', principalMinor: 3_250_000, interestMinor: 275_000, feeMinor: 0, paidMinor: 0, leftMinor: 3_525_000, status: 'upcoming' } },
  ),
);

const noteFigures = {
  principalMinor: MinorUnits,
  rateBps: Bps('rate of the note, per year'),
  outstandingMinor: Type.Integer({ description: 'principal left (fen)' }),
  receivedPrincipalMinor: MinorUnits,
  receivedInterestMinor: MinorUnits,
  receivedPenaltyMinor: MinorUnits,
  receivedPrepaymentFeeMinor: MinorUnits,
};

export const Loan = Named(
  'Loan',
  Type.Object(
    {
      id: RefOf('loan_…'),
      listingId: RefOf('lst_…'),
      title: Type.String(),
      standing: Standing,
      nextDue: Nullable(Type.Object({ n: Type.Integer(), dueDate: IsoDate, amountMinor: Type.Integer({ description: 'what is left of it (fen)' }) }, { description: 'the oldest installment with anything unpaid' })),
      principalMinor: MinorUnits,
      outstandingMinor: Type.Integer({ description: 'principal left (fen)' }),
      rateBps: Bps('rate of the loan, per year'),
      termMonths: Nullable(Type.Integer({ description: 'months; null for a bullet (maturesOn)' })),
      repayment: RepaymentKind,
      maturesOn: Nullable(IsoDate),
      pricing: OneOf(['uniform', 'pay_as_bid'] as const),
      product: OneOf(['credit', 'order', 'warehouse_receipt', 'claim'] as const),
      grade: Grade,
      feeMinor: Type.Integer({ description: 'platform fee taken from the disbursement (fen)' }),
      currency: Type.Literal('CNY'),
      status: LoanStatus,
      disbursedOn: IsoDate,
      servicedThrough: IsoDate,
      daysPastDue: Type.Integer(),
      bucket: Bucket,
      lateInstallments: Type.Array(Type.Integer(), { description: 'numbers of the installments unpaid past the grace days' }),
      defaultedOn: Nullable(IsoDate),
      nextDueDate: Nullable(IsoDate),
      paidMinor: Type.Integer({ description: 'everything paid to the notes so far (fen)' }),
      noteCount: Type.Integer({ description: 'how many lenders hold it' }),
      schedule: Type.Array(ScheduleInstallment),
      myNotes: Type.Array(Type.Object({ id: RefOf('note_…'), ...noteFigures, status: NoteStatus }), { description: "the caller's own notes of the loan (empty for its borrower)" }),
    },
    {
      description: 'A loan with its schedule as of now',
      example: {
        id: 'loan_0kx3n1c2d3e4',
        listingId: 'lst_0kx3m2p9q7r1',
        title: 'Spring stock for the Tmall shop',
        standing: 'current',
        nextDue: { n: 1, dueDate: '2026-12-09', amountMinor: 3_525_000 },
        principalMinor: 20_000_000,
        outstandingMinor: 20_000_000,
        rateBps: 1650,
        termMonths: 6,
        repayment: 'equal_installment',
        maturesOn: null,
        pricing: 'uniform',
        product: 'credit',
        grade: 'B',
        feeMinor: 400_000,
        currency: 'CNY',
        status: 'active',
        disbursedOn: '2026-11-09',
        servicedThrough: '2026-11-20',
        daysPastDue: 0,
        bucket: 'current',
        lateInstallments: [],
        defaultedOn: null,
        nextDueDate: '2026-12-09',
        paidMinor: 0,
        noteCount: 7,
        schedule: [{ n: 1, dueDate: '2026-12-09', principalMinor: 3_250_000, interestMinor: 275_000, feeMinor: 0, paidMinor: 0, leftMinor: 3_525_000, status: 'upcoming' }],
        myNotes: [],
      },
    },
  ),
);

export const LoanSummary = Named(
  'LoanSummary',
  Type.Object(
    {
      id: RefOf('loan_…'),
      listingId: RefOf('lst_…'),
      title: Type.String(),
      principalMinor: MinorUnits,
      outstandingMinor: Type.Integer({ description: 'principal left (fen)' }),
      rateBps: Bps('rate of the loan, per year'),
      termMonths: Nullable(Type.Integer({ description: 'months; null for a bullet (maturesOn)' })),
      repayment: RepaymentKind,
      maturesOn: Nullable(IsoDate),
      status: LoanStatus,
      standing: Standing,
      nextDue: Nullable(IsoDate),
      nextDueAmountMinor: Type.Integer({ description: 'what is left of the next installment (fen); 0 when none' }),
      daysPastDue: Type.Integer(),
      bucket: Bucket,
      currency: Type.Literal('CNY'),
    },
    {
      description: "A borrower's loan in a list, with its standing as of today",
      example: { id: 'loan_0kx3n1c2d3e4', listingId: 'lst_0kx3m2p9q7r1', title: 'Spring stock for the Tmall shop', principalMinor: 20_000_000, outstandingMinor: 20_000_000, rateBps: 1650, termMonths: 6, repayment: 'equal_installment', maturesOn: null, status: 'active', standing: 'current', nextDue: '2026-12-09', nextDueAmountMinor: 3_525_000, daysPastDue: 0, bucket: 'current', currency: 'CNY' },
    },
  ),
);

export const Note = Named(
  'Note',
  Type.Object(
    {
      daysPastDue: Type.Integer(),
      bucket: Bucket,
      standing: Standing,
      id: RefOf('note_…'),
      loanId: RefOf('loan_…'),
      listingId: RefOf('lst_…'),
      title: Type.String(),
      grade: Grade,
      ...noteFigures,
      status: NoteStatus,
      loanStatus: LoanStatus,
      acquiredVia: OneOf(['auction', 'transfer'] as const),
      acquiredAt: Timestamp,
      soldPrincipalMinor: Type.Integer({ description: 'principal sold on to other lenders (fen)' }),
      openOfferId: Nullable(RefOf('the open offer of the note')),
      sellable: Type.Boolean({ description: 'may be offered for sale today' }),
      notSellableReason: Nullable(OneOf(NOT_TRANSFERABLE_REASONS)),
      currency: Type.Literal('CNY'),
    },
    {
      description: "A lender's note, with its loan's standing as of today and its side of the secondary market",
      example: {
        daysPastDue: 0,
        bucket: 'current',
        standing: 'current',
        id: 'note_0kx3n5f6g7h8',
        loanId: 'loan_0kx3n1c2d3e4',
        listingId: 'lst_0kx3m2p9q7r1',
        title: 'Spring stock for the Tmall shop',
        grade: 'B',
        principalMinor: 2_500_000,
        rateBps: 1650,
        outstandingMinor: 2_500_000,
        receivedPrincipalMinor: 0,
        receivedInterestMinor: 0,
        receivedPenaltyMinor: 0,
        receivedPrepaymentFeeMinor: 0,
        status: 'active',
        loanStatus: 'active',
        acquiredVia: 'auction',
        acquiredAt: '2026-11-09T08:00:02.000Z',
        soldPrincipalMinor: 0,
        openOfferId: null,
        sellable: false,
        notSellableReason: 'hold_period',
        currency: 'CNY',
      },
    },
  ),
);

export const loanRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const ctx = app.ctx;

  app.get(
    '/loans/:id',
    {
      config: { access: ['borrower', 'lender'] },
      schema: {
        operationId: 'getLoan',
        tags: ['loans'],
        summary: 'A loan with its schedule (its borrower, or a lender holding one of its notes)',
        params: Strict({ id: Id('loan') }),
        response: { 200: Loan, ...Errors('NOT_FOUND') },
      },
    },
    async (request) => loanView(ctx, requireUser(request).id, request.params.id),
  );

  app.get(
    '/me/loans',
    {
      config: { access: ['borrower'] },
      schema: { operationId: 'listMyLoans', tags: ['loans'], summary: 'Your loans, newest first, each with its standing as of today', querystring: Strict(Pagination), response: { 200: Page(LoanSummary) } },
    },
    async (request) => myLoans(ctx, requireUser(request).id, parseLimit(request.query.limit), request.query.cursor),
  );

  app.get(
    '/me/notes',
    {
      config: { access: ['lender'] },
      schema: { operationId: 'listMyNotes', tags: ['loans'], summary: "Your notes (portfolio), newest first, each with its loan's standing as of today", querystring: Strict(Pagination), response: { 200: Page(Note) } },
    },
    async (request) => myNotes(ctx, requireUser(request).id, parseLimit(request.query.limit), request.query.cursor),
  );
};
