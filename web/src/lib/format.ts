/**
 * Money, rates, percents, dates and durations for display, and parsing of what users type.
 *
 * Money is integer minor units (fen) end to end: formatting and parsing use integer and string
 * arithmetic only, never a float (¥1,234.56 is 123456). Rates are integer basis points (12.50% is 1250).
 */
import { locale, localeTag, t } from './i18n.js';

function assertSafe(value: number, what: string): void {
  if (!Number.isSafeInteger(value)) throw new TypeError(`${what} must be a safe integer, got ${String(value)}`);
}

function group(digits: string): string {
  return digits.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

export interface MoneyOptions {
  /** Show a + for positive amounts. */
  sign?: boolean;
  /** Drop the fen when they are zero (¥1,000 instead of ¥1,000.00). */
  trimZeroFen?: boolean;
  /** Leave out the ¥ symbol. */
  plain?: boolean;
}

/** 123456 → "¥1,234.56"; -5 → "-¥0.05". */
export function money(minor: number, opts: MoneyOptions = {}): string {
  assertSafe(minor, 'money');
  const negative = minor < 0;
  const abs = negative ? -minor : minor;
  const fen = abs % 100;
  const yuan = (abs - fen) / 100; // exact: abs - fen is a multiple of 100
  const fenText = opts.trimZeroFen && fen === 0 ? '' : `.${String(fen).padStart(2, '0')}`;
  const sign = negative ? '-' : opts.sign && minor > 0 ? '+' : '';
  return `${sign}${opts.plain ? '' : '¥'}${group(String(yuan))}${fenText}`;
}

/**
 * Short money for chart axes and dense cells: ¥12.3万 / ¥1.2亿 in Chinese, ¥12.3k / ¥1.2M in English.
 * Rounds down to one decimal of the unit, with integers only.
 */
export function moneyShort(minor: number): string {
  assertSafe(minor, 'money');
  const negative = minor < 0;
  const abs = negative ? -minor : minor;
  const yuan = (abs - (abs % 100)) / 100;
  const units: [number, string][] = locale() === 'zh' ? [[100_000_000, '亿'], [10_000, '万']] : [[1_000_000_000, 'B'], [1_000_000, 'M'], [1_000, 'k']];
  let text = group(String(yuan));
  for (const [size, suffix] of units) {
    if (yuan >= size) {
      const tenths = (yuan - (yuan % (size / 10))) / (size / 10); // whole tenths of the unit
      const whole = (tenths - (tenths % 10)) / 10;
      const decimal = tenths % 10;
      text = `${group(String(whole))}${decimal ? `.${decimal}` : ''}${suffix}`;
      break;
    }
  }
  return `${negative ? '-' : ''}¥${text}`;
}

/** 1250 → "12.50%". */
export function rate(bps: number): string {
  assertSafe(bps, 'rate');
  const negative = bps < 0;
  const abs = negative ? -bps : bps;
  const hundredths = abs % 100;
  return `${negative ? '-' : ''}${(abs - hundredths) / 100}.${String(hundredths).padStart(2, '0')}%`;
}

/** Integer percent: 75 → "75%". */
export function pct(value: number): string {
  return `${value}%`;
}

/** Basis points as a percent without the % sign, for inputs: 1250 → "12.50". */
export function bpsToInput(bps: number): string {
  return rate(bps).slice(0, -1);
}

/** Minor units as a plain amount for inputs: 123400 → "1234", 123456 → "1234.56". */
export function minorToInput(minor: number): string {
  return money(minor, { plain: true, trimZeroFen: true }).replace(/,/g, '');
}

/**
 * What a user typed as money ("1,234.56", "¥1234", "1234.5") → minor units, or null when it is not an
 * amount. No float: the text is split at the decimal point.
 */
export function parseMoney(input: string): number | null {
  const text = input.trim().replace(/^¥\s*/, '').replace(/[,\s]/g, '');
  const m = /^(\d{1,13})(?:\.(\d{0,2}))?$/.exec(text);
  if (!m) return null;
  const minor = Number(m[1]) * 100 + Number((m[2] ?? '').padEnd(2, '0'));
  return Number.isSafeInteger(minor) ? minor : null;
}

/** What a user typed as a rate in percent ("12.5", "12.50%") → basis points, or null. */
export function parseRate(input: string): number | null {
  const text = input.trim().replace(/\s*%$/, '');
  const m = /^(\d{1,4})(?:\.(\d{0,2}))?$/.exec(text);
  if (!m) return null;
  return Number(m[1]) * 100 + Number((m[2] ?? '').padEnd(2, '0'));
}

// ---- time ----

let serverOffsetMs = 0;

/** The server clock minus the local clock, learnt from responses; countdowns use server time. */
export function setServerOffset(ms: number): void {
  serverOffsetMs = Math.abs(ms) < 1500 ? 0 : ms;
}

export function serverNow(): number {
  return Date.now() + serverOffsetMs;
}

const formatters = new Map<string, Intl.DateTimeFormat>();
function dtf(kind: 'date' | 'datetime' | 'time' | 'month'): Intl.DateTimeFormat {
  const key = `${locale()}:${kind}`;
  let f = formatters.get(key);
  if (!f) {
    const options: Intl.DateTimeFormatOptions =
      kind === 'date'
        ? { year: 'numeric', month: 'short', day: 'numeric' }
        : kind === 'month'
          ? { year: 'numeric', month: 'short', timeZone: 'UTC' }
          : kind === 'time'
            ? { hour: '2-digit', minute: '2-digit', second: '2-digit', hour12: false }
            : { year: 'numeric', month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit', hour12: false };
    f = new Intl.DateTimeFormat(localeTag(), options);
    formatters.set(key, f);
  }
  return f;
}

/** An RFC 3339 timestamp, or a YYYY-MM-DD date (shown as that calendar day). */
export function date(value: string | number | null | undefined): string {
  if (value === null || value === undefined || value === '') return '—';
  if (typeof value === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(value)) {
    const [y, m, d] = value.split('-').map(Number) as [number, number, number];
    return dtf('date').format(new Date(y, m - 1, d));
  }
  return dtf('date').format(new Date(value));
}

/** A loan's length: its months, or the day a claim-backed loan matures. */
export function term(l: { termMonths: number | null; maturesOn?: string | null | undefined }): string {
  return l.maturesOn ? t('listing.maturesOn', { date: date(l.maturesOn) }) : t('listing.termMonths', { n: l.termMonths ?? 0 });
}

export function dateTime(value: string | number | null | undefined): string {
  if (value === null || value === undefined || value === '') return '—';
  return dtf('datetime').format(new Date(value));
}

export function time(value: string | number): string {
  return dtf('time').format(new Date(value));
}

/** "2025-03" → "Mar 25" / "25年3月": short, for chart axes. */
export function monthShort(key: string): string {
  const [y, m] = key.split('-').map(Number) as [number, number];
  if (locale() === 'zh') return `${String(y).slice(2)}年${m}月`;
  return `${new Intl.DateTimeFormat('en-GB', { month: 'short', timeZone: 'UTC' }).format(new Date(Date.UTC(y, m - 1, 1)))} ${String(y).slice(2)}`;
}

/** "2025-03" → "Mar 2025" / "2025年3月". */
export function month(key: string): string {
  const [y, m] = key.split('-').map(Number) as [number, number];
  return dtf('month').format(new Date(Date.UTC(y, m - 1, 1)));
}

function pad2(n: number): string {
  return String(n).padStart(2, '0');
}

/** A countdown: "1d 02:03:04", "02:03:04", "03:04". Negative is clamped to zero. */
export function duration(ms: number): string {
  const total = Math.max(0, Math.floor(ms / 1000));
  const s = total % 60;
  const m = Math.floor(total / 60) % 60;
  const h = Math.floor(total / 3600) % 24;
  const d = Math.floor(total / 86400);
  const hms = h > 0 || d > 0 ? `${pad2(h)}:${pad2(m)}:${pad2(s)}` : `${pad2(m)}:${pad2(s)}`;
  return d > 0 ? t('countdown.days', { d, hms }) : hms;
}

/** Seconds as a readable span for settings: 3600 → "1 h" / "1 小时", 604800 → "7 d" / "7 天". */
export function seconds(sec: number): string {
  if (sec % 86400 === 0 && sec >= 86400) return t('span.d', { n: sec / 86400 });
  if (sec % 3600 === 0 && sec >= 3600) return t('span.h', { n: sec / 3600 });
  if (sec % 60 === 0 && sec >= 60) return t('span.min', { n: sec / 60 });
  return t('span.s', { n: sec });
}

export function shortId(id: string): string {
  const i = id.indexOf('_');
  return i >= 0 && id.length > i + 7 ? `${id.slice(0, i + 1)}…${id.slice(-6)}` : id;
}
