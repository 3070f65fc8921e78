/**
 * The web app in headless Chromium, through the web app's own screens (data-testid):
 * a lender logs in, deposits, bids and sees the bid in the book; a second lender in another browser
 * context outbids it and the first sees the outbid toast and the book change without reloading; a
 * borrower creates a listing and watches bids arrive; the listing clears and both sides see the loan.
 * Screenshots of the main views go to test-results/e2e/ (and three of them to docs/screenshots/).
 */
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, expectInvariants, loginAs, registerLender, type Session } from '../integration/helpers/api.js';
import { endAuction, newPartner, type Borrower } from '../integration/helpers/market.js';
import type { PartnerKey } from '../integration/helpers/partner.js';
import { isoDateOfMs } from '../../src/domain/dates.js';
import { dayOf, repayOk, setClock } from '../integration/helpers/servicing.js';
import { startE2eApp, type E2eApp } from './helpers/app.js';
import { launchBrowser, newContext, publish, screenshot, watchErrors } from './helpers/browser.js';
import { bidOk, lenders, listingOf, namedBorrower, PASSWORD } from './helpers/market.js';

let t: E2eApp;
let browser: Browser;
let partner: PartnerKey;
let borrower: Borrower;
let lenderA: Session;
let lenderB: Session;
let listingId = '';
let loanId = '';
const contexts: BrowserContext[] = [];
const errors: string[] = [];
let pageA: Page;
let pageB: Page;
let pageBorrower: Page;


async function loggedIn(email: string, name: string): Promise<Page> {
  const ctx = await newContext(browser, { width: 1360, height: 900 });
  contexts.push(ctx);
  const page = await ctx.newPage();
  watchErrors(page, errors, name);
  await page.goto(`${t.url}/#/login`);
  await page.getByTestId('login-email').fill(email);
  await page.getByTestId('login-password').fill(PASSWORD);
  await page.getByTestId('login-submit').click();
  await page.getByTestId('logout').waitFor();
  await page.locator('[data-testid="connection-state"][data-state="open"]').waitFor();
  return page;
}

/** Marks the document: still marked later means the page was not reloaded. */
async function mark(page: Page): Promise<void> {
  await page.evaluate(() => ((window as unknown as { e2eMark: boolean }).e2eMark = true));
}
async function notReloaded(page: Page): Promise<boolean> {
  return page.evaluate(() => (window as unknown as { e2eMark?: boolean }).e2eMark === true);
}

/** Dismisses the toasts and scrolls to the top: a clean view for a screenshot. */
async function tidy(p: Page): Promise<void> {
  for (let i = 0; i < 20 && (await p.getByTestId('toast').count()) > 0; i++) {
    await p.getByTestId('toast').first().locator('button').last().click({ timeout: 2000 }).catch(() => undefined); // it may have gone by itself
  }
  await p.evaluate(() => window.scrollTo(0, 0));
  await p.waitForTimeout(700); // the charts' and the rate's flash animations settle
}


beforeAll(async () => {
  [t, browser] = await Promise.all([startE2eApp({ LENDBOOK_CLOCK: 'settable' }), launchBrowser()]);
  // The history below runs two auctions of an hour each, one after the other: started at 01:00 UTC, both
  // loans are disbursed on one UTC date and fall due together, whatever the hour the suite runs at.
  await setClock(t.app, `${isoDateOfMs(t.app.ctx.clock.nowMs() + 86_400_000)}T01:00:00Z`);
  partner = await newPartner(t.app);

  // Lender B's history: two loans it funded a month ago, and their first installments paid.
  lenderB = await registerLender(t.app, { depositMinor: 10_000_000, displayName: 'Bo Lender' });
  const past = await Promise.all([namedBorrower(t.app, partner, 'Suzhou Silk Studio', 700_000), namedBorrower(t.app, partner, 'Yiwu Cross-border Trading', 350_000)]);
  const loans: { who: Borrower; loanId: string }[] = [];
  for (const [who, title, amountMinor, rateBps] of [
    [past[0]!, 'Silk scarves for the spring collection', 1_500_000, 1150],
    [past[1]!, 'Confirmed cross-border orders', 800_000, 1420],
  ] as const) {
    const id = await listingOf(t.app, who, { title, purpose: 'Working capital.', amountMinor, maxRateBps: 1600, termMonths: 6, durationSec: 3600 });
    await bidOk(t.app, lenderB.token, id, amountMinor, rateBps);
    await endAuction(t.app, id);
    const l = (await call(t.app, 'GET', `/api/v1/listings/${id}`)).json();
    expect(l.status).toBe('cleared');
    loans.push({ who, loanId: l.loanId });
  }
  // To the first due date (01:00 UTC), serviced as the daily job would: the installments are due today.
  const loan = (await call(t.app, 'GET', `/api/v1/loans/${loans[0]!.loanId}`, { token: lenderB.token })).json();
  await dayOf(t.app, loan.schedule[0].dueDate);
  for (const { who, loanId } of loans) {
    const token = await loginAs(t.app, who.email, PASSWORD); // a month on: a fresh session
    const owed = await call(t.app, 'GET', `/api/v1/loans/${loanId}/owed`, { token });
    expect(owed.statusCode, owed.body).toBe(200);
    expect(owed.json().due.totalMinor).toBeGreaterThan(0);
    await repayOk(t.app, token, loanId, owed.json().due.totalMinor);
  }

  // Today's market: the borrower of the scenario, and three open listings with bids, ending in days.
  const [b, m1, m2, m3] = await Promise.all([
    namedBorrower(t.app, partner, 'Hangzhou Cloud Apparel'),
    namedBorrower(t.app, partner, 'Shenzhen Lumen Electronics', 900_000),
    namedBorrower(t.app, partner, 'Chengdu Spice Kitchen', 300_000),
    namedBorrower(t.app, partner, 'Ningbo Home Goods', 450_000),
  ]);
  borrower = b;
  lenderA = await registerLender(t.app, { displayName: 'Alice Lender' });
  lenderB = { ...lenderB, token: await loginAs(t.app, lenderB.email, PASSWORD) };
  const others = await lenders(t.app, 4);
  const market = [
    { who: m1, title: 'Inventory: smart lamps for Q4', purpose: 'Stock of 2,000 smart lamps ahead of the holiday season.', amountMinor: 5_000_000, maxRateBps: 1600, termMonths: 12, durationSec: 3 * 86_400 },
    { who: m2, title: 'Spring Festival gift boxes', purpose: 'Ingredients for the Spring Festival gift boxes.', amountMinor: 2_000_000, maxRateBps: 1800, termMonths: 6, durationSec: 2 * 86_400 },
    { who: m3, title: 'A second warehouse near the port', purpose: 'Rent deposit and racking for a second warehouse.', amountMinor: 3_000_000, maxRateBps: 2000, termMonths: 9, durationSec: 4 * 86_400 },
  ];
  const ids = await Promise.all(market.map(({ who, ...l }) => listingOf(t.app, who, l)));
  await bidOk(t.app, others[0]!, ids[0]!, 1_500_000, 1450);
  await bidOk(t.app, others[1]!, ids[0]!, 1_000_000, 1380);
  await bidOk(t.app, others[2]!, ids[1]!, 1_200_000, 1650);
  await bidOk(t.app, others[3]!, ids[2]!, 800_000, 1900);
});

afterAll(async () => {
  for (const c of contexts) await c.close().catch(() => undefined);
  await browser?.close();
  await t?.stop();
});

describe('the web app, live', () => {
  it('a borrower logs in and creates a listing through the form', async () => {
    pageBorrower = await loggedIn(borrower.email, 'borrower');
    await page(pageBorrower).goto('borrower/new');
    const amount = pageBorrower.getByTestId('listing-amount');
    await expect.poll(() => amount.inputValue()).not.toBe(''); // the rating arrived and set the default
    await pageBorrower.getByTestId('listing-title').fill('Autumn coats for Singles Day');
    await pageBorrower.getByTestId('listing-purpose').fill('Stock of wool coats ahead of 11.11, sold within 45 days.');
    await amount.fill('10000');
    await pageBorrower.getByTestId('listing-max-rate').fill('15');
    await pageBorrower.getByTestId('listing-term').selectOption('6');
    await pageBorrower.getByTestId('listing-duration').selectOption('3600');
    await pageBorrower.getByTestId('schedule-preview').waitFor();
    await screenshot(pageBorrower, 'borrower-new-listing', true);
    await pageBorrower.getByTestId('listing-submit').click();
    await pageBorrower.getByTestId('listing-view').waitFor();
    listingId = (await pageBorrower.getByTestId('listing-view').getAttribute('data-listing-id'))!;
    expect(listingId).toMatch(/^lst_/);
    expect(await pageBorrower.locator('[data-testid="listing-state"]').first().getAttribute('data-status')).toBe('open');
    expect(await pageBorrower.getByTestId('bid-count').innerText()).toBe('0');
    await mark(pageBorrower);
  });

  it('a lender logs in, deposits, bids, and sees the bid in the book', async () => {
    pageA = await loggedIn(lenderA.email, 'lender A');
    await page(pageA).goto('wallet');
    await pageA.getByTestId('deposit-amount').fill('20000');
    await pageA.getByTestId('deposit-submit').click();
    await pageA.getByTestId('wallet-available').filter({ hasText: '¥20,000.00' }).waitFor();
    await page(pageA).goto(`listing/${listingId}`);
    await pageA.getByTestId('bid-ticket').waitFor();
    await pageA.getByTestId('bid-amount').fill('4000');
    await pageA.getByTestId('bid-rate').fill('12.5');
    await pageA.locator('[data-testid="bid-preview"][data-verdict="win"]').waitFor();
    await pageA.getByTestId('bid-submit').click();
    await pageA.getByTestId('book-row-mine').waitFor();
    expect(await pageA.getByTestId('book-row').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-rate-bps')))).toEqual(['1250']);
    await pageA.getByTestId('header-wallet').filter({ hasText: '¥16,000.00' }).waitFor(); // ¥4,000 held for the bid
    await mark(pageA);
  });

  it('the borrower watches bids arrive without reloading', async () => {
    await pageBorrower.getByTestId('bid-count').filter({ hasText: /^1$/ }).waitFor();
    await pageBorrower.getByTestId('funded-pct').filter({ hasText: '40%' }).waitFor();
    // Two more lenders bid through the API: the book fills up live.
    const [x, y] = await lenders(t.app, 2);
    await bidOk(t.app, x!, listingId, 2_000_000 / 10, 1390); // ¥2,000 at 13.90%
    await bidOk(t.app, y!, listingId, 300_000, 1320); // ¥3,000 at 13.20%
    await pageBorrower.getByTestId('bid-count').filter({ hasText: /^3$/ }).waitFor();
    await pageBorrower.getByTestId('funded-pct').filter({ hasText: '90%' }).waitFor();
    await pageA.getByTestId('bid-count').filter({ hasText: /^3$/ }).waitFor();
    expect(await notReloaded(pageBorrower)).toBe(true);
    await pageA.locator('lb-depth-chart canvas').first().waitFor();
    await tidy(pageA);
    publish(await screenshot(pageA, 'listing'), 'listing');
  });

  it('a second lender in another browser context outbids the first, who sees the toast and the book change without reloading', async () => {
    pageB = await loggedIn(lenderB.email, 'lender B');
    await page(pageB).goto(`listing/${listingId}`);
    await pageB.getByTestId('bid-ticket').waitFor();
    await pageB.getByTestId('bid-amount').fill('10000');
    await pageB.getByTestId('bid-rate').fill('11.5');
    await pageB.locator('[data-testid="bid-preview"][data-verdict="win"]').waitFor();
    await pageB.getByTestId('bid-submit').click();
    await pageB.getByTestId('book-row-mine').waitFor();

    const toast = pageA.locator('[data-testid="toast"][data-kind="outbid"]');
    await toast.waitFor();
    expect(await toast.innerText()).toMatch(/¥4,000\.00/);
    await pageA.getByTestId('book-row-mine').waitFor({ state: 'detached' });
    await expect.poll(() => pageA.getByTestId('book-row').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-rate-bps')))).toEqual(['1150']);
    await pageA.getByTestId('current-rate').filter({ hasText: '11.50%' }).waitFor();
    expect(await notReloaded(pageA)).toBe(true);
    await screenshot(pageA, 'listing-outbid');
    // The borrower's screen follows too.
    await pageBorrower.getByTestId('funded-pct').filter({ hasText: '100%' }).waitFor();
    await pageBorrower.getByTestId('current-rate').filter({ hasText: '11.50%' }).waitFor();
    expect(await notReloaded(pageBorrower)).toBe(true);
  });

  it('the market view lists the open listings, live', async () => {
    await page(pageA).goto('market');
    await expect.poll(() => pageA.getByTestId('market-row').count()).toBe(4);
    await pageA.locator(`[data-testid="market-row"][data-listing-id="${listingId}"]`).waitFor();
    await tidy(pageA);
    publish(await screenshot(pageA, 'market'), 'market');
  });

  it('the listing clears and both sides see the loan', async () => {
    await page(pageB).goto(`listing/${listingId}`);
    await pageB.getByTestId('book-row-mine').waitFor();
    await page(pageBorrower).goto(`listing/${listingId}`);
    await pageBorrower.getByTestId('listing-view').waitFor();

    expect(await endAuction(t.app, listingId)).toBeTruthy();

    // Lender: the fill toast, the cleared banner, the note in the portfolio, the loan page.
    await pageB.locator('[data-testid="toast"][data-kind="filled"]').first().waitFor();
    await pageB.getByTestId('cleared-banner').waitFor();
    // Borrower: the cleared banner with the loan, and the loan page with its schedule.
    await pageBorrower.getByTestId('cleared-banner').waitFor();
    await pageBorrower.getByTestId('cleared-loan-link').click();
    await pageBorrower.getByTestId('loan-view').waitFor();
    loanId = (await pageBorrower.getByTestId('loan-view').getAttribute('data-loan-id'))!;
    expect(loanId).toMatch(/^loan_/);
    await pageBorrower.getByTestId('installment-row').first().waitFor();
    expect(await pageBorrower.getByTestId('installment-row').count()).toBe(6);
    expect(await pageBorrower.getByTestId('loan-outstanding').innerText()).toBe('¥10,000.00');
    await pageBorrower.getByTestId('owed').waitFor();
    await tidy(pageBorrower);
    await screenshot(pageBorrower, 'borrower-loan', true);
    await page(pageBorrower).goto('borrower/loans');
    await pageBorrower.locator(`[data-testid="loan-row"][data-loan-id="${loanId}"]`).waitFor();

    await page(pageB).goto(`loan/${loanId}`);
    await pageB.getByTestId('loan-view').waitFor();
    await page(pageB).goto('portfolio');
    await pageB.getByTestId('portfolio').waitFor();
    await expect.poll(() => pageB.getByTestId('note-row').count()).toBe(3);
    await pageB.locator('lb-chart canvas').first().waitFor();
    await tidy(pageB);
    publish(await screenshot(pageB, 'portfolio', true), 'portfolio');
  });

  it('a page whose code arrives late never replaces the page the address has moved on to', async () => {
    const ctx = await newContext(browser, { width: 1360, height: 900 });
    contexts.push(ctx);
    const p = await ctx.newPage();
    watchErrors(p, errors, 'late page code');
    // The disclosure page's module is held back 1.5 s; the visitor goes on to Notes for sale meanwhile.
    await p.route(/\/assets\/stats-[^/]+\.js$/, async (r) => {
      await new Promise((resolve) => setTimeout(resolve, 1500));
      await r.continue();
    });
    await p.goto(`${t.url}/#/market`);
    await p.locator('main lb-market-view').waitFor();
    // Listened for before the module is asked for: on a busy machine the notes page may take longer to
    // render than the module is held back, and a response already past is never seen again.
    const statsArrived = p.waitForResponse(/\/assets\/stats-[^/]+\.js$/);
    await p.evaluate(() => (location.hash = '#/stats'));
    await p.evaluate(() => (location.hash = '#/notes'));
    await p.locator('main lb-notes-view').waitFor();
    // Past the held-back module's arrival: the page still matches the address.
    await statsArrived;
    await p.waitForTimeout(500);
    expect(await p.evaluate(() => location.hash)).toBe('#/notes');
    expect(await p.locator('main lb-notes-view').count()).toBe(1);
    expect(await p.locator('main lb-stats-view').count()).toBe(0);
  });

  it('no page errors; the money invariants hold', async () => {
    expect(errors).toEqual([]);
    await expectInvariants(t.app);
  });
});

/** Hash navigation inside the running app (no reload: the socket and the toasts stay). */
function page(p: Page) {
  return {
    goto: async (route: string) => {
      await p.evaluate((r) => (location.hash = `#/${r}`), route);
    },
  };
}
