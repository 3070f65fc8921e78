import { html, nothing } from 'lit';
import '../components/grade.js';
import { API_BASE, api, ApiError, IdempotentAction } from '../lib/api.js';
import { date, minorToInput, money, parseMoney, rate, term } from '../lib/format.js';
import { t } from '../lib/i18n.js';
import { live, session } from '../lib/session.js';
import { toast } from '../lib/toasts.js';
import type { LoanDetail, LoanItem, LoanOwed, NoteRepayment, RepaymentPreview, Standing } from '../lib/types.js';
import { View, errorBox } from './view.js';

/** A loan's standing as the server computed it as of today: current, n days late, defaulted, repaid. */
export function standingBadge(standing: Standing, daysPastDue: number) {
  const tone = standing === 'defaulted' ? 'bad' : standing === 'repaid' ? 'muted' : standing === 'late' ? 'warn' : 'good';
  return html`<span class="badge ${tone}" data-testid="loan-status" data-standing=${standing}>${standing === 'late' ? t('loan.late', { n: daysPastDue }) : t(`standing.${standing}`)}</span>`;
}

/** The borrower's loans. */
export class MyLoansView extends View {
  static override properties = { ...View.properties, items: { state: true }, error: { state: true } };
  declare items: LoanItem[] | null;
  declare error: unknown;
  constructor() {
    super();
    this.items = null;
    this.error = null;
  }
  override connectedCallback(): void {
    super.connectedCallback();
    void this.load();
    this.own(live.me((_s, c) => c.type === 'event' && (c.event.startsWith('loan.') || c.event === 'installment.due') && void this.load()));
  }
  private async load(): Promise<void> {
    try {
      this.items = (await api.myLoans()).items;
    } catch (err) {
      this.error = err;
    }
  }
  override render() {
    const items = this.items ?? [];
    const outstanding = items.reduce((s, l) => s + l.outstandingMinor, 0);
    const next = items.filter((l) => l.standing !== 'repaid' && l.nextDue).sort((a, b) => (a.nextDue ?? '').localeCompare(b.nextDue ?? ''))[0];
    return html`<section class="page">
      <div class="page-head"><div><h1>${t('nav.loans')}</h1><p>${t('loans.subtitle')}</p></div><a class="btn" href="${API_BASE}/me/loans.csv" download="lendbook-loans.csv">${t('loans.csv')}</a></div>
      <div class="kpis">
        <div class="kpi"><small>${t('loans.outstanding')}</small><strong>${money(outstanding)}</strong></div>
        <div class="kpi"><small>${t('loans.nextDue')}</small><strong>${next?.nextDue ? date(next.nextDue) : '—'}</strong>${next ? html`<span class="sub">${money(next.nextDueAmountMinor)}</span>` : nothing}</div>
        <div class="kpi"><small>${t('loans.active')}</small><strong>${items.filter((l) => l.status === 'active').length}</strong></div>
      </div>
      ${this.error ? errorBox(this.error) : nothing}
      <div class="panel" style="padding-top:0.4rem"><div class="table-wrap"><table class="data" data-testid="my-loans">
        <thead><tr><th>${t('loans.loan')}</th><th>${t('bids.col.status')}</th><th class="num">${t('loans.principal')}</th><th class="num">${t('loans.outstanding')}</th><th class="num">${t('portfolio.col.rate')}</th><th class="num">${t('listing.term')}</th><th>${t('loans.nextDue')}</th></tr></thead>
        <tbody>${items.map(
          (l) => html`<tr data-testid="loan-row" data-loan-id=${l.id}><td><a href="#/loan/${l.id}">${l.title}</a></td><td>${standingBadge(l.standing, l.daysPastDue)}</td><td class="num">${money(l.principalMinor)}</td><td class="num">${money(l.outstandingMinor)}</td><td class="num">${rate(l.rateBps)}</td><td class="num">${term(l)}</td><td>${l.nextDue ? html`${date(l.nextDue)} <span class="muted small">${money(l.nextDueAmountMinor)}</span>` : '—'}</td></tr>`,
        )}</tbody></table></div>
        ${this.items && items.length === 0 ? html`<p class="empty">${t('loans.none')}</p>` : nothing}
      </div>
    </section>`;
  }
}
customElements.define('lb-my-loans-view', MyLoansView);

/** One loan: what is due now and the payoff, its schedule, repay (borrower) or your notes (lender). */
export class LoanView extends View {
  static override properties = { ...View.properties, loan: { state: true }, owed: { state: true }, error: { state: true }, repayError: { state: true }, busy: { state: true }, amountText: { state: true }, preview: { state: true }, histories: { state: true } };
  /** What the amount typed would pay (the server splits it exactly as the payment would). */
  declare preview: RepaymentPreview | null;
  /** Repayment histories of the lender's notes, once opened. */
  declare histories: Record<string, NoteRepayment[]>;
  private previewTimer: ReturnType<typeof setTimeout> | undefined;
  declare loan: LoanDetail | null;
  declare owed: LoanOwed | null;
  declare error: unknown;
  declare repayError: unknown;
  declare busy: boolean;
  declare amountText: string;
  private readonly action = new IdempotentAction<{ loanId: string; amountMinor: number }>();
  private loadedId = '';

  constructor() {
    super();
    this.loan = null;
    this.owed = null;
    this.error = null;
    this.repayError = null;
    this.busy = false;
    this.amountText = '';
    this.preview = null;
    this.histories = {};
  }

  /** Warnings that block the submit: the same checks the server makes, said before it is asked. */
  private repayProblem(): string | null {
    const amountMinor = parseMoney(this.amountText);
    if (this.amountText.trim() === '') return null;
    if (amountMinor === null || amountMinor <= 0) return t('err.AMOUNT_INVALID');
    if (this.owed && amountMinor > this.owed.payoffMinor) return t('err.REPAYMENT_EXCEEDS_OWED.f', { payoffMinor: money(this.owed.payoffMinor) });
    const w = this.sessionState.value.wallet;
    if (w && amountMinor > w.availableMinor) return t('err.INSUFFICIENT_FUNDS.f', { neededMinor: money(amountMinor), availableMinor: money(w.availableMinor) });
    return null;
  }

  private typed(text: string): void {
    this.amountText = text;
    if (this.previewTimer) clearTimeout(this.previewTimer);
    const amountMinor = parseMoney(text);
    if (!this.loan || amountMinor === null || amountMinor <= 0 || this.repayProblem()) {
      this.preview = null;
      return;
    }
    const id = this.loan.id;
    this.previewTimer = setTimeout(() => {
      api.repaymentPreview(id, amountMinor).then(
        (p) => (this.preview = parseMoney(this.amountText) === amountMinor ? p : this.preview),
        () => (this.preview = null),
      );
    }, 250);
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
    this.own(live.me((_s, c) => c.type === 'event' && (c.event.startsWith('loan.') || c.event === 'payment.received' || c.event === 'installment.due') && void this.load()));
  }

  override willUpdate(changed: Map<string, unknown>): void {
    if (changed.has('params') && this.params.id && this.params.id !== this.loadedId) {
      this.loadedId = this.params.id;
      void this.load();
    }
  }

  private async load(): Promise<void> {
    const id = this.loadedId;
    try {
      const [loan, owed] = await Promise.all([api.loan(id), api.owed(id).catch((err: unknown) => (err instanceof ApiError && err.status === 404 ? null : Promise.reject(err)))]);
      this.loan = loan;
      this.owed = owed;
      this.error = null;
      if (!this.amountText && owed && owed.due.totalMinor > 0) this.typed(minorToInput(owed.due.totalMinor));
    } catch (err) {
      this.error = err;
    }
  }

  private async repay(e: Event): Promise<void> {
    e.preventDefault();
    if (this.busy || this.repayProblem() !== null) return; // the button is aria-disabled: reachable, inert
    const amountMinor = parseMoney(this.amountText);
    if (amountMinor === null || amountMinor <= 0 || !this.loan) {
      this.repayError = { code: 'AMOUNT_INVALID', detail: '' };
      return;
    }
    if (this.repayProblem()) return;
    this.busy = true;
    this.repayError = null;
    try {
      const body = { loanId: this.loan.id, amountMinor };
      const result = await api.repay(this.loan.id, amountMinor, this.action.keyFor(body));
      this.action.done();
      toast({ tone: 'good', kind: 'repaid', title: t('loan.repayDone', { amount: money(result.amountMinor) }), body: t('loan.repayBreakdown', { principal: money(result.principalMinor), interest: money(result.interestMinor + result.penaltyMinor) }) }, 6000);
      this.amountText = '';
      this.preview = null;
      void this.load();
      void api.wallet().then((wallet) => session.update({ wallet }), () => undefined);
    } catch (err) {
      this.repayError = err;
    } finally {
      this.busy = false;
    }
  }

  override render() {
    const l = this.loan;
    if (this.error && !l) return html`<section class="page">${errorBox(this.error)}</section>`;
    if (!l) return html`<p class="muted">${t('common.loading')}</p>`;
    const o = this.owed;
    const problem = this.repayProblem();
    const p = this.preview;
    const isBorrower = this.user?.role === 'borrower';
    const paid = l.schedule.reduce((s, r) => s + r.paidMinor, 0);
    return html`<section class="page" data-testid="loan-view" data-loan-id=${l.id}>
      <div class="page-head">
        <div><a class="small" href=${isBorrower ? '#/borrower/loans' : '#/portfolio'}>← ${isBorrower ? t('nav.loans') : t('nav.portfolio')}</a>
          <h1 style="margin-top:0.3rem" data-testid="loan-title">${l.title}</h1>
          <div class="row small muted" style="margin-top:0.3rem"><lb-grade grade=${l.grade}></lb-grade><span>${t(`product.${l.product}`)}</span><span>·</span><span>${t(`repayment.${l.repayment}`)}</span><span>·</span><span>${t('loan.disbursed', { date: date(l.disbursedOn) })}</span><span>·</span><a href="#/listing/${l.listingId}">${t('loan.listing')}</a></div>
        </div>
        ${standingBadge(l.standing, l.daysPastDue)}
      </div>
      <div class="kpis">
        <div class="kpi"><small>${t('loans.principal')}</small><strong>${money(l.principalMinor)}</strong><span class="sub">${t('loan.lenders', { n: l.noteCount })}</span></div>
        <div class="kpi"><small>${t('loans.outstanding')}</small><strong data-testid="loan-outstanding">${money(l.outstandingMinor)}</strong></div>
        <div class="kpi"><small>${t('portfolio.col.rate')}</small><strong>${rate(l.rateBps)}</strong><span class="sub">${t(`pricing.${l.pricing}`)}</span></div>
        <div class="kpi"><small>${t('loans.nextDue')}</small><strong data-testid="loan-next-due">${l.nextDue ? date(l.nextDue.dueDate) : '—'}</strong>${l.nextDue ? html`<span class="sub">${t('loan.nextDueAmount', { amount: money(l.nextDue.amountMinor), n: l.nextDue.n })}</span>` : nothing}${l.standing === 'late' ? html`<span class="sub bad">${t('loan.dpd', { n: l.daysPastDue })}</span>` : nothing}</div>
        <div class="kpi"><small>${t('loan.paidSoFar')}</small><strong>${money(paid)}</strong></div>
      </div>
      ${l.status === 'defaulted' ? html`<p class="error">${t('loan.defaultedNote', { date: date(l.defaultedOn) })}</p>` : nothing}
      <div class="split">
        <div class="panel" style="padding-top:0.4rem">
          <div class="panel-head" style="margin:0.4rem 0"><h2>${t('loan.schedule')}</h2></div>
          <div class="table-wrap"><table class="data" data-testid="loan-schedule">
            <thead><tr><th>#</th><th>${t('schedule.due')}</th><th class="num">${t('schedule.principal')}</th><th class="num">${t('schedule.interest')}</th><th class="num">${t('loan.fees')}</th><th class="num">${t('loan.paid')}</th><th class="num">${t('loan.left')}</th><th>${t('bids.col.status')}</th></tr></thead>
            <tbody>${l.schedule.map(
              (r) => html`<tr data-testid="installment-row" data-status=${r.status}><td>${r.n}</td><td class="date">${date(r.dueDate)}</td><td class="num">${money(r.principalMinor)}</td><td class="num">${money(r.interestMinor)}</td><td class="num">${r.feeMinor ? money(r.feeMinor) : '—'}</td><td class="num">${money(r.paidMinor)}</td><td class="num" data-testid="installment-left">${r.leftMinor ? money(r.leftMinor) : '—'}</td>
                <td><span class="badge ${r.status === 'paid' ? 'muted' : r.status === 'overdue' ? 'bad' : r.status === 'due' ? 'warn' : 'info'}">${t(`installment.${r.status}`)}</span></td></tr>`,
            )}</tbody>
          </table></div>
        </div>
        <div class="stack sticky ticket-col">
          ${o && l.status !== 'repaid'
            ? html`<div class="panel" data-testid="owed">
                <h2>${t('loan.owedTitle', { date: date(o.date) })}</h2>
                <dl class="facts">
                  <dt>${t('loan.dueNow')}</dt><dd><strong data-testid="owed-due">${money(o.due.totalMinor)}</strong></dd>
                  ${o.due.penaltyMinor ? html`<dt>${t('loan.penalty')}</dt><dd class="bad">${money(o.due.penaltyMinor)}</dd>` : nothing}
                  <dt>${t('loan.accrued')}</dt><dd>${money(o.accruedInterestMinor)}</dd>
                  <dt>${t('loan.notDue')}</dt><dd>${money(o.principalNotDueMinor)}</dd>
                  ${o.prepaymentFeeMinor ? html`<dt>${t('loan.prepaymentFee', { rate: rate(o.prepaymentFeeBps) })}</dt><dd data-testid="owed-fee">${money(o.prepaymentFeeMinor)}</dd>` : nothing}
                  <dt>${t('loan.payoff')}</dt><dd><strong data-testid="owed-payoff">${money(o.payoffMinor)}</strong></dd>
                </dl>
              </div>`
            : nothing}
          ${isBorrower && l.status !== 'repaid'
            ? html`<form class="panel form" @submit=${(e: Event) => void this.repay(e)} data-testid="repay-form">
                <h2>${t('loan.repay')}</h2>
                <label>${t('wallet.amount')}<span class="input-affix"><span>¥</span><input inputmode="decimal" autocomplete="off" .value=${this.amountText} @input=${(e: Event) => this.typed((e.target as HTMLInputElement).value)} data-testid="repay-amount" /></span></label>
                ${o
                  ? html`<div class="quick">
                      ${o.due.totalMinor > 0 ? html`<button type="button" class="chip" @click=${() => this.typed(minorToInput(o.due.totalMinor))}>${t('loan.payDue', { amount: money(o.due.totalMinor) })}</button>` : nothing}
                      <button type="button" class="chip" data-testid="repay-payoff" @click=${() => this.typed(minorToInput(o.payoffMinor))}>${t('loan.payOff', { amount: money(o.payoffMinor) })}</button>
                    </div>`
                  : nothing}
                ${this.sessionState.value.wallet ? html`<p class="hint">${t('ticket.available', { amount: money(this.sessionState.value.wallet.availableMinor) })}</p>` : nothing}
                ${problem ? html`<p class="error" role="alert" id="repay-warning" data-testid="repay-warning">${problem}</p>` : nothing}
                ${p && !problem
                  ? html`<dl class="facts small" data-testid="repay-preview">
                      <dt>${t('schedule.principal')}</dt><dd>${money(p.principalMinor)}</dd>
                      <dt>${t('schedule.interest')}</dt><dd>${money(p.interestMinor)}</dd>
                      ${p.penaltyMinor ? html`<dt>${t('loan.fees')}</dt><dd>${money(p.penaltyMinor)}</dd>` : nothing}
                      ${p.prepaidPrincipalMinor ? html`<dt>${t('loan.prepaid')}</dt><dd>${money(p.prepaidPrincipalMinor)}</dd>` : nothing}
                      ${p.prepaymentFeeMinor ? html`<dt>${t('loan.prepaymentFee', { rate: rate(p.prepaymentFeeBps) })}</dt><dd data-testid="repay-preview-fee">${money(p.prepaymentFeeMinor)}</dd>` : nothing}
                    </dl>`
                  : nothing}
                ${this.repayError ? errorBox(this.repayError, 'repay-error') : nothing}
                <button class="primary" type="submit" aria-disabled=${this.busy || problem !== null ? 'true' : 'false'} aria-describedby=${problem ? 'repay-warning' : nothing} data-testid="repay-submit">${this.busy ? t('common.sending') : t('loan.repaySubmit')}</button>
                <p class="hint">${t('loan.repayHint')}</p>
              </form>`
            : nothing}
          ${l.myNotes.length
            ? html`<div class="panel" data-testid="my-notes"><h2>${t('loan.myNotes')}</h2>${l.myNotes.map(
                (n) => html`<div class="note-block"><dl class="facts"><dt>${money(n.principalMinor)} @ ${rate(n.rateBps)}</dt><dd>${t('loan.noteState', { outstanding: money(n.outstandingMinor), interest: money(n.receivedInterestMinor + n.receivedPenaltyMinor + n.receivedPrepaymentFeeMinor) })}</dd></dl>
                  <button class="link-btn small" data-testid="note-history-toggle" @click=${() => void this.toggleHistory(n.id)}>${this.histories[n.id] ? t('note.hideHistory') : t('note.history')}</button>
                  ${this.histories[n.id] ? noteHistory(this.histories[n.id]!) : nothing}</div>`,
              )}</div>`
            : nothing}
        </div>
      </div>
    </section>`;
  }
}
customElements.define('lb-loan-view', LoanView);

/** A note's repayments, newest first: each with its parts (the same table in the portfolio). */
export function noteHistory(items: readonly NoteRepayment[]) {
  if (items.length === 0) return html`<p class="muted small">${t('note.noPayments')}</p>`;
  return html`<div class="table-wrap"><table class="data small" data-testid="note-history">
    <thead><tr><th>${t('note.paidOn')}</th><th class="num">${t('schedule.principal')}</th><th class="num">${t('schedule.interest')}</th><th class="num">${t('loan.fees')}</th><th class="num">${t('fee.prepayment')}</th><th class="num">${t('schedule.total')}</th></tr></thead>
    <tbody>${items.map((r) => html`<tr data-testid="note-history-row"><td>${date(r.paidOn)}${r.source === 'recovery' ? html` <span class="badge muted">${t('note.recovery')}</span>` : nothing}</td><td class="num">${money(r.principalMinor)}</td><td class="num">${money(r.interestMinor)}</td><td class="num">${r.penaltyMinor ? money(r.penaltyMinor) : '—'}</td><td class="num">${r.prepaymentFeeMinor ? money(r.prepaymentFeeMinor) : '—'}</td><td class="num">${money(r.totalMinor)}</td></tr>`)}</tbody>
  </table></div>`;
}
