import createClient, { type Client, type Middleware } from 'openapi-fetch';
import type { paths } from './api-types.js';
import { createTransport, type TransportOptions } from './transport.js';

export type LendbookClient = Client<paths>;

export type PartnerClientOptions = TransportOptions & {
  /** Your partner key id (X-Lendbook-Key, `pk_…`) and its secret, as an operator gave them to you. */
  keyId: string;
  secret: string;
};

/**
 * The typed client of the Lendbook API for an order system: every call is signed with the partner key,
 * POSTs carry an Idempotency-Key, and 429/5xx are retried with backoff. Calls are openapi-fetch's:
 * `GET`, `PUT`, `POST`… with the API's paths, answering `{ data, error, response }`.
 */
export function createPartnerClient(opts: PartnerClientOptions): LendbookClient {
  const client = createClient<paths>({ baseUrl: opts.baseUrl.replace(/\/+$/, ''), fetch: createTransport(opts) });
  client.use(plainPathParams);
  return client;
}

/**
 * A path parameter `.` or `..` would be folded away by the URL parser before the request is signed
 * (`/merchants/../offers` is `/offers`): refuse it instead of signing another request than was meant.
 */
const plainPathParams: Middleware = {
  onRequest({ params, schemaPath }) {
    for (const [name, value] of Object.entries(params.path ?? {})) {
      if (value === '.' || value === '..' || value === '') throw new TypeError(`cannot sign ${schemaPath}: the path parameter ${name} may not be "${String(value)}"`);
    }
  },
};

/** The same client without a key (public reads), or for a caller that brings its own headers. */
export function createLendbookClient(opts: Omit<TransportOptions, 'keyId' | 'secret'>): LendbookClient {
  return createClient<paths>({ baseUrl: opts.baseUrl.replace(/\/+$/, ''), fetch: createTransport(opts) });
}
