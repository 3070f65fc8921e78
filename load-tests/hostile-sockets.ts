/**
 * k6: the bench's scenario 7 against your own deployment. SOCKETS hostile sockets each subscribe to
 * `listings` and up to 8 listings (9 subscriptions), then keep churning — unsubscribe, subscribe again
 * (a fresh snapshot each time), and every tenth message a malformed frame (nested 5,000 deep, a float
 * amount, `__proto__`) — while READERS other clients read GET /api/v1/listings. The threshold is the
 * target: those reads keep p99 under 250 ms.
 *
 *   k6 run -e BASE_URL=https://lendbook.example.com -e LISTING_IDS=lst_a,lst_b,… load-tests/hostile-sockets.ts
 *
 * Sockets from one load generator share its address: raise the per-address caps for the test
 * (`PUT /api/v1/admin/settings` with wsMaxSocketsPerAddress and wsMaxSubscriptionsPerAddress), or run k6
 * from several machines, as an attack from many addresses would come.
 *
 * Environment (-e NAME=value):
 *   BASE_URL      the deployment (default http://localhost:3000); WS_URL defaults to it with ws(s)://
 *   LISTING_IDS   open listings to subscribe to (comma-separated, up to 8)
 *   SOCKETS       hostile sockets (default 2000); RATE messages per socket per second (default 2)
 *   READERS       clients reading the market list (default 10); DURATION (default 60s); RAMP (default 30s)
 */
import { check, sleep } from 'k6';
import exec from 'k6/execution';
import http from 'k6/http';
import { Counter, Trend } from 'k6/metrics';
import type { Options } from 'k6/options';
import { setInterval, setTimeout, clearInterval } from 'k6/timers';
import { WebSocket } from 'k6/websockets';

const BASE_URL = (__ENV.BASE_URL ?? 'http://localhost:3000').replace(/\/$/, '');
const WS_URL = (__ENV.WS_URL ?? BASE_URL.replace(/^http/, 'ws')).replace(/\/$/, '');
const LISTING_IDS = (__ENV.LISTING_IDS ?? '').split(',').map((s) => s.trim()).filter(Boolean).slice(0, 8);
const SOCKETS = Number(__ENV.SOCKETS ?? 2000);
const RATE = Number(__ENV.RATE ?? 2);
const READERS = Number(__ENV.READERS ?? 10);
const DURATION = __ENV.DURATION ?? '60s';
const RAMP = __ENV.RAMP ?? '30s';

const readLatency = new Trend('market_read_ms', true);
const hostileSent = new Counter('hostile_messages_sent');
const serverErrors = new Counter('hostile_error_answers');

const HOSTILE_FRAMES = ['['.repeat(5000) + '1.5' + ']'.repeat(5000), '{"op":"bid","ref":"x","listingId":"lst_0000000000","amountMinor":1.5,"rateBps":1e3}', '{"op":"subscribe","channel":"listings","__proto__":{"polluted":1}}'];

function seconds(d: string): number {
  const m = /^(\d+)(s|m)$/.exec(d);
  return m ? Number(m[1]) * (m[2] === 'm' ? 60 : 1) : 60;
}

export const options: Options = {
  scenarios: {
    hostile: { executor: 'per-vu-iterations', vus: SOCKETS, iterations: 1, maxDuration: `${seconds(RAMP) + seconds(DURATION) + 30}s`, exec: 'hostile' },
    readers: { executor: 'constant-vus', vus: READERS, duration: DURATION, startTime: RAMP, exec: 'read' },
  },
  thresholds: {
    market_read_ms: ['p(99)<250'],
    'checks{check:market read ok}': ['rate>0.99'],
  },
  summaryTrendStats: ['avg', 'med', 'p(90)', 'p(99)', 'max'],
};

/** One hostile socket: subscribe to every channel, then churn until the readers are done. */
export function hostile(): void {
  const channels = ['listings', ...LISTING_IDS.map((id) => `listing:${id}`)];
  const ws = new WebSocket(`${WS_URL}/api/v1/ws`);
  let k = exec.vu.idInTest;
  let churn: ReturnType<typeof setInterval> | undefined;
  ws.onopen = () => {
    for (const channel of channels) ws.send(JSON.stringify({ op: 'subscribe', channel }));
    churn = setInterval(() => {
      const channel = channels[k % channels.length]!;
      ws.send(k % 10 === 9 ? HOSTILE_FRAMES[k % HOSTILE_FRAMES.length]! : JSON.stringify({ op: k % 2 === 0 ? 'unsubscribe' : 'subscribe', channel }));
      hostileSent.add(1);
      k++;
    }, 1000 / RATE);
  };
  ws.onmessage = (e) => {
    if (e && typeof e.data === 'string' && e.data.startsWith('{"type":"error"')) serverErrors.add(1);
  };
  setTimeout(() => {
    if (churn !== undefined) clearInterval(churn);
    ws.close();
  }, (seconds(RAMP) + seconds(DURATION)) * 1000);
}

/** Another client reading the market list, as any visitor does. */
export function read(): void {
  const r = http.get(`${BASE_URL}/api/v1/listings?limit=50`);
  readLatency.add(r.timings.duration);
  check(r, { 'market read ok': (x) => x.status === 200 });
  sleep(0.1);
}
