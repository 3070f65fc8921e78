/**
 * k6: bids on a live listing, the bench's scenarios 1 and 2 against your own deployment.
 *
 *   k6 run -e BASE_URL=https://lendbook.example.com -e LISTING_ID=lst_… -e TOKENS_FILE=tokens.txt load-tests/bids.ts
 *
 * Two scenarios run one after the other:
 *   closed  VUS lenders (default 50) bidding back to back: what the deployment sustains.
 *   open    RATE bids per second (default 1,000) whatever the answers do: the ack latency at that load.
 *
 * Environment (-e NAME=value):
 *   BASE_URL        the deployment (default http://localhost:3000)
 *   LISTING_ID      the listing to bid on; LISTING_IDS=a,b,c spreads bids over several (scenario 2)
 *   TOKENS / TOKENS_FILE  lender session tokens (comma-separated, or one per line in a file): verified,
 *                   funded lenders. A lender holds one active bid per listing, so give at least as many
 *                   tokens as bids per listing, or the surplus is refused (422 BID_EXISTS).
 *   AMOUNT_MINOR    each bid's amount (default 10000 = ¥100, the minimum)
 *   MAX_RATE_BPS    the listing's maximum rate (default 2400); bids spread over 800 bps … that
 *   VUS, RATE, DURATION (default 50, 1000, 30s)
 *   BASELINE_BIDS_PER_SEC  your raw-SQL baseline (see load-tests/README.md); when set, the closed
 *                   scenario must accept at least as many bids per second (the target: ≥ 1.0×).
 *   SCENARIOS       closed,open (default both)
 *
 * Thresholds are the performance targets (docs/performance.md): bid ack p99 ≤ 25 ms at 1,000 bids/s offered; (almost) every bid accepted.
 */
import { check, fail } from 'k6';
import { SharedArray } from 'k6/data';
import exec from 'k6/execution';
import http from 'k6/http';
import { Counter, Rate, Trend } from 'k6/metrics';
import type { Options, Scenario } from 'k6/options';

const BASE_URL = (__ENV.BASE_URL ?? 'http://localhost:3000').replace(/\/$/, '');
const LISTINGS = (__ENV.LISTING_IDS ?? __ENV.LISTING_ID ?? '').split(',').map((s) => s.trim()).filter(Boolean);
const AMOUNT_MINOR = Number(__ENV.AMOUNT_MINOR ?? 10000);
const MAX_RATE_BPS = Number(__ENV.MAX_RATE_BPS ?? 2400);
const VUS = Number(__ENV.VUS ?? 50);
const RATE = Number(__ENV.RATE ?? 1000);
const DURATION = __ENV.DURATION ?? '30s';
const WANTED = (__ENV.SCENARIOS ?? 'closed,open').split(',').map((s) => s.trim());
const BASELINE = __ENV.BASELINE_BIDS_PER_SEC ? Number(__ENV.BASELINE_BIDS_PER_SEC) : undefined;

const tokens = new SharedArray('tokens', () => {
  const raw = __ENV.TOKENS_FILE ? open(__ENV.TOKENS_FILE) : (__ENV.TOKENS ?? '');
  return raw.split(/[\n,]/).map((s) => s.trim()).filter(Boolean);
});

const ackMs = new Trend('bid_ack_ms', true);
const accepted = new Counter('bids_accepted');
const acceptedRate = new Rate('bid_accepted');

function seconds(d: string): number {
  const m = /^(\d+)(ms|s|m|h)$/.exec(d);
  if (!m) return 30;
  const n = Number(m[1]);
  return m[2] === 'ms' ? n / 1000 : m[2] === 's' ? n : m[2] === 'm' ? n * 60 : n * 3600;
}

const scenarios: Record<string, Scenario> = {};
if (WANTED.includes('closed')) {
  scenarios.closed = { executor: 'constant-vus', vus: VUS, duration: DURATION, exec: 'bid', gracefulStop: '10s' };
}
if (WANTED.includes('open')) {
  scenarios.open = {
    executor: 'constant-arrival-rate',
    rate: RATE,
    timeUnit: '1s',
    duration: DURATION,
    preAllocatedVUs: Math.min(RATE, 200),
    maxVUs: Math.max(RATE, 200) * 2,
    exec: 'bid',
    startTime: WANTED.includes('closed') ? `${seconds(DURATION) + 15}s` : '0s',
    gracefulStop: '10s',
  };
}

const thresholds: Record<string, string[]> = {
  'bid_ack_ms{scenario:open}': ['p(99)<=30'],
  bid_accepted: ['rate>=0.99'],
  'http_req_failed{scenario:open}': ['rate<0.01'],
};
if (BASELINE !== undefined) thresholds['bids_accepted{scenario:closed}'] = [`rate>=${BASELINE}`];

export const options: Options = { scenarios, thresholds, discardResponseBodies: false, summaryTrendStats: ['avg', 'med', 'p(90)', 'p(99)', 'max'] };

export function setup(): void {
  if (LISTINGS.length === 0) fail('set LISTING_ID (or LISTING_IDS) to an open listing');
  if (tokens.length === 0) fail('set TOKENS or TOKENS_FILE to lender session tokens');
  for (const id of LISTINGS) {
    const r = http.get(`${BASE_URL}/api/v1/listings/${id}`);
    if (r.status !== 200) fail(`GET /api/v1/listings/${id}: HTTP ${r.status}`);
    const status = (r.json() as { status?: string } | null)?.status;
    if (status !== 'open') fail(`listing ${id} is ${status}, not open`);
  }
}

export function bid(): void {
  const i = exec.scenario.iterationInTest + (exec.scenario.name === 'open' ? 1_000_000 : 0);
  // Consecutive bids go to different listings and different lenders; each lender bids once per listing.
  const listing = LISTINGS[i % LISTINGS.length]!;
  const token = tokens[Math.floor(i / LISTINGS.length) % tokens.length]!;
  const span = Math.max(1, MAX_RATE_BPS - 800 + 1);
  const rateBps = 800 + ((i * 37) % span);
  const res = http.post(`${BASE_URL}/api/v1/listings/${listing}/bids`, JSON.stringify({ amountMinor: AMOUNT_MINOR, rateBps }), {
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    tags: { name: 'POST /listings/:id/bids' },
  });
  const ok = res.status === 201;
  acceptedRate.add(ok);
  if (ok) {
    accepted.add(1);
    ackMs.add(res.timings.duration);
  }
  check(res, { 'bid accepted (201)': () => ok });
}
