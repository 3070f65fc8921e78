/**
 * The scorecard rendered as Markdown from the same data the code scores with. docs/rating.md embeds
 * scorecardMarkdown() verbatim (a unit test checks it), so the published tables cannot drift from the
 * code; explainMarkdown() renders one merchant's breakdown, for the doc's worked example and the app.
 */
import { GRADES, type Grade } from '../grades.js';
import { MINOR_PER_MAJOR } from '../money.js';
import { DEFAULT_SETTINGS, type Settings } from '../settings.js';
import type { Assessment } from './assess.js';
import { CREDIT_LINE_MULTIPLE_BPS, ELIGIBILITY_CODES } from './creditLine.js';
import { FINANCEABLE_STATUSES } from './collateral.js';
import { GMV_STATUSES } from './features.js';
import {
  featureValue,
  GRADE_MIN_SCORE,
  MAX_SCORE,
  POINTS_TABLES,
  PROBABILITY_OF_DEFAULT_BPS,
  REASON_CODES,
  REASON_TEXTS,
  SCORECARD_VERSION,
  tableMaxPoints,
  type FeatureUnit,
  type PointsTable,
} from './scorecard.js';

/** ¥1,234 or ¥1,234.56; integer arithmetic only. */
export function formatYuan(minor: number): string {
  const sign = minor < 0 ? '-' : '';
  const abs = Math.abs(minor);
  const major = String(Math.floor(abs / MINOR_PER_MAJOR)).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  const cents = abs % MINOR_PER_MAJOR;
  return `${sign}¥${major}${cents === 0 ? '' : '.' + String(cents).padStart(2, '0')}`;
}

/** 2000 → 20%, 250 → 2.5%, 5 → 0.05%. */
export function formatBpsAsPercent(bps: number): string {
  const whole = Math.floor(bps / 100);
  const frac = String(bps % 100).padStart(2, '0').replace(/0+$/, '');
  return `${whole}${frac ? '.' + frac : ''}%`;
}

/** 30000 → 3.0×, 12500 → 1.25×. */
export function formatMultiple(bps: number): string {
  const frac = String(bps % 10000).padStart(4, '0').replace(/0+$/, '');
  return `${Math.floor(bps / 10000)}.${frac || '0'}×`;
}

function formatValue(unit: FeatureUnit, value: number): string {
  switch (unit) {
    case 'months':
      return `${value} month${value === 1 ? '' : 's'}`;
    case 'days':
      return `${value} day${value === 1 ? '' : 's'}`;
    case 'minor':
      return formatYuan(value);
    case 'bps':
      return formatBpsAsPercent(value);
  }
}

/** Whole-number units read as ranges "3–5"; money and ratios as "under X" / "X to under Y" / "X or more". */
function bandLabel(unit: FeatureUnit, from: number, below: number | null, maxValue?: number): string {
  const discrete = unit === 'months' || unit === 'days';
  const f = (v: number): string => (discrete ? String(v) : formatValue(unit, v));
  if (below === null) return from === maxValue ? f(from) : `${f(from)} or more`;
  if (discrete) return below - 1 === from ? f(from) : `${f(from)}–${f(below - 1)}`;
  return from === 0 ? `under ${f(below)}` : `${f(from)} to under ${f(below)}`;
}

function tableMarkdown(table: PointsTable): string {
  const unitNote = table.unit === 'months' ? ' (months)' : table.unit === 'days' ? ' (days)' : '';
  const rows = table.bands.map((b, i) => {
    const from = i === 0 ? 0 : table.bands[i - 1]!.below!;
    return `| ${bandLabel(table.unit, from, b.below, table.maxValue)} | ${b.points} |`;
  });
  if (table.missingMeaning !== 'never missing') rows.push(`| not measurable: ${table.missingMeaning} | ${table.missingPoints} |`);
  const reason =
    table.reason === table.missingReason
      ? `\`${table.reason}\``
      : `\`${table.reason}\` (\`${table.missingReason}\` when not measurable)`;
  return [
    `#### ${table.title} (\`${table.feature}\`) · ${table.titleZh}`,
    '',
    table.definition,
    '',
    `| ${table.title}${unitNote} | Points |`,
    '|---|---:|',
    ...rows,
    '',
    `Maximum ${tableMaxPoints(table)} points. Reason code below the maximum: ${reason}.`,
  ].join('\n');
}

function gradeRange(grade: Grade): string {
  const i = GRADES.indexOf(grade);
  const upper = i === 0 ? MAX_SCORE : GRADE_MIN_SCORE[GRADES[i - 1]!] - 1;
  return `${GRADE_MIN_SCORE[grade]}–${upper}`;
}

function gradesMarkdown(settings: Settings): string {
  const rows = GRADES.map((g) => {
    const advance = settings.orderAdvancePct[g];
    return `| ${g} | ${gradeRange(g)} | ${formatBpsAsPercent(PROBABILITY_OF_DEFAULT_BPS[g])} | ${formatBpsAsPercent(settings.expectedLossBps[g])} | ${formatMultiple(CREDIT_LINE_MULTIPLE_BPS[g])} | ${advance === undefined ? 'not offered' : `${advance}%`} |`;
  });
  return [
    '| Grade | Score | Probability of default (12 months) | Expected loss (setting) | Credit line (× average monthly GMV) | Order financing advance rate (setting) |',
    '|---|---|---:|---:|---:|---:|',
    ...rows,
  ].join('\n');
}

function limitsMarkdown(s: Settings): string {
  return [
    '| Rule | Value |',
    '|---|---|',
    `| Regulatory cap, legal person (\`capLegalPersonMinor\`) | ${formatYuan(s.capLegalPersonMinor)} |`,
    `| Regulatory cap, natural person (\`capNaturalPersonMinor\`) | ${formatYuan(s.capNaturalPersonMinor)} |`,
    `| Months active needed to borrow (\`minMonthsActive\`) | ${s.minMonthsActive} |`,
    `| Lowest grade that may borrow (\`minGradeToList\`) | ${s.minGradeToList} |`,
    `| Orders that can back order financing | ${FINANCEABLE_STATUSES.join(', ')} |`,
    `| Oldest order that can back order financing (\`orderMaxAgeDays\`) | ${s.orderMaxAgeDays} days |`,
    `| Warehouse receipt loan-to-value (\`warehouseLtvPct\`) | ${s.warehouseLtvPct}% |`,
    `| Statuses counted as GMV | ${GMV_STATUSES.join(', ')} |`,
  ].join('\n');
}

function reasonsMarkdown(): string {
  const rows = REASON_CODES.map((c) => `| \`${c}\` | ${REASON_TEXTS[c].text} | ${REASON_TEXTS[c].textZh} |`);
  return ['| Code | Text | 中文 |', '|---|---|---|', ...rows].join('\n');
}

/** Every published number of the scorecard, with the settings' defaults (or the settings given). */
export function scorecardMarkdown(settings: Settings = DEFAULT_SETTINGS): string {
  return [
    `<!-- generated from src/domain/rating (scorecardMarkdown), version ${SCORECARD_VERSION}; do not edit by hand -->`,
    '',
    '### Points tables',
    '',
    ...POINTS_TABLES.flatMap((t) => [tableMarkdown(t), '']),
    `The maximum points add up to ${POINTS_TABLES.reduce((a, t) => a + tableMaxPoints(t), 0)}; the score is their sum, kept within 0–${MAX_SCORE}.`,
    '',
    '### Grades, default probability, expected loss, credit line multiples, advance rates',
    '',
    gradesMarkdown(settings),
    '',
    '### Caps and collateral rules',
    '',
    limitsMarkdown(settings),
    '',
    '### Reason codes',
    '',
    reasonsMarkdown(),
    '',
    `Eligibility codes: ${ELIGIBILITY_CODES.map((c) => `\`${c}\``).join(', ')}.`,
    '',
    '<!-- end generated -->',
  ].join('\n');
}

/** One merchant's breakdown: each feature's value and points, the grade, the reasons and the line. */
export function explainMarkdown(a: Assessment): string {
  const rows = POINTS_TABLES.map((t) => {
    const v = featureValue(t, a.features);
    return `| ${t.title} | ${v === null ? 'not measurable' : formatValue(t.unit, v)} | ${a.rating.points[t.feature]} | ${tableMaxPoints(t)} |`;
  });
  const line = a.creditLine;
  return [
    '| Feature | Value | Points | Maximum |',
    '|---|---|---:|---:|',
    ...rows,
    `| **Score** | | **${a.rating.score}** | ${MAX_SCORE} |`,
    '',
    `* Grade **${a.rating.grade}**: probability of default ${formatBpsAsPercent(a.rating.probabilityOfDefaultBps)}, expected loss ${formatBpsAsPercent(a.expectedLossBps)}.`,
    `* Reasons (what lowered the score most):${a.rating.reasons.length === 0 ? ' none' : ''}`,
    ...a.rating.reasons.map((r, i) => `  ${i + 1}. \`${r.code}\` (−${r.pointsLost} points): ${r.text}`),
    `* Credit line: ${formatMultiple(line.multipleBps)} the average monthly GMV of ${formatYuan(a.features.avgMonthlyGmvMinor)} = ${formatYuan(line.gradeLineMinor)} (whole yuan); cap ${formatYuan(line.capMinor)}; line ${formatYuan(line.creditLineMinor)}; used ${formatYuan(line.usedMinor)}; left ${formatYuan(line.creditLeftMinor)}.`,
    `* Eligible: ${a.eligibility.eligible ? 'yes' : `no, \`${a.eligibility.code}\``}.`,
  ].join('\n');
}
