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
import { AmountMinor, Currency, Errors, Grade, Id, IdempotencyHeaders, IsoDate, MinorUnits, Named, Nullable, Page, Pagination, Strict, Timestamp, parseLimit } from '../schemas.js';
import { Wallet } from './wallet.js';

const OPERATOR = ['operator'] as const;
const GUARANTOR = ['guarantor'] as const;
const GuaranteeStatus = Type.Union([Type.Literal('pending'), Type.Literal('declined'), Type.Literal('active'), Type.Literal('owed'), Type.Literal('paid'), Type.Literal('ended')], {
  description: 'pending: waiting for the guarantor; active: behind the listing or loan; owed: the loan defaulted; paid: the guarantor paid; declined or ended: no longer stands behind it',
});
const ListingStatus = Type.Union([Type.Literal('pending_guarantee'), Type.Literal('open'), Type.Literal('cleared'), Type.Literal('failed'), Type.Literal('withdrawn')]);

const guarantorFields = {
  id: Type.String({ description: 'id, gtr_…' }),
  name: Type.String(),
  licenceNo: Type.String(),
  registeredCapitalMinor: MinorUnits,
  capacityMinor: Type.Integer({ minimum: 0, description: 'GUARANTOR_LEVERAGE × registered capital, integer minor units (fen)' }),
  exposureMinor: Type.Integer({ minimum: 0, description: 'covered principal outstanding now, integer minor units (fen)' }),
  leftMinor: Type.Integer({ minimum: 0, description: 'capacity not yet used, integer minor units (fen)' }),
  currency: Currency,
};
const guarantorExample = {
  id: 'gtr_0k3h8w1q2e5r',
  name: 'Hangzhou Credit Guarantee Co.',
  licenceNo: 'ZJ-2019-0042',
  registeredCapitalMinor: 10_000_000_000,
  capacityMinor: 100_000_000_000,
  exposureMinor: 12_500_000,
  leftMinor: 99_987_500_000,
  currency: 'CNY',
};

export const Guarantor = Named('Guarantor', Type.Object(guarantorFields, { description: 'A licensed guarantee company and what it could still cover', example: guarantorExample }));

export const GuarantorSelf = Named(
  'GuarantorSelf',
  Type.Object(
    {
      ...guarantorFields,
      owedMinor: Type.Integer({ description: 'owed on defaulted loans and not yet paid, integer minor units (fen)' }),
      paidMinor: MinorUnits,
      recoveredMinor: MinorUnits,
      feesMinor: MinorUnits,
      pendingRequests: Type.Integer({ minimum: 0 }),
      overdue: Type.Integer({ minimum: 0, description: 'owed guarantees past their payBy date' }),
      wallet: Wallet,
    },
    {
      description: "The guarantor's own summary",
      example: { ...guarantorExample, owedMinor: 0, paidMinor: 0, recoveredMinor: 0, feesMinor: 62_500, pendingRequests: 1, overdue: 0, wallet: { availableMinor: 50_000_000, heldMinor: 0, currency: 'CNY' } },
    },
  ),
);

export const Guarantee = Named(
  'Guarantee',
  Type.Object(
    {
      id: Type.String({ description: 'id, gte_…' }),
      listingId: Type.String({ description: 'id, lst_…' }),
      loanId: Nullable(Type.String({ description: 'id, loan_…; null until the listing clears' })),
      listingTitle: Type.String(),
      merchantName: Type.String(),
      grade: Grade,
      amountMinor: MinorUnits,
      listingStatus: ListingStatus,
      coveragePct: Type.Integer({ minimum: 1, maximum: 100, description: 'per cent of each note covered' }),
      feeBps: Type.Integer({ minimum: 0, maximum: 1000, description: "the guarantor's fee, basis points of the amount" }),
      status: GuaranteeStatus,
      overdue: Type.Boolean({ description: 'owed and not paid by payBy' }),
      coveredMinor: Type.Integer({ minimum: 0, description: 'what this guarantee counts against the capacity now, integer minor units (fen)' }),
      loanOutstandingMinor: Nullable(Type.Integer({ minimum: 0, description: 'outstanding principal of the loan, integer minor units (fen); null before it exists' })),
      feeMinor: MinorUnits,
      owedMinor: MinorUnits,
      paidMinor: MinorUnits,
      recoveredMinor: MinorUnits,
      defaultedOn: Nullable(IsoDate),
      payBy: Nullable(IsoDate),
      paidOn: Nullable(IsoDate),
      currency: Currency,
      createdAt: Timestamp,
    },
    {
      description: 'A guarantee (or a request for one) as its guarantor sees it',
      example: {
        id: 'gte_0k3h9a7b2c4d',
        listingId: 'lst_0k3h9a6z1x2y',
        loanId: null,
        listingTitle: 'Spring stock for the Tmall store',
        merchantName: 'Ningbo Tea House',
        grade: 'B',
        amountMinor: 5_000_000,
        listingStatus: 'pending_guarantee',
        coveragePct: 80,
        feeBps: 150,
        status: 'pending',
        overdue: false,
        coveredMinor: 0,
        loanOutstandingMinor: null,
        feeMinor: 0,
        owedMinor: 0,
        paidMinor: 0,
        recoveredMinor: 0,
        defaultedOn: null,
        payBy: null,
        paidOn: null,
        currency: 'CNY',
        createdAt: '2026-11-02T08:00:00.000Z',
      },
    },
  ),
);

const GuarantorRegistered = Named(
  'GuarantorRegistered',
  Type.Object({ id: Type.String({ description: 'id, gtr_…' }), userId: Type.String({ description: "id of the guarantor's user, usr_…" }) }, { example: { id: 'gtr_0k3h8w1q2e5r', userId: 'usr_0k3h8w1q2e5s' } }),
);

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
        response: {
          201: GuarantorRegistered,
          ...Errors('PASSWORD_WEAK', 'EMAIL_TAKEN', 'GUARANTOR_EXISTS', 'CONFLICT'),
        },
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
        response: { 200: GuarantorSelf },
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
        response: { 200: Page(Guarantee) },
      },
    },
    async (request) => myGuarantees(ctx, requireUser(request).id, request.query.status, parseLimit(request.query.limit), request.query.cursor),
  );

  for (const [action, run, summary, errors] of [
    ['accept', acceptGuarantee, 'Accept a request: within your capacity, the listing opens for bids', Errors('NOT_FOUND', 'GUARANTEE_NOT_PENDING', 'GUARANTOR_CAPACITY_EXCEEDED', 'CONFLICT')],
    ['decline', declineGuarantee, 'Decline a request: the listing is withdrawn', Errors('NOT_FOUND', 'GUARANTEE_NOT_PENDING', 'CONFLICT')],
    ['pay', payGuarantee, 'Pay what you owe on a defaulted loan, from your wallet, to the note holders', Errors('NOT_FOUND', 'GUARANTEE_NOT_OWED', 'INSUFFICIENT_FUNDS', 'CONFLICT')],
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
          response: { 200: Guarantee, ...errors },
        },
      },
      async (request) => run(ctx, requireUser(request).id, request.params.id),
    );
  }
};
