import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { SessionCache } from '../../src/security/session-cache.js';

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
