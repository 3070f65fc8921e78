import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { auditEntries, freezeAccount, reviewIdentity, searchUsers, unfreezeAccount, userDetail } from '../../services/accounts.js';
import { requireUser } from '../plugins/auth.js';
import { Id, Pagination, Problem, Strict, parseLimit } from '../schemas.js';

const OPERATOR = ['operator'] as const;
const Reason = Type.String({ minLength: 3, maxLength: 500, pattern: '\\S', description: 'why: kept in the audit log' });
const UserSummary = Type.Object({
  id: Type.String(),
  email: Type.String(),
  displayName: Type.String(),
  role: Type.String(),
  kycStatus: Type.String(),
  kycReview: Type.Union([Type.String(), Type.Null()]),
  frozen: Type.Boolean(),
  frozenReason: Type.Union([Type.String(), Type.Null()]),
  createdAt: Type.String(),
});
const AuditEntry = Type.Object({ id: Type.String(), at: Type.String(), action: Type.String(), actor: Type.String(), subjectUserId: Type.Union([Type.String(), Type.Null()]), reason: Type.String(), data: Type.Record(Type.String(), Type.Unknown()) });
const UserDetail = Type.Intersect([
  UserSummary,
  Type.Object({
    legalName: Type.Union([Type.String(), Type.Null()]),
    idNumberLast4: Type.Union([Type.String(), Type.Null()]),
    riskProfile: Type.Union([Type.String(), Type.Null()]),
    kycVerifiedAt: Type.Union([Type.String(), Type.Null()]),
    kycReviewedAt: Type.Union([Type.String(), Type.Null()]),
    merchantId: Type.Union([Type.String(), Type.Null()]),
    sameIdentity: Type.Array(Type.Object({ id: Type.String(), email: Type.String(), role: Type.String() }), { description: 'other accounts with the same ID number' }),
    wallet: Type.Union([Type.Object({ availableMinor: Type.Integer(), heldMinor: Type.Integer(), currency: Type.String() }), Type.Null()]),
    audit: Type.Array(AuditEntry),
  }),
]);
const UserParams = Strict({ id: Id('usr') });

/** The operators' users page (docs/operators.md): search, identity review, freeze and unfreeze, the audit log. */
export const accountRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const ctx = app.ctx;

  app.get(
    '/admin/users',
    {
      config: { access: OPERATOR },
      schema: {
        tags: ['operators'],
        summary: 'Find accounts by e-mail, name, legal name or id; filter by role, frozen, or verified but not reviewed',
        querystring: Strict({
          q: Type.Optional(Type.String({ maxLength: 100 })),
          role: Type.Optional(Type.Union([Type.Literal('lender'), Type.Literal('borrower'), Type.Literal('operator')])),
          state: Type.Optional(Type.Union([Type.Literal('frozen'), Type.Literal('unreviewed')])),
          ...Pagination,
        }),
        response: { 200: Type.Object({ items: Type.Array(UserSummary), nextCursor: Type.Union([Type.String(), Type.Null()]) }) },
      },
    },
    async (request) => searchUsers(ctx.db, { q: request.query.q?.trim() || undefined, role: request.query.role, state: request.query.state, limit: parseLimit(request.query.limit), cursor: request.query.cursor }),
  );

  app.get(
    '/admin/users/:id',
    { config: { access: OPERATOR }, schema: { tags: ['operators'], summary: 'One account: identity, accounts sharing its identity, wallet, audit log', params: UserParams, response: { 200: UserDetail, 404: Problem } } },
    async (request) => userDetail(ctx, request.params.id),
  );

  app.post(
    '/admin/users/:id/freeze',
    {
      config: { access: OPERATOR },
      schema: { tags: ['operators'], summary: 'Freeze an account (no bids, listings or withdrawals; repayments go on), with the reason for the audit log', params: UserParams, body: Strict({ reason: Reason }), response: { 200: UserDetail, 403: Problem, 404: Problem, 409: Problem } },
    },
    async (request) => freezeAccount(ctx, requireUser(request).id, request.params.id, request.body.reason),
  );

  app.post(
    '/admin/users/:id/unfreeze',
    {
      config: { access: OPERATOR },
      schema: { tags: ['operators'], summary: 'Unfreeze an account, with the reason for the audit log', params: UserParams, body: Strict({ reason: Reason }), response: { 200: UserDetail, 403: Problem, 404: Problem, 409: Problem } },
    },
    async (request) => unfreezeAccount(ctx, requireUser(request).id, request.params.id, request.body.reason),
  );

  app.post(
    '/admin/users/:id/identity-review',
    {
      config: { access: OPERATOR },
      schema: {
        tags: ['operators'],
        summary: "Review a verified identity: confirm it, or reject it (the verification is withdrawn until the person verifies again)",
        params: UserParams,
        body: Strict({ outcome: Type.Union([Type.Literal('confirmed'), Type.Literal('rejected')]), reason: Reason }),
        response: { 200: UserDetail, 403: Problem, 404: Problem, 409: Problem },
      },
    },
    async (request) => reviewIdentity(ctx, requireUser(request).id, request.params.id, request.body.outcome, request.body.reason),
  );

  app.get(
    '/admin/audit-log',
    {
      config: { access: OPERATOR },
      schema: {
        tags: ['operators'],
        summary: "What operators did to accounts, newest first, with each reason",
        querystring: Strict({ userId: Type.Optional(Id('usr')), ...Pagination }),
        response: { 200: Type.Object({ items: Type.Array(AuditEntry), nextCursor: Type.Union([Type.String(), Type.Null()]) }) },
      },
    },
    async (request) => auditEntries(ctx, { userId: request.query.userId, limit: parseLimit(request.query.limit), cursor: request.query.cursor }),
  );
};
