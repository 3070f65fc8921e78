import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { CHROMIUM } from './helpers/browser.js';

/** Builds web/dist once for the run (the app and widgets/v1.js), and checks that Chromium is there. */
export default function setup(): void {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get update && apt-get install -y chromium`);
  if (process.env.LENDBOOK_E2E_SKIP_BUILD === '1' && existsSync(fileURLToPath(new URL('../../web/dist/widgets/v1.js', import.meta.url)))) return;
  const started = Date.now();
  // A production build, as `npm start` makes it: vitest's NODE_ENV=test would give Vite's development builds of Lit.
  const res = spawnSync('npm', ['run', '--silent', 'build:web'], { cwd: fileURLToPath(new URL('../..', import.meta.url)), stdio: 'inherit', env: { ...process.env, NODE_ENV: 'production' } });
  if (res.status !== 0) throw new Error(`npm run build:web failed (${res.status ?? res.signal})`);
  console.log(`web/dist built in ${Date.now() - started} ms`);
}
