import { css, html, nothing, type PropertyValues } from 'lit';
import type uPlot from 'uplot';
import { money, moneyShort, rate } from '../lib/format.js';
import { LocaleController, t } from '../lib/i18n.js';
import type { BookLevelView } from '../lib/types.js';
import { cssVar, withAlpha } from './uplot-loader.js';
import { UPlotElement } from './uplot-element.js';

export interface DepthCandidate {
  rateBps: number;
  amountMinor: number;
}

/**
 * `<lb-depth-chart .levels=${book} amount-minor=… max-rate-bps=… current-rate-bps=… .candidate=${{rateBps, amountMinor}}>`
 *
 * The book as a depth chart: cumulative amount offered at or below each rate (a step line), the
 * listing amount as a horizontal line — where the steps cross it is the clearing rate —, the current
 * rate as a vertical line, and an optional candidate bid drawn as the book would look with it. Hovering
 * reads out the cumulative amount at a rate. Drawn with uPlot (loaded on first use).
 * Theming: --lb-accent, --lb-warn, --lb-text, --lb-muted, --lb-grid; ::part(chart), ::part(readout).
 */
export class LbDepthChart extends UPlotElement {
  static override properties = {
    levels: { attribute: false },
    amountMinor: { type: Number, attribute: 'amount-minor' },
    maxRateBps: { type: Number, attribute: 'max-rate-bps' },
    currentRateBps: { type: Number, attribute: 'current-rate-bps' },
    candidate: { attribute: false },
    height: { type: Number },
    hover: { state: true },
  };
  declare levels: readonly BookLevelView[];
  declare amountMinor: number;
  declare maxRateBps: number;
  declare currentRateBps: number;
  declare candidate: DepthCandidate | null;
  declare height: number;
  declare hover: { rateBps: number; cumulativeMinor: number } | null;


  constructor() {
    super();
    this.levels = [];
    this.amountMinor = 0;
    this.maxRateBps = 0;
    this.currentRateBps = 0;
    this.candidate = null;
    this.height = 240;
    this.hover = null;
    new LocaleController(this);
  }

  static override styles = css`
    :host { display: block; position: relative; color: var(--lb-text, #111827); font: 12px/1.4 var(--lb-font, system-ui, sans-serif); }
    .chart { position: relative; width: 100%; }
    .empty, .loading { position: absolute; inset: 0; display: grid; place-items: center; color: var(--lb-muted, #6b7280); pointer-events: none; font-size: 13px; }
    .readout { min-height: 1.4em; color: var(--lb-muted, #6b7280); font-variant-numeric: tabular-nums; }
    .legend { display: flex; flex-wrap: wrap; gap: 0.4em 1em; color: var(--lb-muted, #6b7280); }
    .key { display: inline-flex; align-items: center; gap: 0.35em; }
    .swatch { width: 14px; height: 3px; border-radius: 2px; display: inline-block; }
    .swatch.dashed { background: repeating-linear-gradient(90deg, currentColor 0 4px, transparent 4px 7px) !important; height: 2px; }
  `;

  /** x: rates (bps); y: cumulative amounts (minor units) without and with the candidate. */
  private data(): uPlot.AlignedData {
    const levels = [...this.levels].sort((a, b) => a.rateBps - b.rateBps);
    const cand = this.candidate && this.candidate.rateBps > 0 && this.candidate.amountMinor > 0 ? this.candidate : null;
    const [x0, x1] = this.xRange();
    const xs = new Set<number>([x0, x1]);
    for (const l of levels) xs.add(l.rateBps);
    if (cand) xs.add(cand.rateBps);
    const x = [...xs].filter((v) => v >= x0 && v <= x1).sort((a, b) => a - b);
    const cum = (r: number, withCandidate: boolean) => {
      let sum = 0;
      for (const l of levels) if (l.rateBps <= r) sum += l.amountMinor;
      if (withCandidate && cand && cand.rateBps <= r) sum += cand.amountMinor;
      return sum;
    };
    return [x, x.map((r) => cum(r, false)), x.map((r) => (cand ? cum(r, true) : null))];
  }

  private xRange(): [number, number] {
    const rates = this.levels.map((l) => l.rateBps);
    if (this.candidate?.rateBps) rates.push(this.candidate.rateBps);
    const max = Math.max(this.maxRateBps || 0, ...rates, 100);
    const min = rates.length ? Math.min(...rates) : Math.max(0, max - 600);
    const pad = Math.max(25, Math.round((max - min) * 0.12));
    return [Math.max(0, min - pad), max];
  }

  private yMax(): number {
    const total = this.levels.reduce((s, l) => s + l.amountMinor, 0) + (this.candidate?.amountMinor ?? 0);
    return Math.max(this.amountMinor * 1.15, total * 1.06, 1);
  }

  override updated(changed: PropertyValues): void {
    const host = this.chartBox();
    if (!host) return;
    if (!this.plot) {
      this.create(host);
      return;
    }
    if (changed.has('levels') || changed.has('candidate') || changed.has('amountMinor') || changed.has('maxRateBps') || changed.has('currentRateBps')) {
      this.plot.setData(this.data(), true);
    }
    if (changed.has('height')) this.plot.setSize({ width: host.clientWidth || 300, height: this.height });
  }

  private create(host: HTMLElement): void {
    const U = this.ctor!;
    const accent = cssVar(this, '--lb-accent', '#2563eb');
    const warn = cssVar(this, '--lb-warn', '#d97706');
    const text = cssVar(this, '--lb-text', '#111827');
    const muted = cssVar(this, '--lb-muted', '#6b7280');
    const grid = cssVar(this, '--lb-grid', 'rgba(127,127,127,0.18)');
    const font = `11px ${cssVar(this, '--lb-font', 'system-ui, sans-serif')}`;
    const axis = { stroke: muted, grid: { stroke: grid, width: 1 }, ticks: { stroke: grid, width: 1, size: 4 }, font };
    const opts: uPlot.Options = {
      width: host.clientWidth || 300,
      height: this.height,
      legend: { show: false },
      cursor: { y: false, points: { show: false }, drag: { x: false, y: false, setScale: false } },
      select: { show: false, left: 0, top: 0, width: 0, height: 0 },
      scales: {
        x: { time: false, range: () => this.xRange() },
        y: { range: () => [0, this.yMax()] },
      },
      axes: [
        { ...axis, values: (_u, splits) => splits.map((v) => rate(Math.round(v))), incrs: [5, 10, 25, 50, 100, 200, 250, 500, 1000] },
        { ...axis, size: 64, values: (_u, splits) => splits.map((v) => moneyShort(Math.round(v))) },
      ],
      series: [
        {},
        {
          label: t('depth.cumulative'),
          stroke: accent,
          width: 2,
          fill: withAlpha(accent, 0.22),
          paths: U.paths.stepped!({ align: 1 }),
          points: { show: false },
        },
        {
          label: t('depth.yourBid'),
          stroke: warn,
          width: 1.5,
          dash: [5, 4],
          paths: U.paths.stepped!({ align: 1 }),
          points: { show: false },
        },
      ],
      hooks: {
        draw: [(u) => this.drawMarks(u, { accent, warn, text })],
        setCursor: [
          (u) => {
            const idx = u.cursor.left !== undefined && u.cursor.left >= 0 ? u.posToVal(u.cursor.left, 'x') : null;
            if (idx === null || Number.isNaN(idx)) {
              if (this.hover) this.hover = null;
              return;
            }
            const r = Math.round(idx);
            const cumulativeMinor = this.levels.reduce((s, l) => (l.rateBps <= r ? s + l.amountMinor : s), 0);
            this.hover = { rateBps: r, cumulativeMinor };
          },
        ],
      },
    };
    this.mountPlot(opts, this.data(), host);
  }

  private drawMarks(u: uPlot, c: { accent: string; warn: string; text: string }): void {
    const ctx = u.ctx;
    const { left, top, width, height } = u.bbox;
    const ratio = window.devicePixelRatio || 1;
    ctx.save();
    ctx.font = `${11 * ratio}px ${cssVar(this, '--lb-font', 'system-ui, sans-serif')}`;
    // listing amount: where the steps cross it is the clearing rate
    if (this.amountMinor > 0) {
      const y = u.valToPos(this.amountMinor, 'y', true);
      ctx.strokeStyle = c.text;
      ctx.globalAlpha = 0.7;
      ctx.setLineDash([6 * ratio, 4 * ratio]);
      ctx.lineWidth = 1 * ratio;
      ctx.beginPath();
      ctx.moveTo(left, y);
      ctx.lineTo(left + width, y);
      ctx.stroke();
      ctx.setLineDash([]);
      ctx.globalAlpha = 1;
      ctx.textAlign = 'left';
      ctx.textBaseline = 'bottom';
      this.label(ctx, `${t('depth.amount')} ${money(this.amountMinor, { trimZeroFen: true })}`, left + 6 * ratio, y - 3 * ratio, c.text, ratio);
    }
    // current rate
    if (this.currentRateBps > 0) {
      const x = u.valToPos(this.currentRateBps, 'x', true);
      if (x >= left && x <= left + width) {
        ctx.strokeStyle = c.accent;
        ctx.lineWidth = 2 * ratio;
        ctx.beginPath();
        ctx.moveTo(x, top);
        ctx.lineTo(x, top + height);
        ctx.stroke();
        const label = `${t('depth.current')} ${rate(this.currentRateBps)}`;
        const w = ctx.measureText(label).width;
        const right = x + w + 8 * ratio > left + width;
        ctx.textAlign = right ? 'right' : 'left';
        ctx.textBaseline = 'bottom';
        this.label(ctx, label, right ? x - 5 * ratio : x + 5 * ratio, top + height - 6 * ratio, c.accent, ratio);
      }
    }
    const cand = this.candidate;
    if (cand && cand.rateBps > 0 && cand.amountMinor > 0) {
      const x = u.valToPos(cand.rateBps, 'x', true);
      ctx.strokeStyle = c.warn;
      ctx.setLineDash([3 * ratio, 3 * ratio]);
      ctx.lineWidth = 1.5 * ratio;
      ctx.beginPath();
      ctx.moveTo(x, top);
      ctx.lineTo(x, top + height);
      ctx.stroke();
      ctx.setLineDash([]);
      const label = `${t('depth.yourBid')} ${rate(cand.rateBps)}`;
      const w = ctx.measureText(label).width;
      const right = x + w + 8 * ratio > left + width;
      ctx.textAlign = right ? 'right' : 'left';
      ctx.textBaseline = 'bottom';
      this.label(ctx, label, right ? x - 5 * ratio : x + 5 * ratio, top + height - 24 * ratio, c.warn, ratio);
    }
    ctx.restore();
  }

  /** Text on a plate of the surface colour, so it stays legible over the steps. */
  private label(ctx: CanvasRenderingContext2D, text: string, x: number, y: number, color: string, ratio: number): void {
    const w = ctx.measureText(text).width;
    const h = 14 * ratio;
    const x0 = ctx.textAlign === 'right' ? x - w : x;
    const y0 = ctx.textBaseline === 'bottom' ? y - h + 2 * ratio : y - 1 * ratio;
    ctx.fillStyle = cssVar(this, '--lb-surface', '#ffffff');
    ctx.globalAlpha = 0.85;
    ctx.fillRect(x0 - 3 * ratio, y0, w + 6 * ratio, h);
    ctx.globalAlpha = 1;
    ctx.fillStyle = color;
    ctx.fillText(text, x, y);
  }

  override render() {
    const label = t('depth.aria', { n: this.levels.length, amount: money(this.amountMinor), rate: rate(this.currentRateBps || 0) });
    return html`
      <div class="chart" part="chart" role="img" aria-label=${label} style="min-height:${this.height}px">
        ${!this.ctor ? html`<div class="loading">${t('chart.loading')}</div>` : nothing}
        ${this.ctor && this.levels.length === 0 && !this.candidate ? html`<div class="empty">${t('depth.empty')}</div>` : nothing}
      </div>
      <div class="readout" part="readout" aria-hidden="true">
        ${this.hover ? html`≤ ${rate(this.hover.rateBps)} · ${money(this.hover.cumulativeMinor, { trimZeroFen: true })}` : html`<span class="legend">
              <span class="key"><span class="swatch" style="background:var(--lb-accent,#2563eb)"></span>${t('depth.cumulative')}</span>
              <span class="key" style="color:var(--lb-text,#111827)"><span class="swatch dashed"></span>${t('depth.amount')}</span>
              ${this.candidate ? html`<span class="key" style="color:var(--lb-warn,#d97706)"><span class="swatch dashed"></span>${t('depth.yourBid')}</span>` : nothing}
            </span>`}
      </div>
    `;
  }
}
if (!customElements.get('lb-depth-chart')) customElements.define('lb-depth-chart', LbDepthChart);
