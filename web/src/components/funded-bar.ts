import { LitElement, css, html, nothing } from 'lit';
import { LocaleController, t } from '../lib/i18n.js';

/**
 * `<lb-funded-bar pct="64" min-pct="80" label>`: how much of a listing is covered.
 * The tick marks the minimum funding for the listing to clear. Theming: --lb-accent, --lb-good,
 * --lb-track, --lb-bar-height; ::part(track), ::part(fill), ::part(min), ::part(label).
 */
export class LbFundedBar extends LitElement {
  static override properties = {
    pct: { type: Number },
    minPct: { type: Number, attribute: 'min-pct' },
    label: { type: Boolean },
  };
  declare pct: number;
  declare minPct: number;
  declare label: boolean;
  constructor() {
    super();
    this.pct = 0;
    this.minPct = 100;
    this.label = false;
    new LocaleController(this);
  }
  static override styles = css`
    :host { display: flex; align-items: center; gap: 0.5em; min-width: 4em; font: 500 0.85em/1.2 var(--lb-font, system-ui, sans-serif); }
    .track {
      position: relative; flex: 1; height: var(--lb-bar-height, 0.5em); border-radius: 999px; overflow: hidden;
      background: var(--lb-track, rgba(127, 127, 127, 0.22));
    }
    .fill {
      position: absolute; inset: 0 auto 0 0; border-radius: 999px; background: var(--lb-accent, #2563eb);
      transition: width 0.6s cubic-bezier(0.2, 0.8, 0.2, 1), background-color 0.3s;
    }
    .fill.full { background: var(--lb-good, #16a34a); }
    .min { position: absolute; top: 0; bottom: 0; width: 2px; background: var(--lb-text, currentColor); opacity: 0.55; }
    .label { min-width: 3.2em; text-align: right; font-variant-numeric: tabular-nums; color: var(--lb-text, inherit); }
    @media (prefers-reduced-motion: reduce) { .fill { transition: none; } }
  `;
  override render() {
    const pct = Math.max(0, Math.min(100, Math.floor(this.pct || 0)));
    const showMin = this.minPct > 0 && this.minPct < 100;
    return html`
      <div class="track" part="track" role="progressbar" aria-valuemin="0" aria-valuemax="100" aria-valuenow=${pct} aria-label=${t('funded.label', { pct })}>
        <div class="fill ${pct >= 100 ? 'full' : ''}" part="fill" style="width:${pct}%"></div>
        ${showMin ? html`<div class="min" part="min" style="left:calc(${this.minPct}% - 1px)" title=${t('funded.min', { pct: this.minPct })}></div>` : nothing}
      </div>
      ${this.label ? html`<span class="label" part="label">${pct}%</span>` : nothing}
    `;
  }
}
if (!customElements.get('lb-funded-bar')) customElements.define('lb-funded-bar', LbFundedBar);
