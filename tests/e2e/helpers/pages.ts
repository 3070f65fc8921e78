import http from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A partner's site for the widget tests: a node:http server on its own port (so another origin than
 * Lendbook's) serving the pages it is given, by path. `page(path, html)` adds or replaces one.
 */
export interface PageHost {
  port: number;
  /** http://127.0.0.1:<port> */
  origin: string;
  /** The same server under another origin: http://localhost:<port>. */
  otherOrigin: string;
  page(path: string, html: string): void;
  close(): Promise<void>;
}

export async function startPageHost(port = 0): Promise<PageHost> {
  const pages = new Map<string, string>();
  const server = http.createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    const body = pages.get(path);
    if (body === undefined) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
      return;
    }
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' }).end(body);
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  const actual = (server.address() as AddressInfo).port;
  return {
    port: actual,
    origin: `http://127.0.0.1:${actual}`,
    otherOrigin: `http://localhost:${actual}`,
    page: (path, html) => void pages.set(path, html),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/**
 * A host page: the widget module from Lendbook, the page's own CSS, and a recorder of the widgets'
 * events on `window.lbEvents` (they bubble and are composed, so the document sees them).
 */
export function hostPage(lendbookUrl: string, body: string, opts: { css?: string; lang?: string; head?: string } = {}): string {
  return `<!doctype html>
<html lang="${opts.lang ?? 'en'}">
<head>
<meta charset="utf-8">
<title>Partner page</title>
<link rel="icon" href="data:,">
<script>
  window.lbEvents = [];
  for (const type of ['lendbook-ready', 'lendbook-update', 'lendbook-error']) {
    document.addEventListener(type, (e) => window.lbEvents.push({ type, tag: e.target.localName, id: e.target.id, detail: JSON.parse(JSON.stringify(e.detail)) }));
  }
</script>
<script type="module" src="${lendbookUrl}/widgets/v1.js"></script>
${opts.head ?? ''}
<style>${opts.css ?? ''}</style>
</head>
<body>
<main>
<h1>Partner page</h1>
${body}
</main>
</body>
</html>`;
}

export interface RecordedEvent {
  type: 'lendbook-ready' | 'lendbook-update' | 'lendbook-error';
  tag: string;
  id: string;
  detail: Record<string, unknown> & { code?: string; event?: string; listing?: { id: string; bidCount: number; fundedPct: number; currentRateBps: number } };
}
