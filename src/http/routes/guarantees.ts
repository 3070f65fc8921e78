import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import {
  acceptGuarantee,
  declineGuarantee,
  guarantorSelf,
  listGuarantors,
  myGuarantees,
  payGuarantee,
  registerGuarantor,
} from '../../services/guarantees.js';
import { requireUser } from '../plugins/auth.js';
import { AmountMinor, Currency, Id, IdempotencyHeaders, IsoDate, MinorUnits, Page, Pagination, Problem, Strict, Timestamp, parseLimit } from '../schemas.js';
import { Wallet } from './wallet.js';

const OPERATOR = ['operator'] as const;
const GUARANTOR = ['guarantor'] as const;
const Nullable = <T extends Parameters<typeof Type.Union>[0][number]>(t: T) => Type.Union([t, Type.Null()]);
const GuaranteeStatus = Type.Union([Type.Literal('pending'), Type.Literal('declined'), Type.Literal('active'), Type.Literal('owed'), Type.Literal('paid'), Type.Literal('ended')], {
  description: 'pending: waiting for the guarantor; active: behind the listing or loan; owed: the loan defaulted; paid: the guarantor paid; declined or ended: no longer stands behind it',
});

const Guarantor = Type.Object({
  id: Type.String(),
  name: Type.String(),
  licenceNo: Type.String(),
  registeredCapitalMinor: MinorUnits,
  capacityMinor: Type.Integer({ minimum: 0, description: 'GUARANTOR_LEVERAGE × registered capital' }),
  exposureMinor: Type.Integer({ minimum: 0, description: 'covered principal outstanding now' }),
  leftMinor: Type.Integer({ minimum: 0 }),
  currency: Currency,
});

const Guarantee = Type.Object({
  id: Type.String(),
  listingId: Type.String(),
  loanId: Nullable(Type.String()),
  listingTitle: Type.String(),
  merchantName: Type.String(),
  grade: Type.String(),
  amountMinor: MinorUnits,
  listingStatus: Type.String(),
  coveragePct: Type.Integer({ minimum: 1, maximum: 100 }),
  feeBps: Type.Integer({ minimum: 0, maximum: 1000 }),
  status: GuaranteeStatus,
  overdue: Type.Boolean({ description: 'owed and not paid by payBy' }),
  coveredMinor: Type.Integer({ minimum: 0, description: 'what this guarantee counts against the capacity now' }),
  loanOutstandingMinor: Nullable(Type.Integer({ minimum: 0 })),
  feeMinor: MinorUnits,
  owedMinor: MinorUnits,
  paidMinor: MinorUnits,
  recoveredMinor: MinorUnits,
  defaultedOn: Nullable(IsoDate),
  payBy: Nullable(IsoDate),
  paidOn: Nullable(IsoDate),
  currency: Currency,
  createdAt: Timestamp,
});

const GuaranteeParams = Strict({ id: Id('gte') });

/**
 * Third-party guarantors (docs/guarantees.md): operators register them; borrowers
 * see whom they may name; a guarantor sees its requests and guarantees, accepts or declines, and pays.
 */
export const guaranteeRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const ctx = app.ctx;

  app.post(
    '/admin/guarantors',
    {
      config: { access: OPERATOR, idempotent: true },
      schema: {
        operationId: 'registerGuarantor',
        tags: ['operators'],
        summary: 'Register a licensed guarantee company, with its own user (role guarantor) and custodian wallet',
        headers: IdempotencyHeaders,
        body: Strict({
          name: Type.String({ minLength: 1, maxLength: 120, pattern: '\\S' }),
          licenceNo: Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9_./-]+$' }),
          registeredCapitalMinor: AmountMinor,
          email: Type.String({ format: 'email', maxLength: 254 }),
          password: Type.String({ minLength: 1, maxLength: 200 }),
        }),
        response: { 201: Type.Object({ id: Type.String(), userId: Type.String() }), 409: Problem, 422: Problem },
      },
    },
    async (request, reply) => reply.code(201).send(await registerGuarantor(ctx, request.body, requireUser(request).id)),
  );

  app.get(
    '/admin/guarantors',
    {
      config: { access: OPERATOR },
      schema: { operationId: 'listGuarantorsForOperators', tags: ['operators'], summary: 'Guarantors with their capacity and covered principal outstanding', response: { 200: Type.Object({ items: Type.Array(Guarantor) }) } },
    },
    async () => listGuarantors(ctx),
  );

  app.get(
    '/guarantors',
    {
      config: { access: 'public' },
      schema: { operationId: 'listGuarantors', tags: ['guarantors'], summary: 'Guarantors a listing may name, with what each could still cover (public)', response: { 200: Type.Object({ items: Type.Array(Guarantor) }) } },
    },
    async () => listGuarantors(ctx),
  );

  app.get(
    '/me/guarantor',
    {
      config: { access: GUARANTOR },
      schema: {
        operationId: 'guarantorSelf',
        tags: ['guarantors'],
        summary: 'Your exposure against your capacity, what you owe, have paid and got back, and your wallet',
        response: {
          200: Type.Object({
            ...Guarantor.properties,
            owedMinor: MinorUnits,
            paidMinor: MinorUnits,
            recoveredMinor: MinorUnits,
            feesMinor: MinorUnits,
            pendingRequests: Type.Integer({ minimum: 0 }),
            overdue: Type.Integer({ minimum: 0 }),
            wallet: Wallet,
          }),
          403: Problem,
        },
      },
    },
    async (request) => guarantorSelf(ctx, requireUser(request).id),
  );

  app.get(
    '/guarantees',
    {
      config: { access: GUARANTOR },
      schema: {
        operationId: 'listGuarantees',
        tags: ['guarantors'],
        summary: 'Your guarantees and requests, newest first',
        querystring: Strict({ status: Type.Optional(GuaranteeStatus), ...Pagination }),
        response: { 200: Page(Guarantee), 403: Problem },
      },
    },
    async (request) => myGuarantees(ctx, requireUser(request).id, request.query.status, parseLimit(request.query.limit), request.query.cursor),
  );

  for (const [action, run, summary] of [
    ['accept', acceptGuarantee, 'Accept a request: within your capacity, the listing opens for bids'],
    ['decline', declineGuarantee, 'Decline a request: the listing is withdrawn'],
    ['pay', payGuarantee, 'Pay what you owe on a defaulted loan, from your wallet, to the note holders'],
  ] as const) {
    app.post(
      `/guarantees/:id/${action}`,
      {
        config: { access: GUARANTOR, idempotent: true },
        schema: {
          operationId: `${action}Guarantee`,
          tags: ['guarantors'],
          summary,
          headers: IdempotencyHeaders,
          params: GuaranteeParams,
          body: Type.Optional(Strict({})),
          response: { 200: Guarantee, 403: Problem, 404: Problem, 409: Problem, 422: Problem },
        },
      },
      async (request) => run(ctx, requireUser(request).id, request.params.id),
    );
  }
};
