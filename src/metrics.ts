import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { JobQueue } from './jobs/queue.js';

/** Prometheus metrics of one app instance (its own registry: several apps may share a process in tests). */
export interface Metrics {
  registry: Registry;
  httpDuration: Histogram<'method' | 'route' | 'status'>;
  wsConnections: Gauge;
  wsMessagesSent: Counter;
  bidsAccepted: Counter;
  outboxDispatched: Counter;
  clearingSeconds: Histogram<'outcome'>;
  bidBatchSize: Histogram;
}

export function createMetrics(queue: JobQueue): Metrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'lendbook_' });
  const metrics: Metrics = {
    registry,
    httpDuration: new Histogram({
      name: 'lendbook_http_request_duration_seconds',
      help: 'HTTP request latency by route',
      labelNames: ['method', 'route', 'status'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers: [registry],
    }),
    wsConnections: new Gauge({ name: 'lendbook_ws_connections', help: 'Open WebSocket connections', registers: [registry] }),
    wsMessagesSent: new Counter({ name: 'lendbook_ws_messages_sent_total', help: 'WebSocket frames sent', registers: [registry] }),
    bidsAccepted: new Counter({ name: 'lendbook_bids_accepted_total', help: 'Bids accepted', registers: [registry] }),
    outboxDispatched: new Counter({ name: 'lendbook_outbox_dispatched_total', help: 'Outbox rows dispatched by this node', registers: [registry] }),
    clearingSeconds: new Histogram({
      name: 'lendbook_listing_clearing_seconds',
      help: 'Time to close a listing (clear or fail), in its transaction',
      labelNames: ['outcome'],
      buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30],
      registers: [registry],
    }),
    bidBatchSize: new Histogram({ name: 'lendbook_bid_batch_size', help: 'Bids committed together in one transaction (group commit)', buckets: [1, 2, 5, 10, 20, 50, 100, 200], registers: [registry] }),
  };
  new Gauge({
    name: 'lendbook_queue_jobs',
    help: 'Jobs in the queue by state',
    labelNames: ['state'],
    registers: [registry],
    async collect() {
      try {
        const d = await queue.depth();
        for (const [state, n] of Object.entries(d)) this.set({ state }, n);
      } catch {
        // the queue being down shows in /readyz; the scrape itself must not fail
      }
    },
  });
  return metrics;
}
