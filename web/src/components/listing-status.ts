import { LitElement, css, html, nothing } from 'lit';
import { money, rate, term } from '../lib/format.js';
import { LocaleController, t } from '../lib/i18n.js';
import type { ListingSummary } from '../lib/types.js';
import './countdown.js';
import './funded-bar.js';
import './grade.js';

export type ListingStatusData = Pick<
  ListingSummary,
  'id' | 'title' | 'merchantName' | 'grade' | 'amountMinor' | 'termMonths' | 'product' | 'status' | 'endsAt' | 'originalEndsAt' | 'currentRateBps' | 'fundedPct' | 'minFundingPct' | 'bidCount'
> &
  Partial<Pick<ListingSummary, 'expectedLossBps' | 'coverageMinor' | 'maxRateBps'>>;

/**
 * `<lb-listing-status .listing=${summary} href="#/listing/…">`: the live status of one listing as a
 * card — grade, amount and term, current rate (it flashes when it moves), funded %, bids, time left with
 * soft-close extensions. Pure presentation: the owner feeds it (the app from the live client, a widget
 * from its own subscription). Theming: --lb-surface, --lb-border, --lb-text, --lb-muted, --lb-accent,
 * --lb-radius, --lb-font; ::part(card|header|title|rate|meta|bar|footer|status), and the inner
 * components' parts exported as grade (the badge), track, fill, min, funded-label, time, extended.
 */
export class LbListingStatus extends LitElement {
  static override properties = {
    listing: { attribute: false },
    href: { type: String },
    target: { type: String },
    compact: { type: Boolean, reflect: true },
  };
  declare listing: ListingStatusData | null;
  declare href: string;
  /** Where the title link opens (`_blank` in a widget, so the host page stays). */
  declare target: string;
  declare compact: boolean;
  private rateMoves = 0;

  constructor() {
    super();
    this.listing = null;
    this.href = '';
    this.target = '';
    this.compact = false;
    new LocaleController(this);
  }

  static override styles = css`
    :host { display: block; font: 400 14px/1.45 var(--lb-font, system-ui, -apple-system, 'PingFang SC', 'Noto Sans CJK SC', sans-serif); color: var(--lb-text, #111827); }
    .card {
      display: grid; gap: 0.55em; padding: 0.9em 1em; box-sizing: border-box; height: 100%;
      background: var(--lb-surface, #fff); border: 1px solid var(--lb-border, #e5e7eb); border-radius: var(--lb-radius, 10px);
    }
    .header { display: flex; align-items: center; gap: 0.5em; min-width: 0; color: var(--lb-muted, #6b7280); font-size: 0.86em; }
    .merchant { overflow: hidden; text-overflow: ellipsis; white-space: nowrap; flex: 1; min-width: 0; }
    .status { font-size: 0.8em; font-weight: 600; padding: 0.05em 0.5em; border-radius: 999px; border: 1px solid currentColor; white-space: nowrap; }
    .status.open { color: var(--lb-good, #15803d); }
    .status.cleared { color: var(--lb-accent, #2563eb); }
    .status.failed, .status.withdrawn { color: var(--lb-muted, #6b7280); }
    .title { font-weight: 600; font-size: 1.02em; margin: 0; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; color: inherit; text-decoration: none; }
    a.title:hover { text-decoration: underline; }
    a.title:focus-visible { outline: 2px solid var(--lb-accent, #2563eb); outline-offset: 2px; border-radius: 2px; }
    .main { display: flex; align-items: flex-end; justify-content: space-between; gap: 0.75em; flex-wrap: wrap; }
    .rate { display: grid; }
    .rate small, .meta small { color: var(--lb-muted, #6b7280); font-size: 0.78em; }
    .rate strong { font-size: 1.6em; line-height: 1.1; font-weight: 700; font-variant-numeric: tabular-nums; letter-spacing: -0.01em; border-radius: 0.2em; padding: 0 0.1em; margin: 0 -0.1em; }
    .rate strong.flash-0 { animation: flash-0 1.1s ease-out; }
    .rate strong.flash-1 { animation: flash-1 1.1s ease-out; }
    @keyframes flash-0 { from { background: var(--lb-flash, rgba(37, 99, 235, 0.35)); } to { background: transparent; } }
    @keyframes flash-1 { from { background: var(--lb-flash, rgba(37, 99, 235, 0.35)); } to { background: transparent; } }
    .meta { text-align: right; font-variant-numeric: tabular-nums; display: grid; }
    .footer { display: flex; justify-content: space-between; align-items: baseline; gap: 0.5em; flex-wrap: wrap; font-size: 0.86em; color: var(--lb-muted, #6b7280); }
    :host([compact]) .card { padding: 0.6em 0.75em; gap: 0.4em; }
    :host([compact]) .rate strong { font-size: 1.25em; }
    @media (prefers-reduced-motion: reduce) { .rate strong { animation: none !important; } }
  `;

  override willUpdate(changed: Map<string, unknown>): void {
    const before = changed.get('listing') as ListingStatusData | null | undefined;
    if (before && this.listing && before.id === this.listing.id && before.currentRateBps !== this.listing.currentRateBps) this.rateMoves++;
  }

  override render() {
    const l = this.listing;
    if (!l) return nothing;
    const title = this.href
      ? this.target
        ? html`<a class="title" part="title" href=${this.href} target=${this.target} rel="noopener">${l.title}</a>`
        : html`<a class="title" part="title" href=${this.href}>${l.title}</a>`
      : html`<p class="title" part="title">${l.title}</p>`;
    return html`<div class="card" part="card" data-testid="listing-status" data-listing-id=${l.id} data-status=${l.status}>
      <div class="header" part="header">
        <lb-grade grade=${l.grade} exportparts="badge: grade"></lb-grade>
        <span class="merchant">${l.merchantName} · ${t(`product.${l.product}`)}</span>
        <span class="status ${l.status}" part="status" data-testid="listing-state">${t(`status.${l.status}`)}</span>
      </div>
      ${title}
      <div class="main">
        <div class="rate">
          <small>${t('listing.rate')}</small>
          <strong part="rate" data-testid="listing-rate" class=${this.rateMoves ? `flash-${this.rateMoves % 2}` : ''}>${rate(l.currentRateBps)}</strong>
        </div>
        <div class="meta" part="meta">
          <strong>${money(l.amountMinor, { trimZeroFen: true })}</strong>
          <small>${term(l)}</small>
        </div>
      </div>
      <lb-funded-bar part="bar" exportparts="track, fill, min, label: funded-label" label pct=${l.fundedPct} min-pct=${l.minFundingPct} data-testid="listing-funded"></lb-funded-bar>
      <div class="footer" part="footer">
        <span>${t('listing.bidCount', { n: l.bidCount })}</span>
        <lb-countdown ends-at=${l.endsAt} original-ends-at=${l.originalEndsAt} status=${l.status} exportparts="time, extended"></lb-countdown>
      </div>
    </div>`;
  }
}
if (!customElements.get('lb-listing-status')) customElements.define('lb-listing-status', LbListingStatus);
