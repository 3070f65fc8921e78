import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { createPartner, listPartners, rotatePartnerKey } from '../../services/partners.js';
import { checkInvariants } from '../../services/invariants.js';
import { listDeliveries, replayDelivery } from '../../services/webhooks.js';
import { requireUser } from '../plugins/auth.js';
import { Pagination, Strict, parseLimit } from '../schemas.js';

const OPERATOR = ['operator'] as const;
const Credentials = Type.Object({ partnerId: Type.String(), keyId: Type.String(), secret: Type.String({ description: 'shown once' }) });

export const adminRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const ctx = app.ctx;

  app.post(
    '/admin/partners',
    {
      config: { access: OPERATOR },
      schema: {
        tags: ['operators'],
        summary: 'Register an order system: returns its API key and secret (shown once)',
        body: Strict({
          name: Type.String({ minLength: 1, maxLength: 100, pattern: '\\S' }),
          webhookUrl: Type.Optional(Type.String({ format: 'uri', pattern: '^https?://', maxLength: 500 })),
        }),
        response: { 201: Credentials },
      },
    },
    async (request, reply) => reply.code(201).send(await createPartner(ctx, request.body, requireUser(request).id)),
  );

  app.get(
    '/admin/partners',
    { config: { access: OPERATOR }, schema: { tags: ['operators'], summary: 'Partners and their keys (never the secrets)' } },
    async () => ({ items: await listPartners(ctx) }),
  );

  app.post(
    '/admin/partners/:keyId/rotate',
    {
      config: { access: OPERATOR },
      schema: {
        tags: ['operators'],
        summary: 'Rotate a partner key: a new secret (shown once); the previous one stays valid until the next rotation',
        params: Strict({ keyId: Type.String({ pattern: '^pk_[0-9a-z]{10,40}$' }) }),
        response: { 200: Credentials },
      },
    },
    async (request) => rotatePartnerKey(ctx, request.params.keyId),
  );

  app.get(
    '/admin/invariants',
    {
      config: { access: OPERATOR },
      schema: {
        tags: ['operators'],
        summary: 'Recompute every money invariant from the tables',
        response: { 200: Type.Object({ ok: Type.Boolean(), checks: Type.Array(Type.Object({ name: Type.String(), ok: Type.Boolean(), detail: Type.String() })) }) },
      },
    },
    async () => checkInvariants(ctx.db),
  );

  app.get(
    '/admin/webhooks',
    {
      config: { access: OPERATOR },
      schema: { tags: ['operators'], summary: 'Webhook deliveries, newest first, with their attempts', querystring: Strict(Pagination) },
    },
    async (request) => listDeliveries(ctx, parseLimit(request.query.limit), request.query.cursor),
  );

  app.post(
    '/admin/webhooks/:id/replay',
    {
      config: { access: OPERATOR },
      schema: {
        tags: ['operators'],
        summary: 'Send a webhook again (same event id, so the partner can deduplicate)',
        params: Strict({ id: Type.String({ pattern: '^whd_[0-9a-z]{10,40}$' }) }),
      },
    },
    async (request) => replayDelivery(ctx, request.params.id),
  );
};
