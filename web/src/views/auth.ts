import { html, nothing } from 'lit';
import { api } from '../lib/api.js';
import { t } from '../lib/i18n.js';
import { navigate } from '../lib/router.js';
import { sessionChanged } from '../lib/session.js';
import { toast } from '../lib/toasts.js';
import { View, errorBox } from './view.js';

function nextPath(query: URLSearchParams): string | null {
  const next = query.get('next');
  return next && next.startsWith('/') && !next.startsWith('//') ? next : null;
}

/** Log in: the server sets the httpOnly session cookie; the socket reconnects as this user. */
export class LoginView extends View {
  static override properties = { ...View.properties, error: { state: true }, busy: { state: true } };
  declare error: unknown;
  declare busy: boolean;
  constructor() {
    super();
    this.error = null;
    this.busy = false;
  }

  private async submit(e: Event): Promise<void> {
    e.preventDefault();
    const form = e.target as HTMLFormElement;
    const data = new FormData(form);
    this.busy = true;
    this.error = null;
    try {
      const res = await api.login(String(data.get('email') ?? '').trim(), String(data.get('password') ?? ''));
      sessionChanged(res.user);
      toast({ tone: 'good', kind: 'login', title: t('auth.welcome', { name: res.user.displayName }) }, 3000);
      const next = nextPath(this.query);
      if (next) location.hash = `#${next}`;
      else navigate(res.user.role === 'borrower' ? 'borrower/listings' : res.user.role === 'operator' ? 'admin/settings' : res.user.role === 'guarantor' ? 'guarantor' : 'market');
    } catch (err) {
      this.error = err;
    } finally {
      this.busy = false;
    }
  }

  override render() {
    return html`<section class="narrow">
      <form class="panel form" @submit=${(e: Event) => void this.submit(e)} data-testid="login-form">
        <h1>${t('auth.loginTitle')}</h1>
        <p class="muted">${t('auth.loginLead')}</p>
        <label>${t('auth.email')}<input name="email" type="email" autocomplete="username" required data-testid="login-email" /></label>
        <label>${t('auth.password')}<input name="password" type="password" autocomplete="current-password" required data-testid="login-password" /></label>
        ${this.error ? errorBox(this.error, 'login-error') : nothing}
        <button class="primary" type="submit" ?disabled=${this.busy} data-testid="login-submit">${this.busy ? t('common.sending') : t('auth.login')}</button>
        <p class="muted small center">${t('auth.noAccount')} <a href="#/register">${t('auth.register')}</a></p>
      </form>
    </section>`;
  }
}
customElements.define('lb-login-view', LoginView);

/** Register a lender, or a borrower with the invite code its order system issued. */
export class RegisterView extends View {
  static override properties = { ...View.properties, error: { state: true }, busy: { state: true }, role: { state: true } };
  declare error: unknown;
  declare busy: boolean;
  declare role: 'lender' | 'borrower';
  constructor() {
    super();
    this.error = null;
    this.busy = false;
    this.role = 'lender';
  }

  override willUpdate(changed: Map<string, unknown>): void {
    if (changed.has('query') && (this.query.get('invite') || this.query.get('role') === 'borrower')) this.role = 'borrower';
  }

  private async submit(e: Event): Promise<void> {
    e.preventDefault();
    const data = new FormData(e.target as HTMLFormElement);
    const invite = String(data.get('inviteCode') ?? '').trim();
    this.busy = true;
    this.error = null;
    try {
      const res = await api.register({
        email: String(data.get('email') ?? '').trim(),
        password: String(data.get('password') ?? ''),
        role: this.role,
        displayName: String(data.get('displayName') ?? '').trim(),
        ...(this.role === 'borrower' ? { inviteCode: invite } : {}),
      });
      sessionChanged(res.user);
      toast({ tone: 'good', kind: 'register', title: t('auth.welcome', { name: res.user.displayName }) }, 3000);
      navigate(res.user.role === 'lender' ? 'account' : 'borrower/rating');
    } catch (err) {
      this.error = err;
    } finally {
      this.busy = false;
    }
  }

  override render() {
    return html`<section class="narrow">
      <form class="panel form" @submit=${(e: Event) => void this.submit(e)} data-testid="register-form">
        <h1>${t('auth.registerTitle')}</h1>
        <fieldset>
          <legend>${t('auth.iAm')}</legend>
          <label class="check"><input type="radio" name="role" value="lender" .checked=${this.role === 'lender'} @change=${() => (this.role = 'lender')} data-testid="register-role-lender" />${t('auth.roleLender')}</label>
          <label class="check"><input type="radio" name="role" value="borrower" .checked=${this.role === 'borrower'} @change=${() => (this.role = 'borrower')} data-testid="register-role-borrower" />${t('auth.roleBorrower')}</label>
        </fieldset>
        <label>${t('auth.displayName')}<input name="displayName" required maxlength="80" autocomplete="nickname" data-testid="register-name" /></label>
        <label>${t('auth.email')}<input name="email" type="email" required autocomplete="email" data-testid="register-email" /></label>
        <label>${t('auth.password')}<input name="password" type="password" required minlength="10" autocomplete="new-password" data-testid="register-password" /><span class="hint">${t('auth.passwordHint')}</span></label>
        ${this.role === 'borrower'
          ? html`<label>${t('auth.invite')}<input name="inviteCode" required minlength="6" maxlength="64" autocomplete="off" .value=${this.query.get('invite') ?? ''} data-testid="register-invite" /><span class="hint">${t('auth.inviteHint')}</span></label>`
          : nothing}
        ${this.error ? errorBox(this.error, 'register-error') : nothing}
        <button class="primary" type="submit" ?disabled=${this.busy} data-testid="register-submit">${this.busy ? t('common.sending') : t('auth.create')}</button>
        <p class="muted small center">${t('auth.haveAccount')} <a href="#/login">${t('auth.login')}</a></p>
      </form>
    </section>`;
  }
}
customElements.define('lb-register-view', RegisterView);
