/**
 * k6: the read path, the bench's scenario 4 against your own deployment: the market list as the app's
 * home page asks for it, by many clients at once.
 *
 *   k6 run -e BASE_URL=https://lendbook.example.com load-tests/browse.ts
 *
 * Environment (-e NAME=value):
 *   BASE_URL      the deployment (default http://localhost:3000)
 *   PATH_QUERY    what to read (default /api/v1/listings?limit=50; needs ≥ 50 listings to be meaningful)
 *   VUS           concurrent clients (default 50), DURATION (default 30s)
 *   LISTING_ID    also read one listing's page (GET /api/v1/listings/:id) every 10th request
 *   BASELINE_RPS  requests/s of a bare server returning the same JSON from memory on the same machines
 *                 (see load-tests/README.md); when set, Lendbook must reach 0.8× of it (the target)
 *   P99_MS        the p99 the list must stay under (default 100)
 */
import { check, fail } from 'k6';
import exec from 'k6/execution';
import http from 'k6/http';
import { Counter } from 'k6/metrics';
import type { Options } from 'k6/options';

const BASE_URL = (__ENV.BASE_URL ?? 'http://localhost:3000').replace(/\/$/, '');
const PATH_QUERY = __ENV.PATH_QUERY ?? '/api/v1/listings?limit=50';
const VUS = Number(__ENV.VUS ?? 50);
const DURATION = __ENV.DURATION ?? '30s';
const LISTING_ID = __ENV.LISTING_ID;
const BASELINE = __ENV.BASELINE_RPS ? Number(__ENV.BASELINE_RPS) : undefined;
const P99_MS = Number(__ENV.P99_MS ?? 100);

const listReads = new Counter('list_reads');

const thresholds: Record<string, string[]> = {
  'http_req_duration{name:list}': [`p(99)<${P99_MS}`],
  http_req_failed: ['rate<0.01'],
  checks: ['rate>0.99'],
};
if (BASELINE !== undefined) thresholds.list_reads = [`rate>=${0.8 * BASELINE}`];

export const options: Options = {
  scenarios: { browse: { executor: 'constant-vus', vus: VUS, duration: DURATION } },
  thresholds,
  summaryTrendStats: ['avg', 'med', 'p(90)', 'p(99)', 'max'],
};

export function setup(): void {
  const r = http.get(`${BASE_URL}${PATH_QUERY}`);
  if (r.status !== 200) fail(`GET ${PATH_QUERY}: HTTP ${r.status}`);
}

export default function (): void {
  if (LISTING_ID && exec.scenario.iterationInTest % 10 === 9) {
    const one = http.get(`${BASE_URL}/api/v1/listings/${LISTING_ID}`, { tags: { name: 'listing' } });
    check(one, { 'listing 200': (r) => r.status === 200 });
    return;
  }
  const res = http.get(`${BASE_URL}${PATH_QUERY}`, { tags: { name: 'list' } });
  listReads.add(1);
  check(res, {
    'list 200': (r) => r.status === 200,
    'list has items': (r) => {
      const body = r.json() as { items?: unknown[] } | null;
      return Array.isArray(body?.items) && body.items.length > 0;
    },
  });
}
