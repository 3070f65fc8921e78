import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rows, type Db } from '../../src/db/client.js';
import { outbox, type OutboxMessage } from '../../src/db/schema/index.js';
import { localBus, type BusEnvelope } from '../../src/realtime/bus.js';
import { EventStream } from '../../src/realtime/stream.js';
import { createTestStorage, startApp, type TestApp, type TestStorage } from './helpers/env.js';
import { waitFor } from './helpers/wait.js';

/**
 * The event stream of one node against the real outbox table: dispatched rows are written here by hand
 * (numbers above any the app handed out), envelopes are published on a bus of the test's own, and the
 * stream must deliver every number once, in order, whatever the bus drops or delivers late.
 */
let storage: TestStorage;
let t: TestApp;
beforeAll(async () => {
  storage = await createTestStorage();
  t = await startApp(storage, { env: { LENDBOOK_WORKERS: 'off' } });
});
afterAll(async () => {
  await t?.close();
  await storage?.dispose();
});

const message = (n: number): OutboxMessage => ({ channel: 'test:stream', type: 'test.event', seq: n, data: { n } });

/** Writes dispatched rows first..last as the dispatcher would, and moves bus_state to last. */
async function dispatched(db: Db, first: number, last: number): Promise<BusEnvelope[]> {
  const envelopes: BusEnvelope[] = [];
  for (let n = first; n <= last; n++) envelopes.push({ dispatchSeq: n, messages: [message(n)] });
  await db.insert(outbox).values(envelopes.map((e) => ({ messages: e.messages, jobs: [], dispatchSeq: e.dispatchSeq, dispatchedAt: new Date() })));
  await db.execute(sql`update bus_state set last_dispatch_seq = ${last} where id = 1`);
  return envelopes;
}

async function lastDispatched(db: Db): Promise<number> {
  await db.execute(sql`insert into bus_state (id, last_dispatch_seq) values (1, 0) on conflict (id) do nothing`);
  const [r] = await rows<{ last: number }>(db, sql`select last_dispatch_seq as last from bus_state where id = 1`);
  return Number(r!.last);
}

/** A database handle whose catch-up reads of the outbox wait for the test to let them go. */
function withHeldReads(db: Db): { db: Db; reading: Promise<void>; release: () => void } {
  let started!: () => void;
  const reading = new Promise<void>((r) => (started = r));
  let release!: () => void;
  const released = new Promise<void>((r) => (release = r));
  const held = new Proxy(db, {
    get(target, prop, receiver) {
      if (prop !== 'execute') return Reflect.get(target, prop, receiver);
      return async (query: Parameters<Db['execute']>[0]) => {
        const result = await target.execute(query);
        const text = JSON.stringify((query as { queryChunks?: unknown }).queryChunks ?? '');
        if (text.includes('select dispatch_seq, messages from outbox')) {
          started();
          await released;
        }
        return result;
      };
    },
  });
  return { db: held, reading, release };
}

/** A started stream on a bus of the test's own, with what it delivers and how often it reset. */
async function watchedStream(db: Db, checkMs: number) {
  const bus = localBus();
  const stream = new EventStream({ db, bus, checkMs });
  await stream.start();
  const seen: number[] = [];
  stream.on((m) => seen.push(m.seq!));
  const counts = { resets: 0 };
  stream.onReset(() => counts.resets++);
  return { bus, stream, seen, counts };
}

describe('event stream', () => {
  it('envelopes the bus delivers while a catch-up read is running are neither repeated nor taken for a lost hole', async () => {
    const db = t.app.ctx.db;
    const base = await lastDispatched(db);
    const held = withHeldReads(db);
    const { bus, stream, seen, counts } = await watchedStream(held.db, 60_000);
    try {
      const envelopes = await dispatched(db, base + 1, base + 6);
      // The bus drops 1–4 and delivers 5: the gap makes the stream read 1–4 from the table...
      await bus.publish([envelopes[4]!]);
      await held.reading;
      // ...and while that read is under way, the bus delivers 1 and 2 after all.
      await bus.publish([envelopes[0]!, envelopes[1]!]);
      held.release();
      await bus.publish([envelopes[5]!]);
      await waitFor(() => seen.length >= 6, 5_000);
      expect(seen).toEqual([base + 1, base + 2, base + 3, base + 4, base + 5, base + 6]);
      expect(counts.resets).toBe(0);
      expect(stream.position).toBe(base + 6);
    } finally {
      held.release();
      stream.stop();
    }
  });

  it('rows cleaned up before a node read them: it skips the hole once, tells its subscribers, and goes on', async () => {
    const db = t.app.ctx.db;
    const { bus, stream, seen, counts } = await watchedStream(db, 60_000);
    const base = stream.position;
    try {
      const envelopes = await dispatched(db, base + 1, base + 5);
      // This node heard none of 1–3, and they are gone from the table by the time it looks.
      await db.execute(sql`delete from outbox where dispatch_seq between ${base + 1} and ${base + 3}`);
      await bus.publish([envelopes[3]!, envelopes[4]!]);
      await waitFor(() => seen.length >= 2, 5_000);
      expect(seen).toEqual([base + 4, base + 5]);
      expect(counts.resets).toBe(1);
      expect(stream.position).toBe(base + 5);
    } finally {
      stream.stop();
    }
  });

  it('a silent bus: the last envelopes are read from the table by the periodic check', async () => {
    const db = t.app.ctx.db;
    const { stream, seen } = await watchedStream(db, 50);
    const base = stream.position;
    try {
      await dispatched(db, base + 1, base + 3);
      await waitFor(() => seen.length >= 3, 5_000);
      expect(seen).toEqual([base + 1, base + 2, base + 3]);
      expect(stream.stats.fromDatabase).toBe(3);
    } finally {
      stream.stop();
    }
  });
});
