import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { AppError } from '../../domain/errors.js';
import { createInvite, MAX_ORDERS_PER_BATCH, merchantView, offers, upsertMerchant, upsertOrders, upsertReceipt } from '../../services/merchants.js';
import { setPartnerWebhook } from '../../services/partners.js';
import { AmountMinor, IsoDate, Problem, Strict, Timestamp } from '../schemas.js';

const Ref = Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9_.:-]+$' });
const OrderId = Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9_.:-]+$' });
const OrderStatus = Type.Union(['paid', 'shipped', 'delivered', 'settled', 'refunded', 'disputed'].map((s) => Type.Literal(s)));

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
        tags: ['partner'],
        summary: "Create or replace a merchant's profile",
        params: Strict({ ref: Ref }),
        body: Strict({
          name: Type.String({ minLength: 1, maxLength: 120, pattern: '\\S' }),
          legalForm: Type.Union([Type.Literal('legal_person'), Type.Literal('natural_person')]),
          openedAt: IsoDate,
          category: Type.String({ minLength: 1, maxLength: 60 }),
        }),
        response: { 200: Type.Object({ merchant: Type.Any(), created: Type.Boolean() }), 201: Type.Object({ merchant: Type.Any(), created: Type.Boolean() }) },
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
        response: {
          200: Type.Object({ merchantId: Type.String(), received: Type.Integer(), created: Type.Integer(), updated: Type.Integer(), unchanged: Type.Integer(), statusChanges: Type.Integer() }),
          400: Problem,
          413: Problem,
        },
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
        tags: ['partner'],
        summary: "An invite code for the merchant's borrower account (valid 30 days, once)",
        params: Strict({ ref: Ref }),
        body: Strict({}),
        response: { 201: Type.Object({ inviteCode: Type.String(), expiresAt: Timestamp }) },
      },
    },
    async (request, reply) => reply.code(201).send(await createInvite(ctx, partnerOf(request), request.params.ref)),
  );

  app.post(
    '/partner/warehouse-receipts',
    {
      config: signed,
      schema: {
        tags: ['partner'],
        summary: 'A warehouse receipt (仓单) issued for a merchant; it can back one listing',
        body: Strict({
          receiptId: Ref,
          merchantRef: Ref,
          goods: Type.String({ minLength: 1, maxLength: 200 }),
          quantity: Type.Integer({ minimum: 1, maximum: 1_000_000_000 }),
          valueMinor: AmountMinor,
        }),
        response: { 200: Type.Any(), 201: Type.Any(), 409: Problem },
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
      schema: { tags: ['partner'], summary: 'What the merchant could borrow now: credit line, order financing, receipts', params: Strict({ ref: Ref }) },
    },
    async (request) => offers(ctx, partnerOf(request), request.params.ref),
  );

  app.put(
    '/partner/webhook',
    {
      config: signed,
      schema: {
        tags: ['partner'],
        summary: 'Where Lendbook sends your webhooks (signed with your key)',
        body: Strict({ url: Type.Union([Type.String({ format: 'uri', pattern: '^https?://', maxLength: 500, description: 'https on a public address' }), Type.Null()]) }),
        response: { 200: Type.Object({ url: Type.Union([Type.String(), Type.Null()]) }), 422: Problem },
      },
    },
    async (request) => {
      await setPartnerWebhook(ctx, partnerOf(request), request.body.url);
      return { url: request.body.url };
    },
  );
};
