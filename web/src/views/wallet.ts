import { html, nothing } from 'lit';
import { api, IdempotentAction } from '../lib/api.js';
import { dateTime, minorToInput, money, month, parseMoney, serverNow } from '../lib/format.js';
import { has, t } from '../lib/i18n.js';
import { live, session } from '../lib/session.js';
import { toast } from '../lib/toasts.js';
import type { StatementLine, WalletStatement } from '../lib/types.js';
import { View, errorBox } from './view.js';

/** The custodian sub-account: balances (live), deposit, withdraw, and its ledger lines. */
export class WalletView extends View {
  static override properties = {
    ...View.properties,
    statement: { state: true },
    month: { state: true },
    openLine: { state: true },
    error: { state: true },
    depositError: { state: true },
    withdrawError: { state: true },
    busy: { state: true },
    depositText: { state: true },
    withdrawText: { state: true },
  };
  declare statement: WalletStatement | null;
  /** The month shown: YYYY-MM (this month by default). */
  declare month: string;
  /** The line whose detail is open. */
  declare openLine: string | null;
  declare error: unknown;
  declare depositError: unknown;
  declare withdrawError: unknown;
  declare busy: '' | 'deposit' | 'withdraw';
  declare depositText: string;
  declare withdrawText: string;
  private readonly depositAction = new IdempotentAction<number>();
  private readonly withdrawAction = new IdempotentAction<number>();

  constructor() {
    super();
    this.statement = null;
    this.month = new Date(serverNow()).toISOString().slice(0, 7);
    this.openLine = null;
    this.error = null;
    this.depositError = null;
    this.withdrawError = null;
    this.busy = '';
    this.depositText = '';
    this.withdrawText = '';
  }

  override connectedCallback(): void {
    super.connectedCallback();
    void this.load();
    void api.wallet().then((wallet) => session.update({ wallet }), () => undefined);
    this.own(
      live.me((_s, change) => {
        if (change.type === 'event' && change.event === 'wallet.changed') void this.load();
      }),
    );
  }

  private period(): { from: string; to: string } {
    const [y, m] = this.month.split('-').map(Number) as [number, number];
    const next = m === 12 ? `${y + 1}-01` : `${y}-${String(m + 1).padStart(2, '0')}`;
    return { from: `${this.month}-01`, to: `${next}-01` };
  }

  /** Which load is the latest: a slow answer for a month the user has already left is dropped. */
  private loadSeq = 0;

  private async load(): Promise<void> {
    const seq = ++this.loadSeq;
    try {
      // The current month runs to now (its closing balances are the wallet); earlier months to their end.
      const { from, to } = this.period();
      const current = this.month === new Date(serverNow()).toISOString().slice(0, 7);
      const statement = await api.statement(current ? { from } : { from, to });
      if (seq !== this.loadSeq) return;
      this.statement = statement;
      this.error = null;
    } catch (err) {
      if (seq === this.loadSeq) this.error = err;
    }
  }

  private shiftMonth(delta: number): void {
    const [y, m] = this.month.split('-').map(Number) as [number, number];
    const d = new Date(Date.UTC(y, m - 1 + delta, 1));
    this.month = d.toISOString().slice(0, 7);
    // Never show one month's lines under another month's name while the new one loads.
    this.statement = null;
    void this.load();
  }

  private async move(kind: 'deposit' | 'withdraw', e: Event): Promise<void> {
    e.preventDefault();
    const text = kind === 'deposit' ? this.depositText : this.withdrawText;
    const amountMinor = parseMoney(text);
    const setError = (err: unknown) => (kind === 'deposit' ? (this.depositError = err) : (this.withdrawError = err));
    if (amountMinor === null || amountMinor <= 0) {
      setError({ code: 'AMOUNT_INVALID', detail: '' });
      return;
    }
    // The buttons stay reachable while they cannot act (aria-disabled); pressing one then does nothing.
    if (this.busy !== '' || (e.currentTarget as HTMLElement | null)?.querySelector('[type="submit"][aria-disabled="true"]')) return;
    const action = kind === 'deposit' ? this.depositAction : this.withdrawAction;
    this.busy = kind;
    setError(null);
    try {
      const key = action.keyFor(amountMinor);
      const result = kind === 'deposit' ? await api.deposit(amountMinor, key) : await api.withdraw(amountMinor, key);
      action.done();
      session.update({ wallet: result.wallet });
      toast({ tone: 'good', kind, title: t(`wallet.${kind}Done`, { amount: money(amountMinor) }), body: result.status === 'pending' ? t('wallet.pending') : '' }, 5000);
      if (kind === 'deposit') this.depositText = '';
      else this.withdrawText = '';
      void this.load();
    } catch (err) {
      setError(err);
    } finally {
      this.busy = '';
    }
  }

  private describe(line: StatementLine): string {
    const key = `stmt.${line.kind}`;
    const what = has(key) ? t(key, { n: line.parts }) : line.kind.replace(/_/g, ' ');
    const reason = line.kind === 'bid_released' && line.refs.reason ? ` (${t(`stmt.reason.${line.refs.reason}`)})` : '';
    return `${what}${reason}`;
  }

  private effect(minor: number) {
    return minor === 0 ? html`<span class="muted">—</span>` : html`<span class=${minor > 0 ? 'good' : ''}>${money(minor, { sign: true })}</span>`;
  }

  private renderStatement() {
    const s = this.statement;
    const { from } = this.period();
    return html`<div class="panel" style="padding-top:0.4rem" data-testid="statement">
      <div class="panel-head row" style="margin:0.4rem 0;flex-wrap:wrap;gap:0.5rem">
        <h2>${t('stmt.title')}</h2>
        <span class="spacer"></span>
        <button class="ghost" @click=${() => this.shiftMonth(-1)} aria-label=${t('stmt.prev')}>‹</button>
        <strong data-testid="statement-month">${month(this.month)}</strong>
        <button class="ghost" @click=${() => this.shiftMonth(1)} aria-label=${t('stmt.next')}>›</button>
        <a class="btn ghost" href=${`/api/v1/wallet/statement.csv?from=${from}${this.month === new Date(serverNow()).toISOString().slice(0, 7) ? '' : `&to=${this.period().to}`}`} download data-testid="statement-csv">${t('stmt.csv')}</a>
        <a class="btn ghost" href=${`#/wallet/annual?year=${this.month.slice(0, 4)}`} data-testid="statement-annual">${t('stmt.annual', { year: this.month.slice(0, 4) })}</a>
      </div>
      <p class="hint">${t('stmt.hint')}</p>
      ${this.error ? errorBox(this.error) : nothing}
      ${s ? statementTable(s, this.openLine, (id) => (this.openLine = this.openLine === id ? null : id), (l) => this.describe(l), (m) => this.effect(m)) : nothing}
    </div>`;
  }

  override render() {
    const w = this.sessionState.value.wallet;
    const user = this.user;
    const needsKyc = user?.role === 'lender' && user.kyc.status !== 'verified';
    // What the server would refuse, said before it is asked, and the button stays off meanwhile.
    const withdrawMinor = parseMoney(this.withdrawText);
    const withdrawProblem =
      this.withdrawText.trim() === '' ? null : withdrawMinor === null || withdrawMinor <= 0 ? t('err.AMOUNT_INVALID') : w && withdrawMinor > w.availableMinor ? t('err.INSUFFICIENT_FUNDS.f', { neededMinor: money(withdrawMinor), availableMinor: money(w.availableMinor) }) : null;
    const depositMinor = parseMoney(this.depositText);
    const depositProblem = this.depositText.trim() === '' ? null : depositMinor === null || depositMinor <= 0 ? t('err.AMOUNT_INVALID') : depositMinor > 1_000_000_000 ? t('err.AMOUNT_INVALID.f', { maxMinor: money(1_000_000_000, { trimZeroFen: true }) }) : null;
    return html`<section class="page">
      <div class="page-head"><div><h1>${t('nav.wallet')}</h1><p>${t('wallet.subtitle')}</p></div></div>
      <div class="kpis">
        <div class="kpi big"><small>${t('wallet.available')}</small><strong data-testid="wallet-available">${w ? money(w.availableMinor) : '—'}</strong></div>
        <div class="kpi big"><small>${t('wallet.held')}</small><strong data-testid="wallet-held">${w ? money(w.heldMinor) : '—'}</strong><span class="sub">${t('wallet.heldHint')}</span></div>
        <div class="kpi big"><small>${t('wallet.total')}</small><strong>${w ? money(w.availableMinor + w.heldMinor) : '—'}</strong></div>
      </div>
      ${needsKyc ? html`<p class="notice">${t('wallet.kycFirst')} <a href="#/account">${t('ticket.doKyc')}</a></p>` : nothing}
      <div class="grid-2">
        <form class="panel form" @submit=${(e: Event) => void this.move('deposit', e)} data-testid="deposit-form">
          <h2>${t('wallet.deposit')}</h2>
          <label>${t('wallet.amount')}<span class="input-affix"><span>¥</span><input inputmode="decimal" autocomplete="off" .value=${this.depositText} @input=${(e: Event) => (this.depositText = (e.target as HTMLInputElement).value)} data-testid="deposit-amount" required /></span></label>
          <div class="quick">${[100_000, 1_000_000, 5_000_000].map((a) => html`<button type="button" class="chip" @click=${() => (this.depositText = minorToInput(a))}>${money(a, { trimZeroFen: true })}</button>`)}</div>
          ${depositProblem ? html`<p class="error" role="alert" id="deposit-warning" data-testid="deposit-warning">${depositProblem}</p>` : nothing}
          ${this.depositError ? errorBox(this.depositError, 'deposit-error') : nothing}
          <button class="primary" type="submit" aria-disabled=${this.busy !== '' || needsKyc || depositProblem !== null ? 'true' : 'false'} aria-describedby=${depositProblem ? 'deposit-warning' : nothing} data-testid="deposit-submit">${this.busy === 'deposit' ? t('common.sending') : t('wallet.depositSubmit')}</button>
          <p class="hint">${t('wallet.depositHint')}</p>
        </form>
        <form class="panel form" @submit=${(e: Event) => void this.move('withdraw', e)} data-testid="withdraw-form">
          <h2>${t('wallet.withdraw')}</h2>
          <label>${t('wallet.amount')}<span class="input-affix"><span>¥</span><input inputmode="decimal" autocomplete="off" .value=${this.withdrawText} @input=${(e: Event) => (this.withdrawText = (e.target as HTMLInputElement).value)} data-testid="withdraw-amount" required /></span></label>
          ${w ? html`<div class="quick"><button type="button" class="chip" @click=${() => (this.withdrawText = minorToInput(w.availableMinor))}>${t('wallet.all', { amount: money(w.availableMinor) })}</button></div>` : nothing}
          ${withdrawProblem ? html`<p class="error" role="alert" id="withdraw-warning" data-testid="withdraw-warning">${withdrawProblem}</p>` : nothing}
          ${this.withdrawError ? errorBox(this.withdrawError, 'withdraw-error') : nothing}
          <button type="submit" aria-disabled=${this.busy !== '' || needsKyc || withdrawProblem !== null ? 'true' : 'false'} aria-describedby=${withdrawProblem ? 'withdraw-warning' : nothing} data-testid="withdraw-submit">${this.busy === 'withdraw' ? t('common.sending') : t('wallet.withdrawSubmit')}</button>
          <p class="hint">${t('wallet.withdrawHint')}</p>
        </form>
      </div>
      ${this.renderStatement()}
    </section>`;
  }
}
customElements.define('lb-wallet-view', WalletView);

/**
 * A statement as a table a person can reconcile: the opening balances, each line with its effect on
 * available and held and the balances after it, the closing balances. A repayment line opens its split.
 */
export function statementTable(
  s: WalletStatement,
  openLine: string | null,
  toggle: (id: string) => void,
  describe: (l: StatementLine) => string,
  effect: (minor: number) => unknown,
) {
  const holdBadge = (l: StatementLine) =>
    l.holdStatus ? html`<span class="badge ${l.holdStatus === 'pending' ? 'warn' : l.holdStatus === 'released' ? 'muted' : 'good'}" data-testid="hold-status">${t(`ledger.status.${l.holdStatus}`)}</span>` : nothing;
  return html`<div class="table-wrap"><table class="data statement" data-testid="statement-table">
    <thead><tr><th>${t('wallet.col.when')}</th><th>${t('stmt.col.what')}</th><th class="num">${t('stmt.col.available')}</th><th class="num">${t('stmt.col.held')}</th><th class="num">${t('stmt.col.availableAfter')}</th><th class="num">${t('stmt.col.heldAfter')}</th></tr></thead>
    <tbody>
      <tr class="sum" data-testid="statement-opening"><td></td><td><strong>${t('stmt.opening')}</strong></td><td></td><td></td><td class="num"><strong>${money(s.opening.availableMinor)}</strong></td><td class="num"><strong>${money(s.opening.heldMinor)}</strong></td></tr>
      ${s.lines.map((l) => {
        const open = openLine === l.id;
        const split = l.refs.split;
        return html`<tr data-testid="statement-line" data-kind=${l.kind} class=${split ? 'clickable' : ''} @click=${() => (split ? toggle(l.id) : undefined)}>
            <td class="nowrap muted">${dateTime(l.at)}</td>
            <td>${describe(l)} ${holdBadge(l)}${l.refs.listingTitle ? html`<br /><a class="small" href=${l.refs.loanId ? `#/loan/${l.refs.loanId}` : `#/listing/${l.refs.listingId}`} @click=${(e: Event) => e.stopPropagation()}>${l.refs.listingTitle}</a>` : nothing}${split ? html` <button type="button" class="link-btn small" aria-expanded=${open ? 'true' : 'false'} data-testid="statement-split-toggle" @click=${(e: Event) => { e.stopPropagation(); toggle(l.id); }}><span aria-hidden="true">${open ? '▾' : '▸'}</span> ${t('stmt.split')}</button>` : nothing}</td>
            <td class="num" data-testid="effect-available">${effect(l.availableEffectMinor)}</td>
            <td class="num" data-testid="effect-held">${effect(l.heldEffectMinor)}</td>
            <td class="num" data-testid="after-available">${money(l.availableAfterMinor)}</td>
            <td class="num" data-testid="after-held">${money(l.heldAfterMinor)}</td>
          </tr>
          ${open && split
            ? html`<tr class="detail" data-testid="statement-split"><td></td><td colspan="5">
                ${t('schedule.principal')} ${money(split.principalMinor)} · ${t('schedule.interest')} ${money(split.interestMinor)}${split.penaltyMinor ? html` · ${t('loan.fees')} ${money(split.penaltyMinor)}` : nothing}${split.prepaymentFeeMinor ? html` · ${t('fee.prepayment')} ${money(split.prepaymentFeeMinor)}` : nothing}${l.parts > 1 ? html` · ${t('stmt.notes', { n: l.parts })}` : nothing}
              </td></tr>`
            : nothing}`;
      })}
      <tr class="sum" data-testid="statement-closing"><td></td><td><strong>${t('stmt.closing')}</strong></td><td></td><td></td><td class="num"><strong>${money(s.closing.availableMinor)}</strong></td><td class="num"><strong>${money(s.closing.heldMinor)}</strong></td></tr>
    </tbody>
  </table></div>
  ${s.lines.length === 0 ? html`<p class="empty">${t('stmt.noLines')}</p>` : nothing}`;
}

/** The annual statement as a printable page (#/wallet/annual?year=2026). */
export class AnnualStatementView extends View {
  static override properties = { ...View.properties, data: { state: true }, error: { state: true } };
  declare data: (WalletStatement & { year: number; totals: Record<string, number> }) | null;
  declare error: unknown;
  constructor() {
    super();
    this.data = null;
    this.error = null;
  }
  override connectedCallback(): void {
    super.connectedCallback();
    const year = Number(this.query.get('year') ?? new Date(serverNow()).getUTCFullYear());
    api.annualStatement(year).then(
      (d) => (this.data = d),
      (err: unknown) => (this.error = err),
    );
  }
  override render() {
    const d = this.data;
    if (this.error) return html`<section class="page">${errorBox(this.error)}</section>`;
    if (!d) return html`<p class="muted">${t('common.loading')}</p>`;
    const describe = (l: StatementLine) => (has(`stmt.${l.kind}`) ? t(`stmt.${l.kind}`, { n: l.parts }) : l.kind);
    const effect = (m: number) => (m === 0 ? '—' : money(m, { sign: true }));
    return html`<section class="page annual" data-testid="annual-statement">
      <div class="page-head"><div><h1>${t('stmt.annualTitle', { year: d.year })}</h1><p>${this.user?.displayName ?? ''} · ${this.user?.email ?? ''}</p></div>
        <div class="no-print"><button class="primary" @click=${() => window.print()}>${t('stmt.print')}</button> <a class="btn ghost" href="#/wallet">${t('nav.wallet')}</a></div></div>
      <div class="kpis">
        <div class="kpi"><small>${t('stmt.opening')}</small><strong>${money(d.opening.availableMinor + d.opening.heldMinor)}</strong></div>
        <div class="kpi"><small>${t('stmt.closing')}</small><strong data-testid="annual-closing">${money(d.closing.availableMinor + d.closing.heldMinor)}</strong></div>
        ${Object.entries(d.totals).map(([k, v]) => html`<div class="kpi"><small>${has(`stmt.${k}`) ? t(`stmt.${k}`, { n: 2 }) : k}</small><strong>${money(v)}</strong></div>`)}
      </div>
      <div class="panel">${statementTable(d, null, () => undefined, describe, effect)}</div>
    </section>`;
  }
}
customElements.define('lb-annual-statement-view', AnnualStatementView);
