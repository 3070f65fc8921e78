import { html, nothing } from 'lit';
import { api } from '../lib/api.js';
import { bpsToInput, dateTime, minorToInput, money, parseMoney, parseRate, rate } from '../lib/format.js';
import { t } from '../lib/i18n.js';
import { live } from '../lib/session.js';
import { toast } from '../lib/toasts.js';
import { GRADES, PRODUCTS, TERMS, type AutobidInput, type AutobidLogItem, type AutobidPreview, type AutobidStrategy, type ClearingRates, type Grade } from '../lib/types.js';
import { View, errorBox } from './view.js';

const MONEY_FIELDS = ['amountPerListingMinor', 'maxPerBorrowerMinor', 'budgetMinor', 'reserveMinor'] as const;
type MoneyField = (typeof MONEY_FIELDS)[number];

interface Form {
  enabled: boolean;
  money: Record<MoneyField, string>;
  rates: Record<Grade, string>;
  terms: Set<number>;
  products: Set<string>;
}

function formOf(s: AutobidStrategy): Form {
  return {
    enabled: s.enabled,
    money: Object.fromEntries(MONEY_FIELDS.map((f) => [f, minorToInput(s[f])])) as Record<MoneyField, string>,
    rates: Object.fromEntries(GRADES.map((g) => [g, s.minRateBpsByGrade[g] !== undefined ? bpsToInput(s.minRateBpsByGrade[g]!) : ''])) as Record<Grade, string>,
    terms: new Set(s.termsMonths ?? []),
    products: new Set(s.products ?? []),
  };
}

/**
 * Autobid: a lender's standing order (docs/autobid.md). A rate per grade with the market's recent
 * clearing rate beside it, the amount per listing, the limits and the reserve, filters; a preview of what
 * these settings would bid on the listings open now; the log of what autobid did, live.
 */
export class AutobidView extends View {
  static override properties = { ...View.properties, strategy: { state: true }, form: { state: true }, rates: { state: true }, preview: { state: true }, log: { state: true }, error: { state: true }, previewError: { state: true }, busy: { state: true } };
  declare strategy: AutobidStrategy | null;
  declare form: Form | null;
  declare rates: ClearingRates | null;
  declare preview: AutobidPreview | null;
  declare log: AutobidLogItem[];
  declare error: unknown;
  declare previewError: unknown;
  declare busy: boolean;
  private previewTimer: ReturnType<typeof setTimeout> | undefined;

  constructor() {
    super();
    this.strategy = null;
    this.form = null;
    this.rates = null;
    this.preview = null;
    this.log = [];
    this.error = null;
    this.previewError = null;
    this.busy = false;
  }

  override connectedCallback(): void {
    super.connectedCallback();
    void this.load();
    this.own(
      live.me((_s, change) => {
        if (change.type !== 'event' || !(change.event === 'autobid.placed' || change.event.startsWith('bid.'))) return;
        void this.loadLog();
        // What is open, and what the lender already holds, changed: so does what these settings would bid.
        this.schedulePreview();
      }),
    );
    this.own(() => clearTimeout(this.previewTimer));
  }

  private async load(): Promise<void> {
    try {
      const [s, rates] = await Promise.all([api.autobid(), api.clearingRates()]);
      this.strategy = s;
      this.form = formOf(s);
      this.rates = rates;
      this.error = null;
      this.schedulePreview();
      await this.loadLog();
    } catch (err) {
      this.error = err;
    }
  }

  private async loadLog(): Promise<void> {
    try {
      this.log = (await api.autobidLog({ limit: 50 })).items;
      this.strategy = await api.autobid();
    } catch {
      /* the form still works */
    }
  }

  /** The body of the form, or null while a field does not parse (its message shows on save). */
  private body(): AutobidInput | null {
    const f = this.form;
    if (!f) return null;
    const [amountPerListingMinor, maxPerBorrowerMinor, budgetMinor, reserveMinor] = MONEY_FIELDS.map((k) => parseMoney(f.money[k]));
    if (amountPerListingMinor == null || maxPerBorrowerMinor == null || budgetMinor == null || reserveMinor == null) return null;
    const minRateBpsByGrade: AutobidInput['minRateBpsByGrade'] = {};
    for (const g of GRADES) {
      if (f.rates[g].trim() === '') continue;
      const v = parseRate(f.rates[g]);
      if (v === null || v < 1) return null;
      minRateBpsByGrade[g] = v;
    }
    return {
      enabled: f.enabled,
      amountPerListingMinor,
      maxPerBorrowerMinor,
      budgetMinor,
      reserveMinor,
      minRateBpsByGrade,
      // In the contract's own order and values: the boxes offer only these.
      termsMonths: f.terms.size ? TERMS.filter((m) => f.terms.has(m)) : null,
      products: f.products.size ? PRODUCTS.filter((p) => f.products.has(p)) : null,
    };
  }

  private change(mut: (f: Form) => void): void {
    if (!this.form) return;
    const next: Form = { ...this.form, money: { ...this.form.money }, rates: { ...this.form.rates }, terms: new Set(this.form.terms), products: new Set(this.form.products) };
    mut(next);
    this.form = next;
    this.schedulePreview();
  }

  private schedulePreview(): void {
    clearTimeout(this.previewTimer);
    this.previewTimer = setTimeout(() => void this.runPreview(), 250);
  }

  private async runPreview(): Promise<void> {
    const body = this.body();
    if (!body) {
      this.preview = null;
      return;
    }
    try {
      this.preview = await api.autobidPreview(body);
      this.previewError = null;
    } catch (err) {
      this.preview = null;
      this.previewError = err;
    }
  }

  private async submit(e: Event): Promise<void> {
    e.preventDefault();
    const body = this.body();
    if (!body) {
      this.error = new Error(t('autobid.invalid'));
      return;
    }
    this.busy = true;
    try {
      const saved = await api.saveAutobid(body);
      this.strategy = saved;
      this.form = formOf(saved);
      this.error = null;
      toast({ tone: 'good', kind: 'autobid', title: t('autobid.saved'), body: saved.placedNow.bids ? t('autobid.placedNow', { n: saved.placedNow.bids, amount: money(saved.placedNow.amountMinor) }) : '' }, 5000);
      await this.loadLog();
      this.schedulePreview();
    } catch (err) {
      this.error = err;
    } finally {
      this.busy = false;
    }
  }

  private recent(g: Grade) {
    const r = this.rates?.items.find((i) => i.grade === g);
    if (!r || r.rateBps === null) return t('autobid.recentNone');
    return t('autobid.recent', { rate: rate(r.rateBps), n: r.loans });
  }

  override render() {
    const f = this.form;
    const s = this.strategy;
    return html`<section class="page">
      <div class="page-head"><div><h1>${t('nav.autobid')}</h1><p>${t('autobid.subtitle')}</p></div></div>
      ${s
        ? html`<div class="kpis">
            <div class="kpi"><small>${t('autobid.kpi.status')}</small><strong data-testid="autobid-status">${s.enabled ? t('autobid.on') : t('autobid.off')}</strong></div>
            <div class="kpi"><small>${t('autobid.kpi.placed')}</small><strong>${s.stats.bidsPlaced}</strong></div>
            <div class="kpi"><small>${t('autobid.kpi.held')}</small><strong>${money(s.stats.heldMinor)}</strong></div>
            <div class="kpi"><small>${t('autobid.kpi.outstanding')}</small><strong>${money(s.stats.outstandingMinor)}</strong></div>
          </div>`
        : nothing}
      ${f
        ? html`<form class="panel form" @submit=${(e: Event) => void this.submit(e)} data-testid="autobid-form">
            <label class="check"><input type="checkbox" .checked=${f.enabled} @change=${(e: Event) => this.change((x) => (x.enabled = (e.target as HTMLInputElement).checked))} data-testid="autobid-enabled" /><span>${t('autobid.enabled')}</span></label>
            <fieldset>
              <legend>${t('autobid.rates')}</legend>
              <p class="hint">${t('autobid.ratesHint')}</p>
              <div class="grid-2">
                ${GRADES.map(
                  (g) => html`<label
                    >${t('autobid.rateFor', { grade: g })}
                    <input inputmode="decimal" .value=${f.rates[g]} @input=${(e: Event) => this.change((x) => (x.rates[g] = (e.target as HTMLInputElement).value))} placeholder=${t('autobid.noBid')} data-testid="autobid-rate-${g}" aria-describedby="autobid-recent-${g}" />
                    <span class="hint" id="autobid-recent-${g}" data-testid="autobid-recent-${g}">${this.recent(g)}</span></label
                  >`,
                )}
              </div>
            </fieldset>
            <fieldset>
              <legend>${t('autobid.amounts')}</legend>
              <div class="grid-2">
                ${MONEY_FIELDS.map(
                  (k) => html`<label
                    >${t(`field.${k}`)} (¥)
                    <input inputmode="decimal" required .value=${f.money[k]} @input=${(e: Event) => this.change((x) => (x.money[k] = (e.target as HTMLInputElement).value))} data-testid="autobid-${k}" aria-describedby="autobid-hint-${k}" />
                    <span class="hint" id="autobid-hint-${k}">${t(`autobid.hint.${k}`)}</span></label
                  >`,
                )}
              </div>
            </fieldset>
            <fieldset>
              <legend>${t('autobid.terms')}</legend>
              <div class="row">
                ${TERMS.map((m) => html`<label class="check"><input type="checkbox" .checked=${f.terms.has(m)} @change=${(e: Event) => this.change((x) => ((e.target as HTMLInputElement).checked ? x.terms.add(m) : x.terms.delete(m)))} data-testid="autobid-term-${m}" /><span>${t('unit.nMonths', { n: m })}</span></label>`)}
              </div>
              <p class="hint">${t('autobid.filterHint')}</p>
            </fieldset>
            <fieldset>
              <legend>${t('autobid.products')}</legend>
              <div class="row">
                ${PRODUCTS.map((p) => html`<label class="check"><input type="checkbox" .checked=${f.products.has(p)} @change=${(e: Event) => this.change((x) => ((e.target as HTMLInputElement).checked ? x.products.add(p) : x.products.delete(p)))} data-testid="autobid-product-${p}" /><span>${t(`product.${p}`)}</span></label>`)}
              </div>
            </fieldset>
            <p class="notice" role="status" aria-live="polite" data-testid="autobid-preview">
              ${this.preview ? t('autobid.preview', { n: this.preview.listingsBid, m: this.preview.listingsOpen, amount: money(this.preview.totalMinor) }) : this.previewError ? nothing : t('autobid.previewNone')}
            </p>
            ${this.previewError ? errorBox(this.previewError, 'autobid-preview-error') : nothing}
            ${this.error ? errorBox(this.error, 'autobid-error') : nothing}
            <button class="primary" type="submit" ?disabled=${this.busy} data-testid="autobid-save">${this.busy ? t('common.sending') : t('autobid.save')}</button>
          </form>`
        : this.error
          ? errorBox(this.error)
          : nothing}
      <div class="panel">
        <h2>${t('autobid.log')}</h2>
        <div class="table-wrap">
          <table class="data" data-testid="autobid-log">
            <thead><tr><th>${t('autobid.col.at')}</th><th>${t('market.col.listing')}</th><th>${t('autobid.col.outcome')}</th><th class="num">${t('listing.amount')}</th><th class="num">${t('bids.col.yourRate')}</th><th>${t('autobid.col.reason')}</th></tr></thead>
            <tbody>
              ${this.log.map(
                (x) => html`<tr data-testid="autobid-log-row" data-outcome=${x.outcome} data-listing-id=${x.listingId}>
                  <td class="nowrap muted small">${dateTime(x.at)}</td>
                  <td><a href="#/listing/${x.listingId}">${x.listingTitle}</a></td>
                  <td><span class="badge ${x.outcome === 'placed' ? 'good' : 'muted'}">${t(`autobid.outcome.${x.outcome}`)}</span></td>
                  <td class="num">${x.amountMinor !== undefined ? money(x.amountMinor, { trimZeroFen: true }) : '—'}</td>
                  <td class="num">${x.rateBps !== undefined ? rate(x.rateBps) : '—'}</td>
                  <td>${x.code ? t(`err.${x.code}`) : t(`autobid.trigger.${x.trigger}`)}</td>
                </tr>`,
              )}
            </tbody>
          </table>
        </div>
        ${this.log.length === 0 ? html`<p class="empty">${t('autobid.logEmpty')}</p>` : nothing}
      </div>
    </section>`;
  }
}
customElements.define('lb-autobid-view', AutobidView);
