import { Type } from 'typebox';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ERROR_CATALOGUE, isErrorCode } from '../../src/domain/errors.js';
import { AppError } from '../../src/domain/errors.js';
import { Errors } from '../../src/http/schemas.js';
import { createTestStorage, startApp, type TestApp, type TestStorage } from './helpers/env.js';

/**
 * The OpenAPI document is the API's contract (docs/api.md): every route the server registers is in it,
 * fully described, and the server keeps to it (every answer in the tests is checked against it).
 */
interface Operation {
  operationId?: string;
  summary?: string;
  tags?: string[];
  security?: unknown[];
  responses?: Record<string, { description?: string; content?: Record<string, { schema?: Record<string, unknown> }> }>;
}
type Doc = { paths: Record<string, Record<string, Operation>>; tags: { name: string }[]; components: { schemas: Record<string, unknown>; securitySchemes: Record<string, unknown> } };

const PROBE = '/api/v1/contract-probe';
let storage: TestStorage;
let t: TestApp;
let doc: Doc;

beforeAll(async () => {
  storage = await createTestStorage();
  t = await startApp(storage, {
    // A route that breaks its own contract, to show the check catches it (this app only).
    beforeReady: async (app) => {
      const response = { 200: Type.Object({ amountMinor: Type.Integer() }), ...Errors('NOT_FOUND') };
      const schema = { operationId: 'contractProbe', tags: ['operations'], summary: 'probe', querystring: Type.Object({ mode: Type.String() }), response };
      app.get(PROBE, { config: { access: 'public' }, schema }, async (request) => {
        const mode = (request.query as { mode: string }).mode;
        if (mode === 'leak') return { amountMinor: 100, passwordHash: 'secret' };
        if (mode === 'null') return { amountMinor: null };
        if (mode === 'missing') return {};
        if (mode === 'listed') throw new AppError('NOT_FOUND');
        if (mode === 'unlisted') throw new AppError('LISTING_NOT_OPEN');
        return { amountMinor: 100 };
      });
    },
  });
  doc = (await t.app.inject({ method: 'GET', url: '/docs/json' })).json() as Doc;
});
afterAll(async () => {
  await t?.close();
  await storage?.dispose();
});

const openApiPath = (url: string) => url.replace(/:([A-Za-z0-9_]+)/g, '{$1}');

function operations(): [string, Operation][] {
  return Object.entries(doc.paths).flatMap(([p, ops]) => Object.entries(ops).map(([m, op]): [string, Operation] => [`${m.toUpperCase()} ${p}`, op]));
}

/** A schema that says something: a reference, a type, or a combination (not `{}`). */
function describes(schema: Record<string, unknown> | undefined): boolean {
  if (!schema) return false;
  return ['$ref', 'type', 'properties', 'anyOf', 'oneOf', 'allOf', 'enum'].some((k) => k in schema);
}

describe('the OpenAPI document', () => {
  it('has every route the server registers', () => {
    const missing = t.app.routeCatalog.filter((r) => !doc.paths[openApiPath(r.url)]?.[r.method.toLowerCase()]).map((r) => `${r.method} ${r.url}`);
    expect(t.app.routeCatalog.length).toBeGreaterThan(100);
    expect(missing).toEqual([]);
  });

  it('gives every operation an id, a tag, a summary, its security, a described 2xx answer and its error codes', () => {
    const faults: string[] = [];
    const ids = new Map<string, string>();
    const tagNames = new Set(doc.tags.map((tag) => tag.name));
    for (const [name, op] of operations()) {
      if (!op.operationId) faults.push(`${name}: no operationId`);
      else if (ids.has(op.operationId)) faults.push(`${name}: operationId ${op.operationId} also on ${ids.get(op.operationId)}`);
      else ids.set(op.operationId, name);
      if (!op.summary) faults.push(`${name}: no summary`);
      if (!op.tags?.length || !op.tags.every((tag) => tagNames.has(tag))) faults.push(`${name}: tags ${JSON.stringify(op.tags)} not all declared`);
      if (!Array.isArray(op.security)) faults.push(`${name}: no security`);
      for (const requirement of (op.security ?? []) as Record<string, unknown>[]) {
        for (const scheme of Object.keys(requirement)) if (!(scheme in doc.components.securitySchemes)) faults.push(`${name}: unknown security scheme ${scheme}`);
      }
      const responses = Object.entries(op.responses ?? {});
      const success = responses.filter(([status]) => /^[12]\d\d$/.test(status));
      if (success.length === 0) faults.push(`${name}: no 2xx answer`);
      for (const [status, r] of success) {
        const media = Object.values(r.content ?? {});
        const empty = status === '204' || status === '101';
        if (empty ? media.length > 0 : media.length === 0 || !media.every((m) => describes(m.schema))) faults.push(`${name}: ${status} is not described`);
      }
      const errors = responses.filter(([status]) => Number(status) >= 400);
      // Only a public operation without input (GET /healthz, /metrics) can have no error to describe.
      const takesInput = name.includes('{') || name.startsWith('POST') || name.startsWith('PUT') || name.startsWith('PATCH');
      if (errors.length === 0 && (takesInput || (op.security ?? []).length > 0)) faults.push(`${name}: no error answer`);
      for (const [status, r] of errors) {
        const codes = (r.content?.['application/problem+json']?.schema as { properties?: { code?: { enum?: string[] } } } | undefined)?.properties?.code?.enum ?? [];
        if (codes.length === 0) faults.push(`${name}: ${status} lists no error code`);
        for (const code of codes) {
          if (!isErrorCode(code)) faults.push(`${name}: ${status} lists ${code}, not in the catalogue`);
          else if (String(ERROR_CATALOGUE[code].status) !== status) faults.push(`${name}: ${code} listed under ${status}, the catalogue says ${ERROR_CATALOGUE[code].status}`);
        }
      }
    }
    expect(faults).toEqual([]);
  });

  it('names every shared shape (components are domain names, never def-N)', () => {
    const names = Object.keys(doc.components.schemas);
    expect(names).toEqual(expect.arrayContaining(['Listing', 'Loan', 'Wallet', 'Rating']));
    expect(names.filter((n) => !/^[A-Z][A-Za-z0-9]+$/.test(n))).toEqual([]);
  });

  it('says how each kind of route is authenticated', () => {
    const security = (method: string, p: string) => doc.paths[p]?.[method]?.security;
    expect(security('get', '/api/v1/me/rating')).toEqual([{ bearer: [] }, { cookie: [] }]);
    expect(security('get', '/api/v1/stats')).toEqual([]);
    expect(security('put', '/api/v1/partner/merchants/{ref}')).toEqual([{ partnerKey: [], partnerTimestamp: [], partnerSignature: [] }]);
    expect(security('get', '/api/v1/widgets/listings/{id}')).toEqual([{ publishableKey: [] }]);
  });
});

describe('answers keep to the document', () => {
  const probe = (mode: string) => t.app.inject({ method: 'GET', url: `${PROBE}?mode=${mode}` });

  it('serialises through the schema: a field the schema does not name never leaves the server', async () => {
    const res = await probe('leak');
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ amountMinor: 100 });
  });

  it('refuses, in tests, an answer outside its schema rather than sending a zero for a null', async () => {
    // Serialisation alone would send {"amountMinor":0}: a wrong amount, silently.
    expect((await probe('null')).statusCode).toBe(500);
    expect((await probe('missing')).statusCode).toBe(500);
    expect((await probe('ok')).json()).toEqual({ amountMinor: 100 });
  });

  it('refuses, in tests, an error code the route does not list', async () => {
    const listed = await probe('listed');
    expect([listed.statusCode, listed.json().code]).toEqual([404, 'NOT_FOUND']);
    expect((await probe('unlisted')).statusCode).toBe(500);
    expect((await t.app.inject({ method: 'GET', url: PROBE })).json().code).toBe('VALIDATION_FAILED');
  });
});
