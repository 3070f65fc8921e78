import { randomUUID } from 'node:crypto';
import { SIGNATURE_HEADERS, TimestampPicker, plainPath, signatureHeaders, unsignablePath } from './signing.js';

export interface RetryOptions {
  /** Attempts after the first (default 4). 0 turns retrying off. */
  retries?: number;
  /** First backoff ceiling, ms (default 200); it doubles each attempt. */
  baseDelayMs?: number;
  /** Largest wait between attempts, ms, Retry-After included (default 20,000). */
  maxDelayMs?: number;
}

export interface TransportOptions {
  /** The API origin, e.g. https://lendbook.example (paths start /api/v1/). */
  baseUrl: string;
  /** The partner key (X-Lendbook-Key) and its secret; omit both for unsigned calls. */
  keyId?: string;
  secret?: string;
  /** Each attempt's timeout, ms (default 30,000). */
  timeoutMs?: number;
  retry?: RetryOptions;
  /** Add an Idempotency-Key to every POST that has none (default true). */
  idempotencyKeys?: boolean;
  /** The fetch to send with (default globalThis.fetch). */
  fetch?: (url: string, init: RequestInit) => Promise<Response>;
  /** Clock, ms since the epoch (default Date.now); a partner whose clock is off can correct it here. */
  now?: () => number;
  /** Random source in [0, 1) for the jitter (default Math.random). */
  random?: () => number;
  /** Told before each retry: what failed and how long the wait is. */
  onRetry?: (info: { attempt: number; delayMs: number; method: string; url: string; status?: number; error?: unknown }) => void;
}

/** One per process: two clients with the same key never sign the same request at the same second. */
const sharedPicker = new TimestampPicker();

const IDEMPOTENT_METHODS = new Set(['GET', 'HEAD', 'PUT', 'DELETE', 'OPTIONS']);

/** A status worth another attempt: rate limited, or the server (or a proxy before it) failed. */
export function retryableStatus(status: number): boolean {
  return status === 429 || (status >= 500 && status <= 599 && status !== 501 && status !== 505);
}

/** Retry-After as ms: delta seconds or an HTTP date; undefined when absent or unreadable. */
export function retryAfterMs(value: string | null, nowMs: number): number | undefined {
  if (value === null || value.trim() === '') return undefined;
  if (/^\s*\d+\s*$/.test(value)) return Number(value) * 1000;
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - nowMs);
}

/** Exponential backoff with full jitter: a random wait up to base·2^attempt, capped. */
export function backoffMs(attempt: number, opts: { baseDelayMs: number; maxDelayMs: number }, random: () => number): number {
  const ceiling = Math.min(opts.maxDelayMs, opts.baseDelayMs * 2 ** Math.min(attempt, 30));
  return Math.round(random() * ceiling);
}

export class RequestTimeoutError extends Error {
  override name = 'RequestTimeoutError';
}

/**
 * The fetch under the typed client: signs each attempt anew, adds an Idempotency-Key to POSTs, times
 * out each attempt, and retries 429 (after Retry-After) and 5xx (and network failures and timeouts)
 * with exponential backoff and jitter — for requests that are safe to repeat: GET, PUT, DELETE, and
 * POSTs that carry an Idempotency-Key (the server answers a repeat with the first response).
 */
export function createTransport(opts: TransportOptions): (input: Request) => Promise<Response> {
  const send = opts.fetch ?? ((url: string, init: RequestInit) => globalThis.fetch(url, init));
  const now = opts.now ?? Date.now;
  const random = opts.random ?? Math.random;
  const retries = opts.retry?.retries ?? 4;
  const delays = { baseDelayMs: opts.retry?.baseDelayMs ?? 200, maxDelayMs: opts.retry?.maxDelayMs ?? 20_000 };
  const timeoutMs = opts.timeoutMs ?? 30_000;
  const picker = opts.now ? new TimestampPicker(now) : sharedPicker;
  if ((opts.keyId === undefined) !== (opts.secret === undefined)) throw new Error('give both keyId and secret, or neither');

  return async (input: Request): Promise<Response> => {
    const method = input.method.toUpperCase();
    // The body is read once, as the bytes that are signed and sent on every attempt.
    const rawBody = input.body === null ? '' : await input.text();
    const url = new URL(input.url);
    const pathWithQuery = plainPath(url.pathname) + url.search;
    const target = new URL(pathWithQuery, url.origin).toString();
    const headers = new Headers(input.headers);
    if (method === 'POST' && opts.idempotencyKeys !== false && !headers.has('idempotency-key')) headers.set('idempotency-key', randomUUID());
    if (opts.keyId !== undefined) {
      const unsignable = unsignablePath(pathWithQuery);
      if (unsignable) throw new TypeError(`cannot sign ${method} ${pathWithQuery}: ${unsignable}`);
    }
    const repeatable = IDEMPOTENT_METHODS.has(method) || headers.has('idempotency-key');

    for (let attempt = 0; ; attempt++) {
      const attemptHeaders = new Headers(headers);
      if (opts.keyId !== undefined && opts.secret !== undefined) {
        const req = { method, pathWithQuery, rawBody };
        const ts = picker.pick(`${opts.keyId}`, req);
        for (const [k, v] of Object.entries(signatureHeaders(opts.keyId, opts.secret, req, ts))) attemptHeaders.set(k, v);
      } else {
        for (const h of Object.values(SIGNATURE_HEADERS)) attemptHeaders.delete(h);
      }
      const timeout = AbortSignal.timeout(timeoutMs);
      const signal = AbortSignal.any([input.signal, timeout]);
      let response: Response | undefined;
      let failure: unknown;
      try {
        response = await send(target, { method, headers: attemptHeaders, body: rawBody === '' && (method === 'GET' || method === 'HEAD') ? undefined : rawBody, signal, redirect: 'manual' });
      } catch (err) {
        if (input.signal.aborted) throw err; // the caller gave up: no retry
        failure = timeout.aborted ? new RequestTimeoutError(`${method} ${pathWithQuery}: no answer within ${timeoutMs} ms`, { cause: err }) : err;
      }
      const again = repeatable && attempt < retries && (response === undefined || retryableStatus(response.status));
      if (!again) {
        if (response) return response;
        throw failure;
      }
      let delayMs = backoffMs(attempt, delays, random);
      if (response) {
        const after = retryAfterMs(response.headers.get('retry-after'), now());
        // Asked to wait longer than this client waits: the caller gets the answer and decides.
        if (after !== undefined && after > delays.maxDelayMs) return response;
        if (after !== undefined) delayMs = Math.max(delayMs, after);
        await response.body?.cancel().catch(() => undefined);
      }
      opts.onRetry?.({ attempt: attempt + 1, delayMs, method, url: target, ...(response ? { status: response.status } : { error: failure }) });
      await new Promise<void>((resolve, reject) => {
        const onAbort = () => {
          clearTimeout(timer);
          reject(input.signal.reason);
        };
        const timer = setTimeout(() => {
          input.signal.removeEventListener('abort', onAbort);
          resolve();
        }, delayMs);
        input.signal.addEventListener('abort', onAbort, { once: true });
      });
    }
  };
}
