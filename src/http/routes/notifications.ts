import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { NOTIFICATION_KINDS } from '../../domain/notifications/index.js';
import { listNotifications, markRead, preferencesView, updatePreferences } from '../../services/notifications.js';
import { requireUser } from '../plugins/auth.js';
import { Pagination, Problem, Strict, parseLimit } from '../schemas.js';

const USERS = ['lender', 'borrower', 'operator', 'guarantor'] as const;
const Locale = Type.Union([Type.Literal('zh'), Type.Literal('en')]);
const Notification = Type.Object({
  id: Type.String(),
  kind: Type.String({ description: NOTIFICATION_KINDS.join(' | ') }),
  title: Type.String(),
  body: Type.String(),
  href: Type.Union([Type.String(), Type.Null()], { description: "the web app's page it concerns" }),
  data: Type.Record(Type.String(), Type.Unknown()),
  createdAt: Type.String(),
  readAt: Type.Union([Type.String(), Type.Null()]),
});
const KindPreference = Type.Object({ inApp: Type.Boolean(), email: Type.Boolean() });
const Preferences = Type.Object({
  locale: Type.String(),
  emailAvailable: Type.Boolean({ description: 'false when the server sends no e-mail (no LENDBOOK_SMTP_URL)' }),
  kinds: Type.Record(Type.String(), KindPreference),
});

/** The notification centre (docs/notifications.md): the list, marking read, preferences per kind. */
export const notificationRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const ctx = app.ctx;

  app.get(
    '/me/notifications',
    {
      config: { access: USERS },
      schema: {
        tags: ['notifications'],
        summary: 'Your notifications, newest first, in the language asked for, with how many are unread',
        querystring: Strict({ ...Pagination, locale: Type.Optional(Locale) }),
        response: { 200: Type.Object({ items: Type.Array(Notification), unread: Type.Integer(), nextCursor: Type.Union([Type.String(), Type.Null()]) }) },
      },
    },
    async (request) => {
      const user = requireUser(request);
      return listNotifications(ctx, user.id, { limit: parseLimit(request.query.limit, 30, 100), cursor: request.query.cursor, locale: request.query.locale ?? 'zh' });
    },
  );

  app.post(
    '/me/notifications/read',
    {
      config: { access: USERS },
      schema: {
        tags: ['notifications'],
        summary: 'Mark notifications read: the ones listed, or all',
        body: Type.Union([Strict({ ids: Type.Array(Type.String({ maxLength: 80 }), { minItems: 1, maxItems: 200 }) }), Strict({ all: Type.Literal(true) })]),
        response: { 200: Type.Object({ unread: Type.Integer() }) },
      },
    },
    async (request) => {
      const body = request.body as { ids?: string[]; all?: true };
      return markRead(ctx, requireUser(request).id, body.all ? 'all' : (body.ids ?? []));
    },
  );

  app.get(
    '/me/notification-preferences',
    { config: { access: USERS }, schema: { tags: ['notifications'], summary: 'What you are told, per kind, in the app and by e-mail, and in which language', response: { 200: Preferences } } },
    async (request) => preferencesView(ctx, requireUser(request).id),
  );

  app.put(
    '/me/notification-preferences',
    {
      config: { access: USERS },
      schema: {
        tags: ['notifications'],
        summary: 'Change what you are told per kind (in the app, by e-mail) and the language of your e-mails',
        body: Strict({
          locale: Type.Optional(Locale),
          kinds: Type.Optional(Type.Record(Type.String({ maxLength: 40 }), Type.Object({ inApp: Type.Optional(Type.Boolean()), email: Type.Optional(Type.Boolean()) }, { additionalProperties: false }))),
        }),
        response: { 200: Preferences, 400: Problem },
      },
    },
    async (request) => updatePreferences(ctx, requireUser(request).id, request.body),
  );
};
