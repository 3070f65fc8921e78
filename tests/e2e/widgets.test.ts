/**
 * The widgets in headless Chromium: pages of a partner's site on another origin embed the widget
 * module served by Lendbook.
 */
import type { Browser, BrowserContext, Page, WebSocket as PwWebSocket } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startWidgetHost } from '../../src/demo/widget-host.js';
import { call, expectInvariants, registerLender } from '../integration/helpers/api.js';
import { acceptedBid, createListing, newPartner, ratedBorrower, type Borrower } from '../integration/helpers/market.js';
import { adminToken, partnerCall, type PartnerKey } from '../integration/helpers/partner.js';
import { freePort, startE2eApp, type E2eApp } from './helpers/app.js';
import { expectNoAxeViolations } from './helpers/axe.js';
import { launchBrowser, newContext, screenshot, watchErrors } from './helpers/browser.js';
import { hostPage, startPageHost, type PageHost, type RecordedEvent } from './helpers/pages.js';

let t: E2eApp;
let browser: Browser;
let site: PageHost;
let partner: PartnerKey;
let borrower: Borrower;
/** A shop with no listing open: its order can back a new one. */
let orderShop: Borrower;
let key: string;
const listingIds: string[] = [];
const ORDER_ID = 'SO-20240611-0042';
const errors: string[] = [];
const contexts: BrowserContext[] = [];

async function publishableKey(origins: string[]): Promise<string> {
  const res = await call(t.app, 'POST', `/api/v1/admin/partners/${partner.partnerId}/publishable-keys`, { token: await adminToken(t.app), body: { allowedOrigins: origins } });
  expect(res.statusCode, res.body).toBe(201);
  return res.json().key;
}

interface Opened {
  page: Page;
  /** WebSockets the page opened. */
  sockets: PwWebSocket[];
  /** Widget API requests that got an answer the page could read, and those that failed. */
  answered: string[];
  failed: string[];
}

/** `refusals`: the page makes requests that fail on purpose (the browser logs them as errors). */
async function openPage(url: string, name: string, refusals = false): Promise<Opened> {
  const ctx = await newContext(browser);
  contexts.push(ctx);
  const page = await ctx.newPage();
  watchErrors(page, errors, name, refusals ? [/blocked by CORS policy|Failed to load resource: (net::ERR_FAILED|the server responded with a status of 404)|WebSocket connection to .* failed/] : []);
  const opened: Opened = { page, sockets: [], answered: [], failed: [] };
  page.on('websocket', (ws) => opened.sockets.push(ws));
  page.on('requestfailed', (r) => r.url().includes('/api/v1/widgets/') && opened.failed.push(r.url()));
  page.on('requestfinished', (r) => r.url().includes('/api/v1/widgets/') && opened.answered.push(r.url()));
  await page.goto(url);
  return opened;
}

function events(page: Page): Promise<RecordedEvent[]> {
  return page.evaluate(() => (window as unknown as { lbEvents: RecordedEvent[] }).lbEvents);
}

/** What a widget shows, read through its shadow root (and the card's). */
function cardText(page: Page, selector: string, testid: string): Promise<string> {
  return page.locator(`${selector} [data-testid="${testid}"]`).first().innerText();
}

beforeAll(async () => {
  [t, browser, site] = await Promise.all([startE2eApp(), launchBrowser(), startPageHost()]);
  partner = await newPartner(t.app);
  // One open listing per borrower: five merchants. The first also has a withdrawn one.
  const borrowers = await Promise.all(Array.from({ length: 5 }, () => ratedBorrower(t.app, partner)));
  borrower = borrowers[0]!;
  const first = await createListing(t.app, borrower, { amountMinor: 800_000 });
  expect((await call(t.app, 'POST', `/api/v1/listings/${first.id}/withdraw`, { token: borrower.token })).statusCode).toBe(200);
  for (const [i, b] of borrowers.entries()) {
    const l = await createListing(t.app, b, { amountMinor: 500_000 + i * 100_000, maxRateBps: 1500 - i * 50, durationSec: 3600 * (i + 2), termMonths: [3, 6, 9, 12, 18][i]! });
    listingIds.push(l.id);
  }
  const placedAt = new Date(Date.now() - 2 * 86_400_000).toISOString();
  // The order is offered by a shop with nothing open (a shop with an open listing may not list another).
  orderShop = await ratedBorrower(t.app, partner);
  for (const ref of [borrower.merchantRef, orderShop.merchantRef]) {
    const orders = await partnerCall(t.app, partner, 'POST', `/api/v1/partner/merchants/${ref}/orders`, { orders: [{ orderId: ORDER_ID, amountMinor: 5_000_000, status: 'shipped', placedAt }] });
    expect(orders.statusCode, orders.body).toBe(200);
  }
  key = await publishableKey([site.origin]);
});

afterAll(async () => {
  for (const c of contexts) await c.close().catch(() => undefined);
  await browser?.close();
  await site?.close();
  await t?.stop();
});

describe('widgets on a partner page (another origin)', () => {
  it('the demo host page embeds all three widgets, each with its data, and the offer opens the app on the order', async () => {
    const port = await freePort();
    const demoKey = await publishableKey([`http://127.0.0.1:${port}`]);
    const demo = await startWidgetHost({ lendbookUrl: t.url, port, publishableKey: demoKey, merchantRef: borrower.merchantRef, listingId: listingIds[0]!, orderId: ORDER_ID, hostname: '127.0.0.1', listenHost: '127.0.0.1' });
    try {
      expect(demo.origin).toBe(`http://127.0.0.1:${port}`);
      const { page } = await openPage(demo.url, 'demo');
      for (const tag of ['lendbook-listing', 'lendbook-merchant', 'lendbook-order-offer']) await page.locator(`${tag}[state="ready"]`).waitFor();
      await page.locator('lendbook-listing [data-testid="listing-status"]').waitFor();
      // The merchant's two listings: the open one first, then the withdrawn one.
      await expect.poll(() => page.locator('lendbook-merchant [data-testid="listing-status"]').count()).toBe(2);
      expect(await page.locator('lendbook-merchant [data-testid="listing-status"]').evaluateAll((els) => els.map((e) => e.getAttribute('data-status')))).toEqual(['open', 'withdrawn']);
      // This shop's listing is open: its order offer says so instead of offering a listing it may not post.
      await page.locator('lendbook-order-offer [data-reason="OPEN_LISTING"]').waitFor();
      // The events bubbled out of the shadow roots to the page's log.
      await page.locator('#log li').first().waitFor();
      // All three widgets (a listing, a merchant with two, an offer that explains why not) on the demo page.
      await expectNoAxeViolations(page, 'widgets: the demo page, all three');
      await page.context().close();
    } finally {
      await demo.close();
    }
    const port2 = await freePort();
    const key2 = await publishableKey([`http://127.0.0.1:${port2}`]);
    const shop = await startWidgetHost({ lendbookUrl: t.url, port: port2, publishableKey: key2, merchantRef: orderShop.merchantRef, listingId: listingIds[1]!, orderId: ORDER_ID, hostname: '127.0.0.1', listenHost: '127.0.0.1' });
    try {
      const { page } = await openPage(shop.url, 'demo-order');
      await page.locator('lendbook-order-offer[state="ready"]').waitFor();
      const apply = page.locator('lendbook-order-offer [data-testid="offer-apply"]');
      expect(await apply.getAttribute('href')).toBe(`${t.url}/#/borrower/new?product=order&orderId=${ORDER_ID}`);
      expect(await apply.getAttribute('target')).toBe('_blank');
      expect(await cardText(page, 'lendbook-order-offer', 'offer-amount')).toMatch(/^Up to ¥[\d,]+$/);
      // The button opens the app in a new tab, on the create-listing form (login first: nobody is logged in there).
      const [tab] = await Promise.all([page.context().waitForEvent('page'), apply.click()]);
      await tab.waitForLoadState();
      expect(tab.url().startsWith(`${t.url}/#/`)).toBe(true);
      await tab.getByTestId('login-form').waitFor();
      expect(decodeURIComponent(tab.url())).toContain(`borrower/new?product=order&orderId=${ORDER_ID}`);
      await tab.close();
      await page.locator('#log li').first().waitFor();
      const log = await page.locator('#log li').allInnerTexts();
      for (const tag of ['lendbook-listing', 'lendbook-merchant', 'lendbook-order-offer']) expect(log.some((l) => new RegExp(`lendbook-ready\\s+<${tag}>`).test(l)), log.join('\n')).toBe(true);
      // Switching the document language re-renders the widgets in Chinese.
      await expectNoAxeViolations(page, 'widgets: the order offer ready to apply');
      await page.locator('#lang').click();
      await page.locator('lendbook-listing [data-testid="listing-state"]', { hasText: '竞标中' }).waitFor();
      await expectNoAxeViolations(page, 'widgets: the demo page in Chinese');
      await page.locator('#lang').click();
      await page.locator('lendbook-listing [data-testid="listing-state"]', { hasText: 'Open' }).waitFor();
      await page.locator('#theme').click();
      await page.waitForTimeout(300);
      await screenshot(page, 'widgets-demo-dark', true);
      await expectNoAxeViolations(page, 'widgets: the demo page, dark');
      await page.locator('#theme').click();
      await page.waitForTimeout(300);
      await screenshot(page, 'widgets-demo', true);
      await page.context().close();
    } finally {
      await shop.close();
    }
  });

  it('a bid placed through the API shows up in the embedded listing widget without reload', async () => {
    const id = listingIds[1]!;
    site.page('/live.html', hostPage(t.url, `<lendbook-listing id="w" listing-id="${id}" data-key="${key}"></lendbook-listing>`));
    const { page, sockets } = await openPage(`${site.origin}/live.html`, 'live');
    await page.locator('lendbook-listing[state="ready"]').waitFor();
    await page.locator('lendbook-listing [part~="live"][data-state="open"]').waitFor();
    expect(await cardText(page, '#w', 'listing-state')).toBe('Open');
    expect(await page.locator('#w lb-funded-bar').getAttribute('pct')).toBe('0');
    await page.evaluate(() => ((window as unknown as { marker: number }).marker = 42));

    const lender = await registerLender(t.app, { depositMinor: 2_000_000 });
    await acceptedBid(t.app, lender.token, id, 300_000, 1180); // half of ¥6,000

    await page.locator('#w lb-funded-bar[pct="50"]').waitFor();
    await page.locator('#w [data-testid="listing-status"] .footer', { hasText: '1 bid' }).waitFor();
    await acceptedBid(t.app, (await registerLender(t.app, { depositMinor: 2_000_000 })).token, id, 300_000, 1100);
    await page.locator('#w lb-funded-bar[pct="100"]').waitFor();
    expect(await cardText(page, '#w', 'listing-rate')).toBe('11.80%'); // uniform price: the marginal bid's rate
    expect(await page.evaluate(() => (window as unknown as { marker?: number }).marker)).toBe(42); // the same document: no reload
    const updates = (await events(page)).filter((e) => e.type === 'lendbook-update');
    expect(updates.map((e) => e.detail.event)).toContain('bid.accepted');
    expect(updates.at(-1)!.detail.listing).toMatchObject({ id, bidCount: 2, fundedPct: 100, currentRateBps: 1180 });
    expect(sockets).toHaveLength(1);
    expect(sockets[0]!.url()).toBe(`${t.url.replace('http', 'ws')}/api/v1/ws?key=${key}`);
    await screenshot(page, 'widget-listing-live');
    await page.context().close();
  });

  it("host-page CSS (* { color: red !important }, div { display: none }) does not break them; they theme through custom properties and ::part", async () => {
    const css = `
      * { color: red !important; font-family: "Comic Sans MS", cursive !important; letter-spacing: 3px; }
      div { display: none; }
      lendbook-listing { --lb-accent: rgb(1, 2, 3); }
      lendbook-listing::part(rate) { color: rgb(0, 128, 0); }
      lendbook-order-offer::part(button) { background: rgb(10, 20, 30); }`;
    site.page(
      '/hostile.html',
      hostPage(
        t.url,
        `<div id="light">a div of the page</div>
         <section><lendbook-listing id="l" listing-id="${listingIds[2]}" data-key="${key}"></lendbook-listing></section>
         <section><lendbook-merchant id="m" merchant-ref="${borrower.merchantRef}" data-key="${key}" limit="2"></lendbook-merchant></section>
         <section><lendbook-order-offer id="o" order-id="${ORDER_ID}" merchant-ref="${orderShop.merchantRef}" data-key="${key}"></lendbook-order-offer></section>`,
        { css },
      ),
    );
    const { page } = await openPage(`${site.origin}/hostile.html`, 'hostile');
    for (const id of ['l', 'm', 'o']) await page.locator(`#${id}[state="ready"]`).waitFor();
    await page.locator('#m [data-testid="listing-status"]').first().waitFor();
    expect(await page.locator('#light').isVisible()).toBe(false); // the page's CSS is in force
    const styles = await page.evaluate(() => {
      const deep = (root: ParentNode, ...path: string[]): Element => {
        let node: ParentNode = root;
        let el: Element | null = null;
        for (const sel of path) {
          el = node.querySelector(sel);
          if (!el) throw new Error(`no ${sel}`);
          node = el.shadowRoot ?? el;
        }
        return el!;
      };
      const style = (el: Element) => {
        const cs = getComputedStyle(el);
        const box = el.getBoundingClientRect();
        return { color: cs.color, display: cs.display, font: cs.fontFamily, bg: cs.backgroundColor, visible: box.width > 0 && box.height > 0 };
      };
      const l = document.querySelector('#l')!;
      return {
        listingHost: style(l),
        card: style(deep(l.shadowRoot!, 'lb-listing-status', '.card')),
        title: style(deep(l.shadowRoot!, 'lb-listing-status', '.title')),
        rate: style(deep(l.shadowRoot!, 'lb-listing-status', '[part="rate"]')),
        fill: style(deep(l.shadowRoot!, 'lb-listing-status', 'lb-funded-bar', '.fill')),
        merchantName: style(deep(document, '#m', '.name')),
        merchantCard: style(deep(document, '#m', 'lb-listing-status', '.card')),
        offerBox: style(deep(document, '#o', '.box')),
        offerAmount: style(deep(document, '#o', '.amount')),
        offerButton: style(deep(document, '#o', '.button')),
      };
    });
    const red = 'rgb(255, 0, 0)';
    for (const [name, s] of Object.entries(styles)) {
      if (name !== 'fill') expect(s.visible, `${name} visible`).toBe(true); // (no bids yet: the fill is 0 wide)
      expect(s.display, `${name} display`).not.toBe('none');
      if (name !== 'listingHost') {
        expect(s.color, `${name} color`).not.toBe(red);
        expect(s.font, `${name} font`).not.toMatch(/Comic Sans/);
      }
    }
    expect(styles.listingHost.color).toBe(red); // the host element itself is the page's
    expect(styles.title.color).toBe('rgb(17, 24, 39)'); // --lb-text's default
    expect(styles.rate.color).toBe('rgb(0, 128, 0)'); // ::part(rate)
    expect(styles.fill.bg).toBe('rgb(1, 2, 3)'); // --lb-accent
    expect(styles.offerButton.bg).toBe('rgb(10, 20, 30)'); // ::part(button)
    await screenshot(page, 'widgets-hostile-css', true);
    await page.context().close();
  });

  it('a key used from an origin not on its list gets nothing: the widgets show their error state and fire lendbook-error', async () => {
    const body = `<lendbook-listing id="l" listing-id="${listingIds[0]}" data-key="${key}"></lendbook-listing>
      <lendbook-merchant id="m" merchant-ref="${borrower.merchantRef}" data-key="${key}"></lendbook-merchant>
      <lendbook-order-offer id="o" order-id="${ORDER_ID}" merchant-ref="${orderShop.merchantRef}" data-key="${key}"></lendbook-order-offer>`;
    site.page('/refused.html', hostPage(t.url, body));
    // The same server and page under http://localhost:<port>: an origin the key does not allow.
    const { page, sockets, failed, answered } = await openPage(`${site.otherOrigin}/refused.html`, 'refused', true);
    for (const id of ['l', 'm', 'o']) await page.locator(`#${id}[state="error"]`).waitFor();
    const errs = (await events(page)).filter((e) => e.type === 'lendbook-error');
    expect(errs.map((e) => e.id).sort()).toEqual(['l', 'm', 'o']);
    for (const e of errs) expect(e.detail).toMatchObject({ code: 'UNAVAILABLE', status: 0 });
    expect((await events(page)).filter((e) => e.type !== 'lendbook-error')).toEqual([]);
    expect(await page.locator('[data-testid="widget-error"]').count()).toBe(3);
    await expectNoAxeViolations(page, 'widgets: all three in their error state');
    // Nothing of the data reached the page: no card, no amount, no merchant name.
    expect(await page.locator('[data-testid="listing-status"]').count()).toBe(0);
    expect(await page.locator('[data-testid="offer-amount"]').count()).toBe(0);
    const text = await page.evaluate(() => [...document.querySelectorAll('lendbook-listing, lendbook-merchant, lendbook-order-offer')].map((w) => w.shadowRoot!.textContent).join(' '));
    expect(text).not.toContain('Stock for the autumn season');
    expect(text).not.toContain(`Shop ${borrower.merchantRef}`);
    // The browser read no answer at all (no CORS header for this origin): the requests failed.
    expect(failed).toHaveLength(3);
    expect(answered).toEqual([]);
    expect(sockets).toHaveLength(0); // no data, so no socket either
    // And a socket opened by hand with that key from this origin is refused at the upgrade.
    const closed = await page.evaluate(
      (url) =>
        new Promise<{ opened: boolean; code: number }>((resolve) => {
          const ws = new WebSocket(url);
          let opened = false;
          ws.onopen = () => (opened = true);
          ws.onclose = (e) => resolve({ opened, code: e.code });
        }),
      `${t.url.replace('http', 'ws')}/api/v1/ws?key=${key}`,
    );
    expect(closed).toEqual({ opened: false, code: 1006 });
    // The same page from an allowed origin works (the key, not the page, was the problem).
    await page.goto(`${site.origin}/refused.html`);
    for (const id of ['l', 'm', 'o']) await page.locator(`#${id}[state="ready"]`).waitFor();
    await screenshot(page, 'widgets-allowed');
    // A listing that does not exist, from an allowed origin: the server's code comes through.
    await page.evaluate(() => document.querySelector('#l')!.setAttribute('listing-id', 'lst_01m8mqh5gebz2kwe70smz4arr3'));
    await page.locator('#l[state="error"] [data-testid="widget-error"][data-code="NOT_FOUND"]').waitFor();
    expect((await events(page)).filter((e) => e.type === 'lendbook-error').map((e) => e.detail)).toEqual([{ widget: 'listing', code: 'NOT_FOUND', status: 404, message: 'Not found.' }]);
    await page.context().close();
  });

  it('five widgets on one page share one socket; attributes can change after insertion; removing the last closes it', async () => {
    await expect.poll(() => t.app.hub.size, { timeout: 15_000 }).toBe(0); // the earlier tests' pages are gone
    const body =
      listingIds
        .slice(0, 4)
        .map((id, i) => `<lendbook-listing id="w${i}" listing-id="${id}" data-key="${key}"${i === 3 ? ' lang="zh-CN"' : ''}></lendbook-listing>`)
        .join('\n') + `\n<lendbook-merchant id="w4" merchant-ref="${borrower.merchantRef}" data-key="${key}"></lendbook-merchant>`;
    // The module loaded twice (two URLs, two module instances): the elements are defined once, no error.
    site.page('/five.html', hostPage(t.url, body, { head: `<script type="module" src="${t.url}/widgets/v1.js?again"></script>` }));
    const { page, sockets } = await openPage(`${site.origin}/five.html`, 'five', true);
    for (let i = 0; i < 5; i++) await page.locator(`#w${i}[state="ready"]`).waitFor();
    await page.locator('#w0 [part~="live"][data-state="open"]').waitFor();
    await page.locator('#w4 [data-testid="listing-status"]').nth(1).waitFor();
    expect(sockets).toHaveLength(1);
    expect(t.app.hub.size).toBe(1);

    // lang per widget: the fourth speaks Chinese, the others follow the document (English).
    expect(await cardText(page, '#w3', 'listing-state')).toBe('竞标中');
    expect(await cardText(page, '#w0', 'listing-state')).toBe('Open');
    await page.evaluate(() => document.querySelector('#w0')!.setAttribute('lang', 'zh'));
    await page.locator('#w0 [data-testid="listing-state"]', { hasText: '竞标中' }).waitFor();
    await page.evaluate(() => document.querySelector('#w0')!.removeAttribute('lang'));
    await page.locator('#w0 [data-testid="listing-state"]', { hasText: 'Open' }).waitFor();

    // listing-id changes after insertion: the widget follows, on the same socket, live.
    await page.evaluate((id) => document.querySelector('#w0')!.setAttribute('listing-id', id), listingIds[4]!);
    await page.locator(`#w0 [data-testid="listing-status"][data-listing-id="${listingIds[4]}"]`).waitFor();
    await acceptedBid(t.app, (await registerLender(t.app, { depositMinor: 2_000_000 })).token, listingIds[4]!, 100_000, 1200);
    await page.locator('#w0 [data-testid="listing-status"] .footer', { hasText: '1 bid' }).waitFor();
    const w0 = (await events(page)).filter((e) => e.id === 'w0');
    expect(w0.filter((e) => e.type === 'lendbook-ready').map((e) => e.detail.listingId)).toEqual([listingIds[0], listingIds[4]]);
    expect(sockets).toHaveLength(1);

    // The merchant widget follows its open listing over the same socket.
    await acceptedBid(t.app, (await registerLender(t.app, { depositMinor: 2_000_000 })).token, listingIds[0]!, 100_000, 1400);
    await page.locator(`#w4 [data-testid="listing-status"][data-listing-id="${listingIds[0]}"] .footer`, { hasText: '1 bid' }).waitFor();
    expect(sockets).toHaveLength(1);

    // data-key changes to a key that is not allowed here: that widget errors, the others stay live.
    const foreign = await publishableKey(['https://elsewhere.example']);
    await page.evaluate((k) => document.querySelector('#w1')!.setAttribute('data-key', k), foreign);
    await page.locator('#w1[state="error"]').waitFor();
    expect(await page.locator('#w2[state="ready"]').count()).toBe(1);

    // Removing them: the socket stays while one remains, and closes with the last.
    await page.evaluate(() => ['w0', 'w1', 'w2', 'w3'].forEach((id) => document.getElementById(id)!.remove()));
    await page.waitForTimeout(300);
    expect(sockets[0]!.isClosed()).toBe(false);
    const closed = sockets[0]!.waitForEvent('close');
    await page.evaluate(() => document.getElementById('w4')!.remove());
    await closed;
    await expect.poll(() => t.app.hub.size, { timeout: 15_000 }).toBe(0);
    expect(sockets).toHaveLength(1);
    await page.context().close();
  });

  it('no page errors; the money invariants hold', async () => {
    expect(errors).toEqual([]);
    await expectInvariants(t.app);
  });
});
