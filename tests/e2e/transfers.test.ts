/**
 * The secondary market in headless Chromium, through the app's own screens: a lender puts part of a
 * note on sale from its portfolio (Sell, with the preview); another lender, watching Notes for sale, sees
 * the offer appear, buys part of it through the Buy dialog (same preview), and both portfolios — each
 * open in its own page — update live: the buyer's new note appears, the seller's note shrinks and its
 * transfer shows with price, accrued and fee. Then the page in Chinese.
 */
import { sql } from 'drizzle-orm';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rows } from '../../src/db/client.js';
import { call, expectInvariants, registerLender, type Session } from '../integration/helpers/api.js';
import { acceptedBid, createListing, listing, newPartner } from '../integration/helpers/market.js';
import { loanOf, setClock } from '../integration/helpers/servicing.js';
import { isoDateOfMs } from '../../src/domain/dates.js';
import { startE2eApp, type E2eApp } from './helpers/app.js';
import { expectNoAxeViolations } from './helpers/axe.js';
import { launchBrowser, newContext, screenshot, watchErrors } from './helpers/browser.js';
import { namedBorrower, PASSWORD } from './helpers/market.js';

let t: E2eApp;
let browser: Browser;
let seller: Session;
let buyer: Session;
let loanId = '';
let sellerNoteId = '';
const contexts: BrowserContext[] = [];
const errors: string[] = [];
let sellerPortfolio: Page;
let buyerMarket: Page;
let buyerPortfolio: Page;

async function login(ctx: BrowserContext, email: string, name: string): Promise<Page> {
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

/** Another page of the same browser context: the same session, its own socket. */
async function another(ctx: BrowserContext, name: string, route: string): Promise<Page> {
  const page = await ctx.newPage();
  watchErrors(page, errors, name);
  await page.goto(`${t.url}/#/${route}`);
  await page.locator('[data-testid="connection-state"][data-state="open"]').waitFor();
  return page;
}

async function go(p: Page, route: string): Promise<void> {
  await p.evaluate((r) => (location.hash = `#/${r}`), route);
}

async function mark(p: Page): Promise<void> {
  await p.evaluate(() => ((window as unknown as { e2eMark: boolean }).e2eMark = true));
}
async function notReloaded(p: Page): Promise<boolean> {
  return p.evaluate(() => (window as unknown as { e2eMark?: boolean }).e2eMark === true);
}

beforeAll(async () => {
  [t, browser] = await Promise.all([startE2eApp({ LENDBOOK_CLOCK: 'settable' }), launchBrowser()]);
  await setClock(t.app, `${isoDateOfMs(t.app.ctx.clock.nowMs() + 86_400_000)}T01:00:00Z`);
  const partner = await newPartner(t.app);
  const borrower = await namedBorrower(t.app, partner, 'Xiamen Tea Garden');
  seller = await registerLender(t.app, { depositMinor: 2_000_000, displayName: 'Sam Seller' });
  buyer = await registerLender(t.app, { depositMinor: 2_000_000, displayName: 'Bea Buyer' });
  const l = await createListing(t.app, borrower, { amountMinor: 1_000_000, termMonths: 12, maxRateBps: 1500, closeWhenFunded: true, durationSec: 86_400 });
  await acceptedBid(t.app, seller.token, l.id, 1_000_000, 1300);
  loanId = (await listing(t.app, l.id)).loanId;
  sellerNoteId = (await loanOf(t.app, loanId)).notes[0]!.id;
  // Ten days into the first period: a sale now carries accrued interest.
  await setClock(t.app, new Date(t.app.ctx.clock.nowMs() + 10 * 86_400_000).toISOString());
});

afterAll(async () => {
  for (const c of contexts) await c.close().catch(() => undefined);
  await browser?.close();
  await t?.stop();
});

describe('notes for sale, live', () => {
  it('the buyer watches Notes for sale; the seller puts ¥5,000 of a note on sale from its portfolio, with the preview', async () => {
    const buyerCtx = await newContext(browser, { width: 1360, height: 900 });
    const sellerCtx = await newContext(browser, { width: 1360, height: 900 });
    contexts.push(buyerCtx, sellerCtx);
    buyerMarket = await login(buyerCtx, buyer.email, 'buyer market');
    await go(buyerMarket, 'notes');
    await buyerMarket.getByTestId('notes-market').waitFor();
    await buyerMarket.getByTestId('notes-empty').waitFor();
    await mark(buyerMarket);
    buyerPortfolio = await another(buyerCtx, 'buyer portfolio', 'portfolio');
    await buyerPortfolio.getByTestId('portfolio').waitFor();
    await mark(buyerPortfolio);

    sellerPortfolio = await login(sellerCtx, seller.email, 'seller');
    await go(sellerPortfolio, 'portfolio');
    const row = sellerPortfolio.locator(`[data-testid="note-row"][data-note-id="${sellerNoteId}"]`);
    await row.getByTestId('note-sell').click();
    const dialog = sellerPortfolio.getByTestId('sell-dialog');
    await dialog.waitFor();
    // The whole note is proposed at par; the seller asks for half at 99 %.
    await expect.poll(() => dialog.getByTestId('trade-amount').inputValue()).toBe('10000');
    await dialog.getByTestId('trade-amount').fill('5000');
    await dialog.getByTestId('trade-price').fill('99');
    const preview = dialog.locator('[data-testid="trade-preview"][data-state="ready"]');
    await preview.waitFor();
    const api = (await call(t.app, 'GET', `/api/v1/notes/${sellerNoteId}/offer-preview?principalMinor=500000&priceBps=9900`, { token: seller.token })).json().quote;
    await expect.poll(() => preview.getByTestId('preview-receive').innerText()).toBe(yuan(api.sellerReceivesMinor));
    expect(await preview.getByTestId('preview-price').innerText()).toBe('¥4,950.00');
    expect(await preview.getByTestId('preview-fee').innerText()).toBe(`−${yuan(api.feeMinor)}`);
    expect(await preview.getByTestId('preview-yield').innerText()).toBe(pct(api.yieldToMaturityBps));
    // A price outside the limits is explained in percent before anything is sent.
    await dialog.getByTestId('trade-price').fill('70');
    await dialog.locator('[data-testid="trade-quote-error"]').filter({ hasText: '80.00%' }).waitFor();
    await dialog.getByTestId('trade-price').fill('99');
    await preview.waitFor();
    await screenshot(sellerPortfolio, 'sell-dialog');
    await expectNoAxeViolations(sellerPortfolio, 'transfers: the sell dialog open');
    await dialog.getByTestId('trade-submit').click();
    await dialog.waitFor({ state: 'hidden' });
    await row.getByTestId('note-on-sale').waitFor();
    await mark(sellerPortfolio);
  });

  it('the offer appears on the buyer’s page without a reload; the buyer buys ¥2,000 with the same preview', async () => {
    const offerRow = buyerMarket.getByTestId('offer-row');
    await offerRow.waitFor();
    expect(await offerRow.getByTestId('offer-remaining').innerText()).toBe('¥5,000.00');
    expect(await notReloaded(buyerMarket)).toBe(true);
    await offerRow.getByTestId('offer-buy').click();
    const dialog = buyerMarket.getByTestId('buy-dialog');
    await dialog.waitFor();
    await dialog.getByTestId('trade-amount').fill('2000');
    const offerId = (await offerRow.getAttribute('data-offer-id'))!;
    const api = (await call(t.app, 'GET', `/api/v1/note-offers/${offerId}/quote?principalMinor=200000`, { token: buyer.token })).json();
    const preview = dialog.locator('[data-testid="trade-preview"][data-state="ready"]');
    await expect.poll(() => preview.getByTestId('preview-pay').innerText()).toBe(yuan(api.paidMinor));
    expect(await preview.getByTestId('preview-accrued').innerText()).toBe(yuan(api.accruedMinor));
    expect(api.accruedMinor).toBeGreaterThan(0);
    await screenshot(buyerMarket, 'buy-dialog');
    await expectNoAxeViolations(buyerMarket, 'transfers: the buy dialog open');
    await dialog.getByTestId('trade-submit').click();
    await dialog.waitFor({ state: 'hidden' });
    await buyerMarket.locator('[data-testid="toast"][data-kind="bought"]').first().waitFor();
    // The offer follows: ¥3,000 left, live.
    await offerRow.getByTestId('offer-remaining').filter({ hasText: '¥3,000.00' }).waitFor();
    const [trade] = await rows<{ paid: number; buyer_note_id: string }>(t.app.ctx.db, sql`select paid_minor as paid, buyer_note_id from note_transfers where offer_id = ${offerId}`);
    expect(Number(trade!.paid)).toBe(api.paidMinor);
  });

  it('both portfolios update live: the buyer’s new note, the seller’s smaller note and its sale', async () => {
    const [trade] = await rows<{ buyer_note_id: string }>(t.app.ctx.db, sql`select buyer_note_id from note_transfers`);
    await buyerPortfolio.locator(`[data-testid="note-row"][data-note-id="${trade!.buyer_note_id}"]`).waitFor();
    await buyerPortfolio.getByTestId('portfolio-outstanding').filter({ hasText: '¥2,000.00' }).waitFor();
    await buyerPortfolio.locator('[data-testid="transfer-row"][data-direction="in"]').waitFor();
    expect(await notReloaded(buyerPortfolio)).toBe(true);

    await sellerPortfolio.locator('[data-testid="toast"][data-kind="sold"]').first().waitFor();
    await sellerPortfolio.getByTestId('portfolio-outstanding').filter({ hasText: '¥8,000.00' }).waitFor();
    const sale = sellerPortfolio.locator('[data-testid="transfer-row"][data-direction="out"]');
    await sale.waitFor();
    expect(await sale.innerText()).toContain('¥1,980.00'); // the price: ¥2,000 at 99 %
    await sellerPortfolio.locator(`[data-testid="note-row"][data-note-id="${sellerNoteId}"]`).getByTestId('note-on-sale').waitFor();
    expect(await notReloaded(sellerPortfolio)).toBe(true);
    await screenshot(sellerPortfolio, 'portfolio-transfers', true);
    await expectNoAxeViolations(sellerPortfolio, 'transfers: a portfolio with a note on sale and a sale');
  });

  it('the page speaks Chinese too', async () => {
    await buyerMarket.getByTestId('lang-switch').click();
    await buyerMarket.locator('h1', { hasText: '债权转让' }).waitFor();
    await buyerMarket.getByTestId('offer-row').getByTestId('offer-buy').filter({ hasText: '购买' }).waitFor();
    await screenshot(buyerMarket, 'notes-zh');
    await expectNoAxeViolations(buyerMarket, 'transfers: notes for sale in Chinese');
  });

  it('no page errors; the money invariants hold', async () => {
    expect(errors).toEqual([]);
    await expectInvariants(t.app);
  });
});

/** 123456 → "¥1,234.56", as the app writes money. */
function yuan(minor: number): string {
  const fen = minor % 100;
  return `¥${((minor - fen) / 100).toLocaleString('en-US')}.${String(fen).padStart(2, '0')}`;
}

/** 1234 → "12.34%". */
function pct(bps: number): string {
  return `${(bps - (bps % 100)) / 100}.${String(Math.abs(bps % 100)).padStart(2, '0')}%`;
}
