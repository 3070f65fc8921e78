import { afterAll, beforeAll, expect, it } from 'vitest';
import { createTestStorage, startApp, type TestApp, type TestStorage } from './helpers/env.js';
import { waitFor } from './helpers/wait.js';

/**
 * A queue whose every slot is busy when more work arrives must take it up once a slot frees (the daily
 * servicing enqueues a job per loan at once). This stalled the embedded runner for good before.
 */
let storage: TestStorage;
let t: TestApp;
beforeAll(async () => {
  storage = await createTestStorage();
  t = await startApp(storage, { env: { LENDBOOK_WORKERS: 'false' } });
});
afterAll(async () => {
  await t?.close();
  await storage?.dispose();
});

it('jobs enqueued while every slot is busy still run', async () => {
  const ran: number[] = [];
  await t.app.ctx.queue.start({
    slow: async (data) => {
      await new Promise((r) => setTimeout(r, 300));
      ran.push(Number(data.k));
    },
  });
  const jobs = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => ({ name: 'slow', id: `slow-${from + i}`, data: { k: from + i } }));
  await t.app.ctx.queue.enqueue(jobs(0, 8));
  await new Promise((r) => setTimeout(r, 100));
  await t.app.ctx.queue.enqueue(jobs(8, 10));
  await waitFor(() => ran.length === 10, 10_000);
  expect([...ran].sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
});
