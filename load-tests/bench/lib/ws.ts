import WebSocket from 'ws';
import { CpuMeter, Histogram, mapLimit, sleep, type CpuReport, type LatencySummary } from './stats.js';
import type { Outcome } from './load.js';

interface FleetSocket {
  ws: WebSocket;
  open: boolean;
  lastSeq: Map<string, number>;
  waiters: Map<string, (ok: boolean) => void>;
}

/** An event of a run: when its bid was sent and answered, when it first and last reached a client (performance.now()). */
interface SentEvent {
  t: number;
  got: number;
  ackAt?: number;
  firstAt?: number;
  lastAt?: number;
}

/** One fan-out run's bookkeeping: when each event was sent, and who got it when. */
interface Measure {
  channel: string;
  /** Key `amountMinor/rateBps` → send time and receivers so far. */
  sent: Map<string, SentEvent>;
  /** Receivers each event should reach. */
  expected: number;
  hist: Histogram;
  deliveries: number;
  frames: number;
  batchFrames: number;
  unknown: number;
  lastReceipt: number;
  onComplete: ((key: string) => void) | undefined;
}

/**
 * Thousands of WebSocket clients in this process, speaking docs/realtime.md: they subscribe, check that
 * `seq` stays contiguous per channel (unrolling `batch` frames), and time each `bid.accepted` from the
 * moment the bench sent the bid that caused it.
 */
export class WsFleet {
  readonly sockets: FleetSocket[] = [];
  private measure: Measure | undefined;
  gaps = 0;
  /** When any socket last received anything (performance.now()). */
  lastMessageAt = 0;
  readonly closes: Record<string, number> = {};
  readonly errors: Record<string, number> = {};

  constructor(readonly label: string) {}

  get openCount(): number {
    let n = 0;
    for (const s of this.sockets) if (s.open) n++;
    return n;
  }

  /** Opens `n` sockets, `concurrency` handshakes at a time. */
  async open(urlOf: (i: number) => string, n: number, concurrency: number): Promise<{ ms: number; failed: number; firstFailure?: string }> {
    const started = performance.now();
    let failed = 0;
    let firstFailure: string | undefined;
    const base = this.sockets.length;
    await mapLimit(
      Array.from({ length: n }, (_, i) => i),
      concurrency,
      async (i) => {
        try {
          this.sockets[base + i] = await this.connect(urlOf(i));
        } catch (err) {
          failed++;
          firstFailure ??= err instanceof Error ? err.message : String(err);
        }
      },
    );
    // Keep the array dense even if some failed.
    for (let i = this.sockets.length - 1; i >= 0; i--) if (!this.sockets[i]) this.sockets.splice(i, 1);
    return { ms: Math.round(performance.now() - started), failed, ...(firstFailure ? { firstFailure } : {}) };
  }

  private connect(url: string): Promise<FleetSocket> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(url, { perMessageDeflate: false, handshakeTimeout: 30_000 });
      const s: FleetSocket = { ws, open: false, lastSeq: new Map(), waiters: new Map() };
      ws.on('message', (raw: Buffer) => this.onMessage(s, raw));
      ws.on('close', (code: number) => {
        if (s.open) this.closes[code] = (this.closes[code] ?? 0) + 1;
        s.open = false;
        for (const w of s.waiters.values()) w(false);
        s.waiters.clear();
      });
      ws.once('open', () => {
        s.open = true;
        resolve(s);
      });
      ws.once('unexpected-response', (_req, res) => {
        reject(new Error(`upgrade refused: HTTP ${res.statusCode}`));
        ws.terminate();
      });
      ws.on('error', (err: Error) => {
        if (!s.open) reject(err);
      });
    });
  }

  private onMessage(s: FleetSocket, raw: Buffer): void {
    const now = performance.now();
    this.lastMessageAt = now;
    let m: { type?: string; channel?: string; seq?: number; event?: string; data?: any; items?: { seq: number; event: string; data: any }[]; code?: string };
    try {
      m = JSON.parse(raw.toString('utf8'));
    } catch {
      this.errors.not_json = (this.errors.not_json ?? 0) + 1;
      return;
    }
    switch (m.type) {
      case 'snapshot': {
        s.lastSeq.set(m.channel!, m.seq!);
        const w = s.waiters.get(m.channel!);
        s.waiters.delete(m.channel!);
        w?.(true);
        return;
      }
      case 'event':
        this.item(s, m.channel!, m.seq!, m.event!, m.data, now);
        if (this.measure && m.channel === this.measure.channel) this.measure.frames++;
        return;
      case 'batch':
        for (const it of m.items ?? []) this.item(s, m.channel!, it.seq, it.event, it.data, now);
        if (this.measure && m.channel === this.measure.channel) {
          this.measure.frames++;
          this.measure.batchFrames++;
        }
        return;
      case 'error': {
        const code = m.code ?? 'unknown';
        this.errors[code] = (this.errors[code] ?? 0) + 1;
        if (m.channel) {
          const w = s.waiters.get(m.channel);
          s.waiters.delete(m.channel);
          w?.(false);
        }
        return;
      }
      default:
        return;
    }
  }

  private item(s: FleetSocket, channel: string, seq: number, event: string, data: any, now: number): void {
    const last = s.lastSeq.get(channel);
    if (last !== undefined && seq !== last + 1) this.gaps++;
    s.lastSeq.set(channel, seq);
    const m = this.measure;
    if (!m || channel !== m.channel) return;
    // Only this run's events count: a backlog of an earlier run must not inflate this one.
    const key = event === 'bid.accepted' ? `${data.amountMinor}/${data.rateBps}` : '';
    const entry = key ? m.sent.get(key) : undefined;
    if (!entry) {
      m.unknown++;
      return;
    }
    m.deliveries++;
    m.lastReceipt = now;
    m.hist.recordMs(now - entry.t);
    entry.firstAt ??= now;
    entry.lastAt = now;
    entry.got++;
    if (entry.got === m.expected) m.onComplete?.(key);
  }

  /** Subscribes the given sockets to a channel and waits for every snapshot. */
  async subscribe(indices: readonly number[], channel: string, concurrency: number): Promise<{ ms: number; failed: number }> {
    const started = performance.now();
    let failed = 0;
    await mapLimit(indices, concurrency, async (i) => {
      const s = this.sockets[i];
      if (!s?.open) {
        failed++;
        return;
      }
      const ok = await new Promise<boolean>((resolve) => {
        const timer = setTimeout(() => {
          s.waiters.delete(channel);
          resolve(false);
        }, 60_000);
        s.waiters.set(channel, (v) => {
          clearTimeout(timer);
          resolve(v);
        });
        s.ws.send(JSON.stringify({ op: 'subscribe', channel }));
      });
      if (!ok) failed++;
    });
    return { ms: Math.round(performance.now() - started), failed };
  }

  subscribedCount(indices: readonly number[]): number {
    let n = 0;
    for (const i of indices) if (this.sockets[i]?.open) n++;
    return n;
  }

  async closeAll(): Promise<void> {
    const closing = this.sockets.map(
      (s) =>
        new Promise<void>((resolve) => {
          if (!s.open && s.ws.readyState === WebSocket.CLOSED) return resolve();
          s.open = false; // a close we asked for is not counted as the server's
          s.ws.once('close', () => resolve());
          s.ws.terminate();
        }),
    );
    await Promise.race([Promise.all(closing), sleep(10_000)]);
    this.sockets.length = 0;
  }

  /** Waits until no socket has received anything for `quietMs` (an earlier run's backlog has drained). */
  async settle(quietMs = 500, maxMs = 30_000): Promise<number> {
    const started = performance.now();
    while (performance.now() - this.lastMessageAt < quietMs && performance.now() - started < maxMs) await sleep(100);
    return Math.round(performance.now() - started);
  }

  begin(channel: string, expected: number): Measure {
    this.measure = { channel, sent: new Map(), expected, hist: new Histogram(), deliveries: 0, frames: 0, batchFrames: 0, unknown: 0, lastReceipt: 0, onComplete: undefined };
    return this.measure;
  }

  end(): void {
    this.measure = undefined;
  }
}

export interface FanoutResult {
  mode: 'rate' | 'window';
  subscribers: number;
  /** Offered events per second (rate mode) or events kept in flight (window mode). */
  offeredPerSec?: number;
  window?: number;
  durationS: number;
  eventsSent: number;
  eventsAccepted: number;
  /**
   * The event that took longest to reach its last client, each time from its bid's send: the bid's
   * answer, its first and its last delivery. With tens of events a run, the p99 is this event's: the
   * answer shows whether it was late before it left the bid path.
   */
  slowest?: { ackMs: number; firstMs: number; lastMs: number };
  /** Events accepted per second during the sending phase. */
  eventsPerSec: number;
  deliveries: number;
  expectedDeliveries: number;
  deliveriesPerSec: number;
  frames: number;
  batchFrames: number;
  /** Events of this channel that were not this run's (an earlier run's backlog, or other events). */
  otherEvents: number;
  latency: LatencySummary;
  gaps: number;
  socketsClosed: Record<string, number>;
  rejected: Record<string, number>;
  cpu: CpuReport;
}

/**
 * One fan-out run. `rate`: events are sent at a fixed rate (open loop). `window`: at most `window`
 * events are in flight, the next one sent as soon as one has reached every subscriber (or 2 s passed):
 * the most a system delivers without letting buffers grow. Then up to `drainMs` for stragglers.
 */
export async function fanoutRun(opts: {
  fleet: WsFleet;
  channel: string;
  subscribers: number;
  mode: 'rate' | 'window';
  ratePerSec: number;
  window: number;
  durationMs: number;
  drainMs: number;
  targetPid: number | undefined;
  /** The i-th event of this run: its unique amount and rate, which identify it on arrival. */
  keyOf: (i: number) => { amountMinor: number; rateBps: number };
  send: (i: number, amountMinor: number, rateBps: number) => Promise<Outcome>;
}): Promise<FanoutResult> {
  const { fleet } = opts;
  await fleet.settle();
  const gapsBefore = fleet.gaps;
  const closesBefore = { ...fleet.closes };
  const m = fleet.begin(opts.channel, opts.subscribers);
  const rejected: Record<string, number> = {};
  let sent = 0;
  let accepted = 0;
  let inflight = 0;
  const cpu = new CpuMeter(opts.targetPid);
  const start = performance.now();
  const stopSending = start + opts.durationMs;
  let lastSend = start;
  const fire = (onSettled?: () => void) => {
    const i = sent++;
    const { amountMinor, rateBps } = opts.keyOf(i);
    const key = `${amountMinor}/${rateBps}`;
    const entry: SentEvent = { t: performance.now(), got: 0 };
    m.sent.set(key, entry);
    lastSend = performance.now();
    inflight++;
    opts.send(i, amountMinor, rateBps).then(
      (o) => {
        entry.ackAt = performance.now();
        if (o === true) accepted++;
        else {
          rejected[o] = (rejected[o] ?? 0) + 1;
          m.sent.delete(key);
          onSettled?.();
        }
      },
      (err: unknown) => {
        const code = `error ${err instanceof Error ? err.message : String(err)}`.slice(0, 80);
        rejected[code] = (rejected[code] ?? 0) + 1;
        m.sent.delete(key);
        onSettled?.();
      },
    ).finally(() => {
      inflight--;
    });
    return key;
  };

  if (opts.mode === 'rate') {
    const interval = 1000 / opts.ratePerSec;
    await new Promise<void>((resolve) => {
      const tick = () => {
        const now = performance.now();
        while (now < stopSending && start + sent * interval <= now) fire();
        if (now >= stopSending) return resolve();
        setTimeout(tick, Math.max(0, Math.min(1, start + sent * interval - performance.now())));
      };
      tick();
    });
  } else {
    await new Promise<void>((resolve) => {
      let slots = 0;
      const timers = new Map<string, NodeJS.Timeout>();
      const release = (key: string) => {
        const t = timers.get(key);
        if (!t) return;
        clearTimeout(t);
        timers.delete(key);
        slots--;
        refill();
      };
      const refill = () => {
        if (performance.now() >= stopSending) {
          if (slots === 0) resolve();
          return;
        }
        while (slots < opts.window) {
          slots++;
          let key = '';
          key = fire(() => release(key));
          timers.set(key, setTimeout(() => release(key), 2000));
        }
      };
      m.onComplete = (key) => release(key);
      refill();
      // Stop refilling at the end of the sending phase; what is in flight drains below.
      setTimeout(() => {
        for (const [, t] of timers) clearTimeout(t);
        timers.clear();
        resolve();
      }, opts.durationMs + 10);
    });
  }
  const sendPhaseS = Math.max((lastSend - start) / 1000, 1e-3);
  // Drain: wait for sends to be answered and events to reach everyone (or give up after drainMs).
  const drainUntil = performance.now() + opts.drainMs;
  for (;;) {
    let pending = inflight;
    for (const e of m.sent.values()) if (e.got < m.expected) pending++;
    if (pending === 0 || performance.now() > drainUntil) break;
    await sleep(10);
  }
  fleet.end();
  let slowest: SentEvent | undefined;
  for (const e of m.sent.values()) if (e.lastAt !== undefined && (slowest?.lastAt === undefined || e.lastAt - e.t > slowest.lastAt - slowest.t)) slowest = e;
  const end = m.lastReceipt > 0 ? m.lastReceipt : performance.now();
  const durationS = Math.max((end - start) / 1000, 1e-3);
  const closes: Record<string, number> = {};
  for (const [code, n] of Object.entries(fleet.closes)) if (n - (closesBefore[code] ?? 0) > 0) closes[code] = n - (closesBefore[code] ?? 0);
  return {
    mode: opts.mode,
    subscribers: opts.subscribers,
    ...(opts.mode === 'rate' ? { offeredPerSec: opts.ratePerSec } : { window: opts.window }),
    durationS: Math.round(durationS * 100) / 100,
    eventsSent: sent,
    eventsAccepted: accepted,
    ...(slowest ? { slowest: { ackMs: ms(slowest.ackAt, slowest.t), firstMs: ms(slowest.firstAt, slowest.t), lastMs: ms(slowest.lastAt, slowest.t) } } : {}),
    eventsPerSec: Math.round(accepted / sendPhaseS),
    deliveries: m.deliveries,
    // Events still in the map were accepted (or their answer is late); refused ones were removed.
    expectedDeliveries: m.sent.size * opts.subscribers,
    deliveriesPerSec: Math.round(m.deliveries / durationS),
    frames: m.frames,
    batchFrames: m.batchFrames,
    otherEvents: m.unknown,
    latency: m.hist.summary(),
    gaps: fleet.gaps - gapsBefore,
    socketsClosed: closes,
    rejected,
    cpu: cpu.stop(),
  };
}

/** Milliseconds from `from` to `at`, to a tenth (NaN when it never happened). */
function ms(at: number | undefined, from: number): number {
  return at === undefined ? Number.NaN : Math.round((at - from) * 10) / 10;
}
