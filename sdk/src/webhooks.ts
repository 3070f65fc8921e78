import { createHmac } from 'node:crypto';
import { SIGNATURE_HEADERS, SIGNATURE_WINDOW_SEC, safeEqualHex } from './signing.js';

/**
 * Webhooks (docs/security.md): Lendbook POSTs each event to the partner's URL as JSON, signed with the
 * partner key's current secret over `timestamp + "." + eventId + "." + rawBody`, with the event id in
 * `X-Lendbook-Event-Id`. A failed delivery is retried with backoff and an operator may replay one: the
 * event id stays the same, so deduplicate on it.
 */
export const WEBHOOK_HEADERS = {
  eventId: 'x-lendbook-event-id',
  eventType: 'x-lendbook-event-type',
  key: SIGNATURE_HEADERS.key,
  timestamp: SIGNATURE_HEADERS.timestamp,
  signature: SIGNATURE_HEADERS.signature,
} as const;

/** The events Lendbook sends to an order system. */
export type WebhookType =
  | 'listing.cleared'
  | 'listing.failed'
  | 'loan.repaid'
  | 'installment.due'
  | 'loan.defaulted'
  | 'merchant.rated'
  | 'collateral.impaired'
  | 'claim.issued'
  | 'claim.assigned'
  | 'payable.settled'
  | 'guarantee.accepted'
  | 'guarantee.declined'
  | 'guarantee.owed'
  | 'guarantee.overdue'
  | 'guarantee.paid';

export interface WebhookEvent<T extends string = WebhookType> {
  /** The event id (`evt_…`), the same on every delivery and replay of the event. */
  id: string;
  type: T;
  createdAt: string;
  data: Record<string, unknown>;
}

export function signWebhook(secret: string, timestampSec: number, eventId: string, rawBody: string): string {
  return createHmac('sha256', secret).update(`${timestampSec}.${eventId}.${rawBody}`, 'utf8').digest('hex');
}

export type WebhookHeaders = Headers | Record<string, string | string[] | undefined>;

export interface VerifyWebhookOptions {
  /** The partner key's secret; during a rotation both the new and the previous one. */
  secret: string | readonly string[];
  headers: WebhookHeaders;
  /** The body exactly as received (a Buffer or its UTF-8 text), before any JSON parsing. */
  rawBody: string | Uint8Array;
  /** How far the signed timestamp may be from now, seconds (default 300). */
  toleranceSec?: number;
  /** Now, in ms since the epoch (default Date.now()). */
  nowMs?: number;
}

export type WebhookVerification = { ok: true; event: WebhookEvent; timestampSec: number } | { ok: false; reason: 'missing_headers' | 'stale_timestamp' | 'bad_signature' | 'bad_body' };

function header(headers: WebhookHeaders, name: string): string | undefined {
  if (typeof (headers as Headers).get === 'function') return (headers as Headers).get(name) ?? undefined;
  const record = headers as Record<string, string | string[] | undefined>;
  const found = Object.keys(record).find((k) => k.toLowerCase() === name);
  const value = found === undefined ? undefined : record[found];
  return Array.isArray(value) ? value[0] : value;
}

/** Checks a delivered webhook: its signature (constant time, any of the secrets), its age, its body. */
export function verifyWebhook(opts: VerifyWebhookOptions): WebhookVerification {
  const eventId = header(opts.headers, WEBHOOK_HEADERS.eventId);
  const ts = header(opts.headers, WEBHOOK_HEADERS.timestamp);
  const signature = header(opts.headers, WEBHOOK_HEADERS.signature);
  if (!eventId || !ts || !signature) return { ok: false, reason: 'missing_headers' };
  if (!/^[0-9]{1,12}$/.test(ts)) return { ok: false, reason: 'stale_timestamp' };
  const timestampSec = Number(ts);
  const nowSec = Math.floor((opts.nowMs ?? Date.now()) / 1000);
  if (Math.abs(nowSec - timestampSec) > (opts.toleranceSec ?? SIGNATURE_WINDOW_SEC)) return { ok: false, reason: 'stale_timestamp' };
  const raw = typeof opts.rawBody === 'string' ? opts.rawBody : Buffer.from(opts.rawBody).toString('utf8');
  const secrets = typeof opts.secret === 'string' ? [opts.secret] : opts.secret;
  let matched = false;
  for (const secret of secrets) matched = safeEqualHex(signWebhook(secret, timestampSec, eventId, raw), signature) || matched;
  if (!matched) return { ok: false, reason: 'bad_signature' };
  let event: WebhookEvent;
  try {
    event = JSON.parse(raw) as WebhookEvent;
  } catch {
    return { ok: false, reason: 'bad_body' };
  }
  if (!event || typeof event !== 'object' || event.id !== eventId || typeof event.type !== 'string') return { ok: false, reason: 'bad_body' };
  return { ok: true, event, timestampSec };
}

export class WebhookVerificationError extends Error {
  override name = 'WebhookVerificationError';
  constructor(readonly reason: Extract<WebhookVerification, { ok: false }>['reason']) {
    super(`webhook refused: ${reason}`);
  }
}

/** verifyWebhook that returns the event or throws WebhookVerificationError. */
export function parseWebhook(opts: VerifyWebhookOptions): WebhookEvent {
  const result = verifyWebhook(opts);
  if (!result.ok) throw new WebhookVerificationError(result.reason);
  return result.event;
}
