import { fork, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import type { FleetCommand } from '../children/ws-clients.js';

type Without<T> = T extends unknown ? Omit<T, 'id'> : never;

/** The bench's handle on a client fleet process (children/ws-clients.ts). */
export class ClientFleetProcess {
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (v: any) => void; reject: (e: Error) => void }>();

  private constructor(
    readonly name: string,
    private readonly proc: ChildProcess,
  ) {
    proc.on('message', (m: { id?: number; ok?: boolean; result?: unknown; error?: string }) => {
      if (m.id === undefined) return;
      const p = this.pending.get(m.id);
      if (!p) return;
      this.pending.delete(m.id);
      if (m.ok) p.resolve(m.result);
      else p.reject(new Error(`${name}: ${m.error}`));
    });
    proc.on('exit', (code) => {
      for (const p of this.pending.values()) p.reject(new Error(`${name} exited with code ${code}`));
      this.pending.clear();
    });
  }

  get pid(): number {
    return this.proc.pid!;
  }

  static async start(name: string): Promise<ClientFleetProcess> {
    const proc = fork(path.join(import.meta.dirname, '..', 'children', 'ws-clients.ts'), [], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    await new Promise<void>((resolve, reject) => {
      proc.once('message', () => resolve());
      proc.once('exit', (code) => reject(new Error(`${name} exited with code ${code} at start`)));
    });
    return new ClientFleetProcess(name, proc);
  }

  call<T>(cmd: Without<FleetCommand>): Promise<T> {
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.proc.send({ ...cmd, id });
    });
  }

  async stop(): Promise<void> {
    if (this.proc.exitCode !== null) return;
    await this.call({ op: 'close' }).catch(() => {});
    this.proc.disconnect();
    await new Promise<void>((resolve) => {
      const t = setTimeout(() => {
        this.proc.kill('SIGKILL');
        resolve();
      }, 5000);
      this.proc.once('exit', () => {
        clearTimeout(t);
        resolve();
      });
    });
  }
}
