/**
 * The hash router: #/market, #/listing/<id>, #/borrower/new?product=order … The server needs no
 * fallback route, and every view has a link that can be bookmarked and shared.
 */
import { Store } from './store.js';

export interface Route {
  /** Pattern without the leading slash: 'listing/:id'. */
  readonly path: string;
  readonly params: Record<string, string>;
  readonly query: URLSearchParams;
  /** The matched pattern, or '' when nothing matched. */
  readonly pattern: string;
}

export function parseHash(hash: string, patterns: readonly string[]): Route {
  const raw = hash.replace(/^#\/?/, '');
  const [pathPart = '', queryPart = ''] = raw.split('?', 2) as [string?, string?];
  const path = pathPart.replace(/\/+$/, '');
  const query = new URLSearchParams(queryPart);
  const segments = path.split('/').filter(Boolean).map((s) => decodeURIComponent(s));
  for (const pattern of patterns) {
    const parts = pattern.split('/');
    if (parts.length !== segments.length) continue;
    const params: Record<string, string> = {};
    let ok = true;
    parts.forEach((p, i) => {
      const seg = segments[i]!;
      if (p.startsWith(':')) params[p.slice(1)] = seg;
      else if (p !== seg) ok = false;
    });
    if (ok) return { path, params, query, pattern };
  }
  return { path, params: {}, query, pattern: '' };
}

export function href(path: string, query?: Record<string, string | number | undefined | null>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(query ?? {})) if (v !== undefined && v !== null && v !== '') q.set(k, String(v));
  const s = q.toString();
  return `#/${path.replace(/^\/+/, '')}${s ? `?${s}` : ''}`;
}

export function navigate(path: string, query?: Record<string, string | number | undefined | null>, replace = false): void {
  const next = href(path, query);
  if (replace) history.replaceState(null, '', next);
  else location.hash = next;
  if (replace) window.dispatchEvent(new HashChangeEvent('hashchange'));
}

export const currentHash = new Store<string>(typeof location === 'undefined' ? '' : location.hash);
if (typeof window !== 'undefined') window.addEventListener('hashchange', () => currentHash.set(location.hash));
