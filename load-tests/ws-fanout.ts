/**
 * k6: WebSocket fan-out, the bench's scenario 3 against your own deployment: WATCHERS sockets subscribe
 * to one listing while bids arrive on it over HTTP; each watcher times every `bid.accepted` it receives
 * from the moment the bid was sent.
 *
 *   k6 run -e BASE_URL=https://lendbook.example.com -e LISTING_ID=lst_… -e TOKENS_FILE=tokens.txt load-tests/ws-fanout.ts
 *
 * How a watcher knows when a bid was sent (VUs share no memory): the bidder encodes the send time in the
 * bid's rate, `rateBps = RATE_FLOOR_BPS + (sendMs mod M)` with M = min(2000, MAX_RATE_BPS − RATE_FLOOR_BPS + 1),
 * and the watcher decodes it from the event (same k6 process, same clock). Latencies of M ms or more
 * wrap around, so this script measures latencies below 2 s, which is all the threshold is about.
 * Use a fresh ¥1,000,000 listing whose maximum rate is at least RATE_FLOOR_BPS + 1999 and no grade floor
 * above RATE_FLOOR_BPS.
 *
 * Environment (-e NAME=value):
 *   BASE_URL         the deployment (default http://localhost:3000); WS_URL defaults to it with ws(s)://
 *   LISTING_ID       the watched listing
 *   TOKENS / TOKENS_FILE  lender session tokens for the bidder (one bid per lender on the listing: give
 *                    at least BID_RATE × DURATION of them). Watchers are anonymous unless WATCHER_TOKENS is
 *                    set (then socket i uses token i, like the bench's authenticated sockets).
 *   WATCHERS         sockets (default 1000; 10,000 sockets need a large load generator or several k6)
 *   BID_RATE         bids per second during the test (default 20: 20,000 deliveries/s to 1,000 watchers,
 *                    the bench's fixed-rate load)
 *   DURATION         how long bids arrive (default 30s); RAMP how long watchers get to connect (default 20s)
 *   AMOUNT_MINOR     each bid's amount (default 10000); MAX_RATE_BPS (default 2400); RATE_FLOOR_BPS (default 100)
 *   BASELINE_DELIVERIES_PER_SEC  a bare broadcast's deliveries/s on the same machines: when set, Lendbook
 *                    must reach 0.8× of it (the target).
 *
 * Thresholds are the performance targets: event→client p99 ≤ 50 ms with 1,000 watchers; `seq` contiguous.
 */
import { fail } from 'k6';
import { SharedArray } from 'k6/data';
import exec from 'k6/execution';
import http from 'k6/http';
import { Counter, Rate, Trend } from 'k6/metrics';
import type { Options } from 'k6/options';
import { setTimeout } from 'k6/timers';
import { WebSocket } from 'k6/websockets';

const BASE_URL = (__ENV.BASE_URL ?? 'http://localhost:3000').replace(/\/$/, '');
const WS_URL = (__ENV.WS_URL ?? BASE_URL.replace(/^http/, 'ws')).replace(/\/$/, '');
const LISTING_ID = __ENV.LISTING_ID ?? '';
const WATCHERS = Number(__ENV.WATCHERS ?? 1000);
const BID_RATE = Number(__ENV.BID_RATE ?? 20);
const DURATION = __ENV.DURATION ?? '30s';
const RAMP = __ENV.RAMP ?? '20s';
const AMOUNT_MINOR = Number(__ENV.AMOUNT_MINOR ?? 10000);
const MAX_RATE_BPS = Number(__ENV.MAX_RATE_BPS ?? 2400);
const RATE_FLOOR_BPS = Number(__ENV.RATE_FLOOR_BPS ?? 100);
const MOD = Math.max(1, Math.min(2000, MAX_RATE_BPS - RATE_FLOOR_BPS + 1));
const BASELINE = __ENV.BASELINE_DELIVERIES_PER_SEC ? Number(__ENV.BASELINE_DELIVERIES_PER_SEC) : undefined;

function seconds(d: string): number {
  const m = /^(\d+)(ms|s|m|h)$/.exec(d);
  if (!m) return 30;
  const n = Number(m[1]);
  return m[2] === 'ms' ? n / 1000 : m[2] === 's' ? n : m[2] === 'm' ? n * 60 : n * 3600;
}

function lines(raw: string): string[] {
  return raw.split(/[\n,]/).map((s) => s.trim()).filter(Boolean);
}
const bidderTokens = new SharedArray('bidder tokens', () => lines(__ENV.TOKENS_FILE ? open(__ENV.TOKENS_FILE) : (__ENV.TOKENS ?? '')));
const watcherTokens = new SharedArray('watcher tokens', () => lines(__ENV.WATCHER_TOKENS_FILE ? open(__ENV.WATCHER_TOKENS_FILE) : (__ENV.WATCHER_TOKENS ?? '')));

const latency = new Trend('ws_event_latency_ms', true);
const deliveries = new Counter('ws_deliveries');
const frames = new Counter('ws_frames');
const gaps = new Counter('ws_seq_gaps');
const subscribed = new Rate('ws_subscribed');
const bidAccepted = new Rate('bid_accepted');

const watchMs = (seconds(RAMP) + seconds(DURATION) + 5) * 1000;

const thresholds: Record<string, string[]> = {
  ws_event_latency_ms: ['p(99)<=50'],
  ws_seq_gaps: ['count==0'],
  ws_subscribed: ['rate>=0.99'],
  bid_accepted: ['rate>=0.95'],
};
if (BASELINE !== undefined) thresholds.ws_deliveries = [`rate>=${0.8 * BASELINE}`];

export const options: Options = {
  scenarios: {
    watchers: { executor: 'per-vu-iterations', vus: WATCHERS, iterations: 1, maxDuration: `${Math.ceil(watchMs / 1000) + 30}s`, exec: 'watch' },
    bidder: {
      executor: 'constant-arrival-rate',
      rate: BID_RATE,
      timeUnit: '1s',
      duration: DURATION,
      startTime: RAMP,
      preAllocatedVUs: Math.max(5, Math.ceil(BID_RATE / 10)),
      maxVUs: Math.max(50, BID_RATE * 2),
      exec: 'bid',
    },
  },
  thresholds,
  summaryTrendStats: ['avg', 'med', 'p(90)', 'p(99)', 'max'],
};

export function setup(): void {
  if (!LISTING_ID) fail('set LISTING_ID to an open listing');
  if (bidderTokens.length === 0) fail('set TOKENS or TOKENS_FILE to lender session tokens for the bidder');
  const r = http.get(`${BASE_URL}/api/v1/listings/${LISTING_ID}`);
  if (r.status !== 200) fail(`GET /api/v1/listings/${LISTING_ID}: HTTP ${r.status}`);
}

interface Item {
  seq: number;
  event: string;
  data: { rateBps?: number };
}
interface Message {
  type: string;
  channel?: string;
  seq?: number;
  event?: string;
  data?: { rateBps?: number };
  items?: Item[];
}

/** One watcher: subscribe, check seq contiguity, time each bid.accepted. */
export function watch(): void {
  const i = exec.vu.idInTest - 1;
  const token = watcherTokens.length ? watcherTokens[i % watcherTokens.length] : undefined;
  const ws = new WebSocket(`${WS_URL}/api/v1/ws${token ? `?token=${encodeURIComponent(token)}` : ''}`);
  const channel = `listing:${LISTING_ID}`;
  let last = -1;
  ws.onopen = () => ws.send(JSON.stringify({ op: 'subscribe', channel }));
  ws.onmessage = (e) => {
    const now = Date.now();
    if (!e || typeof e.data !== 'string') return;
    const m = JSON.parse(e.data) as Message;
    if (m.channel !== channel) return;
    if (m.type === 'snapshot') {
      last = m.seq ?? 0;
      subscribed.add(true);
      return;
    }
    if (m.type === 'error') {
      subscribed.add(false);
      return;
    }
    const items: Item[] = m.type === 'event' ? [{ seq: m.seq ?? -1, event: m.event ?? '', data: m.data ?? {} }] : m.type === 'batch' ? (m.items ?? []) : [];
    if (items.length === 0) return;
    frames.add(1);
    for (const it of items) {
      if (last >= 0 && it.seq !== last + 1) gaps.add(1);
      last = it.seq;
      deliveries.add(1);
      if (it.event === 'bid.accepted' && typeof it.data.rateBps === 'number') {
        const sentMod = it.data.rateBps - RATE_FLOOR_BPS;
        if (sentMod >= 0 && sentMod < MOD) latency.add((((now % MOD) - sentMod) % MOD + MOD) % MOD);
      }
    }
  };
  ws.onerror = () => subscribed.add(false);
  setTimeout(() => ws.close(), watchMs);
}

/** The bidder: one bid per lender, its send time in the rate. */
export function bid(): void {
  const i = exec.scenario.iterationInTest;
  const token = bidderTokens[i % bidderTokens.length]!;
  const rateBps = RATE_FLOOR_BPS + (Date.now() % MOD);
  const res = http.post(`${BASE_URL}/api/v1/listings/${LISTING_ID}/bids`, JSON.stringify({ amountMinor: AMOUNT_MINOR, rateBps }), {
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    tags: { name: 'POST /listings/:id/bids' },
  });
  bidAccepted.add(res.status === 201);
}
