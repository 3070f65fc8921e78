/**
 * Lints the OpenAPI document the server serves at /docs/json with Redocly's recommended rules and the
 * project's redocly.yaml: 0 errors and 0 warnings, or exit 1.
 *
 *   npm run lint:api
 *
 * The document comes from the app itself on in-memory storage (the same one the partner SDK's types are
 * generated from), written to a temporary file that Redocly reads.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { openApiDocument } from '../sdk/scripts/openapi.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const dir = mkdtempSync(path.join(tmpdir(), 'lendbook-openapi-'));
const file = path.join(dir, 'openapi.json');
try {
  writeFileSync(file, JSON.stringify(await openApiDocument(), null, 2));
  const redocly = path.join(root, 'node_modules', '.bin', 'redocly');
  const run = spawnSync(redocly, ['lint', file, '--config', path.join(root, 'redocly.yaml'), '--max-problems', '1000', '--format', 'stylish'], {
    cwd: root,
    encoding: 'utf8',
    env: { ...process.env, REDOCLY_TELEMETRY: 'off', REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true' },
  });
  const out = `${run.stdout ?? ''}${run.stderr ?? ''}`;
  process.stdout.write(out);
  // Redocly exits 0 with warnings: warnings count as failures here.
  const warned = /\b\d+ warnings?\b/.test(out) && !/\b0 warnings\b/.test(out);
  process.exitCode = run.status === 0 && !warned ? 0 : 1;
} finally {
  rmSync(dir, { recursive: true, force: true });
}
