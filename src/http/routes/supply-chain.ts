import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { AppError } from '../../domain/errors.js';
import { GRADES } from '../../domain/grades.js';
import { assignClaimTo, coreSelf, issuePayable, listCoreEnterprises, myClaims, payableView, registerCoreEnterprise, type CoreCaller } from '../../services/claims.js';
import { rotatePartnerKey } from '../../services/partners.js';
import { payOrderProceeds, settlePayable } from '../../services/settlement.js';
import { accountOf, depositInto } from '../../services/wallet.js';
import { requireUser } from '../plugins/auth.js';
import { AmountMinor, Currency, Errors, Grade, Id, IdempotencyHeaders, IsoDate, MinorUnits, Named, Nullable, Page, Pagination, Strict, Timestamp, parseLimit } from '../schemas.js';
import { Instruction, Wallet } from './wallet.js';

const Ref = Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9_.:-]+$' });
const GradeIn = Type.Union(GRADES.map((g) => Type.Literal(g)));
const OPERATOR = ['operator'] as const;
const LegalForm = Type.Union([Type.Literal('legal_person'), Type.Literal('natural_person')]);
const at = '2026-11-02T08:00:00.000Z';

const coreEnterpriseFields = {
  id: Type.String({ description: 'id, ce_…' }),
  partnerId: Type.String({ description: 'the order system it was registered under, prt_…' }),
  name: Type.String(),
  legalForm: LegalForm,
  grade: Grade,
  limitMinor: Type.Integer({ description: 'issuance limit: unpaid payables at most this, integer minor units (fen)' }),
  usedMinor: Type.Integer({ description: 'unpaid payables now, integer minor units (fen)' }),
  leftMinor: Type.Integer({ minimum: 0, description: 'limit not in use, integer minor units (fen)' }),
  currency: Currency,
  createdAt: Timestamp,
};
const coreEnterpriseExample = { id: 'ce_0k3h8w1q2e5r', partnerId: 'prt_0k3h8w0a1b2c', name: 'Zhejiang Dairy Group', legalForm: 'legal_person', grade: 'A', limitMinor: 5_000_000_000, usedMinor: 120_000_000, leftMinor: 4_880_000_000, currency: 'CNY', createdAt: at };
const walletExample = { availableMinor: 300_000_000, heldMinor: 0, currency: 'CNY' };

export const CoreEnterprise = Named('CoreEnterprise', Type.Object(coreEnterpriseFields, { description: 'A core enterprise and its issuance limit in use', example: coreEnterpriseExample }));

export const CoreEnterpriseForOperators = Named(
  'CoreEnterpriseForOperators',
  Type.Object(
    {
      ...coreEnterpriseFields,
      partnerName: Type.String(),
      keyId: Nullable(Type.String({ description: 'its active signing key, ck_…; null when revoked' })),
      outstandingPayables: Type.Integer({ minimum: 0 }),
      wallet: Wallet,
    },
    { example: { ...coreEnterpriseExample, partnerName: 'ShopOS', keyId: 'ck_0k3h8w1q2e5s', outstandingPayables: 3, wallet: walletExample } },
  ),
);

export const CoreEnterpriseCredentials = Named(
  'CoreEnterpriseCredentials',
  Type.Object(
    { id: Type.String({ description: 'id, ce_…' }), keyId: Type.String({ description: 'its signing key, ck_…' }), secret: Type.String({ description: 'shown once' }) },
    { example: { id: 'ce_0k3h8w1q2e5r', keyId: 'ck_0k3h8w1q2e5s', secret: 'sk_3q9…' } },
  ),
);

export const CoreEnterpriseKey = Named(
  'CoreEnterpriseKey',
  Type.Object(
    {
      partnerId: Type.String({ description: 'id, prt_…' }),
      keyId: Type.String({ description: 'ck_…' }),
      secret: Type.String({ description: 'the new secret, shown once' }),
      n: Type.Integer({ minimum: 1, description: "the secret's number: one more at each rotation" }),
    },
    { example: { partnerId: 'prt_0k3h8w0a1b2c', keyId: 'ck_0k3h8w1q2e5s', secret: 'sk_7c1…', n: 2 } },
  ),
);

export const CoreEnterpriseWallet = Named(
  'CoreEnterpriseWallet',
  Type.Object({ availableMinor: MinorUnits, heldMinor: MinorUnits, currency: Currency, coreEnterprise: CoreEnterprise }, { description: 'The core enterprise account and its issuance limit in use', example: { ...walletExample, coreEnterprise: coreEnterpriseExample } }),
);

const Pledge = Type.Object({ listingId: Type.String({ description: 'id, lst_…' }), loanId: Nullable(Type.String({ description: 'id, loan_…; null until the listing clears' })) }, { description: 'what the claim backs' });

export const PayableClaim = Named(
  'PayableClaim',
  Type.Object(
    {
      id: Type.String({ description: 'id, clm_…' }),
      holderMerchantRef: Type.String(),
      holderName: Type.String(),
      amountMinor: MinorUnits,
      tier: Type.Integer({ minimum: 1 }),
      parentId: Nullable(Type.String({ description: 'the claim it was assigned from, clm_…; null at tier 1' })),
      pledgedTo: Type.Optional(Pledge),
      toLoanMinor: Type.Optional(Type.Integer({ description: 'once settled: paid into the loan it backs, integer minor units (fen)' })),
      toHolderMinor: Type.Optional(Type.Integer({ description: 'once settled: paid to its holder, integer minor units (fen)' })),
    },
    {
      description: 'A claim of a payable, as its core enterprise sees it',
      example: { id: 'clm_0k3h8w1q2e5u', holderMerchantRef: 'yiwu-pack', holderName: 'Yiwu Packaging', amountMinor: 5_000_000, tier: 2, parentId: 'clm_0k3h8w1q2e5t', pledgedTo: { listingId: 'lst_0k3h8w1q2e5w', loanId: 'loan_0k3h8w1q2e5x' }, toLoanMinor: 4_100_000, toHolderMinor: 900_000 },
    },
  ),
);

export const Payable = Named(
  'Payable',
  Type.Object(
    {
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
    },
    {
      description: 'A payable confirmed by its core enterprise, and who holds what of it now',
      example: {
        payableRef: 'PO-2026-1107',
        supplierMerchantRef: 'shop-1042',
        amountMinor: 20_000_000,
        currency: 'CNY',
        dueDate: '2027-02-01',
        orderIds: ['o-88231'],
        status: 'outstanding',
        issuedAt: at,
        settledOn: null,
        claims: [{ id: 'clm_0k3h8w1q2e5t', holderMerchantRef: 'shop-1042', holderName: 'Ningbo Tea House', amountMinor: 20_000_000, tier: 1, parentId: null }],
      },
    },
  ),
);

export const PayableIssued = Named(
  'PayableIssued',
  Type.Object({ payableRef: Type.String(), claimId: Type.String({ description: 'the tier-1 claim, clm_…' }) }, { example: { payableRef: 'PO-2026-1107', claimId: 'clm_0k3h8w1q2e5t' } }),
);

export const Claim = Named(
  'Claim',
  Type.Object(
    {
      id: Type.String({ description: 'id, clm_…' }),
      payableRef: Type.String(),
      coreEnterprise: Type.Object({ id: Type.String({ description: 'id, ce_…' }), name: Type.String(), grade: Grade }),
      amountMinor: Type.Integer({ minimum: 0, description: 'held now, integer minor units (fen)' }),
      originalAmountMinor: MinorUnits,
      currency: Currency,
      dueDate: IsoDate,
      tier: Type.Integer({ minimum: 1 }),
      parentId: Nullable(Type.String({ description: 'the claim it was assigned from, clm_…; null at tier 1' })),
      chain: Type.Array(Type.Object({ merchantName: Type.String(), tier: Type.Integer({ description: '0: the issuing core enterprise' }) })),
      status: Type.Union([Type.Literal('active'), Type.Literal('due'), Type.Literal('settled'), Type.Literal('passed_on')], {
        description: 'active: may be assigned or financed; due: waiting for the core enterprise; settled: paid; passed_on: nothing left',
      }),
      assignedTo: Type.Array(Type.Object({ claimId: Type.String({ description: 'id, clm_…' }), merchantName: Type.String(), amountMinor: MinorUnits, tier: Type.Integer() })),
      pledgedTo: Type.Optional(Pledge),
      toLoanMinor: Type.Optional(Type.Integer({ description: 'once settled: paid into the loan it backs, integer minor units (fen)' })),
      toHolderMinor: Type.Optional(Type.Integer({ description: 'once settled: paid to its holder, integer minor units (fen)' })),
      settledOn: Type.Optional(Nullable(IsoDate)),
      createdAt: Timestamp,
    },
    {
      description: 'A claim on a core enterprise as its holder sees it',
      example: {
        id: 'clm_0k3h8w1q2e5t',
        payableRef: 'PO-2026-1107',
        coreEnterprise: { id: 'ce_0k3h8w1q2e5r', name: 'Zhejiang Dairy Group', grade: 'A' },
        amountMinor: 15_000_000,
        originalAmountMinor: 20_000_000,
        currency: 'CNY',
        dueDate: '2027-02-01',
        tier: 1,
        parentId: null,
        chain: [
          { merchantName: 'Zhejiang Dairy Group', tier: 0 },
          { merchantName: 'Ningbo Tea House', tier: 1 },
        ],
        status: 'active',
        assignedTo: [{ claimId: 'clm_0k3h8w1q2e5u', merchantName: 'Yiwu Packaging', amountMinor: 5_000_000, tier: 2 }],
        createdAt: at,
      },
    },
  ),
);

export const Proceeds = Named(
  'Proceeds',
  Type.Object(
    {
      merchantRef: Type.String(),
      orderId: Type.String(),
      amountMinor: MinorUnits,
      toLoanMinor: MinorUnits,
      toMerchantMinor: MinorUnits,
      loanId: Type.Optional(Type.String({ description: 'the loan paid, loan_…; absent when none was' })),
      currency: Currency,
    },
    { description: "An order's proceeds as they were paid in", example: { merchantRef: 'shop-1042', orderId: 'o-88231', amountMinor: 120_000, toLoanMinor: 90_000, toMerchantMinor: 30_000, loanId: 'loan_0k3h8w1q2e5v', currency: 'CNY' } },
  ),
);

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
        operationId: 'registerCoreEnterprise',
        tags: ['operators'],
        summary: 'Register a core enterprise under an order system: its signed key (secret shown once), grade, issuance limit and custodian account',
        body: Strict({
          partnerId: Id('prt'),
          name: Type.String({ minLength: 1, maxLength: 120, pattern: '\\S' }),
          legalForm: Type.Union([Type.Literal('legal_person'), Type.Literal('natural_person')]),
          grade: GradeIn,
          limitMinor: AmountMinor,
        }),
        response: { 201: CoreEnterpriseCredentials, ...Errors('NOT_FOUND') },
      },
    },
    async (request, reply) => reply.code(201).send(await registerCoreEnterprise(ctx, request.body, requireUser(request).id)),
  );

  app.get(
    '/admin/core-enterprises',
    {
      config: { access: OPERATOR },
      schema: {
        operationId: 'listCoreEnterprises',
        tags: ['operators'],
        summary: 'Core enterprises with their issuance limit in use, their account and their key',
        response: { 200: Type.Object({ items: Type.Array(CoreEnterpriseForOperators) }) },
      },
    },
    async () => listCoreEnterprises(ctx),
  );

  app.post(
    '/admin/core-enterprises/:keyId/rotate',
    {
      config: { access: OPERATOR },
      schema: {
        operationId: 'rotateCoreEnterpriseKey',
        tags: ['operators'],
        summary: "Rotate a core enterprise's key: a new secret (shown once); the previous one stays valid until the next rotation",
        params: Strict({ keyId: Type.String({ pattern: '^ck_[0-9a-z]{10,40}$' }) }),
        response: { 200: CoreEnterpriseKey, ...Errors('NOT_FOUND') },
      },
    },
    async (request) => rotatePartnerKey(ctx, request.params.keyId),
  );

  app.post(
    '/core/payables',
    {
      config: { ...core, idempotent: true },
      schema: {
        operationId: 'issuePayable',
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
        response: {
          200: PayableIssued,
          201: PayableIssued,
          ...Errors('MERCHANT_NOT_FOUND', 'PAYABLE_EXISTS', 'MERCHANT_NO_ACCOUNT', 'PAYABLE_DUE_DATE_INVALID', 'CORE_LIMIT_EXCEEDED', 'CONFLICT'),
        },
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
      schema: {
        operationId: 'getPayable',
        tags: ['core enterprise'],
        summary: 'A payable: who holds what of it now',
        params: Strict({ ref: Ref }),
        response: { 200: Payable, ...Errors('NOT_FOUND') },
      },
    },
    async (request) => payableView(ctx.db, coreOf(request).coreEnterpriseId, request.params.ref),
  );

  app.post(
    '/core/payables/:ref/settle',
    {
      config: { ...core, idempotent: true },
      schema: {
        operationId: 'settlePayable',
        tags: ['core enterprise'],
        summary: "Pay a payable from your account on or after its due date: each claim's loan first, its holder the rest",
        headers: IdempotencyHeaders,
        params: Strict({ ref: Ref }),
        body: Strict({}),
        response: { 200: Payable, ...Errors('NOT_FOUND', 'PAYABLE_NOT_DUE', 'PAYABLE_SETTLING', 'INSUFFICIENT_FUNDS', 'CONFLICT') },
      },
    },
    async (request) => settlePayable(ctx, coreOf(request), request.params.ref),
  );

  app.get(
    '/core/wallet',
    {
      config: core,
      schema: {
        operationId: 'getCoreEnterpriseWallet',
        tags: ['core enterprise'],
        summary: 'Your custodian account, and your issuance limit in use',
        response: { 200: CoreEnterpriseWallet },
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
      schema: {
        operationId: 'depositToCoreEnterpriseWallet',
        tags: ['core enterprise'],
        summary: 'Fund your account through the custodian',
        headers: IdempotencyHeaders,
        body: Strict({ amountMinor: AmountMinor }),
        response: { 201: Instruction, ...Errors('AMOUNT_INVALID') },
      },
    },
    async (request, reply) => reply.code(201).send(await depositInto(ctx, coreOf(request).coreEnterpriseId, request.body.amountMinor, request.idempotencyKey)),
  );

  app.get(
    '/me/claims',
    {
      config: { access: ['borrower'] },
      schema: {
        operationId: 'listMyClaims',
        tags: ['claims'],
        summary: 'The claims your merchant holds or held, with their chains',
        querystring: Strict(Pagination),
        response: { 200: Page(Claim), ...Errors('MERCHANT_NOT_LINKED') },
      },
    },
    async (request) => myClaims(ctx, requireUser(request).id, parseLimit(request.query.limit), request.query.cursor),
  );

  app.post(
    '/claims/:id/assign',
    {
      config: { access: ['borrower'], idempotent: true },
      schema: {
        operationId: 'assignClaim',
        tags: ['claims'],
        summary: 'Pass part or all of a claim to one of your suppliers (whole yuan, at least ¥100): the new claim',
        headers: IdempotencyHeaders,
        params: Strict({ id: Id('clm') }),
        body: Strict({ toMerchantRef: Ref, amountMinor: AmountMinor }),
        response: {
          201: Claim,
          ...Errors('MERCHANT_NOT_LINKED', 'NOT_FOUND', 'MERCHANT_NOT_FOUND', 'CLAIM_NOT_ACTIVE', 'CLAIM_PLEDGED', 'CLAIM_TIER_EXCEEDED', 'CLAIM_AMOUNT_INVALID', 'MERCHANT_NO_ACCOUNT', 'CONFLICT'),
        },
      },
    },
    async (request, reply) => reply.code(201).send(await assignClaimTo(ctx, requireUser(request).id, request.params.id, request.body, request.idempotencyKey)),
  );

  app.get(
    '/partner/wallet',
    { config: { access: 'partner' }, schema: { operationId: 'getPartnerWallet', tags: ['partner'], summary: 'Your settlement account with the custodian', response: { 200: Wallet } } },
    async (request) => accountOf(ctx.db, partnerOf(request)),
  );

  app.post(
    '/partner/wallet/deposits',
    {
      config: { access: 'partner', idempotent: true },
      schema: {
        operationId: 'depositToPartnerWallet',
        tags: ['partner'],
        summary: 'Fund your settlement account through the custodian',
        headers: IdempotencyHeaders,
        body: Strict({ amountMinor: AmountMinor }),
        response: { 201: Instruction, ...Errors('AMOUNT_INVALID') },
      },
    },
    async (request, reply) => reply.code(201).send(await depositInto(ctx, partnerOf(request), request.body.amountMinor, request.idempotencyKey)),
  );

  app.post(
    '/partner/merchants/:ref/orders/:orderId/proceeds',
    {
      config: { access: 'partner', idempotent: true },
      schema: {
        operationId: 'payOrderProceeds',
        tags: ['partner'],
        summary: "Pay in an order's proceeds from your settlement account: the loan it backs first, the merchant the rest (once per order)",
        headers: IdempotencyHeaders,
        params: Strict({ ref: Ref, orderId: Ref }),
        body: Strict({ amountMinor: AmountMinor }),
        response: {
          200: Proceeds,
          201: Proceeds,
          ...Errors('MERCHANT_NOT_FOUND', 'ORDER_NOT_FOUND', 'PROCEEDS_EXISTS', 'ORDER_REFUNDED', 'AMOUNT_INVALID', 'MERCHANT_NO_ACCOUNT', 'INSUFFICIENT_FUNDS', 'CONFLICT'),
        },
      },
    },
    async (request, reply) => {
      const { result, created } = await payOrderProceeds(ctx, partnerOf(request), request.params.ref, request.params.orderId, request.body.amountMinor);
      return reply.code(created ? 201 : 200).send(result);
    },
  );
};
