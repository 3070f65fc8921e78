import { html, nothing } from 'lit';
import { repeat } from 'lit/directives/repeat.js';
import '../components/grade.js';
import { api } from '../lib/api.js';
import { date, money, parseRate, rate } from '../lib/format.js';
import { t } from '../lib/i18n.js';
import type { Change, OffersLiveState } from '../lib/live.js';
import { navigate } from '../lib/router.js';
import { connection, live } from '../lib/session.js';
import { StoreController } from '../lib/store.js';
import { listingOf, titles } from '../lib/titles.js';
import { GRADES, type NoteOffer } from '../lib/types.js';
import { TradeDialog, priceText } from './trade.js';
import { View, errorBox } from './view.js';

type SortKey = 'yield' | 'priceBps' | 'monthsLeft';
const SORTS: SortKey[] = ['yield', 'priceBps', 'monthsLeft'];

/**
 * Notes for sale (the secondary market, docs/transfers.md): every open offer, live from the
 * `note-offers` channel (first painted from GET /note-offers), with filters and sorting kept in the
 * URL: grade, rate, months left, discount or premium, yield to maturity, accrued. Lenders buy through
 * the Buy dialog, which previews the trade with the server's own figures.
 */
export class NotesView extends View {
  static override properties = { ...View.properties, items: { state: true }, error: { state: true }, liveReady: { state: true } };
  declare items: Map<string, NoteOffer>;
  declare error: unknown;
  declare liveReady: boolean;
  private changes = new Map<string, number>();
  /** The lender's own open offers: shown as theirs, not for them to buy. */
  private mine = new Set<string>();

  constructor() {
    super();
    this.items = new Map();
    this.error = null;
    this.liveReady = false;
    new StoreController(this, titles);
  }

  override connectedCallback(): void {
    super.connectedCallback();
    void this.fetch();
    this.own(live.noteOffers((state, change) => this.onLive(state, change)));
    if (this.user?.role === 'lender') {
      this.own(
        live.me((_s, change) => {
          const id = change.type === 'event' && change.event === 'offer.created' ? (change.data as { id?: string }).id : undefined;
          if (id) {
            this.mine.add(id);
            this.requestUpdate();
          }
        }),
      );
    }
    // Without the socket (blocked, or reconnecting), keep the page fresh by polling.
    const poll = setInterval(() => {
      if (connection.value.state !== 'open' || !this.liveReady) void this.fetch();
    }, 10_000);
    this.own(() => clearInterval(poll));
  }

  private async fetch(): Promise<void> {
    try {
      const items: NoteOffer[] = [];
      let cursor: string | null = null;
      do {
        const page = await api.noteOffers({ sort: 'yield', limit: 100, cursor });
        items.push(...page.items);
        cursor = page.nextCursor;
      } while (cursor && items.length < 500);
      if (this.user?.role === 'lender') this.mine = new Set((await api.myOffers()).items.filter((o) => o.status === 'open').map((o) => o.id));
      if (this.liveReady && connection.value.state === 'open') {
        this.requestUpdate();
        return; // the live state is newer
      }
      this.items = new Map(items.map((o) => [o.id, o]));
      this.error = null;
    } catch (err) {
      if (!this.items.size) this.error = err;
    }
  }

  private onLive(state: OffersLiveState, change: Change): void {
    if (change.type === 'error') return;
    if (change.type === 'event') {
      const id = (change.data as { id?: string }).id;
      if (id) this.changes.set(id, (this.changes.get(id) ?? 0) + 1);
    }
    this.items = new Map(state.items);
    this.liveReady = true;
    this.error = null;
  }

  private q(name: string): string {
    return this.query.get(name) ?? '';
  }

  private setQuery(name: string, value: string): void {
    const q = new URLSearchParams(this.query);
    if (value) q.set(name, value);
    else q.delete(name);
    navigate('notes', Object.fromEntries(q), true);
  }

  private visible(): NoteOffer[] {
    const grade = this.q('grade');
    const minYield = parseRate(this.q('minYield'));
    const maxMonths = /^\d{1,3}$/.test(this.q('maxMonths')) ? Number(this.q('maxMonths')) : null;
    const sort = (SORTS as string[]).includes(this.q('sort')) ? (this.q('sort') as SortKey) : 'yield';
    const cmp: Record<SortKey, (a: NoteOffer, b: NoteOffer) => number> = {
      yield: (a, b) => b.yieldToMaturityBps - a.yieldToMaturityBps,
      priceBps: (a, b) => a.priceBps - b.priceBps,
      monthsLeft: (a, b) => a.monthsLeft - b.monthsLeft,
    };
    return [...this.items.values()]
      .filter((o) => o.status === 'open' && (!grade || o.grade === grade) && (minYield === null || o.yieldToMaturityBps >= minYield) && (maxMonths === null || o.monthsLeft <= maxMonths))
      .sort((a, b) => cmp[sort](a, b) || a.id.localeCompare(b.id));
  }

  private buy(offer: NoteOffer): void {
    if (!this.user) {
      navigate('login', { next: 'notes' });
      return;
    }
    void this.querySelector<TradeDialog>('lb-trade-dialog')?.openBuy(offer);
  }

  private renderFilters() {
    const sort = this.q('sort') || 'yield';
    return html`<form class="filters panel" role="search" @submit=${(e: Event) => e.preventDefault()} aria-label=${t('market.filters')}>
      <label>${t('market.grade')}
        <select @change=${(e: Event) => this.setQuery('grade', (e.target as HTMLSelectElement).value)} data-testid="notes-grade">
          <option value="" ?selected=${!this.q('grade')}>${t('common.all')}</option>
          ${GRADES.map((g) => html`<option value=${g} ?selected=${this.q('grade') === g}>${g}</option>`)}
        </select>
      </label>
      <label>${t('notes.minYield')}
        <span class="input-affix suffix"><input inputmode="decimal" .value=${this.q('minYield')} @change=${(e: Event) => this.setQuery('minYield', (e.target as HTMLInputElement).value.trim())} data-testid="notes-min-yield" /><span>%</span></span>
      </label>
      <label>${t('notes.maxMonths')}
        <input inputmode="numeric" .value=${this.q('maxMonths')} @change=${(e: Event) => this.setQuery('maxMonths', (e.target as HTMLInputElement).value.trim())} />
      </label>
      <label>${t('market.sort')}
        <select @change=${(e: Event) => this.setQuery('sort', (e.target as HTMLSelectElement).value === 'yield' ? '' : (e.target as HTMLSelectElement).value)} data-testid="notes-sort">
          ${SORTS.map((s) => html`<option value=${s} ?selected=${sort === s}>${t(`notes.sort.${s}`)}</option>`)}
        </select>
      </label>
    </form>`;
  }

  override render() {
    const list = this.visible();
    const lender = this.user?.role === 'lender';
    const total = [...this.items.values()].reduce((a, o) => a + o.remainingMinor, 0);
    return html`<section class="page" data-testid="notes-market">
      <div class="page-head">
        <div>
          <h1>${t('notes.title')}</h1>
          <p>${t('notes.subtitle')}</p>
        </div>
        ${lender ? html`<a class="btn" href="#/portfolio">${t('notes.sellYours')}</a>` : nothing}
        ${!this.user ? html`<a class="btn primary" href="#/register">${t('market.cta')}</a>` : nothing}
      </div>
      <div class="kpis">
        <div class="kpi"><small>${t('notes.kpi.offers')}</small><strong data-testid="notes-count">${this.items.size}</strong><span class="sub">${t('notes.kpi.onSale', { amount: money(total) })}</span></div>
        <div class="kpi"><small>${t('notes.kpi.best')}</small><strong>${list[0] && (this.q('sort') || 'yield') === 'yield' ? rate(list[0].yieldToMaturityBps) : '—'}</strong><span class="sub">${t('notes.kpi.bestHint')}</span></div>
      </div>
      ${this.renderFilters()}
      ${this.error ? errorBox(this.error) : nothing}
      <div class="panel" style="padding-top:0.4rem">
        <div class="table-wrap">
          <table class="data market-table" data-testid="notes-table">
            <thead>
              <tr>
                <th>${t('market.col.listing')}</th>
                <th>${t('market.grade')}</th>
                <th class="num">${t('notes.col.rate')}</th>
                <th class="num">${t('notes.col.monthsLeft')}</th>
                <th class="num">${t('notes.col.remaining')}</th>
                <th class="num">${t('notes.col.price')}</th>
                <th class="num">${t('notes.col.accrued')}</th>
                <th class="num">${t('notes.col.yield')}</th>
                <th>${t('notes.col.expires')}</th>
                <th><span class="sr-only">${t('common.actions')}</span></th>
              </tr>
            </thead>
            <tbody>
              ${repeat(
                list,
                (o) => o.id,
                (o) => {
                  const n = this.changes.get(o.id) ?? 0;
                  return html`<tr class=${n ? `flash-${n % 2}` : ''} data-testid="offer-row" data-offer-id=${o.id}>
                    <td class="title-cell"><a href="#/listing/${o.listingId}">${listingOf(o.listingId)?.title ?? t('notes.loan')}</a><small>${t(`repayment.${o.repayment}`)}</small></td>
                    <td><lb-grade grade=${o.grade}></lb-grade></td>
                    <td class="num">${rate(o.rateBps)}</td>
                    <td class="num">${o.monthsLeft}<br /><small class="muted">${t('trade.nextDue', { date: date(o.nextDueDate) })}</small></td>
                    <td class="num" data-testid="offer-remaining">${money(o.remainingMinor)}</td>
                    <td class="num"><span class=${o.priceBps < 10_000 ? 'good' : o.priceBps > 10_000 ? 'warn' : ''}>${priceText(o.priceBps)}</span></td>
                    <td class="num">${money(o.accruedPerRemainingMinor)}</td>
                    <td class="num"><strong class="rate-cell" data-testid="offer-yield">${rate(o.yieldToMaturityBps)}</strong></td>
                    <td class="nowrap">${date(o.expiresAt)}</td>
                    <td>${this.mine.has(o.id)
                      ? html`<span class="badge info" data-testid="offer-mine">${t('notes.yours')}</span>`
                      : lender || !this.user
                        ? html`<button class="primary" data-testid="offer-buy" @click=${() => this.buy(o)}>${t('notes.buy')}</button>`
                        : nothing}</td>
                  </tr>`;
                },
              )}
            </tbody>
          </table>
        </div>
        ${list.length === 0 && !this.error ? html`<p class="empty" data-testid="notes-empty">${this.items.size ? t('market.noMatch') : t('notes.none')}</p>` : nothing}
        <p class="hint">${t('notes.hint')}</p>
      </div>
      <lb-trade-dialog @traded=${() => void this.fetch()}></lb-trade-dialog>
    </section>`;
  }
}
customElements.define('lb-notes-view', NotesView);
