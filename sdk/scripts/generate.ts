/**
 * Regenerates src/api-types.ts from the API's OpenAPI document, built from the app itself (no server,
 * no database: an in-memory PGlite), so that the SDK's types are exactly what /docs/json serves.
 *
 *   npm run generate -w @lendbook/partner
 *
 * This script is the only part of the SDK that reads the server's code; the SDK itself is standalone.
 */
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { openApiDocument, typesOf } from './openapi.js';

const target = fileURLToPath(new URL('../src/api-types.ts', import.meta.url));
writeFileSync(target, await typesOf(await openApiDocument()));
console.log(`wrote ${target}`);
