import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createTestStorage, type TestStorage } from './helpers/env.js';

const root = path.resolve(import.meta.dirname, '../..');
const storages: TestStorage[] = [];
const dirs: string[] = [];
afterAll(async () => {
  for (const s of storages) await s.dispose();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function startServer(env: Record<string, string>): { child: ChildProcessWithoutNullStreams; output: () => string; exited: Promise<number | null> } {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/server.ts'], {
    cwd: root,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', LOG_LEVEL: 'warn', LENDBOOK_DEMO: 'off', PORT: '0', ...env },
  });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, output: () => out, exited };
}

async function waitForUrl(output: () => string, timeoutMs: number): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const m = /Lendbook: (http:\/\/localhost:\d+)/.exec(output());
    if (m) return m[1]!;
    if (Date.now() > deadline) throw new Error(`server did not start:\n${output()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('the server process', () => {
  it('starts, answers /healthz, and exits 0 within 5 s of SIGINT', async () => {
    const storage = await createTestStorage();
    storages.push(storage);
    const dataDir = mkdtempSync(path.join(tmpdir(), 'lendbook-proc-'));
    dirs.push(dataDir);
    const env: Record<string, string> = { LENDBOOK_DATA_DIR: dataDir, LENDBOOK_REDIS_PREFIX: storage.redisPrefix };
    if (storage.databaseUrl) env.DATABASE_URL = storage.databaseUrl;
    if (storage.redisUrl) env.REDIS_URL = storage.redisUrl;
    const server = startServer(env);
    const url = await waitForUrl(server.output, 60_000);
    const res = await fetch(`${url}/healthz`);
    expect(res.status).toBe(200);
    const ready = await fetch(`${url}/readyz`);
    expect(ready.status).toBe(200);
    const t0 = Date.now();
    server.child.kill('SIGINT');
    const code = await server.exited;
    expect(code).toBe(0);
    expect(Date.now() - t0).toBeLessThan(5000);
  });

  it('keeps its data across a restart (the PGlite folder, or PostgreSQL)', async () => {
    const storage = await createTestStorage();
    storages.push(storage);
    const dataDir = mkdtempSync(path.join(tmpdir(), 'lendbook-restart-'));
    dirs.push(dataDir);
    const env: Record<string, string> = { LENDBOOK_DATA_DIR: dataDir, LENDBOOK_REDIS_PREFIX: storage.redisPrefix };
    if (storage.databaseUrl) env.DATABASE_URL = storage.databaseUrl;
    if (storage.redisUrl) env.REDIS_URL = storage.redisUrl;
    const email = `restart-${Date.now()}@example.com`;
    const first = startServer(env);
    const url1 = await waitForUrl(first.output, 60_000);
    const reg = await fetch(`${url1}/api/v1/auth/register`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email, password: 'correct horse battery', role: 'lender', displayName: 'R' }) });
    expect(reg.status).toBe(201);
    first.child.kill('SIGTERM');
    expect(await first.exited).toBe(0);
    const second = startServer(env);
    const url2 = await waitForUrl(second.output, 60_000);
    const login = await fetch(`${url2}/api/v1/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email, password: 'correct horse battery' }) });
    expect(login.status).toBe(200);
    second.child.kill('SIGTERM');
    expect(await second.exited).toBe(0);
  });

  it('refuses to start on a bad setting, naming it', async () => {
    const server = startServer({ LENDBOOK_MAX_RATE_BPS: 'lots', LENDBOOK_DATA_DIR: 'memory://' });
    const code = await server.exited;
    expect(code).toBe(2);
    expect(server.output()).toContain('LENDBOOK_MAX_RATE_BPS');
  });
});
