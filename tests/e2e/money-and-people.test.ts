/**
 * What a new user trips over, seen in the browser (one app, one browser, shared by every step):
 * a wallet statement that reconciles, one truth per status, notifications, settings and errors that say
 * what is allowed, the small things (plurals, titles, a nav that fits, an activity feed on load, the
 * connection pill explained, Chinese that renders), and the market's filters, watchlist, note histories
 * and the operators' users page. Screenshots go to test-results/e2e/ and the Chinese and English README
 * ones to docs/screenshots/.
 */
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isoDateOfMs } from '../../src/domain/dates.js';
import { call, loginAs, registerLender, type Session } from '../integration/helpers/api.js';
import { endAuction, newPartner, type Borrower } from '../integration/helpers/market.js';
import { adminToken, ADMIN, type PartnerKey } from '../integration/helpers/partner.js';
import { dayOf, repayOk, setClock } from '../integration/helpers/servicing.js';
import { startE2eApp, type E2eApp } from './helpers/app.js';
import { expectNoAxeViolations } from './helpers/axe.js';
import { launchBrowser, loginPage, publish, screenshot } from './helpers/browser.js';
import { bidOk, listingOf, namedBorrower, PASSWORD } from './helpers/market.js';

let t: E2eApp;
let browser: Browser;
let partner: PartnerKey;
let borrower: Borrower;
let lenderA: Session;
let lenderB: Session;
let lenderC: Session;
let clearedId = '';
let loanId = '';
const contexts: BrowserContext[] = [];
const errors: string[] = [];

async function open(email: string, name: string, opts: { locale?: string; width?: number; password?: string } = {}): Promise<Page> {
  // A 4xx the test provokes on purpose is logged by the browser as a failed resource.
  const { ctx, page } = await loginPage(browser, t.url, email, opts.password ?? PASSWORD, errors, name, { width: opts.width ?? 1280, ...(opts.locale ? { locale: opts.locale } : {}), ignore: [/Failed to load resource/] });
  contexts.push(ctx);
  return page;
}

async function go(page: Page, hash: string): Promise<void> {
  await page.evaluate((h) => (location.hash = h), `#/${hash}`);
}


beforeAll(async () => {
  [t, browser] = await Promise.all([startE2eApp({ LENDBOOK_CLOCK: 'settable', LENDBOOK_AUCTION_MIN_DURATION_SEC: '60' }), launchBrowser()]);
  await setClock(t.app, `${isoDateOfMs(t.app.ctx.clock.nowMs() + 86_400_000)}T01:00:00Z`);
  partner = await newPartner(t.app);
  borrower = await namedBorrower(t.app, partner, 'Hangzhou Cloud Apparel 杭州云裳');
  [lenderA, lenderB, lenderC] = await Promise.all([
    registerLender(t.app, { depositMinor: 2_000_000, displayName: 'Alice Lender' }),
    registerLender(t.app, { depositMinor: 2_000_000, displayName: 'Bo Lender' }),
    registerLender(t.app, { depositMinor: 2_000_000, displayName: 'Chen Lender' }),
  ]);
  // ¥8,000: A ¥5,000 at 12 %, C ¥3,000 at 14 %, then B ¥5,000 at 10 % pushes C out; A fills ¥3,000 of its ¥5,000.
  clearedId = await listingOf(t.app, borrower, { title: 'Autumn collection stock', purpose: 'Wool coats for the autumn.', amountMinor: 800_000, maxRateBps: 1500, termMonths: 6, durationSec: 3600 });
  await bidOk(t.app, lenderA.token, clearedId, 500_000, 1200);
  await bidOk(t.app, lenderC.token, clearedId, 300_000, 1400);
  await bidOk(t.app, lenderB.token, clearedId, 500_000, 1000);
  expect(await endAuction(t.app, clearedId)).toBe('cleared');
  loanId = (await call(t.app, 'GET', `/api/v1/listings/${clearedId}`)).json().loanId;
  // The borrower pays installment 1 on its due date, then ¥1,000 ten days into period 2 (early: the fee).
  const token = borrower.token;
  await call(t.app, 'POST', '/api/v1/wallet/deposits', { token, body: { amountMinor: 1_000_000 } });
  const loan = (await call(t.app, 'GET', `/api/v1/loans/${loanId}`, { token })).json();
  await dayOf(t.app, loan.schedule[0].dueDate);
  borrower = { ...borrower, token: await loginAs(t.app, borrower.email, PASSWORD) };
  const owed = (await call(t.app, 'GET', `/api/v1/loans/${loanId}/owed`, { token: borrower.token })).json();
  await repayOk(t.app, borrower.token, loanId, owed.due.totalMinor);
  await dayOf(t.app, isoDateOfMs(Date.parse(`${loan.schedule[0].dueDate}T00:00:00Z`) + 10 * 86_400_000));
  borrower = { ...borrower, token: await loginAs(t.app, borrower.email, PASSWORD) };
  await repayOk(t.app, borrower.token, loanId, 100_000);
  // The borrower lists again (so "may list now" must say no), and the market has a few open listings.
  await listingOf(t.app, borrower, { title: 'Winter stock 冬季备货', purpose: 'Down jackets.', amountMinor: 600_000, maxRateBps: 1600, termMonths: 12, durationSec: 3 * 86_400 });
  const m = await Promise.all([namedBorrower(t.app, partner, 'Shenzhen Lumen Electronics', 900_000), namedBorrower(t.app, partner, 'Chengdu Spice Kitchen', 300_000)]);
  const a = await listingOf(t.app, m[0]!, { title: 'Smart lamps for Q4', purpose: 'Stock.', amountMinor: 5_000_000, maxRateBps: 1600, termMonths: 12, durationSec: 2 * 86_400 });
  const b = await listingOf(t.app, m[1]!, { title: 'Spring Festival gift boxes', purpose: 'Stock.', amountMinor: 2_000_000, maxRateBps: 2000, termMonths: 6, durationSec: 2 * 86_400 });
  // A month has passed on the settable clock: fresh sessions.
  lenderA.token = await loginAs(t.app, lenderA.email, PASSWORD);
  lenderB.token = await loginAs(t.app, lenderB.email, PASSWORD);
  lenderC.token = await loginAs(t.app, lenderC.email, PASSWORD);
  await bidOk(t.app, lenderB.token, a, 1_000_000, 1450);
  await bidOk(t.app, lenderC.token, b, 500_000, 1900);
  await t.app.ctx.dispatcher.dispatchOnce();
}, 300_000); // a month of servicing and a dozen accounts: minutes on a loaded machine

afterAll(async () => {
  for (const c of contexts) await c.close().catch(() => undefined);
  await browser?.close();
  await t?.stop();
});

describe('what a new user trips over, fixed', () => {
  it('2. the wallet statement reconciles: holds pending then posted, the unfilled part returned, closing = the wallet; a repayment opens its split', async () => {
    const page = await open(lenderA.email, 'lenderA');
    await go(page, 'wallet');
    await page.getByTestId('statement-table').waitFor();
    const yuan = (text: string) => Math.round(Number(text.replace(/[¥,+\s—]/g, '') || '0') * 100);
    /** One month as the page shows it: every line follows from the opening, the closing follows from them. */
    const month = async () => {
      await expect.poll(() => page.getByTestId('statement-opening').count()).toBe(1);
      const cells = async (testid: string) => (await page.getByTestId(testid).locator('td.num').allTextContents()).map(yuan);
      const [openA, openH] = await cells('statement-opening');
      const rows = await page.getByTestId('statement-line').evaluateAll((els) =>
        els.map((r) => [r.getAttribute('data-kind'), ...['effect-available', 'effect-held', 'after-available', 'after-held'].map((id) => r.querySelector(`[data-testid="${id}"]`)!.textContent!)]),
      );
      let [available, held] = [openA!, openH!];
      for (const [, ea, eh, aa, ah] of rows) {
        available += yuan(ea!);
        held += yuan(eh!);
        expect([available, held]).toEqual([yuan(aa!), yuan(ah!)]);
      }
      expect(await cells('statement-closing')).toEqual([available, held]);
      return { kinds: rows.map((r) => r[0]), opening: [openA!, openH!], closing: [available, held] };
    };
    // This month closes on the wallet; each earlier month closes where the next one opens.
    const wallet = (await call(t.app, 'GET', '/api/v1/wallet', { token: lenderA.token })).json();
    const now = await month();
    expect(now.closing).toEqual([wallet.availableMinor, wallet.heldMinor]);
    expect(now.kinds).toContain('repayment_received');
    await page.locator('[data-testid="statement-line"][data-kind="repayment_received"]').first().click();
    await expect.poll(() => page.getByTestId('statement-split').count()).toBeGreaterThan(0);
    await screenshot(page, 'item2-wallet-statement', true);
    const kinds = new Set(now.kinds);
    let later = now;
    for (let i = 0; i < 3 && !kinds.has('deposit'); i++) {
      await page.getByRole('button', { name: 'Previous month' }).click();
      const m = await month();
      expect(m.closing).toEqual(later.opening);
      for (const k of m.kinds) kinds.add(k);
      later = m;
    }
    expect([...kinds]).toEqual(expect.arrayContaining(['deposit', 'bid_hold', 'bid_filled', 'bid_unfilled_returned', 'repayment_received']));
    await screenshot(page, 'item2-wallet-statement-auction-month', true);
    await go(page, `wallet/annual?year=${new Date(t.app.ctx.clock.nowMs()).getUTCFullYear()}`);
    await page.getByTestId('annual-statement').waitFor();
    await screenshot(page, 'item2-annual-statement', true);
  });

  it('3. one truth per status: a partial fill says so, the loan page and the portfolio agree, a cleared book is not empty, an early payment is "partly paid" with what is left, "may list now" sees the open listing', async () => {
    const page = await open(lenderA.email, 'lenderA-3');
    await go(page, 'bids');
    await expect.poll(() => page.locator('table').first().textContent()).toContain('Partly filled');
    await go(page, 'portfolio');
    const row = page.getByTestId('note-row').first();
    await expect.poll(() => row.textContent()).toContain('Autumn collection stock');
    const portfolioStanding = await row.getByTestId('loan-status').getAttribute('data-standing');
    await go(page, `loan/${loanId}`);
    await page.getByTestId('loan-title').waitFor();
    expect(await page.getByTestId('loan-title').textContent()).toBe('Autumn collection stock');
    expect(await page.getByTestId('loan-status').getAttribute('data-standing')).toBe(portfolioStanding);
    const api = (await call(t.app, 'GET', `/api/v1/loans/${loanId}`, { token: lenderA.token })).json();
    expect(portfolioStanding).toBe(api.standing);
    const partly = page.locator('[data-testid="installment-row"][data-status="partly_paid"]');
    await expect.poll(() => partly.count()).toBe(1);
    expect(await partly.getByTestId('installment-left').textContent()).not.toBe('—');
    await screenshot(page, 'item3-loan-partly-paid', true);
    await expectNoAxeViolations(page, 'a loan partly paid');
    await go(page, `listing/${clearedId}`);
    await page.getByTestId('tape').waitFor();
    await expect.poll(() => page.locator('body').textContent()).not.toContain('No bids yet');
    await screenshot(page, 'item3-cleared-listing-book', true);
    const b = await open(borrower.email, 'borrower-3');
    await go(b, 'borrower/rating');
    await expect.poll(() => b.getByTestId('may-list').getAttribute('data-may-list')).toBe('false');
    expect(await b.getByTestId('may-list-why').textContent()).toContain('still open');
    await screenshot(b, 'item3-may-list-now');
  });

  it('4. notifications: the outbid lender finds it under the bell, after a reload too, and marks it read; preferences per kind', async () => {
    const page = await open(lenderC.email, 'lenderC');
    await expect.poll(() => page.getByTestId('bell-count').textContent(), { timeout: 20_000 }).toMatch(/^[1-9]/);
    await page.reload();
    await page.getByTestId('bell').click();
    await page.getByTestId('bell-panel').waitFor();
    const outbid = page.locator('[data-testid="notification"][data-kind="outbid"]');
    await expect.poll(() => outbid.count()).toBe(1);
    expect(await outbid.textContent()).toContain('Autumn collection stock');
    await screenshot(page, 'item4-notifications');
    await expectNoAxeViolations(page, 'the notifications panel open');
    await page.getByTestId('bell-read-all').click();
    await expect.poll(() => page.getByTestId('bell-count').count()).toBe(0);
    await go(page, 'account');
    await page.getByTestId('notification-prefs').waitFor();
    // No SMTP server in this run: e-mail is off (the SMTP test covers it); the in-app choice is kept.
    expect(await page.getByTestId('pref-outbid-email').isDisabled()).toBe(true);
    await page.getByTestId('pref-payment_received-inApp').uncheck();
    await expect.poll(async () => (await call(t.app, 'GET', '/api/v1/me/notification-preferences', { token: lenderC.token })).json().kinds.payment_received.inApp).toBe(false);
    await screenshot(page, 'item4-preferences', true);
    await expectNoAxeViolations(page, 'notification preferences');
  });

  it('5. settings and errors say what is allowed: 150 % is refused before it is sent, in percent, and Save stays off', async () => {
    const op = await open(ADMIN.email, 'operator', { password: ADMIN.password });
    await go(op, 'admin/settings');
    const input = op.getByTestId('setting-maxRateBps');
    await input.waitFor();
    await input.fill('150');
    await expect.poll(() => op.getByTestId('setting-error-maxRateBps').textContent()).toBe('The maximum rate must be between 0.01% and 36.00%.');
    expect(await op.getByTestId('settings-save').getAttribute('aria-disabled')).toBe('true'); // reachable, inert
    expect(await input.getAttribute('aria-invalid')).toBe('true');
    expect(await input.getAttribute('aria-describedby')).toBe('setting-range-maxRateBps setting-error-maxRateBps');
    expect(await op.getByTestId('setting-range-maxRateBps').textContent()).toBe('from 0.01% to 36.00%');
    await screenshot(op, 'item5-settings-range');
    // The server says the same when asked directly.
    const res = await call(t.app, 'PUT', '/api/v1/admin/settings', { token: await adminToken(t.app), body: { maxRateBps: 15_000 } });
    expect(res.statusCode).toBe(400);
    // A lender's ticket: a rate above the listing's maximum is refused in percent, and the bid cannot be sent.
    const page = await open(lenderA.email, 'lenderA-5');
    const listing = (await call(t.app, 'GET', '/api/v1/listings?status=open&sort=rate')).json().items[0];
    await go(page, `listing/${listing.id}`);
    await page.getByTestId('bid-submit').waitFor();
    await page.getByTestId('bid-rate').fill('99');
    await expect.poll(() => page.getByTestId('bid-reject-reason').textContent()).toMatch(/between 0\.01% and \d+\.\d{2}%/);
    // It stays reachable by Tab (aria-disabled, described by the verdict) but sends nothing.
    expect(await page.getByTestId('bid-submit').getAttribute('aria-disabled')).toBe('true');
    await screenshot(page, 'item5-bid-ticket-error');
  });

  it('10. the small things: the nav fits at 1280 px, plurals, the activity feed on load, the connection pill explained, Chinese that renders', async () => {
    const b = await open(borrower.email, 'borrower-10', { width: 1280 });
    await go(b, 'borrower/listings');
    await b.getByTestId('my-listings').waitFor();
    const clipped = await b.locator('#nav a').evaluateAll((links) => links.filter((a) => a.scrollWidth > a.clientWidth + 1 || a.getBoundingClientRect().right > window.innerWidth).map((a) => a.textContent));
    expect(clipped).toEqual([]);
    await screenshot(b, 'item10-nav-1280');
    await go(b, `loan/${loanId}`);
    await b.getByTestId('loan-title').waitFor();
    await b.getByTestId('connection-state').click();
    await b.getByTestId('conn-explain').waitFor();
    await screenshot(b, 'item10-connection-explained');
    await expectNoAxeViolations(b, 'the connection explained');
    const page = await open(lenderA.email, 'lenderA-10');
    await go(page, `listing/${clearedId}`);
    // The feed shows the listing's last events before anything new happens.
    await expect.poll(() => page.getByTestId('tape').locator(':scope > div').count()).toBeGreaterThan(0);
    await go(page, 'portfolio');
    await expect.poll(() => page.locator('.kpis').textContent()).toMatch(/1 note\b|1 active note\b/);
    // Chinese, with a CJK font: the README's screenshots in both languages.
    const zh = await open(lenderA.email, 'lenderA-zh', { locale: 'zh-CN' });
    await go(zh, 'market');
    await zh.getByTestId('market-table').waitFor();
    await zh.waitForTimeout(500);
    publish(await screenshot(zh, 'item10-market-zh'), 'market-zh');
    await go(zh, 'wallet');
    await zh.getByTestId('statement-table').waitFor();
    publish(await screenshot(zh, 'item10-wallet-zh', true), 'wallet-zh');
    await go(page, 'wallet');
    await page.getByTestId('statement-table').waitFor();
    publish(await screenshot(page, 'wallet-en', true), 'wallet');
  });

  it('11. range filters and a watchlist on the market, a note\'s repayment history, the operators\' users page with a freeze and its reason', async () => {
    const page = await open(lenderA.email, 'lenderA-11');
    await go(page, 'market');
    await page.getByTestId('market-table').waitFor();
    await expect.poll(() => page.getByTestId('market-row').count()).toBeGreaterThan(1);
    await page.getByTestId('market-min-rate').fill('17');
    await page.getByTestId('market-min-rate').press('Enter');
    await page.getByTestId('market-min-rate').blur();
    await expect.poll(() => page.getByTestId('market-row').allTextContents()).toEqual([expect.stringContaining('Spring Festival gift boxes')]);
    await page.getByTestId('watch-star').first().click();
    await page.getByTestId('market-min-rate').fill('');
    await page.getByTestId('market-min-rate').blur();
    await page.getByTestId('market-watched').check();
    await expect.poll(() => page.getByTestId('market-row').count()).toBe(1);
    await screenshot(page, 'item11-market-filters-watchlist');
    await expectNoAxeViolations(page, 'the market filtered to a watchlist');
    await go(page, 'portfolio');
    await page.getByTestId('note-history-toggle').first().click();
    await expect.poll(() => page.getByTestId('note-history-row').count()).toBeGreaterThanOrEqual(2);
    await screenshot(page, 'item11-note-history', true);
    await expectNoAxeViolations(page, "a note's repayment history open");
    const op = await open(ADMIN.email, 'operator-11', { password: ADMIN.password });
    await go(op, 'admin/users');
    await op.getByTestId('users-search').fill(lenderC.email);
    await op.getByTestId('users-search-submit').click();
    await expect.poll(() => op.getByTestId('user-row').count()).toBe(1);
    await op.getByTestId('user-row').click();
    await op.getByTestId('user-detail').waitFor();
    expect(await op.getByTestId('user-freeze').isDisabled()).toBe(true); // no reason yet
    await op.getByTestId('user-reason').fill('Chargeback on a deposit under review');
    await op.getByTestId('user-freeze').click();
    await op.getByTestId('user-frozen').waitFor();
    await expect.poll(() => op.getByTestId('audit-entry').first().textContent()).toContain('Chargeback on a deposit under review');
    await screenshot(op, 'item11-users-freeze', true);
    await expectNoAxeViolations(op, 'a frozen user with its audit trail');
    const res = await call(t.app, 'POST', `/api/v1/listings/${clearedId}/bids`, { token: lenderC.token, body: { amountMinor: 10_000, rateBps: 1000 } });
    expect([403, 409]).toContain(res.statusCode);
  });

  it('leaves no page error behind', () => {
    expect(errors).toEqual([]);
  });
});
