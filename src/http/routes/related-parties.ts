import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { searchMerchants, setRelatedParty } from '../../services/related-parties.js';
import { requireUser } from '../plugins/auth.js';
import { Errors, Id, MinorUnits, Named, Nullable, Page, Pagination, Strict, parseLimit } from '../schemas.js';

const OPERATOR = ['operator'] as const;

/** A merchant as operators see it: who describes it, its borrower account, its related-party mark, its active lending. */
const AdminMerchant = Named(
  'AdminMerchant',
  Type.Object(
    {
      id: Type.String({ description: 'id, mer_…' }),
      ref: Type.String({ description: "the order system's own reference of the merchant" }),
      name: Type.String(),
      partnerName: Type.String({ description: 'the order system that described the merchant' }),
      borrowerEmail: Nullable(Type.String({ description: "the merchant's borrower account, once invited and registered" })),
      relatedParty: Type.Boolean({ description: 'marked by operators as a party related to the platform: its lending is disclosed as related-party lending' }),
      activeLoans: Type.Integer({ minimum: 0 }),
      outstandingPrincipalMinor: MinorUnits,
    },
    {
      example: {
        id: 'mer_0k3j5h2m9q8w',
        ref: 'shop-1042',
        name: 'Hangzhou Sneaker Co.',
        partnerName: 'Youzan Orders',
        borrowerEmail: 'owner@sneakers.example.com',
        relatedParty: false,
        activeLoans: 1,
        outstandingPrincipalMinor: 30_000_000,
      },
    },
  ),
);

/**
 * Related parties (docs/servicing.md "Disclosure"): operators find merchants and mark those related to the
 * platform, with a reason kept in the audit log.
 */
export const relatedPartyRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const ctx = app.ctx;

  app.get(
    '/admin/merchants',
    {
      config: { access: OPERATOR },
      schema: {
        operationId: 'searchMerchantsForOperators',
        tags: ['operators'],
        summary: "Find merchants by name, ref, borrower e-mail or id, with their related-party mark and active lending",
        querystring: Strict({
          q: Type.Optional(Type.String({ maxLength: 100 })),
          relatedParty: Type.Optional(Type.Union([Type.Literal('true'), Type.Literal('false')])),
          ...Pagination,
        }),
        response: { 200: Page(AdminMerchant) },
      },
    },
    async (request) =>
      searchMerchants(ctx.db, {
        q: request.query.q?.trim() || undefined,
        relatedParty: request.query.relatedParty === undefined ? undefined : request.query.relatedParty === 'true',
        limit: parseLimit(request.query.limit),
        cursor: request.query.cursor,
      }),
  );

  app.put(
    '/admin/merchants/:id',
    {
      config: { access: OPERATOR },
      schema: {
        operationId: 'markRelatedParty',
        tags: ['operators'],
        summary: 'Mark a merchant as a party related to the platform (or not): disclosed as related-party lending; the change and its reason go to the audit log',
        params: Strict({ id: Id('mer') }),
        body: Strict({ relatedParty: Type.Boolean(), reason: Type.Optional(Type.String({ minLength: 1, maxLength: 500 })) }),
        response: { 200: AdminMerchant, ...Errors('MERCHANT_NOT_FOUND') },
      },
    },
    async (request) => setRelatedParty(ctx, requireUser(request).id, request.params.id, request.body.relatedParty, request.body.reason),
  );
};
