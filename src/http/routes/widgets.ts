import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import { createPublishableKey, keyForOrigin, listPublishableKeys, revokePublishableKey, widgetListing, widgetMerchant, widgetOrderOffer } from '../../services/widgets.js';
import { Id, Strict } from '../schemas.js';

const Key = Type.String({ minLength: 1, maxLength: 100, pattern: '^[A-Za-z0-9_-]+$' });
const Ref = Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9_.:-]+$' });
const KeyQuery = Strict({ key: Key });

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
    { config: { access: 'public' }, schema: { tags: ['widgets'], summary: 'A listing for <lendbook-listing>', params: Strict({ id: Id('lst') }), querystring: KeyQuery } },
    async (request, reply) => {
      await guard(request, reply);
      return widgetListing(ctx.db, request.params.id);
    },
  );

  app.get(
    '/widgets/merchants/:ref',
    { config: { access: 'public' }, schema: { tags: ['widgets'], summary: "A merchant's rating and listings for <lendbook-merchant>", params: Strict({ ref: Ref }), querystring: KeyQuery } },
    async (request, reply) => {
      const key = await guard(request, reply);
      return widgetMerchant(ctx, key.partnerId, request.params.ref);
    },
  );

  app.get(
    '/widgets/merchants/:ref/orders/:orderId/offer',
    {
      config: { access: 'public' },
      schema: { tags: ['widgets'], summary: 'Financing an order could back, for <lendbook-order-offer>', params: Strict({ ref: Ref, orderId: Ref }), querystring: KeyQuery },
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
        tags: ['operators'],
        summary: "A publishable widget key for a partner's pages, with the origins allowed to use it",
        params: Strict({ partnerId: Id('prt') }),
        body: Strict({ allowedOrigins: Type.Array(Type.String({ format: 'uri', pattern: '^https?://', maxLength: 200 }), { minItems: 1, maxItems: 20 }) }),
      },
    },
    async (request, reply) => {
      const row = await createPublishableKey(ctx, request.params.partnerId, request.body.allowedOrigins);
      return reply.code(201).send({ key: row.key, partnerId: row.partnerId, allowedOrigins: row.allowedOrigins });
    },
  );

  app.get('/admin/publishable-keys', { config: { access: ['operator'] }, schema: { tags: ['operators'], summary: 'Publishable widget keys' } }, async () => ({
    items: await listPublishableKeys(ctx),
  }));

  app.post(
    '/admin/publishable-keys/:key/revoke',
    { config: { access: ['operator'] }, schema: { tags: ['operators'], summary: 'Revoke a publishable key', params: Strict({ key: Key }) } },
    async (request, reply) => {
      await revokePublishableKey(ctx, request.params.key);
      return reply.code(204).send();
    },
  );
};
