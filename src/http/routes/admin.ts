import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { createPartner, listPartners, revokePartnerSecret, rotatePartnerKey } from '../../services/partners.js';
import { checkInvariants } from '../../services/invariants.js';
import { listDeliveries, replayDelivery } from '../../services/webhooks.js';
import { advanceClock, settingsView, updateSettings } from '../../services/admin-settings.js';
import { GRADES } from '../../domain/grades.js';
import { GRADE_MAP_BOUNDS, INT_SETTING_BOUNDS, rangeText, type SettingBounds } from '../../domain/settings.js';
import { requireUser } from '../plugins/auth.js';
import { Pagination, Problem, Strict, parseLimit } from '../schemas.js';

const OPERATOR = ['operator'] as const;
const GradeValues = Type.Record(Type.String(), Type.Integer());
const Range = Type.Object({ min: Type.Integer(), max: Type.Integer(), unit: Type.String(), multipleOf: Type.Optional(Type.Integer()) });
const SettingsViewSchema = Type.Object({
  settings: Type.Object(
    {
      ...Object.fromEntries(Object.keys(INT_SETTING_BOUNDS).map((k) => [k, Type.Integer()])),
      minGradeToList: Type.String(),
      gradeFloorBps: GradeValues,
      orderAdvancePct: GradeValues,
      expectedLossBps: GradeValues,
      claimAdvancePct: GradeValues,
    },
    { additionalProperties: false },
  ),
  bounds: Type.Record(Type.String(), Range, { description: 'the documented range of each setting (per-grade settings: of each value)' }),
  overridden: Type.Array(Type.String()),
  environment: Type.Record(Type.String(), Type.String()),
  gradeFloorBps: Type.String(),
  clock: Type.Object({ settable: Type.Boolean(), nowMs: Type.Integer(), now: Type.String(), offsetMs: Type.Integer() }),
});
const Credentials = Type.Object({ partnerId: Type.String(), keyId: Type.String(), secret: Type.String({ description: 'shown once' }), n: Type.Integer({ description: 'the number of this secret' }) });
const KeyId = Type.String({ pattern: '^pk_[0-9a-z]{10,40}$' });

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
          webhookUrl: Type.Optional(Type.String({ format: 'uri', pattern: '^https?://', maxLength: 500, description: 'https on a public address (http://localhost with LENDBOOK_ALLOW_HTTP_WEBHOOKS=on)' })),
        }),
        response: { 201: Credentials, 422: Problem },
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
        params: Strict({ keyId: KeyId }),
        response: { 200: Credentials },
      },
    },
    async (request) => rotatePartnerKey(ctx, request.params.keyId),
  );

  app.delete(
    '/admin/partners/:keyId/secrets/:n',
    {
      config: { access: OPERATOR },
      schema: {
        tags: ['operators'],
        summary: "Revoke a key's previous secret at once (after a rotation, when it leaked or the partner has rolled over)",
        params: Strict({ keyId: KeyId, n: Type.String({ pattern: '^[1-9][0-9]{0,8}$', description: 'the number of the secret' }) }),
        response: { 204: Type.Null(), 404: Problem, 409: Problem },
      },
    },
    async (request, reply) => {
      await revokePartnerSecret(ctx, request.params.keyId, Number(request.params.n));
      return reply.code(204).send(null);
    },
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

  const nullable = <T extends ReturnType<typeof Type.Integer>>(t: T) => Type.Optional(Type.Union([t, Type.Null()]));
  // Each value's documented range is in its schema: a value outside is a 400 naming the range.
  const bounded = (b: SettingBounds) => Type.Integer({ minimum: b.min, maximum: b.max, ...(b.multipleOf ? { multipleOf: b.multipleOf } : {}), description: `${b.unit}, ${rangeText(b)}` });
  const gradeMap = (b: SettingBounds) => nullable(Type.Object(Object.fromEntries(GRADES.map((g) => [g, Type.Optional(bounded(b))])), { additionalProperties: false }) as never);
  const intSettings = Object.fromEntries(Object.entries(INT_SETTING_BOUNDS).map(([name, b]) => [name, nullable(bounded(b))]));

  app.get(
    '/admin/settings',
    { config: { access: OPERATOR }, schema: { tags: ['operators'], summary: 'The market settings in force, with the range each may take (docs/market-rules.md §8)', response: { 200: SettingsViewSchema } } },
    async () => settingsView(ctx),
  );

  app.put(
    '/admin/settings',
    {
      config: { access: OPERATOR },
      schema: {
        tags: ['operators'],
        summary: 'Change market settings at run time (null returns a setting to its environment value); a value outside its range is a 400 naming the range',
        body: Strict({
          ...intSettings,
          minGradeToList: Type.Optional(Type.Union([...GRADES.map((g) => Type.Literal(g)), Type.Null()])),
          gradeFloorBps: gradeMap(GRADE_MAP_BOUNDS.gradeFloorBps),
          orderAdvancePct: gradeMap(GRADE_MAP_BOUNDS.orderAdvancePct),
          expectedLossBps: gradeMap(GRADE_MAP_BOUNDS.expectedLossBps),
          claimAdvancePct: gradeMap(GRADE_MAP_BOUNDS.claimAdvancePct),
        }),
        response: { 200: SettingsViewSchema, 400: Problem, 422: Problem },
      },
    },
    async (request) => updateSettings(ctx, request.body as Record<string, unknown>, requireUser(request).id),
  );

  app.post(
    '/admin/clock',
    {
      config: { access: OPERATOR },
      schema: {
        tags: ['operators'],
        summary: 'Move the settable clock forward (only with LENDBOOK_CLOCK=settable)',
        body: Strict({ advanceMs: Type.Integer({ minimum: 1, maximum: 10 * 365 * 86_400_000 }) }),
      },
    },
    async (request) => advanceClock(ctx, request.body.advanceMs),
  );
};
