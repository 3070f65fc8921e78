import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rows } from '../../src/db/client.js';
import type { OutboxMessage } from '../../src/db/schema/index.js';
import { writeOutbox } from '../../src/services/outbox.js';
import { createTestStorage, startApp, type TestStorage } from './helpers/env.js';
import { waitFor } from './helpers/wait.js';

let storage: TestStorage;
beforeAll(async () => {
  storage = await createTestStorage();
});
afterAll(async () => {
  await storage?.dispose();
});

describe('outbox and event bus across two instances', () => {
  it('an event committed through the outbox on node A reaches a stream subscriber on node B, in order', async () => {
    // Two server instances on two ports, sharing the storage (and Redis when configured).
    const a = await startApp(storage, { listen: true });
    const b = await startApp(storage, { listen: true });
    expect(a.url).not.toBe(b.url);
    try {
      const seen: { msg: OutboxMessage; dispatchSeq: number }[] = [];
      b.app.ctx.stream.on((msg, dispatchSeq) => {
        if (msg.channel === 'test:outbox') seen.push({ msg, dispatchSeq });
      });
      for (let i = 1; i <= 20; i++) {
        await a.app.ctx.transaction(async (tx) => {
          await writeOutbox(tx, { messages: [{ channel: 'test:outbox', type: 'test.event', seq: i, data: { i } }] });
        });
      }
      await waitFor(() => seen.length === 20, 10_000);
      expect(seen.map((s) => s.msg.seq)).toEqual(Array.from({ length: 20 }, (_, k) => k + 1));
      const dispatchSeqs = seen.map((s) => s.dispatchSeq);
      expect(dispatchSeqs).toEqual([...dispatchSeqs].sort((x, y) => x - y));
    } finally {
      await a.close();
      await b.close();
    }
  });

  it('a rolled-back transaction publishes nothing', async () => {
    const a = await startApp(storage);
    try {
      const seen: OutboxMessage[] = [];
      a.app.ctx.stream.on((msg) => {
        if (msg.channel === 'test:rollback') seen.push(msg);
      });
      await expect(
        a.app.ctx.transaction(async (tx) => {
          await writeOutbox(tx, { messages: [{ channel: 'test:rollback', type: 'never', data: {} }] });
          throw new Error('abort');
        }),
      ).rejects.toThrow('abort');
      await a.app.ctx.transaction(async (tx) => {
        await writeOutbox(tx, { messages: [{ channel: 'test:rollback', type: 'after', data: {} }] });
      });
      await waitFor(() => seen.length >= 1, 10_000);
      expect(seen.map((m) => m.type)).toEqual(['after']);
    } finally {
      await a.close();
    }
  });

  it('dispatch numbers are contiguous even with two dispatchers racing', async () => {
    const a = await startApp(storage);
    const b = await startApp(storage);
    try {
      // Several bursts: a dispatcher whose statement began before the other's commit and took the lock
      // after it once numbered the other's rows again (a gap); one burst rarely hits that window.
      for (let round = 0; round < 5; round++) {
        await Promise.all(
          Array.from({ length: 40 }, (_, i) =>
            (i % 2 ? a : b).app.ctx.transaction(async (tx) => {
              await writeOutbox(tx, { messages: [{ channel: 'test:race', type: 'x', data: { round, i } }] });
            }),
          ),
        );
      }
      await waitFor(async () => {
        const [r] = await rows<{ n: number }>(a.app.ctx.db, sql`select count(*)::int as n from outbox where dispatch_seq is null`);
        return r!.n === 0;
      }, 10_000);
      const seqs = await rows<{ s: number }>(a.app.ctx.db, sql`select dispatch_seq as s from outbox order by dispatch_seq`);
      const list = seqs.map((r) => Number(r.s));
      expect(list).toEqual(Array.from({ length: list.length }, (_, k) => k + 1));
    } finally {
      await a.close();
      await b.close();
    }
  });
});

describe('jobs', () => {
  it('a delayed job scheduled before a restart still runs after it, exactly once', async () => {
    // No workers on the first instance: were it slow to close, it must not be the one to claim the job.
    const first = await startApp(storage, { env: { LENDBOOK_WORKERS: 'off' } });
    await first.app.ctx.db.execute(sql`create table if not exists test_job_runs (job_id text, ran_at timestamptz default now())`);
    await first.app.ctx.queue.enqueue([{ name: 'test.record', id: 'restart-job-1', data: { tag: 'x' }, runAtMs: first.app.ctx.clock.nowMs() + 1500 }]);
    // Enqueuing it again (another node, a retried dispatch) must not create a second job.
    await first.app.ctx.queue.enqueue([{ name: 'test.record', id: 'restart-job-1', data: { tag: 'x' }, runAtMs: first.app.ctx.clock.nowMs() + 1500 }]);
    await first.close();

    let ran = 0;
    const second = await startApp(storage, {
      jobHandlers: {
        'test.record': async (_data, meta) => {
          ran++;
          await second.app.ctx.db.execute(sql`insert into test_job_runs (job_id) values (${meta.id})`);
        },
      },
    });
    try {
      await waitFor(async () => {
        const r = await rows<{ n: number }>(second.app.ctx.db, sql`select count(*)::int as n from test_job_runs where job_id = 'restart-job-1'`);
        return r[0]!.n >= 1;
      }, 15_000);
      await new Promise((r) => setTimeout(r, 500));
      expect(ran).toBe(1);
    } finally {
      await second.close();
    }
  });

  it('a failing job is retried with backoff until it succeeds', async () => {
    let calls = 0;
    const t = await startApp(storage, {
      jobHandlers: {
        'test.flaky': async () => {
          calls++;
          if (calls < 3) throw new Error(`transient failure ${calls}`);
        },
      },
    });
    try {
      await t.app.ctx.queue.enqueue([{ name: 'test.flaky', id: 'flaky-1', data: {}, backoffMs: 50, attempts: 5 }]);
      await waitFor(() => calls >= 3, 15_000);
      await new Promise((r) => setTimeout(r, 300));
      expect(calls).toBe(3);
    } finally {
      await t.close();
    }
  });
});
