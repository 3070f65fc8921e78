/**
 * The demo of `npm start`, as a person meets it: the simulation keeps the market moving with its own
 * cast, never as the printed logins (the demo borrower finds no listing it did not post and may list; the
 * demo lender finds no bid it did not place); and the partner page's live panel shows a listing with time
 * left and moves on when that one ends.
 */
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eq } from 'drizzle-orm';
import { DEMO_LOGINS, DEMO_PASSWORD, prepareDemo, type DemoHandle } from '../../src/demo/index.js';
import { listings } from '../../src/db/schema/index.js';
import { withdraw } from '../../src/services/listings.js';
import { call } from '../integration/helpers/api.js';
import { waitFor } from '../integration/helpers/wait.js';
import { freePort, startE2eApp, type E2eApp } from './helpers/app.js';
import { launchBrowser, loginPage, newContext, screenshot, watchErrors } from './helpers/browser.js';

let t: E2eApp;
let browser: Browser;
let demo: DemoHandle;
let startedMs = 0;
const contexts: BrowserContext[] = [];
const errors: string[] = [];

async function login(email: string, name: string): Promise<Page> {
  const { ctx, page } = await loginPage(browser, t.url, email, DEMO_PASSWORD, errors, name);
  contexts.push(ctx);
  return page;
}

beforeAll(async () => {
  [t, browser] = await Promise.all([startE2eApp({ LENDBOOK_DEMO: 'on', HOST: '127.0.0.1' }), launchBrowser()]);
  const widgetPort = await freePort();
  const prepared = await prepareDemo(t.app, widgetPort);
  expect(prepared).not.toBeNull();
  startedMs = Date.now();
  demo = await prepared!.start(t.url);
  // The widget page listens where the app does (HOST), not on every interface.
  expect(demo.widgetHost?.address).toBe('127.0.0.1');
  // The simulation lists and bids on its own; wait until it has (it lists every fourth tick).
  await waitFor(async () => (await call(t.app, 'GET', '/api/v1/listings?status=open&limit=50')).json().items.length >= 3, 120_000, 500);
}, 600_000); // seeding the demo's history: a minute or more on a loaded machine

afterAll(async () => {
  await demo?.stop();
  for (const c of contexts) await c.close().catch(() => undefined);
  await browser?.close();
  await t?.stop();
});

describe('the demo', () => {
  it('1. the simulation never acts as the printed logins: the demo borrower has no listing it did not post and may list; the demo lender no bid it did not place', async () => {
    // Let the simulation bid for a while.
    await expect
      .poll(async () => ((await call(t.app, 'GET', '/api/v1/listings?status=open&limit=50')).json().items as { bidCount: number }[]).reduce((a, l) => a + l.bidCount, 0), { timeout: 60_000 })
      .toBeGreaterThanOrEqual(5);
    const b = await login(DEMO_LOGINS.borrower, 'demo-borrower');
    await b.evaluate(() => (location.hash = '#/borrower/listings'));
    await b.getByTestId('my-listings').waitFor();
    await expect.poll(() => b.getByTestId('my-listing-row').count()).toBeGreaterThan(0);
    expect(await b.locator('[data-testid="my-listing-row"][data-status="open"]').count()).toBe(0);
    await screenshot(b, 'item1-demo-borrower-listings');
    await b.evaluate(() => (location.hash = '#/borrower/rating'));
    await expect.poll(() => b.getByTestId('may-list').getAttribute('data-may-list')).toBe('true');
    await screenshot(b, 'item1-demo-borrower-may-list');
    const l = await login(DEMO_LOGINS.lender, 'demo-lender');
    const token = (await call(t.app, 'POST', '/api/v1/auth/login', { body: { email: DEMO_LOGINS.lender, password: DEMO_PASSWORD } })).json().token;
    const bids = (await call(t.app, 'GET', '/api/v1/me/bids?limit=200', { token })).json().items as { createdAt: string }[];
    expect(bids.filter((x) => Date.parse(x.createdAt) >= startedMs - 1000)).toEqual([]);
    await l.evaluate(() => (location.hash = '#/bids'));
    await l.locator('table').first().waitFor();
    await screenshot(l, 'item1-demo-lender-bids');
  });

  it('7. the widget page shows a listing with time left and follows the market when it ends', async () => {
    const ctx = await newContext(browser);
    contexts.push(ctx);
    const page = await ctx.newPage();
    watchErrors(page, errors, 'widget-page');
    await page.goto(demo.widgetHost!.url);
    const panel = page.locator('#live-listing');
    await expect.poll(() => panel.getAttribute('listing-id')).toMatch(/^lst_/);
    const first = (await panel.getAttribute('listing-id'))!;
    const [row] = await t.app.ctx.db.select().from(listings).where(eq(listings.id, first));
    expect(row!.status).toBe('open');
    expect(row!.endsAt.getTime() - Date.now()).toBeGreaterThan(60_000);
    expect(await page.locator('body').textContent()).not.toContain('MISSING_ATTRIBUTE');
    await page.locator('#live-listing[state="ready"]').waitFor();
    await page.locator('#live-listing [data-testid="listing-status"]').waitFor();
    await screenshot(page, 'item7-widget-page', true);
    // That listing ends (its borrower withdraws it): the panel moves to another open one.
    await withdraw(t.app.ctx, row!.borrowerUserId, first);
    await expect.poll(() => panel.getAttribute('listing-id'), { timeout: 30_000 }).not.toBe(first);
    const next = (await panel.getAttribute('listing-id'))!;
    const [nextRow] = await t.app.ctx.db.select().from(listings).where(eq(listings.id, next));
    expect(nextRow!.status).toBe('open');
    await page.locator('#live-listing[state="ready"] [data-testid="listing-status"]').waitFor();
    await screenshot(page, 'item7-widget-page-followed', true);
  });

  it('leaves no page error behind', () => {
    expect(errors).toEqual([]);
  });
});
