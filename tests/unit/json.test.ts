import { describe, expect, it } from 'vitest';
import { findBadNumber } from '../../src/http/json.js';

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
