import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { NOTIFICATION_KINDS } from '../../domain/notifications/index.js';
import { listNotifications, markRead, preferencesView, updatePreferences } from '../../services/notifications.js';
import { requireUser } from '../plugins/auth.js';
import { Named, Nullable, Pagination, Strict, Timestamp, parseLimit } from '../schemas.js';

const USERS = ['lender', 'borrower', 'operator', 'guarantor'] as const;
const Locale = Type.Union([Type.Literal('zh'), Type.Literal('en')]);
/** A notification in the language asked for. */
const Notification = Named(
  'Notification',
  Type.Object(
    {
      id: Type.String({ description: 'id, ntf_…' }),
      kind: Type.String({ description: NOTIFICATION_KINDS.join(' | ') }),
      title: Type.String(),
      body: Type.String(),
      href: Nullable(Type.String({ description: "the web app's page it concerns" })),
      data: Type.Record(Type.String(), Type.Unknown(), { description: 'the event it tells of (listingId, loanId, amounts in minor units…)' }),
      createdAt: Timestamp,
      readAt: Nullable(Timestamp),
    },
    {
      example: {
        id: 'ntf_1042_0',
        kind: 'outbid',
        title: 'Outbid on Sneaker drop',
        body: 'A lower rate took your place; your ¥5,000.00 is available again.',
        href: '#/listing/lst_0k3j5h2m9q8w',
        data: { listingId: 'lst_0k3j5h2m9q8w', bidId: 'bid_0k3j5h2m9q8w', amountMinor: 500_000, title: 'Sneaker drop' },
        createdAt: '2026-11-02T08:00:00.000Z',
        readAt: null,
      },
    },
  ),
);
const NotificationList = Named(
  'NotificationList',
  Type.Object({ items: Type.Array(Notification), unread: Type.Integer({ description: 'how many of all your notifications are unread' }), nextCursor: Nullable(Type.String()) }),
);
const UnreadCount = Named('NotificationUnreadCount', Type.Object({ unread: Type.Integer({ description: 'how many are still unread' }) }));
const KindPreference = Type.Object({ inApp: Type.Boolean(), email: Type.Boolean() });
const Preferences = Named(
  'NotificationPreferences',
  Type.Object(
    {
      locale: Locale,
      emailAvailable: Type.Boolean({ description: 'false when the server sends no e-mail (no LENDBOOK_SMTP_URL)' }),
      kinds: Type.Record(Type.String(), KindPreference, { description: `per kind (${NOTIFICATION_KINDS.join(', ')})` }),
    },
    { example: { locale: 'zh', emailAvailable: true, kinds: { outbid: { inApp: true, email: false }, bid_filled: { inApp: true, email: true } } } },
  ),
);

/** The notification centre (docs/notifications.md): the list, marking read, preferences per kind. */
export const notificationRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const ctx = app.ctx;

  app.get(
    '/me/notifications',
    {
      config: { access: USERS },
      schema: {
        operationId: 'listMyNotifications',
        tags: ['notifications'],
        summary: 'Your notifications, newest first, in the language asked for, with how many are unread',
        querystring: Strict({ ...Pagination, locale: Type.Optional(Locale) }),
        response: { 200: NotificationList },
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
        operationId: 'markNotificationsRead',
        tags: ['notifications'],
        summary: 'Mark notifications read: the ones listed, or all',
        body: Type.Union([Strict({ ids: Type.Array(Type.String({ maxLength: 80 }), { minItems: 1, maxItems: 200 }) }), Strict({ all: Type.Literal(true) })]),
        response: { 200: UnreadCount },
      },
    },
    async (request) => {
      const body = request.body as { ids?: string[]; all?: true };
      return markRead(ctx, requireUser(request).id, body.all ? 'all' : (body.ids ?? []));
    },
  );

  app.get(
    '/me/notification-preferences',
    { config: { access: USERS }, schema: { operationId: 'getNotificationPreferences', tags: ['notifications'], summary: 'What you are told, per kind, in the app and by e-mail, and in which language', response: { 200: Preferences } } },
    async (request) => preferencesView(ctx, requireUser(request).id),
  );

  app.put(
    '/me/notification-preferences',
    {
      config: { access: USERS },
      schema: {
        operationId: 'updateNotificationPreferences',
        tags: ['notifications'],
        summary: 'Change what you are told per kind (in the app, by e-mail) and the language of your e-mails',
        body: Strict({
          locale: Type.Optional(Locale),
          kinds: Type.Optional(Type.Record(Type.String({ maxLength: 40 }), Type.Object({ inApp: Type.Optional(Type.Boolean()), email: Type.Optional(Type.Boolean()) }, { additionalProperties: false }))),
        }),
        response: { 200: Preferences },
      },
    },
    async (request) => updatePreferences(ctx, requireUser(request).id, request.body),
  );
};
