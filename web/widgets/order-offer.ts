import { css, html, nothing } from 'lit';
import '../src/components/grade.js';
import { money } from '../src/lib/format.js';
import { has, t } from '../src/lib/i18n.js';
import { LendbookWidget, appUrl, widgetGet, widgetStyles } from './core.js';
import type { WidgetOrderOffer } from '../src/lib/types.js';

/** GET /api/v1/widgets/merchants/:ref/orders/:orderId/offer */
/** GET /api/v1/widgets/merchants/:ref/orders/:orderId/offer */
export type WidgetOffer = Omit<WidgetOrderOffer, 'applyUrl'> & {
  /** The app's create-listing form with this order selected (null when not eligible). */
  applyUrl: string | null;
};

/** The app's create-listing form with this order selected as collateral (web/README.md "Deep links"). */
export function applyHref(orderId: string): string {
  return appUrl(`borrower/new?product=order&orderId=${encodeURIComponent(orderId)}`);
}

/**
 * `<lendbook-order-offer order-id="…" merchant-ref="…" data-key="pub_…">`: what financing this order
 * could back now, with a button that opens Lendbook in a new tab on the create-listing form with the
 * order selected (the merchant logs in there if needed).
 *
 * Events: `lendbook-ready` {widget: 'order-offer', merchantRef, orderId, offer, applyUrl},
 * `lendbook-error` {widget, code, status, message}. Nothing here is live: no socket.
 */
export class LendbookOrderOffer extends LendbookWidget {
  static override properties = {
    ...LendbookWidget.properties,
    orderId: { type: String, attribute: 'order-id' },
    merchantRef: { type: String, attribute: 'merchant-ref' },
    offer: { state: true },
  };
  declare orderId: string;
  declare merchantRef: string;
  declare offer: WidgetOffer | null;
  readonly widget = 'order-offer' as const;

  constructor() {
    super();
    this.orderId = '';
    this.merchantRef = '';
    this.offer = null;
  }

  static override styles = [
    widgetStyles,
    css`
      .head { display: flex; align-items: center; gap: 0.5em; }
      .title { margin: 0; font-weight: 650; flex: 1; }
      .amount { margin: 0; font-size: 1.5em; font-weight: 700; font-variant-numeric: tabular-nums; letter-spacing: -0.01em; }
      .detail, .reason { margin: 0; font-size: 0.88em; color: var(--lb-muted, #6b7280); }
      .button {
        justify-self: start; display: inline-flex; align-items: center; gap: 0.4em; padding: 0.55em 1.1em; border-radius: var(--lb-button-radius, 8px);
        background: var(--lb-accent, #2563eb); color: var(--lb-on-accent, #fff); font-weight: 600; text-decoration: none; cursor: pointer;
      }
      .button:hover { filter: brightness(1.08); }
      .button:focus-visible { outline: 2px solid var(--lb-accent, #2563eb); outline-offset: 3px; }
      .sr { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; }
    `,
  ];

  protected target() {
    const orderId = this.orderId?.trim();
    const ref = this.merchantRef?.trim();
    const missing = [...(orderId ? [] : ['order-id']), ...(ref ? [] : ['merchant-ref'])];
    return missing.length ? { missing } : { id: `${ref}|${orderId}` };
  }

  protected reset(): void {
    this.offer = null;
  }

  protected async load(signal: AbortSignal, gen: number): Promise<void> {
    const orderId = this.orderId.trim();
    const ref = this.merchantRef.trim();
    const offer = await widgetGet('/api/v1/widgets/merchants/{ref}/orders/{orderId}/offer', { ref, orderId }, this.key.trim(), signal);
    if (gen !== this.generation) return;
    const applyUrl = offer.eligible ? applyHref(orderId) : null;
    this.offer = { ...offer, applyUrl };
    this.ready({ merchantRef: ref, orderId, offer: this.offer, applyUrl }, gen);
  }

  protected renderData() {
    const o = this.offer;
    if (!o) return nothing;
    const reasonKey = `w.offer.reason.${o.reason ?? ''}`;
    return html`<div class="box" part="offer" data-eligible=${String(o.eligible)}>
        <div class="head" part="header">
          <p class="title" part="title">${t('w.offer.title')}</p>
          ${o.grade ? html`<lb-grade grade=${o.grade} exportparts="badge: grade"></lb-grade>` : nothing}
        </div>
        ${o.eligible
          ? html`<p class="amount" part="amount" data-testid="offer-amount">${t('w.offer.upTo', { amount: money(o.maxAmountMinor, { trimZeroFen: true }) })}</p>
              ${o.advancePct !== null && o.orderAmountMinor !== null
                ? html`<p class="detail" part="detail">${t('w.offer.detail', { pct: o.advancePct, order: money(o.orderAmountMinor, { trimZeroFen: true }) })}</p>`
                : nothing}
              <a class="button" part="button" data-testid="offer-apply" href=${applyHref(o.orderId)} target="_blank" rel="noopener">${t('w.offer.apply')} <span aria-hidden="true">↗</span><span class="sr">${t('w.offer.newTab')}</span></a>`
          : html`<p class="reason" part="reason" data-reason=${o.reason ?? ''}>${has(reasonKey) ? t(reasonKey) : t('w.offer.reason.other', { code: o.reason ?? '—' })}</p>`}
      </div>
      ${o.claims
        ? html`<div class="box" part="claims" data-testid="offer-claims">
            <p class="title">${t('w.offer.claims', { core: o.claims.coreEnterpriseName, amount: money(o.claims.maxAmountMinor, { trimZeroFen: true }) })}</p>
            <p class="detail">${t('w.offer.claimsDetail', { pct: o.claims.advancePct, value: money(o.claims.valueMinor, { trimZeroFen: true }), core: o.claims.coreEnterpriseName, grade: o.claims.grade })}</p>
            <a class="button" data-testid="offer-claims-apply" href=${appUrl(`borrower/new?product=claim&claimIds=${o.claims.claimIds.map(encodeURIComponent).join(',')}`)} target="_blank" rel="noopener">${t('w.offer.claimsApply')} <span aria-hidden="true">↗</span></a>
          </div>`
        : nothing}
      ${this.renderBrand(appUrl(''))}`;
  }
}
