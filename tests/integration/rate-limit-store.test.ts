import { randomUUID } from 'node:crypto';
import { createRequire } from 'node:module';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import fc from 'fast-check';
import type { FastifyRateLimitStore } from '@fastify/rate-limit';
import { batchedRedisStore } from '../../src/http/rate-limit-store.js';
import { usingRedis } from './helpers/env.js';

// The plugin's own store, the reference: it is not exported, but it is the file the plugin itself loads.
const RedisStore = createRequire(import.meta.url)('@fastify/rate-limit/store/RedisStore.js') as new (continueExceeding: boolean, exponentialBackoff: boolean, redis: Redis, key: string) => FastifyRateLimitStore;

type Answer = { current: number; ttl: number } | undefined;

function incr(store: FastifyRateLimitStore, key: string, timeWindowMs: number, max: number): Promise<Answer> {
  return new Promise((resolve, reject) => store.incr(key, (err, res) => (err ? reject(err) : resolve(res)), timeWindowMs, max));
}

describe.runIf(usingRedis)('the rate-limit store that counts a whole event-loop turn in one call (Redis)', () => {
  let redis: Redis;
  beforeAll(() => {
    redis = new Redis(process.env.REDIS_URL!);
  });
  afterAll(async () => {
    redis?.disconnect();
  });

  it('counts every request of one turn, the same key several times in order, as the plugin’s own store does one by one', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.record({ key: fc.constantFrom('a', 'b', 'c'), max: fc.integer({ min: 1, max: 4 }) }), { minLength: 1, maxLength: 30 }),
        fc.constantFrom([false, false], [true, false], [false, true]),
        async (calls, [continueExceeding, exponentialBackoff]) => {
          const run = randomUUID();
          const Batched = batchedRedisStore(redis, `test:rl:${run}:batched:`);
          const batched = new Batched({ continueExceeding, exponentialBackoff });
          const reference = new RedisStore(continueExceeding, exponentialBackoff, redis, `test:rl:${run}:reference:`);
          // All in one turn for the batched store; one after another for the reference.
          const together = await Promise.all(calls.map((c) => incr(batched, c.key, 60_000, c.max)));
          const alone: Answer[] = [];
          for (const c of calls) alone.push(await incr(reference, c.key, 60_000, c.max));
          expect(together.map((a) => a!.current)).toEqual(alone.map((a) => a!.current));
          // The window left is the same up to the few milliseconds between the two runs.
          together.forEach((a, i) => expect(Math.abs(a!.ttl - alone[i]!.ttl)).toBeLessThanOrEqual(1000));
        },
      ),
      { numRuns: 25 },
    );
  });

  it('keeps each route’s counters apart, under the plugin’s own key layout', async () => {
    const run = randomUUID();
    const Batched = batchedRedisStore(redis, `test:rl:${run}:`);
    const root = new Batched({});
    const bids = root.child({ routeInfo: { method: 'POST', url: '/listings/:id/bids' } } as never);
    const login = root.child({ routeInfo: { method: 'POST', url: '/login' } } as never);
    const [a, b, c] = await Promise.all([incr(bids, 'u1', 60_000, 5), incr(bids, 'u1', 60_000, 5), incr(login, 'u1', 60_000, 5)]);
    expect([a!.current, b!.current, c!.current]).toEqual([1, 2, 1]);
    expect(await redis.get(`test:rl:${run}:POST/listings/:id/bids-u1`)).toBe('2');
    expect(await redis.pttl(`test:rl:${run}:POST/login-u1`)).toBeGreaterThan(50_000);
  });

  it('answers every waiting request with the error when Redis refuses the call', async () => {
    const broken = new Redis(process.env.REDIS_URL!, { maxRetriesPerRequest: 0, lazyConnect: true, retryStrategy: () => null });
    broken.disconnect();
    const Batched = batchedRedisStore(broken, 'test:rl:broken:');
    const store = new Batched({});
    const results = await Promise.allSettled([incr(store, 'x', 60_000, 5), incr(store, 'y', 60_000, 5)]);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected']);
  });
});
