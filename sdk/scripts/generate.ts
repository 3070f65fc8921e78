/**
 * Regenerates src/api-types.ts from the API's OpenAPI document, built from the app itself (no server,
 * no database: an in-memory PGlite), so that the SDK's types are exactly what /docs/json serves. The web
 * app and the widgets use the same file.
 *
 *   npm run generate -w @lendbook/partner              writes it
 *   npm run generate -w @lendbook/partner -- --check   exits 1 if the committed file is stale (CI)
 *
 * This script is the only part of the SDK that reads the server's code; the SDK itself is standalone.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { openApiDocument, typesOf } from './openapi.js';

const target = fileURLToPath(new URL('../src/api-types.ts', import.meta.url));
const fresh = await typesOf(await openApiDocument());
if (process.argv.includes('--check')) {
  const committed = readFileSync(target, 'utf8');
  if (committed !== fresh) {
    console.error(`${target} is stale: run npm run generate -w @lendbook/partner and commit it`);
    process.exitCode = 1;
  } else console.log(`${target} matches the served document`);
} else {
  writeFileSync(target, fresh);
  console.log(`wrote ${target}`);
}
