import { readFileSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ERROR_CATALOGUE, isErrorCode } from '../../src/domain/errors.js';

const root = path.resolve(import.meta.dirname, '../..');

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = path.join(dir, name);
    return statSync(p).isDirectory() ? sourceFiles(p) : p.endsWith('.ts') ? [p] : [];
  });
}

/** Every place a code is raised: AppError, reject(), problemOf(), wsError(). */
const RAISE = /(?:new AppError|reject|problemOf|wsError|rejectWith)\(\s*'([A-Z][A-Z0-9_]+)'/g;

describe('the error catalogue', () => {
  const files = sourceFiles(path.join(root, 'src'));
  const raised = new Map<string, string>();
  for (const f of files) {
    for (const m of readFileSync(f, 'utf8').matchAll(RAISE)) raised.set(m[1]!, path.relative(root, f));
  }

  it('finds the places that raise codes', () => {
    expect(raised.size).toBeGreaterThan(10);
  });

  it('contains every code raised anywhere in src/', () => {
    const unknown = [...raised.entries()].filter(([code]) => !isErrorCode(code)).map(([c, f]) => `${c} (${f})`);
    expect(unknown).toEqual([]);
  });

  it('is documented, code by code with its status, in docs/errors.md', () => {
    const doc = readFileSync(path.join(root, 'docs/errors.md'), 'utf8');
    const missing = Object.entries(ERROR_CATALOGUE)
      .filter(([code, e]) => !new RegExp(`^\\|\\s*\`${code}\`\\s*\\|\\s*${e.status}\\s*\\|`, 'm').test(doc))
      .map(([code]) => code);
    expect(missing).toEqual([]);
  });

  it('documents no code that does not exist', () => {
    const doc = readFileSync(path.join(root, 'docs/errors.md'), 'utf8');
    const documented = [...doc.matchAll(/^\|\s*`([A-Z][A-Z0-9_]+)`\s*\|/gm)].map((m) => m[1]!);
    expect(documented.filter((c) => !isErrorCode(c))).toEqual([]);
  });

  it('maps business rejections to 409 or 422, never to 5xx', () => {
    for (const [code, e] of Object.entries(ERROR_CATALOGUE)) {
      if (code === 'INTERNAL' || code === 'SERVICE_UNAVAILABLE') continue;
      expect(e.status, code).toBeLessThan(500);
    }
  });
});
