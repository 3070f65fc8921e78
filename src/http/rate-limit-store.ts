import type { FastifyRateLimitStore, FastifyRateLimitStoreCtor } from '@fastify/rate-limit';
import type { Redis } from 'ioredis';

/**
 * @fastify/rate-limit's Redis store runs one script per request. Its steps are kept here as they are, for
 * every key of a call: KEYS are the counters, ARGV four values per key (window ms, max,
 * continueExceeding, exponentialBackoff), and the answer is the count and the window left, two per key.
 * The same key twice in one call is counted twice, in order.
 */
const INCR_MANY_LUA = `
local out = {}
for i, key in ipairs(KEYS) do
  local base = (i - 1) * 4
  local timeWindow = tonumber(ARGV[base + 1])
  local max = tonumber(ARGV[base + 2])
  local continueExceeding = ARGV[base + 3] == 'true'
  local exponentialBackoff = ARGV[base + 4] == 'true'
  local current = redis.call('INCR', key)
  if current == 1 or (continueExceeding and current > max) then
    redis.call('PEXPIRE', key, timeWindow)
  elseif exponentialBackoff and current > max then
    timeWindow = math.min(timeWindow * (2 ^ (current - max - 1)), (2 ^ 53) - 1)
    redis.call('PEXPIRE', key, timeWindow)
  else
    timeWindow = redis.call('PTTL', key)
  end
  out[2 * i - 1] = current
  out[2 * i] = timeWindow
end
return out`;

const MAX_KEYS_PER_CALL = 500;

type IncrCallback = Parameters<FastifyRateLimitStore['incr']>[1];

interface Pending {
  key: string;
  timeWindowMs: number;
  max: number;
  continueExceeding: boolean;
  exponentialBackoff: boolean;
  cb: IncrCallback;
}

interface RedisWithIncrMany extends Redis {
  lbRateLimitMany(numKeys: number, ...args: (string | number)[]): Promise<number[]>;
}

/**
 * What @fastify/rate-limit hands a store: its global parameters to the constructor, a route's merged
 * ones to child() (with the route's method and url, which its own type declarations leave out).
 */
interface StoreParams {
  continueExceeding?: boolean;
  exponentialBackoff?: boolean;
  routeInfo?: { method: string; url: string };
}

/**
 * A store for @fastify/rate-limit that counts in Redis like its own, but sends the counters of every
 * request that arrived in one turn of the event loop as one script call: a busy node bidding for 50
 * clients pays one command and one reply per turn instead of one per request. Multi-key scripts need
 * one Redis (or one hash slot on a cluster), which is what Lendbook uses.
 */
export function batchedRedisStore(redis: Redis, prefix: string): FastifyRateLimitStoreCtor {
  const client = redis as RedisWithIncrMany;
  if (!client.lbRateLimitMany) client.defineCommand('lbRateLimitMany', { lua: INCR_MANY_LUA });
  let queue: Pending[] = [];

  function flush(): void {
    const waiting = queue;
    queue = [];
    // A few hundred counters per call at most: one script call holds Redis for its whole length.
    for (let from = 0; from < waiting.length; from += MAX_KEYS_PER_CALL) send(waiting.slice(from, from + MAX_KEYS_PER_CALL));
  }

  function send(batch: Pending[]): void {
    const fail = (err: Error) => {
      for (const p of batch) p.cb(err);
    };
    try {
      const args: (string | number)[] = [];
      for (const p of batch) args.push(p.key);
      for (const p of batch) args.push(p.timeWindowMs, p.max, String(p.continueExceeding), String(p.exponentialBackoff));
      client.lbRateLimitMany(batch.length, ...args).then((out) => {
        for (let i = 0; i < batch.length; i++) batch[i]!.cb(null, { current: Number(out[2 * i]), ttl: Number(out[2 * i + 1]) });
      }, fail);
    } catch (err) {
      // A timer callback must not throw: each request waiting here gets the error (answered 503).
      fail(err instanceof Error ? err : new Error(String(err)));
    }
  }

  return class BatchedRedisStore implements FastifyRateLimitStore {
    private readonly continueExceeding: boolean;
    private readonly exponentialBackoff: boolean;

    constructor(
      params: unknown = {},
      private readonly key = prefix,
    ) {
      const p = params as StoreParams;
      this.continueExceeding = p.continueExceeding ?? false;
      this.exponentialBackoff = p.exponentialBackoff ?? false;
    }

    incr(key: string, cb: IncrCallback, timeWindowMs: number, max: number): void {
      queue.push({ key: this.key + key, timeWindowMs, max, continueExceeding: this.continueExceeding, exponentialBackoff: this.exponentialBackoff, cb });
      // Every request read in this turn has asked by the time the loop checks its immediates.
      if (queue.length === 1) setImmediate(flush);
    }

    child(routeOptions: Parameters<FastifyRateLimitStore['child']>[0]): FastifyRateLimitStore {
      // The plugin's own key layout (a limiter made with createRateLimit has an empty routeInfo).
      const { routeInfo } = routeOptions as unknown as Required<StoreParams>;
      return new BatchedRedisStore(routeOptions, `${this.key}${routeInfo.method}${routeInfo.url}-`);
    }
  };
}
