import { html, nothing } from 'lit';
import '../components/grade.js';
import { api } from '../lib/api.js';
import { dateTime, money, parseMoney } from '../lib/format.js';
import { t } from '../lib/i18n.js';
import { GRADES, type CoreEnterpriseView, type PartnerView } from '../lib/types.js';
import { View, errorBox } from './view.js';

/**
 * Operators register core enterprises (docs/supply-chain.md §1) under the order system whose merchants
 * supply them, and watch how much of each one's issuance limit its unpaid claims use.
 */
export class AdminCoreEnterprisesView extends View {
  static override properties = { ...View.properties, items: { state: true }, partners: { state: true }, error: { state: true }, secret: { state: true }, busy: { state: true } };
  declare items: CoreEnterpriseView[] | null;
  declare partners: PartnerView[];
  declare error: unknown;
  declare secret: { id: string; keyId: string; secret: string } | null;
  declare busy: boolean;

  constructor() {
    super();
    this.items = null;
    this.partners = [];
    this.error = null;
    this.secret = null;
    this.busy = false;
  }

  override connectedCallback(): void {
    super.connectedCallback();
    void this.load();
  }

  private async load(): Promise<void> {
    try {
      const [cores, partners] = await Promise.all([api.coreEnterprises(), api.partners()]);
      this.items = cores.items;
      this.partners = partners.items;
      this.error = null;
    } catch (err) {
      this.error = err;
    }
  }

  private async create(e: Event): Promise<void> {
    e.preventDefault();
    const form = e.target as HTMLFormElement;
    const data = new FormData(form);
    const limitMinor = parseMoney(String(data.get('limit') ?? ''));
    if (limitMinor === null || limitMinor <= 0) {
      this.error = { code: 'VALIDATION_FAILED', detail: t('core.limitCheck') };
      return;
    }
    this.busy = true;
    try {
      this.secret = await api.createCoreEnterprise({
        partnerId: String(data.get('partnerId') ?? ''),
        name: String(data.get('name') ?? '').trim(),
        legalForm: data.get('legalForm') === 'natural_person' ? 'natural_person' : 'legal_person',
        grade: GRADES.find((g) => g === data.get('grade')) ?? 'A',
        limitMinor,
      });
      form.reset();
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
    return html`<section class="page" data-testid="core-enterprises">
      <div class="page-head"><div><h1>${t('nav.coreEnterprises')}</h1><p>${t('core.subtitle')}</p></div></div>
      ${this.secret
        ? html`<div class="ok-box" role="alert" data-testid="core-secret"><strong>${t('admin.secretOnce')}</strong>
            <dl class="facts" style="margin-top:0.5rem"><dt>${t('admin.keyId')}</dt><dd class="mono">${this.secret.keyId}</dd><dt>${t('admin.secret')}</dt><dd class="mono" style="word-break:break-all">${this.secret.secret}</dd></dl>
            <p class="small muted">${t('core.keyHint')}</p>
            <div class="row" style="margin-top:0.5rem"><button class="chip" @click=${() => void navigator.clipboard?.writeText(this.secret!.secret)}>${t('admin.copy')}</button><button class="chip" @click=${() => (this.secret = null)}>${t('admin.done')}</button></div></div>`
        : nothing}
      ${this.error ? errorBox(this.error) : nothing}
      <form class="panel form" @submit=${(e: Event) => void this.create(e)} data-testid="core-form">
        <h2>${t('core.new')}</h2>
        <div class="form-row">
          <label>${t('core.partner')}<select name="partnerId" required>${this.partners.map((p) => html`<option value=${p.id}>${p.name}</option>`)}</select></label>
          <label>${t('core.name')}<input name="name" required maxlength="120" /></label>
        </div>
        <div class="form-row">
          <label>${t('core.legalForm')}<select name="legalForm"><option value="legal_person">${t('core.legal_person')}</option><option value="natural_person">${t('core.natural_person')}</option></select></label>
          <label>${t('core.grade')}<select name="grade">${GRADES.map((g) => html`<option value=${g} ?selected=${g === 'A'}>${g}</option>`)}</select><span class="hint">${t('core.gradeHint')}</span></label>
          <label>${t('core.limit')}<span class="input-affix"><span>¥</span><input name="limit" inputmode="decimal" required /></span><span class="hint">${t('core.limitHint')}</span></label>
        </div>
        <div class="row"><button class="primary" type="submit" ?disabled=${this.busy || this.partners.length === 0}>${t('admin.create')}</button></div>
      </form>
      <div class="panel" style="padding-top:0.4rem"><div class="table-wrap"><table class="data" data-testid="core-table">
        <thead><tr><th>${t('core.name')}</th><th>${t('core.grade')}</th><th>${t('core.partner')}</th><th class="num">${t('core.limit')}</th><th>${t('core.usage')}</th><th class="num">${t('core.payables')}</th><th class="num">${t('core.account')}</th><th>${t('admin.keyId')}</th></tr></thead>
        <tbody>${items.map((c) => {
          const pct = c.limitMinor > 0 ? Math.min(100, Math.floor((c.usedMinor * 100) / c.limitMinor)) : 0;
          return html`<tr data-testid="core-row" data-core-id=${c.id}>
            <td><strong>${c.name}</strong><br /><span class="muted small">${dateTime(c.createdAt)}</span></td>
            <td><lb-grade grade=${c.grade}></lb-grade></td>
            <td class="small">${c.partnerName}</td>
            <td class="num">${money(c.limitMinor, { trimZeroFen: true })}</td>
            <td><div class="limit-bar" role="img" aria-label=${t('core.usedPct', { pct })}><span style="width:${pct}%"></span></div>
              <span class="small" data-testid="core-used">${t('core.usedOf', { used: money(c.usedMinor), left: money(c.leftMinor), pct })}</span></td>
            <td class="num">${c.outstandingPayables}</td>
            <td class="num">${money(c.wallet.availableMinor)}</td>
            <td class="mono small">${c.keyId ?? '—'}</td>
          </tr>`;
        })}</tbody></table></div>
        ${this.items && items.length === 0 ? html`<p class="empty">${t('core.none')}</p>` : nothing}
      </div>
    </section>`;
  }
}
customElements.define('lb-admin-core-enterprises-view', AdminCoreEnterprisesView);
