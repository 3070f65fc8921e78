/** The bench's knobs, all from the environment, with defaults that finish well under 10 minutes on 2 cores. */

export const SCENARIOS = ['hot', 'spread', 'read', 'ws', 'memory', 'clearing', 'hostile', 'autobid'] as const;
export type ScenarioName = (typeof SCENARIOS)[number];

export interface BenchConfig {
  /** Use this database as is (not created, not dropped); otherwise a fresh lendbook_bench_<timestamp>. */
  databaseUrl: string | undefined;
  /** Where a fresh bench database is created and dropped. */
  pgAdminUrl: string;
  redisUrl: string;
  /** Seconds of each measured run (hot, spread, read). */
  seconds: number;
  /** Runs of each measurement; the table quotes the median. */
  runs: number;
  warmupSeconds: number;
  /** Concurrent clients of the closed-loop bid runs, HTTP and raw SQL alike. */
  concurrency: number;
  /** Offered load of the open-loop bid runs, bids per second. */
  openRate: number;
  /** Lenders seeded directly in the database (each bids at most once per listing). */
  lenders: number;
  /** Subscriber counts of the WebSocket fan-out. */
  wsSizes: number[];
  wsSeconds: number;
  /** Offered load of the fixed-rate WebSocket runs, in deliveries per second: events/s = this ÷ subscribers. */
  wsDeliveries: number;
  /** Deliveries in flight in the saturating WebSocket runs: events in flight = this ÷ subscribers (at least 1);
   * the next event is sent when an earlier one has reached every subscriber. */
  wsWindowDeliveries: number;
  /** Sockets opened at once while connecting thousands. */
  wsOpenConcurrency: number;
  /** Idle authenticated sockets of the memory scenario. */
  memorySockets: number;
  readConnections: number;
  clearingBids: number;
  /** How the clearing listing gets its bids: all through the API, API then SQL for the rest, or all SQL. */
  clearingVia: 'api' | 'auto' | 'sql';
  clearingApiSeconds: number;
  scenarios: Set<ScenarioName>;
  writeDocs: boolean;
  keepDb: boolean;
  /** Run the server's TypeScript through tsx (as tests do) instead of the compiled dist/ that production runs. */
  serverViaTsx: boolean;
  /** Before starting, wait up to this many seconds for the machine to be quiet (other work skews every figure). */
  waitQuietSeconds: number;
}

function int(name: string, fallback: number, min: number, max: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw.trim() === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max) throw new Error(`${name} must be an integer within ${min}..${max}, got '${raw}'`);
  return n;
}

function bool(name: string, fallback: boolean): boolean {
  const raw = process.env[name];
  if (raw === undefined || raw.trim() === '') return fallback;
  return ['1', 'true', 'on', 'yes'].includes(raw.trim().toLowerCase());
}

function clearingVia(): BenchConfig['clearingVia'] {
  const v = (process.env.BENCH_CLEARING_VIA ?? 'auto').trim();
  if (v !== 'api' && v !== 'auto' && v !== 'sql') throw new Error(`BENCH_CLEARING_VIA must be api, auto or sql, got '${v}'`);
  return v;
}

export function loadBenchConfig(): BenchConfig {
  const wsSizes = (process.env.BENCH_WS_SIZES ?? '1000,10000')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
    .map((s) => {
      const n = Number(s);
      if (!Number.isInteger(n) || n < 1 || n > 15000) throw new Error(`BENCH_WS_SIZES: '${s}' must be an integer within 1..15000`);
      return n;
    });
  const wanted = (process.env.BENCH_SCENARIOS ?? SCENARIOS.join(','))
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  for (const s of wanted) if (!(SCENARIOS as readonly string[]).includes(s)) throw new Error(`BENCH_SCENARIOS: unknown scenario '${s}' (known: ${SCENARIOS.join(', ')})`);
  const memorySockets = int('BENCH_MEMORY_SOCKETS', 10_000, 1, 15_000);
  const clearingBids = int('BENCH_CLEARING_BIDS', 10_000, 1, 10_000);
  const maxSockets = Math.max(memorySockets, ...wsSizes);
  const lenders = int('BENCH_LENDERS', Math.max(12_000, maxSockets, clearingBids), 100, 200_000);
  if (lenders < maxSockets) throw new Error(`BENCH_LENDERS (${lenders}) must be at least the largest socket count (${maxSockets}): every socket has its own lender`);
  return {
    databaseUrl: process.env.DATABASE_URL?.trim() || undefined,
    pgAdminUrl: process.env.BENCH_PG_ADMIN_URL?.trim() || 'postgres://postgres@127.0.0.1:5432/postgres',
    redisUrl: process.env.REDIS_URL?.trim() || 'redis://127.0.0.1:6379',
    seconds: int('BENCH_SECONDS', 5, 1, 600),
    runs: int('BENCH_RUNS', 3, 1, 20),
    warmupSeconds: int('BENCH_WARMUP_SECONDS', 2, 0, 60),
    concurrency: int('BENCH_CONCURRENCY', 50, 1, 80),
    openRate: int('BENCH_OPEN_RATE', 1000, 1, 100_000),
    lenders,
    wsSizes,
    wsSeconds: int('BENCH_WS_SECONDS', 3, 1, 600),
    wsDeliveries: int('BENCH_WS_DELIVERIES', 20_000, 1, 10_000_000),
    wsWindowDeliveries: int('BENCH_WS_WINDOW_DELIVERIES', 16_000, 1, 10_000_000),
    wsOpenConcurrency: int('BENCH_WS_OPEN_CONCURRENCY', 200, 1, 5000),
    memorySockets,
    readConnections: int('BENCH_READ_CONNECTIONS', 50, 1, 1000),
    clearingBids,
    clearingVia: clearingVia(),
    clearingApiSeconds: int('BENCH_CLEARING_API_SECONDS', 10, 1, 600),
    scenarios: new Set(wanted as ScenarioName[]),
    writeDocs: bool('BENCH_WRITE_DOCS', true),
    keepDb: bool('BENCH_KEEP_DB', false),
    serverViaTsx: bool('BENCH_SERVER_TSX', false),
    waitQuietSeconds: int('BENCH_WAIT_QUIET_SECONDS', 0, 0, 3600),
  };
}
