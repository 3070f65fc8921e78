import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import autocannon from 'autocannon';
import type { BenchContext } from './context.js';
import { api } from './http.js';
import { startChild } from './process.js';
import { row, type Row } from './report.js';
import { CpuMeter, type CpuReport } from './stats.js';

export interface ReadRun {
  requestsPerSec: number;
  p50Ms: number;
  p99Ms: number;
  non2xx: number;
  errors: number;
  durationS: number;
  cpu: CpuReport;
}

export interface ReadResult {
  path: string;
  items: number;
  bodyBytes: number;
  lendbook: ReadRun[];
  baseline: ReadRun[];
}

const PATH = '/api/v1/listings?limit=50';

async function cannon(url: string, connections: number, seconds: number, pid: number): Promise<ReadRun> {
  const cpu = new CpuMeter(pid);
  const r = await autocannon({ url, connections, duration: seconds, pipelining: 1, timeout: 10 });
  return {
    requestsPerSec: Math.round(r['2xx'] / Math.max(r.duration, 1e-3)),
    p50Ms: r.latency.p50,
    p99Ms: r.latency.p99,
    non2xx: r.non2xx,
    errors: r.errors + r.timeouts,
    durationS: r.duration,
    cpu: cpu.stop(),
  };
}

/**
 * Scenario 4: GET /api/v1/listings?limit=50 with autocannon, against Lendbook and against a bare
 * Fastify process serving the same JSON from memory, alternating runs.
 */
export async function readScenario(ctx: BenchContext): Promise<{ result: ReadResult; rows: Row[] }> {
  const { cfg } = ctx;
  const first = await api<{ items: unknown[] }>(ctx.baseUrl, 'GET', PATH);
  if (first.status !== 200) throw new Error(`GET ${PATH}: HTTP ${first.status} ${first.text.slice(0, 300)}`);
  if (first.json.items.length < 50) throw new Error(`GET ${PATH} returned ${first.json.items.length} items; the read scenario needs 50 listings`);
  const dir = mkdtempSync(path.join(os.tmpdir(), 'lendbook-bench-'));
  const file = path.join(dir, 'listings.json');
  writeFileSync(file, first.text);
  const bare = await startChild('bare-fastify', path.join(import.meta.dirname, '..', 'children', 'bare-fastify.ts'), [file], {}, 'Bare Fastify');
  const result: ReadResult = { path: PATH, items: first.json.items.length, bodyBytes: Buffer.byteLength(first.text), lendbook: [], baseline: [] };
  try {
    // Warm both up (JIT, connection setup), unmeasured.
    await autocannon({ url: `${ctx.baseUrl}${PATH}`, connections: cfg.readConnections, duration: 1 });
    await autocannon({ url: `${bare.url}${PATH}`, connections: cfg.readConnections, duration: 1 });
    for (let run = 0; run < cfg.runs; run++) {
      const b = await cannon(`${bare.url}${PATH}`, cfg.readConnections, cfg.seconds, bare.pid);
      ctx.log(`  read run ${run + 1}/${cfg.runs} bare Fastify: ${b.requestsPerSec.toLocaleString('en-US')} req/s, p50 ${b.p50Ms} ms, p99 ${b.p99Ms} ms, CPU gen ${b.cpu.generatorPct}% target ${b.cpu.targetPct}% machine ${b.cpu.machinePct}%`);
      const l = await cannon(`${ctx.baseUrl}${PATH}`, cfg.readConnections, cfg.seconds, ctx.serverPid);
      ctx.log(`  read run ${run + 1}/${cfg.runs} Lendbook: ${l.requestsPerSec.toLocaleString('en-US')} req/s, p50 ${l.p50Ms} ms, p99 ${l.p99Ms} ms${l.non2xx ? `, ${l.non2xx} non-2xx` : ''}, CPU gen ${l.cpu.generatorPct}% target ${l.cpu.targetPct}% machine ${l.cpu.machinePct}%`);
      result.baseline.push(b);
      result.lendbook.push(l);
    }
  } finally {
    await bare.stop();
    rmSync(dir, { recursive: true, force: true });
  }
  const label = `4 Read path: GET /listings?limit=50, ${cfg.readConnections} connections`;
  const rows = [
    row(label, 'requests', 'per_s', result.lendbook.map((r) => r.requestsPerSec), result.baseline.map((r) => r.requestsPerSec), { text: '≥ 0.85× bare Fastify', met: (_l, ratio) => (ratio ?? 0) >= 0.85 }),
    row(label, 'p50', 'ms', result.lendbook.map((r) => r.p50Ms), result.baseline.map((r) => r.p50Ms)),
    row(label, 'p99', 'ms', result.lendbook.map((r) => r.p99Ms), result.baseline.map((r) => r.p99Ms)),
  ];
  return { result, rows };
}
