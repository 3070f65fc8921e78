import { html, nothing } from 'lit';
import { api } from '../lib/api.js';
import { date } from '../lib/format.js';
import { t } from '../lib/i18n.js';
import { session } from '../lib/session.js';
import { toast } from '../lib/toasts.js';
import type { NotificationPreferences, RiskProfile } from '../lib/types.js';
import { View, errorBox } from './view.js';

const PROFILES: RiskProfile[] = ['conservative', 'balanced', 'aggressive'];

/** KYC (identity through the custodian's checks) and the risk profile that decides which grades a lender may bid on. */
export class AccountView extends View {
  static override properties = { ...View.properties, error: { state: true }, busy: { state: true }, profile: { state: true }, prefs: { state: true }, prefsError: { state: true } };
  /** What the user is told, per kind (docs/notifications.md). */
  declare prefs: NotificationPreferences | null;
  declare prefsError: unknown;
  declare error: unknown;
  declare busy: boolean;
  declare profile: RiskProfile;

  constructor() {
    super();
    this.error = null;
    this.busy = false;
    this.profile = session.value.user?.kyc.riskProfile ?? 'balanced';
    this.prefs = null;
    this.prefsError = null;
  }

  override connectedCallback(): void {
    super.connectedCallback();
    api.notificationPrefs().then(
      (p) => (this.prefs = p),
      (err: unknown) => (this.prefsError = err),
    );
  }

  private async setPref(kind: string, channel: 'inApp' | 'email', on: boolean): Promise<void> {
    try {
      this.prefs = await api.putNotificationPrefs({ kinds: { [kind]: { [channel]: on } } });
      this.prefsError = null;
    } catch (err) {
      this.prefsError = err;
    }
  }

  private renderPrefs() {
    const p = this.prefs;
    if (!p) return this.prefsError ? errorBox(this.prefsError) : nothing;
    return html`<div class="panel" data-testid="notification-prefs">
      <h2>${t('prefs.title')}</h2>
      <p class="hint">${p.emailAvailable ? t('prefs.hint', { email: this.user?.email ?? '' }) : t('prefs.noEmail')}</p>
      <div class="table-wrap"><table class="data"><thead><tr><th>${t('prefs.kind')}</th><th>${t('prefs.inApp')}</th><th>${t('prefs.email')}</th></tr></thead>
        <tbody>${Object.entries(p.kinds).map(
          ([kind, v]) => html`<tr><td>${t(`notify.${kind}`)}</td>
            <td><input type="checkbox" .checked=${v.inApp} @change=${(e: Event) => void this.setPref(kind, 'inApp', (e.target as HTMLInputElement).checked)} data-testid="pref-${kind}-inApp" aria-label=${`${t(`notify.${kind}`)}: ${t('prefs.inApp')}`} /></td>
            <td><input type="checkbox" .checked=${v.email} ?disabled=${!p.emailAvailable} @change=${(e: Event) => void this.setPref(kind, 'email', (e.target as HTMLInputElement).checked)} data-testid="pref-${kind}-email" aria-label=${`${t(`notify.${kind}`)}: ${t('prefs.email')}`} /></td></tr>`,
        )}</tbody></table></div>
      ${this.prefsError ? errorBox(this.prefsError) : nothing}
    </div>`;
  }

  private async submit(e: Event): Promise<void> {
    e.preventDefault();
    const data = new FormData(e.target as HTMLFormElement);
    this.busy = true;
    this.error = null;
    try {
      const user = await api.kyc({ legalName: String(data.get('legalName') ?? '').trim(), idNumber: String(data.get('idNumber') ?? '').trim().toUpperCase(), riskProfile: this.profile });
      session.update({ user });
      toast({ tone: 'good', kind: 'kyc', title: t('account.saved') }, 4000);
      (e.target as HTMLFormElement).reset();
    } catch (err) {
      this.error = err;
    } finally {
      this.busy = false;
    }
  }

  override render() {
    const user = this.user;
    if (!user) return nothing;
    const verified = user.kyc.status === 'verified';
    return html`<section class="page">
      <div class="page-head"><div><h1>${t('nav.account')}</h1><p>${user.displayName} · ${user.email} · ${t(`role.${user.role}`)}</p></div></div>
      <div class="grid-2">
        <div class="panel">
          <h2>${t('account.identity')}</h2>
          <dl class="facts">
            <dt>${t('account.kycStatus')}</dt><dd><span class="badge ${verified ? 'good' : 'warn'}" data-testid="kyc-status">${t(`kyc.${user.kyc.status}`)}</span></dd>
            <dt>${t('account.legalName')}</dt><dd>${user.kyc.legalName ?? '—'}</dd>
            <dt>${t('account.idNumber')}</dt><dd class="mono">${user.kyc.idNumberLast4 ? `**************${user.kyc.idNumberLast4}` : '—'}</dd>
            <dt>${t('account.riskProfile')}</dt><dd>${user.kyc.riskProfile ? t(`risk.${user.kyc.riskProfile}`) : '—'}</dd>
            <dt>${t('account.since')}</dt><dd>${date(user.createdAt)}</dd>
          </dl>
          ${!verified ? html`<p class="notice" style="margin-top:0.75rem">${t(user.role === 'lender' ? 'account.whyKyc' : 'account.whyKycBorrower')}</p>` : nothing}
        </div>
        <form class="panel form" @submit=${(e: Event) => void this.submit(e)} data-testid="kyc-form">
          <h2>${verified ? t('account.changeProfile') : t('account.verify')}</h2>
          <label>${t('account.legalName')}<input name="legalName" required minlength="2" maxlength="80" .value=${user.kyc.legalName ?? ''} ?readonly=${verified} autocomplete="name" data-testid="kyc-name" /></label>
          <label>${t('account.idNumber')}<input name="idNumber" required pattern="[0-9]{17}[0-9Xx]" maxlength="18" autocomplete="off" inputmode="numeric" data-testid="kyc-id" /><span class="hint">${verified ? t('account.idAgain') : t('account.idHint')}</span></label>
          <fieldset>
            <legend>${t('account.riskProfile')}</legend>
            ${PROFILES.map(
              (p) => html`<label class="check"><input type="radio" name="riskProfile" value=${p} .checked=${this.profile === p} @change=${() => (this.profile = p)} data-testid="kyc-risk-${p}" />
                <span><strong>${t(`risk.${p}`)}</strong> <span class="muted small">— ${t(`risk.${p}.hint`)}</span></span></label>`,
            )}
          </fieldset>
          ${this.error ? errorBox(this.error, 'kyc-error') : nothing}
          <button class="primary" type="submit" ?disabled=${this.busy} data-testid="kyc-submit">${this.busy ? t('common.sending') : t('account.save')}</button>
        </form>
      </div>
      ${this.renderPrefs()}
    </section>`;
  }
}
customElements.define('lb-account-view', AccountView);
