import { html, nothing } from 'lit';
import { repeat } from 'lit/directives/repeat.js';
import '../components/countdown.js';
import '../components/funded-bar.js';
import { api } from '../lib/api.js';
import { dateTime, money, rate } from '../lib/format.js';
import { t } from '../lib/i18n.js';
import type { ListingLiveState } from '../lib/live.js';
import { navigate } from '../lib/router.js';
import { live } from '../lib/session.js';
import { StoreController } from '../lib/store.js';
import { listingOf, titles } from '../lib/titles.js';
import type { BidStatus, BidView } from '../lib/types.js';
import { View, errorBox } from './view.js';

const FILTERS: ('' | BidStatus)[] = ['', 'winning', 'filled', 'outbid', 'released'];
const MAX_LIVE = 25;

/**
 * My bids with live status: winning bids follow their listing's channel (fill now, the listing's rate,
 * time left); `me` events move a bid to outbid or filled the moment it happens.
 */
export class BidsView extends View {
  static override properties = { ...View.properties, items: { state: true }, error: { state: true }, nextCursor: { state: true }, books: { state: true } };
  declare items: BidView[];
  declare error: unknown;
  declare nextCursor: string | null;
  declare books: Map<string, ListingLiveState>;
  private subs = new Map<string, () => void>();
  private flashes = new Map<string, number>();

  constructor() {
    super();
    this.items = [];
    this.error = null;
    this.nextCursor = null;
    this.books = new Map();
    new StoreController(this, titles);
  }

  override connectedCallback(): void {
    super.connectedCallback();
    this.own(
      live.me((_s, change) => {
        if (change.type !== 'event' || !change.event.startsWith('bid.')) return;
        const id = (change.data as { bidId?: string }).bidId;
        if (id) this.flashes.set(id, (this.flashes.get(id) ?? 0) + 1);
        void this.load();
      }),
    );
    this.own(() => {
      for (const off of this.subs.values()) off();
      this.subs.clear();
    });
  }

  override willUpdate(changed: Map<string, unknown>): void {
    if (changed.has('query')) void this.load();
  }

  private get filter(): '' | BidStatus {
    const f = this.query.get('status') ?? '';
    return (FILTERS as string[]).includes(f) ? (f as BidStatus) : '';
  }

  private async load(more = false): Promise<void> {
    try {
      const page = await api.myBids({ ...(this.filter ? { status: this.filter } : {}), limit: 50, cursor: more ? this.nextCursor : null });
      this.items = more ? [...this.items, ...page.items] : page.items;
      this.nextCursor = page.nextCursor;
      this.error = null;
      this.follow();
    } catch (err) {
      this.error = err;
    }
  }

  /** One subscription per listing with a winning bid (shared with every other view on the socket). */
  private follow(): void {
    const wanted = new Set(this.items.filter((b) => b.status === 'winning').map((b) => b.listingId).slice(0, MAX_LIVE));
    for (const [id, off] of this.subs) {
      if (!wanted.has(id)) {
        off();
        this.subs.delete(id);
      }
    }
    for (const id of wanted) {
      if (this.subs.has(id)) continue;
      this.subs.set(
        id,
        live.listing(id, (state, change) => {
          if (change.type === 'error') return;
          const next = new Map(this.books);
          next.set(id, state);
          this.books = next;
        }),
      );
    }
  }

  private status(b: BidView): { label: string; tone: string; fill: number } {
    const book = this.books.get(b.listingId);
    if (b.status === 'winning') {
      const entry = book?.book.entries.find((e) => e.id === b.id);
      if (book && !entry && book.listing.status === 'open') return { label: t('bid.status.outbid'), tone: 'bad', fill: 0 };
      const fill = entry?.fillMinor ?? b.fillMinor;
      return fill < b.amountMinor ? { label: t('bid.status.partial'), tone: 'warn', fill } : { label: t('bid.status.winning'), tone: 'good', fill };
    }
    // Closed bids: the server's standing (a partial fill is "partly filled", never just "filled").
    return { label: t(`bid.standing.${b.standing}`), tone: b.standing === 'filled' ? 'info' : b.standing === 'partly_filled' ? 'warn' : b.standing === 'outbid' ? 'bad' : 'muted', fill: b.fillMinor };
  }

  override render() {
    const winning = this.items.filter((b) => b.status === 'winning');
    const heldMinor = winning.reduce((s, b) => s + b.amountMinor, 0);
    const fillMinor = winning.reduce((s, b) => s + this.status(b).fill, 0);
    return html`<section class="page">
      <div class="page-head"><div><h1>${t('nav.bids')}</h1><p>${t('bids.subtitle')}</p></div><a class="btn" href="#/market">${t('bids.findMore')}</a></div>
      <div class="kpis">
        <div class="kpi"><small>${t('bids.kpi.active')}</small><strong>${winning.length}</strong></div>
        <div class="kpi"><small>${t('bids.kpi.held')}</small><strong>${money(heldMinor)}</strong></div>
        <div class="kpi"><small>${t('bids.kpi.fill')}</small><strong>${money(fillMinor)}</strong><span class="sub">${t('bids.kpi.fillHint')}</span></div>
      </div>
      <div class="row" role="group" aria-label=${t('bids.filter')}>
        ${FILTERS.map((f) => html`<button class="chip" aria-pressed=${this.filter === f} @click=${() => navigate('bids', f ? { status: f } : {}, true)}>${f ? t(`bid.status.${f}`) : t('common.all')}</button>`)}
      </div>
      ${this.error ? errorBox(this.error) : nothing}
      <div class="panel" style="padding-top:0.4rem">
        <div class="table-wrap">
          <table class="data" data-testid="my-bids">
            <thead><tr>
              <th>${t('market.col.listing')}</th><th>${t('bids.col.status')}</th><th class="num">${t('listing.amount')}</th><th class="num">${t('bids.col.yourRate')}</th>
              <th class="num">${t('bids.col.fill')}</th><th class="num">${t('listing.rate')}</th><th>${t('market.col.funded')}</th><th>${t('listing.timeLeft')}</th><th>${t('bids.col.placed')}</th>
            </tr></thead>
            <tbody>
              ${repeat(
                this.items,
                (b) => b.id,
                (b) => {
                  const s = this.status(b);
                  const book = this.books.get(b.listingId);
                  const l = book?.listing ?? listingOf(b.listingId);
                  const f = this.flashes.get(b.id) ?? 0;
                  return html`<tr data-testid="my-bid-row" data-bid-id=${b.id} data-status=${b.status} class=${f ? `flash-${s.tone === 'bad' ? 'bad-' : ''}${f % 2}` : ''}>
                    <td><a href="#/listing/${b.listingId}">${l?.title ?? b.listingId}</a></td>
                    <td><span class="badge ${s.tone}">${s.label}</span>${b.source === 'autobid' ? html` <span class="badge" data-testid="bid-autobid">${t('autobid.badge')}</span>` : nothing}</td>
                    <td class="num">${money(b.amountMinor, { trimZeroFen: true })}</td>
                    <td class="num">${rate(b.rateBps)}</td>
                    <td class="num">${b.status === 'outbid' || b.status === 'released' ? '—' : money(s.fill)}</td>
                    <td class="num">${l && b.status === 'winning' ? rate(l.currentRateBps) : '—'}</td>
                    <td>${l && b.status === 'winning' ? html`<lb-funded-bar label pct=${l.fundedPct} min-pct=${l.minFundingPct}></lb-funded-bar>` : nothing}</td>
                    <td class="nowrap">${l && b.status === 'winning' ? html`<lb-countdown compact ends-at=${l.endsAt} original-ends-at=${l.originalEndsAt} status=${l.status}></lb-countdown>` : nothing}</td>
                    <td class="nowrap muted small">${dateTime(b.createdAt)}</td>
                  </tr>`;
                },
              )}
            </tbody>
          </table>
        </div>
        ${this.items.length === 0 && !this.error ? html`<p class="empty">${t('bids.none')} <a href="#/market">${t('nav.market')}</a></p>` : nothing}
        ${this.nextCursor ? html`<button class="block" @click=${() => void this.load(true)}>${t('common.loadMore')}</button>` : nothing}
      </div>
    </section>`;
  }
}
customElements.define('lb-bids-view', BidsView);
