import { html, nothing } from 'lit';
import '../components/grade.js';
import { api, IdempotentAction } from '../lib/api.js';
import { date, minorToInput, money, parseMoney, parseRate, rate } from '../lib/format.js';
import { t } from '../lib/i18n.js';
import { navigate } from '../lib/router.js';
import { toast } from '../lib/toasts.js';
import { PRODUCTS, REPAYMENTS, TERMS, type CollateralOptions, type GuarantorView, type NewListing, type Pricing, type Product, type Rating, type Repayment, type SchedulePreview } from '../lib/types.js';

/** A term the contract allows (months). */
type Term = (typeof TERMS)[number];
import { View, errorBox } from './view.js';

const DURATIONS_SEC = [3600, 6 * 3600, 86_400, 3 * 86_400, 7 * 86_400, 14 * 86_400];

/**
 * A borrower lists a loan request (docs/market-rules.md §1): the live repayment schedule at the maximum rate it
 * would pay, its credit line left, and a collateral picker for order financing, warehouse receipts and
 * claims on its buyers (a claim-backed loan matures on a date and is repaid in one payment).
 * `#/borrower/new?product=order&orderId=…` arrives with an order selected (the widgets' offer button),
 * `?product=claim&claimId=…` with a claim ("Finance this claim").
 */
export class NewListingView extends View {
  static override properties = {
    ...View.properties,
    rating: { state: true },
    collateral: { state: true },
    preview: { state: true },
    error: { state: true },
    loadError: { state: true },
    busy: { state: true },
    form: { state: true },
    guarantors: { state: true },
  };
  declare rating: Rating | null;
  declare collateral: CollateralOptions | null;
  declare preview: SchedulePreview | null;
  declare error: unknown;
  declare loadError: unknown;
  declare busy: boolean;
  declare form: {
    title: string;
    purpose: string;
    amount: string;
    termMonths: Term;
    maxRate: string;
    repayment: Repayment;
    product: Product;
    pricing: Pricing;
    minFundingPct: number;
    closeWhenFunded: boolean;
    durationSec: number;
    orderIds: Set<string>;
    receiptId: string;
    claimIds: Set<string>;
    maturesOn: string;
    /** A third-party guarantor (docs/guarantees.md): '' for none. */
    guarantorId: string;
    coveragePct: number;
    guaranteeFee: string;
  };
  declare guarantors: GuarantorView[];
  private readonly action = new IdempotentAction<NewListing>();
  private previewTimer: ReturnType<typeof setTimeout> | undefined;
  private previewAbort: AbortController | undefined;
  private prefilled = false;

  constructor() {
    super();
    this.rating = null;
    this.collateral = null;
    this.preview = null;
    this.error = null;
    this.loadError = null;
    this.busy = false;
    this.form = {
      title: '',
      purpose: '',
      amount: '',
      termMonths: 12,
      maxRate: '15.00',
      repayment: 'equal_installment',
      product: 'credit',
      pricing: 'uniform',
      minFundingPct: 100,
      closeWhenFunded: false,
      durationSec: 0,
      orderIds: new Set(),
      receiptId: '',
      claimIds: new Set(),
      maturesOn: '',
      guarantorId: '',
      coveragePct: 80,
      guaranteeFee: '1.00',
    };
    this.guarantors = [];
  }

  override connectedCallback(): void {
    super.connectedCallback();
    api.guarantors().then(
      (g) => (this.guarantors = g.items),
      () => (this.guarantors = []),
    );
    api.rating().then(
      (r) => {
        this.rating = r;
        if (!this.form.amount) this.set({ amount: minorToInput(Math.min(this.maxAmount() ?? 5_000_000, 5_000_000)) });
      },
      (err: unknown) => (this.loadError = err),
    );
    api.collateral().then(
      (c) => {
        this.collateral = c;
        this.applyQuery();
      },
      // Unreadable (no rating yet, say): nothing can be pledged, the pickers stay empty.
      () => (this.collateral = { orders: [], receipts: [], claims: [], orderAdvancePct: null, warehouseLtvPct: 0, currency: 'CNY' }),
    );
    this.own(() => {
      clearTimeout(this.previewTimer);
      this.previewAbort?.abort();
    });
    this.schedulePreview();
  }

  override willUpdate(changed: Map<string, unknown>): void {
    if (changed.has('query')) this.applyQuery();
  }

  /** ?product=order&orderId=… (or orderIds=a,b) and ?receiptId=… preselect collateral. */
  private applyQuery(): void {
    if (this.prefilled || !this.collateral) return;
    const product = this.query.get('product');
    const ids = [...(this.query.get('orderIds')?.split(',') ?? []), ...this.query.getAll('orderId')].filter(Boolean);
    const receiptId = this.query.get('receiptId') ?? '';
    const claimIds = [...(this.query.get('claimIds')?.split(',') ?? []), ...this.query.getAll('claimId')].filter(Boolean);
    if (product === 'claim' || claimIds.length) {
      const known = new Set((this.collateral.claims ?? []).map((c) => c.id));
      this.pickClaims(new Set(claimIds.filter((id) => known.has(id))), true);
      this.prefilled = true;
    } else if (product === 'order' || ids.length) {
      const known = new Set(this.collateral.orders.map((o) => o.orderId));
      const orderIds = new Set(ids.filter((id) => known.has(id)));
      const value = this.collateral.orders.filter((o) => orderIds.has(o.orderId)).reduce((s, o) => s + o.amountMinor, 0);
      const limit = this.limitOf(value);
      this.set({ product: 'order', orderIds, ...(limit ? { amount: minorToInput(limit - (limit % 100_000) || limit - (limit % 100)) } : {}) });
      this.prefilled = true;
    } else if (product === 'warehouse_receipt' || receiptId) {
      this.set({ product: 'warehouse_receipt', receiptId });
      this.prefilled = true;
    }
  }

  private set(patch: Partial<NewListingView['form']>): void {
    this.form = { ...this.form, ...patch };
    this.error = null;
    this.schedulePreview();
  }

  /** A claim-backed listing is lent on the core enterprise's credit: only the regulatory cap left bounds it. */
  private maxAmount(): number | null {
    if (!this.rating) return null;
    return this.form.product === 'claim' ? this.rating.capLeftMinor : Math.min(this.rating.creditLeftMinor, this.rating.capLeftMinor);
  }

  /** Selects claims (all on one core enterprise) and, with `fill`, the amount and maturity they allow. */
  private pickClaims(claimIds: Set<string>, fill: boolean): void {
    const chosen = (this.collateral?.claims ?? []).filter((c) => claimIds.has(c.id));
    const dueDates = chosen.map((c) => c.dueDate).sort();
    const limit = this.claimLimit(claimIds);
    this.set({
      product: 'claim',
      claimIds,
      ...(dueDates[0] && (fill || !this.form.maturesOn || this.form.maturesOn > dueDates[0]) ? { maturesOn: dueDates[0] } : {}),
      ...(fill && limit ? { amount: minorToInput(limit - (limit % 100)) } : {}),
    });
  }

  private claimLimit(claimIds: Set<string>): number | null {
    const chosen = (this.collateral?.claims ?? []).filter((c) => claimIds.has(c.id));
    const pct = chosen[0]?.advancePct;
    if (pct === null || pct === undefined) return null;
    const value = chosen.reduce((s, c) => s + c.amountMinor, 0);
    const limit = Math.floor((value * pct) / 100);
    return limit - (limit % 100);
  }

  private limitOf(orderValueMinor: number): number | null {
    const pct = this.collateral?.orderAdvancePct;
    if (pct === null || pct === undefined) return null;
    return Math.floor((orderValueMinor * pct) / 100);
  }

  private collateralLimit(): { valueMinor: number; limitMinor: number | null } | null {
    const f = this.form;
    const c = this.collateral;
    if (!c) return null;
    if (f.product === 'order') {
      const value = c.orders.filter((o) => f.orderIds.has(o.orderId)).reduce((s, o) => s + o.amountMinor, 0);
      return { valueMinor: value, limitMinor: this.limitOf(value) };
    }
    if (f.product === 'claim') {
      const value = (c.claims ?? []).filter((x) => f.claimIds.has(x.id)).reduce((s, x) => s + x.amountMinor, 0);
      return { valueMinor: value, limitMinor: this.claimLimit(f.claimIds) };
    }
    if (f.product === 'warehouse_receipt') {
      const r = c.receipts.find((x) => x.receiptId === f.receiptId);
      if (!r) return { valueMinor: 0, limitMinor: 0 };
      return { valueMinor: r.valueMinor, limitMinor: c.warehouseLtvPct !== undefined ? Math.floor((r.valueMinor * c.warehouseLtvPct) / 100) : null };
    }
    return null;
  }

  private body(): NewListing | null {
    const f = this.form;
    const amountMinor = parseMoney(f.amount);
    const maxRateBps = parseRate(f.maxRate);
    if (amountMinor === null || maxRateBps === null) return null;
    return {
      title: f.title.trim(),
      purpose: f.purpose.trim(),
      amountMinor,
      ...(f.product === 'claim' ? { maturesOn: f.maturesOn, collateral: { claimIds: [...f.claimIds] } } : { termMonths: f.termMonths, repayment: f.repayment }),
      maxRateBps,
      product: f.product,
      pricing: f.pricing,
      minFundingPct: f.minFundingPct,
      closeWhenFunded: f.closeWhenFunded,
      ...(f.durationSec ? { durationSec: f.durationSec } : {}),
      ...(f.product === 'order' ? { collateral: { orderIds: [...f.orderIds] } } : {}),
      ...(f.product === 'warehouse_receipt' && f.receiptId ? { collateral: { receiptId: f.receiptId } } : {}),
      ...(f.guarantorId ? { guarantee: { guarantorId: f.guarantorId, coveragePct: f.coveragePct, feeBps: parseRate(f.guaranteeFee) ?? 0 } } : {}),
    };
  }

  /** The borrower's choice of a third-party guarantor; the listing then waits for its acceptance. */
  private renderGuarantee() {
    const f = this.form;
    if (this.guarantors.length === 0) return nothing;
    return html`<fieldset class="panel" style="padding:0.75rem" data-testid="listing-guarantee-fields">
      <legend>${t('newListing.guarantee')}</legend>
      <div class="form-row">
        <label>${t('newListing.guarantor')}<select @change=${(e: Event) => this.set({ guarantorId: (e.target as HTMLSelectElement).value })} data-testid="listing-guarantor">
          <option value="" ?selected=${f.guarantorId === ''}>${t('newListing.noGuarantor')}</option>
          ${this.guarantors.map((g) => html`<option value=${g.id} ?selected=${f.guarantorId === g.id}>${t('newListing.guarantorLeft', { name: g.name, left: money(g.leftMinor, { trimZeroFen: true }) })}</option>`)}</select></label>
        ${f.guarantorId
          ? html`<label>${t('newListing.coveragePct')}<span class="input-affix suffix"><input type="number" min="1" max="100" step="1" .value=${String(f.coveragePct)} @input=${(e: Event) => this.set({ coveragePct: Number((e.target as HTMLInputElement).value) })} data-testid="listing-coverage" /><span>%</span></span></label>
              <label>${t('newListing.guaranteeFee')}<span class="input-affix suffix"><input inputmode="decimal" .value=${f.guaranteeFee} @input=${(e: Event) => this.set({ guaranteeFee: (e.target as HTMLInputElement).value })} data-testid="listing-guarantee-fee" /><span>%</span></span></label>`
          : nothing}
      </div>
      <p class="hint">${t('newListing.guaranteeHint')}</p>
    </fieldset>`;
  }

  private schedulePreview(): void {
    clearTimeout(this.previewTimer);
    this.previewTimer = setTimeout(() => void this.loadPreview(), 300);
  }

  private async loadPreview(): Promise<void> {
    const amountMinor = parseMoney(this.form.amount);
    const rateBps = parseRate(this.form.maxRate);
    if (!amountMinor || rateBps === null || rateBps < 1) {
      this.preview = null;
      return;
    }
    this.previewAbort?.abort();
    const abort = new AbortController();
    this.previewAbort = abort;
    try {
      const f = this.form;
      if (f.product === 'claim' && !f.maturesOn) {
        this.preview = null;
        return;
      }
      this.preview = await api.schedulePreview({ amountMinor, rateBps, ...(f.product === 'claim' ? { maturesOn: f.maturesOn } : { termMonths: f.termMonths, repayment: f.repayment }) }, abort.signal);
    } catch (err) {
      if (!(err instanceof DOMException && err.name === 'AbortError')) this.preview = null;
    }
  }

  /**
   * What would make the server refuse the listing, said in yuan and percent before it is sent; while any
   * is there the submit is blocked (a warning that does not block would only postpone the refusal).
   */
  private problems(amountMinor: number | null, overLine: boolean, overCollateral: boolean): string[] {
    const f = this.form;
    const out: string[] = [];
    // A claim-backed listing is lent on the core enterprise's credit: the shop's own rating does not
    // decide, but one open listing at a time still holds.
    const claim = f.product === 'claim';
    const reason = this.rating && !this.rating.mayListNow ? this.rating.mayListReason : null;
    if (reason && (!claim || reason === 'OPEN_LISTING')) out.push(t(`mayList.${reason}`));
    if (f.amount.trim() !== '' && (amountMinor === null || amountMinor < 100_000 || amountMinor % 100 !== 0)) out.push(t('err.LISTING_AMOUNT_INVALID.f', { minMinor: money(100_000, { trimZeroFen: true }) }));
    if (overLine) out.push(t(claim ? 'err.REGULATORY_CAP_EXCEEDED.f' : 'err.CREDIT_LINE_EXCEEDED.f', { leftMinor: money(this.maxAmount()!, { trimZeroFen: true }) }));
    if (overCollateral) out.push(t('err.COLLATERAL_INSUFFICIENT'));
    const rateBps = parseRate(f.maxRate);
    const cap = this.preview?.maxRateBps;
    if (f.maxRate.trim() !== '' && (rateBps === null || rateBps < 1 || (cap !== undefined && rateBps > cap))) out.push(t('err.LISTING_RATE_INVALID.f', { minRateBps: rate(1), maxRateBps: cap !== undefined ? rate(cap) : '—' }));
    return out;
  }

  private async submit(e: Event): Promise<void> {
    e.preventDefault();
    const amountMinor = parseMoney(this.form.amount);
    const max = this.maxAmount();
    if (this.busy || this.problems(amountMinor, max !== null && amountMinor !== null && amountMinor > max, false).length > 0) return;
    const body = this.body();
    if (!body) {
      this.error = { code: 'VALIDATION_FAILED', detail: t('newListing.checkAmounts') };
      return;
    }
    this.busy = true;
    this.error = null;
    try {
      const created = await api.createListing(body, this.action.keyFor(body));
      this.action.done();
      toast({ tone: 'good', kind: 'listed', title: t('newListing.created'), body: created.title }, 5000);
      navigate(`listing/${created.id}`);
    } catch (err) {
      this.error = err;
    } finally {
      this.busy = false;
    }
  }

  private toggleOrder(id: string, on: boolean): void {
    const orderIds = new Set(this.form.orderIds);
    if (on) orderIds.add(id);
    else orderIds.delete(id);
    this.set({ orderIds });
  }

  private renderCollateral() {
    const f = this.form;
    const c = this.collateral;
    if (f.product === 'credit') return nothing;
    if (!c) return html`<p class="muted">${t('common.loading')}</p>`;
    const lim = this.collateralLimit();
    if (f.product === 'claim') return this.renderClaims(lim);
    if (f.product === 'order') {
      const all = c.orders.length > 0 && c.orders.every((o) => f.orderIds.has(o.orderId));
      return html`<fieldset data-testid="collateral-orders">
        <legend>${t('newListing.pickOrders')}</legend>
        ${c.orders.length === 0
          ? html`<p class="muted">${t('newListing.noOrders')}</p>`
          : html`<div class="row"><label class="check"><input type="checkbox" .checked=${all} @change=${(e: Event) => this.set({ orderIds: (e.target as HTMLInputElement).checked ? new Set(c.orders.map((o) => o.orderId)) : new Set() })} />${t('newListing.selectAll', { n: c.orders.length })}</label>
                <span class="spacer"></span><span class="small muted">${t('newListing.advance', { pct: c.orderAdvancePct ?? 0 })}</span></div>
              <div class="table-wrap" style="max-height:260px;overflow-y:auto">
                <table class="data">
                  <thead><tr><th><span class="sr-only">${t('common.select')}</span></th><th>${t('collateral.order')}</th><th>${t('collateral.placed')}</th><th>${t('collateral.status')}</th><th class="num">${t('listing.amount')}</th></tr></thead>
                  <tbody>${c.orders.map(
                    (o) => html`<tr><td><input type="checkbox" aria-label=${o.orderId} .checked=${f.orderIds.has(o.orderId)} @change=${(e: Event) => this.toggleOrder(o.orderId, (e.target as HTMLInputElement).checked)} data-testid="collateral-order" data-order-id=${o.orderId} /></td>
                      <td class="mono">${o.orderId}</td><td class="date">${date(o.placedAt)}</td><td>${t(`order.${o.status}`)}</td><td class="num">${money(o.amountMinor)}</td></tr>`,
                  )}</tbody>
                </table>
              </div>`}
        ${lim ? html`<p class="small">${t('newListing.ordersValue', { n: f.orderIds.size, value: money(lim.valueMinor), limit: lim.limitMinor === null ? '—' : money(lim.limitMinor) })}</p>` : nothing}
      </fieldset>`;
    }
    return html`<fieldset data-testid="collateral-receipts">
      <legend>${t('newListing.pickReceipt')}</legend>
      ${c.receipts.length === 0
        ? html`<p class="muted">${t('newListing.noReceipts')}</p>`
        : c.receipts.map(
            (r) => html`<label class="check"><input type="radio" name="receipt" .checked=${f.receiptId === r.receiptId} @change=${() => this.set({ receiptId: r.receiptId })} data-testid="collateral-receipt" data-receipt-id=${r.receiptId} />
              <span><span class="mono">${r.receiptId}</span> · ${r.goods}${r.quantity ? ` × ${r.quantity}` : ''} · ${money(r.valueMinor)}</span></label>`,
          )}
      ${lim && f.receiptId ? html`<p class="small">${t('newListing.receiptLimit', { ltv: c.warehouseLtvPct ?? 0, limit: lim.limitMinor === null ? '—' : money(lim.limitMinor) })}</p>` : nothing}
    </fieldset>`;
  }

  /** Claims on one core enterprise: picking one greys out the others' (a listing is graded by one debtor). */
  private renderClaims(lim: { valueMinor: number; limitMinor: number | null } | null) {
    const f = this.form;
    const claims = this.collateral?.claims ?? [];
    const core = claims.find((c) => f.claimIds.has(c.id))?.coreEnterprise;
    return html`<fieldset data-testid="collateral-claims">
      <legend>${t('newListing.pickClaims')}</legend>
      ${claims.length === 0
        ? html`<p class="muted">${t('newListing.noClaims')}</p>`
        : html`<div class="table-wrap"><table class="data">
            <thead><tr><th><span class="sr-only">${t('common.select')}</span></th><th>${t('claims.core')}</th><th class="num">${t('listing.amount')}</th><th>${t('claims.due')}</th><th class="num">${t('claims.advance')}</th></tr></thead>
            <tbody>${claims.map((c) => {
              const off = c.advancePct === null || (core !== undefined && core.id !== c.coreEnterprise.id);
              return html`<tr class=${off ? 'muted' : ''}><td><input type="checkbox" aria-label=${c.id} .checked=${f.claimIds.has(c.id)} ?disabled=${off && !f.claimIds.has(c.id)} data-testid="collateral-claim" data-claim-id=${c.id}
                  @change=${(e: Event) => {
                    const next = new Set(f.claimIds);
                    if ((e.target as HTMLInputElement).checked) next.add(c.id);
                    else next.delete(c.id);
                    this.pickClaims(next, false);
                  }} /></td>
                <td>${c.coreEnterprise.name} <lb-grade grade=${c.coreEnterprise.grade}></lb-grade></td><td class="num">${money(c.amountMinor)}</td><td class="date">${date(c.dueDate)}</td>
                <td class="num">${c.advancePct === null ? t('claims.notFinanceable') : `${c.advancePct}%`}</td></tr>`;
            })}</tbody></table></div>`}
      ${lim && f.claimIds.size ? html`<p class="small">${t('newListing.claimsValue', { n: f.claimIds.size, value: money(lim.valueMinor), limit: lim.limitMinor === null ? '—' : money(lim.limitMinor) })}</p>` : nothing}
      <p class="hint">${t('newListing.claimsHint')}</p>
    </fieldset>`;
  }

  override render() {
    const f = this.form;
    const max = this.maxAmount();
    const amountMinor = parseMoney(f.amount);
    const lim = this.collateralLimit();
    const overLine = max !== null && amountMinor !== null && amountMinor > max;
    const overCollateral = lim !== null && lim.limitMinor !== null && amountMinor !== null && amountMinor > lim.limitMinor;
    const p = this.preview;
    const first = p?.schedule[0];
    const problems = this.problems(amountMinor, overLine, overCollateral);
    return html`<section class="page">
      <div class="page-head"><div><h1>${t('nav.newListing')}</h1><p>${t('newListing.subtitle')}</p></div></div>
      ${this.loadError ? errorBox(this.loadError) : nothing}
      ${this.user && this.user.kyc.status !== 'verified' ? html`<p class="notice" data-testid="listing-kyc-first">${t('newListing.kycFirst')} <a href="#/account">${t('account.verify')} →</a></p>` : nothing}
      <div class="split">
        <form class="panel form" @submit=${(e: Event) => void this.submit(e)} data-testid="create-listing-form" novalidate>
          <label>${t('newListing.title')}<input required maxlength="120" .value=${f.title} @input=${(e: Event) => this.set({ title: (e.target as HTMLInputElement).value })} data-testid="listing-title" placeholder=${t('newListing.titlePlaceholder')} /></label>
          <label>${t('newListing.purpose')}<textarea required maxlength="1000" .value=${f.purpose} @input=${(e: Event) => this.set({ purpose: (e.target as HTMLTextAreaElement).value })} data-testid="listing-purpose" placeholder=${t('newListing.purposePlaceholder')}></textarea></label>
          <div class="form-row">
            <label>${t('listing.amount')}<span class="input-affix"><span>¥</span><input inputmode="decimal" required .value=${f.amount} aria-invalid=${overLine || overCollateral} @input=${(e: Event) => this.set({ amount: (e.target as HTMLInputElement).value })} data-testid="listing-amount" /></span>
              <span class="hint">${max !== null ? t(f.product === 'claim' ? 'newListing.maxAmountCap' : 'newListing.maxAmount', { amount: money(max, { trimZeroFen: true }) }) : t('newListing.amountHint')}</span></label>
            ${f.product === 'claim'
              ? html`<label>${t('newListing.maturesOn')}<input type="date" .value=${f.maturesOn} @input=${(e: Event) => this.set({ maturesOn: (e.target as HTMLInputElement).value })} data-testid="listing-matures-on" />
                  <span class="hint">${t('newListing.maturesOnHint')}</span></label>`
              : html`<label>${t('listing.term')}<select @change=${(e: Event) => this.set({ termMonths: TERMS.find((n) => n === Number((e.target as HTMLSelectElement).value)) ?? this.form.termMonths })} data-testid="listing-term">
                  ${TERMS.map((n) => html`<option value=${n} ?selected=${f.termMonths === n}>${t('listing.termMonths', { n })}</option>`)}</select></label>`}
            <label>${t('newListing.maxRate')}<span class="input-affix suffix"><input inputmode="decimal" required .value=${f.maxRate} @input=${(e: Event) => this.set({ maxRate: (e.target as HTMLInputElement).value })} data-testid="listing-max-rate" /><span>%</span></span>
              <span class="hint">${t('newListing.maxRateHint')}</span></label>
          </div>
          ${problems.map((text, i) => html`<p class="error" role="alert" id="listing-warning-${i}" data-testid="listing-warning">${text}</p>`)}
          <div class="form-row">
            ${f.product === 'claim'
              ? html`<label>${t('newListing.repayment')}<input readonly .value=${t('repayment.bullet')} /></label>`
              : html`<label>${t('newListing.repayment')}<select @change=${(e: Event) => this.set({ repayment: (e.target as HTMLSelectElement).value as Repayment })} data-testid="listing-repayment">
                  ${REPAYMENTS.map((r) => html`<option value=${r} ?selected=${f.repayment === r}>${t(`repayment.${r}`)}</option>`)}</select></label>`}
            <label>${t('market.product')}<select @change=${(e: Event) => this.set({ product: (e.target as HTMLSelectElement).value as Product })} data-testid="listing-product">
              ${PRODUCTS.map((x) => html`<option value=${x} ?selected=${f.product === x}>${t(`product.${x}`)}</option>`)}</select></label>
            <label>${t('newListing.duration')}<select @change=${(e: Event) => this.set({ durationSec: Number((e.target as HTMLSelectElement).value) })} data-testid="listing-duration">
              <option value="0" ?selected=${f.durationSec === 0}>${t('newListing.defaultDuration')}</option>
              ${DURATIONS_SEC.map((s) => html`<option value=${s} ?selected=${f.durationSec === s}>${t(s >= 86_400 ? 'newListing.days' : 'newListing.hours', { n: s >= 86_400 ? s / 86_400 : s / 3600 })}</option>`)}</select></label>
          </div>
          ${this.renderCollateral()}
          ${this.renderGuarantee()}
          <details>
            <summary class="muted" style="cursor:pointer">${t('newListing.advanced')}</summary>
            <div class="form-row" style="margin-top:0.75rem">
              <label>${t('newListing.pricing')}<select @change=${(e: Event) => this.set({ pricing: (e.target as HTMLSelectElement).value as Pricing })} data-testid="listing-pricing">
                <option value="uniform" ?selected=${f.pricing === 'uniform'}>${t('pricing.uniform')}</option><option value="pay_as_bid" ?selected=${f.pricing === 'pay_as_bid'}>${t('pricing.pay_as_bid')}</option></select>
                <span class="hint">${t(f.pricing === 'uniform' ? 'newListing.uniformHint' : 'newListing.payAsBidHint')}</span></label>
              <label>${t('newListing.minFunding')}<span class="input-affix suffix"><input type="number" min="50" max="100" step="1" .value=${String(f.minFundingPct)} @input=${(e: Event) => this.set({ minFundingPct: Number((e.target as HTMLInputElement).value) })} data-testid="listing-min-funding" /><span>%</span></span>
                <span class="hint">${t('newListing.minFundingHint')}</span></label>
            </div>
            <label class="check" style="margin-top:0.6rem"><input type="checkbox" .checked=${f.closeWhenFunded} @change=${(e: Event) => this.set({ closeWhenFunded: (e.target as HTMLInputElement).checked })} data-testid="listing-close-when-funded" />${t('newListing.closeWhenFunded')}</label>
          </details>
          ${this.error ? errorBox(this.error, 'create-listing-error') : nothing}
          <button class="primary" type="submit" aria-disabled=${this.busy || problems.length > 0 ? 'true' : 'false'} aria-describedby=${problems.length ? problems.map((_, i) => `listing-warning-${i}`).join(' ') : nothing} data-testid="listing-submit">${this.busy ? t('common.sending') : t('newListing.submit')}</button>
        </form>
        <div class="stack sticky">
          <div class="panel" data-testid="schedule-preview">
            <div class="panel-head"><h2>${t('newListing.previewTitle')}</h2><span class="small muted">${t('newListing.previewAt', { rate: parseRate(f.maxRate) !== null ? rate(parseRate(f.maxRate)!) : '—' })}</span></div>
            ${p
              ? html`<dl class="facts">
                    <dt>${t('newListing.firstPayment')}</dt><dd>${first ? `${money(first.principalMinor + first.interestMinor)} · ${date(first.dueDate)}` : '—'}</dd>
                    <dt>${t('schedule.interest')}</dt><dd data-testid="preview-total-interest">${money(p.totals.interestMinor)}</dd>
                    <dt>${t('newListing.totalRepaid')}</dt><dd><strong>${money(p.totals.principalMinor + p.totals.interestMinor)}</strong></dd>
                  </dl>
                  <div class="table-wrap" style="margin-top:0.75rem;max-height:320px;overflow-y:auto">
                    <table class="data"><thead><tr><th>#</th><th>${t('schedule.due')}</th><th class="num">${t('schedule.payment')}</th><th class="num">${t('schedule.interest')}</th></tr></thead>
                      <tbody>${p.schedule.map((r) => html`<tr><td>${r.n}</td><td class="date">${date(r.dueDate)}</td><td class="num">${money(r.principalMinor + r.interestMinor)}</td><td class="num muted">${money(r.interestMinor)}</td></tr>`)}</tbody></table>
                  </div>
                  <p class="hint" style="margin-top:0.5rem">${t('newListing.previewHint')}</p>
                  ${p.prepaymentFeeBps && first && amountMinor
                    ? html`<p class="hint" data-testid="preview-prepayment-fee">${t('newListing.prepaymentFee', { rate: rate(p.prepaymentFeeBps), after: money(amountMinor - first.principalMinor), amount: money(feeOf(amountMinor - first.principalMinor, p.prepaymentFeeBps)) })}</p>`
                    : nothing}`
              : html`<p class="muted">${t('newListing.previewEmpty')}</p>`}
          </div>
          ${this.rating ? html`<div class="panel"><h2>${t('nav.rating')}</h2><dl class="facts"><dt>${t('market.grade')}</dt><dd><lb-grade grade=${this.rating.grade}></lb-grade></dd><dt>${t('rating.creditLine')}</dt><dd>${money(this.rating.creditLeftMinor, { trimZeroFen: true })}</dd><dt>${t('rating.cap')}</dt><dd>${money(this.rating.capLeftMinor, { trimZeroFen: true })}</dd></dl></div>` : nothing}
        </div>
      </div>
    </section>`;
  }
}
customElements.define('lb-new-listing-view', NewListingView);

/** The prepayment fee on principal repaid early: bps of it, half-even to the fen (as the server computes it). */
function feeOf(principalMinor: number, bps: number): number {
  const scaled = principalMinor * bps;
  const q = Math.floor(scaled / 10_000);
  const r = scaled - q * 10_000;
  return r * 2 > 10_000 || (r * 2 === 10_000 && q % 2 === 1) ? q + 1 : q;
}

