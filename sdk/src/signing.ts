import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

/**
 * The partner signature (docs/security.md, "The partner signature"). A signed call carries three
 * headers; the signature is the lowercase hex HMAC-SHA256, with the key's secret, of
 *
 *   timestamp + "\n" + METHOD + "\n" + pathWithQuery + "\n" + rawBody
 *
 * `pathWithQuery` is the request target exactly as sent (it starts `/api/v1/`), `rawBody` the body's
 * bytes as sent (the empty string without a body). The server accepts a timestamp within 300 s of its
 * clock and refuses a signature it has seen before, so every request, retries included, is signed anew.
 */
export const SIGNATURE_HEADERS = {
  key: 'x-lendbook-key',
  timestamp: 'x-lendbook-timestamp',
  signature: 'x-lendbook-signature',
} as const;

/** How far the signed timestamp may be from the server's clock, either way (seconds). */
export const SIGNATURE_WINDOW_SEC = 300;

export interface CanonicalRequest {
  method: string;
  /** The request target exactly as sent: `/api/v1/partner/merchants/m-1/orders?x=1`. */
  pathWithQuery: string;
  /** The body exactly as sent; '' when there is none. */
  rawBody: string;
}

export function canonicalString(timestampSec: number, req: CanonicalRequest): string {
  return `${timestampSec}\n${req.method.toUpperCase()}\n${req.pathWithQuery}\n${req.rawBody}`;
}

export function signRequest(secret: string, timestampSec: number, req: CanonicalRequest): string {
  return createHmac('sha256', secret).update(canonicalString(timestampSec, req), 'utf8').digest('hex');
}

/** The three headers of a signed request. */
export function signatureHeaders(keyId: string, secret: string, req: CanonicalRequest, timestampSec: number): Record<string, string> {
  return {
    [SIGNATURE_HEADERS.key]: keyId,
    [SIGNATURE_HEADERS.timestamp]: String(timestampSec),
    [SIGNATURE_HEADERS.signature]: signRequest(secret, timestampSec, req),
  };
}

/**
 * Why the server would refuse to accept a signature over this target, or undefined. The router decodes
 * `%41` and folds `/a/./b`, so the server only accepts the plain spelling of a path: no
 * percent-encoding in it, no empty, `.` or `..` segments (the query may be encoded).
 */
export function unsignablePath(pathWithQuery: string): string | undefined {
  const q = pathWithQuery.indexOf('?');
  const pathOnly = q === -1 ? pathWithQuery : pathWithQuery.slice(0, q);
  if (!pathOnly.startsWith('/api/v1/')) return 'the signed path must start with /api/v1/';
  if (pathOnly.includes('%')) return 'the path must be sent without percent-encoding (refs and ids never need it)';
  if (pathOnly.split('/').slice(1).some((segment) => segment === '' || segment === '.' || segment === '..')) return 'the path has an empty, . or .. segment';
  return undefined;
}

/**
 * The plain spelling of a path: percent-escapes of characters a ref or an id may hold (A-Z a-z 0-9
 * _ . : -) decoded, e.g. `order%3A7` → `order:7` (a URL builder escapes `:`, the server would refuse it).
 */
export function plainPath(pathWithQuery: string): string {
  const q = pathWithQuery.indexOf('?');
  const pathOnly = q === -1 ? pathWithQuery : pathWithQuery.slice(0, q);
  const plain = pathOnly.replace(/%([0-9A-Fa-f]{2})/g, (escape, hex: string) => {
    const c = String.fromCharCode(parseInt(hex, 16));
    return /^[A-Za-z0-9_.:-]$/.test(c) ? c : escape;
  });
  return q === -1 ? plain : plain + pathWithQuery.slice(q);
}

/** Constant-time comparison of two hex strings. */
export function safeEqualHex(a: string, b: string): boolean {
  const x = Buffer.from(a, 'utf8');
  const y = Buffer.from(b, 'utf8');
  // Compare digests so that the lengths never short-circuit the comparison.
  return timingSafeEqual(createHash('sha256').update(x).digest(), createHash('sha256').update(y).digest()) && x.length === y.length;
}

/**
 * Picks signing timestamps so that no two requests of one signer carry the same signature: the same
 * request twice within one second (polling, a retry) would otherwise be refused as a replay. It steps
 * back a second, within the window, and remembers what it used for as long as the server does.
 */
export class TimestampPicker {
  private readonly used = new Map<string, number>();
  private lastPruneSec = 0;

  constructor(private readonly nowMs: () => number = Date.now) {}

  pick(secretTag: string, req: CanonicalRequest): number {
    const now = Math.floor(this.nowMs() / 1000);
    this.prune(now);
    const base = createHash('sha256').update(`${secretTag}\n${req.method.toUpperCase()}\n${req.pathWithQuery}\n${req.rawBody}`).digest('hex');
    for (let ts = now; ts > now - SIGNATURE_WINDOW_SEC + 30; ts--) {
      const key = `${base}:${ts}`;
      if (!this.used.has(key)) {
        this.used.set(key, ts);
        return ts;
      }
    }
    throw new Error('the same request was signed too often within the signature window; change the request or wait');
  }

  private prune(now: number): void {
    if (now - this.lastPruneSec < 10) return;
    this.lastPruneSec = now;
    for (const [key, ts] of this.used) if (ts < now - 2 * SIGNATURE_WINDOW_SEC) this.used.delete(key);
  }
}
