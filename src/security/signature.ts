import { hmacSha256Hex, safeEqualHex } from './crypto.js';
import type { ErrorCode } from '../domain/errors.js';

/**
 * Signed calls (the order system's partner API, the custodian's callbacks) carry these headers. The
 * signature is hex HMAC-SHA256, with the key's secret, of the canonical request:
 *
 *   timestamp + "\n" + METHOD + "\n" + pathWithQuery + "\n" + rawBody
 *
 * with the path and query exactly as sent (starting `/api/v1/`) and the body byte for byte (the empty
 * string when there is none). A signature therefore binds the method, the path (which merchant, which
 * order batch) and the query as well as the body: it cannot be replayed onto another request.
 */
export const SIGNATURE_HEADERS = {
  key: 'x-lendbook-key',
  timestamp: 'x-lendbook-timestamp',
  signature: 'x-lendbook-signature',
} as const;

/** Accepted distance between the signed timestamp and the server's clock, either way. */
export const SIGNATURE_WINDOW_SEC = 300;

export interface CanonicalRequest {
  method: string;
  /** The request target exactly as sent: `/api/v1/partner/merchants/m-1/orders?x=1`. */
  pathWithQuery: string;
  rawBody: string;
}

export function canonicalString(timestampSec: number, req: CanonicalRequest): string {
  return `${timestampSec}\n${req.method.toUpperCase()}\n${req.pathWithQuery}\n${req.rawBody}`;
}

export function signRequest(secret: string, timestampSec: number, req: CanonicalRequest): string {
  return hmacSha256Hex(secret, canonicalString(timestampSec, req));
}

/** Headers of a signed request (tests, the bench, the partner sample of the widget demo page). */
export function signedRequestHeaders(keyId: string, secret: string, req: CanonicalRequest, nowSec: number): Record<string, string> {
  return {
    [SIGNATURE_HEADERS.key]: keyId,
    [SIGNATURE_HEADERS.timestamp]: String(nowSec),
    [SIGNATURE_HEADERS.signature]: signRequest(secret, nowSec, req),
  };
}

/** Outbound webhooks: HMAC-SHA256 of `timestamp + "." + eventId + "." + rawBody` (X-Lendbook-Event-Id). */
export function signWebhook(secret: string, timestampSec: number, eventId: string, rawBody: string): string {
  return hmacSha256Hex(secret, `${timestampSec}.${eventId}.${rawBody}`);
}

export type SignatureCheck =
  | { ok: true; keyId: string; timestampSec: number; signature: string }
  | { ok: false; code: Extract<ErrorCode, 'SIGNATURE_MISSING' | 'SIGNATURE_INVALID' | 'SIGNATURE_EXPIRED' | 'PARTNER_KEY_UNKNOWN'>; detail: string };

/**
 * Why a request target may not be signed, or undefined. The router decodes `%41` into `A` and reads
 * `/a/./b` as `/a/b`; a signature over one spelling must not open another, so only the plain spelling
 * is accepted: no percent-encoding in the path, no empty, `.` or `..` segments.
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
 * Verifies one signed request against the key's secrets (two during a rotation; every one compared in
 * constant time). The one check every kind of signed key goes through; replay memory is the caller's.
 */
export function verifySignedRequest(
  headers: Record<string, string | string[] | undefined>,
  req: CanonicalRequest,
  secretsOf: (keyId: string) => string[] | undefined,
  nowSec: number,
): SignatureCheck {
  const keyId = headers[SIGNATURE_HEADERS.key];
  const ts = headers[SIGNATURE_HEADERS.timestamp];
  const sig = headers[SIGNATURE_HEADERS.signature];
  if (typeof keyId !== 'string' || typeof ts !== 'string' || typeof sig !== 'string' || !keyId || !ts || !sig) {
    return { ok: false, code: 'SIGNATURE_MISSING', detail: 'X-Lendbook-Key, X-Lendbook-Timestamp and X-Lendbook-Signature are required' };
  }
  if (!/^[0-9]{1,12}$/.test(ts)) return { ok: false, code: 'SIGNATURE_EXPIRED', detail: 'X-Lendbook-Timestamp must be unix seconds' };
  const timestampSec = Number(ts);
  if (Math.abs(nowSec - timestampSec) > SIGNATURE_WINDOW_SEC) {
    return { ok: false, code: 'SIGNATURE_EXPIRED', detail: `the timestamp is more than ${SIGNATURE_WINDOW_SEC} s from the server's clock` };
  }
  const secrets = secretsOf(keyId);
  if (!secrets || secrets.length === 0) return { ok: false, code: 'PARTNER_KEY_UNKNOWN', detail: 'unknown or revoked key' };
  if (!/^[0-9a-f]{64}$/.test(sig)) return { ok: false, code: 'SIGNATURE_INVALID', detail: 'the signature must be 64 lowercase hex characters' };
  let matched = false;
  for (const secret of secrets) matched = safeEqualHex(signRequest(secret, timestampSec, req), sig) || matched;
  if (!matched) return { ok: false, code: 'SIGNATURE_INVALID', detail: 'the signature does not match timestamp, method, path with query and body' };
  const unsignable = unsignablePath(req.pathWithQuery);
  if (unsignable) return { ok: false, code: 'SIGNATURE_INVALID', detail: unsignable };
  return { ok: true, keyId, timestampSec, signature: sig };
}
