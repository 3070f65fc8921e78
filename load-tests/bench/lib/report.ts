import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { median } from './stats.js';

/** One line of the results table: medians of the runs, the ratio to the baseline, the target. */
export interface Row {
  scenario: string;
  metric: string;
  unit: 'per_s' | 'ms' | 's' | 'MB' | 'KB' | 'us';
  lendbook: number;
  baseline: number | null;
  /** lendbook ÷ baseline (for latencies: how many times slower). */
  ratio: number | null;
  target: string;
  met: boolean | null;
  lendbookRuns: number[];
  baselineRuns: number[];
}

export function row(
  scenario: string,
  metric: string,
  unit: Row['unit'],
  lendbookRuns: number[],
  baselineRuns: number[] | null,
  target?: { text: string; met: (lendbook: number, ratio: number | null) => boolean },
): Row {
  const l = median(lendbookRuns);
  const b = baselineRuns ? median(baselineRuns) : null;
  const ratio = b !== null && Number.isFinite(b) && b !== 0 && Number.isFinite(l) ? Math.round((l / b) * 100) / 100 : null;
  return {
    scenario,
    metric,
    unit,
    lendbook: l,
    baseline: b,
    ratio,
    target: target?.text ?? '',
    met: target ? (Number.isFinite(l) ? target.met(l, ratio) : false) : null,
    lendbookRuns,
    baselineRuns: baselineRuns ?? [],
  };
}

export function fmt(n: number | null, unit: Row['unit']): string {
  if (n === null) return '—';
  if (!Number.isFinite(n)) return 'n/a';
  switch (unit) {
    case 'per_s':
      return Math.round(n).toLocaleString('en-US');
    case 'ms':
      return n < 10 ? n.toFixed(2) : n.toFixed(1);
    case 's':
      return n.toFixed(2);
    case 'MB':
      return n.toFixed(0);
    case 'KB':
      return n.toFixed(1);
    case 'us':
      return n.toFixed(0);
  }
}

const UNIT_LABEL: Record<Row['unit'], string> = { per_s: '/s', ms: 'ms', s: 's', MB: 'MB', KB: 'KB', us: 'µs' };

function cells(r: Row): string[] {
  const metric = `${r.metric} (${UNIT_LABEL[r.unit]})`;
  const ratio = r.ratio === null ? '—' : `${r.ratio.toFixed(2)}×`;
  const met = r.met === null ? '' : r.met ? 'met' : 'MISSED';
  return [r.scenario, metric, fmt(r.lendbook, r.unit), fmt(r.baseline, r.unit), ratio, r.target, met];
}

const HEAD = ['Scenario', 'Metric', 'Lendbook', 'Baseline', 'Ratio', 'Target', ''];

/** The table for the terminal, columns aligned. */
export function textTable(rows: Row[]): string {
  const body = rows.map(cells);
  const widths = HEAD.map((h, i) => Math.max(h.length, ...body.map((c) => c[i]!.length)));
  const line = (c: string[]) => c.map((s, i) => (i >= 2 && i <= 4 ? s.padStart(widths[i]!) : s.padEnd(widths[i]!))).join('  ').trimEnd();
  let last = '';
  const out = [line(HEAD), widths.map((w) => '-'.repeat(w)).join('  ')];
  for (const c of body) {
    const shown = c[0] === last ? ['', ...c.slice(1)] : c;
    last = c[0]!;
    out.push(line(shown));
  }
  return out.join('\n');
}

/** The same table in Markdown. */
export function markdownTable(rows: Row[]): string {
  const out = [`| ${HEAD.map((h) => h || 'Met').join(' | ')} |`, `|${HEAD.map((_, i) => (i >= 2 && i <= 4 ? '---:' : '---')).join('|')}|`];
  let last = '';
  for (const r of rows) {
    const c = cells(r);
    if (c[0] === last) c[0] = '';
    else last = c[0]!;
    if (c[6] === 'MISSED') c[6] = '**missed**';
    out.push(`| ${c.map((s) => s.replace(/\|/g, '\\|')).join(' | ')} |`);
  }
  return out.join('\n');
}

export const DOC_START = '<!-- bench:results:start (written by npm run bench; edit outside these markers) -->';
export const DOC_END = '<!-- bench:results:end -->';

/** Replaces the generated block of docs/performance.md, leaving the hand-written rest alone. */
export function updateDoc(path: string, generated: string): void {
  const block = `${DOC_START}\n${generated.trim()}\n${DOC_END}`;
  const current = existsSync(path) ? readFileSync(path, 'utf8') : '# Performance\n';
  const startKey = current.indexOf('<!-- bench:results:start');
  const endKey = current.indexOf(DOC_END);
  const next = startKey >= 0 && endKey > startKey ? current.slice(0, startKey) + block + current.slice(endKey + DOC_END.length) : `${current.trimEnd()}\n\n## Last run\n\n${block}\n`;
  writeFileSync(path, next);
}
