import { html, nothing } from 'lit';
import '../components/chart.js';
import '../components/grade.js';
import type { ChartSeries } from '../components/chart.js';
import { API_BASE, api, all, errorText } from '../lib/api.js';
import { date, money, monthShort, rate } from '../lib/format.js';
import { t } from '../lib/i18n.js';
import { live } from '../lib/session.js';
import { StoreController } from '../lib/store.js';
import { listingOf, titles } from '../lib/titles.js';
import { toast } from '../lib/toasts.js';
import type { NoteItem, NoteRepayment, Portfolio } from '../lib/types.js';
import { noteHistory, standingBadge } from './loans.js';
import { TradeDialog, priceText, reasonText } from './trade.js';
import { View, errorBox } from './view.js';

/**
 * The lender's portfolio: totals and realised yield, cash received against the schedules by month,
 * allocation by grade, every note (CSV export) with its Sell action, and the transfers in and out.
 * Refreshes when a payment arrives or a note changes hands.
 */
export class PortfolioView extends View {
  static override properties = { ...View.properties, data: { state: true }, notes: { state: true }, error: { state: true }, histories: { state: true } };
  /** Repayment histories of notes, once opened. */
  declare histories: Record<string, NoteRepayment[]>;
  declare data: Portfolio | null;
  declare notes: NoteItem[] | null;
  declare error: unknown;

  constructor() {
    super();
    this.data = null;
    this.notes = null;
    this.error = null;
    this.histories = {};
    new StoreController(this, titles);
  }

  private async toggleHistory(noteId: string): Promise<void> {
    if (this.histories[noteId]) {
      const { [noteId]: _gone, ...rest } = this.histories;
      this.histories = rest;
      return;
    }
    this.histories = { ...this.histories, [noteId]: (await api.noteRepayments(noteId)).items };
  }

  override connectedCallback(): void {
    super.connectedCallback();
    void this.load();
    this.own(
      live.me((_s, change) => {
        if (change.type === 'event' && ['payment.received', 'bid.filled', 'loan.defaulted', 'loan.repaid', 'note.sold', 'note.bought', 'offer.created', 'offer.ended'].includes(change.event)) void this.load();
      }),
    );
  }

  private async load(): Promise<void> {
    try {
      const [data, notes] = await Promise.all([api.portfolio(), all(api.notes, 2000)]);
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
        <div class="kpi"><small>${t('portfolio.receivedInterest')}</small><strong class="good">${money(tot.receivedInterestMinor + tot.receivedPenaltyMinor + tot.receivedPrepaymentFeeMinor)}</strong>${tot.receivedPenaltyMinor ? html`<span class="sub">${t('portfolio.penaltyIncl', { amount: money(tot.receivedPenaltyMinor) })}</span>` : nothing}</div>
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
            <thead><tr><th>${t('market.col.listing')}</th><th>${t('market.grade')}</th><th class="num">${t('portfolio.col.principal')}</th><th class="num">${t('portfolio.col.rate')}</th><th class="num">${t('portfolio.outstanding')}</th><th class="num">${t('portfolio.receivedPrincipal')}</th><th class="num">${t('portfolio.receivedInterest')}</th><th>${t('bids.col.status')}</th><th>${t('portfolio.col.sale')}</th></tr></thead>
            <tbody>
              ${(this.notes ?? []).map(
                (n) => html`<tr data-testid="note-row" data-note-id=${n.id}>
                  <td><a href="#/loan/${n.loanId}">${n.title}</a>${n.acquiredVia === 'transfer' ? html` <span class="badge info">${t('portfolio.bought')}</span>` : nothing} <button class="link-btn small" data-testid="note-history-toggle" @click=${() => void this.toggleHistory(n.id)}>${this.histories[n.id] ? '▾' : '▸'} ${t('note.history')}</button></td>
                  <td><lb-grade grade=${n.grade}></lb-grade></td>
                  <td class="num">${money(n.principalMinor)}</td>
                  <td class="num">${rate(n.rateBps)}</td>
                  <td class="num">${money(n.outstandingMinor)}</td>
                  <td class="num">${money(n.receivedPrincipalMinor)}</td>
                  <td class="num">${money(n.receivedInterestMinor + n.receivedPenaltyMinor + n.receivedPrepaymentFeeMinor)}</td>
                  <td>${n.status === 'sold' ? html`<span class="badge muted">${t('loan.status.sold')}</span>` : standingBadge(n.standing, n.daysPastDue)}</td>
                  <td class="nowrap">${this.renderSale(n)}</td>
                </tr>
                ${this.histories[n.id] ? html`<tr><td colspan="9">${noteHistory(this.histories[n.id]!)}</td></tr>` : nothing}`,
              )}
            </tbody>
          </table>
        </div>
        ${this.notes && this.notes.length === 0 ? html`<p class="empty">${t('portfolio.noNotes')} <a href="#/market">${t('nav.market')}</a></p>` : nothing}
      </div>
      ${this.renderTransfers(d)}
      <lb-trade-dialog @traded=${() => void this.load()}></lb-trade-dialog>
    </section>`;
  }

  /** The note's side of the secondary market: on sale (cancel), Sell, or why it cannot be sold now. */
  private renderSale(n: NoteItem) {
    if (n.openOfferId) {
      return html`<span class="badge warn" data-testid="note-on-sale">${t('portfolio.onSale')}</span>
        <button class="link-btn" data-testid="note-cancel-offer" @click=${() => void this.cancelOffer(n.openOfferId!)}>${t('portfolio.cancelOffer')}</button>`;
    }
    if (n.sellable) return html`<button class="btn" data-testid="note-sell" @click=${() => void this.querySelector<TradeDialog>('lb-trade-dialog')?.openSell(n)}>${t('portfolio.sell')}</button>`;
    return n.status === 'active' && n.notSellableReason ? html`<span class="small muted" title=${reasonText(n.notSellableReason)}>${reasonText(n.notSellableReason)}</span>` : nothing;
  }

  private async cancelOffer(offerId: string): Promise<void> {
    try {
      await api.cancelOffer(offerId);
      toast({ tone: 'info', kind: 'offer', title: t('portfolio.offerCancelled') }, 4000);
    } catch (err) {
      toast({ tone: 'bad', kind: 'offer', title: errorText(err) });
    }
    await this.load();
  }

  /** Transfers in and out, with price, accrued and fee: the statement's part of the secondary market. */
  private renderTransfers(d: Portfolio) {
    const x = d.transfers;
    if (!x.items.length) return nothing;
    return html`<div class="panel" data-testid="transfers-panel">
      <div class="panel-head"><h2>${t('portfolio.transfers')}</h2>
        <span class="small muted">${t('portfolio.transfersTotals', { bought: money(x.boughtPrincipalMinor), sold: money(x.soldPrincipalMinor), fees: money(x.feesMinor) })}</span></div>
      <div class="table-wrap">
        <table class="data" data-testid="transfers-table">
          <thead><tr><th>${t('portfolio.col.tradedOn')}</th><th>${t('portfolio.col.direction')}</th><th>${t('market.col.listing')}</th><th class="num">${t('portfolio.col.principal')}</th><th class="num">${t('notes.col.price')}</th><th class="num">${t('notes.col.accrued')}</th><th class="num">${t('trade.fee')}</th><th class="num">${t('portfolio.col.cash')}</th></tr></thead>
          <tbody>
            ${x.items.map(
              (i) => html`<tr data-testid="transfer-row" data-direction=${i.direction}>
                <td class="nowrap">${date(i.tradedOn)}</td>
                <td><span class="badge ${i.direction === 'in' ? 'info' : 'muted'}">${t(`portfolio.direction.${i.direction}`)}</span></td>
                <td><a href="#/loan/${i.loanId}">${listingOf(i.listingId)?.title ?? i.loanId}</a></td>
                <td class="num">${money(i.principalMinor)}</td>
                <td class="num">${money(i.priceMinor)}<br /><small class="muted">${priceText(i.priceBps)}</small></td>
                <td class="num">${money(i.accruedMinor)}</td>
                <td class="num">${i.feeMinor ? money(i.feeMinor) : '—'}</td>
                <td class="num"><strong class=${i.amountMinor >= 0 ? 'good' : ''}>${money(i.amountMinor, { sign: true })}</strong></td>
              </tr>`,
            )}
          </tbody>
        </table>
      </div>
    </div>`;
  }
}
customElements.define('lb-portfolio-view', PortfolioView);
