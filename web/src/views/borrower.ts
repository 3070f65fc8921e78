import { html, nothing } from 'lit';
import '../components/depth-chart.js';
import '../components/grade.js';
import '../components/listing-status.js';
import { api, ApiError } from '../lib/api.js';
import { dateTime, money, rate } from '../lib/format.js';
import { locale, t } from '../lib/i18n.js';
import type { ListingLiveState } from '../lib/live.js';
import { live } from '../lib/session.js';
import type { ListingSummary, Rating } from '../lib/types.js';
import { View, errorBox } from './view.js';

/** The borrower's rating: score, grade, credit line and the reasons behind them. */
export class RatingView extends View {
  static override properties = { ...View.properties, rating: { state: true }, error: { state: true } };
  declare rating: Rating | null;
  declare error: unknown;
  constructor() {
    super();
    this.rating = null;
    this.error = null;
  }
  override connectedCallback(): void {
    super.connectedCallback();
    api.rating().then(
      (r) => (this.rating = r),
      (err: unknown) => (this.error = err),
    );
  }
  override render() {
    const r = this.rating;
    const zh = locale() === 'zh';
    if (this.error) {
      const code = this.error instanceof ApiError ? this.error.code : '';
      return html`<section class="page"><h1>${t('nav.rating')}</h1>${code === 'NOT_RATED' || code === 'MERCHANT_NOT_LINKED' ? html`<p class="notice">${t(`rating.${code}`)}</p>` : errorBox(this.error)}</section>`;
    }
    if (!r) return html`<p class="muted">${t('common.loading')}</p>`;
    const usedPct = r.creditLineMinor > 0 ? Math.min(100, Math.floor(((r.creditLineMinor - r.creditLeftMinor) * 100) / r.creditLineMinor)) : 0;
    return html`<section class="page" data-testid="rating">
      <div class="page-head"><div><h1>${t('nav.rating')}</h1><p>${t('rating.ratedAt', { at: dateTime(r.ratedAt) })}</p></div>
        ${r.mayListNow ? html`<a class="btn primary" href="#/borrower/new">${t('nav.newListing')}</a>` : nothing}</div>
      <div class="kpis">
        <div class="kpi big"><small>${t('rating.score')}</small><strong data-testid="rating-score">${r.score}</strong><span class="sub">${t('rating.scoreOf')}</span></div>
        <div class="kpi big"><small>${t('market.grade')}</small><strong><lb-grade grade=${r.grade} style="font-size:1.4rem"></lb-grade></strong><span class="sub">${t('rating.pd', { rate: rate(r.probabilityOfDefaultBps) })}</span></div>
        <div class="kpi big"><small>${t('rating.creditLine')}</small><strong>${money(r.creditLineMinor, { trimZeroFen: true })}</strong><span class="sub">${t('rating.left', { amount: money(r.creditLeftMinor, { trimZeroFen: true }) })}</span></div>
        <div class="kpi big"><small>${t('rating.cap')}</small><strong>${money(r.capMinor, { trimZeroFen: true })}</strong><span class="sub">${t('rating.left', { amount: money(r.capLeftMinor, { trimZeroFen: true }) })}</span></div>
      </div>
      <div class="grid-2">
        <div class="panel">
          <h2>${t('rating.reasons')}</h2>
          ${r.reasons.length ? html`<ul class="reasons" data-testid="rating-reasons">${r.reasons.map((x) => html`<li>${zh && x.textZh ? x.textZh : x.text}</li>`)}</ul>` : html`<p class="muted">${t('rating.noReasons')}</p>`}
        </div>
        <div class="panel">
          <h2>${t('rating.standing')}</h2>
          <dl class="facts">
            <dt>${t('rating.eligible')}</dt><dd data-testid="may-list" data-may-list=${String(r.mayListNow)}>${r.mayListNow ? html`<span class="badge good">${t('common.yes')}</span>` : html`<span class="badge bad">${t('common.no')}</span>`}</dd>
            ${r.ineligibleReason ? html`<dt>${t('rating.why')}</dt><dd>${zh && r.ineligibleReason.textZh ? r.ineligibleReason.textZh : r.ineligibleReason.text}</dd>` : r.mayListReason ? html`<dt>${t('rating.why')}</dt><dd data-testid="may-list-why">${t(`mayList.${r.mayListReason}`)}</dd>` : nothing}
            <dt>${t('listing.expectedLoss')}</dt><dd>${rate(r.expectedLossBps)}</dd>
            <dt>${t('rating.used')}</dt><dd>${usedPct}%</dd>
          </dl>
          <lb-funded-bar style="margin-top:0.75rem" pct=${usedPct} label></lb-funded-bar>
        </div>
      </div>
    </section>`;
  }
}
customElements.define('lb-rating-view', RatingView);

/** The borrower's listings; the open one live (its status card and its book as it fills). */
export class MyListingsView extends View {
  static override properties = { ...View.properties, items: { state: true }, error: { state: true }, liveState: { state: true } };
  declare items: ListingSummary[] | null;
  declare error: unknown;
  declare liveState: ListingLiveState | null;
  private offLive: (() => void) | undefined;
  private liveId = '';

  constructor() {
    super();
    this.items = null;
    this.error = null;
    this.liveState = null;
  }

  override connectedCallback(): void {
    super.connectedCallback();
    void this.load();
    this.own(() => this.offLive?.());
    this.own(
      live.me((_s, change) => {
        if (change.type === 'event' && ['loan.disbursed', 'listing.failed'].includes(change.event)) void this.load();
      }),
    );
  }

  private async load(): Promise<void> {
    try {
      const page = await api.myListings();
      this.items = page.items;
      this.error = null;
      const open = page.items.find((l) => l.status === 'open');
      if (open && open.id !== this.liveId) {
        this.offLive?.();
        this.liveId = open.id;
        this.offLive = live.listing(open.id, (state, change) => {
          if (change.type !== 'error') this.liveState = state;
        });
      }
    } catch (err) {
      this.error = err;
    }
  }

  override render() {
    const items = this.items ?? [];
    const openSummary = items.find((l) => l.status === 'open');
    const open = openSummary && this.liveState?.listingId === openSummary.id ? this.liveState.listing : openSummary;
    return html`<section class="page">
      <div class="page-head"><div><h1>${t('nav.myListings')}</h1><p>${t('myListings.subtitle')}</p></div>
        ${!openSummary ? html`<a class="btn primary" href="#/borrower/new" data-testid="new-listing-link">${t('nav.newListing')}</a>` : nothing}</div>
      ${this.error ? errorBox(this.error) : nothing}
      ${open
        ? html`<div class="split">
            <div class="panel">
              <div class="panel-head"><h2>${t('myListings.liveAuction')}</h2><a href="#/listing/${open.id}">${t('myListings.openFull')}</a></div>
              <lb-depth-chart .levels=${this.liveState?.listing.book ?? []} amount-minor=${open.amountMinor} max-rate-bps=${open.maxRateBps} current-rate-bps=${open.currentRateBps}></lb-depth-chart>
            </div>
            <lb-listing-status .listing=${open} href="#/listing/${open.id}" data-testid="my-open-listing"></lb-listing-status>
          </div>`
        : nothing}
      <div class="panel" style="padding-top:0.4rem">
        <div class="table-wrap">
          <table class="data" data-testid="my-listings">
            <thead><tr><th>${t('market.col.listing')}</th><th>${t('bids.col.status')}</th><th class="num">${t('listing.amount')}</th><th class="num">${t('listing.rate')}</th><th class="num">${t('market.col.funded')}</th><th>${t('myListings.ends')}</th><th><span class="sr-only">${t('common.actions')}</span></th></tr></thead>
            <tbody>
              ${items.map((row) => {
                // The open listing's row shows the live figures the card shows: one truth on the page.
                const l = open && row.id === open.id ? { ...row, ...open } : row;
                return html`<tr data-testid="my-listing-row" data-listing-id=${l.id} data-status=${l.status}>
                  <td><a href="#/listing/${l.id}">${l.title}</a></td>
                  <td><span class="badge ${l.status === 'open' ? 'good' : l.status === 'cleared' ? 'info' : 'muted'}">${t(`status.${l.status}`)}</span></td>
                  <td class="num">${money(l.amountMinor, { trimZeroFen: true })}</td>
                  <td class="num">${rate(l.currentRateBps)}</td>
                  <td class="num" data-testid="my-listing-funded">${l.fundedPct}%</td>
                  <td class="nowrap muted">${dateTime(l.closedAt ?? l.endsAt)}</td>
                  <td>${l.loanId ? html`<a href="#/loan/${l.loanId}">${t('listing.viewLoan')}</a>` : nothing}</td>
                </tr>`;
              })}
            </tbody>
          </table>
        </div>
        ${this.items && items.length === 0 ? html`<p class="empty">${t('myListings.none')}</p>` : nothing}
      </div>
    </section>`;
  }
}
customElements.define('lb-my-listings-view', MyListingsView);
