import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

/**
 * The web client names the API's shapes; it never copies them. Every server shape in types.ts is an
 * alias of a type generated from the OpenAPI document (sdk/src/api-types.ts), so a route's schema change
 * reaches every view through the type check.
 */
const source = readFileSync(new URL('../src/lib/types.ts', import.meta.url), 'utf8');

describe('web/src/lib/types.ts', () => {
  it('declares no shape of its own: interfaces only for the generic page envelope', () => {
    const interfaces = [...source.matchAll(/^export interface (\w+)/gm)].map((m) => m[1]);
    expect(interfaces).toEqual(['Page']);
  });

  it('aliases every exported type to the generated contract (or to another alias)', () => {
    const aliases = [...source.matchAll(/^export type (\w+)(?:<[^>]*>)? = ([^;]+);/gm)];
    expect(aliases.length).toBeGreaterThan(60);
    const own = aliases.filter(([, , rhs]) => rhs!.includes('{'));
    expect(own.map(([, name]) => name)).toEqual([]);
    expect(source).toMatch(/from '..\/..\/..\/sdk\/src\/api-types.js'/);
  });
});
