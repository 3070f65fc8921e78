import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { auditEntries, freezeAccount, reviewIdentity, searchUsers, unfreezeAccount, userDetail } from '../../services/accounts.js';
import { requireUser } from '../plugins/auth.js';
import { Errors, Id, Named, Nullable, Page, Pagination, Strict, Timestamp, parseLimit } from '../schemas.js';
import { Wallet } from './wallet.js';

const OPERATOR = ['operator'] as const;
const Reason = Type.String({ minLength: 3, maxLength: 500, pattern: '\\S', description: 'why: kept in the audit log' });
const Role = Type.Union([Type.Literal('lender'), Type.Literal('borrower'), Type.Literal('operator'), Type.Literal('partner'), Type.Literal('guarantor')]);
const KycReview = Nullable(Type.Union([Type.Literal('confirmed'), Type.Literal('rejected')], { description: "an operator's review of the verified identity" }));
const summaryFields = {
  id: Type.String({ description: 'id, usr_…' }),
  email: Type.String(),
  displayName: Type.String(),
  role: Role,
  kycStatus: Type.Union([Type.Literal('none'), Type.Literal('verified')]),
  kycReview: KycReview,
  frozen: Type.Boolean(),
  frozenReason: Nullable(Type.String()),
  createdAt: Timestamp,
};
const summaryExample = {
  id: 'usr_0k3j5h2m9q8w',
  email: 'li.na@example.com',
  displayName: 'Li Na',
  role: 'lender',
  kycStatus: 'verified',
  kycReview: null,
  frozen: false,
  frozenReason: null,
  createdAt: '2026-10-01T09:30:00.000Z',
};
/** An account as the operators' users page lists it. */
const AccountSummary = Named('AccountSummary', Type.Object(summaryFields, { example: summaryExample }));
const auditExample = {
  id: 'aud_0k3j5h2m9q8w',
  at: '2026-11-02T10:00:00.000Z',
  action: 'freeze',
  actor: 'ops@lendbook.example',
  subjectUserId: 'usr_0k3j5h2m9q8w',
  reason: 'identity documents under review',
  data: { before: { frozen: false, kycStatus: 'verified', kycReview: null } },
};
/** What an operator did, when and why. */
const AuditEntry = Named(
  'AuditEntry',
  Type.Object(
    {
      id: Type.String({ description: 'id, aud_…' }),
      at: Timestamp,
      action: Type.String({ description: 'freeze | unfreeze | identity_confirmed | identity_rejected | related_party_marked | related_party_unmarked' }),
      actor: Type.String({ description: "the operator's e-mail (its id if the account is gone)" }),
      subjectUserId: Nullable(Type.String({ description: 'the account concerned, usr_…' })),
      reason: Type.String(),
      data: Type.Record(Type.String(), Type.Unknown(), { description: 'what the action changed (the state before, the merchant…)' }),
    },
    { example: auditExample },
  ),
);
/** One account as operators review it: identity, accounts sharing it, wallet, audit log. */
const UserDetail = Named(
  'UserDetail',
  Type.Object(
    {
      ...summaryFields,
      legalName: Nullable(Type.String()),
      idNumberLast4: Nullable(Type.String()),
      riskProfile: Nullable(Type.Union([Type.Literal('conservative'), Type.Literal('balanced'), Type.Literal('aggressive')])),
      kycVerifiedAt: Nullable(Timestamp),
      kycReviewedAt: Nullable(Timestamp),
      merchantId: Nullable(Type.String({ description: 'borrowers: id, mer_…' })),
      sameIdentity: Type.Array(Type.Object({ id: Type.String({ description: 'id, usr_…' }), email: Type.String(), role: Role }), { description: 'other accounts with the same ID number' }),
      wallet: Nullable(Wallet),
      audit: Type.Array(AuditEntry, { description: 'the latest 100 entries, newest first' }),
    },
    {
      example: {
        ...summaryExample,
        legalName: '李娜',
        idNumberLast4: '123X',
        riskProfile: 'balanced',
        kycVerifiedAt: '2026-10-01T09:40:00.000Z',
        kycReviewedAt: null,
        merchantId: null,
        sameIdentity: [],
        wallet: { availableMinor: 12_500_000, heldMinor: 2_000_000, currency: 'CNY' },
        audit: [auditExample],
      },
    },
  ),
);
const UserParams = Strict({ id: Id('usr') });

/** The operators' users page (docs/operators.md): search, identity review, freeze and unfreeze, the audit log. */
export const accountRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const ctx = app.ctx;

  app.get(
    '/admin/users',
    {
      config: { access: OPERATOR },
      schema: {
        operationId: 'searchAccounts',
        tags: ['operators'],
        summary: 'Find accounts by e-mail, name, legal name or id; filter by role, frozen, or verified but not reviewed',
        querystring: Strict({
          q: Type.Optional(Type.String({ maxLength: 100 })),
          role: Type.Optional(Type.Union([Type.Literal('lender'), Type.Literal('borrower'), Type.Literal('operator')])),
          state: Type.Optional(Type.Union([Type.Literal('frozen'), Type.Literal('unreviewed')])),
          ...Pagination,
        }),
        response: { 200: Page(AccountSummary) },
      },
    },
    async (request) => searchUsers(ctx.db, { q: request.query.q?.trim() || undefined, role: request.query.role, state: request.query.state, limit: parseLimit(request.query.limit), cursor: request.query.cursor }),
  );

  app.get(
    '/admin/users/:id',
    { config: { access: OPERATOR }, schema: { operationId: 'getAccount', tags: ['operators'], summary: 'One account: identity, accounts sharing its identity, wallet, audit log', params: UserParams, response: { 200: UserDetail, ...Errors('NOT_FOUND') } } },
    async (request) => userDetail(ctx, request.params.id),
  );

  app.post(
    '/admin/users/:id/freeze',
    {
      config: { access: OPERATOR },
      schema: {
        operationId: 'freezeAccount',
        tags: ['operators'],
        summary: 'Freeze an account (no bids, listings or withdrawals; repayments go on), with the reason for the audit log',
        params: UserParams,
        body: Strict({ reason: Reason }),
        response: { 200: UserDetail, ...Errors('NOT_FOUND', 'CONFLICT') },
      },
    },
    async (request) => freezeAccount(ctx, requireUser(request).id, request.params.id, request.body.reason),
  );

  app.post(
    '/admin/users/:id/unfreeze',
    {
      config: { access: OPERATOR },
      schema: {
        operationId: 'unfreezeAccount',
        tags: ['operators'],
        summary: 'Unfreeze an account, with the reason for the audit log',
        params: UserParams,
        body: Strict({ reason: Reason }),
        response: { 200: UserDetail, ...Errors('NOT_FOUND', 'CONFLICT') },
      },
    },
    async (request) => unfreezeAccount(ctx, requireUser(request).id, request.params.id, request.body.reason),
  );

  app.post(
    '/admin/users/:id/identity-review',
    {
      config: { access: OPERATOR },
      schema: {
        operationId: 'reviewAccountIdentity',
        tags: ['operators'],
        summary: "Review a verified identity: confirm it, or reject it (the verification is withdrawn until the person verifies again)",
        params: UserParams,
        body: Strict({ outcome: Type.Union([Type.Literal('confirmed'), Type.Literal('rejected')]), reason: Reason }),
        response: { 200: UserDetail, ...Errors('NOT_FOUND', 'CONFLICT') },
      },
    },
    async (request) => reviewIdentity(ctx, requireUser(request).id, request.params.id, request.body.outcome, request.body.reason),
  );

  app.get(
    '/admin/audit-log',
    {
      config: { access: OPERATOR },
      schema: {
        operationId: 'listAuditLog',
        tags: ['operators'],
        summary: "What operators did to accounts, newest first, with each reason",
        querystring: Strict({ userId: Type.Optional(Id('usr')), ...Pagination }),
        response: { 200: Page(AuditEntry) },
      },
    },
    async (request) => auditEntries(ctx, { userId: request.query.userId, limit: parseLimit(request.query.limit), cursor: request.query.cursor }),
  );
};
