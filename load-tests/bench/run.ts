/**
 * `npm run bench`: the performance harness. Starts the real server as its own process on
 * PostgreSQL and Redis, seeds what it needs, measures each scenario against a baseline taken in the same
 * run on the same machine, prints the table with ratios, writes bench-results/<ISO time>.json, and
 * rewrites the results block of docs/performance.md. Knobs: see load-tests/README.md (BENCH_*).
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import pg from 'pg';
import { loadBenchConfig, type BenchConfig } from './lib/config.js';
import { BID_MINOR, BorrowerPool, bidSender, rateOf, type BenchContext } from './lib/context.js';
import { adminQuery, baselineBid, createBaselineTables, createDatabase, dropBaselineTables, dropDatabase, seedLenders, withDatabase } from './lib/db.js';
import { HttpTarget, api, slowGetJson } from './lib/http.js';
import { ClientPool, closedLoop } from './lib/load.js';
import { startChild, type Child } from './lib/process.js';
import { markdownTable, textTable, updateDoc, type Row } from './lib/report.js';
import { autobidScenario } from './lib/scenario-autobid.js';
import { bidScenario } from './lib/scenario-bids.js';
import { clearingScenario } from './lib/scenario-clearing.js';
import { HOSTILE_LISTINGS, hostileScenario } from './lib/scenario-hostile.js';
import { readScenario } from './lib/scenario-read.js';
import { wsScenarios } from './lib/scenario-ws.js';
import { machineBusyPct, sleep } from './lib/stats.js';
import { BENCH_ADMIN, adminLogin, createListing, createPartner, seedBorrowers } from './lib/seed.js';

const ROOT = path.resolve(import.meta.dirname, '..', '..');
const startedAtMs = Date.now();

function log(message: string): void {
  const s = ((Date.now() - startedAtMs) / 1000).toFixed(1).padStart(6);
  process.stdout.write(`[${s}s] ${message}\n`);
}

function machine() {
  let cpuModel = os.cpus()[0]?.model ?? 'unknown';
  try {
    const m = /^model name\s*:\s*(.+)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'));
    if (m) cpuModel = m[1]!.trim();
  } catch {
    // not Linux
  }
  let osName = `${os.type()} ${os.release()}`;
  try {
    const m = /^PRETTY_NAME="?([^"\n]+)"?$/m.exec(readFileSync('/etc/os-release', 'utf8'));
    if (m) osName = `${m[1]} (kernel ${os.release()})`;
  } catch {
    // no os-release
  }
  return { cpuModel, cores: os.cpus().length, memoryGb: Math.round(os.totalmem() / 1024 ** 3), os: osName, arch: os.arch(), node: process.version };
}

function git(): { commit: string; dirty: boolean } {
  try {
    const commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: ROOT, encoding: 'utf8' }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain'], { cwd: ROOT, encoding: 'utf8' }).trim().length > 0;
    return { commit, dirty };
  } catch {
    return { commit: 'unknown', dirty: false };
  }
}

async function invariants(baseUrl: string, token: string): Promise<{ ok: boolean; failed: { name: string; detail: string }[]; ms: number }> {
  const t0 = Date.now();
  const r = await slowGetJson<{ ok: boolean; checks: { name: string; ok: boolean; detail: string }[] }>(baseUrl, '/api/v1/admin/invariants', token);
  if (r.status !== 200) throw new Error(`GET /api/v1/admin/invariants: HTTP ${r.status} ${r.text.slice(0, 300)}`);
  return { ok: r.json.ok, failed: r.json.checks.filter((c) => !c.ok).map((c) => ({ name: c.name, detail: c.detail })), ms: Date.now() - t0 };
}

async function cleanRedis(url: string, prefix: string): Promise<number> {
  const r = new Redis(url, { maxRetriesPerRequest: 2, lazyConnect: true });
  let n = 0;
  try {
    await r.connect();
    let cursor = '0';
    do {
      const [next, keys] = await r.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length) n += await r.del(...keys);
    } while (cursor !== '0');
  } finally {
    r.disconnect();
  }
  return n;
}

async function versions(databaseUrl: string, redisUrl: string): Promise<{ postgres: string; redis: string }> {
  const c = new pg.Client({ connectionString: databaseUrl });
  await c.connect();
  const v = (await c.query<{ v: string }>("select current_setting('server_version') as v")).rows[0]?.v ?? '?';
  const sync = (await c.query<{ s: string }>("select current_setting('synchronous_commit') as s")).rows[0]?.s ?? '?';
  await c.end();
  const r = new Redis(redisUrl, { maxRetriesPerRequest: 2 });
  const info = await r.info('server');
  r.disconnect();
  return { postgres: `${v} (synchronous_commit=${sync})`, redis: /redis_version:([^\r\n]+)/.exec(info)?.[1] ?? '?' };
}

async function main(): Promise<void> {
  const cfg = loadBenchConfig();
  const stamp = new Date(startedAtMs).toISOString();
  const tag = stamp.replace(/[-:]/g, '').replace(/\.\d+Z$/, 'z').toLowerCase(); // 20261129t190000z
  const ownDb = !cfg.databaseUrl;
  const dbName = `lendbook_bench_${tag}`;
  const databaseUrl = cfg.databaseUrl ?? withDatabase(cfg.pgAdminUrl, dbName);
  const redisPrefix = `lbbench-${tag}-${randomBytes(2).toString('hex')}`;
  const m = machine();
  log(`Lendbook bench — ${m.cpuModel}, ${m.cores} cores, ${m.memoryGb} GB, ${m.os}, Node ${m.node}`);
  if (cfg.waitQuietSeconds > 0) {
    const until = Date.now() + cfg.waitQuietSeconds * 1000;
    for (;;) {
      const busy = await machineBusyPct(3000);
      if (busy < 30) {
        log(`machine quiet (${busy}% busy over 3 s): starting`);
        break;
      }
      if (Date.now() > until) {
        log(`machine still ${busy}% busy after ${cfg.waitQuietSeconds} s: starting anyway`);
        break;
      }
      log(`machine ${busy}% busy (other work): waiting for it to quieten`);
      await sleep(7000);
    }
  }
  const benchStartMs = Date.now();
  const loadAtStart = os.loadavg().map((x) => Math.round(x * 100) / 100);
  log(`load average before the bench: ${loadAtStart.join(' ')} (other work on this machine skews every figure)`);
  log(`runs of ${cfg.seconds} s (WebSocket ${cfg.wsSeconds} s), ${cfg.runs} each; scenarios: ${[...cfg.scenarios].join(', ')}`);

  let server: Child | undefined;
  let cleaned = false;
  const cleanup = async () => {
    if (cleaned) return;
    cleaned = true;
    if (server) {
      const code = await server.stop();
      log(`server stopped (exit ${code})`);
    }
    try {
      if (ownDb && !cfg.keepDb) {
        await dropDatabase(cfg.pgAdminUrl, dbName);
        log(`dropped database ${dbName}`);
      } else if (!ownDb) {
        await dropBaselineTables(databaseUrl);
      } else log(`kept database ${dbName} (BENCH_KEEP_DB)`);
    } catch (err) {
      log(`could not clean the database: ${err instanceof Error ? err.message : String(err)}`);
    }
    try {
      await cleanRedis(cfg.redisUrl, redisPrefix);
    } catch (err) {
      log(`could not clean Redis keys ${redisPrefix}*: ${err instanceof Error ? err.message : String(err)}`);
    }
  };
  const onSignal = (signal: NodeJS.Signals) => {
    log(`${signal}: cleaning up`);
    void cleanup().finally(() => process.exit(130));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);

  const rows: Row[] = [];
  const scenarios: Record<string, unknown> = {};
  let invariantsEnd: Awaited<ReturnType<typeof invariants>> | undefined;
  let invariantsSeed: Awaited<ReturnType<typeof invariants>> | undefined;
  let vers = { postgres: '?', redis: '?' };
  let failure: unknown;
  try {
    if (ownDb) {
      await createDatabase(cfg.pgAdminUrl, dbName);
      log(`created database ${dbName}`);
      const slowMs = process.env.BENCH_PG_LOG_MIN_DURATION_MS;
      if (slowMs && /^\d+$/.test(slowMs)) {
        // Diagnosis: PostgreSQL logs every statement of the bench database slower than this.
        await adminQuery(cfg.pgAdminUrl, `alter database "${dbName}" set log_min_duration_statement = ${Number(slowMs)}`);
      }
    }
    vers = await versions(databaseUrl, cfg.redisUrl);
    // The server runs as in production: compiled (dist/, `npm run build:server`), without tsx.
    // BENCH_SERVER_TSX=1 runs the sources through tsx instead, to compare.
    const viaTsx = cfg.serverViaTsx;
    if (!viaTsx) execFileSync(process.execPath, ['--import', 'tsx', path.join(ROOT, 'scripts', 'build-server.ts'), '--if-stale'], { cwd: ROOT, stdio: 'inherit' });
    server = await startChild(
      'lendbook',
      path.join(ROOT, 'load-tests', 'bench', 'children', viaTsx ? 'lendbook-server.ts' : 'lendbook-server.js'),
      [],
      {
        PORT: '0',
        HOST: '127.0.0.1',
        DATABASE_URL: databaseUrl,
        REDIS_URL: cfg.redisUrl,
        LENDBOOK_REDIS_PREFIX: redisPrefix,
        LENDBOOK_DEMO: 'off',
        LOG_LEVEL: 'warn',
        LENDBOOK_ADMIN_EMAIL: BENCH_ADMIN.email,
        LENDBOOK_ADMIN_PASSWORD: BENCH_ADMIN.password,
        LENDBOOK_SECRET_KEY: randomBytes(32).toString('hex'),
        LENDBOOK_AUCTION_MIN_DURATION_SEC: '1',
        // The clearing listing must end when it says: no soft-close extension for its last bids.
        LENDBOOK_SOFT_CLOSE_SEC: '0',
        LENDBOOK_REGISTER_RATE_PER_MIN: '1000000',
        LENDBOOK_LOGIN_RATE_PER_MIN: '1000000',
        LENDBOOK_LOGIN_ADDRESS_RATE_PER_MIN: '1000000',
        // Every bench client comes from 127.0.0.1: the per-address socket caps would stop the fan-out.
        LENDBOOK_WS_MAX_SOCKETS_PER_ADDRESS: '1000000',
        LENDBOOK_WS_MAX_SUBSCRIPTIONS_PER_ADDRESS: '10000000',
        LENDBOOK_WEB_DIST: path.join(os.tmpdir(), 'lendbook-bench-no-web'),
      },
      'Lendbook',
      120_000,
      // e.g. BENCH_SERVER_NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/lendbook-prof" to see where the time goes.
      // The memory target is RSS after a full GC: the inspector (loopback, any free port) is how the bench
      // asks the server for one.
      [...(cfg.scenarios.has('memory') ? ['--inspect=127.0.0.1:0'] : []), ...(process.env.BENCH_SERVER_NODE_ARGS ?? '').split(' ').filter(Boolean)],
    );
    const inspectorUrl = /Debugger listening on (ws:\/\/\S+)/.exec(server.stderrTail())?.[1];
    const baseUrl = server.url;
    // A server that exits in the middle (a crash, or someone else's kill) fails the bench at once.
    const serverDied = server.exited.then((code) => {
      if (!cleaned) throw new Error(`the server (pid ${server?.pid}) exited with code ${code} in the middle of the bench: crashed, or killed by someone else`);
    });
    serverDied.catch(() => {});
    const guard = <T>(p: Promise<T>): Promise<T> => Promise.race([p, serverDied.then(() => p)]);
    log(`server pid ${server.pid} at ${baseUrl} (PostgreSQL ${vers.postgres}, Redis ${vers.redis})`);

    // ---- seeding ----
    const adminToken = await adminLogin(baseUrl);
    const partner = await createPartner(baseUrl, adminToken);
    let t0 = Date.now();
    const lenders = await seedLenders(databaseUrl, cfg.lenders, 50_000_000);
    log(`seeded ${lenders.length.toLocaleString('en-US')} lenders with sessions and ¥500,000 wallets in the database (${((Date.now() - t0) / 1000).toFixed(1)} s)`);
    const want = (s: string) => cfg.scenarios.has(s as never);
    const borrowersNeeded = 1 + (want('hot') ? 2 * cfg.runs : 0) + (want('spread') || want('read') ? 100 : 0) + (want('ws') ? cfg.wsSizes.length : 0) + (want('clearing') ? 2 * cfg.runs : 0) + (want('autobid') ? cfg.runs : 0) + (want('hostile') ? HOSTILE_LISTINGS : 0);
    t0 = Date.now();
    const borrowers = await guard(seedBorrowers(baseUrl, partner, borrowersNeeded, log));
    log(`seeded ${borrowers.length} rated merchants with borrowers through the API (${((Date.now() - t0) / 1000).toFixed(1)} s; grades ${[...new Set(borrowers.map((b) => b.grade))].join(', ')})`);
    invariantsSeed = await invariants(baseUrl, adminToken);
    if (!invariantsSeed.ok) throw new Error(`invariants fail right after seeding: ${JSON.stringify(invariantsSeed.failed)}`);
    log(`invariants ok after seeding (${invariantsSeed.ms} ms)`);

    const ctx: BenchContext = { cfg, baseUrl, serverPid: server.pid, databaseUrl, adminToken, lenders, borrowers: new BorrowerPool(borrowers), log, ...(inspectorUrl ? { inspectorUrl } : {}) };

    // ---- warm-up of the server: JIT, connection pools, caches ----
    if (cfg.warmupSeconds > 0) {
      const warm = await createListing(baseUrl, ctx.borrowers.take(), 3600, 'Warm-up listing');
      const target = new HttpTarget(baseUrl, cfg.concurrency);
      const send = bidSender(target);
      const w = await closedLoop({ concurrency: cfg.concurrency, durationMs: cfg.warmupSeconds * 1000, maxRequests: 5000, fire: (k) => send(warm.id, lenders[k]!.token, BID_MINOR, rateOf(k)) });
      target.close();
      log(`warm-up: Lendbook ${w.accepted} bids (${w.acceptedPerSec}/s)`);
    }

    // Memory first, on a server that has not yet been through the heavy scenarios; the fan-out reuses its sockets.
    if (want('ws') || want('memory')) {
      log(`scenarios 6 and 3: ${want('memory') ? 'memory with idle sockets' : ''}${want('memory') && want('ws') ? ', ' : ''}${want('ws') ? 'WebSocket fan-out' : ''}`);
      const r = await guard(wsScenarios(ctx, { memory: want('memory'), ws: want('ws') }));
      if (r.ws) scenarios.ws = r.ws;
      if (r.memory) scenarios.memory = r.memory;
      rows.push(...r.rows);
    }

    if (want('hot') || want('spread')) {
      const pool = await ClientPool.open(databaseUrl, cfg.concurrency);
      let gcServer: Child | undefined;
      try {
        await createBaselineTables(databaseUrl, cfg.lenders, 100, 50_000_000);
        gcServer = await startChild('group-commit', path.join(ROOT, 'load-tests', 'bench', 'children', 'group-commit-server.ts'), [databaseUrl], {}, 'Group-commit server');
        const gc = { url: gcServer.url, pid: gcServer.pid };
        log(`group-commit server pid ${gc.pid} at ${gc.url}`);
        if (cfg.warmupSeconds > 0) {
          const b = await closedLoop({
            concurrency: cfg.concurrency,
            durationMs: cfg.warmupSeconds * 1000,
            maxRequests: 1e9,
            fire: (k, worker) => baselineBid(pool.all[worker]!, `w${k % lenders.length}`, 'l99', `warm-${k}`, BID_MINOR, rateOf(k)).then((ok) => (ok ? (true as const) : 'INSUFFICIENT_FUNDS')),
          });
          log(`warm-up: raw SQL ${b.accepted} bids (${b.acceptedPerSec}/s)`);
          const gcTarget = new HttpTarget(gc.url, cfg.concurrency);
          const g = await closedLoop({
            concurrency: cfg.concurrency,
            durationMs: cfg.warmupSeconds * 1000,
            maxRequests: 1e9,
            fire: (k) =>
              gcTarget
                .request('POST', '/bid', {}, JSON.stringify({ wallet: `w${k % lenders.length}`, listing: 'l98', id: `gcwarm-${k}`, amountMinor: BID_MINOR, rateBps: rateOf(k) }))
                .then((r) => (r.status === 201 ? (true as const) : `${r.status}`)),
          });
          gcTarget.close();
          log(`warm-up: group-commit server ${g.accepted} bids (${g.acceptedPerSec}/s)`);
        }
        if (want('hot')) {
          log('scenario 1: hot listing');
          const r = await guard(bidScenario(ctx, 'hot', pool, gc));
          scenarios.hot = r.result;
          rows.push(...r.rows);
          const rates = r.result.closed.lendbook.map((x) => x.acceptedPerSec).sort((x, y) => x - y);
          ctx.hotBidsPerSec = rates[Math.floor(rates.length / 2)];
        }
        if (want('spread')) {
          log('scenario 2: spread over 100 listings');
          const r = await guard(bidScenario(ctx, 'spread', pool, gc));
          scenarios.spread = r.result;
          rows.push(...r.rows);
        }
      } finally {
        await pool.close();
        if (gcServer) await gcServer.stop();
      }
    }
    if (want('read')) {
      log('scenario 4: read path');
      const present = await api<{ items: unknown[] }>(baseUrl, 'GET', '/api/v1/listings?limit=50');
      for (let i = present.json.items.length; i < 50; i++) await createListing(baseUrl, ctx.borrowers.take(), 3600, `Read listing ${i}`);
      const r = await guard(readScenario(ctx));
      scenarios.read = r.result;
      rows.push(...r.rows);
    }
    if (want('clearing')) {
      log('scenario 5: clearing');
      const r = await guard(clearingScenario(ctx));
      scenarios.clearing = r.result;
      rows.push(...r.rows);
    }
    if (want('hostile')) rows.push(...(await guard(hostileScenario(ctx, scenarios))));
    if (want('autobid')) {
      log('scenario 8: autobid at a listing opening');
      const r = await guard(autobidScenario(ctx));
      scenarios.autobid = r.result;
      rows.push(...r.rows);
    }
    invariantsEnd = await invariants(baseUrl, adminToken);
    log(invariantsEnd.ok ? `invariants ok at the end (${invariantsEnd.ms} ms)` : `INVARIANTS FAILED: ${JSON.stringify(invariantsEnd.failed)}`);
  } catch (err) {
    failure = err;
    log(`FAILED: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    if (server) log(`server stderr (last lines):\n${server.stderrTail()}`);
  } finally {
    await cleanup();
  }

  rows.sort((a, b) => a.scenario.slice(0, 1).localeCompare(b.scenario.slice(0, 1)));
  const finishedAtMs = Date.now();
  const results = {
    startedAt: stamp,
    finishedAt: new Date(finishedAtMs).toISOString(),
    durationS: Math.round((finishedAtMs - benchStartMs) / 1000),
    waitedForQuietS: Math.round((benchStartMs - startedAtMs) / 1000),
    command: 'npm run bench',
    ok: !failure && invariantsEnd?.ok === true,
    error: failure ? (failure instanceof Error ? failure.message : String(failure)) : null,
    machine: { ...m, ...vers, loadAverageAtStart: loadAtStart },
    git: git(),
    config: { ...cfg, scenarios: [...cfg.scenarios], databaseUrl: cfg.databaseUrl ? '(given)' : undefined, pgAdminUrl: undefined },
    invariants: { afterSeed: invariantsSeed, end: invariantsEnd },
    table: rows,
    scenarios,
  };
  const dir = path.join(ROOT, 'bench-results');
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `${stamp.replace(/:/g, '-')}.json`);
  writeFileSync(file, JSON.stringify(results, null, 2));

  process.stdout.write(`\n${textTable(rows)}\n\n`);
  process.stdout.write(`Medians of ${cfg.runs} runs. Ratio = Lendbook ÷ baseline, both measured in this run. Server, load generator, PostgreSQL and Redis share this machine's ${m.cores} cores.\n`);
  process.stdout.write(`Results: ${path.relative(ROOT, file)}\n`);
  if (results.ok && cfg.writeDocs) {
    updateDoc(path.join(ROOT, 'docs', 'performance.md'), generatedDoc(results, rows, cfg, path.relative(ROOT, file)));
    process.stdout.write('Updated the results table in docs/performance.md\n');
  }
  if (!results.ok) {
    process.stderr.write(`\nBENCH FAILED: ${results.error ?? `invariants: ${JSON.stringify(invariantsEnd?.failed)}`}\n`);
    process.exit(1);
  }
  process.exit(0);
}

function generatedDoc(
  results: {
    startedAt: string;
    durationS: number;
    machine: ReturnType<typeof machine> & { postgres: string; redis: string; loadAverageAtStart: number[] };
    git: { commit: string; dirty: boolean };
    scenarios: Record<string, unknown>;
    invariants: { end: { ms: number } | undefined };
  },
  rows: Row[],
  cfg: BenchConfig,
  file: string,
): string {
  const m = results.machine;
  const notes: string[] = [`Load average when the run started: ${m.loadAverageAtStart.join(', ')} (1, 5, 15 min; 2 cores).`];
  const cpuLines: string[] = [];
  const cpuOf = (label: string, runs: { cpu: { generatorPct: number; targetPct: number; machinePct: number } }[] | undefined) => {
    if (!runs?.length) return;
    const med = (f: (c: { generatorPct: number; targetPct: number; machinePct: number }) => number) => {
      const v = runs.map((r) => f(r.cpu)).filter(Number.isFinite).sort((a, b) => a - b);
      return v.length ? `${v[Math.floor(v.length / 2)]}%` : 'n/a';
    };
    cpuLines.push(`| ${label} | ${med((c) => c.generatorPct)} | ${med((c) => c.targetPct)} | ${med((c) => c.machinePct)} |`);
  };
  const s = results.scenarios as any;
  for (const kind of ['hot', 'spread'] as const) {
    if (!s[kind]) continue;
    cpuOf(`${kind} closed loop, Lendbook`, s[kind].closed.lendbook);
    cpuOf(`${kind} closed loop, raw SQL`, s[kind].closed.baseline);
    cpuOf(`${kind} closed loop, group-commit server`, s[kind].closed.groupCommit);
    cpuOf(`${kind} ${cfg.openRate}/s, Lendbook`, s[kind].open.lendbook);
  }
  if (s.read) {
    cpuOf('read path, Lendbook', s.read.lendbook);
    cpuOf('read path, bare Fastify', s.read.baseline);
  }
  if (s.ws) {
    for (const [size, e] of Object.entries(s.ws.sizes as Record<string, any>)) {
      cpuOf(`WS ${size} saturated, Lendbook`, e.lendbook.window);
      cpuOf(`WS ${size} saturated, bare ws`, e.baseline.window);
    }
  }
  if (s.clearing?.length) {
    notes.push(`Clearing listings: ${(s.clearing as { book: string; bidsViaApi: number; bidsViaSql: number; clearingMs: number; endToClearedMs: number }[]).map((c) => `${c.book}: ${c.bidsViaApi.toLocaleString('en-US')} bids through the API + ${c.bidsViaSql.toLocaleString('en-US')} written in SQL, cleared in ${c.clearingMs} ms`).join('; ')}.`);
  }
  if (s.ws) {
    const closed: Record<string, number> = {};
    for (const e of Object.values(s.ws.sizes as Record<string, any>)) for (const r of [...e.lendbook.rate, ...e.lendbook.window]) for (const [k, v] of Object.entries(r.socketsClosed as Record<string, number>)) closed[k] = (closed[k] ?? 0) + v;
    notes.push(`WebSocket: ${s.ws.open.lendbook?.sockets ?? 0} sockets opened in ${((s.ws.open.lendbook?.ms ?? 0) / 1000).toFixed(1)} s; seq gaps seen by clients: Lendbook ${s.ws.gaps.lendbook}, bare ${s.ws.gaps.baseline}; sockets the server closed during runs: ${Object.keys(closed).length ? Object.entries(closed).map(([k, v]) => `${v} × ${k}`).join(', ') : 'none'}.`);
  }
  if (s.memory) notes.push(`Memory: RSS ${s.memory.rssBeforeMb} MB before the sockets, ${s.memory.rssSamplesMb.join(' / ')} MB with them (3 samples 1 s apart); heap used ${s.memory.heapUsedMb} MB${s.memory.rssAfterGcMb ? `; after a full GC ${s.memory.rssAfterGcMb.join(' / ')} MB, heap used ${s.memory.heapUsedAfterGcMb} MB` : ''}.`);
  if (results.invariants.end) notes.push(`GET /api/v1/admin/invariants at the end: ok, in ${(results.invariants.end.ms / 1000).toFixed(1)} s.`);
  return [
    `Last run: ${results.startedAt} (${Math.round(results.durationS / 60)} min), commit \`${results.git.commit}\`${results.git.dirty ? ' with uncommitted changes' : ''}, \`npm run bench\`` +
      ` (runs of ${cfg.seconds} s, WebSocket runs of ${cfg.wsSeconds} s, ${cfg.runs} runs each; medians).`,
    '',
    `Machine: ${m.cpuModel}, ${m.cores} cores, ${m.memoryGb} GB RAM, ${m.os}; Node ${m.node}; PostgreSQL ${m.postgres}; Redis ${m.redis}.`,
    `Raw results: \`${file}\` (git-ignored).`,
    '',
    markdownTable(rows),
    '',
    'CPU during the runs (medians; % of one core for the processes, % of all cores for the machine):',
    '',
    '| Run | Load generator | System under test | Machine |',
    '|---|---:|---:|---:|',
    ...cpuLines,
    '',
    ...notes.map((n) => `* ${n}`),
  ].join('\n');
}

void main();
