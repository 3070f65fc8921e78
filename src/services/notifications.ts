/**
 * The notification centre and e-mail (docs/notifications.md). The outbox dispatcher hands every batch of
 * `me` events it publishes to recordNotifications, inside its own transaction: a notification is stored
 * exactly when its event is published (ids from the outbox row, so a retry adds nothing), and e-mails are
 * queued as jobs for the kinds a user opted into, sent through SMTP when LENDBOOK_SMTP_URL is set.
 */
import { and, desc, eq, inArray, isNull, lt, sql } from 'drizzle-orm';
import nodemailer, { type Transporter } from 'nodemailer';
import type { AppContext } from '../context.js';
import { rows, sqlArray, type Queryable } from '../db/client.js';
import { notificationPreferences, notifications, users, type OutboxJob, type OutboxMessage } from '../db/schema/index.js';
import { AppError } from '../domain/errors.js';
import { hrefOf, isNotificationKind, kindOfEvent, preferencesOf, renderNotification, type KindPreference, type Locale, type NotificationKind } from '../domain/notifications/index.js';

export const EMAIL_JOB = 'notification.email';

interface Candidate {
  id: string;
  userId: string;
  kind: NotificationKind;
  data: Record<string, unknown>;
}

/**
 * Stores the notifications of dispatched outbox rows (the caller's transaction) and returns the e-mail
 * jobs to enqueue with them. Cheap when a batch has no `me` event worth a notification.
 */
export async function recordNotifications(tx: Queryable, batch: readonly { id: number; messages: OutboxMessage[] }[], opts: { emailEnabled: boolean; at: Date }): Promise<OutboxJob[]> {
  const found: Candidate[] = [];
  for (const row of batch) {
    row.messages.forEach((m, i) => {
      if (!m.channel.startsWith('user:')) return;
      const data = (m.data ?? {}) as Record<string, unknown>;
      const kind = kindOfEvent(m.type, data);
      if (kind) found.push({ id: `ntf_${row.id}_${i}`, userId: m.channel.slice('user:'.length), kind, data });
    });
  }
  if (found.length === 0) return [];
  const userIds = [...new Set(found.map((c) => c.userId))];
  const prefs = await tx.select().from(notificationPreferences).where(inArray(notificationPreferences.userId, userIds));
  const prefOf = new Map(prefs.map((p) => [p.userId, preferencesOf(p.prefs)]));
  const listingIds = [...new Set(found.map((c) => c.data.listingId).filter((x): x is string => typeof x === 'string'))];
  const loanIds = [...new Set(found.map((c) => c.data.loanId).filter((x): x is string => typeof x === 'string'))];
  // The listing's title makes a notification readable ("Sneaker drop was outbid"), and it never changes.
  const titles = await rows<{ id: string; loan_id: string | null; title: string }>(
    tx,
    sql`select id, loan_id, title from listings where id = any(${sqlArray(listingIds)}::text[]) or loan_id = any(${sqlArray(loanIds)}::text[])`,
  );
  const titleOfListing = new Map(titles.map((r) => [r.id, r.title]));
  const titleOfLoan = new Map(titles.filter((r) => r.loan_id).map((r) => [r.loan_id!, r.title]));
  const kept = found.filter((c) => (prefOf.get(c.userId) ?? preferencesOf(null))[c.kind].inApp);
  if (kept.length === 0) return [];
  const records = kept.map((c) => {
    const title = (typeof c.data.listingId === 'string' ? titleOfListing.get(c.data.listingId) : undefined) ?? (typeof c.data.loanId === 'string' ? titleOfLoan.get(c.data.loanId) : undefined);
    return { id: c.id, user_id: c.userId, kind: c.kind, data: { ...c.data, ...(title ? { title } : {}) } };
  });
  await tx.execute(sql`insert into notifications (id, user_id, kind, data, created_at)
    select id, user_id, kind, data, ${opts.at.toISOString()}::timestamptz from jsonb_to_recordset(${JSON.stringify(records)}::jsonb) as x(id text, user_id text, kind text, data jsonb)
    on conflict (id) do nothing`);
  if (!opts.emailEnabled) return [];
  return kept.filter((c) => (prefOf.get(c.userId) ?? preferencesOf(null))[c.kind].email).map((c) => ({ name: EMAIL_JOB, id: `email-${c.id}`, data: { notificationId: c.id } }));
}

export interface NotificationView {
  id: string;
  kind: string;
  title: string;
  body: string;
  href: string | null;
  data: Record<string, unknown>;
  createdAt: string;
  readAt: string | null;
}

function view(row: typeof notifications.$inferSelect, locale: Locale): NotificationView {
  const kind = isNotificationKind(row.kind) ? row.kind : null;
  const text = kind ? renderNotification(kind, row.data, locale) : { title: row.kind, body: '' };
  return { id: row.id, kind: row.kind, ...text, href: hrefOf(row.data), data: row.data, createdAt: row.createdAt.toISOString(), readAt: row.readAt?.toISOString() ?? null };
}

/** The notification centre: newest first, with the number unread, in the language asked for. */
export async function listNotifications(ctx: AppContext, userId: string, opts: { limit: number; cursor?: string | undefined; locale: Locale }) {
  const found = await ctx.db
    .select()
    .from(notifications)
    .where(and(eq(notifications.userId, userId), opts.cursor ? lt(notifications.id, opts.cursor) : undefined))
    .orderBy(desc(notifications.createdAt), desc(notifications.id))
    .limit(opts.limit + 1);
  const page = found.slice(0, opts.limit);
  const [unread] = await rows<{ n: number }>(ctx.db, sql`select count(*)::int as n from notifications where user_id = ${userId} and read_at is null`);
  return { items: page.map((r) => view(r, opts.locale)), unread: Number(unread?.n ?? 0), nextCursor: found.length > opts.limit ? (page[page.length - 1]?.id ?? null) : null };
}

/** Marks the given notifications of the user (or all of them) read; returns how many are still unread. */
export async function markRead(ctx: AppContext, userId: string, ids: readonly string[] | 'all') {
  const at = new Date(ctx.clock.nowMs());
  await ctx.db
    .update(notifications)
    .set({ readAt: at })
    .where(and(eq(notifications.userId, userId), isNull(notifications.readAt), ids === 'all' ? undefined : inArray(notifications.id, [...ids])));
  const [unread] = await rows<{ n: number }>(ctx.db, sql`select count(*)::int as n from notifications where user_id = ${userId} and read_at is null`);
  return { unread: Number(unread?.n ?? 0) };
}

export async function preferencesView(ctx: AppContext, userId: string) {
  const [row] = await ctx.db.select().from(notificationPreferences).where(eq(notificationPreferences.userId, userId));
  const [user] = await ctx.db.select({ locale: users.locale }).from(users).where(eq(users.id, userId));
  return { locale: user?.locale ?? 'zh', emailAvailable: Boolean(ctx.config.smtpUrl), kinds: preferencesOf(row?.prefs) };
}

/** Saves the user's choices per kind (and the language of its e-mails). */
export async function updatePreferences(ctx: AppContext, userId: string, input: { locale?: Locale; kinds?: Record<string, Partial<KindPreference>> }) {
  if (input.kinds) {
    for (const k of Object.keys(input.kinds)) if (!isNotificationKind(k)) throw new AppError('VALIDATION_FAILED', `body/kinds/${k} is not a notification kind`, { errors: [{ field: `body/kinds/${k}`, message: 'is not a notification kind' }] });
    const [row] = await ctx.db.select().from(notificationPreferences).where(eq(notificationPreferences.userId, userId));
    const merged: Record<string, Partial<KindPreference>> = { ...(row?.prefs ?? {}) };
    for (const [k, v] of Object.entries(input.kinds)) merged[k] = { ...(merged[k] ?? {}), ...v };
    await ctx.db
      .insert(notificationPreferences)
      .values({ userId, prefs: merged })
      .onConflictDoUpdate({ target: notificationPreferences.userId, set: { prefs: merged, updatedAt: new Date() } });
  }
  if (input.locale) await ctx.db.update(users).set({ locale: input.locale }).where(eq(users.id, userId));
  return preferencesView(ctx, userId);
}

const transports = new WeakMap<AppContext, Transporter>();

function transportOf(ctx: AppContext): Transporter {
  let t = transports.get(ctx);
  if (!t) {
    t = nodemailer.createTransport(ctx.config.smtpUrl!);
    transports.set(ctx, t);
  }
  return t;
}

/**
 * The e-mail job: sends one notification to its user, in the user's language, once (a job that runs
 * again after the send but before the mark may send twice; SMTP offers nothing better).
 */
export async function sendNotificationEmail(ctx: AppContext, notificationId: string): Promise<'sent' | 'skipped'> {
  if (!ctx.config.smtpUrl) return 'skipped';
  const [row] = await ctx.db.select().from(notifications).where(eq(notifications.id, notificationId));
  // The job can reach Redis before the dispatch that wrote the row commits: not there yet, try again later.
  if (!row) throw new Error(`notification ${notificationId} is not committed yet`);
  if (row.emailedAt || !isNotificationKind(row.kind)) return 'skipped';
  const [user] = await ctx.db.select({ email: users.email, displayName: users.displayName, locale: users.locale }).from(users).where(eq(users.id, row.userId));
  if (!user) return 'skipped';
  const locale = user.locale === 'en' ? 'en' : 'zh';
  const text = renderNotification(row.kind, row.data, locale);
  const link = hrefOf(row.data);
  const url = `${ctx.config.publicUrl.replace(/\/+$/, '')}/${link ?? '#/'}`;
  const footer = locale === 'zh' ? `查看：${url}\n\n可在“账户”页面更改通知设置。` : `Open: ${url}\n\nChange what you are e-mailed about on your Account page.`;
  await transportOf(ctx).sendMail({
    from: ctx.config.mailFrom,
    to: user.email,
    subject: `Lendbook: ${text.title}`,
    text: `${text.body}\n\n${footer}\n`,
    headers: { 'Content-Language': locale === 'zh' ? 'zh-CN' : 'en' },
  });
  await ctx.db.update(notifications).set({ emailedAt: new Date(ctx.clock.nowMs()) }).where(eq(notifications.id, notificationId));
  return 'sent';
}

/** Closes the SMTP connections of this node (shutdown). */
export function closeMail(ctx: AppContext): void {
  transports.get(ctx)?.close();
  transports.delete(ctx);
}
