import fc from 'fast-check';
import { fromEpochDay, toEpochDay } from '../../../src/domain/dates.js';
import type { ServicingSettings } from '../../../src/domain/servicing/index.js';
import { DEFAULT_SETTINGS } from '../../../src/domain/settings.js';

/** Terms a listing may have (docs/market-rules.md §1). */
export const TERMS = [1, 2, 3, 6, 9, 12, 18, 24, 36] as const;

/** Any date 2020–2035, month ends and leap days included. */
export const arbDate = fc
  .integer({ min: toEpochDay('2020-01-01'), max: toEpochDay('2035-12-31') })
  .map((d) => fromEpochDay(d));

export const SETTINGS: ServicingSettings = {
  graceDays: DEFAULT_SETTINGS.graceDays,
  penaltyBpsPerDay: DEFAULT_SETTINGS.penaltyBpsPerDay,
  defaultAfterDays: DEFAULT_SETTINGS.defaultAfterDays,
};
