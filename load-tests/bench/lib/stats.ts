import { readFileSync } from 'node:fs';

/**
 * A latency histogram in microseconds with about 0.1 % relative precision (HdrHistogram's idea, made
 * small): 1 µs buckets below 2,048 µs, then 1,024 buckets per power of two. Recording is O(1), so
 * millions of WebSocket deliveries cost no sort and no garbage.
 */
export class Histogram {
  private static readonly LINEAR = 2048;
  private static readonly SUB = 1024;
  private readonly counts = new Float64Array(Histogram.LINEAR + 40 * Histogram.SUB);
  count = 0;
  sumUs = 0;
  minUs = Number.POSITIVE_INFINITY;
  maxUs = 0;

  /** Records a duration in milliseconds. */
  recordMs(ms: number): void {
    const us = Math.max(0, Math.round(ms * 1000));
    this.counts[Histogram.indexOf(us)]! += 1;
    this.count++;
    this.sumUs += us;
    if (us < this.minUs) this.minUs = us;
    if (us > this.maxUs) this.maxUs = us;
  }

  private static indexOf(us: number): number {
    if (us < Histogram.LINEAR) return us;
    const e = Math.floor(Math.log2(us)); // >= 11
    const sub = Math.floor(us / 2 ** (e - 10)); // 1024..2047
    const i = Histogram.LINEAR + (e - 11) * Histogram.SUB + (sub - Histogram.SUB);
    return Math.min(i, Histogram.LINEAR + 40 * Histogram.SUB - 1);
  }

  private static lowerBoundOf(index: number): number {
    if (index < Histogram.LINEAR) return index;
    const k = index - Histogram.LINEAR;
    const e = 11 + Math.floor(k / Histogram.SUB);
    const sub = Histogram.SUB + (k % Histogram.SUB);
    return sub * 2 ** (e - 10);
  }

  /** The p-th percentile (0..100) in milliseconds; NaN when empty. */
  percentileMs(p: number): number {
    if (this.count === 0) return Number.NaN;
    const rank = Math.max(1, Math.ceil((p / 100) * this.count));
    let seen = 0;
    for (let i = 0; i < this.counts.length; i++) {
      seen += this.counts[i]!;
      if (seen >= rank) return Math.min(Histogram.lowerBoundOf(i), this.maxUs) / 1000;
    }
    return this.maxUs / 1000;
  }

  summary(): LatencySummary {
    return {
      count: this.count,
      p50Ms: round3(this.percentileMs(50)),
      p90Ms: round3(this.percentileMs(90)),
      p99Ms: round3(this.percentileMs(99)),
      maxMs: this.count ? round3(this.maxUs / 1000) : Number.NaN,
      meanMs: this.count ? round3(this.sumUs / this.count / 1000) : Number.NaN,
    };
  }
}

export interface LatencySummary {
  count: number;
  p50Ms: number;
  p90Ms: number;
  p99Ms: number;
  maxMs: number;
  meanMs: number;
}

export function round3(n: number): number {
  return Number.isFinite(n) ? Math.round(n * 1000) / 1000 : n;
}

export function median(values: readonly number[]): number {
  const v = values.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (v.length === 0) return Number.NaN;
  const mid = Math.floor(v.length / 2);
  return v.length % 2 ? v[mid]! : (v[mid - 1]! + v[mid]!) / 2;
}

/** CPU time (user + system) of a process in ms, read from /proc (Linux); undefined elsewhere. */
export function processCpuMs(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may contain spaces) start after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const utime = Number(fields[11]);
    const stime = Number(fields[12]);
    return ((utime + stime) * 1000) / 100; // USER_HZ is 100 on Linux
  } catch {
    return undefined;
  }
}

/** Resident set size of a process in bytes (VmRSS of /proc/<pid>/status). */
export function processRssBytes(pid: number): number | undefined {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const m = /VmRSS:\s+(\d+)\s+kB/.exec(status);
    return m ? Number(m[1]) * 1024 : undefined;
  } catch {
    return undefined;
  }
}

/** Busy and total jiffies of the whole machine (/proc/stat), to show how loaded all cores were. */
function machineJiffies(): { busy: number; total: number } | undefined {
  try {
    const line = readFileSync('/proc/stat', 'utf8').split('\n')[0]!;
    const v = line.trim().split(/\s+/).slice(1).map(Number);
    const idle = (v[3] ?? 0) + (v[4] ?? 0);
    const total = v.reduce((a, b) => a + b, 0);
    return { busy: total - idle, total };
  } catch {
    return undefined;
  }
}

export interface CpuReport {
  /** CPU of the load generator (this process), % of one core. */
  generatorPct: number;
  /** CPU of the system under test (the server or the baseline process), % of one core; NaN when not a process. */
  targetPct: number;
  /** All cores of the machine busy, % of all cores (server, generator, PostgreSQL, Redis, anything else). */
  machinePct: number;
  /** CPU time the system under test used during the run, ms (user + system); NaN when not a process. */
  targetCpuMs: number;
}

/** Measures CPU use over an interval: generator (this process), one target process, and the machine. */
export class CpuMeter {
  private readonly startWall = performance.now();
  private readonly startSelf = process.cpuUsage();
  private readonly startTarget: number | undefined;
  private readonly startMachine = machineJiffies();

  constructor(private readonly targetPid: number | undefined) {
    this.startTarget = targetPid === undefined ? undefined : processCpuMs(targetPid);
  }

  stop(): CpuReport {
    const wallMs = performance.now() - this.startWall;
    const self = process.cpuUsage(this.startSelf);
    const target = this.targetPid === undefined ? undefined : processCpuMs(this.targetPid);
    const machine = machineJiffies();
    return {
      generatorPct: Math.round(((self.user + self.system) / 1000 / wallMs) * 100),
      targetPct: target !== undefined && this.startTarget !== undefined ? Math.round(((target - this.startTarget) / wallMs) * 100) : Number.NaN,
      machinePct: machine && this.startMachine ? Math.round(((machine.busy - this.startMachine.busy) / Math.max(1, machine.total - this.startMachine.total)) * 100) : Number.NaN,
      targetCpuMs: target !== undefined && this.startTarget !== undefined ? target - this.startTarget : Number.NaN,
    };
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Runs `fn` over items with at most `limit` in flight. */
export async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    for (;;) {
      const i = next++;
      if (i >= items.length) return;
      out[i] = await fn(items[i]!, i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

/** % of all cores busy over `ms` (the whole machine, from /proc/stat); NaN where unavailable. */
export async function machineBusyPct(ms: number): Promise<number> {
  const a = machineJiffies();
  await sleep(ms);
  const b = machineJiffies();
  return a && b ? Math.round(((b.busy - a.busy) / Math.max(1, b.total - a.total)) * 100) : Number.NaN;
}
