import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { changePassword, login, logout, publicUser, register, sessionFor, submitKyc, userById } from '../../services/identity.js';
import { SESSION_COOKIE, requireUser } from '../plugins/auth.js';
import { Errors, Named, NoContent, Nullable, Strict, Timestamp } from '../schemas.js';
import { throttle } from '../throttle.js';

const Email = Type.String({ format: 'email', minLength: 3, maxLength: 254 });
const Password = Type.String({ minLength: 1, maxLength: 200 });
const DisplayName = Type.String({ minLength: 1, maxLength: 80, pattern: '\\S' });

const Role = Type.Union([Type.Literal('lender'), Type.Literal('borrower'), Type.Literal('operator'), Type.Literal('partner'), Type.Literal('guarantor')]);
const RiskProfile = Type.Union([Type.Literal('conservative'), Type.Literal('balanced'), Type.Literal('aggressive')]);

/** A user as the user itself sees it (never the hash of its id number or its password). */
export const PublicUser = Named(
  'PublicUser',
  Type.Object(
    {
      id: Type.String({ description: 'id, usr_…' }),
      email: Type.String(),
      role: Role,
      displayName: Type.String(),
      merchantId: Nullable(Type.String({ description: "borrowers: the merchant's id, mer_…" })),
      kyc: Type.Object({
        status: Type.Union([Type.Literal('none'), Type.Literal('verified')]),
        legalName: Nullable(Type.String()),
        idNumberLast4: Nullable(Type.String({ description: 'the last four characters of the resident identity number' })),
        riskProfile: Nullable(RiskProfile),
      }),
      createdAt: Timestamp,
    },
    {
      example: {
        id: 'usr_0k3j5h2m9q8w',
        email: 'li.na@example.com',
        role: 'lender',
        displayName: 'Li Na',
        merchantId: null,
        kyc: { status: 'verified', legalName: '李娜', idNumberLast4: '123X', riskProfile: 'balanced' },
        createdAt: '2026-10-01T09:30:00.000Z',
      },
    },
  ),
);

/** A new session: the Bearer token (also set as the httpOnly cookie) and who it acts as. */
const Session = Named(
  'Session',
  Type.Object(
    { token: Type.String({ description: 'Bearer token; shown once' }), expiresAt: Timestamp, user: PublicUser },
    {
      example: {
        token: 'q7Vd0mYlq2o8c1kq3ZpLxwQfJ0n2bT5v',
        expiresAt: '2026-11-01T09:30:00.000Z',
        user: { id: 'usr_0k3j5h2m9q8w', email: 'li.na@example.com', role: 'lender', displayName: 'Li Na', merchantId: null, kyc: { status: 'none', legalName: null, idNumberLast4: null, riskProfile: null }, createdAt: '2026-10-01T09:30:00.000Z' },
      },
    },
  ),
);

export const identityRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const ctx = app.ctx;
  const secureCookie = ctx.config.publicUrl.startsWith('https:');
  const setCookie = (reply: { setCookie: (n: string, v: string, o: object) => unknown }, token: string, expiresAt: Date) =>
    reply.setCookie(SESSION_COOKIE, token, { httpOnly: true, sameSite: 'lax', secure: secureCookie, path: '/', expires: expiresAt });

  app.post(
    '/auth/register',
    {
      config: { access: 'public', rateLimit: { max: ctx.config.registerRatePerMin, timeWindow: '1 minute' } },
      schema: {
        operationId: 'registerAccount',
        tags: ['identity'],
        summary: 'Create a lender account, or a borrower account with the invite code of its merchant',
        body: Strict({
          email: Email,
          password: Password,
          role: Type.Union([Type.Literal('lender'), Type.Literal('borrower')]),
          displayName: DisplayName,
          inviteCode: Type.Optional(Type.String({ minLength: 6, maxLength: 64 })),
        }),
        response: { 201: Session, ...Errors('EMAIL_TAKEN', 'INVITE_INVALID', 'PASSWORD_WEAK', 'CONFLICT') },
      },
    },
    async (request, reply) => {
      const user = await register(ctx, request.body);
      const session = await sessionFor(ctx, user.id, request.headers['user-agent']);
      setCookie(reply, session.token, session.expiresAt);
      return reply.code(201).send({ token: session.token, expiresAt: session.expiresAt.toISOString(), user: publicUser(user) });
    },
  );

  // Password guessing is slowed whichever way it is spread: many accounts from one address (spraying)
  // and one account from many addresses. Both counts live in the store every node shares.
  const loginThrottles = [
    throttle(app, 'login-address', ctx.config.loginAddressRatePerMin, (req) => req.ip),
    throttle(app, 'login-account', ctx.config.loginRatePerMin, (req) => (req.body as { email?: string } | undefined)?.email?.toLowerCase()),
  ];
  const perUser = (name: string, max: number) => throttle(app, name, max, (req) => req.user?.id);

  app.post(
    '/auth/login',
    {
      config: { access: 'public' },
      preHandler: loginThrottles,
      schema: {
        operationId: 'logIn',
        tags: ['identity'],
        summary: 'Log in: a Bearer token for scripts and an httpOnly cookie for the web app',
        body: Strict({ email: Email, password: Password }),
        response: { 200: Session, ...Errors('INVALID_CREDENTIALS', 'RATE_LIMITED') },
      },
    },
    async (request, reply) => {
      const { session, user } = await login(ctx, request.body.email, request.body.password, request.headers['user-agent']);
      setCookie(reply, session.token, session.expiresAt);
      return { token: session.token, expiresAt: session.expiresAt.toISOString(), user: publicUser(user) };
    },
  );

  app.post(
    '/auth/logout',
    {
      config: { access: ['lender', 'borrower', 'operator', 'guarantor'] },
      schema: { operationId: 'logOut', tags: ['identity'], summary: 'Revoke this session', response: { 204: NoContent } },
    },
    async (request, reply) => {
      await logout(ctx, requireUser(request).sessionId);
      reply.clearCookie(SESSION_COOKIE, { path: '/' });
      return reply.code(204).send(null);
    },
  );

  app.get(
    '/me',
    {
      config: { access: ['lender', 'borrower', 'operator', 'guarantor'] },
      schema: { operationId: 'getMe', tags: ['identity'], summary: 'The logged-in user', response: { 200: PublicUser } },
    },
    async (request) => publicUser(await userById(ctx.db, requireUser(request).id)),
  );

  app.put(
    '/me/kyc',
    {
      config: { access: ['lender', 'borrower'] },
      // Each answer tells whether an id number is already verified here: not an oracle to run in bulk.
      preHandler: perUser('kyc', 10),
      schema: {
        operationId: 'submitKyc',
        tags: ['identity'],
        summary: "KYC: a lender's identity and risk profile (conservative: grades A and above; balanced: C and above; aggressive: all), or a borrower's legal representative",
        body: Strict({
          legalName: Type.String({ minLength: 2, maxLength: 80, pattern: '\\S' }),
          idNumber: Type.String({ pattern: '^[0-9]{17}[0-9Xx]$' }),
          riskProfile: Type.Union([Type.Literal('conservative'), Type.Literal('balanced'), Type.Literal('aggressive')]),
        }),
        response: { 200: PublicUser, ...Errors('KYC_LOCKED', 'KYC_DUPLICATE', 'NOT_FOUND', 'RATE_LIMITED') },
      },
    },
    async (request) => publicUser(await submitKyc(ctx, requireUser(request).id, request.body)),
  );

  app.post(
    '/me/password',
    {
      // Per account: a stolen session must not be a way to guess the current password from many addresses.
      config: { access: ['lender', 'borrower', 'operator', 'guarantor'] },
      preHandler: perUser('password-change', 10),
      schema: {
        operationId: 'changePassword',
        tags: ['identity'],
        summary: 'Change the password; every other session is revoked',
        body: Strict({ currentPassword: Password, newPassword: Password }),
        response: { 204: NoContent, ...Errors('INVALID_CREDENTIALS', 'PASSWORD_WEAK', 'RATE_LIMITED') },
      },
    },
    async (request, reply) => {
      const user = requireUser(request);
      await changePassword(ctx, user.id, user.sessionId, request.body.currentPassword, request.body.newPassword);
      return reply.code(204).send(null);
    },
  );
};
