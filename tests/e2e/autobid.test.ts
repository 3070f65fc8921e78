/**
 * Autobid in headless Chromium, through the app's own screens: a lender fills in its strategy on the
 * Autobid page (rates per grade with the recent clearing rate beside each, amounts, limits), sees the
 * preview and saves; then a listing opens and the lender, without reloading, sees its autobid arrive in
 * the log, marked in the listing's book and in My bids. Then the page in Chinese.
 */
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectInvariants, registerLender, type Session } from '../integration/helpers/api.js';
import { newPartner, type Borrower } from '../integration/helpers/market.js';
import { startE2eApp, type E2eApp } from './helpers/app.js';
import { launchBrowser, newContext, screenshot, watchErrors } from './helpers/browser.js';
import { listingOf, namedBorrower, PASSWORD } from './helpers/market.js';

let t: E2eApp;
let browser: Browser;
let lender: Session;
let borrower: Borrower;
const contexts: BrowserContext[] = [];
const errors: string[] = [];
let page: Page;

beforeAll(async () => {
  [t, browser] = await Promise.all([startE2eApp({ LENDBOOK_AUCTION_MIN_DURATION_SEC: '60' }), launchBrowser()]);
  const partner = await newPartner(t.app);
  borrower = await namedBorrower(t.app, partner, 'Ningbo Umbrella Works');
  lender = await registerLender(t.app, { depositMinor: 5_000_000, displayName: 'Ada Autobid' });
});

afterAll(async () => {
  for (const c of contexts) await c.close().catch(() => undefined);
  await browser?.close();
  if (t) await expectInvariants(t.app);
  await t?.stop();
});

async function go(p: Page, route: string): Promise<void> {
  await p.evaluate((r) => (location.hash = `#/${r}`), route);
}

describe('autobid, live', () => {
  it('the lender saves a strategy on the Autobid page, with the preview', async () => {
    const ctx = await newContext(browser, { width: 1360, height: 900 });
    contexts.push(ctx);
    page = await ctx.newPage();
    watchErrors(page, errors, 'lender');
    await page.goto(`${t.url}/#/login`);
    await page.getByTestId('login-email').fill(lender.email);
    await page.getByTestId('login-password').fill(PASSWORD);
    await page.getByTestId('login-submit').click();
    await page.getByTestId('logout').waitFor();
    await page.locator('[data-testid="connection-state"][data-state="open"]').waitFor();
    await go(page, 'autobid');
    const form = page.getByTestId('autobid-form');
    await form.waitFor();
    expect(await page.getByTestId('autobid-status').innerText()).toBe('Off');
    // Every input has a visible label; the recent clearing rate sits beside each grade's rate.
    await expect.poll(() => page.getByTestId('autobid-recent-AA').innerText()).toContain('last 30 days');
    expect(await page.getByLabel('Rate for grade B (%)').count()).toBe(1);
    for (const g of ['AA', 'A', 'B', 'C', 'D', 'E', 'HR']) await page.getByTestId(`autobid-rate-${g}`).fill('12');
    await page.getByLabel('Amount per listing (¥)').fill('1000');
    await page.getByLabel('Limit per borrower (¥)').fill('5000');
    await page.getByLabel('Budget (¥)').fill('20000');
    await page.getByLabel('Reserve (¥)').fill('0');
    await page.getByTestId('autobid-enabled').check();
    // No listing is open yet: the preview says so in words.
    await expect.poll(() => page.getByTestId('autobid-preview').innerText()).toBe('With these settings, 0 of the 0 listings open now would get a bid, ¥0.00 in all.');
    await page.getByTestId('autobid-save').click();
    await expect.poll(() => page.getByTestId('autobid-status').innerText()).toBe('On');
    await screenshot(page, 'autobid-form');
    await page.evaluate(() => ((window as unknown as { e2eMark: boolean }).e2eMark = true));
  });

  it('a listing opens: the autobid shows in the log live, and in the book and My bids marked autobid', async () => {
    const listingId = await listingOf(t.app, borrower, { title: 'Umbrellas for the rainy season', purpose: 'Stock', amountMinor: 1_000_000, maxRateBps: 1500, termMonths: 6, durationSec: 3600 });
    const row = page.locator(`[data-testid="autobid-log-row"][data-listing-id="${listingId}"]`);
    await row.waitFor({ timeout: 15_000 });
    expect(await row.getAttribute('data-outcome')).toBe('placed');
    expect(await row.innerText()).toContain('¥1,000');
    expect(await row.innerText()).toContain('12.00%');
    expect(await page.evaluate(() => (window as unknown as { e2eMark?: boolean }).e2eMark)).toBe(true);
    await screenshot(page, 'autobid-log');

    await go(page, `listing/${listingId}`);
    const bookRow = page.locator('[data-testid="book-row"][data-rate-bps="1200"]');
    await bookRow.getByTestId('book-row-mine').waitFor();
    await bookRow.getByTestId('book-row-autobid').waitFor();
    expect(await bookRow.getByTestId('book-row-autobid').innerText()).toBe('autobid');

    await go(page, 'bids');
    const mine = page.locator('[data-testid="my-bid-row"]').first();
    await mine.getByTestId('bid-autobid').waitFor();
  });

  it('reads in Chinese, with the reasons of the log in words', async () => {
    const ctx = await newContext(browser, { locale: 'zh-CN', width: 1360, height: 900 });
    contexts.push(ctx);
    const zh = await ctx.newPage();
    watchErrors(zh, errors, 'lender zh');
    await zh.goto(`${t.url}/#/login`);
    await zh.getByTestId('login-email').fill(lender.email);
    await zh.getByTestId('login-password').fill(PASSWORD);
    await zh.getByTestId('login-submit').click();
    await zh.getByTestId('logout').waitFor();
    await go(zh, 'autobid');
    await zh.getByTestId('autobid-form').waitFor();
    await expect.poll(() => zh.getByTestId('autobid-status').innerText()).toBe('已开启');
    await expect.poll(() => zh.getByTestId('autobid-preview').innerText()).toMatch(/^按此设置，当前开放的 \d+ 个标的中有 \d+ 个会获得出价，共 ¥/);
    expect(await zh.getByLabel('单标金额 (¥)').inputValue()).toBe('1000');
    await screenshot(zh, 'autobid-zh');
    expect(errors).toEqual([]);
  });
});
