import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestStorage, type TestStorage } from './helpers/env.js';
import { isAlive, processTree, startProcess, waitForUrl } from './helpers/process.js';
import { waitFor } from './helpers/wait.js';

const storages: TestStorage[] = [];
const dirs: string[] = [];
// The production start runs the compiled server: build it as the README says (`npm run build:server`).
beforeAll(() => {
  execFileSync(process.execPath, ['--import', 'tsx', 'scripts/build-server.ts', '--if-stale'], { stdio: 'inherit' });
});
afterAll(async () => {
  for (const s of storages) await s.dispose();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** The development entry as the tests always ran it. */
function startServer(env: Record<string, string>) {
  return startProcess(process.execPath, ['--import', 'tsx', 'src/server.ts'], env);
}

async function storageEnv(prefix: string): Promise<Record<string, string>> {
  const storage = await createTestStorage();
  storages.push(storage);
  const dataDir = mkdtempSync(path.join(tmpdir(), prefix));
  dirs.push(dataDir);
  const env: Record<string, string> = { LENDBOOK_DATA_DIR: dataDir, LENDBOOK_REDIS_PREFIX: storage.redisPrefix };
  if (storage.databaseUrl) env.DATABASE_URL = storage.databaseUrl;
  if (storage.redisUrl) env.REDIS_URL = storage.redisUrl;
  return env;
}

/** What a production deployment must set (NODE_ENV=production refuses the demo's conveniences). */
const PRODUCTION_ENV = {
  NODE_ENV: 'production',
  LENDBOOK_CUSTODIAN: 'callback',
  LENDBOOK_CUSTODIAN_SECRET: 'custodian-secret-custodian-secret-0001',
  LENDBOOK_SECRET_KEY: 'server-key-server-key-server-key-server-key-01',
};

describe('the server process', () => {
  it('prints its URL once the port is open, logs no line per request at info, and one line when stopped (exit 0 on SIGINT)', async () => {
    const server = startServer({ ...(await storageEnv('lendbook-proc-')), LOG_LEVEL: 'info' });
    const url = await waitForUrl(server.output, 60_000);
    // The banner is printed once the port is open: the first request right after it is answered.
    const res = await fetch(`${url}/healthz`);
    expect(res.status).toBe(200);
    const ready = await fetch(`${url}/readyz`);
    expect(ready.status).toBe(200);
    expect((await fetch(`${url}/api/v1/listings`)).status).toBe(200);
    server.child.kill('SIGINT');
    expect(await server.exited).toBe(0);
    // At info, requests leave no line (they are debug); the banner is not buried under them.
    expect(server.output()).not.toMatch(/"url":"\/(healthz|readyz|api\/v1\/listings)"/);
    expect(server.output()).not.toContain('request completed');
    expect(server.output().trimEnd().split('\n').at(-1)).toBe('Lendbook stopped.');
  });

  // A process manager signals the top process only (Docker's stop, systemd, Kubernetes): it must take the
  // whole tree down with it, after draining; nothing may be left running, orphaned.
  const starts = [
    { name: 'npm start', command: 'npm', args: ['start'], env: {} },
    { name: 'the production start (node dist/server.js)', command: process.execPath, args: ['dist/server.js'], env: PRODUCTION_ENV },
  ];
  for (const start of starts) {
    for (const signal of ['SIGTERM', 'SIGINT'] as const) {
      it(`${signal} to the top process of ${start.name} drains and leaves no process of its tree`, async () => {
        const server = startProcess(start.command, start.args, { ...(await storageEnv('lendbook-stop-')), ...start.env, LOG_LEVEL: 'info' });
        // npm start builds the web app first when its sources changed (once; later starts reuse it).
        const url = await waitForUrl(server.output, 300_000);
        expect((await fetch(`${url}/healthz`)).status).toBe(200);
        const tree = processTree(server.child.pid!);
        expect(tree.length).toBeGreaterThanOrEqual(1);
        server.child.kill(signal);
        const code = await server.exited;
        await waitFor(() => tree.every((pid) => !isAlive(pid)), 20_000, 50).catch(() => {
          throw new Error(`left running after ${signal} to ${start.name}: ${tree.filter(isAlive).join(', ')}\n${server.output().slice(-2000)}`);
        });
        expect(server.output()).toContain(`"reason":"${signal}"`);
        expect(server.output()).not.toContain('shutdown took longer');
        console.log(`${start.name}: ${signal} to pid ${server.child.pid} (exit ${code}); its tree of ${tree.length} processes is gone`);
      });
    }
  }

  it('NODE_ENV=production refuses simulated money, naming the variable', async () => {
    const server = startServer({ ...PRODUCTION_ENV, LENDBOOK_CUSTODIAN: 'simulated', LENDBOOK_DATA_DIR: 'memory://' });
    expect(await server.exited).toBe(2);
    expect(server.output()).toContain('LENDBOOK_CUSTODIAN');
  });

  it('a promise rejection that nobody handles is logged and the process keeps running', async () => {
    const proc = startProcess(process.execPath, ['--import', 'tsx', 'tests/integration/fixtures/unhandled-rejection.ts'], {});
    expect(await proc.exited).toBe(0);
    expect(proc.output()).toContain('error: unhandled promise rejection; the server keeps running a handler failed without a catch');
    expect(proc.output()).toContain('still serving');
  });

  it('keeps its data across a restart (the PGlite folder, or PostgreSQL)', async () => {
    const env = await storageEnv('lendbook-restart-');
    const email = `restart-${Date.now()}@example.com`;
    const first = startServer({ ...env, LOG_LEVEL: 'debug' });
    const url1 = await waitForUrl(first.output, 60_000);
    const reg = await fetch(`${url1}/api/v1/auth/register`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email, password: 'correct horse battery', role: 'lender', displayName: 'R' }) });
    expect(reg.status).toBe(201);
    // LOG_LEVEL=debug brings the line per request back.
    await waitFor(() => /"url":"\/api\/v1\/auth\/register","status":201/.test(first.output()), 20_000);
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
