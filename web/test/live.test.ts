/**
 * The live client (web/src/lib/live.ts) against a fake WebSocket: shared socket and reference counting,
 * snapshot + events + batch frames, gap detection and resubscription, reconnect with backoff and jitter,
 * request refs re-sent after a reconnect, terminal close codes, the ping watchdog, and — driven by the
 * server's own pure auction core — a client book that always equals the server's.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { amendBid, computeBook, placeBid, type ActiveBid, type AuctionListing, type ListingEvent } from '../../src/domain/auction/index.js';
import { DEFAULT_SETTINGS } from '../../src/domain/settings.js';
import { LiveClient, LiveError, type ConnectionInfo, type ListingLiveState, type MarketLiveState, type MeLiveState } from '../src/lib/live.js';

// ---- a fake socket the test drives by hand ----

class FakeSocket {
  static instances: FakeSocket[] = [];
  readyState = 0;
  binaryType = 'blob';
  sent: Record<string, unknown>[] = [];
  closedWith: number | null = null;
  onopen: ((ev: unknown) => void) | null = null;
  onclose: ((ev: { code: number; reason?: string }) => void) | null = null;
  onerror: ((ev: unknown) => void) | null = null;
  onmessage: ((ev: { data: unknown }) => void) | null = null;
  constructor(readonly url: string) {
    FakeSocket.instances.push(this);
  }
  send(data: string): void {
    if (this.readyState !== 1) throw new Error('send on a socket that is not open');
    this.sent.push(JSON.parse(data) as Record<string, unknown>);
  }
  close(code = 1000): void {
    this.closedWith = code;
    this.readyState = 3;
  }
  // server side
  open(): void {
    this.readyState = 1;
    this.onopen?.({});
  }
  receive(message: unknown): void {
    this.onmessage?.({ data: JSON.stringify(message) });
  }
  /** The same JSON as a binary frame (ArrayBuffer), as a server sending UTF-8 bytes would. */
  receiveBinary(message: unknown): void {
    this.onmessage?.({ data: new TextEncoder().encode(JSON.stringify(message)).buffer });
  }
  drop(code = 1006): void {
    this.readyState = 3;
    this.onclose?.({ code });
  }
  ops(op?: string): Record<string, unknown>[] {
    return op ? this.sent.filter((m) => m.op === op) : this.sent;
  }
}

function last(): FakeSocket {
  const s = FakeSocket.instances[FakeSocket.instances.length - 1];
  if (!s) throw new Error('no socket');
  return s;
}

function client(opts: ConstructorParameters<typeof LiveClient>[2] = {}): LiveClient {
  return new LiveClient('ws://test/api/v1/ws', FakeSocket, { random: () => 0, idleCloseMs: 1000, ...opts });
}

const LISTING = {
  id: 'lst_1',
  title: 'Stock',
  purpose: 'x',
  merchantName: 'Shop',
  grade: 'B',
  score: 600,
  expectedLossBps: 250,
  amountMinor: 1_000_000,
  currency: 'CNY',
  termMonths: 12,
  repayment: 'equal_installment',
  product: 'credit',
  pricing: 'uniform',
  maxRateBps: 1500,
  minFundingPct: 100,
  closeWhenFunded: false,
  status: 'open',
  seq: 0,
  endsAt: '2030-01-01T00:00:00.000Z',
  originalEndsAt: '2030-01-01T00:00:00.000Z',
  extended: false,
  createdAt: '2029-12-25T00:00:00.000Z',
  closedAt: null,
  coverageMinor: 0,
  fundedPct: 0,
  currentRateBps: 1500,
  bidCount: 0,
  loanId: null,
  book: [],
  bids: [],
} as const;

beforeEach(() => {
  FakeSocket.instances = [];
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

describe('one shared socket, reference-counted channels', () => {
  it('opens one socket for many subscribers and subscribes each channel once', () => {
    const live = client();
    const offA = live.listing('lst_1', () => {});
    const offB = live.listing('lst_1', () => {});
    const offC = live.market(() => {});
    expect(FakeSocket.instances).toHaveLength(1);
    last().open();
    expect(last().ops('subscribe')).toEqual([
      { op: 'subscribe', channel: 'listing:lst_1' },
      { op: 'subscribe', channel: 'listings' },
    ]);
    offA();
    expect(last().ops('unsubscribe')).toEqual([]);
    offB();
    offB(); // twice is harmless
    expect(last().ops('unsubscribe')).toEqual([{ op: 'unsubscribe', channel: 'listing:lst_1' }]);
    offC();
    expect(last().closedWith).toBeNull();
    vi.advanceTimersByTime(1000);
    expect(last().closedWith).toBe(1000);
    expect(live.connection.state).toBe('idle');
  });

  it('a subscription made while open is sent at once; a late listener gets the current state', async () => {
    const live = client();
    const off = live.market(() => {});
    last().open();
    last().receive({ type: 'snapshot', channel: 'listings', seq: 0, data: { items: [{ ...LISTING }] } });
    const seen: MarketLiveState[] = [];
    live.market((s) => seen.push(s));
    await Promise.resolve();
    expect(seen).toHaveLength(1);
    expect(seen[0]!.items.get('lst_1')?.title).toBe('Stock');
    expect(last().ops('subscribe')).toHaveLength(1);
    off();
  });
});

describe('listing channel: snapshot, events, batches, gaps', () => {
  function setup() {
    const live = client();
    const states: ListingLiveState[] = [];
    live.listing('lst_1', (s) => states.push(s));
    const ws = last();
    ws.open();
    ws.receive({ type: 'snapshot', channel: 'listing:lst_1', seq: 0, data: { ...LISTING } });
    return { live, ws, states, current: () => states[states.length - 1]! };
  }

  it('applies the worked example of docs/market-rules.md §4 and matches computeBook', () => {
    const { ws, current } = setup();
    ws.receive({ type: 'event', channel: 'listing:lst_1', seq: 1, event: 'bid.accepted', data: { bidId: 'L1', amountMinor: 400_000, rateBps: 1200 } });
    ws.receive({ type: 'event', channel: 'listing:lst_1', seq: 2, event: 'bid.accepted', data: { bidId: 'L2', amountMinor: 300_000, rateBps: 1000 } });
    ws.receive({ type: 'event', channel: 'listing:lst_1', seq: 3, event: 'bid.accepted', data: { bidId: 'L3', amountMinor: 500_000, rateBps: 1100 } });
    let s = current();
    expect(s.listing.coverageMinor).toBe(1_200_000);
    expect(s.listing.currentRateBps).toBe(1200);
    expect(s.book.entries.find((e) => e.id === 'L1')?.fillMinor).toBe(200_000);
    // L4 @1100 pushes L1 out: one batch frame carries both events.
    ws.receive({
      type: 'batch',
      channel: 'listing:lst_1',
      items: [
        { seq: 4, event: 'bid.accepted', data: { bidId: 'L4', amountMinor: 200_000, rateBps: 1100 } },
        { seq: 5, event: 'bid.outbid', data: { bidId: 'L1', amountMinor: 400_000, rateBps: 1200 } },
      ],
    });
    s = current();
    expect(s.seq).toBe(5);
    expect(s.listing.currentRateBps).toBe(1100);
    expect(s.listing.fundedPct).toBe(100);
    expect(s.listing.book).toEqual([
      { rateBps: 1000, amountMinor: 300_000, bidCount: 1 },
      { rateBps: 1100, amountMinor: 700_000, bidCount: 2 },
    ]);
    const expected = computeBook(
      { amountMinor: 1_000_000, maxRateBps: 1500, pricing: 'uniform' },
      [
        { id: 'L2', lenderId: '', amountMinor: 300_000, rateBps: 1000, priority: 2 },
        { id: 'L3', lenderId: '', amountMinor: 500_000, rateBps: 1100, priority: 3 },
        { id: 'L4', lenderId: '', amountMinor: 200_000, rateBps: 1100, priority: 4 },
      ],
    );
    expect(s.book).toEqual(expected);
    // L5 @1099 makes L4 marginal with 100,000 filled; the rate stays 1100.
    ws.receive({ type: 'event', channel: 'listing:lst_1', seq: 6, event: 'bid.accepted', data: { bidId: 'L5', amountMinor: 100_000, rateBps: 1099 } });
    s = current();
    expect(s.book.entries.map((e) => e.id)).toEqual(['L2', 'L5', 'L3', 'L4']);
    expect(s.book.entries.find((e) => e.id === 'L4')?.fillMinor).toBe(100_000);
    expect(s.listing.currentRateBps).toBe(1100);
  });

  it('skips duplicates, and on a gap subscribes again and waits for the fresh snapshot', () => {
    const { live, ws, current, states } = setup();
    ws.receive({ type: 'event', channel: 'listing:lst_1', seq: 1, event: 'bid.accepted', data: { bidId: 'A', amountMinor: 100_000, rateBps: 1200 } });
    ws.receive({ type: 'event', channel: 'listing:lst_1', seq: 1, event: 'bid.accepted', data: { bidId: 'A', amountMinor: 100_000, rateBps: 1200 } });
    expect(current().bids.size).toBe(1);
    const before = states.length;
    ws.receive({ type: 'event', channel: 'listing:lst_1', seq: 3, event: 'bid.accepted', data: { bidId: 'C', amountMinor: 100_000, rateBps: 1100 } });
    expect(states.length).toBe(before); // nothing applied
    expect(ws.ops('subscribe')).toHaveLength(2);
    expect(live.stats.gaps).toBe(1);
    // Events before the new snapshot are ignored; the snapshot replaces the state.
    ws.receive({ type: 'event', channel: 'listing:lst_1', seq: 4, event: 'bid.accepted', data: { bidId: 'D', amountMinor: 100_000, rateBps: 1000 } });
    expect(current().bids.has('D')).toBe(false);
    ws.receive({
      type: 'snapshot',
      channel: 'listing:lst_1',
      seq: 4,
      data: {
        ...LISTING,
        seq: 4,
        bids: [
          { bidId: 'A', amountMinor: 100_000, rateBps: 1200, priority: 1, fillMinor: 100_000 },
          { bidId: 'B', amountMinor: 100_000, rateBps: 1150, priority: 2, fillMinor: 100_000 },
          { bidId: 'C', amountMinor: 100_000, rateBps: 1100, priority: 3, fillMinor: 100_000 },
          { bidId: 'D', amountMinor: 100_000, rateBps: 1000, priority: 4, fillMinor: 100_000 },
        ],
      },
    });
    expect(current().bids.size).toBe(4);
    expect(current().listing.coverageMinor).toBe(400_000);
    expect(current().listing.fundedPct).toBe(40);
    ws.receive({ type: 'event', channel: 'listing:lst_1', seq: 5, event: 'bid.amended', data: { bidId: 'A', fromRateBps: 1200, toRateBps: 900, amountMinor: 100_000 } });
    expect(current().book.entries[0]).toMatchObject({ id: 'A', rateBps: 900, priority: 5 });
  });

  it('reads JSON sent in binary frames, in order', () => {
    const { ws, current } = setup();
    expect((ws as unknown as { binaryType?: string }).binaryType).toBe('arraybuffer');
    ws.receiveBinary({ type: 'event', channel: 'listing:lst_1', seq: 1, event: 'bid.accepted', data: { bidId: 'A', amountMinor: 100_000, rateBps: 1200 } });
    ws.receive({ type: 'event', channel: 'listing:lst_1', seq: 2, event: 'bid.accepted', data: { bidId: 'B', amountMinor: 100_000, rateBps: 1100 } });
    ws.receiveBinary({ type: 'event', channel: 'listing:lst_1', seq: 3, event: 'bid.accepted', data: { bidId: 'C', amountMinor: 100_000, rateBps: 1000 } });
    expect(current().seq).toBe(3);
    expect(current().book.entries.map((e) => e.id)).toEqual(['C', 'B', 'A']);
  });

  it('a gap inside a batch stops the batch and resubscribes', () => {
    const { ws, current } = setup();
    ws.receive({
      type: 'batch',
      channel: 'listing:lst_1',
      items: [
        { seq: 1, event: 'bid.accepted', data: { bidId: 'A', amountMinor: 100_000, rateBps: 1200 } },
        { seq: 3, event: 'bid.accepted', data: { bidId: 'C', amountMinor: 100_000, rateBps: 1200 } },
        { seq: 4, event: 'bid.accepted', data: { bidId: 'D', amountMinor: 100_000, rateBps: 1200 } },
      ],
    });
    expect([...current().bids.keys()]).toEqual(['A']);
    expect(ws.ops('subscribe')).toHaveLength(2);
  });

  it('extension, clearing, failure and withdrawal', () => {
    const { ws, current } = setup();
    ws.receive({ type: 'event', channel: 'listing:lst_1', seq: 1, event: 'bid.accepted', data: { bidId: 'A', amountMinor: 1_000_000, rateBps: 1200 } });
    ws.receive({ type: 'event', channel: 'listing:lst_1', seq: 2, event: 'listing.extended', data: { endsAt: '2030-01-01T00:02:00.000Z', previousEndsAt: '2030-01-01T00:00:00.000Z' } });
    expect(current().listing.endsAt).toBe('2030-01-01T00:02:00.000Z');
    expect(current().listing.extended).toBe(true);
    ws.receive({
      type: 'event',
      channel: 'listing:lst_1',
      seq: 3,
      event: 'listing.cleared',
      data: { principalMinor: 1_000_000, borrowerRateBps: 1200, pricing: 'uniform', fills: [{ bidId: 'A', fillMinor: 1_000_000, rateBps: 1200 }] },
    });
    expect(current().listing.status).toBe('cleared');
    expect(current().cleared?.principalMinor).toBe(1_000_000);
    expect(current().listing.fundedPct).toBe(100);

    const { ws: ws2, current: current2 } = setup();
    ws2.receive({ type: 'event', channel: 'listing:lst_1', seq: 1, event: 'bid.accepted', data: { bidId: 'A', amountMinor: 100_000, rateBps: 1200 } });
    ws2.receive({ type: 'event', channel: 'listing:lst_1', seq: 2, event: 'listing.withdrawn', data: { releasedBidIds: ['A'] } });
    expect(current2().listing.status).toBe('withdrawn');
    expect(current2().bids.size).toBe(0);
    expect(current2().listing.coverageMinor).toBe(0);
  });
});

describe('listings and me channels', () => {
  it('keeps the market by id and the wallet', () => {
    const live = client();
    let market: MarketLiveState | undefined;
    let me: MeLiveState | undefined;
    const events: string[] = [];
    live.market((s) => (market = s));
    live.me((s, change) => {
      me = s;
      if (change.type === 'event') events.push(change.event);
    });
    const ws = last();
    ws.open();
    ws.receive({ type: 'snapshot', channel: 'listings', seq: 0, data: { items: [{ ...LISTING }] } });
    ws.receive({ type: 'event', channel: 'listings', seq: 1, event: 'listing.updated', data: { ...LISTING, fundedPct: 40 } });
    ws.receive({ type: 'event', channel: 'listings', seq: 2, event: 'listing.created', data: { ...LISTING, id: 'lst_2' } });
    expect(market?.items.size).toBe(2);
    expect(market?.items.get('lst_1')?.fundedPct).toBe(40);
    ws.receive({ type: 'snapshot', channel: 'me', seq: 0, data: { wallet: { availableMinor: 500, heldMinor: 0, currency: 'CNY' } } });
    ws.receive({ type: 'event', channel: 'me', seq: 1, event: 'bid.outbid', data: { listingId: 'lst_1', bidId: 'b', amountMinor: 100, rateBps: 1000, releasedMinor: 100 } });
    ws.receive({ type: 'event', channel: 'me', seq: 2, event: 'wallet.changed', data: { reason: 'bid.released', availableMinor: 600, heldMinor: 0, currency: 'CNY' } });
    expect(me?.wallet?.availableMinor).toBe(600);
    expect(events).toEqual(['bid.outbid', 'wallet.changed']);
  });

  it('reports a refused subscription to its listeners', () => {
    const live = client();
    const errors: string[] = [];
    live.me((_s, change) => change.type === 'error' && errors.push(change.code));
    last().open();
    last().receive({ type: 'error', channel: 'me', code: 'WS_CHANNEL_FORBIDDEN', detail: 'log in' });
    expect(errors).toEqual(['WS_CHANNEL_FORBIDDEN']);
  });
});

describe('reconnecting', () => {
  it('backs off exponentially with jitter, then resubscribes every channel', () => {
    const states: ConnectionInfo[] = [];
    const live = client({ baseDelayMs: 100, maxDelayMs: 1000, random: () => 0.5 });
    live.onConnection((i) => states.push(i));
    live.listing('lst_1', () => {});
    live.market(() => {});
    const first = last();
    first.open();
    expect(live.connection.state).toBe('open');

    first.drop(1006);
    expect(live.connection.state).toBe('reconnecting');
    // attempt 0: ceiling 100, jitter 0.5 → 75 ms
    vi.advanceTimersByTime(74);
    expect(FakeSocket.instances).toHaveLength(1);
    vi.advanceTimersByTime(1);
    expect(FakeSocket.instances).toHaveLength(2);
    last().drop(1006); // fails before opening: attempt 1, ceiling 200 → 150 ms
    vi.advanceTimersByTime(149);
    expect(FakeSocket.instances).toHaveLength(2);
    vi.advanceTimersByTime(1);
    expect(FakeSocket.instances).toHaveLength(3);
    for (let i = 0; i < 6; i++) {
      last().drop(1006);
      vi.advanceTimersByTime(1000); // capped at maxDelayMs
    }
    expect(FakeSocket.instances).toHaveLength(9);
    expect(live.connection.attempt).toBe(8);
    const ws = last();
    ws.open();
    expect(ws.ops('subscribe').map((m) => m.channel)).toEqual(['listing:lst_1', 'listings']);
    // a message proves the connection healthy: the backoff starts over
    ws.receive({ type: 'snapshot', channel: 'listings', seq: 0, data: { items: [] } });
    expect(live.connection.attempt).toBe(0);
    expect(states.some((s) => s.state === 'reconnecting' && s.nextRetryAtMs !== null)).toBe(true);
  });

  it('gets a fresh snapshot after a reconnect and ignores the old sequence', () => {
    const live = client();
    let state: ListingLiveState | undefined;
    live.listing('lst_1', (s) => (state = s));
    last().open();
    last().receive({ type: 'snapshot', channel: 'listing:lst_1', seq: 7, data: { ...LISTING, seq: 7 } });
    last().drop(1006);
    vi.advanceTimersByTime(1000);
    const ws = last();
    ws.open();
    // an event before the new snapshot is not applied
    ws.receive({ type: 'event', channel: 'listing:lst_1', seq: 8, event: 'bid.accepted', data: { bidId: 'A', amountMinor: 100_000, rateBps: 1200 } });
    expect(state?.bids.size).toBe(0);
    ws.receive({ type: 'snapshot', channel: 'listing:lst_1', seq: 8, data: { ...LISTING, seq: 8, bids: [{ bidId: 'A', amountMinor: 100_000, rateBps: 1200, priority: 8, fillMinor: 100_000 }] } });
    expect(state?.bids.size).toBe(1);
    expect(state?.seq).toBe(8);
  });

  it('stops on 4001 and rejects pending requests; reconnect() starts again', async () => {
    const live = client();
    live.me(() => {});
    last().open();
    const pending = live.bid({ listingId: 'lst_1', amountMinor: 100_000, rateBps: 1200 });
    last().drop(4001);
    await expect(pending).rejects.toMatchObject({ code: 'UNAUTHENTICATED' });
    expect(live.connection.state).toBe('closed');
    vi.advanceTimersByTime(60_000);
    expect(FakeSocket.instances).toHaveLength(1);
    live.reconnect();
    expect(FakeSocket.instances).toHaveLength(2);
  });

  it('drops a silent connection after a ping goes unanswered', () => {
    const live = client({ pingIntervalMs: 1000, pongTimeoutMs: 500 });
    live.market(() => {});
    const ws = last();
    ws.open();
    vi.advanceTimersByTime(1000);
    expect(ws.ops('ping')).toHaveLength(1);
    vi.advanceTimersByTime(499);
    expect(ws.closedWith).toBeNull();
    vi.advanceTimersByTime(1);
    expect(ws.closedWith).toBe(4000);
    expect(live.connection.state).toBe('reconnecting');
    vi.advanceTimersByTime(1000);
    expect(FakeSocket.instances).toHaveLength(2);
  });

  it('a ping answered by pong keeps the connection', () => {
    const live = client({ pingIntervalMs: 1000, pongTimeoutMs: 500 });
    live.market(() => {});
    const ws = last();
    ws.open();
    vi.advanceTimersByTime(1000);
    ws.receive({ type: 'pong' });
    vi.advanceTimersByTime(900);
    expect(ws.closedWith).toBeNull();
    expect(live.connection.state).toBe('open');
  });
});

describe('bid and amend requests', () => {
  it('resolves on ack, rejects on error, and re-sends an unanswered ref after a reconnect', async () => {
    const live = client();
    live.market(() => {});
    last().open();
    const placed = live.bid({ listingId: 'lst_1', amountMinor: 100_000, rateBps: 1200 }, 'r-1');
    expect(last().ops('bid')).toEqual([{ op: 'bid', ref: 'r-1', listingId: 'lst_1', amountMinor: 100_000, rateBps: 1200 }]);
    last().drop(1006);
    vi.advanceTimersByTime(1000);
    const ws = last();
    ws.open();
    expect(ws.ops('bid')).toEqual([{ op: 'bid', ref: 'r-1', listingId: 'lst_1', amountMinor: 100_000, rateBps: 1200 }]);
    ws.receive({ type: 'ack', ref: 'r-1', data: { id: 'bid_1', status: 'winning' } });
    await expect(placed).resolves.toEqual({ id: 'bid_1', status: 'winning' });
    expect(live.pendingRefs).toEqual([]);

    const amended = live.amend({ bidId: 'bid_1', rateBps: 1300 }, 'r-2');
    ws.receive({ type: 'error', ref: 'r-2', code: 'AMEND_RATE_NOT_LOWER', detail: 'must be below 1200' });
    const err = await amended.catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LiveError);
    expect(err).toMatchObject({ code: 'AMEND_RATE_NOT_LOWER' });
  });

  it('a request opens the socket by itself, is sent on open, and times out without an answer', async () => {
    const live = client({ requestTimeoutMs: 5000 });
    const placed = live.bid({ listingId: 'lst_1', amountMinor: 100_000, rateBps: 1200 }, 'r-9');
    expect(FakeSocket.instances).toHaveLength(1);
    last().open();
    expect(last().ops('bid')).toHaveLength(1);
    vi.advanceTimersByTime(5000);
    await expect(placed).rejects.toMatchObject({ code: 'TIMEOUT' });
    // the late ack is ignored
    last().receive({ type: 'ack', ref: 'r-9', data: {} });
  });
});

describe('the client book equals the server book', () => {
  /** mulberry32 */
  function prng(seed: number): () => number {
    let a = seed >>> 0;
    return () => {
      a = (a + 0x6d2b79f5) >>> 0;
      let t = a;
      t = Math.imul(t ^ (t >>> 15), t | 1);
      t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
  }

  for (const pricing of ['uniform', 'pay_as_bid'] as const) {
    it(`over random bids and amends from the domain core (${pricing})`, () => {
      for (let seed = 1; seed <= 20; seed++) {
        const rand = prng(seed * 7919);
        const nowMs = Date.parse('2030-01-01T00:00:00Z');
        let listing: AuctionListing = {
          id: 'lst_1',
          status: 'open',
          // odd seeds end within the soft-close window: every bid extends the listing
          endsAtMs: nowMs + (seed % 2 ? 60_000 : 3_600_000),
          originalEndsAtMs: nowMs + (seed % 2 ? 60_000 : 3_600_000),
          amountMinor: 1_000_000,
          maxRateBps: 1500,
          pricing,
          closeWhenFunded: false,
          grade: 'B',
          borrowerUserId: 'borrower',
          seq: 0,
        };
        let active: ActiveBid[] = [];
        const live = client();
        let state: ListingLiveState | undefined;
        live.listing('lst_1', (s) => (state = s));
        const ws = last();
        ws.open();
        ws.receive({ type: 'snapshot', channel: 'listing:lst_1', seq: 0, data: { ...LISTING, pricing } });
        const send = (events: ListingEvent[]) => {
          const frames = events.map((e) => ({
            seq: e.seq,
            event: e.type,
            data: e.type === 'listing.extended' ? { endsAt: new Date(e.data.endsAtMs).toISOString(), previousEndsAt: new Date(e.data.previousEndsAtMs).toISOString() } : e.data,
          }));
          if (rand() < 0.5) ws.receive({ type: 'batch', channel: 'listing:lst_1', items: frames });
          else for (const f of frames) ws.receive({ type: 'event', channel: 'listing:lst_1', ...f });
        };
        for (let step = 0; step < 60; step++) {
          const lenderId = `L${Math.floor(rand() * 25)}`;
          const mine = active.find((b) => b.lenderId === lenderId);
          if (mine && rand() < 0.5) {
            const result = amendBid({ listing, activeBids: active, bidId: mine.id, rateBps: Math.max(1, mine.rateBps - 1 - Math.floor(rand() * 200)), nowMs, settings: DEFAULT_SETTINGS });
            if (!result.ok) continue;
            send(result.events);
            active = result.book.entries.map((e) => ({ id: e.id, lenderId: e.lenderId, amountMinor: e.amountMinor, rateBps: e.rateBps, priority: e.priority }));
            listing = { ...listing, seq: result.seq, endsAtMs: result.endsAtMs };
          } else {
            const result = placeBid({
              listing,
              activeBids: active,
              lender: { userId: lenderId, kycComplete: true, riskProfile: 'aggressive' },
              bid: { amountMinor: (1 + Math.floor(rand() * 40)) * 10_000, rateBps: 800 + Math.floor(rand() * 700) },
              newBidId: `b${step}`,
              availableMinor: 10_000_000,
              nowMs,
              settings: DEFAULT_SETTINGS,
            });
            if (!result.ok) continue;
            send(result.events);
            active = result.book.entries.map((e) => ({ id: e.id, lenderId: e.lenderId, amountMinor: e.amountMinor, rateBps: e.rateBps, priority: e.priority }));
            listing = { ...listing, seq: result.seq, endsAtMs: result.endsAtMs };
          }
          const server = computeBook(listing, active);
          const strip = (b: typeof server) => ({ ...b, entries: b.entries.map(({ lenderId: _l, ...rest }) => rest) });
          expect(state?.seq).toBe(listing.seq);
          expect(strip(state!.book)).toEqual(strip(server));
          expect(state!.listing.currentRateBps).toBe(server.currentRateBps);
          expect(state!.listing.fundedPct).toBe(server.fundedPct);
          expect(state!.listing.coverageMinor).toBe(server.coverageMinor);
          expect(Date.parse(state!.listing.endsAt)).toBe(seed % 2 ? listing.endsAtMs : Date.parse(LISTING.endsAt));
        }
        expect(live.stats.gaps).toBe(0);
        expect(active.length).toBeGreaterThan(2);
        expect(listing.seq).toBeGreaterThan(15);
      }
    });
  }
});
