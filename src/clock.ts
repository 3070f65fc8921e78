/**
 * The one source of "now" for the imperative shell. The domain never reads a clock; services pass
 * `clock.nowMs()` in. A settable clock (demo, servicing tests) runs at real speed from an offset that
 * operators or tests can move forward.
 */
export interface Clock {
  nowMs(): number;
  readonly settable: boolean;
  /** Offset from the system clock, in ms (0 for the system clock). */
  offsetMs(): number;
  setOffsetMs(offsetMs: number): void;
}

export function systemClock(): Clock {
  return {
    nowMs: () => Date.now(),
    settable: false,
    offsetMs: () => 0,
    setOffsetMs: () => {
      throw new Error('the system clock cannot be moved; start with LENDBOOK_CLOCK=settable');
    },
  };
}

export function settableClock(initialOffsetMs = 0): Clock {
  let offset = initialOffsetMs;
  return {
    nowMs: () => Date.now() + offset,
    settable: true,
    offsetMs: () => offset,
    setOffsetMs: (ms: number) => {
      if (!Number.isSafeInteger(ms)) throw new Error('clock offset must be an integer of ms');
      offset = ms;
    },
  };
}
