import { Redis } from 'ioredis';
import type { PGlite } from '@electric-sql/pglite';
import type { FastifyBaseLogger } from 'fastify';
import { settableClock, systemClock, type Clock } from './clock.js';
import type { Config } from './config.js';
import { migrateDatabase, openDatabase, type Database, type Db, type Tx } from './db/client.js';
import { bullQueue } from './jobs/bullmq.js';
import { localQueue } from './jobs/local.js';
import type { JobQueue } from './jobs/queue.js';
import { localBus, redisBus, type EventBus } from './realtime/bus.js';
import { EventStream } from './realtime/stream.js';
import { OutboxDispatcher, channelsWritten } from './services/outbox.js';
import { recordNotifications } from './services/notifications.js';
import { SettingsStore } from './services/settings.js';
import { SecretBox } from './security/crypto.js';
import { SessionCache } from './security/session-cache.js';
import type { AuthUser } from './http/plugins/auth.js';
import type { Metrics } from './metrics.js';
import { resolveServerKey } from './security/server-key.js';
import { ensurePlatformAccounts } from './ledger/ledger.js';

/**
 * Everything a service needs, built once per process: storage, clock, settings, jobs, the outbox and
 * the event stream. Both modes (embedded and production) expose the same interfaces.
 */
export interface AppContext {
  config: Config;
  clock: Clock;
  database: Database;
  db: Db;
  settings: SettingsStore;
  queue: JobQueue;
  bus: EventBus;
  stream: EventStream;
  dispatcher: OutboxDispatcher;
  log: FastifyBaseLogger;
  /** Seals secrets the server must read back (partner HMAC secrets). */
  secrets: SecretBox;
  /** Keys hashes of personal data (id numbers). */
  serverKey: string;
  /** Prometheus metrics of this node, set once the app has them. */
  metrics?: Metrics;
  /** Recently looked-up sessions (see SessionCache). */
  sessionCache: SessionCache<AuthUser>;
  /** Runs `fn` in one transaction and, after it commits, dispatches its outbox rows at once. */
  transaction<T>(fn: (tx: Tx) => Promise<T>): Promise<T>;
  /** Called after each commit of this node with the channels it wrote events to (local caches). */
  onCommitted(listener: (channels: ReadonlySet<string>) => void): void;
  /** Opens a Redis connection (production mode only). */
  redis(purpose: string, forWorker?: boolean): Redis;
  close(): Promise<void>;
}

export interface ContextOverrides {
  /** Share one PGlite between apps of a test worker. */
  pglite?: PGlite;
  clock?: Clock;
  /** Lets a test stand between the bus and this node (to make it miss messages on purpose). */
  wrapBus?: (bus: EventBus) => EventBus;
}

export async function createContext(config: Config, log: FastifyBaseLogger, overrides: ContextOverrides = {}): Promise<AppContext> {
  const database = await openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir, pglite: overrides.pglite });
  const closers: (() => Promise<void>)[] = [() => database.close()];
  try {
    await migrateDatabase(database);
    const db = database.db;
    await ensurePlatformAccounts(db);
    const serverKey = await resolveServerKey(db, config.secretKey);
    if (!config.secretKey && config.databaseUrl) log.warn('LENDBOOK_SECRET_KEY is not set: partner secrets are sealed with a key kept in the database');
    const clock = overrides.clock ?? (config.clock === 'settable' ? settableClock() : systemClock());
    const settings = new SettingsStore(db, config.settings);
    await settings.reload();
    if (clock.settable) clock.setOffsetMs(settings.clockOffsetMs);

    const redisConnections = new Set<Redis>();
    const redis = (purpose: string, forWorker = false): Redis => {
      if (!config.redisUrl) throw new Error('Redis is not configured');
      const conn = new Redis(config.redisUrl, {
        // Named after the key prefix: deployments (and test runs) sharing one Redis tell theirs apart.
        connectionName: `${config.redisPrefix}-${purpose}`,
        // BullMQ workers block on Redis and must never give up a command.
        maxRetriesPerRequest: forWorker ? null : 3,
        enableReadyCheck: true,
        // Back off when Redis drops us (restart, failover) instead of hammering it; what a subscriber
        // misses meanwhile is read back from the outbox.
        retryStrategy: (times: number) => Math.min(200 * times, 2000),
      });
      conn.on('error', (err) => log.warn({ err: err.message, purpose }, 'redis connection error'));
      redisConnections.add(conn);
      return conn;
    };
    closers.push(async () => {
      for (const c of redisConnections) c.disconnect();
    });

    const onJobError = (err: unknown, job?: { id: string; name: string }) => log.warn({ err, job }, 'job failed');
    const queue: JobQueue = config.redisUrl
      ? bullQueue({ connect: redis, prefix: `${config.redisPrefix}`, clock, onError: onJobError })
      : localQueue({ db, clock, onError: onJobError });
    closers.push(() => queue.close());
    const realBus: EventBus = config.redisUrl
      ? redisBus({ connect: (p) => redis(p), prefix: config.redisPrefix, onError: (err) => log.warn({ err }, 'bus error') })
      : localBus();
    const bus = overrides.wrapBus ? overrides.wrapBus(realBus) : realBus;
    closers.push(() => bus.close());
    const stream = new EventStream({ db, bus, onError: (err) => log.warn({ err }, 'event stream error') });
    const sessionCache = new SessionCache<AuthUser>();
    // Settings reloads run one at a time, in event order, so that the last to finish read the newest row.
    // The clock follows a reload only if it did not move here meanwhile: a local move is newer than
    // what the reload may have read, and its own event brings a reload of its own.
    let settingsReload = Promise.resolve();
    stream.on((msg) => {
      if (msg.channel !== 'system') return;
      if (msg.type === 'users.changed') sessionCache.clear();
      if (msg.type === 'settings.changed') {
        settingsReload = settingsReload
          .then(async () => {
            const offsetBefore = clock.offsetMs();
            await settings.reload();
            if (clock.settable && clock.offsetMs() === offsetBefore) clock.setOffsetMs(settings.clockOffsetMs);
          })
          .catch((err: unknown) => log.warn({ err }, 'settings reload failed'));
      }
    });
    const committedListeners: ((channels: ReadonlySet<string>) => void)[] = [];
    const dispatcher = new OutboxDispatcher({
      db,
      clock,
      bus,
      queue,
      onError: (err) => log.warn({ err }, 'outbox dispatch failed'),
      onRows: (tx, batch, at) => recordNotifications(tx, batch, { emailEnabled: Boolean(config.smtpUrl), at }),
    });

    const ctx: AppContext = {
      config,
      clock,
      database,
      db,
      settings,
      queue,
      bus,
      stream,
      dispatcher,
      log,
      secrets: new SecretBox(serverKey),
      sessionCache,
      serverKey,
      redis,
      async transaction(fn) {
        // A deadlock or serialization failure aborts the whole transaction and nothing of it happened:
        // running it again is safe.
        for (let attempt = 1; ; attempt++) {
          try {
            let channels: Set<string> | undefined;
            const result = await db.transaction(async (tx) => {
              const r = await fn(tx);
              channels = channelsWritten.get(tx);
              return r;
            });
            dispatcher.kick();
            if (channels) for (const l of committedListeners) l(channels);
            return result;
          } catch (err) {
            const code = (err as { code?: string; cause?: { code?: string } }).code ?? (err as { cause?: { code?: string } }).cause?.code;
            if (attempt < 4 && (code === '40P01' || code === '40001')) continue;
            throw err;
          }
        }
      },
      onCommitted(listener) {
        committedListeners.push(listener);
      },
      async close() {
        stream.stop();
        await dispatcher.stop();
        for (const close of closers.reverse()) {
          try {
            await close();
          } catch (err) {
            log.warn({ err }, 'error while closing');
          }
        }
      },
    };
    return ctx;
  } catch (err) {
    for (const close of closers.reverse()) await close().catch(() => {});
    throw err;
  }
}
