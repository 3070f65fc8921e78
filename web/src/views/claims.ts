import { html, nothing, type TemplateResult } from 'lit';
import '../components/grade.js';
import { chainOf } from '../components/claim-chain.js';
import { all, api, IdempotentAction } from '../lib/api.js';
import { date, minorToInput, money, parseMoney } from '../lib/format.js';
import { t } from '../lib/i18n.js';
import { navigate } from '../lib/router.js';
import { toast } from '../lib/toasts.js';
import type { Claim } from '../lib/types.js';
import { View, errorBox } from './view.js';

/** The smallest part of a claim that may be passed on (docs/supply-chain.md). */
const MIN_ASSIGN_MINOR = 10_000;

/**
 * The claims the borrower's shop holds on its buyers' payables (docs/supply-chain.md): what it holds,
 * from whom, due when, the chain back to the core enterprise that owes it. An active claim can be passed
 * down to one of the shop's own suppliers (the assign dialog) or financed at auction ("Finance this
 * claim" opens the listing form with it selected).
 */
export class ClaimsView extends View {
  static override properties = { ...View.properties, items: { state: true }, error: { state: true }, assigning: { state: true }, assignError: { state: true }, busy: { state: true } };
  declare items: Claim[] | null;
  declare error: unknown;
  declare assigning: Claim | null;
  declare assignError: unknown;
  declare busy: boolean;
  private readonly action = new IdempotentAction<{ id: string; toMerchantRef: string; amountMinor: number }>();

  constructor() {
    super();
    this.items = null;
    this.error = null;
    this.assigning = null;
    this.assignError = null;
    this.busy = false;
  }

  override connectedCallback(): void {
    super.connectedCallback();
    void this.load();
  }

  private async load(): Promise<void> {
    try {
      this.items = await all(api.myClaims);
      this.error = null;
    } catch (err) {
      this.error = err;
    }
  }

  private open(c: Claim): void {
    this.assigning = c;
    this.assignError = null;
    void this.updateComplete.then(() => (this.querySelector('dialog') as HTMLDialogElement | null)?.showModal());
  }

  private close(): void {
    (this.querySelector('dialog') as HTMLDialogElement | null)?.close();
    this.assigning = null;
  }

  private async assign(e: Event): Promise<void> {
    e.preventDefault();
    const c = this.assigning;
    if (!c) return;
    const data = new FormData(e.target as HTMLFormElement);
    const toMerchantRef = String(data.get('toMerchantRef') ?? '').trim();
    const amountMinor = parseMoney(String(data.get('amount') ?? ''));
    if (!toMerchantRef || amountMinor === null) {
      this.assignError = { code: 'VALIDATION_FAILED', detail: t('claims.assignCheck') };
      return;
    }
    this.busy = true;
    try {
      const body = { id: c.id, toMerchantRef, amountMinor };
      const made = await api.assignClaim(c.id, { toMerchantRef, amountMinor }, this.action.keyFor(body));
      this.action.done();
      toast({ tone: 'good', kind: 'claim-assigned', title: t('claims.assigned'), body: t('claims.assignedBody', { amount: money(made.amountMinor), name: made.chain[made.chain.length - 1]?.merchantName ?? toMerchantRef }) }, 6000);
      this.close();
      await this.load();
    } catch (err) {
      this.assignError = err;
    } finally {
      this.busy = false;
    }
  }

  private renderClaim(c: Claim): TemplateResult {
    const from = c.chain[c.chain.length - 2];
    const canAct = c.status === 'active' && !c.pledgedTo && c.amountMinor > 0;
    return html`<div class="panel" data-testid="claim" data-claim-id=${c.id} data-status=${c.status}>
      <div class="panel-head">
        <h2 class="row"><span>${c.coreEnterprise.name}</span><lb-grade grade=${c.coreEnterprise.grade}></lb-grade></h2>
        <span class="badge ${c.status === 'active' ? 'good' : c.status === 'settled' ? 'info' : c.status === 'due' ? 'warn' : 'muted'}">${t(`claims.status.${c.status}`)}</span>
      </div>
      <dl class="facts">
        <dt>${t('claims.holds')}</dt><dd><strong data-testid="claim-amount">${money(c.amountMinor)}</strong>${c.originalAmountMinor !== c.amountMinor ? html` <span class="muted small">${t('claims.ofOriginal', { amount: money(c.originalAmountMinor) })}</span>` : nothing}</dd>
        <dt>${t('claims.due')}</dt><dd>${date(c.dueDate)}</dd>
        <dt>${t('claims.from')}</dt><dd>${from ? from.merchantName : '—'}</dd>
        <dt>${t('claims.yourTier')}</dt><dd>${c.tier}</dd>
        <dt>${t('claims.payable')}</dt><dd class="mono small">${c.payableRef}</dd>
        ${c.pledgedTo
          ? html`<dt>${t('claims.pledged')}</dt><dd><a href="#/listing/${c.pledgedTo.listingId}">${t(c.pledgedTo.loanId ? 'claims.backsLoan' : 'claims.backsListing')}</a></dd>`
          : nothing}
        ${c.toLoanMinor !== undefined
          ? html`<dt>${t('claims.paidOut')}</dt><dd>${t('claims.paidOutValue', { loan: money(c.toLoanMinor), you: money(c.toHolderMinor ?? 0), date: date(c.settledOn ?? '') })}</dd>`
          : nothing}
      </dl>
      <h3 style="margin:0.7rem 0 0.2rem">${t('claims.chain')}</h3>
      ${chainOf(c.chain)}
      ${c.assignedTo.length
        ? html`<p class="small muted" style="margin-top:0.5rem">${t('claims.passedOn')} ${c.assignedTo.map((a) => `${a.merchantName} ${money(a.amountMinor)}`).join(' · ')}</p>`
        : nothing}
      ${canAct
        ? html`<div class="row" style="margin-top:0.75rem">
            <button class="ghost" @click=${() => this.open(c)} data-testid="claim-assign">${t('claims.assign')}</button>
            <button class="primary" @click=${() => navigate('borrower/new', { product: 'claim', claimId: c.id })} data-testid="claim-finance">${t('claims.finance')}</button>
          </div>`
        : nothing}
    </div>`;
  }

  private renderDialog(): TemplateResult {
    const c = this.assigning;
    return html`<dialog class="sheet" data-testid="assign-dialog" @close=${() => (this.assigning = null)}>
      ${c
        ? html`<form class="form" @submit=${(e: Event) => void this.assign(e)}>
            <h2>${t('claims.assignTitle')}</h2>
            <p class="small muted">${t('claims.assignHint', { core: c.coreEnterprise.name, date: date(c.dueDate) })}</p>
            <label>${t('claims.toMerchant')}<input name="toMerchantRef" required maxlength="64" autocomplete="off" data-testid="assign-to" />
              <span class="hint">${t('claims.toMerchantHint')}</span></label>
            <label>${t('listing.amount')}<span class="input-affix"><span>¥</span><input name="amount" inputmode="decimal" required .value=${minorToInput(c.amountMinor)} data-testid="assign-amount" /></span>
              <span class="hint">${t('claims.assignRange', { min: money(MIN_ASSIGN_MINOR, { trimZeroFen: true }), max: money(c.amountMinor) })}</span></label>
            <p class="small">${t('claims.assignLiability')}</p>
            ${this.assignError ? errorBox(this.assignError, 'assign-error') : nothing}
            <div class="row"><span class="spacer"></span><button type="button" class="ghost" @click=${() => this.close()}>${t('claims.cancel')}</button>
              <button class="primary" type="submit" ?disabled=${this.busy} data-testid="assign-submit">${this.busy ? t('common.sending') : t('claims.assign')}</button></div>
          </form>`
        : nothing}
    </dialog>`;
  }

  override render() {
    const items = this.items ?? [];
    const held = items.filter((c) => c.status === 'active' || c.status === 'due');
    const heldMinor = held.reduce((a, c) => a + c.amountMinor, 0);
    return html`<section class="page" data-testid="claims-view">
      <div class="page-head"><div><h1>${t('nav.claims')}</h1><p>${t('claims.subtitle')}</p></div></div>
      ${this.error ? errorBox(this.error) : nothing}
      <div class="kpis">
        <div class="kpi"><small>${t('claims.heldNow')}</small><strong data-testid="claims-held">${money(heldMinor)}</strong><span class="sub">${t('claims.count', { n: held.length })}</span></div>
      </div>
      ${this.items === null && !this.error ? html`<p class="muted">${t('common.loading')}</p>` : nothing}
      ${this.items && items.length === 0 ? html`<p class="empty">${t('claims.none')}</p>` : nothing}
      <div class="stack">${items.map((c) => this.renderClaim(c))}</div>
      ${this.renderDialog()}
    </section>`;
  }
}
customElements.define('lb-claims-view', ClaimsView);
