import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config.js';
import { DEFAULT_SETTINGS, settingEnvName } from '../../src/domain/settings.js';

const REAL_CUSTODIAN = { LENDBOOK_CUSTODIAN: 'callback', LENDBOOK_CUSTODIAN_SECRET: 'custodian-secret-custodian-secret-0001' };
const PRODUCTION = { NODE_ENV: 'production', LENDBOOK_SECRET_KEY: 'server-key-server-key-server-key-server-key-01' };

describe('config', () => {
  it('in production the demo is off by default, and a real custodian with a server key starts', () => {
    const c = loadConfig({ ...PRODUCTION, ...REAL_CUSTODIAN });
    expect(c).toMatchObject({ production: true, demo: false, custodian: 'callback', clock: 'system', allowHttpWebhooks: false });
  });

  it('defaults to the embedded mode on port 3000 with the docs/market-rules.md settings', () => {
    const c = loadConfig({}, '/srv/app');
    expect(c.port).toBe(3000);
    expect(c.databaseUrl).toBeUndefined();
    expect(c.redisUrl).toBeUndefined();
    expect(c.dataDir).toBe('/srv/app/.data');
    expect(c.settings).toEqual(DEFAULT_SETTINGS);
    expect(c.demo).toBe(true);
  });

  it('reads every LENDBOOK_ setting of docs/market-rules.md §8', () => {
    const c = loadConfig({
      LENDBOOK_MAX_RATE_BPS: '3000',
      LENDBOOK_MIN_BID_MINOR: '20000',
      LENDBOOK_AUCTION_MIN_DURATION_SEC: '5',
      LENDBOOK_SOFT_CLOSE_SEC: '30',
      LENDBOOK_GRADE_FLOOR_BPS: 'AA:600,A:750',
      LENDBOOK_MIN_GRADE_TO_LIST: 'C',
      LENDBOOK_CAP_NATURAL_PERSON_MINOR: '10000000',
    });
    expect(c.settings.maxRateBps).toBe(3000);
    expect(c.settings.minBidMinor).toBe(20000);
    expect(c.settings.auctionMinDurationSec).toBe(5);
    expect(c.settings.softCloseSec).toBe(30);
    expect(c.settings.gradeFloorBps).toEqual({ AA: 600, A: 750 });
    expect(c.settings.minGradeToList).toBe('C');
    expect(c.settings.capNaturalPersonMinor).toBe(10_000_000);
  });

  it('names the environment variable of every setting', () => {
    expect(settingEnvName('maxRateBps')).toBe('LENDBOOK_MAX_RATE_BPS');
    expect(settingEnvName('softCloseMaxExtensionSec')).toBe('LENDBOOK_SOFT_CLOSE_MAX_EXTENSION_SEC');
    expect(settingEnvName('capLegalPersonMinor')).toBe('LENDBOOK_CAP_LEGAL_PERSON_MINOR');
  });

  it.each([
    [{ PORT: 'eighty' }, 'PORT'],
    [{ PORT: '70000' }, 'PORT'],
    [{ DATABASE_URL: 'mysql://x' }, 'DATABASE_URL'],
    [{ REDIS_URL: 'not a url' }, 'REDIS_URL'],
    [{ LENDBOOK_MAX_RATE_BPS: '12.5' }, 'LENDBOOK_MAX_RATE_BPS'],
    [{ LENDBOOK_MAX_RATE_BPS: '1e3' }, 'LENDBOOK_MAX_RATE_BPS'],
    [{ LENDBOOK_MAX_RATE_BPS: '0' }, 'LENDBOOK_MAX_RATE_BPS'],
    [{ LENDBOOK_MIN_BID_MINOR: '-5' }, 'LENDBOOK_MIN_BID_MINOR'],
    [{ LENDBOOK_MIN_GRADE_TO_LIST: 'Z' }, 'LENDBOOK_MIN_GRADE_TO_LIST'],
    [{ LENDBOOK_GRADE_FLOOR_BPS: 'AA:x' }, 'LENDBOOK_GRADE_FLOOR_BPS'],
    [{ LENDBOOK_AUCTION_MIN_DURATION_SEC: '999999', LENDBOOK_AUCTION_MAX_DURATION_SEC: '100' }, 'LENDBOOK_AUCTION_MIN_DURATION_SEC'],
    [{ LENDBOOK_DEMO: 'maybe' }, 'LENDBOOK_DEMO'],
    [{ LENDBOOK_ADMIN_EMAIL: 'ops@example.com' }, 'LENDBOOK_ADMIN_PASSWORD'],
    [{ LENDBOOK_WS_ALLOWED_ORIGINS: 'https://ok.example, nope' }, 'LENDBOOK_WS_ALLOWED_ORIGINS'],
    [{ LENDBOOK_ADMIN_EMAIL: 'ops@example.com', LENDBOOK_ADMIN_PASSWORD: '1234567890' }, 'LENDBOOK_ADMIN_PASSWORD'],
    // NODE_ENV=production: simulated money, a movable clock, the demo, plain-http webhooks and a key kept
    // in the database are all refused.
    [{ ...PRODUCTION }, 'LENDBOOK_CUSTODIAN'],
    [{ ...PRODUCTION, ...REAL_CUSTODIAN, LENDBOOK_CLOCK: 'settable' }, 'LENDBOOK_CLOCK'],
    [{ ...PRODUCTION, ...REAL_CUSTODIAN, LENDBOOK_DEMO: 'on' }, 'LENDBOOK_DEMO'],
    [{ ...PRODUCTION, ...REAL_CUSTODIAN, LENDBOOK_ALLOW_HTTP_WEBHOOKS: 'on' }, 'LENDBOOK_ALLOW_HTTP_WEBHOOKS'],
    [{ NODE_ENV: 'production', ...REAL_CUSTODIAN }, 'LENDBOOK_SECRET_KEY'],
  ])('refuses %o naming %s', (env, name) => {
    let error: unknown;
    try {
      loadConfig(env);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).variable).toBe(name);
    expect((error as ConfigError).message).toContain(name);
  });
});
