import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { custodianCallback, deposit, walletLines, walletOf, withdraw } from '../../services/wallet.js';
import { annualStatement, periodOf, statementCsv, walletStatement } from '../../services/wallet-statement.js';
import { LINE_KINDS } from '../../domain/statement/index.js';
import { requireUser } from '../plugins/auth.js';
import { AmountMinor, Currency, IdempotencyHeaders, IsoDate, MinorUnits, Page, Pagination, Problem, Strict, Timestamp, parseLimit } from '../schemas.js';

export const Wallet = Type.Object({ availableMinor: MinorUnits, heldMinor: MinorUnits, currency: Currency });
export const Instruction = Type.Object({
  id: Type.String(),
  kind: Type.String(),
  amountMinor: MinorUnits,
  currency: Currency,
  status: Type.String({ description: 'pending | completed | failed' }),
  createdAt: Timestamp,
  completedAt: Type.Union([Timestamp, Type.Null()]),
  wallet: Wallet,
});
const LedgerLine = Type.Object({
  id: Type.String(),
  kind: Type.String(),
  direction: Type.String(),
  amountMinor: MinorUnits,
  currency: Currency,
  status: Type.String(),
  phase: Type.String(),
  holdId: Type.Union([Type.String(), Type.Null()]),
  reference: Type.Union([Type.String(), Type.Null()]),
  createdAt: Timestamp,
});

const WALLET_OWNERS = ['lender', 'borrower', 'guarantor'] as const;

const Balances = Type.Object({ availableMinor: MinorUnits, heldMinor: MinorUnits });
const StatementLine = Type.Object({
  id: Type.String(),
  at: Timestamp,
  kind: Type.String({ description: LINE_KINDS.join(' | ') }),
  amountMinor: MinorUnits,
  availableEffectMinor: Type.Integer({ description: 'signed change of the available balance' }),
  heldEffectMinor: Type.Integer({ description: 'signed change of the held balance' }),
  availableAfterMinor: MinorUnits,
  heldAfterMinor: MinorUnits,
  holdStatus: Type.Optional(Type.Union([Type.Literal('pending'), Type.Literal('posted'), Type.Literal('released')])),
  parts: Type.Integer({ description: 'ledger transfers summed into this line (notes of one disbursement or repayment)' }),
  refs: Type.Object({
    listingId: Type.Optional(Type.String()),
    listingTitle: Type.Optional(Type.String()),
    bidId: Type.Optional(Type.String()),
    loanId: Type.Optional(Type.String()),
    noteId: Type.Optional(Type.String()),
    repaymentId: Type.Optional(Type.String()),
    reason: Type.Optional(Type.String()),
    source: Type.Optional(Type.String()),
    split: Type.Optional(Type.Object({ principalMinor: Type.Integer(), interestMinor: Type.Integer(), penaltyMinor: Type.Integer(), prepaymentFeeMinor: Type.Integer() })),
  }),
});
const Statement = Type.Object({ from: Timestamp, to: Timestamp, currency: Currency, opening: Balances, closing: Balances, lines: Type.Array(StatementLine) });
const PeriodQuery = Strict({ from: Type.Optional(IsoDate), to: Type.Optional(IsoDate) });

export const walletRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const ctx = app.ctx;

  app.get(
    '/wallet',
    { config: { access: WALLET_OWNERS }, schema: { tags: ['wallet'], summary: 'Your custodian sub-account', response: { 200: Wallet } } },
    async (request) => walletOf(ctx.db, requireUser(request).id),
  );

  app.post(
    '/wallet/deposits',
    {
      config: { access: WALLET_OWNERS, idempotent: true },
      schema: {
        tags: ['wallet'],
        summary: 'Deposit through the custodian (lenders need KYC first)',
        headers: IdempotencyHeaders,
        body: Strict({ amountMinor: AmountMinor }),
        response: { 201: Instruction, 422: Problem },
      },
    },
    async (request, reply) => reply.code(201).send(await deposit(ctx, requireUser(request).id, request.body.amountMinor, request.idempotencyKey)),
  );

  app.post(
    '/wallet/withdrawals',
    {
      config: { access: WALLET_OWNERS, idempotent: true },
      schema: {
        tags: ['wallet'],
        summary: 'Withdraw to your bank account through the custodian',
        headers: IdempotencyHeaders,
        body: Strict({ amountMinor: AmountMinor }),
        response: { 201: Instruction, 422: Problem },
      },
    },
    async (request, reply) => reply.code(201).send(await withdraw(ctx, requireUser(request).id, request.body.amountMinor, request.idempotencyKey)),
  );

  app.get(
    '/wallet/transfers',
    {
      config: { access: WALLET_OWNERS },
      schema: { tags: ['wallet'], summary: 'The ledger lines of your wallet, newest first', querystring: Strict(Pagination), response: { 200: Page(LedgerLine) } },
    },
    async (request) => walletLines(ctx.db, requireUser(request).id, parseLimit(request.query.limit), request.query.cursor),
  );

  app.get(
    '/wallet/statement',
    {
      config: { access: WALLET_OWNERS },
      schema: {
        tags: ['wallet'],
        summary: 'Your statement for a period (default: this month): opening balances, each line with its signed effect on available and held and the balances after it, closing balances',
        querystring: PeriodQuery,
        response: { 200: Statement, 400: Problem, 422: Problem },
      },
    },
    async (request) => walletStatement(ctx, requireUser(request).id, periodOf(ctx.clock.nowMs(), request.query.from, request.query.to)),
  );

  app.get(
    '/wallet/statement.csv',
    {
      config: { access: WALLET_OWNERS },
      schema: { tags: ['wallet'], summary: 'The statement of a period as CSV (money in yuan with two decimals)', querystring: PeriodQuery, response: { 200: Type.String(), 400: Problem, 422: Problem } },
    },
    async (request, reply) => {
      const period = periodOf(ctx.clock.nowMs(), request.query.from, request.query.to);
      const name = `lendbook-statement-${period.from.toISOString().slice(0, 10)}.csv`;
      return reply.headers({ 'content-type': 'text/csv; charset=utf-8', 'content-disposition': `attachment; filename="${name}"` }).send(await statementCsv(ctx, requireUser(request).id, period));
    },
  );

  app.get(
    '/wallet/statements/:year',
    {
      config: { access: WALLET_OWNERS },
      schema: {
        tags: ['wallet'],
        summary: 'The annual statement: the year from 1 January to 31 December (UTC) with totals by kind of line',
        params: Strict({ year: Type.String({ pattern: '^(20[0-9]{2})$' }) }),
        response: { 200: Type.Intersect([Type.Object({ year: Type.Integer(), totals: Type.Record(Type.String(), Type.Integer()) }), Statement]), 422: Problem },
      },
    },
    async (request) => annualStatement(ctx, requireUser(request).id, Number(request.params.year)),
  );

  app.post(
    '/custodian/callbacks',
    {
      config: { access: 'custodian' },
      schema: {
        tags: ['wallet'],
        summary: 'The custodian confirms or refuses a deposit or withdrawal (HMAC-signed like the partner API, key id "custodian")',
        body: Strict({
          instructionId: Type.String({ pattern: '^ci_[0-9a-z]{10,40}$' }),
          status: Type.Union([Type.Literal('completed'), Type.Literal('failed')]),
          externalRef: Type.String({ minLength: 1, maxLength: 100 }),
        }),
        response: { 200: Type.Object({ id: Type.String(), status: Type.String(), duplicate: Type.Boolean() }) },
      },
    },
    async (request) => custodianCallback(ctx, request.body),
  );
};
