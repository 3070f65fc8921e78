import { LitElement, html, nothing, type TemplateResult } from 'lit';
import { api, ApiError, errorText, IdempotentAction } from '../lib/api.js';
import { bpsToInput, date, minorToInput, money, parseMoney, parseRate, rate } from '../lib/format.js';
import { LocaleController, t } from '../lib/i18n.js';
import { session } from '../lib/session.js';
import { StoreController } from '../lib/store.js';
import { toast } from '../lib/toasts.js';
import type { NoteItem, NoteOffer, SalePreview, TradeQuote } from '../lib/types.js';

/** Price against par: "par", "2.00% discount", "3.00% premium". */
export function priceText(priceBps: number): string {
  if (priceBps === 10_000) return t('trade.par');
  return priceBps < 10_000 ? t('trade.discount', { pct: rate(10_000 - priceBps) }) : t('trade.premium', { pct: rate(priceBps - 10_000) });
}

/** Why a note cannot be sold now, in words. */
export function reasonText(reason: string | null): string {
  return reason ? t(`trade.reason.${reason}`) : '';
}

/**
 * A refusal of the secondary market in the user's words, with its figures in yuan and percent (the
 * problem carries them: the limits, what is left, the reason); other errors as everywhere else.
 */
export function tradeErrorText(err: unknown): string {
  if (!(err instanceof ApiError)) return errorText(err);
  const p = err.extra;
  const num = (k: string) => (typeof p[k] === 'number' ? (p[k] as number) : null);
  switch (err.code) {
    case 'NOTE_NOT_TRANSFERABLE':
      return t('trade.notEligible', { reason: reasonText(typeof p.reason === 'string' ? p.reason : null) });
    case 'OFFER_PRICE_OUT_OF_RANGE':
      return num('minPriceBps') !== null && num('maxPriceBps') !== null ? t('trade.err.price', { min: rate(num('minPriceBps')!), max: rate(num('maxPriceBps')!) }) : errorText(err);
    case 'OFFER_AMOUNT_INVALID':
      if (num('remainingMinor') !== null) return t('trade.err.buyAmount', { min: money(num('minPrincipalMinor') ?? 0, { trimZeroFen: true }), rest: money(num('remainingMinor')!) });
      return num('maxPrincipalMinor') !== null ? t('trade.err.sellAmount', { min: money(num('minPrincipalMinor') ?? 0, { trimZeroFen: true }), max: money(num('maxPrincipalMinor')!) }) : errorText(err);
    case 'OFFER_REMAINING_EXCEEDED':
      return num('remainingMinor') !== null ? t('trade.err.remaining', { amount: money(num('remainingMinor')!) }) : errorText(err);
    case 'SELF_DEALING':
      return t('trade.err.self');
    case 'INSUFFICIENT_FUNDS':
      return num('availableMinor') !== null && num('paidMinor') !== null ? t('trade.err.funds', { available: money(num('availableMinor')!), paid: money(num('paidMinor')!) }) : errorText(err);
    default:
      return errorText(err);
  }
}

type Mode = 'sell' | 'buy';

/**
 * The Sell and Buy dialogs of the secondary market (docs/transfers.md): the amount (and, to sell, the
 * price), then a preview computed by the server with the same rules as the trade — what the buyer pays
 * (price + accrued), the seller's fee, what the seller receives, the buyer's yield to maturity — and the
 * button that makes it happen. Emits `traded` when done.
 */
export class TradeDialog extends LitElement {
  static override properties = {
    mode: { attribute: false },
    note: { attribute: false },
    offer: { attribute: false },
    amountText: { state: true },
    priceText: { state: true },
    terms: { state: true },
    quote: { state: true },
    quoteError: { state: true },
    submitError: { state: true },
    busy: { state: true },
  };
  declare mode: Mode;
  declare note: NoteItem | null;
  declare offer: NoteOffer | null;
  declare amountText: string;
  declare priceText: string;
  declare terms: SalePreview | null;
  declare quote: TradeQuote | null;
  declare quoteError: unknown;
  declare submitError: unknown;
  declare busy: boolean;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private abort: AbortController | undefined;
  private readonly sellAction = new IdempotentAction<{ noteId: string; principalMinor: number; priceBps: number }>();
  private readonly buyAction = new IdempotentAction<{ offerId: string; principalMinor: number }>();

  constructor() {
    super();
    this.mode = 'buy';
    this.note = null;
    this.offer = null;
    this.amountText = '';
    this.priceText = '100.00';
    this.terms = null;
    this.quote = null;
    this.quoteError = null;
    this.submitError = null;
    this.busy = false;
    new LocaleController(this);
    new StoreController(this, session);
  }

  override createRenderRoot(): HTMLElement {
    return this;
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    if (this.timer) clearTimeout(this.timer);
    this.abort?.abort();
  }

  private get dialog(): HTMLDialogElement | null {
    return this.querySelector('dialog');
  }

  /** Opens the dialog to sell a note of the portfolio. */
  async openSell(note: NoteItem): Promise<void> {
    Object.assign(this, { mode: 'sell' as Mode, note, offer: null, terms: null, quote: null, quoteError: null, submitError: null, priceText: '100.00', amountText: '' });
    await this.updateComplete;
    this.dialog?.showModal();
    try {
      this.terms = await api.offerPreview(note.id);
      this.amountText = minorToInput(this.terms.transferableMinor);
      this.schedule();
    } catch (err) {
      this.quoteError = err;
    }
  }

  /** Opens the dialog to buy from an offer of the market. */
  async openBuy(offer: NoteOffer): Promise<void> {
    Object.assign(this, { mode: 'buy' as Mode, offer, note: null, terms: null, quote: null, quoteError: null, submitError: null, amountText: minorToInput(offer.remainingMinor) });
    await this.updateComplete;
    this.dialog?.showModal();
    this.schedule();
  }

  close(): void {
    this.dialog?.close();
    this.abort?.abort();
  }

  /** The preview follows the inputs, a quarter of a second after the last keystroke. */
  private schedule(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.loadQuote(), 250);
  }

  private async loadQuote(): Promise<void> {
    this.abort?.abort();
    const principalMinor = parseMoney(this.amountText);
    const priceBps = parseRate(this.priceText);
    if (principalMinor === null || principalMinor <= 0 || (this.mode === 'sell' && priceBps === null)) {
      this.quote = null;
      this.quoteError = null;
      return;
    }
    // The limits the server gave with the note: a price or amount outside them is explained at once.
    const limits = this.mode === 'sell' ? this.terms?.limits : undefined;
    if (limits && priceBps !== null && (priceBps < limits.minPriceBps || priceBps > limits.maxPriceBps)) {
      this.quote = null;
      this.quoteError = new ApiError(422, 'OFFER_PRICE_OUT_OF_RANGE', '', '', [], { minPriceBps: limits.minPriceBps, maxPriceBps: limits.maxPriceBps });
      return;
    }
    if (limits && principalMinor > limits.maxPrincipalMinor) {
      this.quote = null;
      this.quoteError = new ApiError(422, 'OFFER_AMOUNT_INVALID', '', '', [], { minPrincipalMinor: limits.minPrincipalMinor, maxPrincipalMinor: limits.maxPrincipalMinor });
      return;
    }
    const abort = (this.abort = new AbortController());
    try {
      if (this.mode === 'sell') {
        if (!this.note || (this.terms && !this.terms.eligible)) return;
        const preview = await api.offerPreview(this.note.id, { principalMinor, priceBps: priceBps! }, abort.signal);
        this.quote = preview.quote;
      } else {
        this.quote = await api.purchaseQuote(this.offer!.id, principalMinor, abort.signal);
      }
      this.quoteError = null;
    } catch (err) {
      if (abort.signal.aborted) return;
      this.quote = null;
      this.quoteError = err;
    }
  }

  private async submit(e: Event): Promise<void> {
    e.preventDefault();
    const principalMinor = parseMoney(this.amountText);
    const priceBps = parseRate(this.priceText);
    if (principalMinor === null || !this.quote || this.busy) return;
    this.busy = true;
    this.submitError = null;
    try {
      if (this.mode === 'sell') {
        const body = { noteId: this.note!.id, principalMinor, priceBps: priceBps! };
        const offer = await api.createOffer(body.noteId, { principalMinor, priceBps: priceBps! }, this.sellAction.keyFor(body));
        this.sellAction.done();
        toast({ tone: 'good', kind: 'offer', title: t('trade.offered.title'), body: t('trade.offered.body', { amount: money(offer.principalMinor), price: priceText(offer.priceBps) }), href: '#/notes', linkText: t('nav.notes') }, 6000);
        this.dispatchEvent(new CustomEvent('traded', { detail: offer }));
      } else {
        const body = { offerId: this.offer!.id, principalMinor };
        const bought = await api.buyNote(body.offerId, principalMinor, this.buyAction.keyFor(body));
        this.buyAction.done();
        // The `me` channel's note.bought brings the toast (one per purchase, whichever page is open).
        this.dispatchEvent(new CustomEvent('traded', { detail: bought }));
      }
      this.close();
    } catch (err) {
      this.submitError = err;
      void this.loadQuote();
    } finally {
      this.busy = false;
    }
  }

  private renderQuote(): TemplateResult {
    const q = this.quote;
    if (this.quoteError) return html`<div class="preview" data-testid="trade-preview" data-state="error"><span class="verdict bad" data-testid="trade-quote-error">${tradeErrorText(this.quoteError)}</span></div>`;
    if (!q) return html`<div class="preview" data-testid="trade-preview" data-state="none"><span class="muted">${t('trade.enter')}</span></div>`;
    const sell = this.mode === 'sell';
    return html`<div class="preview" data-testid="trade-preview" data-state="ready">
      ${sell
        ? html`<div class="line"><strong>${t('trade.youReceive')}</strong><span data-testid="preview-receive">${money(q.sellerReceivesMinor)}</span></div>`
        : html`<div class="line"><strong>${t('trade.youPay')}</strong><span data-testid="preview-pay">${money(q.paidMinor)}</span></div>`}
      <div class="line"><span>${t('trade.price', { price: priceText(q.priceBps) })}</span><span data-testid="preview-price">${money(q.priceMinor)}</span></div>
      <div class="line"><span>${t('trade.accrued')}</span><span data-testid="preview-accrued">${money(q.accruedMinor)}</span></div>
      ${sell ? html`<div class="line"><span>${t('trade.buyerPays')}</span><span>${money(q.paidMinor)}</span></div>` : nothing}
      <div class="line"><span>${sell ? t('trade.fee') : t('trade.sellerFee')}</span><span data-testid="preview-fee">${sell ? '−' : ''}${money(q.feeMinor)}</span></div>
      <div class="line"><span>${sell ? t('trade.buyerYield') : t('trade.yourYield')}</span><span data-testid="preview-yield">${rate(q.yieldToMaturityBps)}</span></div>
      <div class="line"><span class="muted">${t('trade.monthsLeft', { n: q.monthsLeft })}</span><span class="muted">${t('trade.nextDue', { date: date(q.nextDueDate) })}</span></div>
      <p class="hint">${sell ? t('trade.sellHint') : t('trade.buyHint')}</p>
    </div>`;
  }

  private renderSell(): TemplateResult {
    const terms = this.terms;
    if (terms && !terms.eligible) {
      return html`<p class="notice" data-testid="trade-not-eligible">${t('trade.notEligible', { reason: reasonText(terms.reason) })}</p>`;
    }
    return html`<label>${t('trade.sellAmount')}
        <span class="input-affix"><span>¥</span><input inputmode="decimal" autocomplete="off" .value=${this.amountText} @input=${(e: Event) => { this.amountText = (e.target as HTMLInputElement).value; this.schedule(); }} data-testid="trade-amount" /></span>
        <span class="hint">${terms ? t('trade.sellAmountHint', { max: money(terms.transferableMinor), min: money(terms.limits.minPrincipalMinor, { trimZeroFen: true }) }) : t('common.loading')}</span>
      </label>
      <label>${t('trade.priceLabel')}
        <span class="input-affix suffix"><input inputmode="decimal" autocomplete="off" .value=${this.priceText} @input=${(e: Event) => { this.priceText = (e.target as HTMLInputElement).value; this.schedule(); }} data-testid="trade-price" /><span>%</span></span>
        <span class="hint">${terms ? t('trade.priceHint', { min: bpsToInput(terms.limits.minPriceBps), max: bpsToInput(terms.limits.maxPriceBps), days: terms.limits.offerTtlDays }) : ''}</span>
      </label>`;
  }

  private renderBuy(): TemplateResult {
    const o = this.offer!;
    const wallet = session.value.wallet;
    return html`<div class="preview">
        <div class="line"><span>${t('trade.offerTerms')}</span><span>${o.grade} · ${rate(o.rateBps)} · ${priceText(o.priceBps)}</span></div>
        <div class="line"><span>${t('trade.left')}</span><span>${money(o.remainingMinor)}</span></div>
      </div>
      <label>${t('trade.buyAmount')}
        <span class="input-affix"><span>¥</span><input inputmode="decimal" autocomplete="off" .value=${this.amountText} @input=${(e: Event) => { this.amountText = (e.target as HTMLInputElement).value; this.schedule(); }} data-testid="trade-amount" /></span>
        <span class="hint">${t('trade.buyAmountHint', { max: money(o.remainingMinor) })}${wallet ? ` · ${t('ticket.available', { amount: money(wallet.availableMinor) })}` : ''}</span>
      </label>`;
  }

  override render() {
    const sell = this.mode === 'sell';
    const ready = this.quote !== null && !this.quoteError;
    return html`<dialog class="trade-dialog" data-testid=${sell ? 'sell-dialog' : 'buy-dialog'} aria-labelledby="trade-title" @close=${() => this.abort?.abort()}>
      <form class="panel ticket form" method="dialog" novalidate @submit=${(e: Event) => void this.submit(e)}>
        <div class="panel-head" style="margin:0">
          <h2 id="trade-title">${sell ? t('trade.sellTitle') : t('trade.buyTitle')}</h2>
          <button type="button" class="ghost" aria-label=${t('common.close')} @click=${() => this.close()}>×</button>
        </div>
        ${sell ? this.renderSell() : this.offer ? this.renderBuy() : nothing}
        ${sell && this.terms && !this.terms.eligible ? nothing : this.renderQuote()}
        ${this.submitError ? html`<p class="error" role="alert" data-testid="trade-error">${tradeErrorText(this.submitError)}</p>` : nothing}
        <div class="actions">
          <button type="button" @click=${() => this.close()}>${t('trade.cancel')}</button>
          <button class="primary" type="submit" ?disabled=${!ready || this.busy} data-testid="trade-submit">${this.busy ? t('common.sending') : sell ? t('trade.sellSubmit') : t('trade.buySubmit')}</button>
        </div>
      </form>
    </dialog>`;
  }
}
customElements.define('lb-trade-dialog', TradeDialog);
