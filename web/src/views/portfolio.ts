import { html, nothing } from 'lit';
import '../components/chart.js';
import '../components/grade.js';
import type { ChartSeries } from '../components/chart.js';
import { API_BASE, api, all } from '../lib/api.js';
import { money, monthShort, rate } from '../lib/format.js';
import { t } from '../lib/i18n.js';
import { live } from '../lib/session.js';
import { StoreController } from '../lib/store.js';
import { listingOf, titles } from '../lib/titles.js';
import type { NoteItem, Portfolio } from '../lib/types.js';
import { View, errorBox } from './view.js';

/**
 * The lender's portfolio: totals and realised yield, cash received against the schedules by month,
 * allocation by grade, and every note (CSV export). Refreshes when a payment arrives.
 */
export class PortfolioView extends View {
  static override properties = { ...View.properties, data: { state: true }, notes: { state: true }, error: { state: true } };
  declare data: Portfolio | null;
  declare notes: NoteItem[] | null;
  declare error: unknown;

  constructor() {
    super();
    this.data = null;
    this.notes = null;
    this.error = null;
    new StoreController(this, titles);
  }

  override connectedCallback(): void {
    super.connectedCallback();
    void this.load();
    this.own(
      live.me((_s, change) => {
        if (change.type === 'event' && ['payment.received', 'bid.filled', 'loan.defaulted', 'loan.repaid'].includes(change.event)) void this.load();
      }),
    );
  }

  private async load(): Promise<void> {
    try {
      const [data, notes] = await Promise.all([api.portfolio(), all<NoteItem>('/me/notes', {}, 2000)]);
      this.data = data;
      this.notes = notes;
      this.error = null;
    } catch (err) {
      this.error = err;
    }
  }

  override render() {
    const d = this.data;
    if (this.error && !d) return html`<section class="page"><h1>${t('nav.portfolio')}</h1>${errorBox(this.error)}</section>`;
    if (!d) return html`<p class="muted">${t('common.loading')}</p>`;
    const tot = d.totals;
    const cash = d.cashflow.slice(-24);
    const cashSeries: ChartSeries[] = [
      { label: t('portfolio.received'), kind: 'bar', color: '--lb-good', values: cash.map((c) => c.receivedMinor) },
      { label: t('portfolio.expected'), kind: 'line', color: '--lb-accent', values: cash.map((c) => c.expectedMinor) },
    ];
    const gradeSeries: ChartSeries[] = [
      { label: t('portfolio.outstanding'), kind: 'bar', color: '--lb-accent', values: d.byGrade.map((g) => g.outstandingMinor) },
      { label: t('portfolio.lent'), kind: 'line', color: '--lb-warn', values: d.byGrade.map((g) => g.principalMinor) },
    ];
    const yieldBps = tot.realisedYieldBps;
    return html`<section class="page" data-testid="portfolio">
      <div class="page-head">
        <div><h1>${t('nav.portfolio')}</h1><p>${t('portfolio.asOf', { date: d.asOf })}</p></div>
        <a class="btn" href="${API_BASE}/me/notes.csv" download="lendbook-notes.csv" data-testid="notes-csv">${t('portfolio.csv')}</a>
      </div>
      <div class="kpis">
        <div class="kpi big"><small>${t('portfolio.outstanding')}</small><strong data-testid="portfolio-outstanding">${money(tot.outstandingMinor)}</strong><span class="sub">${t('portfolio.notes', { n: tot.activeNotes })}</span></div>
        <div class="kpi big"><small>${t('portfolio.realisedYield')}</small><strong class=${yieldBps !== null && yieldBps < 0 ? 'bad' : 'good'}>${yieldBps === null ? '—' : rate(yieldBps)}</strong><span class="sub">${t('portfolio.yieldHint')}</span></div>
        <div class="kpi"><small>${t('portfolio.lent')}</small><strong>${money(tot.principalLentMinor)}</strong><span class="sub">${t('portfolio.noteCounts', { all: tot.notes, repaid: tot.repaidNotes })}</span></div>
        <div class="kpi"><small>${t('portfolio.receivedPrincipal')}</small><strong>${money(tot.receivedPrincipalMinor)}</strong></div>
        <div class="kpi"><small>${t('portfolio.receivedInterest')}</small><strong class="good">${money(tot.receivedInterestMinor + tot.receivedPenaltyMinor)}</strong>${tot.receivedPenaltyMinor ? html`<span class="sub">${t('portfolio.penaltyIncl', { amount: money(tot.receivedPenaltyMinor) })}</span>` : nothing}</div>
        <div class="kpi"><small>${t('portfolio.late')}</small><strong class=${tot.lateOutstandingMinor ? 'warn' : ''}>${money(tot.lateOutstandingMinor)}</strong></div>
        <div class="kpi"><small>${t('portfolio.defaulted')}</small><strong class=${tot.defaultedOutstandingMinor ? 'bad' : ''}>${money(tot.defaultedOutstandingMinor)}</strong><span class="sub">${t('portfolio.defaultedNotes', { n: tot.defaultedNotes })}</span></div>
      </div>
      <div class="grid-2">
        <div class="panel">
          <div class="panel-head"><h2>${t('portfolio.cashTitle')}</h2><span class="small muted">${t('portfolio.cashHint')}</span></div>
          ${cash.length ? html`<lb-chart data-testid="cashflow-chart" .labels=${cash.map((c) => monthShort(c.month))} .series=${cashSeries} format="money" label=${t('portfolio.cashTitle')}></lb-chart>` : html`<p class="empty">${t('portfolio.noCash')}</p>`}
        </div>
        <div class="panel">
          <div class="panel-head"><h2>${t('portfolio.byGrade')}</h2></div>
          ${d.byGrade.length ? html`<lb-chart data-testid="grade-chart" .labels=${d.byGrade.map((g) => g.grade)} .series=${gradeSeries} format="money" label=${t('portfolio.byGrade')}></lb-chart>` : html`<p class="empty">${t('portfolio.noNotes')}</p>`}
        </div>
      </div>
      <div class="panel" style="padding-top:0.4rem">
        <div class="table-wrap">
          <table class="data" data-testid="notes-table">
            <thead><tr><th>${t('market.col.listing')}</th><th>${t('market.grade')}</th><th class="num">${t('portfolio.col.principal')}</th><th class="num">${t('portfolio.col.rate')}</th><th class="num">${t('portfolio.outstanding')}</th><th class="num">${t('portfolio.receivedPrincipal')}</th><th class="num">${t('portfolio.receivedInterest')}</th><th>${t('bids.col.status')}</th></tr></thead>
            <tbody>
              ${(this.notes ?? []).map(
                (n) => html`<tr data-testid="note-row">
                  <td><a href="#/loan/${n.loanId}">${listingOf(n.listingId)?.title ?? n.loanId}</a></td>
                  <td><lb-grade grade=${n.grade}></lb-grade></td>
                  <td class="num">${money(n.principalMinor)}</td>
                  <td class="num">${rate(n.rateBps)}</td>
                  <td class="num">${money(n.outstandingMinor)}</td>
                  <td class="num">${money(n.receivedPrincipalMinor)}</td>
                  <td class="num">${money(n.receivedInterestMinor + n.receivedPenaltyMinor)}</td>
                  <td><span class="badge ${n.status === 'active' ? 'good' : n.status === 'defaulted' ? 'bad' : 'muted'}">${t(`loan.status.${n.status}`)}</span></td>
                </tr>`,
              )}
            </tbody>
          </table>
        </div>
        ${this.notes && this.notes.length === 0 ? html`<p class="empty">${t('portfolio.noNotes')} <a href="#/market">${t('nav.market')}</a></p>` : nothing}
      </div>
    </section>`;
  }
}
customElements.define('lb-portfolio-view', PortfolioView);
