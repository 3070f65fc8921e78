import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { AppError } from '../../domain/errors.js';
import { createInvite, MAX_ORDERS_PER_BATCH, merchantView, offers, upsertMerchant, upsertOrders, upsertReceipt } from '../../services/merchants.js';
import { setPartnerWebhook } from '../../services/partners.js';
import { AmountMinor, Currency, Errors, IsoDate, MinorUnits, Named, Nullable, Strict, Timestamp } from '../schemas.js';
import { Rating } from './rating.js';

const Ref = Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9_.:-]+$' });
const OrderId = Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9_.:-]+$' });
const OrderStatus = Type.Union(['paid', 'shipped', 'delivered', 'settled', 'refunded', 'disputed'].map((s) => Type.Literal(s)));

const LegalForm = Type.Union([Type.Literal('legal_person'), Type.Literal('natural_person')]);

export const PartnerMerchant = Named(
  'PartnerMerchant',
  Type.Object(
    {
      id: Type.String({ description: 'id, mer_…' }),
      ref: Type.String({ description: "the order system's own reference of the merchant" }),
      name: Type.String(),
      legalForm: LegalForm,
      openedAt: IsoDate,
      category: Type.String(),
      createdAt: Timestamp,
      updatedAt: Timestamp,
    },
    {
      description: "A merchant's profile as its order system sent it",
      example: { id: 'mer_0k3h8w1q2e5r', ref: 'shop-1042', name: 'Ningbo Tea House', legalForm: 'legal_person', openedAt: '2019-04-01', category: 'food', createdAt: '2026-11-02T08:00:00.000Z', updatedAt: '2026-11-02T08:00:00.000Z' },
    },
  ),
);
const PartnerMerchantSaved = Type.Object({ merchant: PartnerMerchant, created: Type.Boolean({ description: 'true when this call created the merchant (201)' }) });

export const PartnerOrderBatch = Named(
  'PartnerOrderBatch',
  Type.Object(
    {
      merchantId: Type.String({ description: 'id, mer_…' }),
      received: Type.Integer({ description: 'orders in the batch' }),
      created: Type.Integer({ description: 'orders new to Lendbook' }),
      updated: Type.Integer({ description: 'known orders whose status or amount changed' }),
      unchanged: Type.Integer(),
      statusChanges: Type.Integer({ description: 'status changes of known orders recorded' }),
    },
    { description: 'What a batch of orders changed', example: { merchantId: 'mer_0k3h8w1q2e5r', received: 3, created: 2, updated: 1, unchanged: 0, statusChanges: 1 } },
  ),
);

export const PartnerInvite = Named(
  'PartnerInvite',
  Type.Object(
    { inviteCode: Type.String({ description: 'hand it to the merchant: it opens the borrower account once' }), expiresAt: Timestamp },
    { example: { inviteCode: 'K7M2Q9XH4PTA3WZN', expiresAt: '2026-12-02T08:00:00.000Z' } },
  ),
);

export const Receipt = Named(
  'Receipt',
  Type.Object(
    {
      id: Type.String({ description: 'id, whr_…' }),
      receiptId: Type.String({ description: "the warehouse's own receipt number" }),
      merchantRef: Type.String(),
      goods: Type.String(),
      quantity: Type.Integer(),
      valueMinor: MinorUnits,
      currency: Currency,
      pledged: Type.Boolean({ description: 'backs a listing or a loan now' }),
      releasedAt: Nullable(Timestamp),
      createdAt: Timestamp,
    },
    {
      description: 'A warehouse receipt (仓单) of a merchant',
      example: { id: 'whr_0k3h8w1q2e5r', receiptId: 'WH-2026-0087', merchantRef: 'shop-1042', goods: 'Longjing tea, 500 g tins', quantity: 1200, valueMinor: 36_000_000, currency: 'CNY', pledged: false, releasedAt: null, createdAt: '2026-11-02T08:00:00.000Z' },
    },
  ),
);

const LimitMinor = Type.Integer({ minimum: 0, description: 'the largest listing it could back now, integer minor units (fen); 0 when none' });

export const PartnerOffers = Named(
  'PartnerOffers',
  Type.Object(
    {
      merchantRef: Type.String(),
      rating: Nullable(Rating),
      credit: Type.Object({ eligible: Type.Boolean({ description: 'the rating allows listing at all' }), creditLineMinor: MinorUnits, creditLeftMinor: MinorUnits }),
      orderFinancing: Type.Object({
        advancePct: Nullable(Type.Integer({ description: "per cent of an order's amount its grade may borrow; null when not rated" })),
        eligibleOrderCount: Type.Integer(),
        eligibleValueMinor: MinorUnits,
        limitMinor: LimitMinor,
        orders: Type.Array(Type.Object({ orderId: Type.String(), amountMinor: MinorUnits, placedAt: IsoDate, limitMinor: LimitMinor }), { description: 'the first 200 orders that could back a listing' }),
      }),
      warehouseReceipts: Type.Array(Type.Object({ receiptId: Type.String(), goods: Type.String(), valueMinor: MinorUnits, limitMinor: LimitMinor }), { description: 'receipts not pledged' }),
      currency: Currency,
    },
    {
      description: 'What a merchant could borrow now',
      example: {
        merchantRef: 'shop-1042',
        rating: null,
        credit: { eligible: false, creditLineMinor: 0, creditLeftMinor: 0 },
        orderFinancing: { advancePct: null, eligibleOrderCount: 1, eligibleValueMinor: 120_000, limitMinor: 0, orders: [{ orderId: 'o-88231', amountMinor: 120_000, placedAt: '2026-11-01', limitMinor: 0 }] },
        warehouseReceipts: [],
        currency: 'CNY',
      },
    },
  ),
);

function partnerOf(request: { partner: { partnerId: string } | null }): string {
  if (!request.partner) throw new AppError('UNAUTHENTICATED', 'sign the request with your partner key');
  return request.partner.partnerId;
}

/** The order system's API: HMAC-signed (X-Lendbook-Key / -Timestamp / -Signature), no session. */
export const partnerRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const ctx = app.ctx;
  const signed = { access: 'partner' as const };

  app.put(
    '/partner/merchants/:ref',
    {
      config: signed,
      schema: {
        operationId: 'upsertPartnerMerchant',
        tags: ['partner'],
        summary: "Create or replace a merchant's profile",
        params: Strict({ ref: Ref }),
        body: Strict({
          name: Type.String({ minLength: 1, maxLength: 120, pattern: '\\S' }),
          legalForm: LegalForm,
          openedAt: IsoDate,
          category: Type.String({ minLength: 1, maxLength: 60 }),
        }),
        response: { 200: PartnerMerchantSaved, 201: PartnerMerchantSaved },
      },
    },
    async (request, reply) => {
      const { merchant, created } = await upsertMerchant(ctx, partnerOf(request), request.params.ref, request.body);
      return reply.code(created ? 201 : 200).send({ merchant: merchantView(merchant), created });
    },
  );

  app.post(
    '/partner/merchants/:ref/orders',
    {
      config: signed,
      bodyLimit: 4 * 1024 * 1024,
      schema: {
        operationId: 'upsertPartnerOrders',
        tags: ['partner'],
        summary: `Batch upsert of orders (up to ${MAX_ORDERS_PER_BATCH}), idempotent by orderId; one bad order rejects the batch with its index`,
        params: Strict({ ref: Ref }),
        body: Strict({
          orders: Type.Array(
            Strict({
              orderId: OrderId,
              amountMinor: Type.Integer({ minimum: 0, maximum: 100_000_000_000 }),
              status: OrderStatus,
              placedAt: Timestamp,
              settledAt: Type.Optional(Timestamp),
            }),
            { minItems: 1 },
          ),
        }),
        response: { 200: PartnerOrderBatch, ...Errors('MERCHANT_NOT_FOUND', 'ORDER_BATCH_TOO_LARGE', 'CONFLICT') },
      },
    },
    async (request) => upsertOrders(ctx, partnerOf(request), request.params.ref, request.body.orders),
  );

  app.post(
    '/partner/merchants/:ref/invites',
    {
      // A retry after a lost answer gets the same code back instead of a second one.
      config: { ...signed, idempotent: true },
      schema: {
        operationId: 'createPartnerInvite',
        tags: ['partner'],
        summary: "An invite code for the merchant's borrower account (valid 30 days, once)",
        params: Strict({ ref: Ref }),
        body: Strict({}),
        response: { 201: PartnerInvite, ...Errors('MERCHANT_NOT_FOUND') },
      },
    },
    async (request, reply) => reply.code(201).send(await createInvite(ctx, partnerOf(request), request.params.ref)),
  );

  app.post(
    '/partner/warehouse-receipts',
    {
      config: signed,
      schema: {
        operationId: 'upsertWarehouseReceipt',
        tags: ['partner'],
        summary: 'A warehouse receipt (仓单) issued for a merchant; it can back one listing',
        body: Strict({
          receiptId: Ref,
          merchantRef: Ref,
          goods: Type.String({ minLength: 1, maxLength: 200 }),
          quantity: Type.Integer({ minimum: 1, maximum: 1_000_000_000 }),
          valueMinor: AmountMinor,
        }),
        response: { 200: Receipt, 201: Receipt, ...Errors('MERCHANT_NOT_FOUND', 'RECEIPT_EXISTS', 'CONFLICT') },
      },
    },
    async (request, reply) => {
      const { receipt, created } = await upsertReceipt(ctx, partnerOf(request), request.body);
      return reply.code(created ? 201 : 200).send(receipt);
    },
  );

  app.get(
    '/partner/merchants/:ref/offers',
    {
      config: signed,
      schema: {
        operationId: 'getPartnerMerchantOffers',
        tags: ['partner'],
        summary: 'What the merchant could borrow now: credit line, order financing, receipts',
        params: Strict({ ref: Ref }),
        response: { 200: PartnerOffers, ...Errors('MERCHANT_NOT_FOUND') },
      },
    },
    async (request) => offers(ctx, partnerOf(request), request.params.ref),
  );

  app.put(
    '/partner/webhook',
    {
      config: signed,
      schema: {
        operationId: 'setPartnerWebhookUrl',
        tags: ['partner'],
        summary: 'Where Lendbook sends your webhooks (signed with your key)',
        body: Strict({ url: Type.Union([Type.String({ format: 'uri', pattern: '^https?://', maxLength: 500, description: 'https on a public address' }), Type.Null()]) }),
        response: { 200: Type.Object({ url: Nullable(Type.String({ description: 'null: no webhooks' })) }), ...Errors('WEBHOOK_URL_INVALID') },
      },
    },
    async (request) => {
      await setPartnerWebhook(ctx, partnerOf(request), request.body.url);
      return { url: request.body.url };
    },
  );
};
