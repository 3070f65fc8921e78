import type { Redis } from 'ioredis';
import type { OutboxMessage } from '../db/schema/index.js';

/** One dispatched outbox row: its contiguous dispatch number and its messages. */
export interface BusEnvelope {
  dispatchSeq: number;
  messages: OutboxMessage[];
}

export type BusListener = (envelopes: BusEnvelope[]) => void;

/**
 * Carries dispatched outbox rows to every node: Redis pub/sub between server instances, or a direct call
 * in one process. Delivery is best effort; the event stream fills gaps from the outbox table.
 */
export interface EventBus {
  readonly kind: 'redis' | 'local';
  publish(envelopes: BusEnvelope[]): Promise<void>;
  subscribe(listener: BusListener): () => void;
  ping(): Promise<void>;
  close(): Promise<void>;
}

export function localBus(): EventBus {
  const listeners = new Set<BusListener>();
  return {
    kind: 'local',
    async publish(envelopes) {
      for (const l of listeners) l(envelopes);
    },
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    async ping() {},
    async close() {
      listeners.clear();
    },
  };
}

export function redisBus(opts: { connect: (purpose: string) => Redis; prefix: string; onError?: (err: unknown) => void }): EventBus {
  const channel = `${opts.prefix}:bus`;
  const pub = opts.connect('bus-pub');
  const sub = opts.connect('bus-sub');
  const listeners = new Set<BusListener>();
  sub.on('message', (ch: string, payload: string) => {
    if (ch !== channel) return;
    let envelopes: BusEnvelope[];
    try {
      envelopes = JSON.parse(payload) as BusEnvelope[];
    } catch (err) {
      opts.onError?.(err);
      return;
    }
    // A listener's failure must not escape into the Redis client's event emitter (an uncaught exception).
    for (const l of listeners) {
      try {
        l(envelopes);
      } catch (err) {
        opts.onError?.(err);
      }
    }
  });
  const subscribed = sub.subscribe(channel);
  subscribed.catch((err: unknown) => opts.onError?.(err));
  return {
    kind: 'redis',
    async publish(envelopes) {
      if (envelopes.length) await pub.publish(channel, JSON.stringify(envelopes));
    },
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    async ping() {
      await subscribed;
      await pub.ping();
    },
    async close() {
      listeners.clear();
      sub.disconnect();
      pub.disconnect();
    },
  };
}
