import { spawn, type ChildProcess } from 'node:child_process';
import { sleep } from './stats.js';

export interface Child {
  name: string;
  proc: ChildProcess;
  pid: number;
  url: string;
  /** Resolves with the exit code when the process ends, whoever ended it. */
  exited: Promise<number | null>;
  /** The last lines it wrote to stderr (shown when it dies). */
  stderrTail(): string;
  stop(): Promise<number | null>;
}

/**
 * Starts an entry point as its own Node process (`node --import tsx <file>`; a `.js` file, compiled, runs
 * without tsx) and waits for the line `<label>: http://localhost:<port>` on its stdout.
 */
export async function startChild(name: string, file: string, args: string[], env: Record<string, string>, label: string, timeoutMs = 60_000, nodeArgs: string[] = []): Promise<Child> {
  const loader = file.endsWith('.js') ? [] : ['--import', 'tsx'];
  const proc = spawn(process.execPath, [...nodeArgs, ...loader, file, ...args], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const tail: string[] = [];
  proc.stderr!.setEncoding('utf8');
  proc.stderr!.on('data', (chunk: string) => {
    for (const line of chunk.split('\n')) {
      if (!line.trim()) continue;
      tail.push(line);
      if (tail.length > 40) tail.shift();
      if (process.env.BENCH_VERBOSE) process.stderr.write(`[${name}] ${line}\n`);
    }
  });
  let exited: number | null | undefined;
  const exitedPromise = new Promise<number | null>((resolve) => proc.on('exit', (code) => resolve((exited = code))));
  const pattern = new RegExp(`${label}: (http://[^\\s]+)`);
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`${name} did not start within ${timeoutMs} ms\n${tail.join('\n')}`)), timeoutMs);
    proc.stdout!.setEncoding('utf8');
    proc.stdout!.on('data', (chunk: string) => {
      out += chunk;
      const m = pattern.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]!);
      }
    });
    void exitedPromise.then((code) => {
      clearTimeout(timer);
      reject(new Error(`${name} exited with code ${code} before it listened\n${tail.join('\n')}`));
    });
  });
  // Keep draining stdout so the child never blocks on a full pipe; BENCH_VERBOSE shows it (--trace-gc writes there).
  proc.stdout!.on('data', (chunk: string) => {
    if (!process.env.BENCH_VERBOSE) return;
    for (const line of chunk.split('\n')) if (line.trim()) process.stderr.write(`[${name}] ${line}\n`);
  });
  return {
    name,
    proc,
    pid: proc.pid!,
    url: url.replace('localhost', '127.0.0.1'),
    exited: exitedPromise,
    stderrTail: () => tail.join('\n'),
    async stop() {
      if (exited !== undefined) return exited;
      proc.kill('SIGTERM');
      const code = await Promise.race([exitedPromise, sleep(Number(process.env.BENCH_STOP_GRACE_MS ?? 8000)).then(() => undefined)]);
      if (code === undefined && exited === undefined) {
        proc.kill('SIGKILL');
        return exitedPromise;
      }
      return code ?? null;
    },
  };
}
