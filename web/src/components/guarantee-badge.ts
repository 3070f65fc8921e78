import { LitElement, css, html, nothing } from 'lit';
import { LocaleController, t } from '../lib/i18n.js';
import type { ListingGuarantee } from '../lib/types.js';

/**
 * `<lb-guarantee-badge .guarantee=${g}>`: a third-party guarantee behind a listing, with its coverage
 * (docs/guarantees.md). Red when the guarantor is overdue on what it owes. Nothing without a guarantee.
 */
export class LbGuaranteeBadge extends LitElement {
  static override properties = { guarantee: { attribute: false } };
  declare guarantee: ListingGuarantee | undefined;
  static override styles = css`
    span { display: inline-flex; align-items: center; gap: 0.25em; padding: 0.05em 0.45em; border-radius: 999px; font-size: 0.78em; font-weight: 600;
      background: #e6f4ea; color: #0b5a26; border: 1px solid #8cc79f; white-space: nowrap; }
    span.overdue { background: #fdecea; color: #8a1c12; border-color: #e5a39b; }
  `;

  constructor() {
    super();
    new LocaleController(this);
    this.guarantee = undefined;
  }

  override render() {
    const g = this.guarantee;
    if (!g || g.status === 'declined' || g.status === 'ended') return nothing;
    return html`<span class=${g.overdue ? 'overdue' : ''} part="badge" data-testid="guarantee-badge" title=${t('guarantee.badgeTitle', { name: g.guarantorName, pct: g.coveragePct })}
      >🛡<span style="all:unset">${t('guarantee.badge', { pct: g.coveragePct })}</span></span
    >`;
  }
}
customElements.define('lb-guarantee-badge', LbGuaranteeBadge);
