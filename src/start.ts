/**
 * `npm start`: builds the web app when its sources changed since the last build, then runs the server
 * in this same process. It runs compiled, as dist/start.js: the npm script first brings dist/ up to date
 * (scripts/build-server.ts --if-stale), then execs node on it, so no shell stays between npm and node and
 * a SIGTERM or SIGINT that npm forwards reaches the server itself; it drains and exits, nothing is left
 * behind. The production start (README) is `node dist/server.js` with web/dist and dist/ built beforehand.
 */
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

const root = path.resolve(import.meta.dirname, '..');

/** Newest modification time under the given paths (files and folders, recursively, iteratively). */
function newestMtimeMs(paths: string[], skip: Set<string>): number {
  let newest = 0;
  const pending = [...paths];
  while (pending.length > 0) {
    const p = pending.pop()!;
    if (skip.has(p) || !existsSync(p)) continue;
    const st = statSync(p);
    newest = Math.max(newest, st.mtimeMs);
    if (st.isDirectory()) for (const name of readdirSync(p)) pending.push(path.join(p, name));
  }
  return newest;
}

function webBuildIsFresh(): boolean {
  const built = path.join(root, 'web', 'dist', 'widgets', 'v1.js'); // the last file `build:web` writes
  if (!existsSync(built)) return false;
  const web = path.join(root, 'web');
  const sources = newestMtimeMs([web, path.join(root, 'src', 'domain'), path.join(root, 'package-lock.json')], new Set([path.join(web, 'dist'), path.join(web, 'test')]));
  return statSync(built).mtimeMs >= sources;
}

/** One `vite build` as a child process (no shell); a signal meanwhile stops it and this process. */
function viteBuild(config: string): Promise<void> {
  const vite = path.join(path.dirname(createRequire(import.meta.url).resolve('vite/package.json')), 'bin', 'vite.js');
  const child = spawn(process.execPath, [vite, 'build', '--config', config, '--logLevel', 'warn'], { cwd: root, stdio: 'inherit', env: { ...process.env, NODE_ENV: 'production' } });
  const stop = (signal: NodeJS.Signals) => {
    child.kill(signal);
    process.exitCode = 130;
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      if (code === 0) resolve();
      else if (signal || process.exitCode === 130) process.exit(process.exitCode ?? 1);
      else reject(new Error(`vite build --config ${config} exited with ${code}`));
    });
  });
}

if (!webBuildIsFresh()) {
  process.stdout.write('Building the web app (web/dist)…\n');
  await viteBuild('web/vite.config.ts');
  await viteBuild('web/vite.widgets.config.ts');
}
await import('./server.js');
