import { hmacSha256Hex, safeEqualHex } from './crypto.js';
import type { ErrorCode } from '../domain/errors.js';

/** Signed calls carry these headers; the signature is hex HMAC-SHA256 of `timestamp + "." + rawBody`. */
export const SIGNATURE_HEADERS = {
  key: 'x-lendbook-key',
  timestamp: 'x-lendbook-timestamp',
  signature: 'x-lendbook-signature',
} as const;

export const SIGNATURE_WINDOW_SEC = 300;

export function sign(secret: string, timestampSec: number, rawBody: string): string {
  return hmacSha256Hex(secret, `${timestampSec}.${rawBody}`);
}

/** Headers for a signed request (webhooks out; tests and the partner SDK snippet in the README). */
export function signedHeaders(keyId: string, secret: string, rawBody: string, nowSec: number): Record<string, string> {
  return {
    [SIGNATURE_HEADERS.key]: keyId,
    [SIGNATURE_HEADERS.timestamp]: String(nowSec),
    [SIGNATURE_HEADERS.signature]: sign(secret, nowSec, rawBody),
  };
}

export type SignatureCheck =
  | { ok: true; keyId: string; timestampSec: number; signature: string }
  | { ok: false; code: Extract<ErrorCode, 'SIGNATURE_MISSING' | 'SIGNATURE_INVALID' | 'SIGNATURE_EXPIRED' | 'PARTNER_KEY_UNKNOWN'>; detail: string };

/**
 * Checks a signed request against the key's secrets (two during a rotation). Every secret is compared
 * in constant time, whichever matches.
 */
export function checkSignature(
  headers: Record<string, string | string[] | undefined>,
  rawBody: string,
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
  for (const secret of secrets) matched = safeEqualHex(sign(secret, timestampSec, rawBody), sig) || matched;
  if (!matched) return { ok: false, code: 'SIGNATURE_INVALID', detail: 'the signature does not match the body and timestamp' };
  return { ok: true, keyId, timestampSec, signature: sig };
}
