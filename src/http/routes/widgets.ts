import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import { createPublishableKey, keyForOrigin, listPublishableKeys, revokePublishableKey, widgetListing, widgetMerchant, widgetOrderOffer } from '../../services/widgets.js';
import { LISTING_EXAMPLE, Listing } from './market.js';
import { Currency, Errors, Grade, Id, MinorUnits, Named, NoContent, Nullable, Pct, Strict, Timestamp } from '../schemas.js';

const Key = Type.String({ minLength: 1, maxLength: 100, pattern: '^[A-Za-z0-9_-]+$' });
const Ref = Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9_.:-]+$' });
const KeyQuery = Strict({ key: Key });

const at = '2026-11-02T08:00:00.000Z';

/** <lendbook-listing> and <lendbook-merchant> show a listing as the market does: the same public shape. */
const WidgetListing = Listing;

export const WidgetMerchant = Named(
  'WidgetMerchant',
  Type.Object(
    {
      merchantRef: Type.String(),
      name: Type.String(),
      rating: Nullable(
        Type.Object({
          grade: Grade,
          score: Type.Integer({ description: 'scorecard points' }),
          creditLeftMinor: MinorUnits,
          eligible: Type.Boolean({ description: 'may list now' }),
          reason: Nullable(Type.String({ description: 'why it may not list now: a rating refusal, OPEN_LISTING or NO_CREDIT_LEFT' })),
        }),
      ),
      listings: Type.Array(WidgetListing, { description: 'its 20 latest listings' }),
      currency: Currency,
    },
    {
      description: "A merchant's rating and listings for <lendbook-merchant>",
      example: { merchantRef: 'shop-1042', name: 'Ningbo Tea House', rating: { grade: 'B', score: 712, creditLeftMinor: 42_000_000, eligible: false, reason: 'OPEN_LISTING' }, listings: [LISTING_EXAMPLE], currency: 'CNY' },
    },
  ),
);

export const WidgetOrderOffer = Named(
  'WidgetOrderOffer',
  Type.Object(
    {
      merchantRef: Type.String(),
      orderId: Type.String(),
      eligible: Type.Boolean({ description: 'the order could back a listing of at least the minimum now' }),
      orderAmountMinor: Nullable(Type.Integer({ description: 'the order amount, integer minor units (fen); null when the order cannot back a listing' })),
      advancePct: Nullable(Pct("of an order's amount its grade may borrow")),
      maxAmountMinor: MinorUnits,
      grade: Nullable(Grade),
      reason: Nullable(Type.String({ description: 'why not: NOT_RATED, a rating refusal, OPEN_LISTING, NO_CREDIT_LEFT, ORDER_NOT_ELIGIBLE or BELOW_MINIMUM' })),
      applyUrl: Type.String({ description: 'where the merchant asks for it' }),
      claims: Nullable(
        Type.Object(
          {
            coreEnterpriseName: Type.String(),
            grade: Grade,
            count: Type.Integer(),
            valueMinor: MinorUnits,
            advancePct: Pct('of the claims the core enterprise grade may borrow'),
            maxAmountMinor: MinorUnits,
            claimIds: Type.Array(Type.String({ description: 'clm_…' })),
          },
          { description: 'claims on a core enterprise that could finance the merchant instead' },
        ),
      ),
      currency: Currency,
    },
    {
      description: 'Financing an order could back now, for <lendbook-order-offer>',
      example: {
        merchantRef: 'shop-1042',
        orderId: 'o-88231',
        eligible: true,
        orderAmountMinor: 300_000,
        advancePct: 70,
        maxAmountMinor: 210_000,
        grade: 'B',
        reason: null,
        applyUrl: 'https://lendbook.example/#/borrower/new?product=order&orderId=o-88231',
        claims: null,
        currency: 'CNY',
      },
    },
  ),
);

export const PublishableKey = Named(
  'PublishableKey',
  Type.Object(
    {
      key: Type.String({ description: 'pub_…: public, it sits in the page' }),
      partnerId: Type.String({ description: 'id, prt_…' }),
      allowedOrigins: Type.Array(Type.String({ description: 'scheme://host[:port]' })),
      revoked: Type.Boolean(),
      createdAt: Timestamp,
    },
    { example: { key: 'pub_4kq8z1m3n5p7r9t2v6', partnerId: 'prt_0k3h8w0a1b2c', allowedOrigins: ['https://shop.example'], revoked: false, createdAt: at } },
  ),
);

export const PublishableKeyCreated = Named(
  'PublishableKeyCreated',
  Type.Object(
    { key: Type.String({ description: 'pub_…: public, it sits in the page' }), partnerId: Type.String({ description: 'id, prt_…' }), allowedOrigins: Type.Array(Type.String({ description: 'scheme://host[:port]' })) },
    { example: { key: 'pub_4kq8z1m3n5p7r9t2v6', partnerId: 'prt_0k3h8w0a1b2c', allowedOrigins: ['https://shop.example'] } },
  ),
);

const KEY_ERRORS = ['PUBLISHABLE_KEY_INVALID', 'ORIGIN_NOT_ALLOWED'] as const;

/** Lets the partner's page read the answer: its origin, and only when the key allows that origin. */
function allowOrigin(request: FastifyRequest, reply: FastifyReply): void {
  const origin = request.headers.origin;
  // The server's clock too, so that a widget's countdown follows it (settable in demos).
  if (origin) reply.header('access-control-allow-origin', origin).header('access-control-expose-headers', 'x-lendbook-now').header('vary', 'Origin');
}

/** Data for the embeddable widgets (docs/widgets.md): by publishable key, from allowed origins only. */
export const widgetRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const ctx = app.ctx;
  const guard = async (request: FastifyRequest, reply: FastifyReply) => {
    const key = await keyForOrigin(ctx.db, (request.query as { key: string }).key, request.headers.origin);
    allowOrigin(request, reply);
    return key;
  };

  app.get(
    '/widgets/listings/:id',
    {
      config: { access: 'public' },
      schema: {
        operationId: 'getWidgetListing',
        tags: ['widgets'],
        summary: 'A listing for <lendbook-listing>',
        params: Strict({ id: Id('lst') }),
        querystring: KeyQuery,
        response: { 200: WidgetListing, ...Errors(...KEY_ERRORS, 'NOT_FOUND') },
      },
    },
    async (request, reply) => {
      await guard(request, reply);
      return widgetListing(ctx.db, request.params.id);
    },
  );

  app.get(
    '/widgets/merchants/:ref',
    {
      config: { access: 'public' },
      schema: {
        operationId: 'getWidgetMerchant',
        tags: ['widgets'],
        summary: "A merchant's rating and listings for <lendbook-merchant>",
        params: Strict({ ref: Ref }),
        querystring: KeyQuery,
        response: { 200: WidgetMerchant, ...Errors(...KEY_ERRORS, 'MERCHANT_NOT_FOUND') },
      },
    },
    async (request, reply) => {
      const key = await guard(request, reply);
      return widgetMerchant(ctx, key.partnerId, request.params.ref);
    },
  );

  app.get(
    '/widgets/merchants/:ref/orders/:orderId/offer',
    {
      config: { access: 'public' },
      schema: {
        operationId: 'getWidgetOrderOffer',
        tags: ['widgets'],
        summary: 'Financing an order could back, for <lendbook-order-offer>',
        params: Strict({ ref: Ref, orderId: Ref }),
        querystring: KeyQuery,
        response: { 200: WidgetOrderOffer, ...Errors(...KEY_ERRORS, 'MERCHANT_NOT_FOUND') },
      },
    },
    async (request, reply) => {
      const key = await guard(request, reply);
      return widgetOrderOffer(ctx, key.partnerId, request.params.ref, request.params.orderId);
    },
  );

  app.post(
    '/admin/partners/:partnerId/publishable-keys',
    {
      config: { access: ['operator'] },
      schema: {
        operationId: 'createPublishableKey',
        tags: ['operators'],
        summary: "A publishable widget key for a partner's pages, with the origins allowed to use it",
        params: Strict({ partnerId: Id('prt') }),
        body: Strict({ allowedOrigins: Type.Array(Type.String({ format: 'uri', pattern: '^https?://', maxLength: 200 }), { minItems: 1, maxItems: 20 }) }),
        response: { 201: PublishableKeyCreated, ...Errors('NOT_FOUND') },
      },
    },
    async (request, reply) => {
      const row = await createPublishableKey(ctx, request.params.partnerId, request.body.allowedOrigins);
      return reply.code(201).send({ key: row.key, partnerId: row.partnerId, allowedOrigins: row.allowedOrigins });
    },
  );

  app.get(
    '/admin/publishable-keys',
    {
      config: { access: ['operator'] },
      schema: { operationId: 'listPublishableKeys', tags: ['operators'], summary: 'Publishable widget keys', response: { 200: Type.Object({ items: Type.Array(PublishableKey) }) } },
    },
    async () => ({ items: await listPublishableKeys(ctx) }),
  );

  app.post(
    '/admin/publishable-keys/:key/revoke',
    {
      config: { access: ['operator'] },
      schema: { operationId: 'revokePublishableKey', tags: ['operators'], summary: 'Revoke a publishable key', params: Strict({ key: Key }), response: { 204: NoContent, ...Errors('NOT_FOUND') } },
    },
    async (request, reply) => {
      await revokePublishableKey(ctx, request.params.key);
      return reply.code(204).send(null);
    },
  );
};
