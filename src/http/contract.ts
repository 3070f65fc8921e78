/**
 * The API's published contract: how the OpenAPI document at /docs/json is assembled from the routes.
 *
 * Each route's own schema is the one definition of its shapes: request, 2xx response and the error
 * codes its service can return (`Errors(...)` in its `response`). What every route of a kind shares
 * (how it is authenticated; what a schema-checked, signed, idempotent or rate-limited route can
 * answer) is derived here from the route's `config`, the same config the plugins enforce, so the
 * document cannot drift from the server.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { FastifyDynamicSwaggerOptions } from '@fastify/swagger';
import { Ajv } from 'ajv';
import ajvFormats from 'ajv-formats';
import type { ValidateFunction } from 'ajv';
import { ERROR_CATALOGUE, isErrorCode, type ErrorCode } from '../domain/errors.js';
import type { Access } from './plugins/auth.js';
import { codesOf, namedSchemas, problemSchemaOf } from './schemas.js';

const SIGNED_HEADERS = (who: string) => ({
  [`${who}Key`]: { type: 'apiKey', in: 'header', name: 'x-lendbook-key', description: `The ${who} key id. One of three headers that sign a request together (docs/security.md).` },
  [`${who}Timestamp`]: { type: 'apiKey', in: 'header', name: 'x-lendbook-timestamp', description: 'Unix seconds when the request was signed; accepted within ±300 s, once.' },
  [`${who}Signature`]: {
    type: 'apiKey',
    in: 'header',
    name: 'x-lendbook-signature',
    description: `Hex HMAC-SHA256, with the ${who} key's secret, of the canonical request: timestamp, method, path with query and raw body (docs/security.md).`,
  },
});

export const SECURITY_SCHEMES = {
  bearer: { type: 'http', scheme: 'bearer', description: 'A session token from POST /api/v1/auth/login or /auth/register.' },
  cookie: { type: 'apiKey', in: 'cookie', name: 'lb_session', description: "The web app's httpOnly session cookie (same origin only for writes)." },
  ...SIGNED_HEADERS('partner'),
  ...SIGNED_HEADERS('core'),
  ...SIGNED_HEADERS('custodian'),
  publishableKey: { type: 'apiKey', in: 'query', name: 'key', description: "A partner's publishable widget key, accepted only from the origins it lists." },
} as const;

/** Tags in the order a reader meets them, each with what it covers. */
export const TAGS: { name: string; description: string }[] = [
  { name: 'identity', description: 'Accounts, sessions and KYC.' },
  { name: 'wallet', description: 'Balances, deposits, withdrawals and statements, in integer fen.' },
  { name: 'listings', description: "Borrowers' loan requests and their auctions." },
  { name: 'bids', description: "Lenders' bids on open listings." },
  { name: 'autobid', description: 'Strategies that bid on new listings for a lender.' },
  { name: 'loans', description: 'Loans, notes, schedules and repayments.' },
  { name: 'note transfers', description: 'Offers and purchases of notes between lenders.' },
  { name: 'rating', description: "A merchant's rating from its own trading data." },
  { name: 'claims', description: "Supply-chain claims on a core enterprise's payables." },
  { name: 'core enterprise', description: "A core enterprise's payables, signed with its own key." },
  { name: 'guarantors', description: 'Third-party guarantors and the guarantees they give.' },
  { name: 'notifications', description: 'In-app and e-mail notifications.' },
  { name: 'disclosure', description: "The platform's public figures." },
  { name: 'partner', description: "The order system's signed API: merchants, orders, receipts, invites." },
  { name: 'widgets', description: "Data for the widgets embedded in partners' pages." },
  { name: 'realtime', description: 'The WebSocket of the live market (docs/asyncapi.yaml).' },
  { name: 'operators', description: 'Back office: settings, partners, keys, webhooks, accounts.' },
  { name: 'operations', description: 'Health, readiness and metrics.' },
];

type Security = Record<string, string[]>[];

/** How a route with this access is authenticated, as OpenAPI security requirements. */
export function securityOf(access: Access | undefined, url: string): Security {
  if (access === undefined || access === 'public') return url.startsWith('/api/v1/widgets/') ? [{ publishableKey: [] }] : [];
  if (typeof access === 'string') return [{ [`${access}Key`]: [], [`${access}Timestamp`]: [], [`${access}Signature`]: [] }];
  return [{ bearer: [] }, { cookie: [] }];
}

interface RouteShape {
  access: Access | undefined;
  idempotent: boolean;
  rateLimited: boolean;
  hasBody: boolean;
  hasInput: boolean;
}

/** The errors any route of this shape can answer, whatever its service does (the plugins' own). */
export function commonErrors(route: RouteShape): ErrorCode[] {
  const codes: ErrorCode[] = [];
  if (route.hasInput) codes.push('VALIDATION_FAILED');
  if (route.hasBody) codes.push('INVALID_JSON', 'PAYLOAD_TOO_LARGE', 'UNSUPPORTED_MEDIA_TYPE');
  if (Array.isArray(route.access)) codes.push('UNAUTHENTICATED', 'FORBIDDEN');
  else if (typeof route.access === 'string' && route.access !== 'public') codes.push('SIGNATURE_MISSING', 'SIGNATURE_INVALID', 'SIGNATURE_EXPIRED', 'SIGNATURE_REPLAYED', 'PARTNER_KEY_UNKNOWN');
  if (route.idempotent) codes.push('IDEMPOTENCY_KEY_INVALID', 'IDEMPOTENCY_KEY_REUSED', 'IDEMPOTENCY_REQUEST_IN_PROGRESS');
  if (route.rateLimited) codes.push('RATE_LIMITED');
  return codes;
}

type Responses = Record<string, unknown>;

/** A 2xx answer with a description a reader can use: the schema's own, or the name of its shape. */
function successResponse(schema: unknown): unknown {
  const s = schema as { content?: unknown; type?: unknown; description?: string; $ref?: string };
  if (s.content !== undefined || s.type === 'null') return schema;
  const description = s.description ?? (s.$ref ? `The ${s.$ref.replace(/#$/, '')}` : 'OK');
  return { description, content: { 'application/json': { schema } } };
}

/** The document's responses of one route: its own 2xx and error schemas, and the common errors merged in. */
function documentedResponses(own: Responses, common: ErrorCode[]): Responses {
  const byStatus = new Map<string, Set<ErrorCode>>();
  const out: Responses = {};
  for (const [status, schema] of Object.entries(own)) {
    if (Number(status) >= 400) {
      // A bare problem schema lists no codes: the contract test refuses it, the document shows it empty.
      byStatus.set(status, new Set(codesOf(schema).filter(isErrorCode)));
    } else out[status] = successResponse(schema);
  }
  for (const code of common) {
    const status = String(ERROR_CATALOGUE[code].status);
    byStatus.set(status, (byStatus.get(status) ?? new Set()).add(code));
  }
  for (const status of [...byStatus.keys()].sort()) {
    const codes = [...byStatus.get(status)!];
    out[status] = {
      description: codes.map((c) => `\`${c}\`: ${ERROR_CATALOGUE[c].title}`).join('; '),
      content: { 'application/problem+json': { schema: problemSchemaOf(codes) } },
    };
  }
  return out;
}

/** @fastify/swagger's per-route transform: security and every error from the route's config. */
export const transformRoute: NonNullable<FastifyDynamicSwaggerOptions['transform']> = ({ schema: routeSchema, url, route }) => {
  const schema = routeSchema as Record<string, unknown> | undefined;
  if (!schema) return { schema: routeSchema, url };
  const config = (route.config ?? {}) as { access?: Access };
  const shape = routeShape(schema, route.config);
  const own = (schema.response ?? {}) as Responses;
  return {
    url,
    schema: { ...schema, security: securityOf(config.access, url), response: documentedResponses(own, commonErrors(shape)) },
  };
};

/** The document's frame: servers, security schemes, tags, and the named schemas as components. */
export function openApiOptions(publicUrl: string): FastifyDynamicSwaggerOptions {
  return {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Lendbook API',
        version: '1.0.0',
        description:
          'Peer-to-business lending marketplace. Money in integer minor units (CNY fen, fields named `*Minor`), rates and prices in basis points (`*Bps`; 1250 = 12.50 %), ids as `<prefix>_<base36>`. Every error is problem+json with a stable `code` (docs/errors.md).',
        license: { name: 'Proprietary', url: `${publicUrl}/docs` },
      },
      servers: [{ url: publicUrl, description: 'This Lendbook server' }],
      components: { securitySchemes: SECURITY_SCHEMES },
      tags: TAGS,
    },
    // Named response schemas keep their names as components (`Listing`, `Loan`…): generated clients get them.
    refResolver: { buildLocalReference: (json: { $id?: string }, _base: unknown, _fragment: unknown, i: number) => json.$id ?? `def-${i}` },
    transform: transformRoute,
  };
}

/**
 * Checks every JSON response against its route's schema before it is serialised (tests turn this on:
 * LENDBOOK_RESPONSE_CHECK=on). Serialisation alone would hide a mismatch: it drops unknown fields,
 * writes a null integer as 0 and fails only on a missing required field.
 */
/** Checks one answer of a request against its route's contract; throws on a breach (see below). */
export type AnswerCheck = (request: FastifyRequest, status: number, payload: unknown) => void;

declare module 'fastify' {
  interface FastifyInstance {
    /**
     * The response check for an answer the route serialises itself (a cached body sent as bytes): a
     * no-op unless LENDBOOK_RESPONSE_CHECK is on, as the hook below is for every other answer.
     */
    checkAnswer: AnswerCheck;
  }
}

export function installResponseCheck(app: FastifyInstance): void {
  const ajv = new Ajv({ strict: false, allErrors: true });
  (ajvFormats as unknown as (a: Ajv) => void)(ajv);
  for (const schema of namedSchemas()) ajv.addSchema(schema);
  const compiled = new WeakMap<object, ValidateFunction>();
  const check: AnswerCheck = (request, status, payload) => {
    const routeSchema = request.routeOptions.schema as Record<string, unknown> | undefined;
    if (!routeSchema || !request.url.startsWith('/api/v1')) return;
    const responses = (routeSchema.response ?? {}) as Record<string, object | undefined>;
    const where = `${request.method} ${request.routeOptions.url}`;
    if (status >= 400) {
      try {
        checkProblem(where, status, payload, responses[String(status)], routeShape(routeSchema, request.routeOptions.config));
      } catch (err) {
        // Thrown while an error is answered, this reaches Fastify's last error handler: 500, not the 4xx.
        throw Object.assign(err as Error, { statusCode: 500 });
      }
      return;
    }
    const schema = responses[String(status)];
    if (!schema) throw new Error(`${where}: no response schema for ${status}`);
    let validate = compiled.get(schema);
    if (!validate) {
      validate = ajv.compile(schema);
      compiled.set(schema, validate);
    }
    if (!validate(payload)) throw new Error(`${where} answered ${status} outside its schema: ${ajv.errorsText(validate.errors, { dataVar: 'response' })}`);
  };
  app.decorate('checkAnswer', check);
  app.addHook('preSerialization', async (request, reply, payload) => {
    check(request, reply.statusCode, payload);
    return payload;
  });
}

function routeShape(schema: Record<string, unknown>, config: unknown): RouteShape {
  const c = (config ?? {}) as { access?: Access; idempotent?: boolean; rateLimit?: unknown };
  const hasBody = schema.body !== undefined;
  return {
    access: c.access,
    idempotent: c.idempotent === true,
    rateLimited: c.rateLimit !== undefined,
    hasBody,
    hasInput: hasBody || schema.querystring !== undefined || schema.params !== undefined || schema.headers !== undefined,
  };
}

/** Faults of the server or of its shutdown, which no route lists: a 500 is a bug, a 503 a restart. */
const UNLISTED: ReadonlySet<string> = new Set(['INTERNAL', 'SERVICE_UNAVAILABLE']);

/** An error answer must carry a code its route documents, at the status the catalogue gives it. */
function checkProblem(where: string, status: number, payload: unknown, own: object | undefined, shape: RouteShape): void {
  const code = (payload as { code?: unknown } | null)?.code;
  if (typeof code !== 'string' || !isErrorCode(code)) throw new Error(`${where} answered ${status} without a catalogue code`);
  if (ERROR_CATALOGUE[code].status !== status) throw new Error(`${where} answered ${code} with ${status}, not ${ERROR_CATALOGUE[code].status}`);
  if (UNLISTED.has(code)) return;
  const documented = new Set<string>([...codesOf(own), ...commonErrors(shape)]);
  if (!documented.has(code)) throw new Error(`${where} answered ${code}, which its schema does not list: add it to the route's Errors(...)`);
}

