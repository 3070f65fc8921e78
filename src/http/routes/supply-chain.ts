import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { AppError } from '../../domain/errors.js';
import { GRADES } from '../../domain/grades.js';
import { assignClaimTo, coreSelf, issuePayable, listCoreEnterprises, myClaims, payableView, registerCoreEnterprise, type CoreCaller } from '../../services/claims.js';
import { rotatePartnerKey } from '../../services/partners.js';
import { payOrderProceeds, settlePayable } from '../../services/settlement.js';
import { accountOf, depositInto } from '../../services/wallet.js';
import { requireUser } from '../plugins/auth.js';
import { AmountMinor, Currency, Id, IdempotencyHeaders, IsoDate, MinorUnits, Page, Pagination, Problem, Strict, Timestamp, parseLimit } from '../schemas.js';
import { Instruction, Wallet } from './wallet.js';

const Ref = Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9_.:-]+$' });
const Grade = Type.Union(GRADES.map((g) => Type.Literal(g)));
const GradeOut = Type.String({ description: 'AA, A, B, C, D, E or HR' });
const OPERATOR = ['operator'] as const;
const Nullable = <T extends Parameters<typeof Type.Union>[0][number]>(t: T) => Type.Union([t, Type.Null()]);

const CoreEnterprise = Type.Object({
  id: Type.String(),
  partnerId: Type.String(),
  name: Type.String(),
  legalForm: Type.String(),
  grade: GradeOut,
  limitMinor: MinorUnits,
  usedMinor: MinorUnits,
  leftMinor: MinorUnits,
  currency: Currency,
  createdAt: Timestamp,
});
const ChainLink = Type.Object({ merchantName: Type.String(), tier: Type.Integer({ description: '0: the issuing core enterprise' }) });
const Pledge = Type.Object({ listingId: Type.String(), loanId: Nullable(Type.String()) });
const PayableClaim = Type.Object({
  id: Type.String(),
  holderMerchantRef: Type.String(),
  holderName: Type.String(),
  amountMinor: MinorUnits,
  tier: Type.Integer(),
  parentId: Nullable(Type.String()),
  pledgedTo: Type.Optional(Pledge),
  toLoanMinor: Type.Optional(MinorUnits),
  toHolderMinor: Type.Optional(MinorUnits),
});
const Payable = Type.Object({
  payableRef: Type.String(),
  supplierMerchantRef: Type.String(),
  amountMinor: MinorUnits,
  currency: Currency,
  dueDate: IsoDate,
  orderIds: Type.Array(Type.String()),
  status: Type.Union([Type.Literal('outstanding'), Type.Literal('settled')]),
  issuedAt: Timestamp,
  settledOn: Nullable(IsoDate),
  claims: Type.Array(PayableClaim),
});
const Claim = Type.Object({
  id: Type.String(),
  payableRef: Type.String(),
  coreEnterprise: Type.Object({ id: Type.String(), name: Type.String(), grade: GradeOut }),
  amountMinor: MinorUnits,
  originalAmountMinor: MinorUnits,
  currency: Currency,
  dueDate: IsoDate,
  tier: Type.Integer(),
  parentId: Nullable(Type.String()),
  chain: Type.Array(ChainLink),
  status: Type.Union([Type.Literal('active'), Type.Literal('due'), Type.Literal('settled'), Type.Literal('passed_on')]),
  assignedTo: Type.Array(Type.Object({ claimId: Type.String(), merchantName: Type.String(), amountMinor: MinorUnits, tier: Type.Integer() })),
  pledgedTo: Type.Optional(Pledge),
  toLoanMinor: Type.Optional(MinorUnits),
  toHolderMinor: Type.Optional(MinorUnits),
  settledOn: Type.Optional(Nullable(IsoDate)),
  createdAt: Timestamp,
});
const Proceeds = Type.Object({
  merchantRef: Type.String(),
  orderId: Type.String(),
  amountMinor: MinorUnits,
  toLoanMinor: MinorUnits,
  toMerchantMinor: MinorUnits,
  loanId: Type.Optional(Type.String()),
  currency: Currency,
});

function coreOf(request: { partner: { partnerId: string; coreEnterpriseId: string | null } | null }): CoreCaller {
  if (!request.partner?.coreEnterpriseId) throw new AppError('UNAUTHENTICATED', "sign the request with your core enterprise's key");
  return { partnerId: request.partner.partnerId, coreEnterpriseId: request.partner.coreEnterpriseId };
}

function partnerOf(request: { partner: { partnerId: string } | null }): string {
  if (!request.partner) throw new AppError('UNAUTHENTICATED', 'sign the request with your partner key');
  return request.partner.partnerId;
}

/**
 * Supply-chain finance (docs/supply-chain.md): operators register core enterprises; a core enterprise,
 * signed with its own key, confirms payables, settles them and funds its account; borrowers see and
 * assign their claims; the order system funds its settlement account and pays in orders' proceeds.
 */
export const supplyChainRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const ctx = app.ctx;
  const core = { access: 'core' as const };

  app.post(
    '/admin/core-enterprises',
    {
      config: { access: OPERATOR },
      schema: {
        tags: ['operators'],
        summary: 'Register a core enterprise under an order system: its signed key (secret shown once), grade, issuance limit and custodian account',
        body: Strict({
          partnerId: Id('prt'),
          name: Type.String({ minLength: 1, maxLength: 120, pattern: '\\S' }),
          legalForm: Type.Union([Type.Literal('legal_person'), Type.Literal('natural_person')]),
          grade: Grade,
          limitMinor: AmountMinor,
        }),
        response: { 201: Type.Object({ id: Type.String(), keyId: Type.String(), secret: Type.String({ description: 'shown once' }) }), 404: Problem },
      },
    },
    async (request, reply) => reply.code(201).send(await registerCoreEnterprise(ctx, request.body, requireUser(request).id)),
  );

  app.get(
    '/admin/core-enterprises',
    {
      config: { access: OPERATOR },
      schema: {
        tags: ['operators'],
        summary: 'Core enterprises with their issuance limit in use, their account and their key',
        response: {
          200: Type.Object({
            items: Type.Array(
              Type.Object({ ...CoreEnterprise.properties, partnerName: Type.String(), keyId: Nullable(Type.String()), outstandingPayables: Type.Integer(), wallet: Wallet }),
            ),
          }),
        },
      },
    },
    async () => listCoreEnterprises(ctx),
  );

  app.post(
    '/admin/core-enterprises/:keyId/rotate',
    {
      config: { access: OPERATOR },
      schema: {
        tags: ['operators'],
        summary: "Rotate a core enterprise's key: a new secret (shown once); the previous one stays valid until the next rotation",
        params: Strict({ keyId: Type.String({ pattern: '^ck_[0-9a-z]{10,40}$' }) }),
        response: { 200: Type.Object({ partnerId: Type.String(), keyId: Type.String(), secret: Type.String() }), 404: Problem },
      },
    },
    async (request) => rotatePartnerKey(ctx, request.params.keyId),
  );

  app.post(
    '/core/payables',
    {
      config: { ...core, idempotent: true },
      schema: {
        tags: ['core enterprise'],
        summary: 'Confirm a payable to a supplier: a tier-1 claim it holds (idempotent by payableRef)',
        headers: IdempotencyHeaders,
        body: Strict({
          payableRef: Ref,
          supplierMerchantRef: Ref,
          amountMinor: AmountMinor,
          dueDate: IsoDate,
          orderIds: Type.Optional(Type.Array(Ref, { maxItems: 500 })),
        }),
        response: { 200: Type.Object({ payableRef: Type.String(), claimId: Type.String() }), 201: Type.Object({ payableRef: Type.String(), claimId: Type.String() }), 404: Problem, 409: Problem, 422: Problem },
      },
    },
    async (request, reply) => {
      const { created, ...issued } = await issuePayable(ctx, coreOf(request), request.body);
      return reply.code(created ? 201 : 200).send(issued);
    },
  );

  app.get(
    '/core/payables/:ref',
    {
      config: core,
      schema: { tags: ['core enterprise'], summary: 'A payable: who holds what of it now', params: Strict({ ref: Ref }), response: { 200: Payable, 404: Problem } },
    },
    async (request) => payableView(ctx.db, coreOf(request).coreEnterpriseId, request.params.ref),
  );

  app.post(
    '/core/payables/:ref/settle',
    {
      config: { ...core, idempotent: true },
      schema: {
        tags: ['core enterprise'],
        summary: "Pay a payable from your account on or after its due date: each claim's loan first, its holder the rest",
        headers: IdempotencyHeaders,
        params: Strict({ ref: Ref }),
        body: Strict({}),
        response: { 200: Payable, 404: Problem, 409: Problem, 422: Problem },
      },
    },
    async (request) => settlePayable(ctx, coreOf(request), request.params.ref),
  );

  app.get(
    '/core/wallet',
    {
      config: core,
      schema: {
        tags: ['core enterprise'],
        summary: 'Your custodian account, and your issuance limit in use',
        response: { 200: Type.Object({ ...Wallet.properties, coreEnterprise: CoreEnterprise }) },
      },
    },
    async (request) => {
      const self = await coreSelf(ctx, coreOf(request));
      const { wallet, ...coreEnterprise } = self;
      return { ...wallet, coreEnterprise };
    },
  );

  app.post(
    '/core/wallet/deposits',
    {
      config: { ...core, idempotent: true },
      schema: { tags: ['core enterprise'], summary: 'Fund your account through the custodian', headers: IdempotencyHeaders, body: Strict({ amountMinor: AmountMinor }), response: { 201: Instruction, 422: Problem } },
    },
    async (request, reply) => reply.code(201).send(await depositInto(ctx, coreOf(request).coreEnterpriseId, request.body.amountMinor, request.idempotencyKey)),
  );

  app.get(
    '/me/claims',
    {
      config: { access: ['borrower'] },
      schema: { tags: ['claims'], summary: 'The claims your merchant holds or held, with their chains', querystring: Strict(Pagination), response: { 200: Page(Claim) } },
    },
    async (request) => myClaims(ctx, requireUser(request).id, parseLimit(request.query.limit), request.query.cursor),
  );

  app.post(
    '/claims/:id/assign',
    {
      config: { access: ['borrower'], idempotent: true },
      schema: {
        tags: ['claims'],
        summary: 'Pass part or all of a claim to one of your suppliers (whole yuan, at least ¥100): the new claim',
        headers: IdempotencyHeaders,
        params: Strict({ id: Id('clm') }),
        body: Strict({ toMerchantRef: Ref, amountMinor: AmountMinor }),
        response: { 201: Claim, 404: Problem, 409: Problem, 422: Problem },
      },
    },
    async (request, reply) => reply.code(201).send(await assignClaimTo(ctx, requireUser(request).id, request.params.id, request.body, request.idempotencyKey)),
  );

  app.get(
    '/partner/wallet',
    { config: { access: 'partner' }, schema: { tags: ['partner'], summary: 'Your settlement account with the custodian', response: { 200: Wallet } } },
    async (request) => accountOf(ctx.db, partnerOf(request)),
  );

  app.post(
    '/partner/wallet/deposits',
    {
      config: { access: 'partner', idempotent: true },
      schema: { tags: ['partner'], summary: 'Fund your settlement account through the custodian', headers: IdempotencyHeaders, body: Strict({ amountMinor: AmountMinor }), response: { 201: Instruction, 422: Problem } },
    },
    async (request, reply) => reply.code(201).send(await depositInto(ctx, partnerOf(request), request.body.amountMinor, request.idempotencyKey)),
  );

  app.post(
    '/partner/merchants/:ref/orders/:orderId/proceeds',
    {
      config: { access: 'partner', idempotent: true },
      schema: {
        tags: ['partner'],
        summary: "Pay in an order's proceeds from your settlement account: the loan it backs first, the merchant the rest (once per order)",
        headers: IdempotencyHeaders,
        params: Strict({ ref: Ref, orderId: Ref }),
        body: Strict({ amountMinor: AmountMinor }),
        response: { 200: Proceeds, 201: Proceeds, 404: Problem, 409: Problem, 422: Problem },
      },
    },
    async (request, reply) => {
      const { result, created } = await payOrderProceeds(ctx, partnerOf(request), request.params.ref, request.params.orderId, request.body.amountMinor);
      return reply.code(created ? 201 : 200).send(result);
    },
  );
};
