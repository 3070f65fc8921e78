/**
 * A third-party guarantee in the browser: a borrower names a guarantor on the new-listing form; the
 * listing waits for it; the guarantor, on its own page, sees the request and accepts it; the listing
 * opens with its guarantee badge (coverage) on the listing page and in the market list, and says the
 * platform does not guarantee it.
 */
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { call, expectInvariants, uniq } from '../integration/helpers/api.js';
import { ADMIN, adminToken, createPartner, type PartnerKey } from '../integration/helpers/partner.js';
import type { Borrower } from '../integration/helpers/market.js';
import { startE2eApp, type E2eApp } from './helpers/app.js';
import { launchBrowser, loginPage, screenshot } from './helpers/browser.js';
import { expectNoAxeViolations } from './helpers/axe.js';
import { namedBorrower, PASSWORD } from './helpers/market.js';

let t: E2eApp;
let browser: Browser;
let partner: PartnerKey;
let borrower: Borrower;
let guarantorId = '';
const contexts: BrowserContext[] = [];
const errors: string[] = [];
const GUARANTOR = { email: `${uniq('guarantor')}@example.com`, password: 'guarantee company password' };

async function signedIn(email: string, password: string, name: string): Promise<Page> {
  const { ctx, page } = await loginPage(browser, t.url, email, password, errors, name);
  contexts.push(ctx);
  return page;
}

beforeAll(async () => {
  [t, browser] = await Promise.all([startE2eApp(), launchBrowser()]);
  partner = await createPartner(t.app);
  borrower = await namedBorrower(t.app, partner, 'Ningbo Small Appliances');
  const reg = await call(t.app, 'POST', '/api/v1/admin/guarantors', {
    token: await adminToken(t.app),
    body: { name: 'Anxin Financing Guarantee', licenceNo: uniq('DB'), registeredCapitalMinor: 5_000_000_000, ...GUARANTOR },
  });
  expect(reg.statusCode, reg.body).toBe(201);
  guarantorId = reg.json().id;
});

// A failed step says what the pages showed: their address, any error on them, the browser's own errors.
afterEach(async (ctx) => {
  if (ctx.task.result?.state !== 'fail') return;
  for (const c of contexts) {
    for (const pg of c.pages()) {
      const shown = await pg.locator('[role="alert"]').allTextContents().catch(() => []);
      console.log(`page ${pg.url()}: ${shown.join(' | ') || 'no error shown'}`);
    }
  }
  console.log(`browser errors: ${errors.join(' | ') || 'none'}`);
});

afterAll(async () => {
  for (const c of contexts) await c.close().catch(() => undefined);
  await browser?.close();
  if (t) await expectInvariants(t.app);
  await t?.stop();
});

describe('a guaranteed listing in the web app, and a related party', () => {
  let listingId = '';

  it('the borrower names the guarantor on the listing form; the listing waits for it', async () => {
    const p = await signedIn(borrower.email, PASSWORD, 'borrower');
    await p.goto(`${t.url}/#/borrower/new`);
    await p.getByTestId('listing-title').fill('Stock for the season');
    await p.getByTestId('listing-purpose').fill('Kettles and rice cookers ahead of the holidays');
    await p.getByTestId('listing-amount').fill('20000');
    await p.getByTestId('listing-guarantor').selectOption(guarantorId);
    await p.getByTestId('listing-coverage').fill('80');
    await p.getByTestId('listing-guarantee-fee').fill('1.50');
    await expectNoAxeViolations(p, 'new listing with a guarantor');
    await p.getByTestId('listing-submit').click();
    await p.getByTestId('listing-view').waitFor();
    listingId = (await p.getByTestId('listing-view').getAttribute('data-listing-id')) ?? '';
    expect(listingId).toMatch(/^lst_/);
    await expect.poll(() => p.getByTestId('listing-state').getAttribute('data-status')).toBe('pending_guarantee');
    await expect.poll(() => p.getByTestId('guarantee-state').textContent()).toMatch(/guarantor to accept|等待担保机构确认/);
    await expectNoAxeViolations(p, 'listing waiting for its guarantor');
  });

  it('the guarantor accepts the request on its page; the listing opens with its badge', async () => {
    const g = await signedIn(GUARANTOR.email, GUARANTOR.password, 'guarantor');
    await g.getByTestId('guarantor-view').waitFor();
    const request = g.locator('[data-testid="guarantee-request"]');
    await expect.poll(() => request.count()).toBe(1);
    await expectNoAxeViolations(g, 'guarantor page with a request');
    await request.getByTestId('accept-guarantee').click();
    await g.getByTestId('guarantor-done').waitFor();
    await expect.poll(() => g.locator('[data-testid="guarantee-status"][data-status="active"]').count()).toBe(1);
    await expect.poll(() => g.getByTestId('guarantor-usage').textContent()).toContain('16,000.00');

    const p = await signedIn(borrower.email, PASSWORD, 'viewer');
    await p.goto(`${t.url}/#/listing/${listingId}`);
    await expect.poll(() => p.getByTestId('listing-state').getAttribute('data-status')).toBe('open');
    await expect.poll(() => p.getByTestId('listing-guarantee').getByTestId('guarantor-name').textContent()).toBe('Anxin Financing Guarantee');
    await expect.poll(() => p.locator('lb-guarantee-badge').first().evaluate((el) => el.shadowRoot?.textContent ?? '')).toMatch(/80%/);
    expect(await p.getByTestId('no-platform-guarantee').isVisible()).toBe(true);
    await expectNoAxeViolations(p, 'guaranteed listing');
    await p.goto(`${t.url}/#/market`);
    const row = p.locator(`[data-testid="market-row"][data-listing-id="${listingId}"]`);
    await expect.poll(() => row.locator('lb-guarantee-badge').evaluate((el) => el.shadowRoot?.textContent ?? '')).toMatch(/80%/);
    await screenshot(p, 'guaranteed-listing');
    await expectNoAxeViolations(p, 'market with a guaranteed listing');
    expect(errors).toEqual([]);
  });

  it('an operator finds the borrower on the Merchants page and marks it a related party, with a reason', async () => {
    const o = await signedIn(ADMIN.email, ADMIN.password, 'operator');
    await o.goto(`${t.url}/#/admin/merchants`);
    await o.getByTestId('merchants-search').fill(borrower.merchantRef);
    await o.getByTestId('merchants-search-submit').click();
    const row = o.locator(`[data-testid="merchant-row"][data-merchant-id="${borrower.merchantId}"]`);
    await expect.poll(() => o.getByTestId('merchant-row').count()).toBe(1);
    await row.getByTestId('merchant-open').click();
    await o.getByTestId('merchant-detail').waitFor();
    // Without a reason the button stays reachable by keyboard, does nothing, and the hint says why.
    await o.getByTestId('merchant-mark').press('Enter');
    expect(await o.getByTestId('merchant-mark').getAttribute('aria-disabled')).toBe('true');
    expect(await o.getByTestId('merchant-related').count()).toBe(0);
    await o.getByTestId('merchant-reason').fill('a director of the platform owns it');
    await o.getByTestId('merchant-mark').click();
    await expect.poll(() => row.getByTestId('merchant-related').count()).toBe(1);
    await expect.poll(() => o.getByTestId('merchant-detail').getByTestId('merchant-unmark').count()).toBe(1);
    await expectNoAxeViolations(o, 'merchants page with a merchant marked related');
    const audit = (await call(t.app, 'GET', `/api/v1/admin/users/${borrower.userId}`, { token: await adminToken(t.app) })).json() as { audit: { action: string; reason: string }[] };
    expect(audit.audit).toContainEqual(expect.objectContaining({ action: 'related_party_marked', reason: 'a director of the platform owns it' }));
    expect(errors).toEqual([]);
  });
});
