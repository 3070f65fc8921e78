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
