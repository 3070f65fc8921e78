/**
 * Supply-chain finance in the browser: a core enterprise confirms a payable to its tier-1 supplier, who
 * passes part to tier 2; tier 2 passes part on to tier 3 through the assign dialog; tier 3 sees the
 * three-tier chain on its Claims page, finances its claim through "Finance this claim" and the listing
 * form, and the listing shows the core enterprise, both grades and the chain on the listing page and on
 * the market page. The operator sees the core enterprise's limit in use.
 */
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addDays, isoDateOfMs } from '../../src/domain/dates.js';
import { call, expectInvariants } from '../integration/helpers/api.js';
import { assignOk, issue, registerCore, type CoreKey } from '../integration/helpers/claims.js';
import { ADMIN, adminToken, createPartner, type PartnerKey } from '../integration/helpers/partner.js';
import { hostPage, startPageHost, type PageHost } from './helpers/pages.js';
import type { Borrower } from '../integration/helpers/market.js';
import { startE2eApp, type E2eApp } from './helpers/app.js';
import { expectNoAxeViolations } from './helpers/axe.js';
import { launchBrowser, newContext, screenshot, watchErrors } from './helpers/browser.js';
import { namedBorrower, PASSWORD } from './helpers/market.js';

let t: E2eApp;
let browser: Browser;
let partner: PartnerKey;
let core: CoreKey;
let tiers: Borrower[];
let tier2ClaimId = '';
const contexts: BrowserContext[] = [];
const errors: string[] = [];
let due = '';
let site: PageHost | undefined;

/** A page logged in as `email`, with its socket open. */
async function signedIn(email: string, password: string, name: string): Promise<Page> {
  const ctx = await newContext(browser, { width: 1360, height: 900 });
  contexts.push(ctx);
  const p = await ctx.newPage();
  watchErrors(p, errors, name);
  await p.goto(`${t.url}/#/login`);
  await p.getByTestId('login-email').fill(email);
  await p.getByTestId('login-password').fill(password);
  await p.getByTestId('login-submit').click();
  await p.getByTestId('logout').waitFor();
  return p;
}

beforeAll(async () => {
  [t, browser] = await Promise.all([startE2eApp({ LENDBOOK_CLOCK: 'settable' }), launchBrowser()]);
  partner = await createPartner(t.app);
  tiers = [
    await namedBorrower(t.app, partner, 'Huadong Textile Materials'),
    await namedBorrower(t.app, partner, 'Suzhou Dyeworks', 300_000),
    await namedBorrower(t.app, partner, 'Kunshan Weaving Workshop', 120_000),
  ];
  core = await registerCore(t.app, partner, { grade: 'AA', name: 'Hongyun Apparel Group', limitMinor: 500_000_000 });
  due = addDays(isoDateOfMs(t.app.ctx.clock.nowMs()), 90);
  const issued = await issue(t.app, core, { supplierMerchantRef: tiers[0]!.merchantRef, amountMinor: 100_000_000, dueDate: due });
  tier2ClaimId = (await assignOk(t.app, tiers[0]!.token, issued.claimId, tiers[1]!.merchantRef, 40_000_000)).id;
});

afterAll(async () => {
  for (const c of contexts) await c.close().catch(() => undefined);
  await browser?.close();
  await site?.close();
  if (t) await expectInvariants(t.app);
  await t?.stop();
});

describe('supply-chain finance in the web app', () => {
  it('tier 2 passes ¥150,000 of its claim to tier 3 through the assign dialog', async () => {
    const p = await signedIn(tiers[1]!.email, PASSWORD, 'tier2');
    await p.getByTestId('nav-borrower-claims').click();
    const card = p.locator(`[data-testid="claim"][data-claim-id="${tier2ClaimId}"]`);
    await expect.poll(() => card.getByTestId('claim-amount').textContent()).toContain('400,000.00');
    await card.getByTestId('claim-assign').click();
    const dialog = p.getByTestId('assign-dialog');
    await dialog.getByTestId('assign-to').fill(tiers[2]!.merchantRef);
    await dialog.getByTestId('assign-amount').fill('150000');
    await expectNoAxeViolations(p, 'supply chain: the assign dialog open');
    await dialog.getByTestId('assign-submit').click();
    await expect.poll(() => card.getByTestId('claim-amount').textContent()).toContain('250,000.00');
    expect(await p.getByTestId('assign-dialog').isVisible()).toBe(false);
  });

  it("on the order system's page, <lendbook-order-offer> offers tier 2 the financing of the claim it kept", async () => {
    site = await startPageHost();
    const res = await call(t.app, 'POST', `/api/v1/admin/partners/${partner.partnerId}/publishable-keys`, { token: await adminToken(t.app), body: { allowedOrigins: [site.origin] } });
    expect(res.statusCode, res.body).toBe(201);
    site.page('/order.html', hostPage(t.url, `<lendbook-order-offer order-id="SO-1" merchant-ref="${tiers[1]!.merchantRef}" data-key="${res.json().key}"></lendbook-order-offer>`));
    const ctx = await newContext(browser);
    contexts.push(ctx);
    const p = await ctx.newPage();
    watchErrors(p, errors, 'widget');
    await p.goto(`${site.origin}/order.html`);
    const claims = p.locator('lendbook-order-offer [data-testid="offer-claims"]');
    // ¥250,000 kept of an AA claim: 90 % of it.
    await expect.poll(() => claims.textContent()).toContain('Hongyun Apparel Group: up to ¥225,000');
    expect(await p.locator('lendbook-order-offer [data-testid="offer-claims-apply"]').getAttribute('href')).toContain(`#/borrower/new?product=claim&claimIds=${tier2ClaimId}`);
    await expectNoAxeViolations(p, 'supply chain: the order offer with claims');
  });

  it('tier 3 sees the three-tier chain, back to the core enterprise', async () => {
    const p = await signedIn(tiers[2]!.email, PASSWORD, 'tier3');
    await p.getByTestId('nav-borrower-claims').click();
    const card = p.getByTestId('claim').first();
    await expect.poll(() => card.getByTestId('claim-amount').textContent()).toContain('150,000.00');
    const links = card.getByTestId('claim-chain').locator('li');
    await expect.poll(() => links.allTextContents()).toEqual([
      expect.stringContaining('Hongyun Apparel Group'),
      expect.stringContaining('Huadong Textile Materials'),
      expect.stringContaining('Suzhou Dyeworks'),
      expect.stringContaining('Kunshan Weaving Workshop'),
    ]);
    await screenshot(p, 'claims');
    await expectNoAxeViolations(p, 'supply chain: claims with their chain');

    // Finance it: the form opens with the claim selected, 90 % of an AA claim and its due date filled in.
    await card.getByTestId('claim-finance').click();
    await expect.poll(() => p.getByTestId('listing-amount').inputValue()).toBe('135000');
    expect(await p.getByTestId('listing-matures-on').inputValue()).toBe(due);
    expect(await p.locator('[data-testid="collateral-claim"]').first().isChecked()).toBe(true);
    await p.getByTestId('listing-title').fill('Yarn for the group’s autumn order');
    await p.getByTestId('listing-purpose').fill('Wages and yarn until Hongyun pays its payable.');
    await expect.poll(() => p.getByTestId('preview-total-interest').textContent()).toMatch(/¥/);
    await expectNoAxeViolations(p, 'supply chain: a claim-backed new listing');
    await p.getByTestId('listing-submit').click();
    const view = p.getByTestId('listing-view');
    await view.waitFor();
    const backing = p.getByTestId('claim-backing');
    await expect.poll(() => backing.textContent()).toContain('Backed by claims on Hongyun Apparel Group');
    expect(await backing.getByTestId('core-grade').getAttribute('grade')).toBe('AA');
    expect(await p.getByTestId('borrower-grade').getAttribute('grade')).toBe(tiers[2]!.grade);
    await expect.poll(() => p.getByTestId('listing-claims').getByTestId('claim-chain').locator('li').count()).toBe(4);
    await screenshot(p, 'claim-listing', true);
    await expectNoAxeViolations(p, 'supply chain: a claim-backed listing');
  });

  it('the claim-backed listing is on the market page, graded by its core enterprise', async () => {
    const ctx = await newContext(browser);
    contexts.push(ctx);
    const p = await ctx.newPage();
    watchErrors(p, errors, 'market');
    await p.goto(`${t.url}/#/market`);
    const row = p.locator('tr', { hasText: 'Yarn for the group’s autumn order' });
    await expect.poll(() => row.count()).toBe(1);
    expect(await row.textContent()).toContain('Claim-backed');
    expect(await row.locator('lb-grade').getAttribute('grade')).toBe('AA');
  });

  it('the operator sees the core enterprise and its limit in use', async () => {
    const p = await signedIn(ADMIN.email, ADMIN.password, 'operator');
    await p.getByTestId('nav-admin-core-enterprises').click();
    const row = p.locator(`[data-testid="core-row"][data-core-id="${core.id}"]`);
    await expect.poll(() => row.getByTestId('core-used').textContent()).toContain('¥1,000,000.00');
    expect(await row.textContent()).toContain('Hongyun Apparel Group');
    await expectNoAxeViolations(p, 'supply chain: core enterprises in use');
  });

  it('no page logged an error', () => {
    expect(errors).toEqual([]);
  });
});
