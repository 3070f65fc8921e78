/**
 * The app shell: header with navigation by role, connection state, wallet, language switch; the hash
 * router with lazily loaded views; toasts for the `me` channel's events.
 */
import './styles.css';
import { loadMessages, switchLocale } from './messages.js';
import { LitElement, html, nothing } from 'lit';
import { Announcer, keepFocus } from './lib/a11y.js';
import { api, errorText, onUnauthorized } from './lib/api.js';
import { money, rate, shortId } from './lib/format.js';
import { LocaleController, locale, onLocale, t } from './lib/i18n.js';
import type { Change, MeLiveState } from './lib/live.js';
import { currentHash, navigate, parseHash } from './lib/router.js';
import { connection, live, loadSession, session, sessionChanged } from './lib/session.js';
import { StoreController } from './lib/store.js';
import { listingOf, titles } from './lib/titles.js';
import { dismiss, toast, toasts } from './lib/toasts.js';
import type { Role } from './lib/types.js';
import './views/market.js';
import './components/bell.js';

interface RouteDef {
  path: string;
  tag: string;
  load?: () => Promise<unknown>;
  roles?: Role[];
  title: string;
}

const ROUTES: RouteDef[] = [
  { path: 'market', tag: 'lb-market-view', title: 'nav.market' },
  { path: 'listing/:id', tag: 'lb-listing-view', load: () => import('./views/listing.js'), title: 'nav.listing' },
  { path: 'stats', tag: 'lb-stats-view', load: () => import('./views/stats.js'), title: 'nav.stats' },
  { path: 'notes', tag: 'lb-notes-view', load: () => import('./views/notes.js'), title: 'nav.notes' },
  { path: 'login', tag: 'lb-login-view', load: () => import('./views/auth.js'), title: 'nav.login' },
  { path: 'register', tag: 'lb-register-view', load: () => import('./views/auth.js'), title: 'nav.register' },
  { path: 'bids', tag: 'lb-bids-view', load: () => import('./views/bids.js'), roles: ['lender'], title: 'nav.bids' },
  { path: 'autobid', tag: 'lb-autobid-view', load: () => import('./views/autobid.js'), roles: ['lender'], title: 'nav.autobid' },
  { path: 'portfolio', tag: 'lb-portfolio-view', load: () => import('./views/portfolio.js'), roles: ['lender'], title: 'nav.portfolio' },
  { path: 'wallet', tag: 'lb-wallet-view', load: () => import('./views/wallet.js'), roles: ['lender', 'borrower', 'guarantor'], title: 'nav.wallet' },
  { path: 'wallet/annual', tag: 'lb-annual-statement-view', load: () => import('./views/wallet.js'), roles: ['lender', 'borrower', 'guarantor'], title: 'stmt.annualNav' },
  { path: 'account', tag: 'lb-account-view', load: () => import('./views/account.js'), roles: ['lender', 'borrower'], title: 'nav.account' },
  { path: 'borrower/rating', tag: 'lb-rating-view', load: () => import('./views/borrower.js'), roles: ['borrower'], title: 'nav.rating' },
  { path: 'borrower/new', tag: 'lb-new-listing-view', load: () => import('./views/new-listing.js'), roles: ['borrower'], title: 'nav.newListing' },
  { path: 'borrower/listings', tag: 'lb-my-listings-view', load: () => import('./views/borrower.js'), roles: ['borrower'], title: 'nav.myListings' },
  { path: 'borrower/loans', tag: 'lb-my-loans-view', load: () => import('./views/loans.js'), roles: ['borrower'], title: 'nav.loans' },
  { path: 'loan/:id', tag: 'lb-loan-view', load: () => import('./views/loans.js'), roles: ['borrower', 'lender'], title: 'nav.loan' },
  { path: 'admin/settings', tag: 'lb-admin-settings-view', load: () => import('./views/admin.js'), roles: ['operator'], title: 'nav.settings' },
  { path: 'admin/users', tag: 'lb-admin-users-view', load: () => import('./views/admin.js'), roles: ['operator'], title: 'nav.users' },
  { path: 'admin/merchants', tag: 'lb-admin-merchants-view', load: () => import('./views/admin.js'), roles: ['operator'], title: 'nav.merchants' },
  { path: 'admin/partners', tag: 'lb-admin-partners-view', load: () => import('./views/admin.js'), roles: ['operator'], title: 'nav.partners' },
  { path: 'admin/invariants', tag: 'lb-admin-invariants-view', load: () => import('./views/admin.js'), roles: ['operator'], title: 'nav.invariants' },
  { path: 'admin/webhooks', tag: 'lb-admin-webhooks-view', load: () => import('./views/admin.js'), roles: ['operator'], title: 'nav.webhooks' },
  { path: 'admin/defaults', tag: 'lb-admin-defaults-view', load: () => import('./views/stats.js'), roles: ['operator'], title: 'nav.defaults' },
  // Supply-chain finance
  { path: 'borrower/claims', tag: 'lb-claims-view', load: () => import('./views/claims.js'), roles: ['borrower'], title: 'nav.claims' },
  { path: 'admin/core-enterprises', tag: 'lb-admin-core-enterprises-view', load: () => import('./views/core-enterprises.js'), roles: ['operator'], title: 'nav.coreEnterprises' },
  // Third-party guarantors
  { path: 'guarantor', tag: 'lb-guarantor-view', load: () => import('./views/guarantor.js'), roles: ['guarantor'], title: 'nav.guarantor' },
  { path: 'admin/guarantors', tag: 'lb-admin-guarantors-view', load: () => import('./views/guarantor.js'), roles: ['operator'], title: 'nav.adminGuarantors' },
];

const NAV: Record<Role | 'anonymous', (string | null)[]> = {
  anonymous: ['market', 'notes', 'stats'],
  lender: ['market', 'notes', 'bids', 'autobid', 'portfolio', 'wallet', 'account', null, 'stats'],
  borrower: ['borrower/listings', 'borrower/new', 'borrower/loans', 'borrower/claims', 'borrower/rating', 'wallet', 'account', null, 'market', 'stats'],
  operator: ['admin/settings', 'admin/users', 'admin/merchants', 'admin/partners', 'admin/core-enterprises', 'admin/guarantors', 'admin/invariants', 'admin/webhooks', 'admin/defaults', null, 'market', 'stats'],
  guarantor: ['guarantor', 'wallet', null, 'market', 'stats'],
  // An order system's own account works through the signed API; in the app it sees the public pages.
  partner: ['market', 'notes', 'stats'],
};

const HOME: Record<Role | 'anonymous', string> = { anonymous: 'market', lender: 'market', borrower: 'borrower/listings', operator: 'admin/settings', guarantor: 'guarantor', partner: 'market' };

function navLabel(path: string): string {
  return t(ROUTES.find((r) => r.path === path)?.title ?? path);
}

export class LbApp extends LitElement {
  private readonly sessionCtl = new StoreController(this, session);
  private readonly connCtl = new StoreController(this, connection);
  private readonly toastCtl = new StoreController(this, toasts);
  private readonly hashCtl = new StoreController(this, currentHash);
  private menuOpen = false;
  /** The connection pill explains itself when clicked. */
  private connExplained = false;
  private view: HTMLElement | null = null;
  private viewKey = '';
  private offMe: (() => void) | undefined;
  private loadError: unknown = null;
  /** Says "Live connection: Reconnecting" once, not every second of the retry countdown. */
  private readonly connAnnouncer = new Announcer((text) => {
    const region = this.querySelector('[data-testid="announce-connection"]');
    if (region) region.textContent = text;
  });
  /** A route change moves focus to the new page's heading (not on the first load). */
  private focusOnRoute = false;

  constructor() {
    super();
    new LocaleController(this);
    new StoreController(this, titles);
  }

  override createRenderRoot(): HTMLElement {
    return this;
  }

  override connectedCallback(): void {
    super.connectedCallback();
    document.documentElement.lang = locale() === 'zh' ? 'zh-CN' : 'en';
    onLocale((l) => (document.documentElement.lang = l === 'zh' ? 'zh-CN' : 'en'));
    currentHash.subscribe(() => void this.route());
    session.subscribe(() => this.followSession());
    onUnauthorized(() => {
      if (session.value.user) {
        sessionChanged(null);
        toast({ tone: 'warn', kind: 'session', title: t('toast.sessionEnded') });
        void this.route();
      }
    });
    window.addEventListener('online', () => live.reconnect());
    connection.subscribe((info) => {
      // Idle and connecting are passing states (a page without live data, a retry's dial): not news.
      if (info.state === 'open' || info.state === 'reconnecting' || info.state === 'closed') this.connAnnouncer.say(t('conn.announce', { state: t(`conn.${info.state}`) }));
    });
    // The socket was refused for the session (revoked or expired): ask HTTP who we are now.
    connection.subscribe((info) => {
      if (info.state !== 'closed' || info.lastCloseCode !== 4001 || !session.value.user) return;
      void loadSession().then(
        (user) => {
          if (!user) {
            sessionChanged(null);
            toast({ tone: 'warn', kind: 'session', title: t('toast.sessionEnded') });
            void this.route();
          }
        },
        () => undefined,
      );
    });
    // The active language's messages and the session, then the first route.
    void Promise.all([loadMessages(locale()).catch((err: unknown) => (this.loadError = err)), loadSession().catch((err: unknown) => (this.loadError = err))]).finally(() => void this.route());
  }

  override firstUpdated(): void {
    const main = this.querySelector('main');
    if (main) keepFocus(main);
  }

  /** After a route change, focus goes to the new page's heading (or its main region while it loads). */
  private async focusView(view: HTMLElement): Promise<void> {
    await this.updateComplete;
    await (view as HTMLElement & { updateComplete?: Promise<unknown> }).updateComplete;
    if (this.view !== view) return;
    const main = this.querySelector('main') as HTMLElement | null;
    // The heading may come with the page's data: give it a moment, then settle for the main region.
    for (let i = 0; i < 20 && !view.querySelector('h1'); i++) await new Promise((r) => setTimeout(r, 50));
    if (this.view !== view) return;
    const active = document.activeElement;
    if (active && active !== document.body && main?.contains(active) && active !== main) return; // the page focused a field itself
    const h1 = view.querySelector('h1');
    const target = (h1 ?? main) as HTMLElement | null;
    if (!target) return;
    if (!target.hasAttribute('tabindex')) target.setAttribute('tabindex', '-1');
    target.focus({ preventScroll: true });
  }

  /** Subscribes `me` while logged in: toasts and the wallet in the header. */
  private followSession(): void {
    const user = session.value.user;
    if (user && !this.offMe) {
      if (user.role !== 'operator') {
        void api
          .wallet()
          .then((wallet) => session.update({ wallet }))
          .catch(() => undefined);
      }
      this.offMe = live.me((state: MeLiveState, change: Change) => this.onMe(state, change));
    } else if (!user && this.offMe) {
      this.offMe();
      this.offMe = undefined;
    }
  }

  private onMe(state: MeLiveState, change: Change): void {
    if (state.wallet && (change.type === 'snapshot' || (change.type === 'event' && change.event === 'wallet.changed'))) session.update({ wallet: state.wallet });
    if (change.type !== 'event') return;
    const d = (change.data ?? {}) as Record<string, unknown>;
    const n = (k: string) => (typeof d[k] === 'number' ? (d[k] as number) : 0);
    const listingId = typeof d.listingId === 'string' ? d.listingId : '';
    const title = listingId ? (listingOf(listingId)?.title ?? shortId(listingId)) : '';
    const listingHref = listingId ? `#/listing/${listingId}` : undefined;
    const loanHref = typeof d.loanId === 'string' ? `#/loan/${d.loanId}` : undefined;
    switch (change.event) {
      case 'bid.outbid':
        toast({ tone: 'bad', kind: 'outbid', title: t('toast.outbid.title'), body: t('toast.outbid.body', { amount: money(n('amountMinor')), rate: rate(n('rateBps')), title }), ...(listingHref ? { href: listingHref, linkText: t('toast.rebid') } : {}) }, 10_000);
        break;
      case 'bid.filled':
        toast({ tone: 'good', kind: 'filled', title: t('toast.filled.title'), body: t('toast.filled.body', { amount: money(n('fillMinor')), rate: rate(n('rateBps')), title }), ...(loanHref ? { href: loanHref, linkText: t('toast.viewLoan') } : {}) }, 10_000);
        break;
      case 'bid.released':
        toast({ tone: 'info', kind: 'released', title: t('toast.released.title'), body: t('toast.released.body', { amount: money(n('releasedMinor')), title }) });
        break;
      case 'loan.disbursed':
        toast({ tone: 'good', kind: 'disbursed', title: t('toast.disbursed.title'), body: n('disbursementMinor') ? t('toast.disbursed.body', { amount: money(n('disbursementMinor')), title }) : title, ...(loanHref ? { href: loanHref, linkText: t('toast.viewLoan') } : {}) }, 10_000);
        break;
      case 'listing.failed':
        toast({ tone: 'warn', kind: 'failed', title: t('toast.failed.title'), body: t('toast.failed.body', { coverage: money(n('coverageMinor')), required: money(n('requiredMinor')), title }) }, 10_000);
        break;
      case 'payment.received': {
        const total = n('principalMinor') + n('interestMinor') + n('penaltyMinor');
        toast({ tone: 'good', kind: 'payment', title: t('toast.payment.title'), body: t('toast.payment.body', { amount: money(total), principal: money(n('principalMinor')), interest: money(n('interestMinor') + n('penaltyMinor')) }), ...(loanHref ? { href: loanHref, linkText: t('toast.viewLoan') } : {}) });
        break;
      }
      case 'installment.due':
        toast({ tone: 'warn', kind: 'due', title: t('toast.due.title'), body: n('amountMinor') ? t('toast.due.body', { amount: money(n('amountMinor')), date: String(d.dueDate ?? '') }) : '', ...(loanHref ? { href: loanHref, linkText: t('toast.viewLoan') } : {}) }, 10_000);
        break;
      case 'loan.repaid':
        toast({ tone: 'good', kind: 'repaid', title: t('toast.repaid.title'), ...(loanHref ? { href: loanHref, linkText: t('toast.viewLoan') } : {}) });
        break;
      case 'claim.received':
        toast({ tone: 'good', kind: 'claim', title: t('toast.claimReceived.title'), body: t('toast.claimReceived.body', { amount: money(n('amountMinor')), name: String(d.fromName ?? ''), date: String(d.dueDate ?? '') }), href: '#/borrower/claims', linkText: t('nav.claims') }, 10_000);
        break;
      case 'claim.settled':
        toast({ tone: 'good', kind: 'claim', title: t('toast.claimSettled.title'), body: t('toast.claimSettled.body', { loan: money(n('toLoanMinor')), you: money(n('toHolderMinor')) }), href: '#/borrower/claims', linkText: t('nav.claims') }, 10_000);
        break;
      // Third-party guarantees (docs/guarantees.md).
      case 'guarantee.requested':
        toast({ tone: 'info', kind: 'guarantee', title: t('toast.guaranteeRequested'), body: `${String(d.merchantName ?? '')} · ${money(n('amountMinor'))}`, href: '#/guarantor', linkText: t('nav.guarantor') }, 10_000);
        break;
      case 'guarantee.accepted':
        if (session.value.user?.role === 'borrower') toast({ tone: 'good', kind: 'guarantee', title: t('toast.guaranteeAccepted'), ...(listingHref ? { href: listingHref } : {}) }, 10_000);
        break;
      case 'guarantee.declined':
        if (session.value.user?.role === 'borrower') toast({ tone: 'warn', kind: 'guarantee', title: t('toast.guaranteeDeclined'), ...(listingHref ? { href: listingHref } : {}) }, 10_000);
        break;
      case 'guarantee.owed':
        toast({ tone: 'bad', kind: 'guarantee', title: t('toast.guaranteeOwed'), body: money(n('owedMinor')), ...(loanHref && session.value.user?.role !== 'guarantor' ? { href: loanHref, linkText: t('toast.viewLoan') } : { href: '#/guarantor' }) }, 12_000);
        break;
      case 'guarantee.paid':
        toast({ tone: 'good', kind: 'guarantee', title: t('toast.guaranteePaid'), body: money(n('paidMinor')) });
        break;
      case 'loan.defaulted':
        toast({ tone: 'bad', kind: 'defaulted', title: t('toast.defaulted.title'), ...(loanHref ? { href: loanHref, linkText: t('toast.viewLoan') } : {}) }, 12_000);
        break;
      // The secondary market (docs/transfers.md).
      case 'note.sold':
        toast({ tone: 'good', kind: 'sold', title: t('toast.sold.title'), body: t('toast.sold.body', { amount: money(n('principalMinor')), received: money(n('receivedMinor')), fee: money(n('feeMinor')) }), href: '#/portfolio', linkText: t('nav.portfolio') }, 10_000);
        break;
      case 'note.bought':
        toast({ tone: 'good', kind: 'bought', title: t('toast.bought.title'), body: t('toast.bought.body', { amount: money(n('principalMinor')), paid: money(n('paidMinor')) }), ...(loanHref ? { href: loanHref, linkText: t('toast.viewLoan') } : {}) });
        break;
      case 'offer.ended':
        toast({ tone: 'warn', kind: 'offer-ended', title: t('toast.offerEnded.title'), body: t(`trade.ended.${typeof d.endReason === 'string' && ['expired', 'past_due', 'defaulted', 'repaid_below_offer', 'last_installment'].includes(d.endReason) ? d.endReason : 'other'}`) }, 10_000);
        break;
      default:
        break;
    }
  }

  /** Counts route changes: a view module that finishes loading after a newer route began is not shown. */
  private routeSeq = 0;

  private async route(): Promise<void> {
    if (!session.value.loaded) return;
    const seq = ++this.routeSeq;
    const user = session.value.user;
    const home = HOME[user?.role ?? 'anonymous'];
    const parsed = parseHash(location.hash, ROUTES.map((r) => r.path));
    const def = ROUTES.find((r) => r.path === parsed.pattern);
    this.menuOpen = false;
    if (!def) {
      navigate(home, undefined, true);
      return;
    }
    if (def.roles && (!user || !def.roles.includes(user.role))) {
      if (!user) navigate('login', { next: location.hash.slice(1) }, true);
      else navigate(home, undefined, true);
      return;
    }
    if ((def.path === 'login' || def.path === 'register') && user) {
      navigate(home, undefined, true);
      return;
    }
    if (def.load) {
      try {
        await def.load();
      } catch (err) {
        if (seq !== this.routeSeq) return;
        this.loadError = err;
        this.requestUpdate();
        return;
      }
      // The address moved on while this view's module loaded (a click, a redirect after logging in):
      // showing it now would put the old page under the new address.
      if (seq !== this.routeSeq) return;
    }
    const key = `${def.tag}|${JSON.stringify(parsed.params)}`;
    if (!this.view || this.view.localName !== def.tag || this.viewKey !== key) {
      this.view = document.createElement(def.tag);
      this.viewKey = key;
      window.scrollTo(0, 0);
      if (this.focusOnRoute) void this.focusView(this.view);
      this.focusOnRoute = true;
    }
    Object.assign(this.view, { params: parsed.params, query: parsed.query });
    document.title = `${t(def.title)} · Lendbook`;
    this.loadError = null;
    this.requestUpdate();
  }

  private async logout(): Promise<void> {
    try {
      await api.logout();
    } catch {
      /* the session is gone either way */
    }
    sessionChanged(null);
    navigate('market');
    toast({ tone: 'info', kind: 'logout', title: t('toast.loggedOut') }, 4000);
  }

  private renderConnection() {
    const info = this.connCtl.value;
    const retryIn = info.nextRetryAtMs ? Math.max(0, Math.ceil((info.nextRetryAtMs - Date.now()) / 1000)) : null;
    // The pill is a button that explains itself; what a screen reader hears of the connection comes from
    // the throttled region below it (state changes only), not from the ticking retry countdown.
    return html`<span class="conn" data-testid="connection-state" data-state=${info.state}>
      <button type="button" class="conn-btn" aria-expanded=${this.connExplained ? 'true' : 'false'} aria-controls="conn-explain" title=${t(`conn.${info.state}.title`)}
        @click=${() => { this.connExplained = !this.connExplained; this.requestUpdate(); }}>
        <span class="dot" aria-hidden="true"></span>
        <span>${t(`conn.${info.state}`)}${info.state === 'reconnecting' && retryIn !== null ? html` <span class="hide-sm">· ${t('conn.retryIn', { s: retryIn })}</span>` : nothing}</span>
      </button>
      ${info.state === 'reconnecting' || info.state === 'closed' ? html`<button type="button" class="link-btn" @click=${() => live.reconnect()}>${t('conn.retry')}</button>` : nothing}
      <span id="conn-explain" class="conn-explain" data-testid="conn-explain" ?hidden=${!this.connExplained}><strong>${t(`conn.${info.state}`)}</strong> — ${t(`conn.${info.state}.title`)}. ${t('conn.explain')}</span>
    </span>
    <span class="sr-only" aria-live="polite" aria-atomic="true" data-testid="announce-connection"></span>`;
  }

  override render() {
    const { user, wallet, loaded } = this.sessionCtl.value;
    const role = user?.role ?? 'anonymous';
    const parsed = parseHash(this.hashCtl.value, ROUTES.map((r) => r.path));
    const active = parsed.pattern.startsWith('listing') ? 'market' : parsed.pattern === 'loan/:id' ? (role === 'lender' ? 'portfolio' : 'borrower/loans') : parsed.pattern;
    const other = locale() === 'zh' ? 'en' : 'zh';
    return html`
      <a class="skip" href="#main" @click=${(e: Event) => { e.preventDefault(); (this.querySelector('main') as HTMLElement | null)?.focus(); }}>${t('nav.skip')}</a>
      <header class="topbar">
        <a class="brand" href="#/${HOME[role]}"><span class="logo" aria-hidden="true">L</span>Lendbook <small>${t('brand.tagline')}</small></a>
        <button class="menu-btn ghost" aria-expanded=${this.menuOpen} aria-controls="nav" @click=${() => { this.menuOpen = !this.menuOpen; this.requestUpdate(); }}>☰ <span class="sr-only">${t('nav.menu')}</span></button>
        <nav id="nav" class="nav ${this.menuOpen ? 'open' : ''}" aria-label=${t('nav.main')}>
          ${NAV[role].map((p) => (p === null ? html`<span class="sep" aria-hidden="true"></span>` : html`<a href="#/${p}" aria-current=${active === p ? 'page' : 'false'} data-testid="nav-${p.replace('/', '-')}">${navLabel(p)}</a>`))}
        </nav>
        <div class="tools">
          ${this.renderConnection()}
          ${wallet && user && user.role !== 'operator'
            ? html`<a class="wallet-pill hide-sm" href="#/wallet" data-testid="header-wallet" title=${t('wallet.available')}>${money(wallet.availableMinor)}<small>${t('wallet.heldShort', { amount: money(wallet.heldMinor) })}</small></a>`
            : nothing}
          <button class="ghost" data-testid="lang-switch" lang=${other === 'zh' ? 'zh-CN' : 'en'} @click=${() => void switchLocale(other)} title=${t('nav.language')}>${other === 'zh' ? '中文' : 'English'}</button>
          ${user ? html`<lb-bell></lb-bell>` : nothing}
          ${user
            ? html`<span class="user hide-md" title=${user.email}>${user.displayName}</span><button class="ghost" data-testid="logout" @click=${() => void this.logout()}>${t('nav.logout')}</button>`
            : loaded
              ? html`<a class="btn ghost" href="#/login" data-testid="nav-login">${t('nav.login')}</a><a class="btn primary hide-sm" href="#/register" data-testid="nav-register">${t('nav.register')}</a>`
              : nothing}
        </div>
      </header>
      ${this.connCtl.value.state === 'closed' && this.connCtl.value.lastCloseCode === 4001 ? html`<div class="banner" role="alert">${t('conn.sessionRefused')}</div>` : nothing}
      <main id="main" tabindex="-1">
        ${this.loadError ? html`<div class="error" role="alert">${errorText(this.loadError)} <button class="link-btn" @click=${() => location.reload()}>${t('common.reload')}</button></div>` : nothing}
        ${loaded ? this.view : html`<p class="muted">${t('common.loading')}</p>`}
      </main>
      <footer class="footer">${t('footer.disclaimer')} · <a href="#/stats">${t('nav.stats')}</a> · <a href="/docs" target="_blank" rel="noopener">API</a></footer>
      <div class="toasts" aria-live="polite" aria-relevant="additions">
        ${this.toastCtl.value.map(
          (x) => html`<div class="toast" data-testid="toast" data-kind=${x.kind} data-tone=${x.tone}>
            <span class="bar" aria-hidden="true"></span>
            <div><strong>${x.title}</strong>${x.body ? html`<p>${x.body}</p>` : nothing}${x.href ? html`<a href=${x.href} @click=${() => dismiss(x.id)}>${x.linkText ?? t('common.open')}</a>` : nothing}</div>
            <button aria-label=${t('common.close')} @click=${() => dismiss(x.id)}>×</button>
          </div>`,
        )}
      </div>
    `;
  }
}
customElements.define('lb-app', LbApp);

// The countdown in the header retry text follows time; refresh it while reconnecting.
setInterval(() => {
  if (connection.value.state === 'reconnecting') connection.set({ ...connection.value });
}, 1000);
