import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { custodianCallback, deposit, walletLines, walletOf, withdraw } from '../../services/wallet.js';
import { annualStatement, periodOf, statementCsv, walletStatement } from '../../services/wallet-statement.js';
import { LINE_KINDS, type LineKind } from '../../domain/statement/index.js';
import { requireUser } from '../plugins/auth.js';
import { AmountMinor, Currency, CsvText, Errors, IdempotencyHeaders, IsoDate, MinorUnits, Named, Nullable, Page, Pagination, Strict, Timestamp, parseLimit } from '../schemas.js';

/** A custodian sub-account's balances (kept as a plain object: other routes spread its fields). */
export const Wallet = Named('Wallet', Type.Object({ availableMinor: MinorUnits, heldMinor: MinorUnits, currency: Currency }, { example: { availableMinor: 12_500_000, heldMinor: 2_000_000, currency: 'CNY' } }));

/** A deposit or withdrawal instruction to the custodian, with the wallet after it. */
export const Instruction = Named(
  'Instruction',
  Type.Object(
    {
      id: Type.String({ description: 'id, ci_…' }),
      kind: Type.Union([Type.Literal('deposit'), Type.Literal('withdrawal')]),
      amountMinor: MinorUnits,
      currency: Currency,
      status: Type.Union([Type.Literal('pending'), Type.Literal('completed'), Type.Literal('failed')]),
      createdAt: Timestamp,
      completedAt: Nullable(Timestamp),
      wallet: Wallet,
    },
    {
      example: {
        id: 'ci_0k3j5h2m9q8w',
        kind: 'deposit',
        amountMinor: 10_000_000,
        currency: 'CNY',
        status: 'completed',
        createdAt: '2026-11-02T08:00:00.000Z',
        completedAt: '2026-11-02T08:00:00.000Z',
        wallet: { availableMinor: 12_500_000, heldMinor: 2_000_000, currency: 'CNY' },
      },
    },
  ),
);

const HoldStatus = Type.Union([Type.Literal('pending'), Type.Literal('posted'), Type.Literal('released')]);

/** One ledger transfer touching the wallet. */
const LedgerLine = Named(
  'LedgerLine',
  Type.Object(
    {
      id: Type.String({ description: 'id of the ledger transfer, xfr_…' }),
      kind: Type.String({ description: 'the kind of ledger transfer (deposit, bid_hold, repayment, …)' }),
      direction: Type.Union([Type.Literal('credit'), Type.Literal('debit')], { description: 'credit: money into the wallet; debit: out of it' }),
      amountMinor: MinorUnits,
      currency: Currency,
      status: Type.Union([Type.Literal('pending'), Type.Literal('posted'), Type.Literal('released')], { description: 'pending: a hold still reserved; released: a voided hold (and the hold it released)' }),
      phase: Type.Union([Type.Literal('single'), Type.Literal('pending'), Type.Literal('post'), Type.Literal('void')]),
      holdId: Nullable(Type.String({ description: 'the hold a post or void resolves' })),
      reference: Nullable(Type.String({ description: 'the id of what the transfer is for (bid, instruction, note…)' })),
      createdAt: Timestamp,
    },
    {
      example: { id: 'xfr_dep_ci_0k3j5h2m9q8w', kind: 'deposit', direction: 'credit', amountMinor: 10_000_000, currency: 'CNY', status: 'posted', phase: 'single', holdId: null, reference: 'ci_0k3j5h2m9q8w', createdAt: '2026-11-02T08:00:00.000Z' },
    },
  ),
);

const WALLET_OWNERS = ['lender', 'borrower', 'guarantor'] as const;

const Balances = Type.Object({ availableMinor: MinorUnits, heldMinor: MinorUnits });
const SignedMinor = (description: string) => Type.Integer({ description: `${description}, signed integer minor units (fen)` });
const StatementLine = Named(
  'StatementLine',
  Type.Object({
    id: Type.String({ description: 'id of the (first) ledger transfer of the line, xfr_…' }),
    at: Timestamp,
    kind: Type.Unsafe<LineKind>({ type: 'string', enum: [...LINE_KINDS], description: 'what the line is for the wallet' }),
    amountMinor: MinorUnits,
    availableEffectMinor: SignedMinor('change of the available balance'),
    heldEffectMinor: SignedMinor('change of the held balance'),
    availableAfterMinor: MinorUnits,
    heldAfterMinor: MinorUnits,
    holdStatus: Type.Optional(HoldStatus),
    parts: Type.Integer({ description: 'ledger transfers summed into this line (notes of one disbursement or repayment)' }),
    refs: Type.Object({
      listingId: Type.Optional(Type.String({ description: 'id, lst_…' })),
      listingTitle: Type.Optional(Type.String()),
      bidId: Type.Optional(Type.String({ description: 'id, bid_…' })),
      loanId: Type.Optional(Type.String({ description: 'id, loan_…' })),
      noteId: Type.Optional(Type.String({ description: 'id, note_…' })),
      repaymentId: Type.Optional(Type.String({ description: 'id, rep_…' })),
      reason: Type.Optional(Type.String({ description: 'bid_released: why (outbid, or the status of the listing)' })),
      source: Type.Optional(Type.String({ description: 'repayments: where the money came from' })),
      split: Type.Optional(Type.Object({ principalMinor: MinorUnits, interestMinor: MinorUnits, penaltyMinor: MinorUnits, prepaymentFeeMinor: MinorUnits })),
    }),
  }),
);
const statementFields = {
  from: Timestamp,
  to: Timestamp,
  currency: Currency,
  opening: Balances,
  closing: Balances,
  lines: Type.Array(StatementLine),
};
const statementExample = {
  from: '2026-11-01T00:00:00.000Z',
  to: '2026-12-01T00:00:00.000Z',
  currency: 'CNY',
  opening: { availableMinor: 0, heldMinor: 0 },
  closing: { availableMinor: 10_000_000, heldMinor: 0 },
  lines: [{ id: 'xfr_dep_ci_0k3j5h2m9q8w', at: '2026-11-02T08:00:00.000Z', kind: 'deposit', amountMinor: 10_000_000, availableEffectMinor: 10_000_000, heldEffectMinor: 0, availableAfterMinor: 10_000_000, heldAfterMinor: 0, parts: 1, refs: {} }],
};
/** A period's statement: opening balances, lines with their signed effects and running balances, closing. */
const Statement = Named('Statement', Type.Object(statementFields, { example: statementExample }));
const AnnualStatement = Named(
  'StatementAnnual',
  Type.Object(
    {
      year: Type.Integer(),
      ...statementFields,
      totals: Type.Record(Type.String(), Type.Integer(), { description: 'sum of amountMinor per kind of line present in the year' }),
    },
    { example: { year: 2026, ...statementExample, from: '2026-01-01T00:00:00.000Z', to: '2027-01-01T00:00:00.000Z', totals: { deposit: 10_000_000 } } },
  ),
);
const CustodianAck = Named(
  'InstructionCallbackResult',
  Type.Object({
    id: Type.String({ description: 'id, ci_…' }),
    status: Type.Union([Type.Literal('completed'), Type.Literal('failed')]),
    duplicate: Type.Boolean({ description: 'the instruction already had this outcome: nothing changed' }),
  }),
);
const PeriodQuery = Strict({ from: Type.Optional(IsoDate), to: Type.Optional(IsoDate) });

export const walletRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const ctx = app.ctx;

  app.get(
    '/wallet',
    { config: { access: WALLET_OWNERS }, schema: { operationId: 'getWallet', tags: ['wallet'], summary: 'Your custodian sub-account', response: { 200: Wallet } } },
    async (request) => walletOf(ctx.db, requireUser(request).id),
  );

  app.post(
    '/wallet/deposits',
    {
      config: { access: WALLET_OWNERS, idempotent: true },
      schema: {
        operationId: 'createDeposit',
        tags: ['wallet'],
        summary: 'Deposit through the custodian (lenders need KYC first)',
        headers: IdempotencyHeaders,
        body: Strict({ amountMinor: AmountMinor }),
        response: { 201: Instruction, ...Errors('AMOUNT_INVALID', 'KYC_REQUIRED', 'NOT_FOUND', 'TRANSFER_CONFLICT', 'CONFLICT') },
      },
    },
    async (request, reply) => reply.code(201).send(await deposit(ctx, requireUser(request).id, request.body.amountMinor, request.idempotencyKey)),
  );

  app.post(
    '/wallet/withdrawals',
    {
      config: { access: WALLET_OWNERS, idempotent: true },
      schema: {
        operationId: 'createWithdrawal',
        tags: ['wallet'],
        summary: 'Withdraw to your bank account through the custodian',
        headers: IdempotencyHeaders,
        body: Strict({ amountMinor: AmountMinor }),
        response: { 201: Instruction, ...Errors('AMOUNT_INVALID', 'KYC_REQUIRED', 'NOT_FOUND', 'ACCOUNT_FROZEN', 'INSUFFICIENT_FUNDS', 'TRANSFER_CONFLICT', 'HOLD_NOT_PENDING', 'CONFLICT') },
      },
    },
    async (request, reply) => reply.code(201).send(await withdraw(ctx, requireUser(request).id, request.body.amountMinor, request.idempotencyKey)),
  );

  app.get(
    '/wallet/transfers',
    {
      config: { access: WALLET_OWNERS },
      schema: { operationId: 'listWalletTransfers', tags: ['wallet'], summary: 'The ledger lines of your wallet, newest first', querystring: Strict(Pagination), response: { 200: Page(LedgerLine) } },
    },
    async (request) => walletLines(ctx.db, requireUser(request).id, parseLimit(request.query.limit), request.query.cursor),
  );

  app.get(
    '/wallet/statement',
    {
      config: { access: WALLET_OWNERS },
      schema: {
        operationId: 'getWalletStatement',
        tags: ['wallet'],
        summary: 'Your statement for a period (default: this month): opening balances, each line with its signed effect on available and held and the balances after it, closing balances',
        querystring: PeriodQuery,
        response: { 200: Statement, ...Errors('STATEMENT_TOO_LONG') },
      },
    },
    async (request) => walletStatement(ctx, requireUser(request).id, periodOf(ctx.clock.nowMs(), request.query.from, request.query.to)),
  );

  app.get(
    '/wallet/statement.csv',
    {
      config: { access: WALLET_OWNERS },
      schema: {
        operationId: 'downloadWalletStatementCsv',
        tags: ['wallet'],
        summary: 'The statement of a period as CSV (money in yuan with two decimals)',
        querystring: PeriodQuery,
        response: { 200: CsvText, ...Errors('STATEMENT_TOO_LONG') },
      },
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
        operationId: 'getAnnualWalletStatement',
        tags: ['wallet'],
        summary: 'The annual statement: the year from 1 January to 31 December (UTC) with totals by kind of line',
        params: Strict({ year: Type.String({ pattern: '^(20[0-9]{2})$' }) }),
        response: { 200: AnnualStatement, ...Errors('STATEMENT_TOO_LONG') },
      },
    },
    async (request) => annualStatement(ctx, requireUser(request).id, Number(request.params.year)),
  );

  app.post(
    '/custodian/callbacks',
    {
      config: { access: 'custodian' },
      schema: {
        operationId: 'confirmCustodianInstruction',
        tags: ['wallet'],
        summary: 'The custodian confirms or refuses a deposit or withdrawal (HMAC-signed like the partner API, key id "custodian")',
        body: Strict({
          instructionId: Type.String({ pattern: '^ci_[0-9a-z]{10,40}$' }),
          status: Type.Union([Type.Literal('completed'), Type.Literal('failed')]),
          externalRef: Type.String({ minLength: 1, maxLength: 100 }),
        }),
        response: { 200: CustodianAck, ...Errors('NOT_FOUND', 'WITHDRAWAL_NOT_PENDING', 'TRANSFER_CONFLICT', 'HOLD_NOT_PENDING') },
      },
    },
    async (request) => custodianCallback(ctx, request.body),
  );
};
