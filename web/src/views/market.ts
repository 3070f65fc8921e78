import '../components/guarantee-badge.js';
import { html, nothing } from 'lit';
import { repeat } from 'lit/directives/repeat.js';
import '../components/countdown.js';
import '../components/funded-bar.js';
import '../components/grade.js';
import '../components/listing-status.js';
import { api } from '../lib/api.js';
import { money, parseMoney, parseRate, rate, term, time } from '../lib/format.js';
import { t } from '../lib/i18n.js';
import type { Change, MarketLiveState } from '../lib/live.js';
import { navigate } from '../lib/router.js';
import { connection, live } from '../lib/session.js';
import { rememberListings } from '../lib/titles.js';
import { GRADES, PRODUCTS, TERMS, type ListingSummary } from '../lib/types.js';
import { View, errorBox } from './view.js';

type SortKey = 'endsAt' | 'rate' | 'fundedPct' | 'createdAt' | 'expectedLoss';
const SORTS: SortKey[] = ['endsAt', 'rate', 'fundedPct', 'createdAt', 'expectedLoss'];
const KEEP_CLOSED_MS = 30_000;

interface Activity {
  at: number;
  text: string;
  id: string;
}

/**
 * The market: every open listing, live from the `listings` channel (first painted from
 * GET /listings), with filters and sorting kept in the URL. Rows flash when a listing changes;
 * a listing that closes stays a moment with its outcome.
 */
export class MarketView extends View {
  static override properties = { ...View.properties, items: { state: true }, error: { state: true }, liveReady: { state: true }, watched: { state: true } };
  declare items: Map<string, ListingSummary>;
  declare error: unknown;
  declare liveReady: boolean;
  private changes = new Map<string, number>();
  private closedAt = new Map<string, number>();
  private activity: Activity[] = [];
  private pollTimer: ReturnType<typeof setInterval> | undefined;

  constructor() {
    super();
    this.items = new Map();
    this.error = null;
    this.liveReady = false;
    this.watched = new Set();
  }

  /** Listings on the user's watchlist (the star). */
  declare watched: Set<string>;

  private async loadWatchlist(): Promise<void> {
    if (this.user?.role !== 'lender' && this.user?.role !== 'borrower') return;
    try {
      this.watched = new Set((await api.watchlist()).listingIds);
    } catch {
      /* the stars stay empty; the market works without them */
    }
  }

  private async toggleWatch(id: string): Promise<void> {
    const on = !this.watched.has(id);
    const next = new Set(this.watched);
    if (on) next.add(id);
    else next.delete(id);
    this.watched = next;
    try {
      await (on ? api.watch(id) : api.unwatch(id));
    } catch (err) {
      this.error = err;
      void this.loadWatchlist();
    }
  }

  override connectedCallback(): void {
    super.connectedCallback();
    void this.fetch();
    void this.loadWatchlist();
    this.own(live.market((state, change) => this.onLive(state, change)));
    // Without the socket (blocked by a proxy, or reconnecting), keep the page fresh by polling.
    this.pollTimer = setInterval(() => {
      if (connection.value.state !== 'open' || !this.liveReady) void this.fetch();
    }, 10_000);
    this.own(() => clearInterval(this.pollTimer));
    const sweep = setInterval(() => this.sweepClosed(), 5000);
    this.own(() => clearInterval(sweep));
  }

  private async fetch(): Promise<void> {
    try {
      const items: ListingSummary[] = [];
      let cursor: string | null = null;
      do {
        const page = await api.listings({ status: 'open', sort: 'endsAt', limit: 100, cursor });
        items.push(...page.items);
        cursor = page.nextCursor;
      } while (cursor && items.length < 500);
      if (this.liveReady && connection.value.state === 'open') return; // the live state is newer
      this.items = new Map(items.map((l) => [l.id, l]));
      rememberListings(items);
      this.error = null;
    } catch (err) {
      if (!this.items.size) this.error = err;
    }
  }

  private onLive(state: MarketLiveState, change: Change): void {
    if (change.type === 'error') return;
    if (change.type === 'event') {
      const l = change.data as ListingSummary;
      this.changes.set(l.id, (this.changes.get(l.id) ?? 0) + 1);
      if (l.status !== 'open') this.closedAt.set(l.id, Date.now());
      const text =
        change.event === 'listing.created'
          ? t('market.act.created', { title: l.title, amount: money(l.amountMinor, { trimZeroFen: true }) })
          : l.status !== 'open'
            ? t('market.act.closed', { title: l.title, status: t(`status.${l.status}`) })
            : t('market.act.updated', { title: l.title, pct: l.fundedPct, rate: rate(l.currentRateBps) });
      this.activity = [{ at: Date.now(), text, id: l.id }, ...this.activity].slice(0, 4);
    }
    const next = new Map<string, ListingSummary>();
    for (const [id, l] of state.items) {
      if (l.status === 'open' || Date.now() - (this.closedAt.get(id) ?? 0) < KEEP_CLOSED_MS) next.set(id, l);
    }
    this.items = next;
    this.liveReady = true;
    this.error = null;
    rememberListings(state.items.values());
  }

  private sweepClosed(): void {
    let removed = false;
    const next = new Map(this.items);
    for (const [id, l] of next) {
      if (l.status !== 'open' && Date.now() - (this.closedAt.get(id) ?? 0) >= KEEP_CLOSED_MS) {
        next.delete(id);
        removed = true;
      }
    }
    if (removed) this.items = next;
  }

  private q(name: string): string {
    return this.query.get(name) ?? '';
  }

  private setQuery(name: string, value: string): void {
    const q = new URLSearchParams(this.query);
    if (value) q.set(name, value);
    else q.delete(name);
    navigate('market', Object.fromEntries(q), true);
  }

  private visible(): ListingSummary[] {
    const grade = this.q('grade');
    const term = this.q('term');
    const product = this.q('product');
    const search = this.q('q').trim().toLowerCase();
    // Ranges as the API takes them (GET /listings?minRateBps=…): the current rate in percent, the amount in yuan.
    const minRate = parseRate(this.q('minRate'));
    const maxRate = parseRate(this.q('maxRate'));
    const minAmount = parseMoney(this.q('minAmount'));
    const maxAmount = parseMoney(this.q('maxAmount'));
    const watchedOnly = this.q('watched') === '1';
    const sort = (SORTS as string[]).includes(this.q('sort')) ? (this.q('sort') as SortKey) : 'endsAt';
    const list = [...this.items.values()].filter(
      (l) =>
        (!grade || l.grade === grade) &&
        (!term || String(l.termMonths) === term) &&
        (!product || l.product === product) &&
        (minRate === null || l.currentRateBps >= minRate) &&
        (maxRate === null || l.currentRateBps <= maxRate) &&
        (minAmount === null || l.amountMinor >= minAmount) &&
        (maxAmount === null || l.amountMinor <= maxAmount) &&
        (!watchedOnly || this.watched.has(l.id)) &&
        (!search || l.title.toLowerCase().includes(search) || l.merchantName.toLowerCase().includes(search)),
    );
    const cmp: Record<SortKey, (a: ListingSummary, b: ListingSummary) => number> = {
      endsAt: (a, b) => Date.parse(a.endsAt) - Date.parse(b.endsAt),
      rate: (a, b) => b.currentRateBps - a.currentRateBps,
      fundedPct: (a, b) => b.fundedPct - a.fundedPct,
      createdAt: (a, b) => Date.parse(b.createdAt) - Date.parse(a.createdAt),
      expectedLoss: (a, b) => a.expectedLossBps - b.expectedLossBps,
    };
    // Open listings first; closed ones linger at the end for a moment.
    return list.sort((a, b) => Number(a.status !== 'open') - Number(b.status !== 'open') || cmp[sort](a, b) || a.id.localeCompare(b.id));
  }

  private renderSummary(list: ListingSummary[]) {
    const open = list.filter((l) => l.status === 'open');
    const asked = open.reduce((s, l) => s + l.amountMinor, 0);
    const covered = open.reduce((s, l) => s + Math.min(l.coverageMinor, l.amountMinor), 0);
    const weighted = asked > 0 ? Math.round(open.reduce((s, l) => s + l.currentRateBps * l.amountMinor, 0) / asked) : 0;
    const endingSoon = open.filter((l) => Date.parse(l.endsAt) - Date.now() < 3_600_000).length;
    return html`<div class="kpis">
      <div class="kpi"><small>${t('market.kpi.open')}</small><strong data-testid="market-open-count">${open.length}</strong><span class="sub">${t('market.kpi.endingSoon', { n: endingSoon })}</span></div>
      <div class="kpi"><small>${t('market.kpi.asked')}</small><strong>${money(asked, { trimZeroFen: true })}</strong><span class="sub">${t('market.kpi.covered', { amount: money(covered, { trimZeroFen: true }) })}</span></div>
      <div class="kpi"><small>${t('market.kpi.avgRate')}</small><strong>${weighted ? rate(weighted) : '—'}</strong><span class="sub">${t('market.kpi.avgRateHint')}</span></div>
      <div class="kpi"><small>${t('market.kpi.activity')}</small>
        ${this.activity.length
          ? html`<strong class="small" style="font-size:0.9rem;white-space:normal">${this.activity[0]!.text}</strong><span class="sub">${time(this.activity[0]!.at)}</span>`
          : html`<strong class="small muted" style="font-size:0.9rem;white-space:normal">${this.liveReady ? t('market.kpi.waiting') : t('market.kpi.connecting')}</strong>`}
      </div>
    </div>`;
  }

  private renderFilters() {
    const sort = this.q('sort') || 'endsAt';
    return html`<form class="filters panel" role="search" @submit=${(e: Event) => e.preventDefault()} aria-label=${t('market.filters')}>
      <label class="search">${t('market.search')}
        <input type="search" .value=${this.q('q')} placeholder=${t('market.searchPlaceholder')} @input=${(e: Event) => this.setQuery('q', (e.target as HTMLInputElement).value)} data-testid="market-search" />
      </label>
      <label>${t('market.grade')}
        <select @change=${(e: Event) => this.setQuery('grade', (e.target as HTMLSelectElement).value)} data-testid="market-grade">
          <option value="" ?selected=${!this.q('grade')}>${t('common.all')}</option>
          ${GRADES.map((g) => html`<option value=${g} ?selected=${this.q('grade') === g}>${g}</option>`)}
        </select>
      </label>
      <label>${t('market.term')}
        <select @change=${(e: Event) => this.setQuery('term', (e.target as HTMLSelectElement).value)}>
          <option value="" ?selected=${!this.q('term')}>${t('common.all')}</option>
          ${TERMS.map((n) => html`<option value=${n} ?selected=${this.q('term') === String(n)}>${t('listing.termMonths', { n })}</option>`)}
        </select>
      </label>
      <label>${t('market.product')}
        <select @change=${(e: Event) => this.setQuery('product', (e.target as HTMLSelectElement).value)}>
          <option value="" ?selected=${!this.q('product')}>${t('common.all')}</option>
          ${PRODUCTS.map((p) => html`<option value=${p} ?selected=${this.q('product') === p}>${t(`product.${p}`)}</option>`)}
        </select>
      </label>
      <label class="range">${t('market.rateRange')}
        <span class="row"><span class="input-affix suffix"><input inputmode="decimal" placeholder=${t('market.min')} .value=${this.q('minRate')} @change=${(e: Event) => this.setQuery('minRate', (e.target as HTMLInputElement).value.trim())} data-testid="market-min-rate" /><span>%</span></span>
        <span class="input-affix suffix"><input inputmode="decimal" placeholder=${t('market.max')} .value=${this.q('maxRate')} @change=${(e: Event) => this.setQuery('maxRate', (e.target as HTMLInputElement).value.trim())} data-testid="market-max-rate" /><span>%</span></span></span>
      </label>
      <label class="range">${t('market.amountRange')}
        <span class="row"><span class="input-affix"><span>¥</span><input inputmode="decimal" placeholder=${t('market.min')} .value=${this.q('minAmount')} @change=${(e: Event) => this.setQuery('minAmount', (e.target as HTMLInputElement).value.trim())} data-testid="market-min-amount" /></span>
        <span class="input-affix"><span>¥</span><input inputmode="decimal" placeholder=${t('market.max')} .value=${this.q('maxAmount')} @change=${(e: Event) => this.setQuery('maxAmount', (e.target as HTMLInputElement).value.trim())} data-testid="market-max-amount" /></span></span>
      </label>
      ${this.user?.role === 'lender' || this.user?.role === 'borrower'
        ? html`<label class="check"><input type="checkbox" .checked=${this.q('watched') === '1'} @change=${(e: Event) => this.setQuery('watched', (e.target as HTMLInputElement).checked ? '1' : '')} data-testid="market-watched" /> ${t('market.watchedOnly', { n: this.watched.size })}</label>`
        : nothing}
      <label>${t('market.sort')}
        <select @change=${(e: Event) => this.setQuery('sort', (e.target as HTMLSelectElement).value === 'endsAt' ? '' : (e.target as HTMLSelectElement).value)} data-testid="market-sort">
          ${SORTS.map((s) => html`<option value=${s} ?selected=${sort === s}>${t(`market.sort.${s}`)}</option>`)}
        </select>
      </label>
    </form>`;
  }

  override render() {
    const list = this.visible();
    return html`<section class="page">
      <div class="page-head">
        <div>
          <h1>${t('market.title')}</h1>
          <p>${t('market.subtitle')}</p>
        </div>
        ${this.user?.role === 'borrower' ? html`<a class="btn primary" href="#/borrower/new">${t('nav.newListing')}</a>` : nothing}
        ${!this.user ? html`<a class="btn primary" href="#/register">${t('market.cta')}</a>` : nothing}
      </div>
      ${this.renderSummary([...this.items.values()])}
      ${this.renderFilters()}
      ${this.error ? errorBox(this.error) : nothing}
      <div class="panel" style="padding-top:0.4rem">
        <div class="table-wrap">
          <table class="data market-table" data-testid="market-table">
            <thead>
              <tr>
                <th>${t('market.col.listing')}</th>
                <th>${t('market.grade')}</th>
                <th class="num">${t('listing.expectedLoss')}</th>
                <th class="num">${t('listing.amount')}</th>
                <th class="num">${t('listing.term')}</th>
                <th>${t('market.product')}</th>
                <th class="num">${t('listing.rate')}</th>
                <th>${t('market.col.funded')}</th>
                <th class="num">${t('listing.bids')}</th>
                <th>${t('listing.timeLeft')}</th>
              </tr>
            </thead>
            <tbody>
              ${repeat(
                list,
                (l) => l.id,
                (l) => {
                  const n = this.changes.get(l.id) ?? 0;
                  return html`<tr class="clickable ${n ? `flash-${n % 2}` : ''}" style=${l.status !== 'open' ? 'opacity:0.55' : ''} data-testid="market-row" data-listing-id=${l.id} @click=${(e: Event) => {
                    if ((e.target as HTMLElement).closest('a')) return;
                    navigate(`listing/${l.id}`);
                  }}>
                    <td class="title-cell">${this.user?.role === 'lender' || this.user?.role === 'borrower'
                      ? html`<button class="star" aria-pressed=${this.watched.has(l.id) ? 'true' : 'false'} title=${t('market.watch')} aria-label=${t('market.watch')} data-testid="watch-star" @click=${(e: Event) => { e.stopPropagation(); void this.toggleWatch(l.id); }}>${this.watched.has(l.id) ? '★' : '☆'}</button>`
                      : nothing}<a href="#/listing/${l.id}">${l.title}</a> <lb-guarantee-badge .guarantee=${l.guarantee}></lb-guarantee-badge><small>${l.merchantName}</small></td>
                    <td><lb-grade grade=${l.grade}></lb-grade></td>
                    <td class="num">${rate(l.expectedLossBps)}</td>
                    <td class="num">${money(l.amountMinor, { trimZeroFen: true })}</td>
                    <td class="num">${term(l)}</td>
                    <td class="nowrap">${t(`product.${l.product}`)}</td>
                    <td class="num"><span class="rate-cell">${rate(l.currentRateBps)}</span><br /><small class="muted">${t('market.maxRate', { rate: rate(l.maxRateBps) })}</small></td>
                    <td><lb-funded-bar label pct=${l.fundedPct} min-pct=${l.minFundingPct}></lb-funded-bar></td>
                    <td class="num">${l.bidCount}</td>
                    <td class="nowrap">${l.status === 'open' ? html`<lb-countdown compact ends-at=${l.endsAt} original-ends-at=${l.originalEndsAt} status=${l.status}></lb-countdown>` : html`<span class="badge info">${t(`status.${l.status}`)}</span>`}</td>
                  </tr>`;
                },
              )}
            </tbody>
          </table>
        </div>
        <div class="market-cards" style="padding-top:0.6rem">
          ${repeat(list, (l) => l.id, (l) => html`<lb-listing-status compact .listing=${l} href="#/listing/${l.id}"></lb-listing-status>`)}
        </div>
        ${list.length === 0 && !this.error ? html`<p class="empty" data-testid="market-empty">${this.items.size ? t('market.noMatch') : t('market.none')}</p>` : nothing}
      </div>
    </section>`;
  }
}
customElements.define('lb-market-view', MarketView);
