/**
 * Errors as sentences a person reads: every error code of docs/errors.md, and every field of a
 * VALIDATION_FAILED, becomes a sentence in the user's language with amounts in yuan and rates in
 * percent ("The rate can be at most 24.00%"), never a schema path or minor units.
 *
 * The server sends the figures a rejection is about (`maxRateBps`, `leftMinor`, … in API units) and, for
 * a field out of range, the range itself (`min`, `max`): the unit of a figure is the suffix of its name.
 */
import { has, t } from './i18n.js';
import { money, rate, seconds } from './format.js';

/** A field at fault, as problem+json's `errors` carries it. */
export interface FieldError {
  field: string;
  message: string;
  keyword?: string;
  min?: number;
  max?: number;
  multipleOf?: number;
}

export interface ProblemLike {
  code: string;
  detail?: string;
  title?: string;
  errors?: readonly FieldError[];
  extra?: Readonly<Record<string, unknown>>;
}

const GRADES = new Set(['AA', 'A', 'B', 'C', 'D', 'E', 'HR']);

/** A figure in the unit its name says: `…Minor` yuan, `…Bps` percent, `…Pct` percent, `…Sec` a span. */
export function figure(name: string, value: number): string {
  if (name.endsWith('BpsPerDay')) return t('unit.perDay', { value: rate(value) });
  if (name.endsWith('Minor')) return money(value, { trimZeroFen: true });
  if (name.endsWith('Bps')) return rate(value);
  if (name.endsWith('Pct')) return `${value}%`;
  if (name.endsWith('Sec')) return seconds(value);
  if (name.endsWith('Days')) return t('unit.nDays', { n: value });
  if (name.includes('Months')) return t('unit.nMonths', { n: value });
  return String(value);
}

/** Every figure of a rejection, formatted, as message parameters. */
export function figures(extra: Readonly<Record<string, unknown>> | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(extra ?? {})) {
    if (typeof v === 'number' && Number.isSafeInteger(v)) out[k] = figure(k, v);
    else if (typeof v === 'string') out[k] = v;
  }
  return out;
}

/** `body/gradeFloorBps/AA` → its name for people and the name whose suffix gives its unit. */
function fieldOf(pointer: string): { label: string; unitName: string } {
  const parts = pointer.split('/').filter(Boolean);
  const last = parts[parts.length - 1] ?? '';
  const labelOf = (name: string) => (has(`field.${name}`) ? t(`field.${name}`) : t('field.generic'));
  if (GRADES.has(last) && parts.length >= 2) {
    const parent = parts[parts.length - 2]!;
    return { label: t('field.ofGrade', { field: labelOf(parent), grade: last }), unitName: parent };
  }
  return { label: labelOf(last), unitName: last };
}

/** One field at fault as a sentence: "The maximum rate must be between 0.01% and 36.00%." */
export function fieldErrorText(e: FieldError): string {
  const { label, unitName } = fieldOf(e.field);
  const field = label;
  if (e.keyword === 'required') return t('err.field.required', { field });
  if (e.keyword === 'additionalProperties') return t('err.INVALID_JSON');
  if (e.keyword === 'multipleOf' && e.multipleOf === 100 && unitName.endsWith('Minor')) return t('err.field.wholeYuan', { field });
  if (e.min !== undefined && e.max !== undefined) return t('err.field.range', { field, min: figure(unitName, e.min), max: figure(unitName, e.max) });
  if (e.max !== undefined) return t('err.field.max', { field, max: figure(unitName, e.max) });
  if (e.min !== undefined) return t('err.field.min', { field, min: figure(unitName, e.min) });
  return t('err.field.invalid', { field });
}

/**
 * The sentence for an error: a field's sentence for VALIDATION_FAILED; otherwise the code's message,
 * with its figures when the server sent them (`err.<CODE>.f`), or without.
 */
export function problemText(p: ProblemLike): string {
  if (p.code === 'VALIDATION_FAILED') {
    const first = p.errors?.[0];
    return first ? fieldErrorText(first) : t('err.VALIDATION_FAILED');
  }
  const key = `err.${p.code}`;
  if (!has(key)) return t('err.UNKNOWN');
  const rule = p.extra?.rule;
  if (typeof rule === 'string' && has(`settingRule.${rule}`)) return t(`settingRule.${rule}`);
  const params = figures(p.extra);
  if (has(`${key}.f`)) {
    const text = t(`${key}.f`, params);
    if (!/\{\w+\}/.test(text)) return text;
  }
  return t(key);
}
