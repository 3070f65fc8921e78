import { css, html, nothing } from 'lit';
import '../src/components/grade.js';
import '../src/components/listing-status.js';
import { money } from '../src/lib/format.js';
import { t } from '../src/lib/i18n.js';
import type { ListingSummary, WidgetMerchant } from '../src/lib/types.js';
import { LISTING_PARTS, LendbookWidget, appUrl, widgetGet, widgetStyles } from './core.js';
import { liveListing, shownChanged, summaryOf, type WidgetListing } from './listing.js';

/** GET /api/v1/widgets/merchants/:ref */
export type { WidgetMerchant } from '../src/lib/types.js';

/** How often the merchant's list is read again (new listings have no public channel of their own). */
const REFRESH_MS = 60_000;

/**
 * `<lendbook-merchant merchant-ref="…" data-key="pub_…">`: a merchant of the key's partner — its
 * grade, score and credit available, and its latest listings (`limit`, default 5) as live cards, each
 * following its public `listing:<id>` channel. The list itself is read again every minute.
 *
 * Events: `lendbook-ready` {widget: 'merchant', merchantRef, merchant}, `lendbook-update` {widget,
 * merchantRef, listingId, listing, event} (a listing changed) or {widget, merchantRef, merchant,
 * event: 'refresh'} (the list changed), `lendbook-error` {widget, code, status, message}.
 */
export class LendbookMerchant extends LendbookWidget {
  static override properties = {
    ...LendbookWidget.properties,
    merchantRef: { type: String, attribute: 'merchant-ref' },
    limit: { type: Number },
    merchant: { state: true },
  };
  declare merchantRef: string;
  declare limit: number;
  declare merchant: WidgetMerchant | null;
  readonly widget = 'merchant' as const;
  /** Unsubscribe functions of the listing channels followed, by listing id. */
  private following = new Map<string, () => void>();

  constructor() {
    super();
    this.merchantRef = '';
    this.limit = 5;
    this.merchant = null;
  }

  static override styles = [
    widgetStyles,
    css`
      .head { display: flex; align-items: center; gap: 0.6em; flex-wrap: wrap; }
      .name { font-weight: 650; font-size: 1.05em; margin: 0; flex: 1; min-width: 8em; }
      .score { font-variant-numeric: tabular-nums; color: var(--lb-muted, #6b7280); font-size: 0.9em; }
      .credit { display: flex; gap: 1.2em; flex-wrap: wrap; margin: 0; font-size: 0.9em; }
      .credit div { display: grid; }
      .credit dt { color: var(--lb-muted, #6b7280); font-size: 0.85em; }
      .credit dd { margin: 0; font-weight: 600; font-variant-numeric: tabular-nums; }
      .yes { color: var(--lb-good, #15803d); }
      .no { color: var(--lb-muted, #6b7280); }
      .list { list-style: none; margin: 0; padding: 0; display: grid; gap: 0.5em; grid-template-columns: repeat(auto-fill, minmax(min(100%, var(--lb-card-min, 15em)), 1fr)); }
      .list h3 { margin: 0; }
      .section { margin: 0.2em 0 0; font-size: 0.78em; font-weight: 600; text-transform: uppercase; letter-spacing: 0.05em; color: var(--lb-muted, #6b7280); }
      .more { font-size: 0.85em; color: var(--lb-accent, #2563eb); text-decoration: none; }
      .more:hover { text-decoration: underline; }
    `,
  ];

  protected target() {
    const ref = this.merchantRef?.trim();
    return ref ? { id: `${ref}|${this.limit}` } : { missing: ['merchant-ref'] };
  }

  protected reset(): void {
    this.merchant = null;
    this.following.clear(); // their unsubscribes ran with the previous configuration's cleanups
  }

  protected async load(signal: AbortSignal, gen: number): Promise<void> {
    const ref = this.merchantRef.trim();
    const merchant = await this.fetchMerchant(ref, signal);
    if (gen !== this.generation) return;
    this.merchant = merchant;
    this.follow(ref, gen);
    this.ready({ merchantRef: ref, merchant }, gen);
    const timer = setInterval(() => void this.refresh(ref, signal, gen), REFRESH_MS);
    this.own(() => clearInterval(timer));
    this.own(() => {
      for (const off of this.following.values()) off();
      this.following.clear();
    });
  }

  private async fetchMerchant(ref: string, signal: AbortSignal): Promise<WidgetMerchant> {
    const m = await widgetGet('/api/v1/widgets/merchants/{ref}', { ref }, this.key.trim(), signal);
    return { ...m, listings: m.listings.map((l) => summaryOf(l as ListingSummary)) };
  }

  private shown(): WidgetListing[] {
    const limit = Number.isFinite(this.limit) && this.limit > 0 ? Math.floor(this.limit) : 5;
    return (this.merchant?.listings ?? []).slice(0, limit);
  }

  /** Follows the open listings shown; stops following the ones no longer shown. */
  private follow(ref: string, gen: number): void {
    const shown = this.shown();
    const wanted = new Set(shown.filter((l) => l.status === 'open').map((l) => l.id));
    for (const [id, off] of this.following) {
      if (!wanted.has(id)) {
        off();
        this.following.delete(id);
      }
    }
    for (const id of wanted) {
      if (this.following.has(id)) continue;
      const off = this.live().listing(id, (state, change) => {
        if (gen !== this.generation || !this.merchant) return;
        const next = liveListing(state, change);
        if (!next) return;
        const before = this.merchant.listings.find((l) => l.id === id) ?? null;
        if (before && next.seq < before.seq) return;
        this.merchant = { ...this.merchant, listings: this.merchant.listings.map((l) => (l.id === id ? next : l)) };
        if (shownChanged(before, next)) this.emit('lendbook-update', { widget: this.widget, merchantRef: ref, listingId: id, listing: next, event: change.type === 'event' ? change.event : 'snapshot' }, gen);
      });
      this.following.set(id, off);
    }
  }

  private async refresh(ref: string, signal: AbortSignal, gen: number): Promise<void> {
    let fresh: WidgetMerchant;
    try {
      fresh = await this.fetchMerchant(ref, signal);
    } catch {
      return; // keep what is shown; the next round tries again
    }
    if (gen !== this.generation || !this.merchant) return;
    const held = new Map(this.merchant.listings.map((l) => [l.id, l]));
    const listings = fresh.listings.map((l) => {
      const h = held.get(l.id);
      return h && h.seq > l.seq ? h : l;
    });
    const changedList = listings.length !== this.merchant.listings.length || listings.some((l, i) => l.id !== this.merchant!.listings[i]?.id || shownChanged(this.merchant!.listings[i] ?? null, l));
    const changedRating = JSON.stringify(fresh.rating) !== JSON.stringify(this.merchant.rating);
    this.merchant = { ...fresh, listings };
    this.follow(ref, gen);
    if (changedList || changedRating) this.emit('lendbook-update', { widget: this.widget, merchantRef: ref, merchant: this.merchant, event: 'refresh' }, gen);
  }

  protected renderData() {
    const m = this.merchant;
    if (!m) return nothing;
    const shown = this.shown();
    const more = m.listings.length - shown.length;
    const r = m.rating;
    return html`<div class="box" part="merchant">
        <div class="head" part="header">
          <p class="name" part="name">${m.name}</p>
          ${r
            ? html`<lb-grade grade=${r.grade} exportparts="badge: grade"></lb-grade><span class="score" part="score">${t('w.merchant.score', { score: r.score })}</span>`
            : html`<span class="score" part="score">${t('w.merchant.notRated')}</span>`}
        </div>
        ${r
          ? html`<dl class="credit" part="credit">
              <div><dt>${t('w.merchant.creditLeft')}</dt><dd data-testid="credit-left">${money(r.creditLeftMinor, { trimZeroFen: true })}</dd></div>
              <div><dt>&nbsp;</dt><dd class=${r.eligible ? 'yes' : 'no'}>${r.eligible ? t('w.merchant.eligible') : t('w.merchant.notEligible')}</dd></div>
            </dl>`
          : nothing}
        <p class="section">${t('w.merchant.listings')}</p>
        ${shown.length
          ? html`<ul class="list" part="list">
              ${shown.map(
                (l) => html`<li part="item"><lb-listing-status compact .listing=${l} href=${appUrl(`listing/${encodeURIComponent(l.id)}`)} target="_blank" exportparts=${LISTING_PARTS}></lb-listing-status></li>`,
              )}
            </ul>`
          : html`<p class="muted" part="empty">${t('w.merchant.none')}</p>`}
        ${more > 0 ? html`<a class="more" part="more" href=${appUrl('market')} target="_blank" rel="noopener">${t('w.merchant.more', { n: more })}</a>` : nothing}
      </div>
      ${this.renderBrand(appUrl('market'))}`;
  }
}
