/**
 * Simplified Chinese and English. Every user-facing string goes through `t(key, params)`.
 *
 * This module holds the locale state and the messages the shared components need (the widgets bundle
 * includes only these); the app registers the rest with `addMessages` (web/src/messages.ts). The chosen
 * locale is persisted in localStorage when there is one (no DOM use here beyond that).
 */
import type { ReactiveController, ReactiveControllerHost } from 'lit';

export type Locale = 'zh' | 'en';
export const LOCALES: readonly Locale[] = ['zh', 'en'];
export type Messages = Record<string, string>;

const STORAGE_KEY = 'lendbook.locale';

export const core: Record<Locale, Messages> = {
  en: {
    'status.open': 'Open',
    'status.cleared': 'Cleared',
    'status.failed': 'Failed',
    'status.withdrawn': 'Withdrawn',
    'status.pending_guarantee': 'Awaiting guarantor',
    'guarantee.badge': 'Guaranteed {pct}%',
    'guarantee.badgeTitle': '{name} covers {pct}% of what is owed at default',
    'grade.title': 'Grade {grade}',
    'funded.label': '{pct}% funded',
    'funded.min': 'Minimum {pct}%',
    'countdown.ended': 'Ended',
    'countdown.left': '{time} left',
    'countdown.extended': 'Extended +{time}',
    'countdown.extendedTitle': 'Soft close: bids in the last minutes moved the end from {from}',
    'countdown.days': '{d}d {hms}',
    'listing.rate': 'Current rate',
    'listing.amount': 'Amount',
    'listing.term': 'Term',
    'listing.termMonths': '{n} mo',
    'listing.maturesOn': 'Due {date}',
    'listing.bids': 'Bids',
    'listing.bidCount': '{n} {n:bid|bids}',
    'listing.expectedLoss': 'Expected loss',
    'listing.timeLeft': 'Time left',
    'listing.coverage': 'Coverage',
    'product.credit': 'Credit',
    'product.order': 'Order financing',
    'product.warehouse_receipt': 'Warehouse receipt',
    'product.claim': 'Claim-backed',
    'repayment.bullet': 'All at maturity',
    'repayment.equal_installment': 'Equal installments',
    'repayment.equal_principal': 'Equal principal',
    'repayment.interest_only': 'Interest only',
    'pricing.uniform': 'Uniform price',
    'pricing.pay_as_bid': 'Pay as bid',
    'depth.title': 'Book depth',
    'depth.rate': 'Rate',
    'depth.cumulative': 'Cumulative amount',
    'depth.amount': 'Listing amount',
    'depth.current': 'Current rate',
    'depth.yourBid': 'Your bid',
    'depth.empty': 'No bids yet',
    'depth.aria': 'Depth chart: cumulative bid amount by rate; {n} rate levels; listing amount {amount}; current rate {rate}',
    'chart.loading': 'Loading chart…',
    'live.connecting': 'Connecting',
    'live.open': 'Live',
    'live.reconnecting': 'Reconnecting',
    'live.closed': 'Offline',
    'span.d': '{n} d',
    'span.h': '{n} h',
    'span.min': '{n} min',
    'span.s': '{n} s',
  },
  zh: {
    'status.open': '竞标中',
    'status.cleared': '已成交',
    'status.failed': '流标',
    'status.withdrawn': '已撤回',
    'status.pending_guarantee': '待担保确认',
    'guarantee.badge': '担保 {pct}%',
    'guarantee.badgeTitle': '{name} 在违约时代偿所欠金额的 {pct}%',
    'grade.title': '评级 {grade}',
    'funded.label': '已认购 {pct}%',
    'funded.min': '最低 {pct}%',
    'countdown.ended': '已结束',
    'countdown.left': '剩余 {time}',
    'countdown.extended': '已延时 +{time}',
    'countdown.extendedTitle': '软结束：最后几分钟内的出价把结束时间从 {from} 推后',
    'countdown.days': '{d}天 {hms}',
    'listing.rate': '当前利率',
    'listing.amount': '金额',
    'listing.term': '期限',
    'listing.termMonths': '{n} 个月',
    'listing.maturesOn': '{date} 到期',
    'listing.bids': '出价',
    'listing.bidCount': '{n} 笔出价',
    'listing.expectedLoss': '预期损失',
    'listing.timeLeft': '剩余时间',
    'listing.coverage': '认购总额',
    'product.credit': '信用',
    'product.order': '订单融资',
    'product.warehouse_receipt': '仓单质押',
    'product.claim': '应收账款融资',
    'repayment.bullet': '到期一次还本付息',
    'repayment.equal_installment': '等额本息',
    'repayment.equal_principal': '等额本金',
    'repayment.interest_only': '先息后本',
    'pricing.uniform': '统一价格',
    'pricing.pay_as_bid': '按出价成交',
    'depth.title': '出价深度',
    'depth.rate': '利率',
    'depth.cumulative': '累计金额',
    'depth.amount': '借款金额',
    'depth.current': '当前利率',
    'depth.yourBid': '您的出价',
    'depth.empty': '暂无出价',
    'depth.aria': '深度图：按利率累计的出价金额；{n} 个利率档位；借款金额 {amount}；当前利率 {rate}',
    'chart.loading': '图表加载中…',
    'live.connecting': '连接中',
    'live.open': '实时',
    'live.reconnecting': '重新连接中',
    'live.closed': '离线',
    'span.d': '{n} 天',
    'span.h': '{n} 小时',
    'span.min': '{n} 分钟',
    'span.s': '{n} 秒',
  },
};

const dictionaries: Record<Locale, Messages> = { en: { ...core.en }, zh: { ...core.zh } };

function storage(): Storage | null {
  try {
    return typeof localStorage === 'undefined' ? null : localStorage;
  } catch {
    return null; // sandboxed frames throw on access
  }
}

function initialLocale(): Locale {
  const saved = storage()?.getItem(STORAGE_KEY);
  if (saved === 'zh' || saved === 'en') return saved;
  const lang = typeof navigator === 'undefined' ? '' : (navigator.language ?? '');
  return lang.toLowerCase().startsWith('zh') ? 'zh' : 'en';
}

let current: Locale = initialLocale();
const listeners = new Set<(l: Locale) => void>();

/**
 * Locale scopes: a subtree of the page with a language of its own (an embedded widget's `lang`). A
 * component with a LocaleController renders in the locale of the nearest scoped ancestor — across
 * shadow roots — and in the page's locale when there is none. The app sets no scope.
 */
const scopes = new WeakMap<object, Locale>();
let scopeCount = 0;
/** The locale of the element being rendered, between its controller's hostUpdate and hostUpdated. */
let rendering: Locale | null = null;

export function locale(): Locale {
  return rendering ?? current;
}

/** Gives `node` and everything under it (shadow trees included) a locale; null removes it. */
export function setScopeLocale(node: object, l: Locale | null): void {
  const had = scopes.has(node);
  if (l) {
    scopes.set(node, l);
    if (!had) scopeCount++;
  } else if (had) {
    scopes.delete(node);
    scopeCount--;
  }
}

/** The locale of the nearest scoped ancestor of `node` (itself included), or null. */
export function scopeLocaleOf(node: unknown): Locale | null {
  if (scopeCount === 0 || typeof Node === 'undefined' || !(node instanceof Node)) return null;
  let n: Node | null = node;
  while (n) {
    const l = scopes.get(n);
    if (l) return l;
    n = n.parentNode ?? (typeof ShadowRoot !== 'undefined' && n instanceof ShadowRoot ? n.host : null);
  }
  return null;
}

/** Runs `fn` with `t()` and the formatters in locale `l` (null: the page's). */
export function withLocale<T>(l: Locale | null, fn: () => T): T {
  const before = rendering;
  rendering = l;
  try {
    return fn();
  } finally {
    rendering = before;
  }
}

/** BCP 47 tag for Intl formatting. */
export function localeTag(l: Locale = locale()): string {
  return l === 'zh' ? 'zh-CN' : 'en-GB';
}

export function setLocale(next: Locale, persist = true): void {
  if (next === current) return;
  current = next;
  if (persist) {
    try {
      storage()?.setItem(STORAGE_KEY, next);
    } catch {
      /* storage full or refused: the choice lasts for this page */
    }
  }
  for (const l of [...listeners]) l(next);
}

export function onLocale(listener: (l: Locale) => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

export function addMessages(l: Locale, messages: Messages): void {
  Object.assign(dictionaries[l], messages);
}

export function has(key: string): boolean {
  return key in dictionaries[locale()] || key in dictionaries.en;
}

const pluralRules = new Map<string, Intl.PluralRules>();
function pluralOf(n: number): Intl.LDMLPluralRule {
  const tag = localeTag();
  let rules = pluralRules.get(tag);
  if (!rules) pluralRules.set(tag, (rules = new Intl.PluralRules(tag)));
  return rules.select(n);
}

/**
 * The message for `key` in the current locale (English, then the key itself, as fallbacks). `{name}` is
 * replaced by the parameter; `{n:one|other}` picks the word for the number `n` by the language's plural
 * rules ("1 note", "2 notes"; Chinese messages need no such choice).
 */
export function t(key: string, params?: Record<string, string | number>): string {
  const template = dictionaries[locale()][key] ?? dictionaries.en[key] ?? key;
  if (!params) return template;
  return template
    .replace(/\{(\w+):([^{}|]*)\|([^{}]*)\}/g, (whole, name: string, one: string, other: string) => {
      const n = Number(params[name]);
      return name in params && Number.isFinite(n) ? (pluralOf(n) === 'one' ? one : other) : whole;
    })
    .replace(/\{(\w+)\}/g, (whole, name: string) => (name in params ? String(params[name]) : whole));
}

/**
 * Re-renders a Lit host when the locale changes, and renders it in the locale of its scope (see
 * setScopeLocale) when it sits inside one.
 */
export class LocaleController implements ReactiveController {
  private off: (() => void) | undefined;
  constructor(private readonly host: ReactiveControllerHost) {
    host.addController(this);
  }
  hostConnected(): void {
    this.off = onLocale(() => this.host.requestUpdate());
  }
  hostDisconnected(): void {
    this.off?.();
    this.off = undefined;
  }
  hostUpdate(): void {
    rendering = scopeLocaleOf(this.host);
  }
  hostUpdated(): void {
    rendering = null;
  }
}
