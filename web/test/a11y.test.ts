import { describe, expect, it, vi } from 'vitest';
import { Announcer } from '../src/lib/a11y.js';

/** An announcer on fake timers: what it writes to its live region, and when. */
function rig(opts: { gapMs?: number; settleMs?: number } = {}) {
  vi.useFakeTimers({ now: 0 });
  const said: { text: string; atMs: number }[] = [];
  const a = new Announcer((text) => said.push({ text, atMs: Date.now() }), opts);
  return { a, said };
}

describe('Announcer', () => {
  it('does not announce the state the page loaded with, then announces a change at once', () => {
    const { a, said } = rig();
    a.say('rate 12.00%');
    expect(said).toEqual([]);
    a.say('rate 11.50%');
    expect(said).toEqual([{ text: 'rate 11.50%', atMs: 0 }]);
    vi.useRealTimers();
  });

  it('speaks at most once per 5 s, the latest state winning, and never repeats itself', () => {
    const { a, said } = rig();
    a.prime('rate 12.00%');
    a.say('rate 11.90%'); // t=0: spoken
    vi.advanceTimersByTime(1000);
    a.say('rate 11.80%');
    vi.advanceTimersByTime(1000);
    a.say('rate 11.70%'); // the latest before the gap ends
    vi.advanceTimersByTime(2999);
    expect(said.map((s) => s.text)).toEqual(['rate 11.90%']);
    vi.advanceTimersByTime(1); // t=5000
    expect(said).toEqual([
      { text: 'rate 11.90%', atMs: 0 },
      { text: 'rate 11.70%', atMs: 5000 },
    ]);
    // A change that comes back to what was last said is no news.
    a.say('rate 11.60%');
    a.say('rate 11.70%');
    vi.advanceTimersByTime(60_000);
    expect(said).toHaveLength(2);
    // A burst over a minute: one announcement per 5 s at most.
    for (let i = 0; i < 600; i++) {
      a.say(`rate ${i}`);
      vi.advanceTimersByTime(100);
    }
    vi.advanceTimersByTime(10_000);
    for (let i = 1; i < said.length; i++) expect(said[i]!.atMs - said[i - 1]!.atMs).toBeGreaterThanOrEqual(5000);
    expect(said.length).toBeLessThanOrEqual(2 + 60_000 / 5000 + 1);
    expect(said.at(-1)!.text).toBe('rate 599');
    vi.useRealTimers();
  });

  it('with settleMs, waits for the text to stop changing (typing) and speaks the last one', () => {
    const { a, said } = rig({ gapMs: 0, settleMs: 700 });
    a.prime('');
    for (const text of ['win 1', 'win 12', 'reject']) {
      a.say(text);
      vi.advanceTimersByTime(300);
    }
    expect(said).toEqual([]);
    vi.advanceTimersByTime(400);
    expect(said.map((s) => s.text)).toEqual(['reject']);
    // The same text said again by a re-render does not restart the wait.
    a.say('win 13');
    vi.advanceTimersByTime(500);
    a.say('win 13');
    vi.advanceTimersByTime(200);
    expect(said.map((s) => s.text)).toEqual(['reject', 'win 13']);
    vi.useRealTimers();
  });

  it('a failing region does not break the page; dispose drops what is pending', () => {
    vi.useFakeTimers({ now: 0 });
    const a = new Announcer(() => {
      throw new Error('gone');
    });
    a.prime('x');
    expect(() => a.say('y')).not.toThrow();
    a.say('z');
    a.dispose();
    expect(() => vi.advanceTimersByTime(10_000)).not.toThrow();
    vi.useRealTimers();
  });
});
