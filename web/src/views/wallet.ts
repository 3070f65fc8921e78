import { html, nothing } from 'lit';
import { api, IdempotentAction } from '../lib/api.js';
import { dateTime, minorToInput, money, parseMoney, shortId } from '../lib/format.js';
import { has, t } from '../lib/i18n.js';
import { live, session } from '../lib/session.js';
import { toast } from '../lib/toasts.js';
import type { LedgerLine } from '../lib/types.js';
import { View, errorBox } from './view.js';

/** The custodian sub-account: balances (live), deposit, withdraw, and its ledger lines. */
export class WalletView extends View {
  static override properties = {
    ...View.properties,
    lines: { state: true },
    nextCursor: { state: true },
    error: { state: true },
    depositError: { state: true },
    withdrawError: { state: true },
    busy: { state: true },
    depositText: { state: true },
    withdrawText: { state: true },
  };
  declare lines: LedgerLine[];
  declare nextCursor: string | null;
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
    this.lines = [];
    this.nextCursor = null;
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

  private async load(more = false): Promise<void> {
    try {
      const page = await api.transfers(more ? this.nextCursor : null);
      this.lines = more ? [...this.lines, ...page.items] : page.items;
      this.nextCursor = page.nextCursor;
      this.error = null;
    } catch (err) {
      this.error = err;
    }
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

  private kind(line: LedgerLine): string {
    const key = `ledger.${line.kind}`;
    return has(key) ? t(key) : line.kind.replace(/_/g, ' ');
  }

  override render() {
    const w = this.sessionState.value.wallet;
    const user = this.user;
    const needsKyc = user?.role === 'lender' && user.kyc.status !== 'verified';
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
          ${this.depositError ? errorBox(this.depositError, 'deposit-error') : nothing}
          <button class="primary" type="submit" ?disabled=${this.busy !== '' || needsKyc} data-testid="deposit-submit">${this.busy === 'deposit' ? t('common.sending') : t('wallet.depositSubmit')}</button>
          <p class="hint">${t('wallet.depositHint')}</p>
        </form>
        <form class="panel form" @submit=${(e: Event) => void this.move('withdraw', e)} data-testid="withdraw-form">
          <h2>${t('wallet.withdraw')}</h2>
          <label>${t('wallet.amount')}<span class="input-affix"><span>¥</span><input inputmode="decimal" autocomplete="off" .value=${this.withdrawText} @input=${(e: Event) => (this.withdrawText = (e.target as HTMLInputElement).value)} data-testid="withdraw-amount" required /></span></label>
          ${w ? html`<div class="quick"><button type="button" class="chip" @click=${() => (this.withdrawText = minorToInput(w.availableMinor))}>${t('wallet.all', { amount: money(w.availableMinor) })}</button></div>` : nothing}
          ${this.withdrawError ? errorBox(this.withdrawError, 'withdraw-error') : nothing}
          <button type="submit" ?disabled=${this.busy !== '' || needsKyc} data-testid="withdraw-submit">${this.busy === 'withdraw' ? t('common.sending') : t('wallet.withdrawSubmit')}</button>
          <p class="hint">${t('wallet.withdrawHint')}</p>
        </form>
      </div>
      <div class="panel" style="padding-top:0.4rem">
        <div class="panel-head" style="margin:0.4rem 0"><h2>${t('wallet.ledger')}</h2></div>
        ${this.error ? errorBox(this.error) : nothing}
        <div class="table-wrap">
          <table class="data" data-testid="ledger">
            <thead><tr><th>${t('wallet.col.when')}</th><th>${t('wallet.col.kind')}</th><th>${t('wallet.col.reference')}</th><th>${t('bids.col.status')}</th><th class="num">${t('wallet.amount')}</th></tr></thead>
            <tbody>
              ${this.lines.map(
                (l) => html`<tr data-testid="ledger-row" data-kind=${l.kind}>
                  <td class="nowrap muted">${dateTime(l.createdAt)}</td>
                  <td>${this.kind(l)}</td>
                  <td class="mono muted" title=${l.reference ?? ''}>${l.reference ? shortId(l.reference) : '—'}</td>
                  <td><span class="badge ${l.status === 'pending' ? 'warn' : l.status === 'released' ? 'muted' : 'good'}">${t(`ledger.status.${l.status}`)}</span></td>
                  <td class="num ${l.direction === 'credit' ? 'good' : ''}">${money(l.direction === 'credit' ? l.amountMinor : -l.amountMinor, { sign: true })}</td>
                </tr>`,
              )}
            </tbody>
          </table>
        </div>
        ${this.lines.length === 0 && !this.error ? html`<p class="empty">${t('wallet.noLines')}</p>` : nothing}
        ${this.nextCursor ? html`<button class="block" @click=${() => void this.load(true)}>${t('common.loadMore')}</button>` : nothing}
      </div>
    </section>`;
  }
}
customElements.define('lb-wallet-view', WalletView);
