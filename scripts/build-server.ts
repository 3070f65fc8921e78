/**
 * Compiles the server (src/**\/*.ts) to plain JavaScript in dist/, file for file, for the production start
 * (`node dist/server.js`) and `npm start`. Running the TypeScript through tsx at run time cost the server
 * about 70 MB of its memory: tsx's loader hooks run in a second V8 isolate of their own, which holds every
 * transpiled module, and the main isolate kept each module's inline source map as well (docs/performance.md,
 * "Memory"). Tests and `npm run dev` still run the sources through tsx.
 *
 * `--if-stale` builds only when a source, tsconfig.json or package-lock.json is newer than the last build.
 * Every file is written to a temporary name and renamed into place, so a server starting meanwhile reads
 * either the old file or the new one, never half of one. Source maps go next to the files (node reads them
 * only with --enable-source-maps).
 */
import { build } from 'esbuild';
import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';

const root = path.resolve(import.meta.dirname, '..');
const srcDir = path.join(root, 'src');
const outDir = path.join(root, 'dist');
const stamp = path.join(outDir, '.built');

function filesUnder(dir: string): string[] {
  const out: string[] = [];
  const pending = [dir];
  while (pending.length > 0) {
    const d = pending.pop()!;
    for (const entry of readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, entry.name);
      if (entry.isDirectory()) pending.push(p);
      else out.push(p);
    }
  }
  return out;
}

function isStale(sources: string[]): boolean {
  if (!existsSync(stamp) || !existsSync(path.join(outDir, 'server.js'))) return true;
  const builtAtMs = statSync(stamp).mtimeMs;
  const inputs = [...sources, srcDir, path.join(root, 'tsconfig.json'), path.join(root, 'package-lock.json')];
  return inputs.some((p) => existsSync(p) && statSync(p).mtimeMs > builtAtMs);
}

/** Writes next to the target and renames: the replacement is atomic. */
function writeAtomically(file: string, contents: Uint8Array | string): void {
  mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, contents);
  renameSync(tmp, file);
}

const sources = filesUnder(srcDir);
if (process.argv.includes('--if-stale') && !isStale(sources)) process.exit(0);

const startedMs = Date.now();
const result = await build({
  entryPoints: sources.filter((f) => f.endsWith('.ts')),
  outdir: outDir,
  outbase: srcDir,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  sourcemap: 'linked',
  tsconfig: path.join(root, 'tsconfig.json'),
  write: false,
  logLevel: 'warning',
});
const written = new Set<string>();
for (const file of result.outputFiles) {
  writeAtomically(file.path, file.contents);
  written.add(file.path);
}
// Files the server reads at run time next to its modules (e.g. the common-password list).
for (const file of sources.filter((f) => !f.endsWith('.ts'))) {
  const target = path.join(outDir, path.relative(srcDir, file));
  writeAtomically(target, readFileSync(file));
  written.add(target);
}
// Outputs of sources that no longer exist would never be imported, but they would mislead a reader.
for (const file of filesUnder(outDir)) {
  if (!written.has(file) && file !== stamp && !file.endsWith('.tmp')) rmSync(file, { force: true });
}
writeAtomically(stamp, new Date(startedMs).toISOString() + '\n');
process.stdout.write(`Compiled the server to dist/ (${result.outputFiles.length} files, ${Date.now() - startedMs} ms)\n`);
