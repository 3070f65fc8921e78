import { LitElement, html, type TemplateResult } from 'lit';
import { errorText } from '../lib/api.js';
import { LocaleController } from '../lib/i18n.js';
import { session } from '../lib/session.js';
import { StoreController } from '../lib/store.js';

/**
 * Base of the app's views: light DOM (the page stylesheet applies; e2e tests see plain elements),
 * re-rendered on a locale or session change, with route params and query set by the shell and
 * clean-up functions run when the view leaves the page.
 */
export class View extends LitElement {
  static override properties = {
    params: { attribute: false },
    query: { attribute: false },
  };
  declare params: Record<string, string>;
  declare query: URLSearchParams;
  protected readonly sessionState = new StoreController(this, session);
  private disposers: (() => void)[] = [];

  constructor() {
    super();
    this.params = {};
    this.query = new URLSearchParams();
    new LocaleController(this);
  }

  override createRenderRoot(): HTMLElement {
    return this;
  }

  get user() {
    return this.sessionState.value.user;
  }

  /** Runs `dispose` when the view is removed. */
  protected own(dispose: () => void): void {
    this.disposers.push(dispose);
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    for (const d of this.disposers.splice(0)) {
      try {
        d();
      } catch {
        /* keep disposing the rest */
      }
    }
  }
}

export function errorBox(err: unknown, testid = 'form-error'): TemplateResult {
  return html`<p class="error" role="alert" data-testid=${testid}>${errorText(err)}</p>`;
}
