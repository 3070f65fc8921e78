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
      ['admin/users', 'table'],
      ['admin/partners', '[data-testid="partner-form"]'],
      ['admin/invariants', '[data-testid="invariant"]'],
      ['admin/webhooks', '[data-testid="webhooks"]'],
      ['admin/defaults', 'h1'],
      ['admin/core-enterprises', 'h1'],
    ] as const) {
      await go(page, route);
      await page.locator(`main ${ready}`).first().waitFor();
      await expectNoAxeViolations(page, where(`operator: ${route}`));
    }
  });
});

describe('no page errors', () => {
  it('leaves no page error behind', () => {
    expect(errors).toEqual([]);
  });
});
