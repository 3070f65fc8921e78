import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { SessionCache } from '../../src/security/session-cache.js';

describe('SessionCache', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('answers within its TTL, not after', () => {
    const cache = new SessionCache<string>(2000);
    cache.set('a', 'alice');
    expect(cache.get('a')).toBe('alice');
    vi.advanceTimersByTime(1999);
    expect(cache.get('a')).toBe('alice');
    vi.advanceTimersByTime(1);
    expect(cache.get('a')).toBeUndefined();
  });

  it('keeps a known-bad token (null) apart from an unknown one (undefined)', () => {
    const cache = new SessionCache<string>(2000);
    cache.set('bad', null);
    expect(cache.get('bad')).toBeNull();
    expect(cache.get('other')).toBeUndefined();
  });

  it('drops expired entries by itself when nothing is looked up any more (a burst of logins does not stay in memory)', () => {
    const cache = new SessionCache<string>(2000);
    for (let i = 0; i < 10_000; i++) cache.set(`t${i}`, `user${i}`);
    vi.advanceTimersByTime(1000);
    cache.set('late', 'late user');
    expect(cache.size).toBe(10_001);
    vi.advanceTimersByTime(1000);
    expect(cache.size).toBe(1);
    expect(cache.get('late')).toBe('late user');
    vi.advanceTimersByTime(2000);
    expect(cache.size).toBe(0);
  });

  it('a refreshed entry lives a full TTL from its refresh', () => {
    const cache = new SessionCache<string>(2000);
    cache.set('a', 'v1');
    cache.set('b', 'b');
    vi.advanceTimersByTime(1500);
    cache.set('a', 'v2');
    vi.advanceTimersByTime(600);
    expect(cache.get('b')).toBeUndefined();
    expect(cache.get('a')).toBe('v2');
    vi.advanceTimersByTime(2000);
    expect(cache.size).toBe(0);
  });

  it('never holds more than its bound', () => {
    const cache = new SessionCache<string>(60_000, 100);
    for (let i = 0; i < 1000; i++) cache.set(`t${i}`, 'u');
    expect(cache.size).toBeLessThanOrEqual(100);
  });
});
