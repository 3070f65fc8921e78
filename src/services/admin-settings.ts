import type { AppContext } from '../context.js';
import { AppError } from '../domain/errors.js';
import { GRADE_MAP_BOUNDS, INT_SETTING_BOUNDS, checkSettings, formatGradeMap, settingEnvName, type Settings } from '../domain/settings.js';
import { writeOutbox } from './outbox.js';

export const SETTINGS_CHANGED = { channel: 'system', type: 'settings.changed', data: {} } as const;

/** Settings as operators see them: the values in force, and which ones they overrode. */
export async function settingsView(ctx: AppContext) {
  const overrides = await ctx.settings.overrides();
  const current = ctx.settings.get();
  return {
    settings: current,
    bounds: { ...INT_SETTING_BOUNDS, ...GRADE_MAP_BOUNDS },
    overridden: Object.keys(overrides),
    environment: Object.fromEntries(Object.keys(current).map((k) => [k, settingEnvName(k as keyof Settings)])),
    gradeFloorBps: formatGradeMap(current.gradeFloorBps),
    clock: { settable: ctx.clock.settable, nowMs: ctx.clock.nowMs(), now: new Date(ctx.clock.nowMs()).toISOString(), offsetMs: ctx.clock.offsetMs() },
  };
}

/**
 * Operators change settings at run time: the merged result is checked as a whole, stored, and every node
 * reloads it when the change reaches it on the bus. `null` for a name returns it to its environment value.
 */
export async function updateSettings(ctx: AppContext, patch: Partial<Record<keyof Settings, unknown>>, byUserId: string) {
  const overrides: Record<string, unknown> = { ...(await ctx.settings.overrides()) };
  for (const [name, value] of Object.entries(patch)) {
    if (value === null) delete overrides[name];
    else overrides[name] = value;
  }
  const merged = { ...structuredClone(ctx.config.settings), ...overrides } as Settings;
  const checked = checkSettings(merged);
  if (!checked.ok) throw new AppError('SETTING_INVALID', checked.detail, { setting: checked.name, ...(checked.rule ? { rule: checked.rule } : {}) });
  await ctx.transaction(async (tx) => {
    await ctx.settings.saveOverrides(tx, overrides as Partial<Settings>, byUserId);
    await writeOutbox(tx, { messages: [SETTINGS_CHANGED] });
  });
  await ctx.settings.reload();
  return settingsView(ctx);
}

/** Moves the settable clock forward (demos, servicing tests); every node follows. */
export async function advanceClock(ctx: AppContext, byMs: number) {
  if (!ctx.clock.settable) throw new AppError('FORBIDDEN', 'the clock is the system clock; start with LENDBOOK_CLOCK=settable');
  const offset = ctx.clock.offsetMs() + byMs;
  await ctx.transaction(async (tx) => {
    await ctx.settings.saveClockOffset(tx, offset);
    await writeOutbox(tx, { messages: [SETTINGS_CHANGED] });
  });
  ctx.clock.setOffsetMs(offset);
  return { nowMs: ctx.clock.nowMs(), now: new Date(ctx.clock.nowMs()).toISOString(), offsetMs: offset };
}
