/**
 * Every setting has a documented range (docs/market-rules.md §8): a value outside it is a 400 that names
 * the range, from an operator at run time and from the environment at start, and nothing changes. The
 * ranges in the docs are the ones the code enforces.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config.js';
import { DEFAULT_SETTINGS, GRADE_MAP_BOUNDS, INT_SETTING_BOUNDS, settingEnvName } from '../../src/domain/settings.js';
import { call } from './helpers/api.js';
import { createTestStorage, startApp, type TestApp, type TestStorage } from './helpers/env.js';
import { ADMIN_ENV, adminToken } from './helpers/partner.js';

let storage: TestStorage;
let t: TestApp;
let admin: string;

beforeAll(async () => {
  storage = await createTestStorage();
  t = await startApp(storage, { env: ADMIN_ENV });
  admin = await adminToken(t.app);
});
afterAll(async () => {
  await t?.close();
  await storage?.dispose();
});

const put = (body: Record<string, unknown>) => call(t.app, 'PUT', '/api/v1/admin/settings', { token: admin, body });

describe('settings and their ranges', () => {
  it('refuses a maximum rate of 150 % (above the legal ceiling of 36 %) with a 400 naming the range, and keeps 24 %', async () => {
    const res = await put({ maxRateBps: 15_000 });
    expect(res.statusCode).toBe(400);
    const problem = res.json();
    expect(problem.code).toBe('VALIDATION_FAILED');
    expect(problem.detail).toBe('body/maxRateBps must be within 1..3600');
    expect(problem.errors[0]).toMatchObject({ field: 'body/maxRateBps', keyword: 'maximum', min: 1, max: 3600 });
    const view = await call(t.app, 'GET', '/api/v1/admin/settings', { token: admin });
    expect(view.json().settings.maxRateBps).toBe(2400);
    expect(view.json().bounds.maxRateBps).toEqual({ min: 1, max: 3600, unit: 'bps' });
  });

  it.each(Object.entries(INT_SETTING_BOUNDS))('%s: one below and one above its range are refused, naming it; its bounds are accepted', async (name, b) => {
    const before = (await call(t.app, 'GET', '/api/v1/admin/settings', { token: admin })).json().settings;
    const step = b.multipleOf ?? 1;
    for (const value of [b.min - step, b.max + step]) {
      if (value < 0) continue;
      const res = await put({ [name]: value });
      expect(res.statusCode, `${name}=${value}`).toBe(400);
      expect(res.json().detail).toBe(`body/${name} must be within ${b.min}..${b.max}`);
      expect(res.json().errors[0]).toMatchObject({ field: `body/${name}`, min: b.min, max: b.max });
    }
    if (b.multipleOf) {
      const res = await put({ [name]: b.min + b.multipleOf + 1 });
      expect(res.statusCode).toBe(400);
      expect(res.json().errors[0]).toMatchObject({ field: `body/${name}`, keyword: 'multipleOf', multipleOf: b.multipleOf });
    }
    expect((await call(t.app, 'GET', '/api/v1/admin/settings', { token: admin })).json().settings).toEqual(before);
    // The bounds themselves are allowed (alone: relations between settings are a separate, 422, check).
    for (const value of [b.min, b.max]) {
      const res = await put({ [name]: value });
      if (res.statusCode === 422) expect(res.json().code).toBe('SETTING_INVALID');
      else expect(res.statusCode, `${name}=${value}: ${res.body}`).toBe(200);
    }
    expect((await put({ [name]: null })).statusCode).toBe(200);
  });

  it('per-grade values have ranges too, and relations between settings are a 422 naming the rule', async () => {
    const res = await put({ orderAdvancePct: { AA: 101 } });
    expect(res.statusCode).toBe(400);
    expect(res.json().detail).toBe('body/orderAdvancePct/AA must be within 0..100');
    const floor = await put({ gradeFloorBps: { AA: 3000 } });
    expect(floor.statusCode).toBe(422);
    expect(floor.json()).toMatchObject({ code: 'SETTING_INVALID', setting: 'gradeFloorBps', rule: 'floorAboveMax' });
    const order = await put({ auctionMinDurationSec: 7200, auctionMaxDurationSec: 3600 });
    expect(order.json()).toMatchObject({ code: 'SETTING_INVALID', rule: 'durationOrder' });
  });

  it('refuses an out-of-range value from the environment at start, naming the variable and the range', () => {
    for (const [name, b] of Object.entries(INT_SETTING_BOUNDS)) {
      const env = settingEnvName(name as keyof typeof INT_SETTING_BOUNDS);
      let error: unknown;
      try {
        loadConfig({ [env]: String(b.max + (b.multipleOf ?? 1)) });
      } catch (err) {
        error = err;
      }
      expect(error, env).toBeInstanceOf(ConfigError);
      expect((error as ConfigError).message).toContain(env);
      expect((error as ConfigError).message).toContain(`${b.min}..${b.max}`);
    }
  });

  it('docs/market-rules.md §8 documents each setting with its default and the range the code enforces', () => {
    const doc = readFileSync(new URL('../../docs/market-rules.md', import.meta.url), 'utf8');
    const section = doc.slice(doc.indexOf('## 8.'));
    for (const [name, b] of Object.entries({ ...INT_SETTING_BOUNDS, ...GRADE_MAP_BOUNDS })) {
      const env = settingEnvName(name as keyof typeof DEFAULT_SETTINGS).replace(/^LENDBOOK_/, '');
      const row = section.split('\n').find((l) => l.startsWith(`| \`${env}\``));
      expect(row, env).toBeDefined();
      expect(row, env).toContain(`${b.min}..${b.max}`);
      const value = DEFAULT_SETTINGS[name as keyof typeof DEFAULT_SETTINGS];
      if (typeof value === 'number') expect(row, env).toContain(`| ${value} |`);
    }
  });
});
