import { describe, expect, it } from 'vitest';
import type { OutboxMessage } from '../../src/db/schema/index.js';
import { SnapshotCache } from '../../src/realtime/snapshot-cache.js';

/** The node's hooks the cache listens to, driven by hand: commits of this node, the event stream, resets. */
function fakeNode() {
  const committed: ((channels: ReadonlySet<string>) => void)[] = [];
  const events: ((msg: OutboxMessage) => void)[] = [];
  const resets: (() => void)[] = [];
  return {
    ctx: {
      onCommitted: (l: (channels: ReadonlySet<string>) => void) => void committed.push(l),
      stream: { on: (l: (msg: OutboxMessage) => void) => (events.push(l), () => {}), onReset: (l: () => void) => (resets.push(l), () => {}) },
    } as never,
    commit: (...channels: string[]) => committed.forEach((l) => l(new Set(channels))),
    event: (channel: string, seq: number) => events.forEach((l) => l({ channel, seq, type: 'bid.accepted', data: {} } as OutboxMessage)),
    reset: () => resets.forEach((l) => l()),
  };
}

describe('SnapshotCache', () => {
  it('serves repeated subscribes from one read while the channel is unchanged; any change reads again', async () => {
    const node = fakeNode();
    const cache = new SnapshotCache(node.ctx);
    let reads = 0;
    let seq = 4;
    const read = async () => ({ seq: (reads++, seq), data: { seq } });
    for (let i = 0; i < 1000; i++) expect((await cache.get('listing:lst_a', read)).seq).toBe(4);
    expect(reads).toBe(1);
    seq = 5;
    node.event('listing:lst_a', 5); // another node's change arrives
    expect((await cache.get('listing:lst_a', read)).seq).toBe(5);
    seq = 6;
    node.commit('listing:lst_a', 'listings'); // this node's commit, before its event goes out
    expect((await cache.get('listing:lst_a', read)).seq).toBe(6);
    node.event('listing:lst_b', 1); // other channels do not disturb it
    await cache.get('listing:lst_a', read);
    expect(reads).toBe(3);
    node.reset();
    await cache.get('listing:lst_a', read);
    expect(reads).toBe(4);
  });

  it('a read that raced a change is not kept', async () => {
    const node = fakeNode();
    const cache = new SnapshotCache(node.ctx);
    let reads = 0;
    const slowRead = async () => {
      reads++;
      node.event('listing:lst_a', 9); // the change lands while the read is in flight
      return { seq: 8, data: {} };
    };
    await cache.get('listing:lst_a', slowRead);
    await cache.get('listing:lst_a', async () => ({ seq: (reads++, 9), data: {} }));
    expect(reads).toBe(2);
  });

  it('never keeps private channels', async () => {
    const cache = new SnapshotCache(fakeNode().ctx);
    let reads = 0;
    for (let i = 0; i < 3; i++) await cache.get('me', async () => ({ seq: (reads++, 0), data: {} }));
    expect(reads).toBe(3);
  });
  it('serialises a cached snapshot frame once per seq; a change, or data it does not hold, is serialised afresh', async () => {
    const node = fakeNode();
    const cache = new SnapshotCache(node.ctx);
    let version = 1;
    const read = async () => ({ seq: 0, data: { items: [{ id: 'lst_a', version }] } });
    const first = await cache.get('listings', read);
    const a = cache.frameOf('listings', 7, first.data);
    expect(JSON.parse(a.toString('utf8'))).toEqual({ type: 'snapshot', channel: 'listings', seq: 7, data: { items: [{ id: 'lst_a', version: 1 }] } });
    // Every later subscriber at the same seq gets the same bytes, not a new serialisation.
    for (let i = 0; i < 100; i++) expect(cache.frameOf('listings', 7, (await cache.get('listings', read)).data)).toBe(a);
    // The node's feed moved on without a change to the data: same data, the new seq in the frame.
    const b = cache.frameOf('listings', 8, first.data);
    expect(b).not.toBe(a);
    expect(JSON.parse(b.toString('utf8')).seq).toBe(8);
    // A change drops the entry; the next read's frame carries the new data.
    version = 2;
    node.event('listings', 9);
    const second = await cache.get('listings', read);
    expect(JSON.parse(cache.frameOf('listings', 9, second.data).toString('utf8')).data).toEqual({ items: [{ id: 'lst_a', version: 2 }] });
    // Data the cache does not hold (a read that raced a change, or `me`) is serialised for that send only.
    const own = { wallet: null };
    const c = cache.frameOf('me', 1, own);
    expect(cache.frameOf('me', 1, own)).not.toBe(c);
    expect(JSON.parse(c.toString('utf8'))).toEqual({ type: 'snapshot', channel: 'me', seq: 1, data: own });
  });

  it('subscribes that miss together share one read and one serialised frame', async () => {
    const node = fakeNode();
    const cache = new SnapshotCache(node.ctx);
    let reads = 0;
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    // A big listing's read is slow: thousands of subscribes arrive before it returns.
    const read = async () => {
      reads++;
      await gate;
      return { seq: 3, data: { bids: [reads] } };
    };
    const waiting = Array.from({ length: 2000 }, () => cache.get('listing:lst_a', read));
    release();
    const got = await Promise.all(waiting);
    expect(reads).toBe(1);
    expect(new Set(got.map((g) => g.data)).size).toBe(1);
    const frames = new Set(got.map((g) => cache.frameOf('listing:lst_a', g.seq, g.data)));
    expect(frames.size).toBe(1);
  });

  it('a subscribe after a change does not join a read that started before it', async () => {
    const node = fakeNode();
    const cache = new SnapshotCache(node.ctx);
    let seq = 3;
    let reads = 0;
    const gates: (() => void)[] = [];
    const read = async () => {
      reads++;
      const mine = seq;
      await new Promise<void>((r) => gates.push(r));
      return { seq: mine, data: { seq: mine } };
    };
    const early = cache.get('listing:lst_a', read);
    const alsoEarly = cache.get('listing:lst_a', read);
    seq = 4;
    node.event('listing:lst_a', 4); // the change lands while the first read is in flight
    const late = cache.get('listing:lst_a', read);
    expect(reads).toBe(2);
    gates.forEach((g) => g());
    expect((await early).seq).toBe(3);
    expect((await alsoEarly).seq).toBe(3);
    expect((await late).seq).toBe(4);
    // The raced read was not kept; the later one was.
    expect((await cache.get('listing:lst_a', read)).seq).toBe(4);
    expect(reads).toBe(2);
  });

  it('a failed shared read fails every caller waiting for it, and the next caller reads again', async () => {
    const cache = new SnapshotCache(fakeNode().ctx);
    let reads = 0;
    const failing = async () => {
      reads++;
      await Promise.resolve();
      throw new Error('database down');
    };
    const results = await Promise.allSettled([cache.get('listing:lst_a', failing), cache.get('listing:lst_a', failing)]);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected']);
    expect(reads).toBe(1);
    expect((await cache.get('listing:lst_a', async () => ({ seq: (reads++, 1), data: {} }))).seq).toBe(1);
    expect(reads).toBe(2);
  });
});
