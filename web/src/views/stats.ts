import { html, nothing } from 'lit';
import '../components/chart.js';
import '../components/grade.js';
import type { ChartSeries } from '../components/chart.js';
import { api, IdempotentAction } from '../lib/api.js';
import { date, money, month, monthShort, parseMoney, rate } from '../lib/format.js';
import { t } from '../lib/i18n.js';
import { toast } from '../lib/toasts.js';
import type { MonthStats, Stats } from '../lib/types.js';
import { View, errorBox } from './view.js';

/**
 * The public disclosure (GET /stats): monthly volume lent, outstanding principal, borrowers and lenders,
 * late and default rates by grade — what a lending information intermediary must publish.
 */
export class StatsView extends View {
  static override properties = { ...View.properties, stats: { state: true }, error: { state: true } };
  declare stats: Stats | null;
  declare error: unknown;
  constructor() {
    super();
    this.stats = null;
    this.error = null;
  }
  override connectedCallback(): void {
    super.connectedCallback();
    void this.load();
  }
  protected async load(): Promise<void> {
    try {
      this.stats = await api.stats();
      this.error = null;
    } catch (err) {
      this.error = err;
    }
  }

  protected latest(): MonthStats | undefined {
    const m = this.stats?.months ?? [];
    return m[m.length - 1];
  }

  protected gradeChart(m: MonthStats) {
    const grades = m.byGrade.filter((g) => g.loans > 0);
    const series: ChartSeries[] = [
      { label: t('stats.defaultRate'), kind: 'bar', color: '--lb-bad', values: grades.map((g) => g.defaultRateBps) },
      { label: t('stats.lateRate'), kind: 'bar', color: '--lb-warn', values: grades.map((g) => g.lateRateBps) },
    ];
    return grades.length
      ? html`<lb-chart data-testid="grade-rates-chart" .labels=${grades.map((g) => g.grade)} .series=${series} format="bps" label=${t('stats.byGrade')}></lb-chart>`
      : html`<p class="empty">${t('stats.noLoans')}</p>`;
  }

  protected gradeTable(m: MonthStats) {
    return html`<div class="table-wrap"><table class="data" data-testid="grade-table">
      <thead><tr><th>${t('market.grade')}</th><th class="num">${t('stats.loans')}</th><th class="num">${t('stats.outstanding')}</th><th class="num">${t('stats.lateLoans')}</th><th class="num">${t('stats.lateRate')}</th><th class="num">${t('stats.defaultedLoans')}</th><th class="num">${t('stats.defaultedPrincipal')}</th><th class="num">${t('stats.defaultRate')}</th></tr></thead>
      <tbody>${m.byGrade.map(
        (g) => html`<tr><td><lb-grade grade=${g.grade}></lb-grade></td><td class="num">${g.loans}</td><td class="num">${money(g.outstandingPrincipalMinor, { trimZeroFen: true })}</td><td class="num">${g.lateLoans}</td><td class="num">${rate(g.lateRateBps)}</td><td class="num">${g.defaultedLoans}</td><td class="num">${money(g.defaultedPrincipalMinor, { trimZeroFen: true })}</td><td class="num ${g.defaultRateBps ? 'bad' : ''}">${rate(g.defaultRateBps)}</td></tr>`,
      )}</tbody>
    </table></div>`;
  }

  /**
   * The guideline's figures as of today (docs/servicing.md "Disclosure"), with two small inline SVG
   * charts: outstanding principal by how overdue it is, and how concentrated it is on the largest borrowers.
   */
  protected guideline(s: Stats, m: MonthStats) {
    const out = m.outstandingPrincipalMinor;
    const buckets = [
      { label: t('stats.chart.current'), value: out - m.overduePrincipalMinor, color: 'var(--lb-good, #1a7f37)' },
      { label: t('stats.chart.overdueUpTo90'), value: m.overduePrincipalMinor - m.overdue90PrincipalMinor, color: 'var(--lb-warn, #9a6700)' },
      { label: t('stats.chart.over90'), value: m.overdue90PrincipalMinor, color: 'var(--lb-bad, #b42318)' },
    ];
    const largest = Math.round((out * m.largestShareBps) / 10_000);
    const top10 = Math.round((out * m.top10ShareBps) / 10_000);
    const concentration = [
      { label: t('stats.largest'), value: largest, color: 'var(--lb-bad, #b42318)' },
      { label: t('stats.top10'), value: Math.max(0, top10 - largest), color: 'var(--lb-warn, #9a6700)' },
      { label: t('stats.chart.others'), value: Math.max(0, out - top10), color: 'var(--lb-accent, #0b57d0)' },
    ];
    const fee = s.feeSchedule;
    return html`<div class="panel" data-testid="disclosure-guideline">
      <div class="panel-head"><h2>${t('stats.guideline')}</h2><a class="btn ghost" href="/api/v1/stats.csv" download data-testid="stats-csv">${t('stats.csv')}</a></div>
      <dl class="facts" data-testid="guideline-figures">
        <dt>${t('stats.lentToDate')}</dt><dd>${money(m.lentToDateMinor, { trimZeroFen: true })} · ${t('stats.loansN', { n: m.loansToDate })}</dd>
        <dt>${t('stats.outstanding')}</dt><dd>${money(out, { trimZeroFen: true })} · ${t('stats.loansN', { n: m.outstandingLoans })}</dd>
        <dt>${t('stats.outstandingInterest')}</dt><dd>${money(m.outstandingInterestMinor)}</dd>
        <dt>${t('stats.borrowersLenders')}</dt><dd>${m.borrowers} / ${m.lenders} · ${t('stats.toDate', { b: m.borrowersToDate, l: m.lendersToDate })}</dd>
        <dt>${t('stats.top10')}</dt><dd>${rate(m.top10ShareBps)}</dd>
        <dt>${t('stats.largest')}</dt><dd>${rate(m.largestShareBps)}</dd>
        <dt>${t('stats.related')}</dt><dd>${money(m.relatedPartyOutstandingMinor, { trimZeroFen: true })} · ${t('stats.loansN', { n: m.relatedPartyLoans })}</dd>
        <dt>${t('stats.overdue')}</dt><dd>${money(m.overduePrincipalMinor, { trimZeroFen: true })} · ${t('stats.loansN', { n: m.overdueLoans })}</dd>
        <dt>${t('stats.overdue90')}</dt><dd>${money(m.overdue90PrincipalMinor, { trimZeroFen: true })} · ${t('stats.loansN', { n: m.overdue90Loans })}</dd>
        <dt>${t('stats.overdueLoanRate')}</dt><dd>${rate(m.overdueLoanRateBps)}</dd>
        <dt>${t('stats.overdueAmountRate')}</dt><dd>${rate(m.overdueAmountRateBps)}</dd>
        <dt>${t('stats.guarantorPaid')}</dt><dd data-testid="guarantor-paid-to-date">${money(m.guarantorPaidToDateMinor)} · ${t('stats.loansN', { n: m.guarantorPaymentsToDate })}</dd>
      </dl>
      <div class="grid-2" style="margin-top:0.75rem">
        <div><h3>${t('stats.chart.overdue')}</h3>${shareBar(buckets, 'overdue-chart')}</div>
        <div><h3>${t('stats.chart.concentration')}</h3>${shareBar(concentration, 'concentration-chart')}</div>
      </div>
      <h3 style="margin-top:0.75rem">${t('stats.fees')}</h3>
      <dl class="facts" data-testid="fee-schedule">
        <dt>${t('stats.fee.platform')}</dt><dd>${rate(fee.platformFeeBps)}</dd>
        <dt>${t('stats.fee.prepayment')}</dt><dd>${rate(fee.prepaymentFeeBps)}</dd>
        <dt>${t('stats.fee.transfer')}</dt><dd>${rate(fee.transferFeeBps)}</dd>
        <dt>${t('stats.fee.penalty')}</dt><dd>${rate(fee.penaltyBpsPerDay)}</dd>
      </dl>
    </div>`;
  }

  override render() {
    const s = this.stats;
    if (this.error && !s) return html`<section class="page"><h1>${t('nav.stats')}</h1>${errorBox(this.error)}</section>`;
    if (!s) return html`<p class="muted">${t('common.loading')}</p>`;
    const months = s.months.slice(-24);
    const labels = months.map((m) => monthShort(m.month));
    const last = this.latest();
    const totalLent = s.months.reduce((a, m) => a + m.volumeLentMinor, 0);
    const totalLoans = s.months.reduce((a, m) => a + m.loansDisbursed, 0);
    const volume: ChartSeries[] = [
      { label: t('stats.volume'), kind: 'bar', color: '--lb-accent', values: months.map((m) => m.volumeLentMinor) },
      { label: t('stats.outstanding'), kind: 'line', color: '--lb-good', values: months.map((m) => m.outstandingPrincipalMinor) },
    ];
    const rates: ChartSeries[] = [
      { label: t('stats.lateRate'), kind: 'line', color: '--lb-warn', values: months.map((m) => m.lateRateBps) },
      { label: t('stats.defaultRate'), kind: 'line', color: '--lb-bad', values: months.map((m) => m.defaultRateBps) },
    ];
    const people: ChartSeries[] = [
      { label: t('stats.borrowers'), kind: 'line', color: '--lb-accent', values: months.map((m) => m.borrowers) },
      { label: t('stats.lenders'), kind: 'line', color: '--lb-good', values: months.map((m) => m.lenders) },
    ];
    return html`<section class="page" data-testid="stats">
      <div class="page-head"><div><h1>${t('stats.title')}</h1><p>${t('stats.subtitle', { date: date(s.asOf) })}</p></div></div>
      <div class="kpis">
        <div class="kpi"><small>${t('stats.totalLent')}</small><strong>${money(totalLent, { trimZeroFen: true })}</strong><span class="sub">${t('stats.loansCount', { n: totalLoans })}</span></div>
        <div class="kpi"><small>${t('stats.outstanding')}</small><strong>${money(last?.outstandingPrincipalMinor ?? 0, { trimZeroFen: true })}</strong><span class="sub">${t('stats.loansCount', { n: last?.outstandingLoans ?? 0 })}</span></div>
        <div class="kpi"><small>${t('stats.borrowersLenders')}</small><strong>${last?.borrowers ?? 0} / ${last?.lenders ?? 0}</strong><span class="sub">${t('stats.toDate', { b: last?.borrowersToDate ?? 0, l: last?.lendersToDate ?? 0 })}</span></div>
        <div class="kpi"><small>${t('stats.lateRate')}</small><strong class="warn">${rate(last?.lateRateBps ?? 0)}</strong></div>
        <div class="kpi"><small>${t('stats.defaultRate')}</small><strong class="bad">${rate(last?.defaultRateBps ?? 0)}</strong></div>
      </div>
      ${months.length === 0
        ? html`<p class="panel empty">${t('stats.noLoans')}</p>`
        : html`<div class="grid-2">
              <div class="panel"><h2>${t('stats.volumeTitle')}</h2><lb-chart data-testid="volume-chart" .labels=${labels} .series=${volume} format="money" label=${t('stats.volumeTitle')}></lb-chart></div>
              <div class="panel"><h2>${t('stats.ratesTitle')}</h2><lb-chart .labels=${labels} .series=${rates} format="bps" label=${t('stats.ratesTitle')}></lb-chart></div>
              <div class="panel"><h2>${t('stats.byGrade')}</h2>${last ? this.gradeChart(last) : nothing}</div>
              <div class="panel"><h2>${t('stats.peopleTitle')}</h2><lb-chart .labels=${labels} .series=${people} format="count" label=${t('stats.peopleTitle')}></lb-chart></div>
            </div>
            ${last ? this.guideline(s, last) : nothing}
            ${last ? html`<div class="panel"><h2>${t('stats.gradeTableTitle', { month: month(last.month) })}</h2>${this.gradeTable(last)}</div>` : nothing}
            <div class="panel"><h2>${t('stats.monthsTitle')}</h2><div class="table-wrap"><table class="data">
              <thead><tr><th>${t('stats.month')}</th><th class="num">${t('stats.volume')}</th><th class="num">${t('stats.loans')}</th><th class="num">${t('stats.outstanding')}</th><th class="num">${t('stats.borrowers')}</th><th class="num">${t('stats.lenders')}</th><th class="num">${t('stats.lateRate')}</th><th class="num">${t('stats.defaultRate')}</th></tr></thead>
              <tbody>${[...months].reverse().map((m) => html`<tr><td>${month(m.month)}</td><td class="num">${money(m.volumeLentMinor, { trimZeroFen: true })}</td><td class="num">${m.loansDisbursed}</td><td class="num">${money(m.outstandingPrincipalMinor, { trimZeroFen: true })}</td><td class="num">${m.borrowers}</td><td class="num">${m.lenders}</td><td class="num">${rate(m.lateRateBps)}</td><td class="num">${rate(m.defaultRateBps)}</td></tr>`)}</tbody>
            </table></div></div>`}
      <p class="muted small">${t('stats.definitions')}</p>
    </section>`;
  }
}
customElements.define('lb-stats-view', StatsView);

/** One horizontal bar split into parts (inline SVG, no chart library), with a legend in words and yuan. */
function shareBar(parts: { label: string; value: number; color: string }[], testid: string) {
  const total = parts.reduce((a, p) => a + Math.max(0, p.value), 0);
  let x = 0;
  const summary = parts.map((p) => `${p.label} ${money(p.value, { trimZeroFen: true })}`).join(', ');
  return html`<figure style="margin:0" data-testid=${testid}>
    <svg viewBox="0 0 100 8" preserveAspectRatio="none" width="100%" height="24" role="img" aria-label=${summary}>
      ${total === 0
        ? html`<rect x="0" y="0" width="100" height="8" fill="#d0d7de"></rect>`
        : parts.map((p) => {
            const w = (Math.max(0, p.value) * 100) / total;
            const rect = html`<rect x=${x} y="0" width=${w} height="8" fill=${p.color}></rect>`;
            x += w;
            return rect;
          })}
    </svg>
    <figcaption class="small">${parts.map((p) => html`<span class="row" style="display:inline-flex;gap:0.3rem;margin-right:0.8rem"><span aria-hidden="true" style="display:inline-block;width:0.8em;height:0.8em;background:${p.color}"></span>${p.label}: ${money(p.value, { trimZeroFen: true })}${total ? ` (${Math.round((p.value * 100) / total)}%)` : ''}</span>`)}</figcaption>
  </figure>`;
}

/** Operators: loans in default and late, by grade (from the disclosure), and recoveries. */
export class DefaultsView extends StatsView {
  static override properties = { ...StatsView.properties, recError: { state: true }, busy: { state: true } };
  declare recError: unknown;
  declare busy: boolean;
  private readonly action = new IdempotentAction<{ loanId: string; amountMinor: number; reference: string }>();
  constructor() {
    super();
    this.recError = null;
    this.busy = false;
  }

  private async recover(e: Event): Promise<void> {
    e.preventDefault();
    const form = e.target as HTMLFormElement;
    const data = new FormData(form);
    const loanId = String(data.get('loanId') ?? '').trim();
    const amountMinor = parseMoney(String(data.get('amount') ?? ''));
    const reference = String(data.get('reference') ?? '').trim();
    if (!loanId || amountMinor === null || !reference) {
      this.recError = { code: 'VALIDATION_FAILED', detail: '' };
      return;
    }
    this.busy = true;
    this.recError = null;
    try {
      const body = { loanId, amountMinor, reference };
      const r = await api.recovery(loanId, { amountMinor, reference }, this.action.keyFor(body));
      this.action.done();
      toast({ tone: 'good', kind: 'recovery', title: t('defaults.recorded', { amount: money(r.amountMinor) }) });
      form.reset();
      void this.load();
    } catch (err) {
      this.recError = err;
    } finally {
      this.busy = false;
    }
  }

  override render() {
    const s = this.stats;
    if (this.error && !s) return html`<section class="page"><h1>${t('nav.defaults')}</h1>${errorBox(this.error)}</section>`;
    if (!s) return html`<p class="muted">${t('common.loading')}</p>`;
    const last = this.latest();
    const defaulted = last?.byGrade.reduce((a, g) => a + g.defaultedLoans, 0) ?? 0;
    const defaultedMinor = last?.byGrade.reduce((a, g) => a + g.defaultedPrincipalMinor, 0) ?? 0;
    const late = last?.byGrade.reduce((a, g) => a + g.lateLoans, 0) ?? 0;
    const lateMinor = last?.byGrade.reduce((a, g) => a + g.latePrincipalMinor, 0) ?? 0;
    return html`<section class="page">
      <div class="page-head"><div><h1>${t('nav.defaults')}</h1><p>${t('defaults.subtitle', { date: date(s.asOf) })}</p></div></div>
      <div class="kpis">
        <div class="kpi"><small>${t('stats.defaultedLoans')}</small><strong class="bad">${defaulted}</strong><span class="sub">${money(defaultedMinor)}</span></div>
        <div class="kpi"><small>${t('stats.lateLoans')}</small><strong class="warn">${late}</strong><span class="sub">${money(lateMinor)}</span></div>
        <div class="kpi"><small>${t('stats.defaultRate')}</small><strong>${rate(last?.defaultRateBps ?? 0)}</strong></div>
        <div class="kpi"><small>${t('stats.lateRate')}</small><strong>${rate(last?.lateRateBps ?? 0)}</strong></div>
      </div>
      <div class="grid-2">
        <div class="panel"><h2>${t('stats.byGrade')}</h2>${last ? this.gradeChart(last) : html`<p class="empty">${t('stats.noLoans')}</p>`}</div>
        <form class="panel form" @submit=${(e: Event) => void this.recover(e)} data-testid="recovery-form">
          <h2>${t('defaults.recovery')}</h2>
          <p class="muted small">${t('defaults.recoveryHint')}</p>
          <label>${t('defaults.loanId')}<input name="loanId" required pattern="loan_[0-9a-z]+" autocomplete="off" class="mono" /></label>
          <div class="form-row">
            <label>${t('wallet.amount')}<span class="input-affix"><span>¥</span><input name="amount" inputmode="decimal" required /></span></label>
            <label>${t('defaults.reference')}<input name="reference" required maxlength="200" /></label>
          </div>
          ${this.recError ? errorBox(this.recError) : nothing}
          <button class="primary" type="submit" ?disabled=${this.busy}>${t('defaults.record')}</button>
        </form>
      </div>
      ${last ? html`<div class="panel"><h2>${t('stats.gradeTableTitle', { month: month(last.month) })}</h2>${this.gradeTable(last)}</div>` : nothing}
    </section>`;
  }
}
customElements.define('lb-admin-defaults-view', DefaultsView);
