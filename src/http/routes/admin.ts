import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { createPartner, listPartners, revokePartnerSecret, rotatePartnerKey } from '../../services/partners.js';
import { checkInvariants } from '../../services/invariants.js';
import { listDeliveries, replayDelivery } from '../../services/webhooks.js';
import { advanceClock, settingsView, updateSettings } from '../../services/admin-settings.js';
import { GRADES } from '../../domain/grades.js';
import { DEFAULT_SETTINGS, GRADE_MAP_BOUNDS, INT_SETTING_BOUNDS, formatGradeMap, rangeText, settingEnvName, type SettingBounds, type Settings } from '../../domain/settings.js';
import { requireUser } from '../plugins/auth.js';
import { Errors, Grade, Named, NoContent, Nullable, Page, Pagination, Strict, Timestamp, parseLimit } from '../schemas.js';

const OPERATOR = ['operator'] as const;
/** The server's clock: settable only with LENDBOOK_CLOCK=settable (demos, servicing tests). */
const Clock = Named(
  'Clock',
  Type.Object(
    {
      settable: Type.Boolean(),
      nowMs: Type.Integer({ description: 'Unix milliseconds' }),
      now: Timestamp,
      offsetMs: Type.Integer({ description: 'how far the clock was moved forward, milliseconds' }),
    },
    { example: { settable: true, nowMs: 1_793_000_000_000, now: '2026-10-26T09:33:20.000Z', offsetMs: 86_400_000 } },
  ),
);
const ClockAdvance = Named(
  'ClockAdvance',
  Type.Object({ nowMs: Type.Integer({ description: 'Unix milliseconds' }), now: Timestamp, offsetMs: Type.Integer({ description: 'how far the clock is moved forward, milliseconds' }) }),
);
const GradeValues = (description: string) => Type.Record(Type.String(), Type.Integer(), { description: `${description}, by grade (AA … HR); a grade absent has none` });
const Range = Type.Object({
  min: Type.Integer(),
  max: Type.Integer(),
  unit: Type.Union([Type.Literal('bps'), Type.Literal('bpsPerDay'), Type.Literal('minor'), Type.Literal('sec'), Type.Literal('pct'), Type.Literal('days'), Type.Literal('months'), Type.Literal('count')], { description: 'what the value counts' }),
  multipleOf: Type.Optional(Type.Integer()),
});
/** The market settings in force, their ranges, which ones operators overrode, and the clock. */
const SettingsView = Named(
  'SettingsView',
  Type.Object(
    {
      settings: Type.Object({
        ...Object.fromEntries(Object.keys(INT_SETTING_BOUNDS).map((k) => [k, Type.Integer({ description: `${INT_SETTING_BOUNDS[k as keyof typeof INT_SETTING_BOUNDS].unit}` })])),
        minGradeToList: Grade,
        gradeFloorBps: GradeValues('lowest rate a bid may carry, basis points per year'),
        orderAdvancePct: GradeValues('order financing advance rate, percent'),
        expectedLossBps: GradeValues('expected loss per year, basis points'),
        claimAdvancePct: GradeValues('claim-backed listings advance rate, percent'),
      }),
      bounds: Type.Record(Type.String(), Range, { description: 'the documented range of each setting (per-grade settings: of each value)' }),
      overridden: Type.Array(Type.String(), { description: 'the settings operators changed from their environment value' }),
      environment: Type.Record(Type.String(), Type.String(), { description: 'the environment variable of each setting' }),
      gradeFloorBps: Type.String({ description: 'gradeFloorBps as its environment variable spells it (AA:800,A:900…, or none)' }),
      clock: Clock,
    },
    {
      example: {
        settings: DEFAULT_SETTINGS,
        bounds: { ...INT_SETTING_BOUNDS, ...GRADE_MAP_BOUNDS },
        overridden: ['maxRateBps'],
        environment: Object.fromEntries(Object.keys(DEFAULT_SETTINGS).map((k) => [k, settingEnvName(k as keyof Settings)])),
        gradeFloorBps: formatGradeMap(DEFAULT_SETTINGS.gradeFloorBps),
        clock: { settable: false, nowMs: 1_793_000_000_000, now: '2026-10-26T09:33:20.000Z', offsetMs: 0 },
      },
    },
  ),
);
/** A partner key's id and secret: the secret is shown once. */
const PartnerCredentials = Named(
  'PartnerCredentials',
  Type.Object(
    {
      partnerId: Type.String({ description: 'id, prt_…' }),
      keyId: Type.String({ description: 'id, pk_…: the x-lendbook-key header' }),
      secret: Type.String({ description: 'shown once' }),
      n: Type.Integer({ description: 'the number of this secret: 1 at creation, one more at each rotation' }),
    },
    { example: { partnerId: 'prt_0k3j5h2m9q8w', keyId: 'pk_0k3j5h2m9q8w', secret: 'sk_q7Vd0mYlq2o8c1kq3ZpLxwQfJ0n2bT5v', n: 1 } },
  ),
);
const PartnerKey = Named(
  'PartnerKey',
  Type.Object({
    keyId: Type.String({ description: 'id, pk_…' }),
    version: Type.Integer({ description: 'the number of the current secret' }),
    rotatedAt: Nullable(Timestamp),
    revoked: Type.Boolean(),
    secrets: Type.Array(Type.Integer(), { description: 'the numbers of the secrets that sign now (current, and previous during a rotation); never their values' }),
  }),
);
/** An order system as operators see it, with its keys (never the secrets). */
const AdminPartner = Named(
  'AdminPartner',
  Type.Object(
    {
      id: Type.String({ description: 'id, prt_…' }),
      name: Type.String(),
      webhookUrl: Nullable(Type.String()),
      createdAt: Timestamp,
      keys: Type.Array(PartnerKey),
    },
    { example: { id: 'prt_0k3j5h2m9q8w', name: 'Youzan Orders', webhookUrl: 'https://orders.example.com/lendbook/webhooks', createdAt: '2026-10-01T09:00:00.000Z', keys: [{ keyId: 'pk_0k3j5h2m9q8w', version: 2, rotatedAt: '2026-11-01T09:00:00.000Z', revoked: false, secrets: [2, 1] }] } },
  ),
);
/** Every money invariant, recomputed from the tables. */
const InvariantReport = Named(
  'InvariantReport',
  Type.Object(
    {
      ok: Type.Boolean({ description: 'every check holds' }),
      checks: Type.Array(Type.Object({ name: Type.String(), ok: Type.Boolean(), detail: Type.String() })),
    },
    { example: { ok: true, checks: [{ name: 'ledger.balanced', ok: true, detail: 'debits = credits = 125000000' }] } },
  ),
);
/** A webhook sent (or being sent) to an order system, with its attempts. */
const WebhookDelivery = Named(
  'WebhookDelivery',
  Type.Object(
    {
      id: Type.String({ description: 'id, whd_…' }),
      partnerId: Type.String({ description: 'id, prt_…' }),
      eventId: Type.String({ description: 'id, evt_…: the same on every attempt and replay' }),
      type: Type.String({ description: 'listing.cleared, loan.repaid, … (docs/partners.md)' }),
      status: Type.Union([Type.Literal('pending'), Type.Literal('delivered'), Type.Literal('failed')]),
      attempts: Type.Integer(),
      lastStatusCode: Nullable(Type.Integer({ description: "the partner's last HTTP status" })),
      lastError: Nullable(Type.String()),
      replays: Type.Integer({ description: 'how many times an operator sent it again' }),
      createdAt: Timestamp,
      deliveredAt: Nullable(Timestamp),
      payload: Type.Record(Type.String(), Type.Unknown(), { description: 'the event as sent: id, type, createdAt, data' }),
    },
    {
      example: {
        id: 'whd_0k3j5h2m9q8w',
        partnerId: 'prt_0k3j5h2m9q8w',
        eventId: 'evt_0k3j5h2m9q8w',
        type: 'listing.cleared',
        status: 'delivered',
        attempts: 1,
        lastStatusCode: 200,
        lastError: null,
        replays: 0,
        createdAt: '2026-11-02T08:00:00.000Z',
        deliveredAt: '2026-11-02T08:00:01.000Z',
        payload: { id: 'evt_0k3j5h2m9q8w', type: 'listing.cleared', createdAt: '2026-11-02T08:00:00.000Z', data: { listingId: 'lst_0k3j5h2m9q8w' } },
      },
    },
  ),
);
const WebhookReplay = Named(
  'WebhookReplay',
  Type.Object({ id: Type.String({ description: 'id, whd_…' }), status: Type.Literal('pending'), replays: Type.Integer() }),
);
const KeyId = Type.String({ pattern: '^pk_[0-9a-z]{10,40}$' });

export const adminRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const ctx = app.ctx;

  app.post(
    '/admin/partners',
    {
      config: { access: OPERATOR },
      schema: {
        operationId: 'createPartner',
        tags: ['operators'],
        summary: 'Register an order system: returns its API key and secret (shown once)',
        body: Strict({
          name: Type.String({ minLength: 1, maxLength: 100, pattern: '\\S' }),
          webhookUrl: Type.Optional(Type.String({ format: 'uri', pattern: '^https?://', maxLength: 500, description: 'https on a public address (http://localhost with LENDBOOK_ALLOW_HTTP_WEBHOOKS=on)' })),
        }),
        response: { 201: PartnerCredentials, ...Errors('WEBHOOK_URL_INVALID') },
      },
    },
    async (request, reply) => reply.code(201).send(await createPartner(ctx, request.body, requireUser(request).id)),
  );

  app.get(
    '/admin/partners',
    { config: { access: OPERATOR }, schema: { operationId: 'listPartners', tags: ['operators'], summary: 'Partners and their keys (never the secrets)', response: { 200: Type.Object({ items: Type.Array(AdminPartner) }) } } },
    async () => ({ items: await listPartners(ctx) }),
  );

  app.post(
    '/admin/partners/:keyId/rotate',
    {
      config: { access: OPERATOR },
      schema: {
        operationId: 'rotatePartnerKey',
        tags: ['operators'],
        summary: 'Rotate a partner key: a new secret (shown once); the previous one stays valid until the next rotation',
        params: Strict({ keyId: KeyId }),
        response: { 200: PartnerCredentials, ...Errors('NOT_FOUND') },
      },
    },
    async (request) => rotatePartnerKey(ctx, request.params.keyId),
  );

  app.delete(
    '/admin/partners/:keyId/secrets/:n',
    {
      config: { access: OPERATOR },
      schema: {
        operationId: 'revokePartnerSecret',
        tags: ['operators'],
        summary: "Revoke a key's previous secret at once (after a rotation, when it leaked or the partner has rolled over)",
        params: Strict({ keyId: KeyId, n: Type.String({ pattern: '^[1-9][0-9]{0,8}$', description: 'the number of the secret' }) }),
        response: { 204: NoContent, ...Errors('NOT_FOUND', 'PARTNER_SECRET_CURRENT') },
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
        operationId: 'checkInvariants',
        tags: ['operators'],
        summary: 'Recompute every money invariant from the tables',
        response: { 200: InvariantReport },
      },
    },
    async () => checkInvariants(ctx.db),
  );

  app.get(
    '/admin/webhooks',
    {
      config: { access: OPERATOR },
      schema: { operationId: 'listWebhookDeliveries', tags: ['operators'], summary: 'Webhook deliveries, newest first, with their attempts', querystring: Strict(Pagination), response: { 200: Page(WebhookDelivery) } },
    },
    async (request) => listDeliveries(ctx, parseLimit(request.query.limit), request.query.cursor),
  );

  app.post(
    '/admin/webhooks/:id/replay',
    {
      config: { access: OPERATOR },
      schema: {
        operationId: 'replayWebhookDelivery',
        tags: ['operators'],
        summary: 'Send a webhook again (same event id, so the partner can deduplicate)',
        params: Strict({ id: Type.String({ pattern: '^whd_[0-9a-z]{10,40}$' }) }),
        response: { 200: WebhookReplay, ...Errors('NOT_FOUND') },
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
    { config: { access: OPERATOR }, schema: { operationId: 'getSettings', tags: ['operators'], summary: 'The market settings in force, with the range each may take (docs/market-rules.md §8)', response: { 200: SettingsView } } },
    async () => settingsView(ctx),
  );

  app.put(
    '/admin/settings',
    {
      config: { access: OPERATOR },
      schema: {
        operationId: 'updateSettings',
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
        response: { 200: SettingsView, ...Errors('SETTING_INVALID') },
      },
    },
    async (request) => updateSettings(ctx, request.body as Record<string, unknown>, requireUser(request).id),
  );

  app.post(
    '/admin/clock',
    {
      config: { access: OPERATOR },
      schema: {
        operationId: 'advanceClock',
        tags: ['operators'],
        summary: 'Move the settable clock forward (only with LENDBOOK_CLOCK=settable; FORBIDDEN otherwise)',
        body: Strict({ advanceMs: Type.Integer({ minimum: 1, maximum: 10 * 365 * 86_400_000 }) }),
        response: { 200: ClockAdvance },
      },
    },
    async (request) => advanceClock(ctx, request.body.advanceMs),
  );
};
