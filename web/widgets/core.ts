/**
 * What the three widgets share: where Lendbook is (the origin v1.js was loaded from), the page's one
 * live client per publishable key, the widget data API, and the base element (loading, errors, events,
 * language, teardown).
 */
import { LitElement, css, html, nothing, type CSSResultGroup, type PropertyValues, type TemplateResult } from 'lit';
import type { paths } from '../../sdk/src/api-types.js';
import type { ListingSummary } from '../src/lib/types.js';
import { setServerOffset } from '../src/lib/format.js';
import { LocaleController, setScopeLocale, t, withLocale, type Locale } from '../src/lib/i18n.js';
import { LiveClient, liveUrl, type ConnectionInfo } from '../src/lib/live.js';
import './messages.js';
import type { WidgetMerchant } from './merchant.js';
import type { WidgetOffer } from './order-offer.js';

/** The Lendbook server: the origin this module was loaded from (`<script src="https://…/widgets/v1.js">`). */
export const ORIGIN = new URL(import.meta.url).origin;

/** A page of the app, opened in a new tab. */
export function appUrl(hashPath: string): string {
  return `${ORIGIN}/#/${hashPath}`;
}

// ---- one live client per page (per Lendbook origin and publishable key) ----

interface SharedClient {
  readonly client: LiveClient;
  users: number;
}
const clients = new Map<string, SharedClient>();

export interface LiveLease {
  readonly client: LiveClient;
  release(): void;
}

/**
 * The page's live client for this key, created on first use. Every widget with the same key shares it
 * (so five widgets are one socket); when the last one lets go the socket is closed and forgotten.
 */
export function leaseLive(key: string): LiveLease {
  const id = `${ORIGIN}|${key}`;
  let shared = clients.get(id);
  if (!shared) {
    const client = new LiveClient(liveUrl(new URL(ORIGIN), { key }), globalThis.WebSocket, { idleCloseMs: 1000 });
    shared = { client, users: 0 };
    clients.set(id, shared);
  }
  shared.users++;
  const s = shared;
  let released = false;
  return {
    client: s.client,
    release() {
      if (released) return;
      released = true;
      s.users--;
      // A widget moved in the DOM or switched listing takes a lease again in the same task.
      queueMicrotask(() => {
        if (s.users > 0 || clients.get(id) !== s) return;
        clients.delete(id);
        s.client.close();
      });
    },
  };
}

/** For tests and diagnostics: how many live clients (sockets) the widgets of this page hold. */
export function liveClientCount(): number {
  return clients.size;
}

// ---- widget data API ----

export class WidgetError extends Error {
  override name = 'WidgetError';
  constructor(
    readonly code: string,
    readonly status: number,
    detail = '',
  ) {
    super(detail || code);
  }
}

/** The widget data endpoints of the API (GET, a publishable `key` in the query). */
export type WidgetPath = Extract<keyof paths, `/api/v1/widgets/${string}`>;
/** A widget endpoint's path parameters, as the contract names them. */
export type WidgetParams<P extends WidgetPath> = paths[P]['get']['parameters']['path'];

/** A widget endpoint's 200 body, as the contract describes it. */
export type WidgetAnswer<P extends WidgetPath> = paths[P]['get']['responses'][200]['content']['application/json'];

/** `/api/v1/widgets/listings/{id}` with `{ id: 'l 1' }` → `/api/v1/widgets/listings/l%201`. */
function fillPath(template: string, params: Record<string, string>): string {
  return template.replace(/\{([^}]+)\}/g, (_, name: string) => encodeURIComponent(params[name] ?? ''));
}

/**
 * GET a widget endpoint (`/api/v1/widgets/…?key=…`) from this page; the path template, its parameters
 * and the answer's type come from the generated contract. (openapi-fetch would do the same but takes
 * the module over its gzip budget.) A key used from an origin it does not allow gets no CORS header, so
 * the browser reads nothing at all: that is `UNAVAILABLE`.
 */
export async function widgetGet<P extends WidgetPath>(path: P, params: WidgetParams<P>, key: string, signal: AbortSignal): Promise<WidgetAnswer<P>> {
  // The publishable key is the operation's security (an API key in the query), not a declared parameter.
  const query = { key };
  let res: Response;
  try {
    res = await fetch(`${ORIGIN}${fillPath(path, params)}?${new URLSearchParams(query)}`, { mode: 'cors', credentials: 'omit', signal });
  } catch (err) {
    if (signal.aborted) throw err;
    throw new WidgetError('UNAVAILABLE', 0);
  }
  const now = Number(res.headers.get('x-lendbook-now'));
  if (Number.isSafeInteger(now) && now > 0) setServerOffset(now - Date.now());
  if (!res.ok) {
    let code = `HTTP_${res.status}`;
    let detail = '';
    try {
      const problem = (await res.json()) as { code?: string; detail?: string };
      if (typeof problem.code === 'string') code = problem.code;
      if (typeof problem.detail === 'string') detail = problem.detail;
    } catch {
      /* not problem+json */
    }
    throw new WidgetError(code, res.status, detail);
  }
  // The one cast: JSON.parse cannot know its type; the body is the contract's answer for this path.
  return (await res.json()) as WidgetAnswer<P>;
}

// ---- language ----

function localeOfTag(tag: string | null | undefined): Locale | null {
  if (!tag) return null;
  const low = tag.toLowerCase();
  return low.startsWith('zh') ? 'zh' : 'en';
}

/** The element's `lang`, else its nearest ancestor's, else the document's, else the browser's. */
function resolveLocale(el: HTMLElement): Locale {
  const own = el.closest('[lang]:not([lang=""])')?.getAttribute('lang');
  return localeOfTag(own) ?? localeOfTag(document.documentElement.lang) ?? localeOfTag(navigator.language) ?? 'en';
}

/** Asks every Lit element under `root` (through shadow roots) to render again: its language changed. */
function refreshTree(root: ParentNode): void {
  for (const el of root.querySelectorAll('*')) {
    const lit = el as Partial<LitElement>;
    if (typeof lit.requestUpdate === 'function') lit.requestUpdate();
    if (el.shadowRoot) refreshTree(el.shadowRoot);
  }
}

const connected = new Set<LendbookWidget>();
let langObserver: MutationObserver | undefined;

function watchDocumentLang(on: boolean): void {
  if (on && !langObserver && typeof MutationObserver !== 'undefined') {
    langObserver = new MutationObserver(() => {
      for (const w of connected) w.followLanguage();
    });
    langObserver.observe(document.documentElement, { attributes: true, attributeFilter: ['lang'] });
  } else if (!on && langObserver) {
    langObserver.disconnect();
    langObserver = undefined;
  }
}

// ---- the base element ----

export type WidgetName = 'listing' | 'merchant' | 'order-offer';
export type WidgetState = 'loading' | 'ready' | 'error';

/** `lendbook-error` detail. */
export interface WidgetErrorDetail {
  widget: WidgetName;
  /** A code of docs/errors.md (NOT_FOUND, …), UNAVAILABLE (nothing readable came back), MISSING_ATTRIBUTE or HTTP_<status>. */
  code: string;
  /** HTTP status, 0 when none could be read. */
  status: number;
  message: string;
}

export const widgetStyles = css`
  :host { display: block; contain: content; }
  :host([hidden]) { display: none; }
  /* The host page's inherited styles stop here: only --lb-* custom properties come through. */
  .root {
    all: initial; display: block; visibility: inherit; box-sizing: border-box; position: relative;
    font: 400 14px/1.45 var(--lb-font, system-ui, -apple-system, 'PingFang SC', 'Noto Sans CJK SC', sans-serif);
    color: var(--lb-text, #111827);
  }
  .root *, .root *::before, .root *::after { box-sizing: border-box; }
  .box {
    display: grid; gap: 0.55em; padding: 0.9em 1em;
    background: var(--lb-surface, #fff); border: 1px solid var(--lb-border, #e5e7eb); border-radius: var(--lb-radius, 10px);
  }
  .muted { color: var(--lb-muted, #6b7280); }
  .skeleton { min-height: 6.5em; align-content: center; color: var(--lb-muted, #6b7280); font-size: 0.9em; }
  .error { border-color: var(--lb-bad, #dc2626); }
  .error strong { color: var(--lb-bad, #dc2626); font-weight: 600; }
  .error p { margin: 0; font-size: 0.9em; }
  .error code { font: 0.85em ui-monospace, SFMono-Regular, Menlo, monospace; color: var(--lb-muted, #6b7280); }
  button.retry {
    justify-self: start; font: inherit; font-size: 0.85em; cursor: pointer; padding: 0.3em 0.8em; border-radius: 999px;
    color: var(--lb-accent, #2563eb); background: transparent; border: 1px solid currentColor;
  }
  button.retry:focus-visible { outline: 2px solid var(--lb-accent, #2563eb); outline-offset: 2px; }
  .brand {
    display: flex; justify-content: flex-end; align-items: center; gap: 0.35em; margin-top: 0.3em;
    font-size: 0.72em; color: var(--lb-muted, #6b7280); letter-spacing: 0.02em;
  }
  .brand a { color: inherit; text-decoration: none; }
  .brand a:hover { text-decoration: underline; }
  .dot { width: 0.55em; height: 0.55em; border-radius: 50%; background: var(--lb-muted, #9ca3af); display: inline-block; }
  .dot[data-state='open'] { background: var(--lb-good, #16a34a); }
  .dot[data-state='connecting'], .dot[data-state='reconnecting'] { background: var(--lb-warn, #f59e0b); }
  .dot[data-state='closed'] { background: var(--lb-bad, #dc2626); }
`;

/** Codes with a message of their own (others show the server's detail). */
const KNOWN_ERRORS = ['UNAVAILABLE', 'NOT_FOUND', 'MERCHANT_NOT_FOUND', 'PUBLISHABLE_KEY_INVALID', 'ORIGIN_NOT_ALLOWED', 'RATE_LIMITED'];

/** Parts of <lb-listing-status> a widget passes on to the host page. */
export const LISTING_PARTS = 'card, header, title, rate, meta, bar, footer, status, grade, track, fill, min, funded-label, time, extended';

/**
 * A Lendbook widget: reads `data-key` and `lang`, loads its data when connected and whenever the
 * attributes that decide it change, shows loading / error / data, fires `lendbook-ready`,
 * `lendbook-update` and `lendbook-error`, and gives everything back when removed.
 */
export abstract class LendbookWidget extends LitElement {
  static override properties = {
    key: { type: String, attribute: 'data-key' },
    langAttr: { type: String, attribute: 'lang' },
    state: { type: String, reflect: true },
    error: { state: true },
    connection: { state: true },
  };
  declare key: string;
  declare langAttr: string | null;
  /** Reflected as the `state` attribute: loading, ready or error (host pages may style on it). */
  declare state: WidgetState;
  declare error: WidgetErrorDetail | null;
  declare connection: ConnectionInfo['state'] | null;

  abstract readonly widget: WidgetName;
  /** Bumped on every (re)load: answers of an older configuration are dropped. */
  protected generation = 0;
  private loadedFor: string | null = null;
  private abort: AbortController | undefined;
  private cleanups: (() => void)[] = [];
  private lease: LiveLease | undefined;
  private teardownQueued = false;
  private currentLocale: Locale | null = null;

  constructor() {
    super();
    this.key = '';
    this.langAttr = null;
    this.state = 'loading';
    this.error = null;
    this.connection = null;
    new LocaleController(this);
  }

  static override styles: CSSResultGroup = widgetStyles;

  /** Attribute values that decide what is loaded, or the names of the missing required ones. */
  protected abstract target(): { id: string } | { missing: string[] };
  /** Loads the data (and subscribes): check `gen === this.generation` after every await. */
  protected abstract load(signal: AbortSignal, gen: number): Promise<void>;
  /** Forget the data of the previous configuration. */
  protected abstract reset(): void;
  protected abstract renderData(): TemplateResult | typeof nothing;

  override connectedCallback(): void {
    super.connectedCallback();
    connected.add(this);
    watchDocumentLang(true);
    this.followLanguage();
    if (this.teardownQueued) this.teardownQueued = false; // moved within the page: keep everything
    else this.requestUpdate();
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    connected.delete(this);
    if (connected.size === 0) watchDocumentLang(false);
    this.teardownQueued = true;
    queueMicrotask(() => {
      if (!this.teardownQueued || this.isConnected) return;
      this.teardownQueued = false;
      this.teardown();
      this.loadedFor = null;
    });
  }

  /** Picks up a changed `lang` (own, an ancestor's on connect, or the document's). */
  followLanguage(): void {
    const l = resolveLocale(this);
    if (l === this.currentLocale) return;
    this.currentLocale = l;
    setScopeLocale(this, l);
    this.requestUpdate();
    if (this.shadowRoot) refreshTree(this.shadowRoot);
  }

  protected override willUpdate(changed: PropertyValues): void {
    if (changed.has('langAttr' as keyof this)) this.followLanguage();
    if (!this.isConnected) return;
    const target = this.target();
    const key = this.key?.trim() ?? '';
    const id = 'missing' in target || !key ? `missing:${'missing' in target ? target.missing.join(',') : ''}:${key}` : `${key}|${target.id}`;
    if (id === this.loadedFor) return;
    this.loadedFor = id;
    this.teardown();
    this.reset();
    const gen = ++this.generation;
    const missing = [...('missing' in target ? target.missing : []), ...(key ? [] : ['data-key'])];
    if (missing.length) {
      this.fail({ code: 'MISSING_ATTRIBUTE', status: 0, text: missing.join(', ') }, gen);
      return;
    }
    this.state = 'loading';
    this.error = null;
    const abort = new AbortController();
    this.abort = abort;
    this.load(abort.signal, gen).catch((err: unknown) => {
      if (abort.signal.aborted || gen !== this.generation) return;
      const code = err instanceof WidgetError ? err.code : 'CLIENT_ERROR';
      const status = err instanceof WidgetError ? err.status : 0;
      this.fail({ code, status, text: err instanceof WidgetError && err.message !== code ? err.message : '' }, gen);
    });
  }

  /** `text`: the names of missing attributes, or the server's detail for a code without a message here. */
  private fail(e: { code: string; status: number; text: string }, gen: number): void {
    if (gen !== this.generation) return;
    this.errorText = e.text;
    const message = withLocale(this.currentLocale, () => this.errorMessage(e.code, e.text));
    this.error = { widget: this.widget, code: e.code, status: e.status, message };
    this.state = 'error';
    this.emit('lendbook-error', this.error, gen);
  }

  private errorText = '';

  /** The error in words, in the widget's language (render calls it again when the language changes). */
  private errorMessage(code: string, text: string): string {
    if (code === 'MISSING_ATTRIBUTE') return t('w.error.MISSING_ATTRIBUTE', { names: text });
    if (KNOWN_ERRORS.includes(code)) return t(`w.error.${code}`);
    return text || t('w.error.other', { code });
  }

  /** Ends the current configuration: aborts the fetch, unsubscribes, gives the live client back. */
  private teardown(): void {
    this.generation++;
    this.abort?.abort();
    this.abort = undefined;
    for (const off of this.cleanups.splice(0)) {
      try {
        off();
      } catch {
        /* keep tearing down */
      }
    }
    this.lease?.release();
    this.lease = undefined;
    this.connection = null;
  }

  /** Runs `off` when this configuration ends. */
  protected own(off: () => void): void {
    this.cleanups.push(off);
  }

  /** The page's live client for this widget's key, held until the configuration ends. */
  protected live(): LiveClient {
    if (!this.lease) {
      const lease = leaseLive(this.key.trim());
      this.lease = lease;
      this.own(lease.client.onConnection((info) => (this.connection = info.state)));
    }
    return this.lease.client;
  }

  protected ready(detail: Record<string, unknown>, gen: number): void {
    if (gen !== this.generation) return;
    this.state = 'ready';
    this.error = null;
    this.emit('lendbook-ready', { widget: this.widget, ...detail }, gen);
  }

  /**
   * Fires a bubbling, composed CustomEvent once the element has rendered what the event reports (so a
   * listener sees it on screen), unless the configuration changed meanwhile.
   */
  protected emit(type: 'lendbook-ready' | 'lendbook-update' | 'lendbook-error', detail: object, gen: number): void {
    void this.updateComplete.then(() => {
      if (gen === this.generation) this.dispatchEvent(new CustomEvent(type, { detail, bubbles: true, composed: true }));
    });
  }

  /** Loads again (the error state's button, or a host page calling it). */
  reload(): void {
    this.loadedFor = null;
    this.requestUpdate();
  }

  protected renderBrand(href: string): TemplateResult {
    const state = this.connection;
    return html`<div class="brand" part="brand">
      ${state ? html`<span class="dot" part="live" data-state=${state} title=${t(`w.live.${state}`)} aria-label=${t(`w.live.${state}`)} role="img"></span>` : nothing}
      <a href=${href} target="_blank" rel="noopener">${t('w.brand')}</a>
    </div>`;
  }

  override render() {
    if (this.state === 'error' && this.error) {
      const e = this.error;
      return html`<div class="root" part="root" data-state="error">
        <div class="box error" part="error" role="alert" data-testid="widget-error" data-code=${e.code}>
          <strong>${t('w.error.title')}</strong>
          <p>${this.errorMessage(e.code, this.errorText)}</p>
          <code>${e.code}</code>
          ${e.code !== 'MISSING_ATTRIBUTE' ? html`<button class="retry" part="retry" @click=${() => this.reload()}>${t('w.retry')}</button>` : nothing}
        </div>
      </div>`;
    }
    const data = this.state === 'ready' ? this.renderData() : nothing;
    if (data === nothing) {
      return html`<div class="root" part="root" data-state="loading"><div class="box skeleton" part="loading" aria-busy="true">${t('w.loading')}</div></div>`;
    }
    return html`<div class="root" part="root" data-state="ready">${data}</div>`;
  }
}

/** Defines an element once: loading v1.js twice (or two versions) must not throw. */
export function define(name: string, ctor: CustomElementConstructor): void {
  if (typeof customElements !== 'undefined' && !customElements.get(name)) customElements.define(name, ctor);
}
