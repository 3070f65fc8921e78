import { css, html, nothing, type PropertyValues } from 'lit';
import type uPlot from 'uplot';
import { money, moneyShort, rate } from '../lib/format.js';
import { LocaleController, t } from '../lib/i18n.js';
import { cssVar, withAlpha } from './uplot-loader.js';
import { UPlotElement } from './uplot-element.js';

export interface ChartSeries {
  label: string;
  /** One value per category; null for none. Money in minor units, rates in bps, counts as is. */
  values: (number | null)[];
  kind: 'bar' | 'line';
  /** A CSS colour or custom property name (e.g. '--lb-accent'). */
  color: string;
}

export type ChartFormat = 'money' | 'bps' | 'count';

/**
 * `<lb-chart .labels=${months} .series=${[…]} format="money">`: a small category chart (bars and lines
 * over the same categories: months, grades) drawn with uPlot, loaded on first use. A legend shows the
 * values of the hovered category. Theming: --lb-text, --lb-muted, --lb-grid; ::part(chart|legend).
 */
export class LbChart extends UPlotElement {
  static override properties = {
    labels: { attribute: false },
    series: { attribute: false },
    format: { type: String },
    height: { type: Number },
    label: { type: String },
    hoverIdx: { state: true },
  };
  declare labels: string[];
  declare series: ChartSeries[];
  declare format: ChartFormat;
  declare height: number;
  declare label: string;
  declare hoverIdx: number | null;
  private shape = '';

  constructor() {
    super();
    this.labels = [];
    this.series = [];
    this.format = 'money';
    this.height = 220;
    this.label = '';
    this.hoverIdx = null;
    new LocaleController(this);
  }

  static override styles = css`
    :host { display: block; color: var(--lb-text, #111827); font: 12px/1.4 var(--lb-font, system-ui, sans-serif); }
    .chart { position: relative; width: 100%; }
    .loading, .empty { position: absolute; inset: 0; display: grid; place-items: center; color: var(--lb-muted, #6b7280); }
    .legend { display: flex; flex-wrap: wrap; gap: 0.3em 1.1em; min-height: 1.5em; color: var(--lb-muted, #6b7280); font-variant-numeric: tabular-nums; }
    .legend b { color: var(--lb-text, #111827); font-weight: 600; }
    .key { display: inline-flex; align-items: center; gap: 0.35em; }
    .swatch { width: 10px; height: 10px; border-radius: 2px; display: inline-block; }
    .swatch.line { height: 3px; width: 14px; }
  `;

  fmt(v: number): string {
    const n = Math.round(v);
    return this.format === 'money' ? moneyShort(n) : this.format === 'bps' ? rate(n) : String(n);
  }

  private full(v: number): string {
    return this.format === 'money' ? money(v, { trimZeroFen: true }) : this.format === 'bps' ? rate(v) : String(v);
  }

  private color(c: string): string {
    return c.startsWith('--') ? cssVar(this, c, '#2563eb') : c;
  }

  private data(): uPlot.AlignedData {
    return [this.labels.map((_, i) => i), ...this.series.map((s) => s.values.map((v) => (v === null ? null : v)))];
  }

  override updated(changed: PropertyValues): void {
    const host = this.chartBox();
    if (!host) return;
    // A different set of series needs a new plot; new values only need new data.
    const shape = this.series.map((s) => `${s.kind}:${s.color}:${s.label}`).join('|') + `#${this.format}`;
    if (this.plot && shape !== this.shape) this.destroyPlot();
    if (!this.plot) {
      if (this.labels.length > 0) this.create(host, shape);
      return;
    }
    if (changed.has('labels') || changed.has('series')) this.plot.setData(this.data(), true);
  }

  private create(host: HTMLElement, shape: string): void {
    const U = this.ctor!;
    this.shape = shape;
    const muted = cssVar(this, '--lb-muted', '#6b7280');
    const grid = cssVar(this, '--lb-grid', 'rgba(127,127,127,0.18)');
    const font = `11px ${cssVar(this, '--lb-font', 'system-ui, sans-serif')}`;
    const axis = { stroke: muted, grid: { stroke: grid, width: 1 }, ticks: { stroke: grid, width: 1, size: 4 }, font };
    const bars = this.series.filter((s) => s.kind === 'bar').length;
    const opts: uPlot.Options = {
      width: host.clientWidth || 300,
      height: this.height,
      legend: { show: false },
      cursor: { y: false, points: { show: true, size: 7 }, drag: { x: false, y: false, setScale: false } },
      select: { show: false, left: 0, top: 0, width: 0, height: 0 },
      scales: {
        x: { time: false, range: (_u, min, max) => [min - 0.6, max + 0.6] },
        y: { range: (_u, _min, max) => [0, max > 0 ? max * 1.12 : 1] },
      },
      axes: [
        {
          ...axis,
          grid: { show: false },
          splits: () => this.labels.map((_, i) => i),
          // As many labels as fit: every k-th category, k from the plot width and the longest label.
          values: (u, splits) => {
            const longest = this.labels.reduce((m, l) => Math.max(m, l.length), 1);
            const perCategory = u.bbox.width / (window.devicePixelRatio || 1) / Math.max(1, this.labels.length);
            const step = Math.max(1, Math.ceil((longest * 6.5 + 10) / Math.max(1, perCategory)));
            return splits.map((i) => (Math.round(i) % step === 0 ? (this.labels[Math.round(i)] ?? '') : ''));
          },
        },
        { ...axis, size: 64, values: (_u, splits) => splits.map((v) => this.fmt(v)) },
      ],
      series: [
        {},
        ...this.series.map((s, i): uPlot.Series => {
          const c = this.color(s.color);
          const barIndex = this.series.slice(0, i).filter((x) => x.kind === 'bar').length;
          return s.kind === 'bar'
            ? {
                label: s.label,
                stroke: c,
                fill: withAlpha(c, 0.75),
                width: 0,
                paths: U.paths.bars!({ size: [bars > 1 ? 0.35 : 0.6, 48], align: bars > 1 ? (barIndex === 0 ? -1 : 1) : 0 }),
                points: { show: false },
              }
            : { label: s.label, stroke: c, width: 2, points: { show: true, size: 5, fill: c }, spanGaps: true };
        }),
      ],
      hooks: {
        setCursor: [
          (u) => {
            const idx = u.cursor.idx;
            this.hoverIdx = idx === undefined || idx === null ? null : idx;
          },
        ],
      },
    };
    this.mountPlot(opts, this.data(), host);
  }

  override render() {
    const idx = this.hoverIdx;
    return html`
      <div class="chart" part="chart" role="img" aria-label=${this.label} style="min-height:${this.height}px">
        ${!this.ctor ? html`<div class="loading">${t('chart.loading')}</div>` : nothing}
      </div>
      <div class="legend" part="legend">
        ${idx !== null && this.labels[idx] !== undefined ? html`<b>${this.labels[idx]}</b>` : nothing}
        ${this.series.map((s) => {
          const v = idx !== null ? s.values[idx] : null;
          return html`<span class="key"><span class="swatch ${s.kind}" style="background:${s.color.startsWith('--') ? `var(${s.color})` : s.color}"></span>${s.label}${v !== null && v !== undefined ? html`: <b>${this.full(v)}</b>` : nothing}</span>`;
        })}
      </div>
    `;
  }
}
if (!customElements.get('lb-chart')) customElements.define('lb-chart', LbChart);
