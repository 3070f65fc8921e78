/**
 * Accessibility (docs/accessibility.md): axe-core on every page and state of the app a visitor, a
 * lender, a borrower and an operator see, in English and in Chinese; a lender who bids with the
 * keyboard only; what the live regions announce over a minute of market activity; and the app opened
 * at http://127.0.0.1:<port> with the default public URL going live.
 */
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, registerLender, type Session } from '../integration/helpers/api.js';
import { endAuction, newPartner, type Borrower } from '../integration/helpers/market.js';
import { ADMIN, type PartnerKey } from '../integration/helpers/partner.js';
import { startE2eApp, type E2eApp } from './helpers/app.js';
import { expectNoAxeViolations } from './helpers/axe.js';
import { launchBrowser, loginPage, newContext, watchErrors } from './helpers/browser.js';
import { bidOk, lenders, listingOf, namedBorrower, PASSWORD } from './helpers/market.js';

let t: E2eApp;
let browser: Browser;
let partner: PartnerKey;
/** Has an open listing with bids (openId) and a loan (loanId). */
let borrower: Borrower;
/** Has nothing open: the new-listing form is theirs to fill. */
let newcomer: Borrower;
let lender: Session;
let openId = '';
let loanId = '';
const contexts: BrowserContext[] = [];
const errors: string[] = [];

async function login(email: string, password: string, name: string, locale: 'en' | 'zh'): Promise<Page> {
  const { ctx, page } = await loginPage(browser, t.url, email, password, errors, `${name} (${locale})`, { locale: locale === 'zh' ? 'zh-CN' : 'en-US', ignore: [/Failed to load resource/] });
  contexts.push(ctx);
  return page;
}

async function go(page: Page, route: string): Promise<void> {
  await page.evaluate((r) => (location.hash = `#/${r}`), route);
}

beforeAll(async () => {
  [t, browser] = await Promise.all([startE2eApp({ LENDBOOK_CLOCK: 'settable' }), launchBrowser()]);
  partner = await newPartner(t.app);
  [borrower, newcomer] = await Promise.all([namedBorrower(t.app, partner, 'Hangzhou Cloud Apparel 杭州云裳'), namedBorrower(t.app, partner, 'Ningbo Home Goods', 450_000)]);
  lender = await registerLender(t.app, { depositMinor: 5_000_000, displayName: 'Alice Lender' });
  const others = await lenders(t.app, 3);
  // A loan first (the lender's portfolio, the borrower's loans), then an open listing with a book.
  const cleared = await listingOf(t.app, borrower, { title: 'Autumn collection stock', purpose: 'Wool coats for the autumn.', amountMinor: 800_000, maxRateBps: 1500, termMonths: 6, durationSec: 3600 });
  await bidOk(t.app, lender.token, cleared, 500_000, 1200);
  await bidOk(t.app, others[0]!, cleared, 500_000, 1300);
  expect(await endAuction(t.app, cleared)).toBe('cleared');
  loanId = (await call(t.app, 'GET', `/api/v1/listings/${cleared}`)).json().loanId;
  openId = await listingOf(t.app, borrower, { title: 'Winter stock 冬季备货', purpose: 'Down jackets for the winter.', amountMinor: 2_000_000, maxRateBps: 1600, termMonths: 12, durationSec: 3 * 86_400 });
  await bidOk(t.app, others[1]!, openId, 800_000, 1450);
  await bidOk(t.app, others[2]!, openId, 600_000, 1380);
}, 180_000);

afterAll(async () => {
  for (const c of contexts) await c.close().catch(() => undefined);
  await browser?.close();
  await t?.stop();
});

describe.each(['en', 'zh'] as const)('axe on every page and state (%s)', (locale) => {
  const where = (s: string) => `${s} (${locale})`;

  it('a visitor: market, listing, disclosure, notes for sale, login with an error, register', async () => {
    const ctx = await newContext(browser, { locale: locale === 'zh' ? 'zh-CN' : 'en-US' });
    contexts.push(ctx);
    const page = await ctx.newPage();
    watchErrors(page, errors, where('visitor'), [/Failed to load resource/]);
    await page.goto(`${t.url}/#/market`);
    await page.getByTestId('market-row').first().waitFor();
    await page.locator('[data-testid="connection-state"][data-state="open"]').waitFor();
    await expectNoAxeViolations(page, where('visitor: market'));
    await go(page, `listing/${openId}`);
    await page.getByTestId('book-row').first().waitFor();
    await page.getByTestId('ticket-login').waitFor();
    await expectNoAxeViolations(page, where('visitor: listing'));
    await go(page, 'stats');
    await page.getByTestId('stats').waitFor();
    await page.getByTestId('grade-table').waitFor();
    await expectNoAxeViolations(page, where('visitor: disclosure'));
    await go(page, 'notes');
    await page.getByTestId('notes-market').waitFor();
    await expectNoAxeViolations(page, where('visitor: notes for sale'));
    await go(page, 'register');
    await page.getByTestId('register-submit').waitFor();
    await expectNoAxeViolations(page, where('visitor: register'));
    await go(page, 'login');
    await page.getByTestId('login-email').fill(lender.email);
    await page.getByTestId('login-password').fill('not the password');
    await page.getByTestId('login-submit').click();
    await page.getByTestId('login-error').waitFor();
    await expectNoAxeViolations(page, where('visitor: login with an error'));
  });

  it('a lender: market, listing with the bid form (a winning and a refused rate), bids, portfolio, wallet, account', async () => {
    const page = await login(lender.email, PASSWORD, 'lender', locale);
    await go(page, 'market');
    await page.getByTestId('market-row').first().waitFor();
    await expectNoAxeViolations(page, where('lender: market'));
    await go(page, `listing/${openId}`);
    await page.getByTestId('bid-ticket').waitFor();
    await page.getByTestId('book-row').first().waitFor();
    await page.getByTestId('bid-amount').fill('1000');
    await page.getByTestId('bid-rate').fill('13');
    await page.locator('[data-testid="bid-preview"][data-verdict="win"]').waitFor();
    await expectNoAxeViolations(page, where('lender: listing with the bid form'));
    await page.getByTestId('bid-rate').fill('25');
    await page.locator('[data-testid="bid-preview"][data-verdict="reject"]').waitFor();
    await expectNoAxeViolations(page, where('lender: listing, a refused rate'));
    await go(page, 'bids');
    await page.getByTestId('my-bids').waitFor();
    await page.getByTestId('my-bid-row').first().waitFor();
    await expectNoAxeViolations(page, where('lender: bids'));
    await go(page, 'portfolio');
    await page.getByTestId('note-row').first().waitFor();
    await page.locator('lb-chart canvas').first().waitFor();
    await expectNoAxeViolations(page, where('lender: portfolio'));
    await go(page, 'wallet');
    await page.getByTestId('statement-line').first().waitFor();
    await expectNoAxeViolations(page, where('lender: wallet'));
    await page.getByTestId('withdraw-amount').fill('99999999');
    await page.getByTestId('withdraw-warning').waitFor();
    await expectNoAxeViolations(page, where('lender: wallet, a refused withdrawal'));
    await go(page, 'account');
    await page.getByTestId('kyc-status').or(page.getByTestId('kyc-form')).first().waitFor();
    await expectNoAxeViolations(page, where('lender: account'));
    await go(page, `loan/${loanId}`);
    await page.getByTestId('installment-row').first().waitFor();
    await expectNoAxeViolations(page, where('lender: loan'));
    // The notifications panel open.
    await page.locator('lb-bell button').first().click();
    await page.locator('.bell-panel').waitFor();
    await expectNoAxeViolations(page, where('lender: notifications open'));
  });

  it('a borrower: listings, the new-listing form (empty and refused), rating, loans', async () => {
    const page = await login(borrower.email, PASSWORD, 'borrower', locale);
    await go(page, 'borrower/listings');
    await page.getByTestId('my-listing-row').first().waitFor();
    await expectNoAxeViolations(page, where('borrower: listings'));
    await go(page, 'borrower/rating');
    await page.getByTestId('rating-score').waitFor();
    await expectNoAxeViolations(page, where('borrower: rating'));
    await go(page, 'borrower/loans');
    await page.getByTestId('loan-row').first().waitFor();
    await expectNoAxeViolations(page, where('borrower: loans'));
    await go(page, `loan/${loanId}`);
    await page.getByTestId('owed').waitFor();
    await expectNoAxeViolations(page, where('borrower: loan'));
    const other = await login(newcomer.email, PASSWORD, 'newcomer', locale);
    await go(other, 'borrower/new');
    const amount = other.getByTestId('listing-amount');
    await expect.poll(() => amount.inputValue()).not.toBe('');
    await other.getByTestId('schedule-preview').waitFor();
    await expectNoAxeViolations(other, where('borrower: new-listing form'));
    await other.getByTestId('listing-submit').click(); // no title: refused
    await other.locator('[aria-invalid="true"], [data-testid="create-listing-error"]').first().waitFor();
    await expectNoAxeViolations(other, where('borrower: new-listing form, refused'));
  });

  it('an operator: settings (and a refused value), users, partners, invariants, webhooks, defaults, core enterprises', async () => {
    const page = await login(ADMIN.email, ADMIN.password, 'operator', locale);
    await go(page, 'admin/settings');
    await page.getByTestId('setting-maxRateBps').waitFor();
    await expectNoAxeViolations(page, where('operator: settings'));
    await page.getByTestId('setting-maxRateBps').fill('150');
    await page.locator('.field-error').first().waitFor();
    await expectNoAxeViolations(page, where('operator: settings, a refused value'));
    if (locale === 'zh') return; // the other operator pages once: they share the settings page's parts
    for (const [route, ready] of [
      ['admin/users', 'lb-admin-users-view table'],
      ['admin/merchants', 'lb-admin-merchants-view [data-testid="merchant-row"]'],
      ['admin/partners', 'lb-admin-partners-view [data-testid="partner-form"]'],
      ['admin/invariants', 'lb-admin-invariants-view [data-testid="invariant"]'],
      ['admin/webhooks', 'lb-admin-webhooks-view [data-testid="webhooks"]'],
      ['admin/defaults', 'lb-admin-defaults-view h1'],
      ['admin/core-enterprises', 'lb-admin-core-enterprises-view h1'],
    ] as const) {
      await go(page, route);
      await page.locator(`main ${ready}`).first().waitFor();
      await expectNoAxeViolations(page, where(`operator: ${route}`));
    }
  });
});

describe('axe at phone width', () => {
  it('a visitor: the market as cards, the menu open, a listing', async () => {
    const ctx = await newContext(browser, { width: 390, height: 844 });
    contexts.push(ctx);
    const page = await ctx.newPage();
    watchErrors(page, errors, 'phone');
    await page.goto(`${t.url}/#/market`);
    await page.locator('.market-cards lb-listing-status').first().waitFor();
    await expectNoAxeViolations(page, 'phone: market');
    await page.locator('.menu-btn').click();
    await page.locator('#nav.open').waitFor();
    await expectNoAxeViolations(page, 'phone: the menu open');
    await page.locator('.menu-btn').click();
    await go(page, `listing/${openId}`);
    await page.getByTestId('book-row').first().waitFor();
    await expectNoAxeViolations(page, 'phone: listing');
  });
});

/** What has focus now: never <body>, and drawn (:focus-visible with an outline or a ring). */
async function focused(page: Page): Promise<{ testid: string | null; tag: string; visible: boolean; body: boolean; text: string }> {
  return page.evaluate(() => {
    const el = document.activeElement as HTMLElement | null;
    if (!el || el === document.body) return { testid: null, tag: 'body', visible: false, body: true, text: '' };
    const style = getComputedStyle(el);
    const drawn = (style.outlineStyle !== 'none' && style.outlineWidth !== '0px') || style.boxShadow !== 'none';
    return { testid: el.getAttribute('data-testid'), tag: el.localName, visible: el.matches(':focus-visible') && drawn, body: false, text: (el.textContent ?? '').trim().slice(0, 80) };
  });
}

/** Presses Tab until the focused element matches `selector`; every stop must show its focus. */
async function tabTo(page: Page, selector: string, max = 60): Promise<void> {
  for (let i = 0; i < max; i++) {
    await page.keyboard.press('Tab');
    const f = await focused(page);
    expect(f.body, 'focus fell to <body>').toBe(false);
    expect(f.visible, `focus not visible on <${f.tag}> ${f.testid ?? ''} "${f.text}"`).toBe(true);
    if (await page.evaluate((s) => document.activeElement?.matches(s) ?? false, selector)) return;
  }
  throw new Error(`${selector} not reached in ${max} Tab presses`);
}

async function typeInto(page: Page, text: string): Promise<void> {
  await page.keyboard.press('ControlOrMeta+A');
  await page.keyboard.type(text);
}

describe('the keyboard alone', () => {
  it('a lender logs in, opens a listing, bids, amends and reads the verdict; focus is always visible and never on <body>', async () => {
    const kbLender = await registerLender(t.app, { depositMinor: 5_000_000, displayName: 'Kim Keyboard' });
    const kbListing = await listingOf(t.app, newcomer, { title: 'Keyboard spring stock', purpose: 'Spring stock.', amountMinor: 2_000_000, maxRateBps: 1600, termMonths: 6, durationSec: 2 * 86_400 });
    const [x, y] = await lenders(t.app, 2);
    await bidOk(t.app, x!, kbListing, 600_000, 1450);
    const ctx = await newContext(browser);
    contexts.push(ctx);
    const page = await ctx.newPage();
    watchErrors(page, errors, 'keyboard');
    await page.goto(`${t.url}/#/login`);
    await page.getByTestId('login-email').waitFor();
    await tabTo(page, '[data-testid="login-email"]');
    await page.keyboard.type(kbLender.email);
    await tabTo(page, '[data-testid="login-password"]');
    await page.keyboard.type(PASSWORD);
    await page.keyboard.press('Enter');
    await page.getByTestId('logout').waitFor();
    await page.getByTestId('market-row').first().waitFor();
    // The route changed to the market: focus went to its heading.
    await expect.poll(async () => (await focused(page)).tag).toBe('h1');

    // Open the listing from its row.
    await tabTo(page, `[data-testid="market-row"][data-listing-id="${kbListing}"] a`);
    await page.keyboard.press('Enter');
    await page.getByTestId('bid-ticket').waitFor();
    await expect.poll(async () => (await focused(page)).tag).toBe('h1');
    expect(await page.evaluate(() => document.activeElement?.closest('[data-testid="listing-view"]') !== null)).toBe(true);

    // A live update removes the focused button ("Remaining" goes once the listing is covered): focus stays in the ticket.
    await tabTo(page, '[data-testid="bid-ticket"] .quick button:last-child');
    const remaining = await page.evaluate(() => document.activeElement?.textContent?.trim());
    await bidOk(t.app, y!, kbListing, 1_400_000, 1400);
    await page.getByTestId('funded-pct').filter({ hasText: '100%' }).waitFor();
    await expect.poll(() => page.locator('[data-testid="bid-ticket"] .quick button', { hasText: remaining! }).count()).toBe(0);
    const after = await focused(page);
    expect(after.body).toBe(false);
    expect(await page.evaluate(() => document.activeElement?.closest('[data-testid="bid-ticket"], [data-testid="listing-view"]') !== null)).toBe(true);

    // A rate the auction would refuse: the field says so, and Place bid is still reachable, explained.
    await tabTo(page, '[data-testid="bid-amount"]');
    await typeInto(page, '3000');
    await tabTo(page, '[data-testid="bid-rate"]');
    await typeInto(page, '15.5');
    await page.locator('[data-testid="bid-preview"][data-verdict="reject"]').waitFor();
    expect(await page.getByTestId('bid-rate').getAttribute('aria-invalid')).toBe('true');
    expect(await page.getByTestId('bid-rate').getAttribute('aria-describedby')).toContain('bid-reject-reason');
    await expect.poll(() => page.getByTestId('announce-verdict').textContent()).toMatch(/^Would not be accepted: /);
    await tabTo(page, '[data-testid="bid-submit"]');
    expect(await page.getByTestId('bid-submit').getAttribute('aria-disabled')).toBe('true');
    expect(await page.getByTestId('bid-submit').getAttribute('aria-describedby')).toBe('bid-preview');
    await page.keyboard.press('Enter'); // sends nothing: back to the field to fix
    await expect.poll(async () => (await focused(page)).testid).toBe('bid-rate');

    // A winning rate: the verdict is read out, the bid goes, focus lands on the bid as it stands.
    await typeInto(page, '12');
    await page.locator('[data-testid="bid-preview"][data-verdict="win"]').waitFor();
    expect(await page.getByTestId('bid-rate').getAttribute('aria-invalid')).toBe('false');
    await expect.poll(() => page.getByTestId('announce-verdict').textContent()).toMatch(/^Would win now: ¥3,000\.00 filled at \d+\.\d{2}%$/);
    await tabTo(page, '[data-testid="bid-submit"]');
    expect(await page.getByTestId('bid-submit').getAttribute('aria-disabled')).toBe('false');
    await page.keyboard.press('Enter');
    await page.getByTestId('my-bid').waitFor();
    await expect.poll(async () => (await focused(page)).testid).toBe('my-bid');
    expect(await page.getByTestId('my-bid').innerText()).toMatch(/¥3,000 @ 12\.00%/);

    // Amend to a lower rate, by keyboard.
    await tabTo(page, '[data-testid="amend-rate"]');
    await typeInto(page, '11.5');
    await page.locator('[data-testid="bid-preview"][data-verdict="win"]').waitFor();
    await tabTo(page, '[data-testid="amend-submit"]');
    await page.keyboard.press('Enter');
    await expect.poll(() => page.getByTestId('my-bid').innerText()).toMatch(/¥3,000 @ 11\.50%/);
    const end = await focused(page);
    expect(end.body).toBe(false);
    const mine = (await call(t.app, 'GET', '/api/v1/me/bids?limit=10', { token: kbLender.token })).json().items as { listingId: string; rateBps: number; status: string }[];
    expect(mine.filter((b) => b.listingId === kbListing)).toMatchObject([{ rateBps: 1150, status: 'winning' }]);
  });
});

describe('live regions over a minute of market activity', () => {
  it('each region speaks at most once per 5 s, and only when what it reports changed (rate, book, activity, connection)', async () => {
    const host = await namedBorrower(t.app, partner, 'Xiamen Busy Trading');
    const busy = await listingOf(t.app, host, { title: 'A busy auction', purpose: 'Stock.', amountMinor: 10_000_000, maxRateBps: 2000, termMonths: 6, durationSec: 2 * 86_400 });
    const crowd = await lenders(t.app, 14);
    const ctx = await newContext(browser);
    contexts.push(ctx);
    const page = await ctx.newPage();
    // The outage below makes the browser log failed requests and sockets: expected here.
    watchErrors(page, errors, 'live regions', [/Failed to load resource|WebSocket connection to|ERR_INTERNET_DISCONNECTED/]);
    // Every change of a live region's text, with the page's own clock: what a screen reader would be told.
    await page.addInitScript(() => {
      const heard: { region: string; text: string; atMs: number }[] = [];
      (window as unknown as { heard: typeof heard }).heard = heard;
      const last = new Map<Element, string>();
      new MutationObserver((records) => {
        const touched = new Set<Element>();
        for (const r of records) {
          const el = r.target instanceof Element ? r.target : r.target.parentElement;
          const region = el?.closest('[aria-live]:not([aria-live="off"]), [role="status"], [role="alert"], [role="log"]');
          if (region) touched.add(region);
        }
        for (const region of touched) {
          const text = (region.textContent ?? '').replace(/\s+/g, ' ').trim();
          if (!text || last.get(region) === text) continue;
          last.set(region, text);
          heard.push({ region: region.getAttribute('data-testid') ?? region.className, text, atMs: Date.now() });
        }
      }).observe(document, { subtree: true, childList: true, characterData: true });
    });
    await page.clock.install();
    await page.goto(`${t.url}/#/listing/${busy}`);
    await page.getByTestId('book-table').waitFor();
    await page.locator('[data-testid="connection-state"][data-state="open"]').waitFor();
    // From here on the page's time moves only when the test says: a minute in a few seconds, the same on any machine.
    await page.clock.pauseAt((await page.evaluate(() => Date.now())) + 1000);
    const step = async () => {
      await page.clock.runFor(1000);
      await page.waitForTimeout(40); // the socket's frames reach the page in real time
    };
    let placed = 0;
    for (let s = 0; s < 60; s++) {
      if (s < 28) {
        // Bursts: two bids in one second, then one, then none.
        for (let k = 0; k < [2, 1, 0, 1][s % 4]! && placed < crowd.length; k++) {
          await bidOk(t.app, crowd[placed]!, busy, 300_000 + placed * 10_000, 1900 - placed * 25);
          placed++;
        }
        await page.getByTestId('bid-count').filter({ hasText: new RegExp(`^${placed}$`) }).waitFor();
      }
      if (s === 32) {
        // The connection drops and stays down for ten seconds.
        await ctx.setOffline(true);
        for (const c of (t.app.hub as unknown as { connections: Set<{ socket: { terminate(): void } }> }).connections) c.socket.terminate();
        await page.locator('[data-testid="connection-state"][data-state="reconnecting"]').waitFor();
      }
      if (s === 42) await ctx.setOffline(false);
      await step();
    }
    // Back online: the next retry (on the page's clock) opens the socket again.
    for (let i = 0; i < 40 && (await page.getByTestId('connection-state').getAttribute('data-state')) !== 'open'; i++) await step();
    expect(await page.getByTestId('connection-state').getAttribute('data-state')).toBe('open');
    for (let i = 0; i < 6; i++) await step(); // the last announcements are due
    expect(placed).toBe(crowd.length);
    const heard = await page.evaluate(() => (window as unknown as { heard: { region: string; text: string; atMs: number }[] }).heard);
    const byRegion = new Map<string, { text: string; atMs: number }[]>();
    for (const h of heard) byRegion.set(h.region, [...(byRegion.get(h.region) ?? []), h]);
    // Only the regions meant to speak did.
    expect([...byRegion.keys()].sort()).toEqual(['announce-activity', 'announce-book', 'announce-connection', 'announce-rate']);
    for (const [region, said] of byRegion) {
      for (let i = 1; i < said.length; i++) {
        expect(said[i]!.atMs - said[i - 1]!.atMs, `${region}: "${said[i - 1]!.text}" then "${said[i]!.text}"`).toBeGreaterThanOrEqual(5000);
        expect(said[i]!.text, `${region} repeated itself`).not.toBe(said[i - 1]!.text);
      }
    }
    // Fourteen bids in 28 s: a handful of summaries, not fourteen rows read out.
    const activity = byRegion.get('announce-activity')!;
    expect(activity.length).toBeGreaterThanOrEqual(2);
    expect(activity.length).toBeLessThan(crowd.length);
    expect(activity.some((a) => /^\d+ new events, the latest: /.test(a.text))).toBe(true);
    expect(byRegion.get('announce-rate')!.at(-1)!.text).toMatch(/^Current rate \d+\.\d{2}%, \d+% funded$/);
    const offeredYuan = crowd.reduce((sum, _, i) => sum + 3000 + 100 * i, 0);
    expect(byRegion.get('announce-book')!.at(-1)!.text).toBe(`Book: ${crowd.length} bids at ${crowd.length} rates, ¥${offeredYuan.toLocaleString('en-US')} offered`);
    // The connection: "Reconnecting" once (not every second of the countdown), then "Live" once.
    expect(byRegion.get('announce-connection')!.map((a) => a.text)).toEqual(['Live connection: Reconnecting', 'Live connection: Live']);
  });
});

describe('the app opened at its address, with the default settings', () => {
  it('http://127.0.0.1:<port> with no public URL configured gives a live market', async () => {
    const plain = await startE2eApp({}, { defaultPublicUrl: true });
    try {
      expect(plain.config.publicUrl).toBe('http://localhost:3000');
      const p = await newPartner(plain.app);
      const b = await namedBorrower(plain.app, p, 'Xiamen Tea House');
      const id = await listingOf(plain.app, b, { title: 'Spring tea harvest', purpose: 'Tea leaves.', amountMinor: 1_000_000, maxRateBps: 1600, termMonths: 6, durationSec: 86_400 });
      const ctx = await newContext(browser);
      contexts.push(ctx);
      const page = await ctx.newPage();
      watchErrors(page, errors, 'default settings');
      await page.goto(`${plain.url}/#/market`);
      await page.locator(`[data-testid="market-row"][data-listing-id="${id}"]`).waitFor();
      await page.locator('[data-testid="connection-state"][data-state="open"]').waitFor();
      // Live: a bid placed elsewhere moves the row without a reload.
      const [lender] = await lenders(plain.app, 1);
      await bidOk(plain.app, lender!, id, 500_000, 1300);
      await page.locator(`[data-testid="market-row"][data-listing-id="${id}"]`, { hasText: '50%' }).waitFor();
      await ctx.close();
    } finally {
      await plain.stop();
    }
  });
});

describe('no page errors', () => {
  it('leaves no page error behind', () => {
    expect(errors).toEqual([]);
  });
});
