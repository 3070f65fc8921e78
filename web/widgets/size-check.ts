/**
 * The widget module's size budget: web/dist/widgets/v1.js must stay under 25 KB gzipped.
 *
 *   npm run check:widget-size            # builds the module first when a source is newer than it
 *   npm run check:widget-size -- --build # always builds first
 *
 * Prints the figure; exits 1 above the budget (CI calls it), 2 when the module cannot be built.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { brotliCompressSync, gzipSync } from 'node:zlib';

/** 25 KB, counted in thousands of bytes (the stricter reading of "KB"). */
export const BUDGET_GZIP_BYTES = 25_000;

const repo = fileURLToPath(new URL('../..', import.meta.url));
const file = path.join(repo, 'web', 'dist', 'widgets', 'v1.js');
/** What goes into the module: a newer file here means the built one is stale. */
const SOURCES = ['web/widgets', 'web/src/components', 'web/src/lib', 'src/domain', 'web/vite.widgets.config.ts'].map((p) => path.join(repo, p));

function newestMtime(p: string): number {
  if (!existsSync(p)) return 0;
  const st = statSync(p);
  if (!st.isDirectory()) return st.mtimeMs;
  let newest = 0;
  for (const entry of readdirSync(p)) newest = Math.max(newest, newestMtime(path.join(p, entry)));
  return newest;
}

function fmt(n: number): string {
  return n.toLocaleString('en-US');
}

async function main(): Promise<void> {
  const force = process.argv.includes('--build');
  const stale = !existsSync(file) || SOURCES.some((s) => newestMtime(s) > statSync(file).mtimeMs);
  if (force || stale) {
    console.log(`building ${path.relative(repo, file)} (${force ? 'asked' : existsSync(file) ? 'sources are newer' : 'not built yet'})`);
    const { build } = await import('vite');
    try {
      await build({ configFile: path.join(repo, 'web', 'vite.widgets.config.ts'), logLevel: 'warn' });
    } catch (err) {
      console.error('widget build failed:', err);
      process.exit(2);
    }
  }
  const code = readFileSync(file);
  const gz = gzipSync(code).length; // zlib's default level, as servers usually send it
  const br = brotliCompressSync(code).length;
  const ok = gz < BUDGET_GZIP_BYTES;
  console.log(`widgets/v1.js: ${fmt(code.length)} bytes, ${fmt(gz)} bytes gzipped (${(gz / 1000).toFixed(1)} KB; brotli ${fmt(br)}); budget < ${fmt(BUDGET_GZIP_BYTES)} bytes gzipped: ${ok ? 'OK' : 'OVER BUDGET'}`);
  if (!ok) {
    console.error(`v1.js is ${fmt(gz - BUDGET_GZIP_BYTES)} bytes over the 25 KB gzip budget: keep uPlot and app-only code out of web/widgets.`);
    process.exit(1);
  }
}

await main();
