import { sql } from 'drizzle-orm';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rows } from '../../src/db/client.js';
import type { RouteEntry } from '../../src/http/plugins/auth.js';
import { signedRequestHeaders } from '../../src/security/signature.js';
import { call, expectInvariants, registerLender, type Session } from './helpers/api.js';
import { createTestStorage, startApp, type TestApp, type TestStorage } from './helpers/env.js';
import { acceptedBid, createListing, newPartner, ratedBorrower, type Borrower } from './helpers/market.js';
import { ADMIN_ENV, adminToken, type PartnerKey } from './helpers/partner.js';
import { arbitraryFor, malformedBodies, type JsonSchema } from './helpers/schema-arbitrary.js';

/**
 * Requests generated from the routes' own JSON schemas, then broken the ways hostile clients break them.
 * Malformed requests must be refused with a 4xx and change nothing; well-formed ones may be refused by the
 * rules but never with a 5xx.
 */
const CUSTODIAN_SECRET = 'custodian-fuzz-secret-0123456789abcdef';
let storage: TestStorage;
let t: TestApp;
let lender: Session;
let borrower: Borrower;
let operator: string;
let partner: PartnerKey;
const ids: Record<string, string> = {};

beforeAll(async () => {
  storage = await createTestStorage();
  t = await startApp(storage, { env: { ...ADMIN_ENV, LENDBOOK_CUSTODIAN_SECRET: CUSTODIAN_SECRET } });
  partner = await newPartner(t.app);
  borrower = await ratedBorrower(t.app, partner);
  lender = await registerLender(t.app, { depositMinor: 5_000_000 });
  operator = await adminToken(t.app);
  const l = await createListing(t.app, borrower, { amountMinor: 1_000_000 });
  const b = await acceptedBid(t.app, lender.token, l.id, 100_000, 1200);
  Object.assign(ids, { lst: l.id, bid: b.id, prt: partner.partnerId, pk: partner.keyId, ref: borrower.merchantRef });
});
afterAll(async () => {
  if (t) await expectInvariants(t.app);
  await t?.close();
  await storage?.dispose();
});

function fillPath(url: string): string {
  return url.replace(/:(\w+)/g, (_m, name: string) => {
    switch (name) {
      case 'id':
        if (url.includes('/notes/')) return 'note_0000000000000000000000';
        if (url.includes('/note-offers/')) return 'nof_0000000000000000000000';
        return url.includes('/bids/') ? ids.bid! : url.includes('/loans/') ? 'loan_0000000000000000000000' : url.includes('/webhooks/') ? 'whd_0000000000000000000000' : ids.lst!;
      case 'keyId':
        return ids.pk!;
      case 'partnerId':
        return ids.prt!;
      case 'ref':
        return ids.ref!;
      default:
        return 'x0000000000';
    }
  });
}

/** What a caller of the route sends to be let in: a session, or a signature over this exact request. */
function auth(route: RouteEntry, raw: string, method: string, url: string): Record<string, string> {
  const ts = Math.floor(Date.now() / 1000) - Math.floor(Math.random() * 250);
  const req = { method, pathWithQuery: url, rawBody: raw };
  if (route.access === 'partner') return signedRequestHeaders(partner.keyId, partner.secret, req, ts);
  if (route.access === 'custodian') return signedRequestHeaders('custodian', CUSTODIAN_SECRET, req, ts);
  const roles = route.access === 'public' ? [] : route.access;
  const token = roles.includes('lender') ? lender.token : roles.includes('borrower') ? borrower.token : roles.includes('operator') ? operator : undefined;
  return token ? { authorization: `Bearer ${token}` } : {};
}

async function ledgerState() {
  const [r] = await rows<{ n: number; s: string }>(t.app.ctx.db, sql`select (select count(*) from ledger_transfers)::int as n, (select coalesce(sum(debits_posted_minor + debits_pending_minor + credits_posted_minor + credits_pending_minor), 0) from ledger_accounts)::text as s`);
  return r;
}

describe('API fuzz from the route schemas', () => {
  it('malformed requests: refused with a 4xx, never a 5xx, and the ledger does not move', async () => {
    const before = await ledgerState();
    let requests = 0;
    const problems: string[] = [];
    const routes = t.app.routeCatalog.filter((r) => r.schema.body && ['POST', 'PUT', 'PATCH'].includes(r.method) && !r.url.endsWith('/logout') && !r.url.endsWith('/password'));
    for (const route of routes) {
      const schema = route.schema.body as JsonSchema;
      const valid = fc.sample(arbitraryFor(schema), { numRuns: 1, seed: 7 })[0] as Record<string, unknown>;
      const cases = fc.sample(malformedBodies(valid, schema), { numRuns: 25, seed: 11 });
      for (const c of cases) {
        requests++;
        const url = fillPath(route.url);
        const res = await t.app.inject({ method: route.method as 'POST', url, headers: { 'content-type': 'application/json', ...auth(route, c.raw, route.method, url) }, payload: c.raw });
        if (res.statusCode >= 500) problems.push(`${route.method} ${route.url} [${c.why}]: ${res.statusCode}`);
        else if (res.statusCode < 400) problems.push(`${route.method} ${route.url} [${c.why}]: accepted with ${res.statusCode}`);
        else if (res.statusCode !== 413 && !String(res.headers['content-type']).includes('application/problem+json')) problems.push(`${route.method} ${route.url} [${c.why}]: not problem+json`);
      }
    }
    // Query strings: unknown parameters and non-integers where integers belong.
    for (const route of t.app.routeCatalog.filter((r) => r.method === 'GET' && r.schema.querystring && !r.url.endsWith('/ws'))) {
      for (const q of ['limit=1e3', 'limit=-1', 'limit=0x10', 'limit=abc', 'unknown=1', `limit=${'9'.repeat(40)}`, 'cursor=%00%ff']) {
        requests++;
        const url = `${fillPath(route.url)}?${q}`;
        const res = await t.app.inject({ method: 'GET', url, headers: auth(route, '', 'GET', url) });
        if (res.statusCode >= 500) problems.push(`GET ${route.url}?${q}: ${res.statusCode}`);
        if (res.statusCode < 400 && (q.startsWith('unknown') || q.includes('abc') || q.includes('0x') || q.includes('e3') || q.includes('-1') || q.includes('999'))) problems.push(`GET ${route.url}?${q}: accepted`);
      }
    }
    const after = await ledgerState();
    console.log(`api fuzz (malformed): ${requests} requests, ${problems.filter((p) => p.includes(': 5')).length} 5xx, ${problems.filter((p) => p.includes('accepted')).length} malformed accepted, ledger ${JSON.stringify(after) === JSON.stringify(before) ? 'unchanged' : 'CHANGED'}`);
    expect(problems).toEqual([]);
    expect(after).toEqual(before);
  });

  it('well-formed requests from the schemas: whatever the rules say, never a 5xx', async () => {
    let requests = 0;
    const problems: string[] = [];
    const routes = t.app.routeCatalog.filter((r) => r.schema.body && ['POST', 'PUT', 'PATCH'].includes(r.method) && !r.url.endsWith('/logout') && !r.url.endsWith('/password'));
    for (const route of routes) {
      const samples = fc.sample(arbitraryFor(route.schema.body as JsonSchema), { numRuns: 15, seed: 23 });
      for (const body of samples) {
        requests++;
        const raw = JSON.stringify(body);
        const url = fillPath(route.url);
        const res = await t.app.inject({ method: route.method as 'POST', url, headers: { 'content-type': 'application/json', ...auth(route, raw, route.method, url) }, payload: raw });
        if (res.statusCode >= 500) problems.push(`${route.method} ${route.url} ${raw.slice(0, 200)}: ${res.statusCode} ${res.body.slice(0, 200)}`);
      }
    }
    console.log(`api fuzz (well-formed): ${requests} requests, ${problems.length} 5xx`);
    expect(problems).toEqual([]);
    await expectInvariants(t.app);
  });
});
