import { html, nothing } from 'lit';
import '../components/grade.js';
import { api } from '../lib/api.js';
import { date, money, parseMoney, rate } from '../lib/format.js';
import { t } from '../lib/i18n.js';
import { live } from '../lib/session.js';
import type { GuaranteeItem, GuarantorSelf, GuarantorView } from '../lib/types.js';
import { View, errorBox } from './view.js';

function key(prefix: string): string {
  return `${prefix}-${crypto.randomUUID()}`;
}

function capacityBar(used: number, capacity: number) {
  const pct = capacity > 0 ? Math.min(100, Math.floor((used * 100) / capacity)) : 0;
  return html`<div class="limit-bar" role="img" aria-label=${t('gtr.usedOf', { used: money(used), capacity: money(capacity), pct })}><span style="width:${pct}%"></span></div>
    <span class="small" data-testid="guarantor-usage">${t('gtr.usedOf', { used: money(used), capacity: money(capacity), pct })}</span>`;
}

/**
 * The guarantor's own page (docs/guarantees.md §8): pending requests to accept or decline, exposure
 * against capacity, what it owes (with a pay button) and has paid. Refreshed on its `me` events.
 */
export class GuarantorPageView extends View {
  static override properties = { ...View.properties, self: { state: true }, items: { state: true }, error: { state: true }, busy: { state: true }, done: { state: true } };
  declare self: GuarantorSelf | null;
  declare items: GuaranteeItem[] | null;
  declare error: unknown;
  declare busy: string;
  declare done: string;

  constructor() {
    super();
    this.self = null;
    this.items = null;
    this.error = null;
    this.busy = '';
    this.done = '';
  }

  override connectedCallback(): void {
    super.connectedCallback();
    void this.load();
    this.own(live.me((_state, change) => {
      if (change.type === 'event' && typeof change.event === 'string' && change.event.startsWith('guarantee.')) void this.load();
    }));
  }

  private async load(): Promise<void> {
    try {
      const [self, page] = await Promise.all([api.guarantorSelf(), api.guarantees()]);
      this.self = self;
      this.items = page.items;
      this.error = null;
    } catch (err) {
      this.error = err;
    }
  }

  private async act(g: GuaranteeItem, action: 'accept' | 'decline' | 'pay'): Promise<void> {
    this.busy = g.id;
    this.done = '';
    try {
      await api.decideGuarantee(g.id, action, key(`gte-${action}`));
      this.done = action === 'accept' ? t('gtr.accepted') : action === 'decline' ? t('gtr.declined') : t('gtr.paidOk');
      this.error = null;
      await this.load();
    } catch (err) {
      this.error = err;
    } finally {
      this.busy = '';
    }
  }

  private statusBadge(g: GuaranteeItem) {
    const tone = g.overdue ? 'bad' : g.status === 'owed' ? 'warn' : g.status === 'active' || g.status === 'paid' ? 'good' : g.status === 'pending' ? 'info' : 'muted';
    return html`<span class="badge ${tone}" data-testid="guarantee-status" data-status=${g.status}>${g.overdue ? t('gtr.overdue') : t(`gtr.status.${g.status}`)}</span>`;
  }

  override render() {
    const s = this.self;
    const items = this.items ?? [];
    const pending = items.filter((g) => g.status === 'pending');
    return html`<section class="page" data-testid="guarantor-view">
      <div class="page-head"><div><h1>${s?.name ?? t('nav.guarantor')}</h1><p>${t('gtr.subtitle')}</p></div></div>
      ${this.error ? errorBox(this.error) : nothing}
      ${this.done ? html`<div class="ok-box" role="status" data-testid="guarantor-done">${this.done}</div>` : nothing}
      ${s
        ? html`<div class="headline">
            <div class="kpi"><small>${t('gtr.capacity')}</small><strong>${money(s.capacityMinor, { trimZeroFen: true })}</strong>${capacityBar(s.exposureMinor, s.capacityMinor)}</div>
            <div class="kpi"><small>${t('gtr.owed')}</small><strong data-testid="guarantor-owed">${money(s.owedMinor)}</strong><span class="sub">${s.overdue ? t('gtr.overdue') + ` · ${s.overdue}` : ''}</span></div>
            <div class="kpi"><small>${t('gtr.paid')}</small><strong data-testid="guarantor-paid">${money(s.paidMinor)}</strong><span class="sub">${t('gtr.recovered')} ${money(s.recoveredMinor)}</span></div>
            <div class="kpi"><small>${t('gtr.wallet')}</small><strong>${money(s.wallet.availableMinor)}</strong><span class="sub">${t('gtr.fees')} ${money(s.feesMinor)}</span></div>
          </div>`
        : nothing}
      <div class="panel" data-testid="guarantor-pending">
        <h2>${t('gtr.pending')}</h2>
        ${pending.length === 0
          ? html`<p class="empty">${t('gtr.noPending')}</p>`
          : html`<div class="table-wrap"><table class="data">
              <thead><tr><th>${t('gtr.listing')}</th><th class="num">${t('gtr.amount')}</th><th class="num">${t('gtr.coverage')}</th><th class="num">${t('gtr.fee')}</th><th><span class="sr-only">${t('gtr.status')}</span></th></tr></thead>
              <tbody>${pending.map(
                (g) => html`<tr data-testid="guarantee-request" data-guarantee-id=${g.id}>
                  <td><a href="#/listing/${g.listingId}">${g.listingTitle}</a><br /><span class="small muted">${g.merchantName}</span> <lb-grade grade=${g.grade}></lb-grade></td>
                  <td class="num">${money(g.amountMinor, { trimZeroFen: true })}</td>
                  <td class="num">${g.coveragePct}%</td>
                  <td class="num">${rate(g.feeBps)}</td>
                  <td class="nowrap"><button class="primary" data-testid="accept-guarantee" ?disabled=${this.busy !== ''} @click=${() => void this.act(g, 'accept')}>${t('gtr.accept')}</button>
                    <button class="ghost" data-testid="decline-guarantee" ?disabled=${this.busy !== ''} @click=${() => void this.act(g, 'decline')}>${t('gtr.decline')}</button></td>
                </tr>`,
              )}</tbody></table></div>`}
      </div>
      <div class="panel">
        <h2>${t('gtr.all')}</h2>
        ${items.length === 0
          ? html`<p class="empty">${t('gtr.none')}</p>`
          : html`<div class="table-wrap"><table class="data" data-testid="guarantee-table">
              <thead><tr><th>${t('gtr.listing')}</th><th>${t('gtr.status')}</th><th class="num">${t('gtr.coverage')}</th><th class="num">${t('gtr.covered')}</th><th class="num">${t('gtr.fee')}</th><th class="num">${t('gtr.owed')}</th><th class="num">${t('gtr.paid')}</th><th>${t('gtr.payBy')}</th><th><span class="sr-only">${t('gtr.pay', { amount: '' })}</span></th></tr></thead>
              <tbody>${items.map(
                (g) => html`<tr data-testid="guarantee-row" data-guarantee-id=${g.id}>
                  <td><a href="#/listing/${g.listingId}">${g.listingTitle}</a><br /><span class="small muted">${g.merchantName}</span></td>
                  <td>${this.statusBadge(g)}</td>
                  <td class="num">${g.coveragePct}%</td>
                  <td class="num">${money(g.coveredMinor)}</td>
                  <td class="num">${money(g.feeMinor)}</td>
                  <td class="num">${money(g.owedMinor)}</td>
                  <td class="num">${money(g.paidMinor)}</td>
                  <td>${g.payBy ? date(g.payBy) : '—'}</td>
                  <td>${g.status === 'owed' ? html`<button class="primary" data-testid="pay-guarantee" ?disabled=${this.busy !== ''} @click=${() => void this.act(g, 'pay')}>${t('gtr.pay', { amount: money(g.owedMinor) })}</button>` : nothing}</td>
                </tr>`,
              )}</tbody></table></div>`}
      </div>
    </section>`;
  }
}
customElements.define('lb-guarantor-view', GuarantorPageView);

/** Operators register guarantors and see each one's capacity in use (docs/guarantees.md §1). */
export class AdminGuarantorsView extends View {
  static override properties = { ...View.properties, items: { state: true }, error: { state: true }, busy: { state: true }, created: { state: true } };
  declare items: GuarantorView[] | null;
  declare error: unknown;
  declare busy: boolean;
  declare created: boolean;

  constructor() {
    super();
    this.items = null;
    this.error = null;
    this.busy = false;
    this.created = false;
  }

  override connectedCallback(): void {
    super.connectedCallback();
    void this.load();
  }

  private async load(): Promise<void> {
    try {
      this.items = (await api.adminGuarantors()).items;
    } catch (err) {
      this.error = err;
    }
  }

  private async create(e: Event): Promise<void> {
    e.preventDefault();
    const form = e.target as HTMLFormElement;
    const data = new FormData(form);
    const capital = parseMoney(String(data.get('capital') ?? ''));
    if (capital === null || capital <= 0) {
      this.error = { code: 'VALIDATION_FAILED', detail: t('adminGtr.capital') };
      return;
    }
    this.busy = true;
    try {
      await api.createGuarantor(
        { name: String(data.get('name') ?? '').trim(), licenceNo: String(data.get('licenceNo') ?? '').trim(), registeredCapitalMinor: capital, email: String(data.get('email') ?? '').trim(), password: String(data.get('password') ?? '') },
        key('gtr-new'),
      );
      form.reset();
      this.created = true;
      this.error = null;
      await this.load();
    } catch (err) {
      this.error = err;
    } finally {
      this.busy = false;
    }
  }

  override render() {
    const items = this.items ?? [];
    return html`<section class="page" data-testid="admin-guarantors">
      <div class="page-head"><div><h1>${t('nav.adminGuarantors')}</h1><p>${t('adminGtr.subtitle')}</p></div></div>
      ${this.error ? errorBox(this.error) : nothing}
      ${this.created ? html`<div class="ok-box" role="status">${t('adminGtr.created')}</div>` : nothing}
      <form class="panel form" @submit=${(e: Event) => void this.create(e)} data-testid="guarantor-form">
        <h2>${t('adminGtr.new')}</h2>
        <div class="form-row">
          <label>${t('adminGtr.name')}<input name="name" required maxlength="120" /></label>
          <label>${t('adminGtr.licence')}<input name="licenceNo" required maxlength="64" pattern="[A-Za-z0-9_./\\-]+" /></label>
          <label>${t('adminGtr.capital')}<span class="input-affix"><span>¥</span><input name="capital" inputmode="decimal" required /></span></label>
        </div>
        <div class="form-row">
          <label>${t('adminGtr.email')}<input name="email" type="email" required autocomplete="off" /></label>
          <label>${t('adminGtr.password')}<input name="password" type="password" required minlength="10" autocomplete="new-password" /></label>
        </div>
        <div class="row"><button class="primary" type="submit" ?disabled=${this.busy}>${t('admin.create')}</button></div>
      </form>
      <div class="panel" style="padding-top:0.4rem"><div class="table-wrap"><table class="data">
        <thead><tr><th>${t('adminGtr.name')}</th><th>${t('adminGtr.licence')}</th><th class="num">${t('adminGtr.capital')}</th><th>${t('gtr.capacity')}</th></tr></thead>
        <tbody>${items.map(
          (g) => html`<tr data-testid="guarantor-row"><td><strong>${g.name}</strong></td><td class="mono small">${g.licenceNo}</td><td class="num">${money(g.registeredCapitalMinor, { trimZeroFen: true })}</td><td>${capacityBar(g.exposureMinor, g.capacityMinor)}</td></tr>`,
        )}</tbody></table></div>
        ${this.items && items.length === 0 ? html`<p class="empty">${t('adminGtr.none')}</p>` : nothing}
      </div>
    </section>`;
  }
}
customElements.define('lb-admin-guarantors-view', AdminGuarantorsView);
