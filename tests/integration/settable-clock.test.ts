import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { advanceClock } from '../../src/services/admin-settings.js';
import { createTestStorage, startApp, type TestApp, type TestStorage } from './helpers/env.js';
import { ADMIN_ENV } from './helpers/partner.js';
import { waitFor } from './helpers/wait.js';

let storage: TestStorage;
let t: TestApp;

beforeAll(async () => {
  storage = await createTestStorage();
  t = await startApp(storage, { env: { ...ADMIN_ENV, LENDBOOK_CLOCK: 'settable' } });
});
afterAll(async () => {
  await t?.close();
  await storage?.dispose();
});

describe('the settable clock', () => {
  it('never moves back when a reload that read the older offset finishes after a newer move', async () => {
    const ctx = t.app.ctx;
    const settings = ctx.settings;
    const reload = settings.reload.bind(settings);
    // The reload that follows the first move reads the row, then stalls until the second move is made.
    let stalled: (() => void) | undefined;
    let firstReloadRead = false;
    settings.reload = async (...args: Parameters<typeof reload>) => {
      const read = await reload(...args);
      if (!firstReloadRead) {
        firstReloadRead = true;
        await new Promise<void>((resume) => (stalled = resume));
      }
      return read;
    };
    // Every offset the clock is given, in order.
    const offsets: number[] = [];
    const setOffset = ctx.clock.setOffsetMs.bind(ctx.clock);
    ctx.clock.setOffsetMs = (offsetMs: number) => {
      offsets.push(offsetMs);
      setOffset(offsetMs);
    };
    try {
      const start = ctx.clock.offsetMs();
      await advanceClock(ctx, 60_000);
      await waitFor(() => stalled !== undefined, 20_000, 5);
      await advanceClock(ctx, 60_000);
      stalled!();
      // Both moves' reloads have run once the clock has settled on the newest offset, read back.
      await waitFor(() => settings.clockOffsetMs === start + 120_000, 20_000, 5);
      await new Promise((r) => setTimeout(r, 200));
      expect(ctx.clock.offsetMs()).toBe(start + 120_000);
      expect(offsets.length).toBeGreaterThanOrEqual(2);
      const backwards = offsets.filter((o, i) => i > 0 && o < offsets[i - 1]!);
      expect(backwards).toEqual([]);
    } finally {
      ctx.clock.setOffsetMs = setOffset;
      settings.reload = reload;
    }
  });
});
