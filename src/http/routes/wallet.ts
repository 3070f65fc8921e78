import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { custodianCallback, deposit, walletLines, walletOf, withdraw } from '../../services/wallet.js';
import { requireUser } from '../plugins/auth.js';
import { AmountMinor, Currency, IdempotencyHeaders, MinorUnits, Page, Pagination, Problem, Strict, Timestamp, parseLimit } from '../schemas.js';

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

const WALLET_OWNERS = ['lender', 'borrower'] as const;

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
