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
    const cache = new SessionCache<string>(60_000, 2000, 100);
    for (let i = 0; i < 1000; i++) cache.set(`t${i}`, 'u');
    expect(cache.size).toBeLessThanOrEqual(100);
  });
});

describe('session cache', () => {
  beforeEach(() => {
    vi.useFakeTimers();
    vi.setSystemTime(new Date('2026-12-07T10:00:00Z'));
  });
  afterEach(() => vi.useRealTimers());

  it('keeps a session for its time to live, and never past the session’s own expiry', () => {
    const cache = new SessionCache<string>(60_000, 2000);
    const nowMs = Date.now();
    cache.set('long', 'alice', nowMs + 3_600_000);
    cache.set('ending', 'bob', nowMs + 10_000);
    vi.advanceTimersByTime(9_999);
    expect(cache.get('long')).toBe('alice');
    expect(cache.get('ending')).toBe('bob');
    vi.advanceTimersByTime(1);
    expect(cache.get('ending')).toBeUndefined();
    vi.advanceTimersByTime(50_000);
    expect(cache.get('long')).toBeUndefined();
  });

  it('remembers an unknown token only briefly, and forgets everything when cleared', () => {
    const cache = new SessionCache<string>(60_000, 2000);
    cache.set('nobody', null);
    cache.set('alice', 'alice');
    expect(cache.get('nobody')).toBeNull();
    vi.advanceTimersByTime(2000);
    expect(cache.get('nobody')).toBeUndefined();
    expect(cache.get('alice')).toBe('alice');
    cache.clear();
    expect(cache.get('alice')).toBeUndefined();
  });
});
