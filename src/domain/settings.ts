import { GRADES, isGrade, type Grade } from './grades.js';

/**
 * Market settings of docs/market-rules.md §8 (plus the rating and collateral settings). Read from
 * `LENDBOOK_<NAME>` at start and changeable by operators. Validation is pure so the config loader, the
 * admin route and tests share it.
 */
export interface Settings {
  maxRateBps: number;
  minBidMinor: number;
  auctionMinDurationSec: number;
  auctionMaxDurationSec: number;
  auctionDefaultDurationSec: number;
  lenderListingCapPct: number;
  softCloseSec: number;
  softCloseMaxExtensionSec: number;
  platformFeeBps: number;
  graceDays: number;
  penaltyBpsPerDay: number;
  defaultAfterDays: number;
  capLegalPersonMinor: number;
  capNaturalPersonMinor: number;
  minGradeToList: Grade;
  /** Lowest rate a bid may carry on a listing of each grade; absent grades have no floor. */
  gradeFloorBps: Partial<Record<Grade, number>>;
  /** Months of trading history a merchant needs before it may list. */
  minMonthsActive: number;
  /** Order financing: advance rate per grade, percent of eligible order value. */
  orderAdvancePct: Partial<Record<Grade, number>>;
  /** Order financing: oldest order (days since placed) that may back a listing. */
  orderMaxAgeDays: number;
  /** Warehouse receipts: loan-to-value cap, percent of the receipt's value. */
  warehouseLtvPct: number;
  /** Expected loss shown to lenders per grade, basis points of principal. */
  expectedLossBps: Record<Grade, number>;
  // Note transfers (docs/transfers.md): price limits around par, the seller's fee, the
  // days a note is held before it may be sold, and how long an offer stays open.
  transferMaxDiscountBps: number;
  transferMaxPremiumBps: number;
  transferFeeBps: number;
  transferMinHoldDays: number;
  transferOfferTtlDays: number;
  // Supply-chain finance (docs/supply-chain.md)
  /** Latest due date of a new claim, in days from its issue. */
  claimMaxDays: number;
  /** Deepest tier a claim may be assigned down to (tier 1 is the core enterprise's own supplier). */
  claimMaxTier: number;
  /** Claim-backed listings: advance rate per core enterprise grade, percent of the claims; E and HR never. */
  claimAdvancePct: Partial<Record<Grade, number>>;
  /** WebSocket limits per node, far above what real pages use: open sockets and subscriptions per
   * client address and per logged-in user. */
  wsMaxSocketsPerAddress: number;
  wsMaxSocketsPerUser: number;
  wsMaxSubscriptionsPerAddress: number;
  wsMaxSubscriptionsPerUser: number;
  /** Fee on principal repaid ahead of schedule, paid to the note holders like interest (0: none). */
  prepaymentFeeBps: number;
  // Autobid (docs/autobid.md)
  /** Most of a listing's amount that autobid bids together may cover, so manual bidders find room. */
  autobidMaxSharePct: number;
  /** The window over which autobid bids are counted for the rotation order. */
  autobidLookbackDays: number;
  /** A strategy saved enabled bids only on listings with at least this long to go. */
  autobidMinTimeLeftSec: number;
}

export const DEFAULT_SETTINGS: Settings = {
  maxRateBps: 2400,
  minBidMinor: 10000,
  auctionMinDurationSec: 3600,
  auctionMaxDurationSec: 1_209_600,
  auctionDefaultDurationSec: 604_800,
  lenderListingCapPct: 100,
  softCloseSec: 120,
  softCloseMaxExtensionSec: 3600,
  platformFeeBps: 0,
  graceDays: 3,
  penaltyBpsPerDay: 5,
  defaultAfterDays: 90,
  capLegalPersonMinor: 100_000_000,
  capNaturalPersonMinor: 20_000_000,
  minGradeToList: 'D',
  gradeFloorBps: {},
  minMonthsActive: 6,
  orderAdvancePct: { AA: 80, A: 75, B: 70, C: 60, D: 50 },
  orderMaxAgeDays: 60,
  warehouseLtvPct: 50,
  expectedLossBps: { AA: 50, A: 120, B: 250, C: 450, D: 750, E: 1200, HR: 2000 },
  transferMaxDiscountBps: 2000,
  transferMaxPremiumBps: 500,
  transferFeeBps: 50,
  transferMinHoldDays: 0,
  transferOfferTtlDays: 7,
  claimMaxDays: 365,
  claimMaxTier: 5,
  claimAdvancePct: { AA: 90, A: 85, B: 80, C: 70, D: 60 },
  wsMaxSocketsPerAddress: 200,
  wsMaxSocketsPerUser: 20,
  wsMaxSubscriptionsPerAddress: 4000,
  wsMaxSubscriptionsPerUser: 1000,
  prepaymentFeeBps: 100,
  autobidMaxSharePct: 60,
  autobidLookbackDays: 30,
  autobidMinTimeLeftSec: 600,
};

/** Grades whose claims can never back a listing, whatever the advance table says. */
export const CLAIM_UNFINANCEABLE_GRADES: readonly Grade[] = ['E', 'HR'];

type IntSettingName = {
  [K in keyof Settings]: Settings[K] extends number ? K : never;
}[keyof Settings];

/** What an integer setting counts, for people: the web app and the docs show each range in it. */
export type SettingUnit = 'bps' | 'bpsPerDay' | 'minor' | 'sec' | 'pct' | 'days' | 'months' | 'count';

export interface SettingBounds {
  min: number;
  max: number;
  unit: SettingUnit;
  /** Amounts are whole yuan. */
  multipleOf?: number;
}

/**
 * The documented range of every integer setting (docs/market-rules.md §8 lists the same, a test compares
 * them): a value outside is refused with the range named, from the environment at start and from
 * operators at run time.
 */
export const INT_SETTING_BOUNDS: Record<IntSettingName, SettingBounds> = {
  // The legal ceiling on private lending rates: 36 % a year.
  maxRateBps: { min: 1, max: 3600, unit: 'bps' },
  minBidMinor: { min: 100, max: 100_000_000, unit: 'minor', multipleOf: 100 },
  auctionMinDurationSec: { min: 1, max: 2_592_000, unit: 'sec' },
  auctionMaxDurationSec: { min: 1, max: 2_592_000, unit: 'sec' },
  auctionDefaultDurationSec: { min: 1, max: 2_592_000, unit: 'sec' },
  lenderListingCapPct: { min: 1, max: 100, unit: 'pct' },
  softCloseSec: { min: 0, max: 3600, unit: 'sec' },
  softCloseMaxExtensionSec: { min: 0, max: 86_400, unit: 'sec' },
  platformFeeBps: { min: 0, max: 1000, unit: 'bps' },
  graceDays: { min: 0, max: 30, unit: 'days' },
  penaltyBpsPerDay: { min: 0, max: 100, unit: 'bpsPerDay' },
  defaultAfterDays: { min: 1, max: 365, unit: 'days' },
  // The 2016 rules' caps per borrower are ceilings: operators may lower them, never raise them.
  capLegalPersonMinor: { min: 0, max: 100_000_000, unit: 'minor', multipleOf: 100 },
  capNaturalPersonMinor: { min: 0, max: 20_000_000, unit: 'minor', multipleOf: 100 },
  // The rating window is 12 months, so more than 12 months active can never be reached.
  minMonthsActive: { min: 0, max: 12, unit: 'months' },
  orderMaxAgeDays: { min: 1, max: 365, unit: 'days' },
  warehouseLtvPct: { min: 1, max: 100, unit: 'pct' },
  prepaymentFeeBps: { min: 0, max: 1000, unit: 'bps' },
  // A price is at least 50 % of par: a note is a claim on a schedule, not a lottery ticket.
  transferMaxDiscountBps: { min: 0, max: 5000, unit: 'bps' },
  transferMaxPremiumBps: { min: 0, max: 5000, unit: 'bps' },
  transferFeeBps: { min: 0, max: 1000, unit: 'bps' },
  transferMinHoldDays: { min: 0, max: 365, unit: 'days' },
  transferOfferTtlDays: { min: 1, max: 90, unit: 'days' },
  // One year at most for a claim (the 2025 rule: six months in principle); tiers 1..10.
  claimMaxDays: { min: 1, max: 365, unit: 'days' },
  claimMaxTier: { min: 1, max: 10, unit: 'count' },
  wsMaxSocketsPerAddress: { min: 1, max: 1_000_000, unit: 'count' },
  wsMaxSocketsPerUser: { min: 1, max: 1_000_000, unit: 'count' },
  wsMaxSubscriptionsPerAddress: { min: 1, max: 10_000_000, unit: 'count' },
  wsMaxSubscriptionsPerUser: { min: 1, max: 10_000_000, unit: 'count' },
  // 0 turns autobid off for every listing; 100 lets standing orders fill a listing alone.
  autobidMaxSharePct: { min: 0, max: 100, unit: 'pct' },
  autobidLookbackDays: { min: 1, max: 365, unit: 'days' },
  autobidMinTimeLeftSec: { min: 0, max: 2_592_000, unit: 'sec' },
};

/** Ranges of the per-grade settings' values. */
export const GRADE_MAP_BOUNDS = {
  gradeFloorBps: { min: 1, max: 3600, unit: 'bps' },
  orderAdvancePct: { min: 0, max: 100, unit: 'pct' },
  expectedLossBps: { min: 0, max: 10_000, unit: 'bps' },
  claimAdvancePct: { min: 0, max: 100, unit: 'pct' },
} as const satisfies Record<string, SettingBounds>;

/** "1..3600": how a range is named in messages (the web app turns it into percent or yuan). */
export function rangeText(b: { min: number; max: number }): string {
  return `${b.min}..${b.max}`;
}

/** Environment names: LENDBOOK_ + SCREAMING_SNAKE of the field. */
export function settingEnvName(name: keyof Settings): string {
  return 'LENDBOOK_' + name.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toUpperCase();
}

/** A refused combination names the rule it breaks (`durationOrder`, …) so clients can say it in words. */
export type SettingsResult = { ok: true; settings: Settings } | { ok: false; name: string; detail: string; rule?: 'durationOrder' | 'defaultDuration' | 'floorAboveMax' | 'unfinanceableGrade' };

const INT_PATTERN = /^(0|[1-9][0-9]{0,14})$/;

/** Parses 'AA:600,A:750' into a per-grade map of integers. 'none' or '' is an empty map. */
export function parseGradeMap(raw: string, bounds: { min: number; max: number }): Partial<Record<Grade, number>> | string {
  const trimmed = raw.trim();
  if (trimmed === '' || trimmed.toLowerCase() === 'none') return {};
  const out: Partial<Record<Grade, number>> = {};
  for (const part of trimmed.split(',')) {
    const [g, v] = part.split(':').map((s) => s.trim());
    if (!g || !isGrade(g)) return `unknown grade '${g ?? ''}' (grades: ${GRADES.join(', ')})`;
    if (v === undefined || !INT_PATTERN.test(v)) return `value for ${g} must be a non-negative integer`;
    const n = Number(v);
    if (n < bounds.min || n > bounds.max) return `value for ${g} must be within ${bounds.min}..${bounds.max}`;
    out[g] = n;
  }
  return out;
}

export function formatGradeMap(map: Partial<Record<Grade, number>>): string {
  const parts = GRADES.filter((g) => map[g] !== undefined).map((g) => `${g}:${map[g]}`);
  return parts.length ? parts.join(',') : 'none';
}

/** Checks relations between settings (each value alone is checked by its bounds). */
export function checkSettings(s: Settings): SettingsResult {
  for (const [name, b] of Object.entries(INT_SETTING_BOUNDS) as [IntSettingName, SettingBounds][]) {
    const v = s[name];
    if (!Number.isSafeInteger(v) || v < b.min || v > b.max) {
      return { ok: false, name, detail: `${name} must be an integer within ${rangeText(b)}` };
    }
    if (b.multipleOf && v % b.multipleOf !== 0) return { ok: false, name, detail: `${name} must be a multiple of ${b.multipleOf} (whole yuan)` };
  }
  if (!isGrade(s.minGradeToList)) return { ok: false, name: 'minGradeToList', detail: 'minGradeToList must be a grade' };
  if (s.auctionMinDurationSec > s.auctionMaxDurationSec) {
    return { ok: false, name: 'auctionMinDurationSec', detail: 'auctionMinDurationSec must not exceed auctionMaxDurationSec', rule: 'durationOrder' };
  }
  if (s.auctionDefaultDurationSec < s.auctionMinDurationSec || s.auctionDefaultDurationSec > s.auctionMaxDurationSec) {
    return { ok: false, name: 'auctionDefaultDurationSec', detail: 'auctionDefaultDurationSec must lie within the min and max durations', rule: 'defaultDuration' };
  }
  for (const g of GRADES) {
    for (const [name, b] of Object.entries(GRADE_MAP_BOUNDS) as [keyof typeof GRADE_MAP_BOUNDS, SettingBounds][]) {
      const v = s[name][g];
      if (v === undefined && name !== 'expectedLossBps') continue;
      if (!Number.isSafeInteger(v) || v! < b.min || v! > b.max) return { ok: false, name, detail: `${name} for ${g} must be an integer within ${rangeText(b)}` };
    }
    const floor = s.gradeFloorBps[g];
    if (floor !== undefined && floor > s.maxRateBps) {
      return { ok: false, name: 'gradeFloorBps', detail: `the floor for ${g} is above maxRateBps`, rule: 'floorAboveMax' };
    }
    if (s.claimAdvancePct[g] !== undefined && CLAIM_UNFINANCEABLE_GRADES.includes(g)) {
      return { ok: false, name: 'claimAdvancePct', detail: `claims of grade ${g} cannot back listings`, rule: 'unfinanceableGrade' };
    }
  }
  return { ok: true, settings: s };
}

/**
 * Reads settings from an environment-like map. Missing names keep their defaults; a malformed value is
 * refused with the variable named.
 */
export function settingsFromEnv(env: Record<string, string | undefined>, base: Settings = DEFAULT_SETTINGS): SettingsResult {
  const s: Settings = structuredClone(base);
  for (const name of Object.keys(INT_SETTING_BOUNDS) as IntSettingName[]) {
    const envName = settingEnvName(name);
    const raw = env[envName];
    if (raw === undefined || raw === '') continue;
    const b = INT_SETTING_BOUNDS[name];
    if (!INT_PATTERN.test(raw.trim())) return { ok: false, name: envName, detail: `${envName} must be an integer within ${rangeText(b)}, got '${raw}'` };
    s[name] = Number(raw.trim());
  }
  const gradeRaw = env[settingEnvName('minGradeToList')];
  if (gradeRaw !== undefined && gradeRaw !== '') {
    if (!isGrade(gradeRaw.trim())) return { ok: false, name: settingEnvName('minGradeToList'), detail: `must be one of ${GRADES.join(', ')}` };
    s.minGradeToList = gradeRaw.trim() as Grade;
  }
  const maps = Object.entries(GRADE_MAP_BOUNDS) as [keyof typeof GRADE_MAP_BOUNDS, SettingBounds][];
  for (const [name, bounds] of maps) {
    const envName = settingEnvName(name);
    const raw = env[envName];
    if (raw === undefined || raw === '') continue;
    const parsed = parseGradeMap(raw, bounds);
    if (typeof parsed === 'string') return { ok: false, name: envName, detail: `${envName}: ${parsed}` };
    if (name === 'expectedLossBps') s.expectedLossBps = { ...s.expectedLossBps, ...parsed };
    else (s as unknown as Record<string, unknown>)[name] = parsed;
  }
  const checked = checkSettings(s);
  if (!checked.ok) return { ok: false, name: settingEnvName(checked.name as keyof Settings), detail: checked.detail };
  return checked;
}
