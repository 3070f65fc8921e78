/**
 * The widget demo: a fake order-system page — a seller back office on its own port, so another
 * origin than Lendbook — that embeds all three widgets the way a partner would, with their copy-paste
 * snippets and a log of the events they fire.
 *
 *   const host = await startWidgetHost({ lendbookUrl, port: 0, publishableKey, merchantRef, listingId, orderId });
 *   host.url   // http://localhost:<port>/ — the publishable key must allow this origin
 *   await host.close();
 *
 * The page holds the publishable key only (it is public by design); the server holds nothing else.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface WidgetHostOptions {
  /** Where Lendbook runs, e.g. http://localhost:3000 (v1.js is loaded from there). */
  lendbookUrl: string;
  /** 0 picks a free port. */
  port: number;
  publishableKey: string;
  merchantRef: string;
  /** The listing the live panel starts on; `featuredListing` (when given) picks it per page load instead. */
  listingId: string;
  /**
   * Which open listing the live panel shows now (one with time left), asked at each page load and again
   * by the page when its listing ends: the panel follows the market. Null: none is open.
   */
  featuredListing?: () => Promise<string | null>;
  orderId: string;
  /** Interface to listen on, as the app's HOST (default 0.0.0.0). */
  listenHost?: string;
  /** Host name in the returned URL (default localhost): the origin the key must allow. */
  hostname?: string;
  /** Shop name shown on the page. */
  shopName?: string;
  /** Amount of the order shown (minor units), for the page's own order panel. */
  orderAmountMinor?: number;
}

export interface WidgetHost {
  /** http://<hostname>:<port>/ */
  url: string;
  /** The page's origin (what the publishable key's allowedOrigins must contain). */
  origin: string;
  /** The address the server listens on (HOST: 127.0.0.1 keeps the page off the network). */
  address: string;
  close(): Promise<void>;
}

function esc(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

function yuan(minor: number): string {
  const fen = minor % 100;
  return `¥${String((minor - fen) / 100).replace(/\B(?=(\d{3})+(?!\d))/g, ',')}.${String(fen).padStart(2, '0')}`;
}

export function widgetHostPage(o: WidgetHostOptions): string {
  const lendbook = o.lendbookUrl.replace(/\/+$/, '');
  const key = esc(o.publishableKey);
  const shop = esc(o.shopName ?? 'Maple & Co. Home Goods');
  const amount = o.orderAmountMinor ?? 5_000_000;
  const script = `<script type="module" src="${esc(lendbook)}/widgets/v1.js"></script>`;
  const offer = `<lendbook-order-offer order-id="${esc(o.orderId)}" merchant-ref="${esc(o.merchantRef)}" data-key="${key}"></lendbook-order-offer>`;
  const merchant = `<lendbook-merchant merchant-ref="${esc(o.merchantRef)}" data-key="${key}" limit="4"></lendbook-merchant>`;
  const listing = o.listingId
    ? `<lendbook-listing id="live-listing" listing-id="${esc(o.listingId)}" data-key="${key}"></lendbook-listing>`
    : `<lendbook-listing id="live-listing" data-key="${key}" hidden></lendbook-listing>`;
  const snippetListing = `<lendbook-listing listing-id="lst_…" data-key="${key}"></lendbook-listing>`;
  const snippet = (title: string, code: string) => `<details class="snippet"><summary>${esc(title)}</summary>
      <div class="code"><pre><code>${esc(code)}</code></pre><button type="button" class="copy" data-copy="${esc(code)}">Copy</button></div></details>`;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="icon" href="data:,">
<title>Order ${esc(o.orderId)} · ${shop} · ShopDesk Seller Center</title>
${script}
<style>
  :root { --ink: #1f2937; --muted: #4b5563; --line: #e5e7eb; --bg: #f4f5f7; --brand: #ea580c; }
  * { box-sizing: border-box; }
  body { margin: 0; font: 14px/1.5 -apple-system, 'Segoe UI', 'PingFang SC', 'Noto Sans CJK SC', 'Microsoft YaHei', sans-serif; color: var(--ink); background: var(--bg); }
  header.top { display: flex; align-items: center; gap: 16px; padding: 0 20px; height: 52px; background: #111827; color: #fff; }
  header.top b { color: var(--brand); font-size: 17px; }
  header.top nav { display: flex; gap: 14px; font-size: 13px; opacity: 0.85; }
  header.top .tools { margin-left: auto; display: flex; gap: 8px; align-items: center; font-size: 13px; }
  header.top button { font: inherit; color: #fff; background: #374151; border: 0; border-radius: 6px; padding: 4px 10px; cursor: pointer; }
  .layout { display: grid; grid-template-columns: 200px 1fr; min-height: calc(100vh - 52px); }
  aside.side { background: #fff; border-right: 1px solid var(--line); padding: 16px 0; }
  aside.side a { display: block; padding: 8px 20px; color: var(--ink); text-decoration: none; font-size: 13px; }
  aside.side a.on { background: #fff7ed; color: #c2410c; border-right: 3px solid var(--brand); font-weight: 600; }
  main { padding: 20px 24px; display: grid; gap: 16px; grid-template-columns: minmax(0, 1.6fr) minmax(280px, 1fr); align-items: start; }
  .crumbs { grid-column: 1 / -1; color: var(--muted); font-size: 13px; }
  .crumbs h1 { margin: 4px 0 0; font-size: 20px; color: var(--ink); }
  section.panel { background: #fff; border: 1px solid var(--line); border-radius: 8px; padding: 16px; }
  section.panel h2 { margin: 0 0 12px; font-size: 15px; }
  table { width: 100%; border-collapse: collapse; font-size: 13px; }
  th, td { text-align: left; padding: 8px 6px; border-bottom: 1px solid var(--line); }
  td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
  .status { display: inline-block; padding: 1px 8px; border-radius: 999px; background: #dcfce7; color: #166534; font-size: 12px; }
  dl.facts { display: grid; grid-template-columns: auto 1fr; gap: 4px 16px; margin: 0 0 12px; font-size: 13px; }
  dl.facts dt { color: var(--muted); }
  dl.facts dd { margin: 0; }
  .stack { display: grid; gap: 16px; }
  .wide { grid-column: 1 / -1; }
  .hint { color: var(--muted); font-size: 12px; margin: 8px 0 0; }
  details.snippet { margin-top: 10px; font-size: 12px; }
  details.snippet summary { cursor: pointer; color: var(--muted); }
  .code { position: relative; }
  .code pre { margin: 6px 0 0; padding: 10px 12px; background: #0f172a; color: #e2e8f0; border-radius: 6px; overflow: auto; font: 12px/1.5 ui-monospace, Menlo, Consolas, monospace; }
  .copy { position: absolute; top: 6px; right: 6px; font-size: 11px; border: 0; border-radius: 4px; padding: 2px 8px; background: #334155; color: #fff; cursor: pointer; }
  #log { max-height: 180px; overflow: auto; margin: 0; padding: 8px 10px; background: #f8fafc; border: 1px solid var(--line); border-radius: 6px; font: 12px/1.5 ui-monospace, Menlo, monospace; list-style: none; }
  body.dark { --ink: #e5e7eb; --muted: #9ca3af; --line: #263041; --bg: #0b1018; }
  body.dark section.panel, body.dark aside.side { background: #111827; }
  body.dark aside.side a { color: var(--ink); }
  body.dark aside.side a.on { background: #1f2937; color: #fb923c; }
  body.dark #log { background: #0b1018; }
  /* The widgets are themed with CSS custom properties (and ::part), never by reaching inside them. */
  body.dark lendbook-listing, body.dark lendbook-merchant, body.dark lendbook-order-offer {
    --lb-surface: #0f172a; --lb-text: #e5e7eb; --lb-muted: #94a3b8; --lb-border: #263041; --lb-track: #1e293b; --lb-accent: #f97316;
    --lb-good: #4ade80; --lb-bad: #f87171; --lb-warn-text: #fcd34d; --lb-warn-bg: #422006; --lb-on-accent: #111827;
  }
  lendbook-order-offer::part(button) { text-transform: none; }
  @media (max-width: 820px) { .layout { grid-template-columns: 1fr; } aside.side { display: none; } main { grid-template-columns: 1fr; } }
</style>
</head>
<body>
<header class="top">
  <b>ShopDesk</b><span>Seller Center</span>
  <nav><span>Orders</span><span>Products</span><span>Marketing</span><span>Finance</span></nav>
  <span class="tools">
    <button type="button" id="lang">中文</button>
    <button type="button" id="theme">Dark</button>
    <span>${shop}</span>
  </span>
</header>
<div class="layout">
  <aside class="side">
    <a href="#">Dashboard</a><a href="#" class="on">Orders</a><a href="#">Shipments</a><a href="#">Returns</a><a href="#">Finance &amp; loans</a><a href="#">Settings</a>
  </aside>
  <main>
    <div class="crumbs">Orders › ${esc(o.orderId)}<h1>Order ${esc(o.orderId)}</h1></div>
    <section class="panel" aria-labelledby="order-h">
      <h2 id="order-h">Order details <span class="status">Shipped</span></h2>
      <dl class="facts">
        <dt>Customer</dt><dd>Chen Wei · Hangzhou, Zhejiang</dd>
        <dt>Placed</dt><dd>${new Date(Date.now() - 86_400_000).toISOString().slice(0, 10)}</dd>
        <dt>Payment</dt><dd>Paid · Alipay</dd>
        <dt>Carrier</dt><dd>SF Express · SF1420${Math.abs(hash(o.orderId)) % 100000}</dd>
      </dl>
      <table>
        <thead><tr><th>Item</th><th class="num">Qty</th><th class="num">Amount</th></tr></thead>
        <tbody>
          <tr><td>Wool coat, charcoal (wholesale lot)</td><td class="num">120</td><td class="num">${yuan(Math.round(amount * 0.7))}</td></tr>
          <tr><td>Cashmere scarf (wholesale lot)</td><td class="num">200</td><td class="num">${yuan(amount - Math.round(amount * 0.7))}</td></tr>
          <tr><th colspan="2">Total</th><th class="num">${yuan(amount)}</th></tr>
        </tbody>
      </table>
    </section>
    <div class="stack">
      <section class="panel" aria-labelledby="fin-h">
        <h2 id="fin-h">Get paid now</h2>
        ${offer}
        <p class="hint">Lendbook lenders finance shipped orders; the button opens Lendbook in a new tab with this order selected.</p>
        ${snippet('Embed this widget', `${script}\n${offer}`)}
      </section>
    </div>
    <section class="panel" aria-labelledby="lb-h">
      <h2 id="lb-h">Your shop on Lendbook</h2>
      ${merchant}
      ${snippet('Embed this widget', `${script}\n${merchant}`)}
    </section>
    <section class="panel" aria-labelledby="live-h">
      <h2 id="live-h">Live auction</h2>
      ${listing}
      <p class="hint" id="no-listing" ${o.listingId ? 'hidden' : ''}>No auction is open right now; this panel shows the next one as soon as it opens.</p>
      <p class="hint">Rate, funded % and bids update live as lenders bid; when this auction ends, the panel moves to another one with time left.</p>
      ${snippet('Embed this widget', `${script}\n${snippetListing}`)}
    </section>
    <section class="panel wide" aria-labelledby="api-h">
      <h2 id="api-h">Order data to Lendbook (server side)</h2>
      <p class="hint">The widgets need only the publishable key. Merchants and orders reach Lendbook from the order system's servers, each call signed with its API key: HMAC-SHA256 of the timestamp, method, path with query and raw body, one per line.</p>
      ${snippet('Sign a partner API call', partnerSample(lendbook, o.merchantRef))}
    </section>
    <section class="panel wide" aria-labelledby="log-h">
      <h2 id="log-h">Widget events</h2>
      <ol id="log" aria-live="polite"></ol>
      <p class="hint">lendbook-ready, lendbook-update and lendbook-error bubble out of the widgets (composed): this page listens on document.</p>
    </section>
  </main>
</div>
<script type="module" src="/page.js"></script>
</body>
</html>`;
}

/** The page's own script, served as /page.js: the page allows no inline script (its CSP below). */
export const PAGE_SCRIPT = `  const log = document.getElementById('log');
  for (const type of ['lendbook-ready', 'lendbook-update', 'lendbook-error']) {
    document.addEventListener(type, (e) => {
      const d = e.detail || {};
      // A rate in bps shown as percent by moving the decimal point in its digits: no float arithmetic.
      const pct = (bps) => { const s = String(bps).padStart(3, '0'); return s.slice(0, -2) + '.' + s.slice(-2); };
      const what = d.listing ? d.listing.id + ' ' + pct(d.listing.currentRateBps) + '% ' + d.listing.fundedPct + '%' : d.code || d.merchantRef || d.orderId || '';
      const li = document.createElement('li');
      li.textContent = new Date().toLocaleTimeString() + '  ' + type + '  <' + e.target.localName + '>  ' + (d.event ? d.event + ' ' : '') + what;
      log.prepend(li);
      while (log.children.length > 50) log.lastChild.remove();
    });
  }
  // The live panel follows the market: when its listing closes (or it has none), ask this page's server
  // which open listing to show now, and point the widget at it.
  const panel = document.getElementById('live-listing');
  const none = document.getElementById('no-listing');
  let following = false;
  async function follow() {
    if (following) return;
    following = true;
    try {
      const res = await fetch('featured-listing', { cache: 'no-store' });
      const { listingId } = await res.json();
      if (listingId && listingId !== panel.getAttribute('listing-id')) {
        panel.setAttribute('listing-id', listingId);
        panel.hidden = false;
        none.hidden = true;
      } else if (!listingId) {
        none.hidden = false;
      }
    } catch (err) {
      // the next check tries again
    } finally {
      following = false;
    }
  }
  document.addEventListener('lendbook-update', (e) => {
    const l = e.detail && e.detail.listing;
    if (e.target === panel && l && l.status !== 'open') setTimeout(follow, 4000);
  });
  document.addEventListener('lendbook-error', (e) => { if (e.target === panel) follow(); });
  setInterval(() => { if (!panel.getAttribute('listing-id') || panel.hidden) follow(); }, 5000);
  document.getElementById('lang').addEventListener('click', (e) => {
    const zh = document.documentElement.lang !== 'zh-CN';
    document.documentElement.lang = zh ? 'zh-CN' : 'en';
    e.target.textContent = zh ? 'English' : '中文';
  });
  document.getElementById('theme').addEventListener('click', (e) => {
    const dark = document.body.classList.toggle('dark');
    e.target.textContent = dark ? 'Light' : 'Dark';
  });
  document.addEventListener('click', async (e) => {
    const b = e.target.closest && e.target.closest('button.copy');
    if (!b) return;
    try { await navigator.clipboard.writeText(b.dataset.copy); b.textContent = 'Copied'; } catch { b.textContent = 'Select and copy'; }
    setTimeout(() => (b.textContent = 'Copy'), 1500);
  });
`;

/**
 * The order system's server side, shown on the page: how it signs a call to the partner API (the
 * canonical request of docs/security.md). The secret stays on the order system's servers.
 */
export function partnerSample(lendbookUrl: string, merchantRef: string): string {
  return `// Node.js, on the order system's server: push a batch of orders for merchant ${merchantRef}
import { createHmac } from 'node:crypto';

const keyId = process.env.LENDBOOK_KEY_ID;      // pk_…
const secret = process.env.LENDBOOK_SECRET;     // sk_… (never in a browser)
const path = '/api/v1/partner/merchants/${merchantRef}/orders';
const body = JSON.stringify({ orders: [{ orderId: 'SO-1001', amountMinor: 250000, status: 'paid', placedAt: new Date().toISOString() }] });
const timestamp = Math.floor(Date.now() / 1000);
// timestamp, METHOD, path with query exactly as sent, raw body — one per line
const signature = createHmac('sha256', secret).update(\`\${timestamp}\\nPOST\\n\${path}\\n\${body}\`).digest('hex');

await fetch('${lendbookUrl}' + path, {
  method: 'POST',
  headers: { 'content-type': 'application/json', 'x-lendbook-key': keyId, 'x-lendbook-timestamp': String(timestamp), 'x-lendbook-signature': signature },
  body,
});`;
}

/** What the demo page may load and connect to: itself and Lendbook, no inline script, never framed. */
function pageHeaders(lendbookUrl: string): Record<string, string> {
  const lendbook = new URL(lendbookUrl);
  const ws = `${lendbook.protocol === 'https:' ? 'wss' : 'ws'}://${lendbook.host}`;
  return {
    'content-security-policy': [
      "default-src 'self'",
      `script-src 'self' ${lendbook.origin}`,
      "style-src 'self' 'unsafe-inline'",
      `img-src 'self' data: ${lendbook.origin}`,
      `connect-src 'self' ${lendbook.origin} ${ws}`,
      "object-src 'none'",
      "base-uri 'self'",
      "frame-ancestors 'none'",
    ].join('; '),
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'strict-origin-when-cross-origin',
    'x-frame-options': 'DENY',
    'cache-control': 'no-store',
  };
}

function hash(s: string): number {
  let h = 0;
  for (let i = 0; i < s.length; i++) h = (Math.imul(h, 31) + s.charCodeAt(i)) | 0;
  return h;
}

/** Serves the demo page on its own port (another origin than Lendbook's). */
export async function startWidgetHost(o: WidgetHostOptions): Promise<WidgetHost> {
  const script = Buffer.from(PAGE_SCRIPT);
  const headers = pageHeaders(o.lendbookUrl);
  const featured = async (): Promise<string> => (o.featuredListing ? ((await o.featuredListing().catch(() => null)) ?? '') : o.listingId);
  const handle = async (req: http.IncomingMessage, res: http.ServerResponse): Promise<void> => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD' }).end();
      return;
    }
    if (path === '/' || path === '/index.html' || path === '/widgets/demo') {
      // Picked at each load: a listing with time left now, not the one of the server's start.
      const page = Buffer.from(widgetHostPage({ ...o, listingId: await featured() }));
      res.writeHead(200, { ...headers, 'content-type': 'text/html; charset=utf-8', 'content-length': page.length, 'cache-control': 'no-store' });
      res.end(req.method === 'HEAD' ? undefined : page);
      return;
    }
    if (path === '/page.js') {
      res.writeHead(200, { ...headers, 'content-type': 'text/javascript; charset=utf-8', 'content-length': script.length });
      res.end(req.method === 'HEAD' ? undefined : script);
      return;
    }
    if (path === '/featured-listing') {
      const body = Buffer.from(JSON.stringify({ listingId: (await featured()) || null }));
      res.writeHead(200, { ...headers, 'content-type': 'application/json', 'content-length': body.length, 'cache-control': 'no-store' });
      res.end(req.method === 'HEAD' ? undefined : body);
      return;
    }
    res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end('not found');
  };
  const server = http.createServer((req, res) => {
    handle(req, res).catch(() => {
      if (!res.headersSent) res.writeHead(500).end();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.port, o.listenHost ?? '0.0.0.0', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port, address } = server.address() as AddressInfo;
  const origin = `http://${o.hostname ?? 'localhost'}:${port}`;
  return {
    url: `${origin}/`,
    origin,
    address,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections?.();
        server.close(() => resolve());
      }),
  };
}
