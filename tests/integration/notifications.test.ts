/**
 * Notifications (docs/notifications.md): a lender outbid, partly filled or whose listing fails hears of
 * it in the notification centre (stored: a reload still shows it, marked read once read) and by e-mail
 * for the kinds it opted into, through a real SMTP server started here, in its own language.
 */
import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, expectInvariants, registerLender, type Session } from './helpers/api.js';
import { createTestStorage, startApp, type TestApp, type TestStorage } from './helpers/env.js';
import { acceptedBid, createListing, endAuction, newPartner, ratedBorrower, type Borrower } from './helpers/market.js';
import { ADMIN_ENV } from './helpers/partner.js';
import { waitFor } from './helpers/wait.js';

/** The queue and the SMTP server on a loaded machine: wait for conditions, generously. */
const until = (check: () => boolean | Promise<boolean>) => waitFor(check, 20_000, 50);

interface Mail {
  to: string;
  raw: string;
}

let storage: TestStorage;
let t: TestApp;
let smtp: SMTPServer;
const inbox: Mail[] = [];
let borrower: Borrower;
let zhLender: Session;
let enLender: Session;

beforeAll(async () => {
  smtp = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS', 'AUTH'],
    logger: false,
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        inbox.push({ to: session.envelope.rcptTo.map((r) => r.address).join(','), raw: Buffer.concat(chunks).toString('utf8') });
        callback();
      });
    },
  });
  await new Promise<void>((resolve) => smtp.listen(0, '127.0.0.1', resolve));
  const port = (smtp.server.address() as AddressInfo).port;
  storage = await createTestStorage();
  t = await startApp(storage, { env: { ...ADMIN_ENV, LENDBOOK_CLOCK: 'settable', LENDBOOK_AUCTION_MIN_DURATION_SEC: '60', LENDBOOK_SMTP_URL: `smtp://127.0.0.1:${port}`, LENDBOOK_MAIL_FROM: 'Lendbook <ops@lendbook.test>' } });
  borrower = await ratedBorrower(t.app, await newPartner(t.app));
  zhLender = await registerLender(t.app, { depositMinor: 2_000_000 });
  enLender = await registerLender(t.app, { depositMinor: 2_000_000 });
});
afterAll(async () => {
  if (t) await expectInvariants(t.app);
  await t?.close();
  await storage?.dispose();
  await new Promise<void>((resolve) => (smtp ? smtp.close(() => resolve()) : resolve()));
});

async function centre(token: string, locale: 'zh' | 'en') {
  const res = await call(t.app, 'GET', `/api/v1/me/notifications?locale=${locale}`, { token });
  expect(res.statusCode, res.body).toBe(200);
  return res.json() as { unread: number; items: { id: string; kind: string; title: string; body: string; href: string | null; readAt: string | null }[] };
}

/** The decoded text of a MIME message (nodemailer sends UTF-8 as quoted-printable or base64). */
function decoded(raw: string): string {
  const [head, ...rest] = raw.split(/\r?\n\r?\n/);
  const body = rest.join('\n\n');
  const subject = /^Subject: (.*(?:\r?\n[ \t].*)*)/im.exec(head ?? '')?.[1] ?? '';
  const words = subject.replace(/\r?\n[ \t]/g, '').replace(/=\?utf-8\?([BQ])\?([^?]*)\?=/gi, (_m, enc: string, text: string) =>
    enc.toUpperCase() === 'B' ? Buffer.from(text, 'base64').toString('utf8') : Buffer.from(text.replace(/_/g, ' ').replace(/=([0-9A-F]{2})/gi, (_x, h: string) => String.fromCharCode(parseInt(h, 16))), 'latin1').toString('utf8'),
  );
  const text = /content-transfer-encoding: base64/i.test(head ?? '')
    ? Buffer.from(body.replace(/\s+/g, ''), 'base64').toString('utf8')
    : Buffer.from(body.replace(/=\r?\n/g, '').replace(/=([0-9A-F]{2})/gi, (_x, h: string) => String.fromCharCode(parseInt(h, 16))), 'latin1').toString('utf8');
  return `${words}\n${text}`;
}

describe('notifications', () => {
  it('outbid: stored in the centre in the language asked for, e-mailed in the user\'s language once opted in', async () => {
    // The Chinese-speaking lender wants outbid e-mails (off by default); the English one keeps the defaults.
    const prefs = await call(t.app, 'PUT', '/api/v1/me/notification-preferences', { token: zhLender.token, body: { locale: 'zh', kinds: { outbid: { email: true } } } });
    expect(prefs.statusCode, prefs.body).toBe(200);
    expect(prefs.json()).toMatchObject({ locale: 'zh', emailAvailable: true, kinds: { outbid: { inApp: true, email: true }, payment_received: { email: false } } });
    expect((await call(t.app, 'PUT', '/api/v1/me/notification-preferences', { token: enLender.token, body: { locale: 'en' } })).statusCode).toBe(200);

    const listing = await createListing(t.app, borrower, { amountMinor: 800_000, maxRateBps: 1500, durationSec: 3600, minFundingPct: 50 });
    await acceptedBid(t.app, zhLender.token, listing.id, 800_000, 1400);
    await acceptedBid(t.app, enLender.token, listing.id, 500_000, 1200);
    // The zh lender still wins part of the listing: nothing to tell it yet. A third lender at 11 % pushes it out.
    await t.app.ctx.dispatcher.dispatchOnce();
    expect((await centre(zhLender.token, 'zh')).items).toEqual([]);
    await acceptedBid(t.app, (await registerLender(t.app, { depositMinor: 1_000_000 })).token, listing.id, 500_000, 1100);
    await until(async () => (await centre(zhLender.token, 'zh')).items.some((n) => n.kind === 'outbid'));
    const after = await centre(zhLender.token, 'zh');
    const outbid = after.items.find((n) => n.kind === 'outbid')!;
    expect(outbid.title).toBe('您的出价被超越');
    expect(outbid.href).toBe(`#/listing/${listing.id}`);
    expect(after.unread).toBe(1);
    expect(outbid.body).toContain('¥8,000.00');
    expect(outbid.body).toContain('14.00%');
    expect((await centre(zhLender.token, 'en')).items.find((n) => n.kind === 'outbid')!.title).toBe('You were outbid');

    await until(() => inbox.some((m) => m.to === zhLender.email));
    const raw = inbox.find((m) => m.to === zhLender.email)!.raw;
    const mail = decoded(raw);
    expect(mail).toContain('Lendbook: 您的出价被超越');
    expect(mail).toContain('¥8,000.00');
    expect(raw).toMatch(/^From: .*ops@lendbook\.test/m);
  });

  it('a partly filled bid at clearing: the English-speaking lender is told in the centre and by e-mail, in English', async () => {
    const { items } = await call(t.app, 'GET', '/api/v1/listings?status=open', {}).then((r) => r.json() as { items: { id: string }[] });
    expect(await endAuction(t.app, items[0]!.id)).toBe('cleared');
    await until(async () => (await centre(enLender.token, 'en')).items.some((n) => n.kind === 'bid_filled'));
    const filled = (await centre(enLender.token, 'en')).items.find((n) => n.kind === 'bid_filled')!;
    expect(filled.title).toBe('Your bid was partly filled');
    await until(() => inbox.some((m) => m.to === enLender.email && decoded(m.raw).includes('partly filled')));
    const mail = decoded(inbox.find((m) => m.to === enLender.email && decoded(m.raw).includes('partly filled'))!.raw);
    expect(mail).toContain('Lendbook: Your bid was partly filled');
    // The borrower hears of its funding.
    await until(async () => (await centre(borrower.token, 'zh')).items.some((n) => n.kind === 'loan_disbursed'));
  });

  it('marking read survives a reload; a kind turned off in the app is not stored', async () => {
    const before = await centre(enLender.token, 'en');
    expect(before.unread).toBeGreaterThan(0);
    const one = await call(t.app, 'POST', '/api/v1/me/notifications/read', { token: enLender.token, body: { ids: [before.items[0]!.id] } });
    expect(one.json().unread).toBe(before.unread - 1);
    expect((await call(t.app, 'POST', '/api/v1/me/notifications/read', { token: enLender.token, body: { all: true } })).json().unread).toBe(0);
    const reloaded = await centre(enLender.token, 'en');
    expect(reloaded.unread).toBe(0);
    expect(reloaded.items.every((n) => n.readAt !== null)).toBe(true);

    // Someone who turned outbid notifications off in the app gets none stored (and no e-mail).
    const quiet = await registerLender(t.app, { depositMinor: 1_000_000 });
    expect((await call(t.app, 'PUT', '/api/v1/me/notification-preferences', { token: quiet.token, body: { kinds: { outbid: { inApp: false } } } })).statusCode).toBe(200);
    const b2 = await ratedBorrower(t.app, await newPartner(t.app));
    const l2 = await createListing(t.app, b2, { amountMinor: 100_000, maxRateBps: 1500, durationSec: 3600 });
    await acceptedBid(t.app, quiet.token, l2.id, 100_000, 1400);
    const loud = await registerLender(t.app, { depositMinor: 1_000_000 });
    await acceptedBid(t.app, loud.token, l2.id, 100_000, 1300);
    // The outbid event itself reached the outbox and was dispatched: only its notification is missing.
    await until(async () => (await call(t.app, 'GET', '/api/v1/wallet', { token: quiet.token })).json().heldMinor === 0);
    await until(async () => !(await call(t.app, 'GET', `/api/v1/me/bids`, { token: quiet.token })).json().items.some((b: { status: string }) => b.status === 'winning'));
    await t.app.ctx.dispatcher.dispatchOnce();
    expect((await centre(quiet.token, 'en')).items.filter((n) => n.kind === 'outbid')).toEqual([]);
    expect((await call(t.app, 'PUT', '/api/v1/me/notification-preferences', { token: quiet.token, body: { kinds: { nonsense: { inApp: true } } } })).statusCode).toBe(400);
  });
});
