/**
 * The notification centre in the header (docs/notifications.md): a bell with the unread count, a list of
 * the latest notifications in the user's language, marking read. Stored on the server, so a reload keeps
 * them; refreshed when the `me` channel brings an event worth a notification.
 */
import { LitElement, html, nothing } from 'lit';
import { api } from '../lib/api.js';
import { dateTime } from '../lib/format.js';
import { LocaleController, locale, onLocale, t } from '../lib/i18n.js';
import { live, session } from '../lib/session.js';
import type { NotificationItem } from '../lib/types.js';

/** `me` events that the server turns into notifications (src/domain/notifications kindOfEvent). */
const NOTIFYING = new Set(['bid.outbid', 'bid.filled', 'bid.released', 'listing.failed', 'loan.disbursed', 'installment.due', 'payment.received', 'loan.repaid', 'loan.defaulted', 'account.frozen']);

export class NotificationBell extends LitElement {
  static override properties = { items: { state: true }, unread: { state: true }, open: { state: true } };
  declare items: NotificationItem[];
  declare unread: number;
  declare open: boolean;
  private offMe: (() => void) | undefined;
  private offLocale: (() => void) | undefined;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private readonly onDocClick = (e: MouseEvent) => {
    if (this.open && !this.contains(e.target as Node)) this.open = false;
  };

  constructor() {
    super();
    this.items = [];
    this.unread = 0;
    this.open = false;
    new LocaleController(this);
  }

  override createRenderRoot(): HTMLElement {
    return this;
  }

  override connectedCallback(): void {
    super.connectedCallback();
    void this.load();
    // The server writes e-mails in the app's language as last used.
    void api.putNotificationPrefs({ locale: locale() }).catch(() => undefined);
    this.offLocale = onLocale((l) => {
      void api.putNotificationPrefs({ locale: l }).catch(() => undefined);
      void this.load();
    });
    this.offMe = live.me((_s, change) => {
      if (change.type === 'event' && NOTIFYING.has(change.event)) this.soon();
    });
    document.addEventListener('click', this.onDocClick);
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    this.offMe?.();
    this.offLocale?.();
    if (this.timer) clearTimeout(this.timer);
    document.removeEventListener('click', this.onDocClick);
  }

  /** Several events of one clearing arrive together: one refresh for them. */
  private soon(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.load(), 300);
  }

  private async load(): Promise<void> {
    if (!session.value.user) return;
    try {
      const page = await api.notifications(locale());
      this.items = page.items;
      this.unread = page.unread;
    } catch {
      /* the bell stays as it was; the next event or reload tries again */
    }
  }

  private async readAll(): Promise<void> {
    this.unread = (await api.markNotificationsRead({ all: true })).unread;
    this.items = this.items.map((n) => ({ ...n, readAt: n.readAt ?? new Date().toISOString() }));
  }

  private async follow(n: NotificationItem): Promise<void> {
    if (!n.readAt) {
      this.unread = (await api.markNotificationsRead({ ids: [n.id] })).unread;
      this.items = this.items.map((x) => (x.id === n.id ? { ...x, readAt: new Date().toISOString() } : x));
    }
    this.open = false;
    if (n.href) location.hash = n.href;
  }

  override render() {
    return html`<div class="bell">
      <button class="ghost bell-btn" aria-haspopup="true" aria-expanded=${this.open} data-testid="bell" @click=${() => (this.open = !this.open)} aria-label=${t('bell.label', { n: this.unread })} title=${t('bell.label', { n: this.unread })}>
        <svg aria-hidden="true" width="18" height="18" viewBox="0 0 24 24" fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round" stroke-linejoin="round"><path d="M18 8a6 6 0 0 0-12 0c0 7-3 9-3 9h18s-3-2-3-9"/><path d="M13.73 21a2 2 0 0 1-3.46 0"/></svg>${this.unread > 0 ? html`<span class="bell-count" data-testid="bell-count">${this.unread > 99 ? '99+' : this.unread}</span>` : nothing}
      </button>
      ${this.open
        ? html`<div class="bell-panel" role="dialog" aria-label=${t('bell.title')} data-testid="bell-panel">
            <div class="row"><strong>${t('bell.title')}</strong><span class="spacer"></span>
              ${this.unread > 0 ? html`<button class="link-btn" data-testid="bell-read-all" @click=${() => void this.readAll()}>${t('bell.readAll')}</button>` : nothing}
              <a class="small" href="#/account" @click=${() => (this.open = false)}>${t('bell.settings')}</a></div>
            ${this.items.length === 0 ? html`<p class="muted small">${t('bell.empty')}</p>` : nothing}
            <ul>
              ${this.items.map(
                (n) => html`<li class=${n.readAt ? 'read' : 'unread'} data-testid="notification" data-kind=${n.kind} data-read=${n.readAt ? 'true' : 'false'}>
                  <button class="link-btn" @click=${() => void this.follow(n)}><strong>${n.title}</strong></button>
                  <p>${n.body}</p><small class="muted">${dateTime(n.createdAt)}</small>
                </li>`,
              )}
            </ul>
          </div>`
        : nothing}
    </div>`;
  }
}
customElements.define('lb-bell', NotificationBell);
