import { readFileSync } from 'node:fs';
import { Parser } from '@asyncapi/parser';
import { Compile } from 'typebox/compile';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, expectInvariants, registerLender } from './helpers/api.js';
import { createTestStorage, startApp, type TestApp, type TestStorage } from './helpers/env.js';
import { acceptedBid, createListing, newPartner, ratedBorrower } from './helpers/market.js';
import { ADMIN_ENV } from './helpers/partner.js';
import { openSocket, type TestSocket, type WsMessage } from './helpers/ws.js';

/**
 * docs/asyncapi.yaml against the live server: a session on real sockets (anonymous and logged in, every
 * channel, every client op, refusals) and each frame the server sends must match a message the document
 * lists for that channel, by the document's own schemas.
 */
let storage: TestStorage;
let t: TestApp;
type Checker = { name: string; check: (v: unknown) => boolean; errors: (v: unknown) => unknown[] };
const byChannel = new Map<string, Checker[]>();

beforeAll(async () => {
  const { document, diagnostics } = await new Parser().parse(readFileSync(new URL('../../docs/asyncapi.yaml', import.meta.url), 'utf8'));
  expect(diagnostics.filter((d) => d.severity <= 1)).toEqual([]);
  const channels = (document!.json() as unknown as { channels: Record<string, { messages: Record<string, { payload: object }> }> }).channels;
  for (const [name, c] of Object.entries(channels)) {
    byChannel.set(
      name,
      Object.entries(c.messages).map(([m, msg]) => {
        const compiled = Compile(msg.payload as never);
        return { name: m, check: (v) => compiled.Check(v), errors: (v) => [...compiled.Errors(v)].slice(0, 3) };
      }),
    );
  }
  storage = await createTestStorage();
  t = await startApp(storage, { listen: true, env: ADMIN_ENV });
});
afterAll(async () => {
  if (t) await expectInvariants(t.app);
  await t?.close();
  await storage?.dispose();
});

/** The document's channel a frame belongs to: its `channel`, or the socket itself. */
function docChannel(m: WsMessage): string {
  if (m.channel === undefined) return 'control';
  if (m.channel.startsWith('listing:')) return 'listing';
  return m.channel === 'note-offers' ? 'noteOffers' : m.channel;
}

describe('the live protocol matches docs/asyncapi.yaml', () => {
  it('every frame of a session over all channels and ops is a message the document describes', async () => {
    const partner = await newPartner(t.app);
    const borrower = await ratedBorrower(t.app, partner);
    const [a, b] = [await registerLender(t.app, { depositMinor: 2_000_000 }), await registerLender(t.app, { depositMinor: 2_000_000 })];
    const l = await createListing(t.app, borrower, { amountMinor: 1_000_000 });

    const anon = await openSocket(t.url);
    const lender = await openSocket(t.url, { token: a.token });
    const sockets: TestSocket[] = [anon, lender];
    for (const channel of ['listings', 'note-offers', `listing:${l.id}`]) anon.send({ op: 'subscribe', channel });
    anon.send({ op: 'subscribe', channel: 'me' }); // anonymous: WS_CHANNEL_FORBIDDEN with the channel
    anon.send({ op: 'subscribe', channel: 'listing:lst_0000000000zz' }); // WS_CHANNEL_UNKNOWN
    anon.send({ op: 'ping' });
    anon.send({ op: 'bid', ref: 'anon-1', listingId: l.id, amountMinor: 100_000, rateBps: 1000 }); // refused with its ref
    anon.send('{"op":"dance"}'); // WS_MESSAGE_INVALID
    await anon.next((m) => m.type === 'pong');

    lender.send({ op: 'subscribe', channel: 'me' });
    await lender.next((m) => m.type === 'snapshot' && m.channel === 'me');
    lender.send({ op: 'bid', ref: 'a-1', listingId: l.id, amountMinor: 600_000, rateBps: 1200 });
    const ack = await lender.next((m) => m.type === 'ack' && m.ref === 'a-1');
    lender.send({ op: 'amend', ref: 'a-2', bidId: ack.data.id, rateBps: 1150 });
    await lender.next((m) => m.ref === 'a-2');
    lender.send({ op: 'bid', ref: 'a-3', listingId: l.id, amountMinor: 100_000, rateBps: 99_000 }); // above the listing's maximum
    await lender.next((m) => m.type === 'error' && m.ref === 'a-3');
    await acceptedBid(t.app, b.token, l.id, 1_000_000, 1000); // outbids a: events on the listing, the market and a's me
    await lender.next((m) => m.channel === 'me' && m.type === 'event' && m.event === 'bid.outbid');
    await anon.next((m) => m.channel === `listing:${l.id}` && m.type === 'event' && m.event === 'bid.outbid');
    await anon.next((m) => m.channel === 'listings' && m.type === 'event');

    const frames = sockets.flatMap((s) => s.messages);
    const unmatched = frames.filter((f) => !byChannel.get(docChannel(f))?.some((c) => c.check(f)));
    const why = unmatched.map((f) => ({ frame: f, errors: byChannel.get(docChannel(f))?.map((c) => [c.name, c.errors(f)]) }));
    expect(why, JSON.stringify(why, null, 1).slice(0, 4000)).toEqual([]);

    const seen = new Set(frames.map((f) => `${docChannel(f)}/${f.type}${f.code ? `/${f.code}` : ''}`));
    for (const expected of ['control/pong', 'control/ack', 'control/error/WS_MESSAGE_INVALID', 'control/error/WS_CHANNEL_FORBIDDEN', 'me/error/WS_CHANNEL_FORBIDDEN', 'listing/error/WS_CHANNEL_UNKNOWN', 'listing/snapshot', 'listing/event', 'listings/snapshot', 'listings/event', 'noteOffers/snapshot', 'me/snapshot', 'me/event']) {
      expect(seen, expected).toContain(expected);
    }
    for (const s of sockets) s.close();
    expect((await call(t.app, 'GET', `/api/v1/listings/${l.id}`)).statusCode).toBe(200);
  });
});
