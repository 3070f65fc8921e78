import { once } from 'node:events';
import path from 'node:path';
import WebSocket from 'ws';
import { BID_MINOR, type BenchContext } from './context.js';
import { api } from './http.js';
import { startChild } from './process.js';
import { row, type Row } from './report.js';
import { createListing } from './seed.js';
import { median, processRssBytes, sleep } from './stats.js';
import { ClientFleetProcess } from './ws-client-proc.js';
import type { FanoutResult } from './ws.js';

export interface WsScenarioResult {
  sizes: Record<string, { lendbook: { rate: FanoutResult[]; window: FanoutResult[] }; baseline: { rate: FanoutResult[]; window: FanoutResult[] }; subscribeMs: { lendbook: number; baseline: number } }>;
  open: { lendbook?: { sockets: number; ms: number; failed: number }; baseline?: { sockets: number; ms: number; failed: number } };
  gaps: { lendbook: number; baseline: number };
  errors: { lendbook: Record<string, number>; baseline: Record<string, number> };
}

export interface MemoryResult {
  sockets: number;
  openMs: number;
  failed: number;
  rssBeforeMb: number;
  rssSamplesMb: number[];
  metricsRssMb: number | null;
  heapUsedMb: number | null;
  perSocketKb: number;
  /** RSS samples after the inspector's full GC (the target's definition), when the server has an inspector. */
  rssAfterGcMb: number[] | null;
  heapUsedAfterGcMb: number | null;
}

interface OpenResult {
  ms: number;
  failed: number;
  firstFailure?: string;
  open: number;
}

interface FleetStats {
  gaps: number;
  closes: Record<string, number>;
  errors: Record<string, number>;
  open: number;
}

const MB = 1024 * 1024;

async function metricValue(baseUrl: string, name: string): Promise<number | null> {
  const r = await api(baseUrl, 'GET', '/metrics');
  const m = new RegExp(`^${name}(?:\\{[^}]*\\})? ([0-9.e+-]+)$`, 'm').exec(r.text);
  return m ? Number(m[1]) : null;
}

/** A full, memory-reducing garbage collection in the server, through its inspector (HeapProfiler.collectGarbage). */
async function collectGarbage(inspectorUrl: string): Promise<void> {
  const ws = new WebSocket(inspectorUrl);
  await once(ws, 'open');
  try {
    const done = new Promise<void>((resolve, reject) => {
      ws.on('message', (data: Buffer) => {
        const reply = JSON.parse(data.toString('utf8')) as { id?: number; error?: { message: string } };
        if (reply.id !== 1) return;
        if (reply.error) reject(new Error(`inspector: ${reply.error.message}`));
        else resolve();
      });
      ws.on('error', reject);
    });
    ws.send(JSON.stringify({ id: 1, method: 'HeapProfiler.collectGarbage' }));
    await done;
  } finally {
    ws.close();
  }
}

function describe(r: FanoutResult): string {
  const closed = Object.entries(r.socketsClosed).map(([k, v]) => `${k}×${v}`).join(', ');
  const rej = Object.entries(r.rejected).map(([k, v]) => `${k}×${v}`).join(', ');
  return `${r.eventsAccepted} events (${r.eventsPerSec}/s${r.offeredPerSec ? ` of ${r.offeredPerSec}/s offered` : ''}), ${r.deliveries.toLocaleString('en-US')}/${r.expectedDeliveries.toLocaleString('en-US')} deliveries = ${r.deliveriesPerSec.toLocaleString('en-US')}/s, ${r.frames} frames (${r.batchFrames} batches), p50 ${r.latency.p50Ms} ms, p99 ${r.latency.p99Ms} ms${r.slowest ? ` (slowest event: answered ${r.slowest.ackMs} ms, first client ${r.slowest.firstMs} ms, last ${r.slowest.lastMs} ms)` : ''}, gaps ${r.gaps}${r.otherEvents ? `, ${r.otherEvents} late events of an earlier run ignored` : ''}, CPU clients ${r.cpu.generatorPct}% target ${r.cpu.targetPct}% machine ${r.cpu.machinePct}%${closed ? `; closed: ${closed}` : ''}${rej ? `; rejected: ${rej}` : ''}`;
}

/**
 * Scenario 6 (memory: idle authenticated sockets) and scenario 3 (fan-out to 1,000 and 10,000
 * subscribers of one listing). Two client processes of the same code hold the sockets — one fleet
 * connected to Lendbook, one to a bare `ws` server in a process of its own — so that both stay open and
 * the baseline's runs alternate with Lendbook's, as everywhere else.
 */
export async function wsScenarios(ctx: BenchContext, opts: { memory: boolean; ws: boolean }): Promise<{ ws?: WsScenarioResult; memory?: MemoryResult; rows: Row[] }> {
  const { cfg } = ctx;
  const sizes = [...cfg.wsSizes].sort((a, b) => a - b);
  const need = Math.max(opts.memory ? cfg.memorySockets : 0, opts.ws ? Math.max(...sizes) : 0);
  const rows: Row[] = [];
  const out: { ws?: WsScenarioResult; memory?: MemoryResult; rows: Row[] } = { rows };
  const result: WsScenarioResult = { sizes: {}, open: {}, gaps: { lendbook: 0, baseline: 0 }, errors: { lendbook: {}, baseline: {} } };
  const lendbookWs = ctx.baseUrl.replace(/^http/, 'ws') + '/api/v1/ws';

  const clients = await ClientFleetProcess.start('lendbook clients');
  const bareClients = opts.ws ? await ClientFleetProcess.start('bare clients') : undefined;
  const bare = opts.ws ? await startChild('bare-ws', path.join(import.meta.dirname, '..', 'children', 'bare-ws.ts'), [], {}, 'Bare ws') : undefined;
  try {
    const rssBefore = processRssBytes(ctx.serverPid) ?? 0;
    ctx.log(`  opening ${need.toLocaleString('en-US')} authenticated sockets to Lendbook (server RSS before: ${(rssBefore / MB).toFixed(0)} MB)`);
    const opened = await clients.call<OpenResult>({ op: 'open', wsUrl: lendbookWs, tokens: ctx.lenders.slice(0, need).map((l) => l.token), n: need, concurrency: cfg.wsOpenConcurrency });
    ctx.log(`  opened ${opened.open} sockets in ${(opened.ms / 1000).toFixed(1)} s${opened.failed ? `, ${opened.failed} failed (${opened.firstFailure})` : ''}`);
    result.open.lendbook = { sockets: opened.open, ms: opened.ms, failed: opened.failed };

    if (opts.memory) {
      await sleep(3000);
      const samples: number[] = [];
      for (let i = 0; i < 3; i++) {
        samples.push((processRssBytes(ctx.serverPid) ?? Number.NaN) / MB);
        await sleep(1000);
      }
      const metricsRss = await metricValue(ctx.baseUrl, 'lendbook_process_resident_memory_bytes');
      const heap = await metricValue(ctx.baseUrl, 'lendbook_nodejs_heap_size_used_bytes');
      // The target's own definition: RSS after a full GC. Idle sockets allocate almost nothing, so no
      // collection would otherwise run to return the garbage of 10,000 handshakes, and the samples above,
      // which count it, swing by 100 MB from run to run with the collector's timing.
      let afterGc: number[] | null = null;
      let heapAfterGc: number | null = null;
      if (ctx.inspectorUrl) {
        await collectGarbage(ctx.inspectorUrl);
        await sleep(1000);
        afterGc = [];
        for (let i = 0; i < 3; i++) {
          afterGc.push((processRssBytes(ctx.serverPid) ?? Number.NaN) / MB);
          await sleep(1000);
        }
        heapAfterGc = await metricValue(ctx.baseUrl, 'lendbook_nodejs_heap_size_used_bytes');
      }
      const sockets = Math.min(opened.open, cfg.memorySockets);
      const mem: MemoryResult = {
        sockets,
        openMs: opened.ms,
        failed: opened.failed,
        rssBeforeMb: Math.round(rssBefore / MB),
        rssSamplesMb: samples.map((s) => Math.round(s)),
        metricsRssMb: metricsRss === null ? null : Math.round(metricsRss / MB),
        heapUsedMb: heap === null ? null : Math.round(heap / MB),
        perSocketKb: Math.round(((median(samples) * MB - rssBefore) / Math.max(1, sockets) / 1024) * 10) / 10,
        rssAfterGcMb: afterGc && afterGc.map((s) => Math.round(s)),
        heapUsedAfterGcMb: heapAfterGc === null ? null : Math.round(heapAfterGc / MB),
      };
      out.memory = mem;
      ctx.log(`  memory: RSS ${mem.rssSamplesMb.join(', ')} MB with ${sockets.toLocaleString('en-US')} idle sockets (before: ${mem.rssBeforeMb} MB; /metrics: ${mem.metricsRssMb} MB; heap used ${mem.heapUsedMb} MB; ≈ ${mem.perSocketKb} KB per socket)${mem.rssAfterGcMb ? `; after a full GC: RSS ${mem.rssAfterGcMb.join(', ')} MB, heap used ${mem.heapUsedAfterGcMb} MB` : ''}`);
      const label = `6 Memory: ${sockets.toLocaleString('en-US')} idle sockets`;
      rows.push(row(label, 'server RSS', 'MB', mem.rssSamplesMb, null, { text: '≤ 300 MB', met: (l) => l <= 300 }), row(label, 'RSS before the sockets', 'MB', [mem.rssBeforeMb], null), row(label, 'per socket', 'KB', [mem.perSocketKb], null));
      if (mem.rssAfterGcMb) rows.push(row(label, 'server RSS after a full GC', 'MB', mem.rssAfterGcMb, null, { text: '≤ 300 MB', met: (l) => l <= 300 }));
    }

    if (opts.ws && bare && bareClients) {
      const bareWs = bare.url.replace(/^http/, 'ws') + '/api/v1/ws';
      const bo = await bareClients.call<OpenResult>({ op: 'open', wsUrl: bareWs, tokens: null, n: Math.max(...sizes), concurrency: cfg.wsOpenConcurrency });
      result.open.baseline = { sockets: bo.open, ms: bo.ms, failed: bo.failed };
      ctx.log(`  bare ws server (pid ${bare.pid}): opened ${bo.open} sockets in ${(bo.ms / 1000).toFixed(1)} s`);
      const durationMs = cfg.wsSeconds * 1000;
      for (const size of sizes) {
        const listing = await createListing(ctx.baseUrl, ctx.borrowers.take(), 3600, `Watched listing ${size}`);
        const channel = `listing:${listing.id}`;
        // Same length of channel name (so the same frame size) on the bare server.
        const bareChannel = `listing:lst_${String(size).padStart(26, '0')}`;
        const sub = await clients.call<{ ms: number; failed: number; subscribed: number }>({ op: 'subscribe', count: size, channel, concurrency: cfg.wsOpenConcurrency });
        const bsub = await bareClients.call<{ ms: number; failed: number; subscribed: number }>({ op: 'subscribe', count: size, channel: bareChannel, concurrency: cfg.wsOpenConcurrency });
        ctx.log(`  ${size.toLocaleString('en-US')} subscribers: Lendbook ${sub.subscribed} subscribed to ${channel} in ${(sub.ms / 1000).toFixed(1)} s, bare ${bsub.subscribed} in ${(bsub.ms / 1000).toFixed(1)} s`);
        const entry: WsScenarioResult['sizes'][string] = { lendbook: { rate: [], window: [] }, baseline: { rate: [], window: [] }, subscribeMs: { lendbook: sub.ms, baseline: bsub.ms } };
        result.sizes[size] = entry;
        const ratePerSec = Math.max(1, Math.round(cfg.wsDeliveries / size));
        const window = Math.max(1, Math.round(cfg.wsWindowDeliveries / size));
        let g = 0;
        let gb = 0;
        for (let run = 0; run < cfg.runs; run++) {
          for (const mode of ['rate', 'window'] as const) {
            const common = { op: 'run' as const, count: size, mode, ratePerSec, window, durationMs, drainMs: 2000 };
            const b = await bareClients.call<FanoutResult>({ ...common, channel: bareChannel, targetPid: bare.pid, keyBase: gb, sender: { kind: 'bare', baseUrl: bare.url } });
            gb += b.eventsSent;
            entry.baseline[mode].push(b);
            ctx.log(`  WS ${size} ${mode} run ${run + 1}/${cfg.runs} bare ws: ${describe(b)}`);
            await sleep(300);
            const l = await clients.call<FanoutResult>({ ...common, channel, targetPid: ctx.serverPid, keyBase: g, sender: { kind: 'lendbook', baseUrl: ctx.baseUrl, listingId: listing.id, bidMinor: BID_MINOR } });
            g += l.eventsSent;
            entry.lendbook[mode].push(l);
            ctx.log(`  WS ${size} ${mode} run ${run + 1}/${cfg.runs} Lendbook: ${describe(l)}`);
            await sleep(300);
          }
        }
      }
      const ls = await clients.call<FleetStats>({ op: 'stats' });
      const bs = await bareClients.call<FleetStats>({ op: 'stats' });
      result.gaps = { lendbook: ls.gaps, baseline: bs.gaps };
      result.errors = { lendbook: ls.errors, baseline: bs.errors };
      for (const size of sizes) {
        const e = result.sizes[size]!;
        const label = `3 WS fan-out: ${size.toLocaleString('en-US')} subscribers`;
        const inFlight = Math.max(1, Math.round(cfg.wsWindowDeliveries / size));
        const win = `${label}, saturated (${inFlight} event${inFlight > 1 ? 's' : ''} in flight)`;
        const rate = `${label}, ${Math.max(1, Math.round(cfg.wsDeliveries / size))} events/s offered`;
        rows.push(
          row(win, 'deliveries', 'per_s', e.lendbook.window.map((r) => r.deliveriesPerSec), e.baseline.window.map((r) => r.deliveriesPerSec), { text: '≥ 0.8× bare ws', met: (_l, ratio) => (ratio ?? 0) >= 0.8 }),
          row(win, 'event→client p50', 'ms', e.lendbook.window.map((r) => r.latency.p50Ms), e.baseline.window.map((r) => r.latency.p50Ms)),
          row(win, 'event→client p99', 'ms', e.lendbook.window.map((r) => r.latency.p99Ms), e.baseline.window.map((r) => r.latency.p99Ms)),
          row(rate, 'deliveries', 'per_s', e.lendbook.rate.map((r) => r.deliveriesPerSec), e.baseline.rate.map((r) => r.deliveriesPerSec)),
          row(rate, 'event→client p50', 'ms', e.lendbook.rate.map((r) => r.latency.p50Ms), e.baseline.rate.map((r) => r.latency.p50Ms)),
          row(rate, 'event→client p99', 'ms', e.lendbook.rate.map((r) => r.latency.p99Ms), e.baseline.rate.map((r) => r.latency.p99Ms), size === 1000 ? { text: '≤ 50 ms', met: (l) => l <= 50 } : undefined),
        );
      }
      out.ws = result;
    }
  } finally {
    await clients.stop();
    await bareClients?.stop();
    await bare?.stop();
  }
  return out;
}
