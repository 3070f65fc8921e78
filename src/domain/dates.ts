import { assert } from './assert.js';

/**
 * Calendar dates as ISO strings 'YYYY-MM-DD' (UTC, no time of day). Arithmetic goes through epoch days
 * so it is exact; nothing here reads the clock.
 */
export type IsoDate = string;

const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const MS_PER_DAY = 86_400_000;

export function isIsoDate(value: string): boolean {
  const m = ISO_DATE.exec(value);
  if (!m) return false;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  return mo >= 1 && mo <= 12 && d >= 1 && d <= daysInMonth(y, mo);
}

export function parseIsoDate(value: IsoDate): { year: number; month: number; day: number } {
  assert(isIsoDate(value), `not an ISO date: ${value}`);
  const m = ISO_DATE.exec(value)!;
  return { year: Number(m[1]), month: Number(m[2]), day: Number(m[3]) };
}

export function formatIsoDate(year: number, month: number, day: number): IsoDate {
  return `${String(year).padStart(4, '0')}-${String(month).padStart(2, '0')}-${String(day).padStart(2, '0')}`;
}

export function isLeapYear(year: number): boolean {
  return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
}

/** month is 1..12 */
export function daysInMonth(year: number, month: number): number {
  return [31, isLeapYear(year) ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1]!;
}

export function toEpochDay(date: IsoDate): number {
  const { year, month, day } = parseIsoDate(date);
  return Date.UTC(year, month - 1, day) / MS_PER_DAY;
}

export function fromEpochDay(epochDay: number): IsoDate {
  assert(Number.isSafeInteger(epochDay), 'fromEpochDay: not an integer');
  const d = new Date(epochDay * MS_PER_DAY);
  return formatIsoDate(d.getUTCFullYear(), d.getUTCMonth() + 1, d.getUTCDate());
}

/** The UTC calendar date of an instant given in epoch milliseconds. */
export function isoDateOfMs(epochMs: number): IsoDate {
  return fromEpochDay(Math.floor(epochMs / MS_PER_DAY));
}

export function addDays(date: IsoDate, days: number): IsoDate {
  return fromEpochDay(toEpochDay(date) + days);
}

/** Whole days from `from` to `to` (negative when `to` is earlier). */
export function daysBetween(from: IsoDate, to: IsoDate): number {
  return toEpochDay(to) - toEpochDay(from);
}

/**
 * The date `months` months after `date`, on `anchorDay` of that month (default: the day of `date`),
 * clamped to the month's last day: 31 Jan + 1 month = 28/29 Feb, and + 2 months = 31 Mar.
 */
export function addMonthsClamped(date: IsoDate, months: number, anchorDay?: number): IsoDate {
  const { year, month, day } = parseIsoDate(date);
  const index = year * 12 + (month - 1) + months;
  const y = Math.floor(index / 12);
  const mo = (index % 12) + 1;
  const wanted = anchorDay ?? day;
  return formatIsoDate(y, mo, Math.min(wanted, daysInMonth(y, mo)));
}

/** 'YYYY-MM' of a date. */
export function monthKey(date: IsoDate): string {
  return date.slice(0, 7);
}

/** The month key `months` months after (or before, if negative) the month of `key` ('YYYY-MM'). */
export function addMonthsToKey(key: string, months: number): string {
  const year = Number(key.slice(0, 4));
  const month = Number(key.slice(5, 7));
  const index = year * 12 + (month - 1) + months;
  return `${String(Math.floor(index / 12)).padStart(4, '0')}-${String((index % 12) + 1).padStart(2, '0')}`;
}

export function compareIsoDate(a: IsoDate, b: IsoDate): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
