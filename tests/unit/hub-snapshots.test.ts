import { EventEmitter } from 'node:events';
import { afterEach, describe, expect, it } from 'vitest';
import type { OutboxMessage } from '../../src/db/schema/index.js';
import { DEFAULT_SETTINGS } from '../../src/domain/settings.js';
import { BEAT_SLICES, Hub } from '../../src/realtime/hub.js';

/**
 * A socket whose unsent bytes the test controls: everything sent stays in `bufferedAmount` until the
 * test drains it, as with a client that reads slower than the server writes.
 */
class FakeSocket extends EventEmitter {
  readonly OPEN = 1;
  readyState = 1;
  bufferedAmount = 0;
  closedWith: number | undefined;
  readonly sent: { type: string; channel?: string; seq?: number; code?: string; items?: { seq: number }[] }[] = [];
  send(frame: string | Buffer): void {
    const text = typeof frame === 'string' ? frame : frame.toString('utf8');
    this.bufferedAmount += Buffer.byteLength(text);
    this.sent.push(JSON.parse(text));
  }
  close(code: number): void {
    this.closedWith ??= code;
    this.readyState = 3;
  }
  terminated = false;
  pings = 0;
  terminate(): void {
    this.terminated = true;
    this.readyState = 3;
  }
  ping(): void {
    this.pings++;
  }
  message(value: unknown): void {
    this.emit('message', Buffer.from(JSON.stringify(value)), false);
  }
}

const noop = () => {};
let hubs: Hub[] = [];
afterEach(() => {
  for (const h of hubs) h.stop();
  hubs = [];
});

function newHub(maxBufferedBytes = 64 * 1024): Hub {
  const ctx = {
    settings: { get: () => DEFAULT_SETTINGS },
    log: { error: noop, warn: noop, info: noop },
    onCommitted: noop,
    stream: { on: () => noop, onReset: () => noop },
  };
  const counter = { inc: noop, dec: noop };
  const hub = new Hub({ ctx: ctx as never, metrics: { wsConnections: counter, wsMessagesSent: counter } as never, maxBufferedBytes, heartbeatMs: 3_600_000 });
  hubs.push(hub);
  hub.start();
  return hub;
}

/** A listing channel whose snapshot (in the node's cache, as after the first subscriber's read) is ~50 KB. */
async function bigListing(hub: Hub, n: number, seq = 5): Promise<string> {
  const channel = `listing:lst_${String(n).padStart(10, '0')}`;
  const bids = Array.from({ length: 400 }, (_, i) => ({ bidId: `bid_${String(i).padStart(26, '0')}`, amountMinor: 10_000, rateBps: 800 + i, priority: i + 1, fillMinor: 10_000, source: 'manual' }));
  await hub.snapshots.get(channel, async () => ({ seq, data: { id: channel.slice(8), seq, bids } }));
  return channel;
}

const settle = () => new Promise((r) => setTimeout(r, 30));

/** The client reads everything the server has written; the hub's flush timer then sends what waited. */
async function drain(socket: FakeSocket): Promise<void> {
  socket.bufferedAmount = 0;
  await settle();
}

describe('Hub: snapshots of big listings', () => {
  it('subscribing to 9 listings whose snapshots together pass the buffer limit is not a slow reader: each snapshot goes out as the socket drains', async () => {
    const hub = newHub();
    const channels: string[] = [];
    for (let i = 0; i < 9; i++) channels.push(await bigListing(hub, i));
    const socket = new FakeSocket();
    hub.attach(socket as never, null, null, '198.51.100.7');
    for (const channel of channels) socket.message({ op: 'subscribe', channel });
    await settle();
    expect(socket.closedWith).toBeUndefined();
    // Never more than one snapshot in the socket's buffer: the others wait for it to drain.
    expect(socket.sent.filter((m) => m.type === 'snapshot')).toHaveLength(1);
    for (let i = 0; i < 20 && socket.sent.length < channels.length; i++) await drain(socket);
    expect(socket.closedWith).toBeUndefined();
    expect(socket.sent.map((m) => [m.type, m.channel])).toEqual(channels.map((c) => ['snapshot', c]));
    expect(hub.size).toBe(1);
  });

  it('events of a channel whose snapshot waits follow the snapshot, seq contiguous; an unsubscribe drops the waiting snapshot', async () => {
    const hub = newHub();
    const [a, b, c] = [await bigListing(hub, 1), await bigListing(hub, 2), await bigListing(hub, 3)];
    const socket = new FakeSocket();
    hub.attach(socket as never, null, null, '198.51.100.7');
    for (const channel of [a, b, c]) socket.message({ op: 'subscribe', channel });
    await settle();
    for (const seq of [6, 7]) hub.deliver({ channel: b, seq, type: 'bid.accepted', data: { bidId: `bid_x${seq}` } } as OutboxMessage);
    socket.message({ op: 'unsubscribe', channel: c });
    await settle();
    for (let i = 0; i < 5; i++) await drain(socket);
    expect(socket.closedWith).toBeUndefined();
    // Events may come one per frame or coalesced into a batch (the socket's buffer holds the snapshot).
    const received = socket.sent.flatMap((m) => (m.type === 'batch' ? m.items!.map((i) => ['event', m.channel, i.seq]) : [[m.type, m.channel, m.seq]]));
    expect(received).toEqual([
      ['snapshot', a, 5],
      ['snapshot', b, 5],
      ['event', b, 6],
      ['event', b, 7],
    ]);
  });

  it('a socket that never drains while its snapshots wait is still cut once the events held for it pass the limit', async () => {
    const hub = newHub();
    const [a, b] = [await bigListing(hub, 1), await bigListing(hub, 2)];
    const socket = new FakeSocket();
    hub.attach(socket as never, null, null, '198.51.100.7');
    for (const channel of [a, b]) socket.message({ op: 'subscribe', channel });
    await settle();
    const pad = 'x'.repeat(8 * 1024);
    for (let seq = 6; seq < 40 && socket.closedWith === undefined; seq++) hub.deliver({ channel: b, seq, type: 'bid.accepted', data: { pad } } as OutboxMessage);
    expect(socket.closedWith).toBe(4009);
    expect(hub.size).toBe(0);
  });
});

describe('Hub: heartbeat', () => {
  it('pings every socket once per round, a slice at a time, and cuts off only those that did not answer', () => {
    const hub = newHub();
    const sockets = Array.from({ length: 10 * BEAT_SLICES + 7 }, () => new FakeSocket());
    // One address each: the per-address cap is not what this tests.
    sockets.forEach((socket, i) => hub.attach(socket as never, null, null, `10.0.${i >> 8}.${i & 255}`));
    const largestSlice = Math.ceil(sockets.length / BEAT_SLICES);
    for (let slice = 0; slice < BEAT_SLICES; slice++) {
      const before = sockets.reduce((n, s) => n + s.pings, 0);
      hub.beat(slice);
      // No turn pings more than its share: one slice of the sockets, not all of them at once.
      expect(sockets.reduce((n, s) => n + s.pings, 0) - before).toBeLessThanOrEqual(largestSlice);
    }
    expect(sockets.every((s) => s.pings === 1)).toBe(true);

    // Every other socket answers its ping; the next round cuts off the silent ones and pings the rest.
    sockets.forEach((s, i) => i % 2 === 0 && s.emit('pong'));
    for (let slice = 0; slice < BEAT_SLICES; slice++) hub.beat(slice);
    sockets.forEach((s, i) => {
      expect(s.terminated).toBe(i % 2 === 1);
      expect(s.pings).toBe(i % 2 === 0 ? 2 : 1);
    });
    expect(hub.size).toBe(Math.ceil(sockets.length / 2));
  });
});
