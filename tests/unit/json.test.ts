import { describe, expect, it } from 'vitest';
import { findBadNumber, findJsonProblem, MAX_JSON_DEPTH } from '../../src/security/json.js';

describe('findBadNumber', () => {
  it('accepts plain integers and numbers inside strings', () => {
    expect(findBadNumber('{"amountMinor": 100000, "rateBps": -12, "note": "1.5e3 and -0"}')).toBeUndefined();
    expect(findBadNumber('[0, 1, 999999999999999]')).toBeUndefined();
  });
  it.each([
    ['{"amountMinor": 1e5}', '/amountMinor', '1e5'],
    ['{"amountMinor": 100.0}', '/amountMinor', '100.0'],
    ['{"amountMinor": -0}', '/amountMinor', '-0'],
    ['{"a": {"b": [1, 2, 3.5]}}', '/a/b/2', '3.5'],
    ['{"amountMinor": 12345678901234567890}', '/amountMinor', '12345678901234567890'],
    ['{"x\\"y": 1E2}', '/x"y', '1E2'],
    ['{"orders": [{"amountMinor": 1}, {"amountMinor": 2.5e-1}]}', '/orders/1/amountMinor', '2.5e-1'],
  ])('finds %s', (body, path, literal) => {
    expect(findBadNumber(body)).toEqual({ path, literal });
  });
  it('leaves malformed JSON to the parser', () => {
    expect(findBadNumber('{"a": 1.5')).toBeUndefined();
  });
});

describe('hostile nesting', () => {
  // 10 KB: under every body and frame limit, and once enough to overflow a recursive walk.
  const deep = '['.repeat(5000) + '1.5' + ']'.repeat(5000);

  it('a 5,000-deep text is refused as too deep, without walking it', () => {
    expect(findJsonProblem(deep)).toEqual({ kind: 'depth', depth: MAX_JSON_DEPTH + 1 });
    expect(findJsonProblem(`{"a":${'{"b":'.repeat(40)}1${'}'.repeat(40)}}`)).toMatchObject({ kind: 'depth' });
  });

  it('the number scan itself never recurses, however deep the text', () => {
    expect(() => findBadNumber(deep)).not.toThrow();
    expect(findBadNumber(deep)?.literal).toBe('1.5');
    expect(findBadNumber(deep)?.path.split('/').length).toBe(5001);
  });

  it('depth up to the limit is fine; brackets inside strings do not count', () => {
    expect(findJsonProblem('['.repeat(MAX_JSON_DEPTH) + ']'.repeat(MAX_JSON_DEPTH))).toBeUndefined();
    expect(findJsonProblem(JSON.stringify({ note: '['.repeat(1000) }))).toBeUndefined();
  });
});
