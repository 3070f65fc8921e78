import { html, nothing, type TemplateResult } from 'lit';
import { api } from '../lib/api.js';
import { bpsToInput, dateTime, minorToInput, money, parseMoney, parseRate, rate, seconds, shortId } from '../lib/format.js';
import { t } from '../lib/i18n.js';
import { fieldErrorText } from '../lib/problem-text.js';
import { toast } from '../lib/toasts.js';
import { GRADES, type AdminSettingsView, type Grade, type SettingRange, type InvariantReport, type MerchantForOperators, type PartnerCredentials, type PartnerView, type PublishableKey, type UserDetail, type UserSummary, type WebhookDelivery } from '../lib/types.js';
import { View, errorBox } from './view.js';

type Unit = 'bps' | 'money' | 'sec' | 'pct' | 'days' | 'months' | 'bpsDay' | 'grade' | 'count';
/** Settings in the order operators read them; units and ranges come from the server (GET /admin/settings). */
const ORDER = [
  'maxRateBps',
  'minBidMinor',
  'auctionMinDurationSec',
  'auctionMaxDurationSec',
  'auctionDefaultDurationSec',
  'lenderListingCapPct',
  'softCloseSec',
  'softCloseMaxExtensionSec',
  'platformFeeBps',
  'prepaymentFeeBps',
  'graceDays',
  'penaltyBpsPerDay',
  'defaultAfterDays',
  'capLegalPersonMinor',
  'capNaturalPersonMinor',
  'minGradeToList',
  'minMonthsActive',
  'orderMaxAgeDays',
  'warehouseLtvPct',
  'transferMaxDiscountBps',
  'transferMaxPremiumBps',
  'transferFeeBps',
  'transferMinHoldDays',
  'transferOfferTtlDays',
  'claimMaxDays',
  'claimMaxTier',
  'guarantorLeverage',
  'guarantorPayDays',
  'wsMaxSocketsPerAddress',
  'wsMaxSocketsPerUser',
  'wsMaxSubscriptionsPerAddress',
  'wsMaxSubscriptionsPerUser',
  'autobidMaxSharePct',
  'autobidLookbackDays',
  'autobidMinTimeLeftSec',
];
const GRADE_MAPS = ['gradeFloorBps', 'orderAdvancePct', 'expectedLossBps', 'claimAdvancePct'];
const UNIT_OF: Record<SettingRange['unit'], Unit> = { bps: 'bps', bpsPerDay: 'bpsDay', minor: 'money', sec: 'sec', pct: 'pct', days: 'days', months: 'months', count: 'count' };

function toInput(unit: Unit, v: unknown): string {
  if (v === null || v === undefined) return '';
  if (unit === 'bps' || unit === 'bpsDay') return bpsToInput(Number(v));
  if (unit === 'money') return minorToInput(Number(v));
  return String(v);
}

function fromInput(unit: Unit, text: string): number | string | null {
  const s = text.trim();
  if (unit === 'grade') return s;
  if (unit === 'bps' || unit === 'bpsDay') return parseRate(s);
  if (unit === 'money') return parseMoney(s);
  return /^\d{1,15}$/.test(s) ? Number(s) : null;
}

function display(unit: Unit, v: unknown): string {
  if (v === null || v === undefined) return '—';
  const n = Number(v);
  switch (unit) {
    case 'bps':
      return rate(n);
    case 'bpsDay':
      return t('unit.perDay', { value: rate(n) });
    case 'money':
      return money(n, { trimZeroFen: true });
    case 'sec':
      return seconds(n);
    case 'pct':
      return `${n}%`;
    case 'days':
      return t('unit.nDays', { n });
    case 'months':
      return t('unit.nMonths', { n });
    default:
      return String(v);
  }
}

/**
 * What is wrong with a typed value, in the sentence the server would answer with (the same range), or
 * null when it may be saved. The form refuses to save while any value is wrong.
 */
function valueProblem(name: string, unit: Unit, range: SettingRange | undefined, text: string): string | null {
  if (unit === 'grade' || !range) return null;
  const v = fromInput(unit, text);
  const field = `body/${name}`;
  if (typeof v !== 'number') return fieldErrorText({ field, message: 'invalid', min: range.min, max: range.max });
  if (v < range.min || v > range.max) return fieldErrorText({ field, message: 'range', keyword: 'maximum', min: range.min, max: range.max });
  if (range.multipleOf && v % range.multipleOf !== 0) return fieldErrorText({ field, message: 'multipleOf', keyword: 'multipleOf', multipleOf: range.multipleOf });
  return null;
}

/** docs/market-rules.md §8 settings: values in force, their ranges, who overrode them, changed at run time. */
export class AdminSettingsViewEl extends View {
  static override properties = { ...View.properties, data: { state: true }, error: { state: true }, saveError: { state: true }, edits: { state: true }, busy: { state: true } };
  declare data: AdminSettingsView | null;
  declare error: unknown;
  declare saveError: unknown;
  declare edits: Record<string, string>;
  declare busy: boolean;
  constructor() {
    super();
    this.data = null;
    this.error = null;
    this.saveError = null;
    this.edits = {};
    this.busy = false;
  }
  override connectedCallback(): void {
    super.connectedCallback();
    void this.load();
  }
  private async load(): Promise<void> {
    try {
      this.data = await api.settings();
      this.error = null;
    } catch (err) {
      this.error = err;
    }
  }

  private unitOf(name: string): Unit {
    if (name === 'minGradeToList') return 'grade';
    const range = this.data?.bounds[name];
    return range ? UNIT_OF[range.unit] : 'pct';
  }

  /** Every edited value that cannot be saved, by edit key (`maxRateBps`, `gradeFloorBps.AA`). */
  private problems(): Map<string, string> {
    const out = new Map<string, string>();
    for (const [key, text] of Object.entries(this.edits)) {
      const [name, grade] = key.split('.') as [string, string | undefined];
      if (grade && text.trim() === '') continue; // a grade left empty removes its value
      const problem = valueProblem(grade ? `${name}/${grade}` : name, this.unitOf(name), this.data?.bounds[name], text);
      if (problem) out.set(key, problem);
    }
    return out;
  }

  private patch(): Record<string, unknown> {
    const s: Readonly<Record<string, unknown>> = this.data!.settings;
    const patch: Record<string, unknown> = {};
    for (const [key, text] of Object.entries(this.edits)) {
      const [name, grade] = key.split('.') as [string, Grade | undefined];
      if (grade) {
        const map = { ...((patch[name] as Record<string, number> | undefined) ?? (s[name] as Record<string, number>)) };
        if (text.trim() === '') delete map[grade];
        else map[grade] = fromInput(this.unitOf(name), text) as number;
        patch[name] = map;
      } else {
        const v = fromInput(this.unitOf(name), text);
        if (v !== s[name]) patch[name] = v;
      }
    }
    return patch;
  }

  private async save(e: Event, patchOverride?: Record<string, unknown>): Promise<void> {
    e.preventDefault();
    if (this.busy) return;
    if (!patchOverride && this.problems().size > 0) {
      // Save stays reachable (aria-disabled): pressing it goes to the first field to fix.
      this.querySelector<HTMLElement>('[data-testid="settings-form"] [aria-invalid="true"]')?.focus();
      return;
    }
    const patch = patchOverride ?? this.patch();
    if (Object.keys(patch).length === 0) return;
    this.busy = true;
    this.saveError = null;
    try {
      this.data = await api.putSettings(patch);
      this.edits = {};
      toast({ tone: 'good', kind: 'settings', title: t('admin.saved') }, 3000);
    } catch (err) {
      this.saveError = err;
    } finally {
      this.busy = false;
    }
  }

  private async advance(ms: number): Promise<void> {
    try {
      await api.advanceClock(ms);
      await this.load();
      toast({ tone: 'info', kind: 'clock', title: t('admin.clockMoved', { at: dateTime(this.data?.clock.now) }) }, 3000);
    } catch (err) {
      this.saveError = err;
    }
  }

  /**
   * One setting's field. Named by the row's setting name (and the grade, for a per-grade value) through
   * aria-labelledby, described by its allowed range and, when refused, by the reason.
   */
  private input(key: string, unit: Unit, value: unknown, problem: string | undefined, labelledBy: string, range: string | null): TemplateResult {
    const suffix = unit === 'bps' || unit === 'bpsDay' || unit === 'pct' ? '%' : unit === 'sec' ? 's' : unit === 'days' ? t('unit.days') : unit === 'months' ? t('unit.months') : '';
    const val = key in this.edits ? this.edits[key]! : toInput(unit, value);
    const onInput = (e: Event) => (this.edits = { ...this.edits, [key]: (e.target as HTMLInputElement | HTMLSelectElement).value });
    const describedBy = [range, problem ? `setting-error-${key}` : null].filter(Boolean).join(' ');
    if (unit === 'grade') {
      return html`<select @change=${onInput} aria-labelledby=${labelledBy} aria-describedby=${describedBy || nothing} data-testid="setting-${key}">${GRADES.map((g) => html`<option value=${g} ?selected=${val === g}>${g}</option>`)}</select>`;
    }
    return html`<span class="input-affix ${unit === 'money' ? '' : 'suffix'}">${unit === 'money' ? html`<span aria-hidden="true">¥</span>` : nothing}<input inputmode="decimal" .value=${val} @input=${onInput} aria-labelledby=${labelledBy} aria-describedby=${describedBy || nothing} aria-invalid=${problem ? 'true' : 'false'} data-testid="setting-${key}" />${suffix ? html`<span aria-hidden="true">${suffix}</span>` : nothing}</span>
      ${problem ? html`<div class="field-error" id="setting-error-${key}" data-testid="setting-error-${key}">${problem}</div>` : nothing}`;
  }

  private rangeText(name: string): string {
    const range = this.data?.bounds[name];
    if (!range) return '';
    const unit = this.unitOf(name);
    return t('admin.range', { min: display(unit, range.min), max: display(unit, range.max) });
  }

  override render() {
    const d = this.data;
    if (this.error && !d) return html`<section class="page"><h1>${t('nav.settings')}</h1>${errorBox(this.error)}</section>`;
    if (!d) return html`<p class="muted">${t('common.loading')}</p>`;
    const s: Readonly<Record<string, unknown>> = d.settings;
    const problems = this.problems();
    return html`<section class="page">
      <div class="page-head"><div><h1>${t('nav.settings')}</h1><p>${t('admin.settingsSubtitle')}</p></div></div>
      ${d.clock.settable
        ? html`<div class="panel row"><strong>${t('admin.clock')}</strong><span class="muted">${dateTime(d.clock.now)}</span><span class="spacer"></span>
            ${[3_600_000, 86_400_000, 7 * 86_400_000, 30 * 86_400_000].map((ms) => html`<button class="chip" @click=${() => void this.advance(ms)}>+${seconds(ms / 1000)}</button>`)}</div>`
        : nothing}
      <form class="panel" @submit=${(e: Event) => void this.save(e)} data-testid="settings-form">
        <div class="table-wrap"><table class="data">
          <thead><tr><th>${t('admin.setting')}</th><th>${t('admin.inForce')}</th><th style="min-width:11rem">${t('admin.newValue')}</th><th><span class="sr-only">${t('common.actions')}</span></th></tr></thead>
          <tbody>
            ${ORDER.filter((k) => k in s).map((k) => {
              const over = d.overridden.includes(k);
              const unit = this.unitOf(k);
              return html`<tr><td><strong id="setting-name-${k}">${t(`setting.${k}`)}</strong><br /><span class="mono muted small">${d.environment[k] ?? ''}</span>${d.bounds[k] ? html`<br /><span class="muted small" id="setting-range-${k}" data-testid="setting-range-${k}">${this.rangeText(k)}</span>` : nothing}</td>
                <td class="nowrap">${display(unit, s[k])} ${over ? html`<span class="badge warn">${t('admin.overridden')}</span>` : nothing}</td>
                <td>${this.input(k, unit, s[k], problems.get(k), `setting-name-${k}`, d.bounds[k] ? `setting-range-${k}` : null)}</td>
                <td>${over ? html`<button type="button" class="ghost" @click=${(e: Event) => void this.save(e, { [k]: null })}>${t('admin.reset')}</button>` : nothing}</td></tr>`;
            })}
            ${GRADE_MAPS.filter((k) => k in s).map((k) => {
              const unit = this.unitOf(k);
              const map = (s[k] ?? {}) as Record<string, number>;
              const over = d.overridden.includes(k);
              return html`<tr><td><strong id="setting-name-${k}">${t(`setting.${k}`)}</strong><br /><span class="mono muted small">${d.environment[k] ?? ''}</span>${d.bounds[k] ? html`<br /><span class="muted small" id="setting-range-${k}">${this.rangeText(k)}</span>` : nothing}</td>
                <td class="small">${GRADES.filter((g) => map[g] !== undefined).map((g) => `${g} ${display(unit, map[g])}`).join(' · ') || t('admin.none')} ${over ? html`<span class="badge warn">${t('admin.overridden')}</span>` : nothing}</td>
                <td><div style="display:grid;grid-template-columns:repeat(auto-fill,minmax(5.2rem,1fr));gap:0.3rem">${GRADES.map((g) => html`<div class="small grade-field"><span id="setting-grade-${k}-${g}" class="muted">${g}</span>${this.input(`${k}.${g}`, unit, map[g], problems.get(`${k}.${g}`), `setting-name-${k} setting-grade-${k}-${g}`, d.bounds[k] ? `setting-range-${k}` : null)}</div>`)}</div></td>
                <td>${over ? html`<button type="button" class="ghost" @click=${(e: Event) => void this.save(e, { [k]: null })}>${t('admin.reset')}</button>` : nothing}</td></tr>`;
            })}
          </tbody>
        </table></div>
        ${this.saveError ? errorBox(this.saveError) : nothing}
        <div class="row" style="margin-top:0.75rem"><span class="spacer"></span><button type="button" class="ghost" @click=${() => (this.edits = {})}>${t('admin.discard')}</button><button class="primary" type="submit" aria-disabled=${this.busy || Object.keys(this.edits).length === 0 || problems.size > 0 ? 'true' : 'false'} data-testid="settings-save">${t('admin.save')}</button></div>
      </form>
    </section>`;
  }
}
customElements.define('lb-admin-settings-view', AdminSettingsViewEl);

/** Order systems: API keys (secret shown once, rotation) and publishable widget keys with their origins. */
export class AdminPartnersView extends View {
  static override properties = { ...View.properties, items: { state: true }, pubKeys: { state: true }, error: { state: true }, secret: { state: true }, busy: { state: true } };
  declare items: PartnerView[];
  declare pubKeys: PublishableKey[];
  declare error: unknown;
  declare secret: PartnerCredentials | null;
  declare busy: boolean;
  constructor() {
    super();
    this.items = [];
    this.pubKeys = [];
    this.error = null;
    this.secret = null;
    this.busy = false;
  }
  override connectedCallback(): void {
    super.connectedCallback();
    void this.load();
  }
  private async load(): Promise<void> {
    try {
      this.items = (await api.partners()).items;
      this.pubKeys = await api.publishableKeys().then((r) => r.items, () => []);
      this.error = null;
    } catch (err) {
      this.error = err;
    }
  }
  private async create(e: Event): Promise<void> {
    e.preventDefault();
    const form = e.target as HTMLFormElement;
    const data = new FormData(form);
    const webhookUrl = String(data.get('webhookUrl') ?? '').trim();
    this.busy = true;
    try {
      this.secret = await api.createPartner({ name: String(data.get('name') ?? '').trim(), ...(webhookUrl ? { webhookUrl } : {}) });
      form.reset();
      this.error = null;
      void this.load();
    } catch (err) {
      this.error = err;
    } finally {
      this.busy = false;
    }
  }
  private async rotate(keyId: string): Promise<void> {
    if (!confirm(t('admin.rotateConfirm'))) return;
    try {
      this.secret = await api.rotateKey(keyId);
      void this.load();
    } catch (err) {
      this.error = err;
    }
  }
  /** The previous secret dies at once (it leaked, or the partner has rolled over to the new one). */
  private async revokePrevious(keyId: string, n: number): Promise<void> {
    if (!confirm(t('admin.revokePreviousConfirm'))) return;
    try {
      await api.revokePreviousSecret(keyId, n);
      toast({ tone: 'good', kind: 'partner', title: t('admin.previousRevoked') }, 3000);
      void this.load();
    } catch (err) {
      this.error = err;
    }
  }
  private async addPublishable(e: Event, partnerId: string): Promise<void> {
    e.preventDefault();
    const form = e.target as HTMLFormElement;
    const origins = String(new FormData(form).get('origins') ?? '')
      .split(/[\s,]+/)
      .filter(Boolean);
    try {
      await api.createPublishableKey(partnerId, origins);
      form.reset();
      void this.load();
    } catch (err) {
      this.error = err;
    }
  }
  private async revoke(key: string): Promise<void> {
    if (!confirm(t('admin.revokeConfirm'))) return;
    try {
      await api.revokePublishableKey(key);
      void this.load();
    } catch (err) {
      this.error = err;
    }
  }
  override render() {
    return html`<section class="page">
      <div class="page-head"><div><h1>${t('nav.partners')}</h1><p>${t('admin.partnersSubtitle')}</p></div></div>
      ${this.secret
        ? html`<div class="ok-box" role="alert" data-testid="partner-secret"><strong>${t('admin.secretOnce')}</strong>
            <dl class="facts" style="margin-top:0.5rem"><dt>${t('admin.keyId')}</dt><dd class="mono">${this.secret.keyId}</dd><dt>${t('admin.secret')}</dt><dd class="mono" style="word-break:break-all">${this.secret.secret}</dd></dl>
            <div class="row" style="margin-top:0.5rem"><button class="chip" @click=${() => void navigator.clipboard?.writeText(this.secret!.secret)}>${t('admin.copy')}</button><button class="chip" @click=${() => (this.secret = null)}>${t('admin.done')}</button></div></div>`
        : nothing}
      ${this.error ? errorBox(this.error) : nothing}
      <form class="panel form" @submit=${(e: Event) => void this.create(e)} data-testid="partner-form">
        <h2>${t('admin.newPartner')}</h2>
        <div class="form-row"><label>${t('admin.partnerName')}<input name="name" required maxlength="100" /></label><label>${t('admin.webhookUrl')}<input name="webhookUrl" type="url" placeholder="https://…" /></label></div>
        <div class="row"><button class="primary" type="submit" ?disabled=${this.busy}>${t('admin.create')}</button></div>
      </form>
      ${this.items.map(
        (p) => html`<div class="panel" data-testid="partner">
          <div class="panel-head"><h2>${p.name}</h2><span class="mono muted small">${p.id} · ${dateTime(p.createdAt)}</span></div>
          <p class="small muted" style="margin-bottom:0.5rem">${t('admin.webhookUrl')}: ${p.webhookUrl ?? t('admin.none')}</p>
          <div class="table-wrap"><table class="data"><thead><tr><th>${t('admin.keyId')}</th><th class="num">${t('admin.version')}</th><th>${t('admin.rotated')}</th><th>${t('bids.col.status')}</th><th><span class="sr-only">${t('common.actions')}</span></th></tr></thead>
            <tbody>${p.keys.map((k) => html`<tr><td class="mono">${k.keyId}</td><td class="num">${k.version}</td><td>${k.rotatedAt ? dateTime(k.rotatedAt) : '—'}</td><td>${k.revoked ? html`<span class="badge muted">${t('admin.revoked')}</span>` : html`<span class="badge good">${t('admin.active')}</span>`}</td>
              <td>${k.revoked ? nothing : html`<button class="chip" @click=${() => void this.rotate(k.keyId)} data-testid="rotate-key">${t('admin.rotate')}</button>`}
                ${!k.revoked && k.secrets.length > 1 ? html`<button class="chip" @click=${() => void this.revokePrevious(k.keyId, k.version - 1)} data-testid="revoke-previous-secret">${t('admin.revokePrevious')}</button>` : nothing}</td></tr>`)}</tbody></table></div>
          <h3 style="margin:0.9rem 0 0.4rem">${t('admin.publishable')}</h3>
          ${this.pubKeys.filter((k) => k.partnerId === p.id).map(
            (k) => html`<div class="row small" style="margin-bottom:0.3rem"><span class="mono">${k.key}</span><span class="muted">${k.allowedOrigins.join(', ')}</span>${k.revoked ? html`<span class="badge muted">${t('admin.revoked')}</span>` : html`<button class="chip" @click=${() => void this.revoke(k.key)}>${t('admin.revoke')}</button>`}</div>`,
          )}
          <form class="row" @submit=${(e: Event) => void this.addPublishable(e, p.id)}><input name="origins" required placeholder="https://shop.example.com" style="max-width:24rem" aria-label=${t('admin.origins')} /><button type="submit" class="chip">${t('admin.addPublishable')}</button></form>
        </div>`,
      )}
    </section>`;
  }
}
customElements.define('lb-admin-partners-view', AdminPartnersView);

/** Every money invariant recomputed from the tables. */
export class AdminInvariantsView extends View {
  static override properties = { ...View.properties, report: { state: true }, error: { state: true }, checkedAt: { state: true } };
  declare report: InvariantReport | null;
  declare error: unknown;
  declare checkedAt: number;
  constructor() {
    super();
    this.report = null;
    this.error = null;
    this.checkedAt = 0;
  }
  override connectedCallback(): void {
    super.connectedCallback();
    void this.load();
    const timer = setInterval(() => void this.load(), 15_000);
    this.own(() => clearInterval(timer));
  }
  private async load(): Promise<void> {
    try {
      this.report = await api.invariants();
      this.checkedAt = Date.now();
      this.error = null;
    } catch (err) {
      this.error = err;
    }
  }
  override render() {
    const r = this.report;
    return html`<section class="page">
      <div class="page-head"><div><h1>${t('nav.invariants')}</h1><p>${t('admin.invariantsSubtitle')}</p></div><button @click=${() => void this.load()}>${t('admin.recheck')}</button></div>
      ${this.error ? errorBox(this.error) : nothing}
      ${r
        ? html`<div class=${r.ok ? 'ok-box' : 'error'} data-testid="invariants-status" data-ok=${String(r.ok)}>${r.ok ? t('admin.allHold', { n: r.checks.length }) : t('admin.someFail', { n: r.checks.filter((c) => !c.ok).length })} · ${t('admin.checkedAt', { at: dateTime(this.checkedAt) })}</div>
            <div class="panel"><div class="table-wrap"><table class="data"><thead><tr><th><span class="sr-only">${t('common.result')}</span></th><th>${t('admin.check')}</th><th>${t('admin.detail')}</th></tr></thead>
              <tbody>${r.checks.map((c) => html`<tr data-testid="invariant" data-ok=${String(c.ok)}><td>${c.ok ? html`<span class="badge good">OK</span>` : html`<span class="badge bad">${t('admin.fail')}</span>`}</td><td class="mono">${c.name}</td><td class="small ${c.ok ? 'muted' : 'bad'}">${c.detail}</td></tr>`)}</tbody></table></div></div>`
        : html`<p class="muted">${t('common.loading')}</p>`}
    </section>`;
  }
}
customElements.define('lb-admin-invariants-view', AdminInvariantsView);

/** Webhook deliveries to the order systems, with their attempts; replay sends the same event id again. */
export class AdminWebhooksView extends View {
  static override properties = { ...View.properties, items: { state: true }, nextCursor: { state: true }, error: { state: true }, open: { state: true } };
  declare items: WebhookDelivery[];
  declare nextCursor: string | null;
  declare error: unknown;
  declare open: string;
  constructor() {
    super();
    this.items = [];
    this.nextCursor = null;
    this.error = null;
    this.open = '';
  }
  override connectedCallback(): void {
    super.connectedCallback();
    void this.load();
  }
  private async load(more = false): Promise<void> {
    try {
      const page = await api.webhooks(more ? this.nextCursor : null);
      this.items = more ? [...this.items, ...page.items] : page.items;
      this.nextCursor = page.nextCursor;
      this.error = null;
    } catch (err) {
      this.error = err;
    }
  }
  private async replay(id: string): Promise<void> {
    try {
      const r = await api.replayWebhook(id);
      toast({ tone: 'info', kind: 'replay', title: t('admin.replayed', { id: shortId(id), n: r.replays }) }, 3000);
      void this.load();
    } catch (err) {
      this.error = err;
    }
  }
  override render() {
    return html`<section class="page">
      <div class="page-head"><div><h1>${t('nav.webhooks')}</h1><p>${t('admin.webhooksSubtitle')}</p></div><button @click=${() => void this.load()}>${t('admin.refresh')}</button></div>
      ${this.error ? errorBox(this.error) : nothing}
      <div class="panel" style="padding-top:0.4rem"><div class="table-wrap"><table class="data" data-testid="webhooks">
        <thead><tr><th>${t('wallet.col.when')}</th><th>${t('admin.event')}</th><th>${t('bids.col.status')}</th><th class="num">${t('admin.attempts')}</th><th>${t('admin.lastResult')}</th><th><span class="sr-only">${t('common.actions')}</span></th></tr></thead>
        <tbody>${this.items.map(
          (d) => html`<tr data-testid="webhook-row" data-status=${d.status}>
              <td class="nowrap muted">${dateTime(d.createdAt)}</td>
              <td><button class="link-btn mono" aria-expanded=${this.open === d.id} @click=${() => (this.open = this.open === d.id ? '' : d.id)}>${d.type}</button><br /><span class="mono muted small">${d.eventId}</span></td>
              <td><span class="badge ${d.status === 'delivered' ? 'good' : d.status === 'failed' ? 'bad' : 'warn'}">${t(`webhook.${d.status}`)}</span>${d.replays ? html` <span class="small muted">${t('admin.replays', { n: d.replays })}</span>` : nothing}</td>
              <td class="num">${d.attempts}</td>
              <td class="small">${d.lastStatusCode ? `HTTP ${d.lastStatusCode}` : ''} ${d.lastError ? html`<span class="bad">${d.lastError}</span>` : nothing}${d.deliveredAt ? html`<span class="muted">${dateTime(d.deliveredAt)}</span>` : nothing}</td>
              <td><button class="chip" @click=${() => void this.replay(d.id)} data-testid="webhook-replay">${t('admin.replay')}</button></td>
            </tr>
            ${this.open === d.id ? html`<tr><td colspan="6"><pre class="mono small" style="white-space:pre-wrap;margin:0">${JSON.stringify(d.payload, null, 2)}</pre></td></tr>` : nothing}`,
        )}</tbody></table></div>
        ${this.items.length === 0 && !this.error ? html`<p class="empty">${t('admin.noWebhooks')}</p>` : nothing}
        ${this.nextCursor ? html`<button class="block" @click=${() => void this.load(true)}>${t('common.loadMore')}</button>` : nothing}
      </div>
    </section>`;
  }
}
customElements.define('lb-admin-webhooks-view', AdminWebhooksView);

/** Operators' users page (docs/operators.md): search, identity review, freeze and unfreeze with a reason, the audit log. */
export class AdminUsersViewEl extends View {
  static override properties = { ...View.properties, items: { state: true }, detail: { state: true }, error: { state: true }, search: { state: true }, reason: { state: true }, busy: { state: true } };
  declare items: UserSummary[];
  declare detail: UserDetail | null;
  declare error: unknown;
  declare search: string;
  declare reason: string;
  declare busy: boolean;
  constructor() {
    super();
    this.items = [];
    this.detail = null;
    this.error = null;
    this.search = '';
    this.reason = '';
    this.busy = false;
  }
  override connectedCallback(): void {
    super.connectedCallback();
    void this.find();
  }
  private async find(e?: Event): Promise<void> {
    e?.preventDefault();
    try {
      this.items = (await api.users(this.search, 50)).items;
      this.error = null;
    } catch (err) {
      this.error = err;
    }
  }
  private async open(id: string): Promise<void> {
    try {
      this.detail = await api.user(id);
      this.reason = '';
      this.error = null;
    } catch (err) {
      this.error = err;
    }
  }
  private async act(run: (id: string, reason: string) => Promise<UserDetail>): Promise<void> {
    if (!this.detail) return;
    this.busy = true;
    try {
      this.detail = await run(this.detail.id, this.reason.trim());
      this.reason = '';
      this.error = null;
      void this.find();
    } catch (err) {
      this.error = err;
    } finally {
      this.busy = false;
    }
  }
  override render() {
    const d = this.detail;
    const reasonOk = this.reason.trim().length >= 3;
    return html`<section class="page" data-testid="admin-users">
      <div class="page-head"><div><h1>${t('nav.users')}</h1><p>${t('users.subtitle')}</p></div></div>
      <form class="panel row" @submit=${(e: Event) => void this.find(e)}>
        <input style="flex:1" placeholder=${t('users.searchPlaceholder')} .value=${this.search} @input=${(e: Event) => (this.search = (e.target as HTMLInputElement).value)} data-testid="users-search" />
        <button class="primary" type="submit" data-testid="users-search-submit">${t('market.search')}</button>
      </form>
      ${this.error ? errorBox(this.error) : nothing}
      <div class="split">
        <div class="panel" style="padding-top:0.4rem"><div class="table-wrap"><table class="data" data-testid="users-table">
          <thead><tr><th>${t('auth.email')}</th><th>${t('users.role')}</th><th>${t('account.kycStatus')}</th><th>${t('bids.col.status')}</th></tr></thead>
          <tbody>${this.items.map(
            (u) => html`<tr class="clickable" data-testid="user-row" @click=${() => void this.open(u.id)}><td><button type="button" class="link-btn" @click=${(e: Event) => { e.stopPropagation(); void this.open(u.id); }}>${u.email}</button><br /><small class="muted">${u.displayName}</small></td><td>${t(`role.${u.role}`)}</td>
              <td>${t(`kyc.${u.kycStatus}`)}${u.kycReview ? html` · ${t(`users.review.${u.kycReview}`)}` : nothing}</td>
              <td>${u.frozen ? html`<span class="badge bad">${t('users.frozen')}</span>` : html`<span class="badge good">${t('users.active')}</span>`}</td></tr>`,
          )}</tbody></table></div></div>
        ${d
          ? html`<div class="panel stack ticket-col" data-testid="user-detail">
              <h2>${d.displayName}</h2><p class="muted small">${d.email} · ${t(`role.${d.role}`)} · <span class="mono">${d.id}</span></p>
              ${d.frozen ? html`<p class="error" data-testid="user-frozen">${t('users.frozenBecause', { reason: d.frozenReason ?? '' })}</p>` : nothing}
              <dl class="facts">
                <dt>${t('account.kycStatus')}</dt><dd>${t(`kyc.${d.kycStatus}`)}${d.kycReview ? html` · ${t(`users.review.${d.kycReview}`)}` : nothing}</dd>
                <dt>${t('account.legalName')}</dt><dd>${d.legalName ?? '—'}</dd>
                <dt>${t('account.idNumber')}</dt><dd>${d.idNumberLast4 ? `…${d.idNumberLast4}` : '—'}</dd>
                <dt>${t('account.riskProfile')}</dt><dd>${d.riskProfile ? t(`risk.${d.riskProfile}`) : '—'}</dd>
                <dt>${t('users.sameIdentity')}</dt><dd>${d.sameIdentity.length ? d.sameIdentity.map((s) => s.email).join(', ') : t('users.none')}</dd>
                ${d.wallet ? html`<dt>${t('wallet.available')}</dt><dd>${money(d.wallet.availableMinor)}</dd><dt>${t('wallet.held')}</dt><dd>${money(d.wallet.heldMinor)}</dd>` : nothing}
              </dl>
              ${d.role !== 'operator'
                ? html`<label>${t('users.reason')}<textarea rows="2" .value=${this.reason} @input=${(e: Event) => (this.reason = (e.target as HTMLTextAreaElement).value)} data-testid="user-reason"></textarea></label>
                  ${!reasonOk ? html`<p class="hint">${t('users.reasonHint')}</p>` : nothing}
                  <div class="row">
                    ${d.frozen
                      ? html`<button class="primary" ?disabled=${!reasonOk || this.busy} @click=${() => void this.act(api.unfreezeUser)} data-testid="user-unfreeze">${t('users.unfreeze')}</button>`
                      : html`<button class="danger" ?disabled=${!reasonOk || this.busy} @click=${() => void this.act(api.freezeUser)} data-testid="user-freeze">${t('users.freeze')}</button>`}
                    ${d.kycStatus === 'verified' ? html`<button ?disabled=${!reasonOk || this.busy} @click=${() => void this.act((id, reason) => api.reviewIdentity(id, 'confirmed', reason))} data-testid="user-confirm">${t('users.confirm')}</button>
                      <button ?disabled=${!reasonOk || this.busy} @click=${() => void this.act((id, reason) => api.reviewIdentity(id, 'rejected', reason))} data-testid="user-reject">${t('users.reject')}</button>` : nothing}
                  </div>`
                : nothing}
              <h3>${t('users.audit')}</h3>
              ${d.audit.length === 0 ? html`<p class="muted small">${t('users.noAudit')}</p>` : nothing}
              <ul class="reasons" data-testid="user-audit">${d.audit.map((a) => html`<li data-testid="audit-entry"><strong>${t(`users.action.${a.action}`)}</strong> · ${dateTime(a.at)} · ${a.actor}<br /><span class="muted">${a.reason}</span></li>`)}</ul>
            </div>`
          : nothing}
      </div>
    </section>`;
  }
}
customElements.define('lb-admin-users-view', AdminUsersViewEl);

/**
 * Operators' merchants page (docs/operators.md "Related parties"): find a merchant, see its lending, and
 * mark it related to the platform (or take the mark off) with a reason kept in the audit log. The public
 * disclosure counts a related merchant's loans as related-party lending.
 */
export class AdminMerchantsView extends View {
  static override properties = { ...View.properties, items: { state: true }, selected: { state: true }, error: { state: true }, search: { state: true }, onlyRelated: { state: true }, reason: { state: true }, busy: { state: true } };
  declare items: MerchantForOperators[];
  declare selected: MerchantForOperators | null;
  declare error: unknown;
  declare search: string;
  declare onlyRelated: boolean;
  declare reason: string;
  declare busy: boolean;
  constructor() {
    super();
    this.items = [];
    this.selected = null;
    this.error = null;
    this.search = '';
    this.onlyRelated = false;
    this.reason = '';
    this.busy = false;
  }
  override connectedCallback(): void {
    super.connectedCallback();
    void this.find();
  }
  private async find(e?: Event): Promise<void> {
    e?.preventDefault();
    try {
      this.items = (await api.merchants({ q: this.search, limit: 50, relatedParty: this.onlyRelated })).items;
      this.error = null;
    } catch (err) {
      this.error = err;
    }
  }
  private async mark(relatedParty: boolean): Promise<void> {
    const m = this.selected;
    // The button stays reachable while it cannot act (aria-disabled): the hint beside it says why.
    if (!m || this.busy || this.reason.trim().length < 3) return;
    this.busy = true;
    try {
      this.selected = await api.markRelatedParty(m.id, relatedParty, this.reason.trim());
      this.reason = '';
      this.error = null;
      toast({ tone: 'good', kind: 'related-party', title: relatedParty ? t('merchants.marked', { name: m.name }) : t('merchants.unmarked', { name: m.name }) }, 4000);
      void this.find();
    } catch (err) {
      this.error = err;
    } finally {
      this.busy = false;
    }
  }
  private relatedBadge(m: MerchantForOperators) {
    return m.relatedParty ? html`<span class="badge warn" data-testid="merchant-related">${t('merchants.related')}</span>` : html`<span class="muted">${t('merchants.notRelated')}</span>`;
  }
  override render() {
    const m = this.selected;
    const reasonOk = this.reason.trim().length >= 3;
    return html`<section class="page" data-testid="admin-merchants">
      <div class="page-head"><div><h1>${t('nav.merchants')}</h1><p>${t('merchants.subtitle')}</p></div></div>
      <form class="panel row" @submit=${(e: Event) => void this.find(e)}>
        <label style="flex:1">${t('merchants.search')}<input .value=${this.search} @input=${(e: Event) => (this.search = (e.target as HTMLInputElement).value)} data-testid="merchants-search" /></label>
        <label class="check"><input type="checkbox" .checked=${this.onlyRelated} @change=${(e: Event) => { this.onlyRelated = (e.target as HTMLInputElement).checked; void this.find(); }} data-testid="merchants-only-related" /> ${t('merchants.onlyRelated')}</label>
        <button class="primary" type="submit" data-testid="merchants-search-submit">${t('market.search')}</button>
      </form>
      ${this.error ? errorBox(this.error) : nothing}
      <div class="split">
        <div class="panel" style="padding-top:0.4rem">
          ${this.items.length === 0 ? html`<p class="empty">${t('merchants.none')}</p>` : nothing}
          <div class="table-wrap" tabindex="0" role="region" aria-label=${t('nav.merchants')}><table class="data" data-testid="merchants-table">
          <thead><tr><th>${t('merchants.merchant')}</th><th>${t('merchants.partner')}</th><th>${t('merchants.borrower')}</th><th class="num">${t('merchants.activeLoans')}</th><th class="num">${t('merchants.outstanding')}</th><th>${t('merchants.relatedCol')}</th></tr></thead>
          <tbody>${this.items.map(
            (x) => html`<tr data-testid="merchant-row" data-merchant-id=${x.id}>
              <td><button type="button" class="link-btn" @click=${() => { this.selected = x; this.reason = ''; }} data-testid="merchant-open">${x.name}</button><br /><small class="muted mono">${x.ref}</small></td>
              <td>${x.partnerName}</td><td>${x.borrowerEmail ?? html`<span class="muted">${t('merchants.noBorrower')}</span>`}</td>
              <td class="num">${x.activeLoans}</td><td class="num">${money(x.outstandingPrincipalMinor)}</td><td>${this.relatedBadge(x)}</td></tr>`,
          )}</tbody></table></div>
        </div>
        ${m
          ? html`<div class="panel stack ticket-col" data-testid="merchant-detail">
              <h2>${m.name}</h2><p class="muted small"><span class="mono">${m.ref}</span> · ${m.partnerName} · <span class="mono">${m.id}</span></p>
              <dl class="facts">
                <dt>${t('merchants.relatedCol')}</dt><dd>${this.relatedBadge(m)}</dd>
                <dt>${t('merchants.activeLoans')}</dt><dd>${m.activeLoans}</dd>
                <dt>${t('merchants.outstanding')}</dt><dd>${money(m.outstandingPrincipalMinor)}</dd>
              </dl>
              <p class="hint">${t('merchants.effect')}</p>
              <label>${t('users.reason')}<textarea rows="2" .value=${this.reason} @input=${(e: Event) => (this.reason = (e.target as HTMLTextAreaElement).value)} data-testid="merchant-reason"></textarea></label>
              ${!reasonOk ? html`<p class="hint">${t('users.reasonHint')}</p>` : nothing}
              <div class="row">
                ${m.relatedParty
                  ? html`<button aria-disabled=${!reasonOk || this.busy ? 'true' : 'false'} @click=${() => void this.mark(false)} data-testid="merchant-unmark">${t('merchants.unmark')}</button>`
                  : html`<button class="primary" aria-disabled=${!reasonOk || this.busy ? 'true' : 'false'} @click=${() => void this.mark(true)} data-testid="merchant-mark">${t('merchants.mark')}</button>`}
              </div>
            </div>`
          : nothing}
      </div>
    </section>`;
  }
}
customElements.define('lb-admin-merchants-view', AdminMerchantsView);
