import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { Parser } from '@asyncapi/parser';
import { Compile } from 'typebox/compile';
import ts from 'typescript';
import { beforeAll, describe, expect, it } from 'vitest';
import type { ListingEventType, LenderNotification } from '../../src/domain/auction/types.js';
import { ERROR_CATALOGUE } from '../../src/domain/errors.js';
import { CLOSE, ClientMessage, ServerMessage, parseClientMessage } from '../../src/realtime/protocol.js';
import type { marketUpdate } from '../../src/services/listings.js';
import { OFFERS_CHANNEL, type OfferEventType } from '../../src/services/transfers.js';

/**
 * docs/asyncapi.yaml is the WebSocket contract: valid AsyncAPI 3, and the same protocol the server
 * speaks (src/realtime/protocol.ts, the events the services publish, the error and close codes) and the
 * web client expects (web/src/lib/live.ts). Any drift on either side fails here.
 */

type Json = Record<string, unknown>;
type Schema = { properties?: Record<string, Json>; required?: string[]; additionalProperties?: unknown; anyOf?: Schema[]; const?: unknown; enum?: unknown[]; pattern?: string };

const ROOT = join(import.meta.dirname, '..', '..');
const source = readFileSync(join(ROOT, 'docs/asyncapi.yaml'), 'utf8');

// The events each public channel carries, keyed by the server's own types: the compiler fails this file
// when the domain gains an event that is not listed here (or lists one it no longer has).
const LISTING_EVENTS: Record<ListingEventType | 'listing.opened', true> = {
  'bid.accepted': true,
  'bid.outbid': true,
  'bid.amended': true,
  'listing.extended': true,
  'listing.cleared': true,
  'listing.failed': true,
  'listing.withdrawn': true,
  'listing.opened': true, // src/services/guarantees.ts: a listing that waited for its guarantor
};
const MARKET_EVENTS: Record<Parameters<typeof marketUpdate>[2], true> = { 'listing.created': true, 'listing.updated': true };
const OFFER_EVENTS: Record<OfferEventType, true> = { 'offer.created': true, 'offer.filled': true, 'offer.cancelled': true, 'offer.updated': true };
const LENDER_EVENTS: Record<LenderNotification['type'], true> = { 'bid.outbid': true, 'bid.filled': true };

/** The parser's resolved document without its own annotations. */
function clean<T>(value: T): T {
  if (Array.isArray(value)) return value.map(clean) as T;
  if (value && typeof value === 'object') {
    const out: Json = {};
    for (const [k, v] of Object.entries(value)) if (!k.startsWith('x-parser-') && k !== 'description' && k !== 'title') out[k] = clean(v);
    return out as T;
  }
  return value;
}

function srcFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? srcFiles(path) : path.endsWith('.ts') ? [path] : [];
  });
}

interface DocMessage {
  channel: string;
  name: string;
  payload: Schema;
  examples: { payload: unknown }[];
  raw: Json;
}

let doc: Json;
let messages: DocMessage[];
let channels: Record<string, Json & { address: string | null; messages: Record<string, Json> }>;

beforeAll(async () => {
  const { document, diagnostics } = await new Parser().parse(source);
  // Severity 0 is an error, 1 a warning; 2 and 3 are information and hints (e.g. "3.1 exists").
  const problems = diagnostics.filter((d) => d.severity <= 1).map((d) => `${d.code} at ${d.path.join('/')}: ${d.message}`);
  expect(problems).toEqual([]);
  expect(document).toBeDefined();
  doc = document!.json() as unknown as Json;
  channels = doc.channels as typeof channels;
  messages = Object.entries(channels).flatMap(([channel, c]) =>
    Object.entries(c.messages).map(([name, m]) => ({ channel, name, payload: clean(m.payload as Schema), examples: (m.examples as DocMessage['examples']) ?? [], raw: m })),
  );
});

const typeboxClient = (ClientMessage as unknown as Schema).anyOf!;
const typeboxServer = (ServerMessage as unknown as Schema).anyOf!;
const discriminant = (s: Schema, key: 'op' | 'type') => s.properties?.[key]?.const as string | undefined;

describe('docs/asyncapi.yaml', () => {
  it('is a valid AsyncAPI 3.0 document (no errors, no warnings)', () => {
    expect(doc.asyncapi).toBe('3.0.0');
    expect(Object.keys(doc.operations as Json).length).toBeGreaterThan(0);
  });

  it('describes every client message exactly as the server validates it', () => {
    const docClient = messages.filter((m) => discriminant(m.payload, 'op'));
    const ops = typeboxClient.map((s) => discriminant(s, 'op'));
    expect(new Set(docClient.map((m) => discriminant(m.payload, 'op')))).toEqual(new Set(ops));
    for (const server of typeboxClient) {
      const m = docClient.find((d) => discriminant(d.payload, 'op') === discriminant(server, 'op'))!;
      // Same fields, bounds, patterns and strictness: the server's schema is the document's.
      expect(m.payload, `op ${discriminant(server, 'op')}`).toEqual(clean(server));
      expect(m.examples.length, `op ${discriminant(server, 'op')} has an example`).toBeGreaterThan(0);
      for (const ex of m.examples) expect(parseClientMessage(JSON.stringify(ex.payload))).not.toHaveProperty('error');
    }
    // The server receives client messages on the control channel only.
    for (const m of docClient) expect(m.channel).toBe('control');
  });

  it('describes every server message the hub sends, with the same fields', () => {
    const check = Compile(ServerMessage);
    const docServer = messages.filter((m) => discriminant(m.payload, 'type'));
    expect(new Set(docServer.map((m) => discriminant(m.payload, 'type')))).toEqual(new Set(typeboxServer.map((s) => discriminant(s, 'type'))));
    for (const m of docServer) {
      const server = typeboxServer.find((s) => discriminant(s, 'type') === discriminant(m.payload, 'type'))!;
      const what = `${m.channel}/${m.name}`;
      expect(Object.keys(m.payload.properties!).sort(), what).toEqual(Object.keys(server.properties!).sort());
      expect([...m.payload.required!].sort(), what).toEqual([...server.required!].sort());
      expect(m.payload.additionalProperties, what).toBe(server.additionalProperties);
      for (const ex of m.examples) expect(check.Check(ex.payload), `${what} example`).toBe(true);
    }
    // Every channel's stream is a snapshot, events, batches and the error that ends a subscription.
    for (const [name, c] of Object.entries(channels)) {
      if (name === 'control') continue;
      expect(Object.keys(c.messages).sort(), name).toEqual(['batch', 'error', 'event', 'snapshot']);
    }
  });

  it('has the channels the server accepts, and only those', () => {
    const pattern = (typeboxClient[0]!.properties!.channel as Schema).pattern!;
    expect((doc.components as { schemas: Record<string, Schema> }).schemas.Channel!.pattern).toBe(pattern);
    const listingId = (doc.components as { schemas: Record<string, Schema> }).schemas.ListingId!.pattern!.replace(/^\^|\$$/g, '');
    const alternatives = pattern.replace(/^\^\(|\)\$$/g, '').split('|');
    const addresses = Object.values(channels)
      .map((c) => c.address)
      .filter((a): a is string => a !== null)
      .map((a) => a.replace('{listingId}', listingId));
    expect(new Set(addresses)).toEqual(new Set(alternatives));
    expect(addresses).toContain(OFFERS_CHANNEL);
    // The listing channel's snapshot and events name listing channels only.
    for (const m of messages.filter((x) => x.channel === 'listing' && (x.name === 'snapshot' || x.name === 'event'))) expect(m.payload.properties!.channel!.pattern).toBe(`^listing:${listingId}$`);
  });

  it("lists each channel's events as the server publishes them", () => {
    const events = (channel: string) => new Set((messages.find((m) => m.channel === channel && m.name === 'event')!.payload.properties!.event as Schema).enum as string[]);
    expect(events('listing')).toEqual(new Set(Object.keys(LISTING_EVENTS)));
    expect(events('listings')).toEqual(new Set(Object.keys(MARKET_EVENTS)));
    expect(events('noteOffers')).toEqual(new Set(Object.keys(OFFER_EVENTS)));

    // `me` events are published by many services as `{ channel: `user:${id}`, type: '…' }`.
    const code = srcFiles(join(ROOT, 'src'))
      .map((f) => readFileSync(f, 'utf8'))
      .join('\n');
    const published = new Set(
      [
        /channel:\s*`user:\$\{[^}]+\}`,\s*type:\s*'([a-z_.]+)'/g,
        /toBorrowerAndLenders\([^,]+,\s*'([a-z_.]+)'/g, // src/services/servicing-store.ts
        /changeAccount\([^;]*?\(\{ type: '([a-z_.]+)'/g, // src/services/accounts.ts
      ].flatMap((re) => [...code.matchAll(re)].map((m) => m[1]!)),
    );
    published.add('wallet.changed'); // src/services/wallet.ts walletMessages
    for (const e of Object.keys(LENDER_EVENTS)) published.add(e);
    expect(published.size).toBeGreaterThan(20);
    const me = events('me');
    expect([...published].filter((e) => !me.has(e))).toEqual([]);
    // And nothing documented that no code publishes.
    expect([...me].filter((e) => !code.includes(`'${e}'`))).toEqual([]);
  });

  it('lists the error codes the socket sends, all from the catalogue', () => {
    const codes = (channels.control!.messages.error as Json)['x-codes'] as string[];
    for (const c of codes) expect(ERROR_CATALOGUE, c).toHaveProperty(c);
    const ws = Object.keys(ERROR_CATALOGUE).filter((c) => c.startsWith('WS_'));
    expect(ws.filter((c) => !codes.includes(c))).toEqual([]);
    const hub = readFileSync(join(ROOT, 'src/realtime/hub.ts'), 'utf8');
    const sent = [...hub.matchAll(/this\.error\(conn, '([A-Z_]+)'/g)].map((m) => m[1]!);
    expect(sent.length).toBeGreaterThan(5);
    expect(sent.filter((c) => !codes.includes(c))).toEqual([]);
  });

  it('lists the close codes of the server', () => {
    const documented = Object.keys(channels.control!['x-close-codes'] as Json).map(Number);
    expect(new Set(documented)).toEqual(new Set(Object.values(CLOSE)));
  });
});

/** The members of a union type alias of web/src/lib/live.ts: discriminant value → fields (name → optional). */
function webUnion(file: ts.SourceFile, alias: string, key: string): Map<string, Map<string, boolean>> {
  const out = new Map<string, Map<string, boolean>>();
  const decl = file.statements.find((s): s is ts.TypeAliasDeclaration => ts.isTypeAliasDeclaration(s) && s.name.text === alias);
  if (!decl || !ts.isUnionTypeNode(decl.type)) throw new Error(`${alias} is not a union in live.ts`);
  for (const member of decl.type.types) {
    if (!ts.isTypeLiteralNode(member)) throw new Error(`${alias}: a member is not an object type`);
    const fields = new Map<string, boolean>();
    let tag = '';
    for (const p of member.members) {
      if (!ts.isPropertySignature(p) || !ts.isIdentifier(p.name)) continue;
      fields.set(p.name.text, p.questionToken !== undefined);
      if (p.name.text === key && p.type && ts.isLiteralTypeNode(p.type) && ts.isStringLiteral(p.type.literal)) tag = p.type.literal.text;
    }
    out.set(tag, fields);
  }
  return out;
}

describe('the web client (web/src/lib/live.ts) against docs/asyncapi.yaml', () => {
  const path = join(ROOT, 'web/src/lib/live.ts');
  const file = ts.createSourceFile(path, readFileSync(path, 'utf8'), ts.ScriptTarget.ES2022, true);

  it('sends the client messages of the document, with their required fields', () => {
    const web = webUnion(file, 'ClientMessage', 'op');
    const docClient = messages.filter((m) => discriminant(m.payload, 'op'));
    expect(new Set(web.keys())).toEqual(new Set(docClient.map((m) => discriminant(m.payload, 'op'))));
    for (const m of docClient) {
      const fields = web.get(discriminant(m.payload, 'op')!)!;
      expect([...fields.keys()].sort()).toEqual(Object.keys(m.payload.properties!).sort());
      for (const [name, optional] of fields) expect(optional, `${m.name}.${name}`).toBe(!m.payload.required!.includes(name));
    }
  });

  it('reads the server messages of the document, relying on no field the server may leave out', () => {
    const web = webUnion(file, 'ServerMessage', 'type');
    const docServer = messages.filter((m) => discriminant(m.payload, 'type'));
    expect(new Set(web.keys())).toEqual(new Set(docServer.map((m) => discriminant(m.payload, 'type'))));
    for (const m of docServer) {
      const fields = web.get(discriminant(m.payload, 'type')!)!;
      expect([...fields.keys()].sort(), `${m.channel}/${m.name}`).toEqual(Object.keys(m.payload.properties!).sort());
      for (const [name, optional] of fields) if (!optional) expect(m.payload.required, `${m.channel}/${m.name}.${name}`).toContain(name);
    }
  });
});
