import path from 'node:path';
import { checkPassword } from './domain/passwords.js';
import { settingsFromEnv, type Settings } from './domain/settings.js';
import { isCommonPassword } from './security/common-passwords.js';

/**
 * One typed configuration, read from the environment and validated at start. A bad value stops the
 * start with a message that names the variable.
 */
export interface Config {
  port: number;
  host: string;
  /** Base URL the app is reached at (used in logs, links and the default WS origin allow-list). */
  publicUrl: string;
  /** PostgreSQL through pg when set; PGlite in `dataDir` otherwise. */
  databaseUrl: string | undefined;
  /** PGlite data folder; `memory://` keeps it in memory (tests). */
  dataDir: string;
  /** BullMQ and Redis pub/sub when set; in-process queue and bus otherwise. */
  redisUrl: string | undefined;
  /** Prefix of every Redis key and channel, so that several deployments (or test files) share a Redis. */
  redisPrefix: string;
  settings: Settings;
  adminEmail: string | undefined;
  adminPassword: string | undefined;
  /** Seed a demo market into an empty database and keep it alive with simulated lenders. */
  demo: boolean;
  /** Simulated lenders and borrowers keep the demo market moving (LENDBOOK_DEMO_SIMULATION=off stops them). */
  demoSimulation: boolean;
  /** Port of the widget demo page (a partner's page on another origin); 0 = PORT + 1. */
  widgetDemoPort: number;
  /** `settable` lets operators move the clock (demos and tests of servicing). */
  clock: 'system' | 'settable';
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  /** Origins allowed to open a WebSocket (besides publishable-key origins); empty = publicUrl only. */
  wsAllowedOrigins: string[];
  /** Background loops (outbox dispatch, job workers, sweeper). Off only in tests that drive them by hand. */
  workers: boolean;
  /** Checks every JSON answer against its route's documented schema and error codes (on in tests). */
  responseCheck: boolean;
  sessionTtlSec: number;
  trustProxy: boolean;
  /** Serve the built web app from this folder when it exists. */
  webDistDir: string;
  /** Seals partner secrets and keys id-number hashes; generated and kept in the database when unset. */
  secretKey: string | undefined;
  /** `simulated` completes deposits and withdrawals at once; `callback` waits for the custodian's signed callback. */
  custodian: 'simulated' | 'callback';
  /** Shared secret of the custodian's callbacks (required in `callback` mode). */
  custodianSecret: string | undefined;
  /** Logins allowed per minute for one account, whatever the addresses they come from. */
  loginRatePerMin: number;
  /** Registrations allowed per minute per IP. */
  registerRatePerMin: number;
  /** First retry delay of a webhook; later ones double (16 attempts reach about a day). */
  webhookBackoffMs: number;
  /** A WebSocket client with more unsent bytes than this is disconnected (4009). */
  wsMaxBufferedBytes: number;
  /** Logins allowed per minute from one address, whatever the accounts (password spraying). */
  loginAddressRatePerMin: number;
  /** `http://localhost` webhook URLs (and loopback delivery) for development; never in production. */
  allowHttpWebhooks: boolean;
  /** NODE_ENV=production: simulated money, a settable clock and the demo are refused. */
  production: boolean;
  /** SMTP server for notification e-mails (smtp:// or smtps://, credentials in the URL); unset: no e-mail. */
  smtpUrl: string | undefined;
  /** The From of notification e-mails. */
  mailFrom: string;
}

export class ConfigError extends Error {
  override name = 'ConfigError';
  constructor(
    readonly variable: string,
    message: string,
  ) {
    super(`${variable}: ${message}`);
  }
}

type Env = Record<string, string | undefined>;

function intVar(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  if (!/^(0|[1-9][0-9]{0,9})$/.test(raw.trim())) throw new ConfigError(name, `must be an integer, got '${raw}'`);
  const n = Number(raw.trim());
  if (n < min || n > max) throw new ConfigError(name, `must be within ${min}..${max}, got ${n}`);
  return n;
}

function enumVar<T extends string>(env: Env, name: string, allowed: readonly T[], fallback: T): T {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const v = raw.trim().toLowerCase();
  if (!(allowed as readonly string[]).includes(v)) throw new ConfigError(name, `must be one of ${allowed.join(', ')}, got '${raw}'`);
  return v as T;
}

function urlVar(env: Env, name: string, protocols: readonly string[]): string | undefined {
  const raw = env[name];
  if (raw === undefined || raw.trim() === '') return undefined;
  let url: URL;
  try {
    url = new URL(raw.trim());
  } catch {
    throw new ConfigError(name, 'is not a valid URL');
  }
  if (!protocols.includes(url.protocol)) throw new ConfigError(name, `must use ${protocols.join(' or ')}, got '${url.protocol}'`);
  return raw.trim();
}

function boolVar(env: Env, name: string, fallback: boolean): boolean {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const v = raw.trim().toLowerCase();
  if (['1', 'true', 'on', 'yes'].includes(v)) return true;
  if (['0', 'false', 'off', 'no'].includes(v)) return false;
  throw new ConfigError(name, `must be on or off, got '${raw}'`);
}

function secretVar(env: Env, name: string): string | undefined {
  const raw = env[name];
  if (raw === undefined || raw === '') return undefined;
  if (raw.length < 32) throw new ConfigError(name, 'must be at least 32 characters');
  return raw;
}

export function loadConfig(env: Env = process.env, cwd: string = process.cwd()): Config {
  const port = intVar(env, 'PORT', 3000, 0, 65535);
  const host = env.HOST?.trim() || '0.0.0.0';
  const publicUrl = urlVar(env, 'LENDBOOK_PUBLIC_URL', ['http:', 'https:']) ?? `http://localhost:${port}`;
  const databaseUrl = urlVar(env, 'DATABASE_URL', ['postgres:', 'postgresql:']);
  const redisUrl = urlVar(env, 'REDIS_URL', ['redis:', 'rediss:']);
  const settings = settingsFromEnv(env);
  if (!settings.ok) throw new ConfigError(settings.name, settings.detail);
  const adminEmail = env.LENDBOOK_ADMIN_EMAIL?.trim() || undefined;
  const adminPassword = env.LENDBOOK_ADMIN_PASSWORD || undefined;
  if ((adminEmail === undefined) !== (adminPassword === undefined)) {
    throw new ConfigError(adminEmail ? 'LENDBOOK_ADMIN_PASSWORD' : 'LENDBOOK_ADMIN_EMAIL', 'set both LENDBOOK_ADMIN_EMAIL and LENDBOOK_ADMIN_PASSWORD, or neither');
  }
  if (adminPassword !== undefined && adminEmail !== undefined) {
    const verdict = checkPassword(adminPassword, adminEmail, isCommonPassword);
    if (!verdict.ok) throw new ConfigError('LENDBOOK_ADMIN_PASSWORD', verdict.detail ?? 'is too weak');
  }
  const origins = (env.LENDBOOK_WS_ALLOWED_ORIGINS ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  for (const o of origins) {
    try {
      if (new URL(o).origin !== o) throw new Error('not an origin');
    } catch {
      throw new ConfigError('LENDBOOK_WS_ALLOWED_ORIGINS', `'${o}' is not an origin like https://example.com`);
    }
  }
  const custodian = enumVar(env, 'LENDBOOK_CUSTODIAN', ['simulated', 'callback'], 'simulated');
  const custodianSecret = secretVar(env, 'LENDBOOK_CUSTODIAN_SECRET');
  if (custodian === 'callback' && !custodianSecret) throw new ConfigError('LENDBOOK_CUSTODIAN_SECRET', 'is required when LENDBOOK_CUSTODIAN=callback');
  const production = env.NODE_ENV?.trim() === 'production';
  const clock = enumVar(env, 'LENDBOOK_CLOCK', ['system', 'settable'], 'system');
  const demo = enumVar(env, 'LENDBOOK_DEMO', ['on', 'off'], production ? 'off' : 'on') === 'on';
  const allowHttpWebhooks = boolVar(env, 'LENDBOOK_ALLOW_HTTP_WEBHOOKS', false);
  const secretKey = secretVar(env, 'LENDBOOK_SECRET_KEY');
  if (production) {
    // What makes a demo convenient makes a real deployment unsafe: refuse to start rather than move
    // simulated money, let operators move time, or seal partner secrets with a key kept next to them.
    if (custodian === 'simulated') throw new ConfigError('LENDBOOK_CUSTODIAN', 'simulated deposits and withdrawals are refused when NODE_ENV=production; set callback and LENDBOOK_CUSTODIAN_SECRET');
    if (clock === 'settable') throw new ConfigError('LENDBOOK_CLOCK', 'a settable clock is refused when NODE_ENV=production');
    if (demo) throw new ConfigError('LENDBOOK_DEMO', 'the demo market is refused when NODE_ENV=production');
    if (allowHttpWebhooks) throw new ConfigError('LENDBOOK_ALLOW_HTTP_WEBHOOKS', 'plain-http webhooks are refused when NODE_ENV=production');
    if (!secretKey) throw new ConfigError('LENDBOOK_SECRET_KEY', 'is required when NODE_ENV=production');
  }
  const prefix = env.LENDBOOK_REDIS_PREFIX?.trim() || 'lendbook';
  if (!/^[a-zA-Z0-9_-]{1,64}$/.test(prefix)) throw new ConfigError('LENDBOOK_REDIS_PREFIX', 'letters, digits, _ and - only');
  return {
    port,
    host,
    publicUrl,
    databaseUrl,
    dataDir: env.LENDBOOK_DATA_DIR?.trim() || path.join(cwd, '.data'),
    redisUrl,
    redisPrefix: prefix,
    settings: settings.settings,
    adminEmail,
    adminPassword,
    demo,
    demoSimulation: boolVar(env, 'LENDBOOK_DEMO_SIMULATION', true),
    widgetDemoPort: intVar(env, 'LENDBOOK_WIDGET_DEMO_PORT', 0, 0, 65535),
    clock,
    logLevel: enumVar(env, 'LOG_LEVEL', ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], 'info'),
    wsAllowedOrigins: origins,
    workers: boolVar(env, 'LENDBOOK_WORKERS', true),
    responseCheck: boolVar(env, 'LENDBOOK_RESPONSE_CHECK', false),
    sessionTtlSec: intVar(env, 'LENDBOOK_SESSION_TTL_SEC', 7 * 86_400, 60, 90 * 86_400),
    trustProxy: boolVar(env, 'LENDBOOK_TRUST_PROXY', false),
    webDistDir: env.LENDBOOK_WEB_DIST?.trim() || path.join(cwd, 'web', 'dist'),
    secretKey,
    custodian,
    custodianSecret,
    loginRatePerMin: intVar(env, 'LENDBOOK_LOGIN_RATE_PER_MIN', 10, 1, 1_000_000),
    registerRatePerMin: intVar(env, 'LENDBOOK_REGISTER_RATE_PER_MIN', 30, 1, 1_000_000),
    webhookBackoffMs: intVar(env, 'LENDBOOK_WEBHOOK_BACKOFF_MS', 1500, 10, 3_600_000),
    wsMaxBufferedBytes: intVar(env, 'LENDBOOK_WS_MAX_BUFFERED_BYTES', 1024 * 1024, 16 * 1024, 1024 * 1024 * 1024),
    loginAddressRatePerMin: intVar(env, 'LENDBOOK_LOGIN_ADDRESS_RATE_PER_MIN', 30, 1, 1_000_000),
    allowHttpWebhooks,
    production,
    smtpUrl: urlVar(env, 'LENDBOOK_SMTP_URL', ['smtp:', 'smtps:']),
    mailFrom: env.LENDBOOK_MAIL_FROM?.trim() || 'Lendbook <no-reply@lendbook.local>',
  };
}
