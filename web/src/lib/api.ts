/**
 * The typed HTTP client of the API (same origin, relative URLs, the httpOnly session cookie).
 * Errors come back as problem+json with a stable `code`; they surface as ApiError, shown through i18n
 * (`err.<CODE>`). Writes send JSON; POSTs that move money or create something send an Idempotency-Key.
 */
import { t } from './i18n.js';
import { setServerOffset } from './format.js';
import { problemText, type FieldError } from './problem-text.js';
import type {
  AdminSettingsView,
  AutobidLogItem,
  AutobidPreview,
  AutobidStrategy,
  ClearingRates,
  BidView,
  Claim,
  CollateralOptions,
  CoreEnterpriseView,
  Instruction,
  InvariantReport,
  LedgerLine,
  ListingDetail,
  ListingSummary,
  LoanDetail,
  LoanItem,
  LoanOwed,
  NewListing,
  NoteItem,
  NoteOffer,
  NoteTransferItem,
  Page,
  PartnerCredentials,
  PartnerView,
  Portfolio,
  PublicUser,
  Purchase,
  PurchaseQuote,
  Rating,
  RepaymentResult,
  RiskProfile,
  SalePreview,
  SchedulePreview,
  SessionResponse,
  Stats,
  NotificationItem,
  NoteRepayment,
  RepaymentPreview,
  NotificationPreferences,
  Wallet,
  WalletStatement,
  WebhookDelivery,
} from './types.js';

export const API_BASE = '/api/v1';

export class ApiError extends Error {
  override name = 'ApiError';
  constructor(
    readonly status: number,
    readonly code: string,
    readonly detail: string,
    readonly title: string = '',
    readonly errors: FieldError[] = [],
    /** The figures the rejection is about (`maxRateBps`, `leftMinor`, …). */
    readonly extra: Record<string, unknown> = {},
  ) {
    super(`${code}: ${detail}`);
  }
}

/**
 * A user-facing sentence for any error, in the user's language with yuan and percent (problem-text.ts):
 * never the server's detail, which speaks minor units and schema paths to developers.
 */
export function errorText(err: unknown): string {
  if (err && typeof err === 'object' && 'code' in err && typeof (err as { code: unknown }).code === 'string') {
    const e = err as { code: string; errors?: FieldError[]; extra?: Record<string, unknown> };
    return problemText({ code: e.code, ...(e.errors ? { errors: e.errors } : {}), ...(e.extra ? { extra: e.extra } : {}) });
  }
  return t('err.UNKNOWN');
}

type Listener = () => void;
const unauthorizedListeners = new Set<Listener>();
/** Called when an authenticated call answers 401: the session expired or was revoked. */
export function onUnauthorized(listener: Listener): () => void {
  unauthorizedListeners.add(listener);
  return () => unauthorizedListeners.delete(listener);
}

export function newIdempotencyKey(): string {
  if (typeof crypto !== 'undefined' && typeof crypto.randomUUID === 'function') return crypto.randomUUID();
  return `k-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 12)}`;
}

type Query = Record<string, string | number | boolean | undefined | null>;

export function withQuery(path: string, query?: Query): string {
  if (!query) return path;
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) if (v !== undefined && v !== null && v !== '') params.set(k, String(v));
  const s = params.toString();
  return s ? `${path}?${s}` : path;
}

interface RequestOptions {
  body?: unknown;
  query?: Query;
  idempotencyKey?: string;
  signal?: AbortSignal;
}

export async function request<T>(method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE', path: string, opts: RequestOptions = {}): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (opts.body !== undefined) headers['content-type'] = 'application/json';
  if (opts.idempotencyKey) headers['idempotency-key'] = opts.idempotencyKey;
  let res: Response;
  try {
    res = await fetch(API_BASE + withQuery(path, opts.query), {
      method,
      headers,
      credentials: 'same-origin',
      ...(opts.body !== undefined ? { body: JSON.stringify(opts.body) } : {}),
      ...(opts.signal ? { signal: opts.signal } : {}),
    });
  } catch (err) {
    if (err instanceof DOMException && err.name === 'AbortError') throw err;
    throw new ApiError(0, 'NETWORK', t('err.NETWORK'));
  }
  // The server's clock for countdowns: x-lendbook-now (ms, follows a settable demo clock) or Date.
  const nowHeader = Number(res.headers.get('x-lendbook-now'));
  const serverDate = res.headers.get('date');
  if (Number.isSafeInteger(nowHeader) && nowHeader > 0) setServerOffset(nowHeader - Date.now());
  else if (serverDate) {
    const serverMs = Date.parse(serverDate);
    if (!Number.isNaN(serverMs)) setServerOffset(serverMs + 500 - Date.now()); // Date has whole seconds
  }
  if (res.status === 204) return undefined as T;
  const text = await res.text();
  let data: unknown = undefined;
  if (text) {
    try {
      data = JSON.parse(text);
    } catch {
      data = undefined;
    }
  }
  if (!res.ok) {
    const p = (data ?? {}) as { code?: string; detail?: string; title?: string; errors?: FieldError[] } & Record<string, unknown>;
    const code = p.code ?? (res.status === 404 ? 'NOT_FOUND' : res.status >= 500 ? 'INTERNAL' : 'HTTP_' + res.status);
    if (res.status === 401 && !path.startsWith('/auth/')) for (const l of [...unauthorizedListeners]) l();
    const { type: _type, title, status: _status, detail, code: _code, errors, instance: _instance, ...extra } = p;
    throw new ApiError(res.status, code, detail ?? '', typeof title === 'string' ? title : '', errors ?? [], extra);
  }
  return data as T;
}

const get = <T>(path: string, query?: Query, signal?: AbortSignal) => request<T>('GET', path, { ...(query ? { query } : {}), ...(signal ? { signal } : {}) });

/** Reads every page of a cursor-paginated list, up to `max` items. */
export async function all<T>(path: string, query: Query = {}, max = 1000): Promise<T[]> {
  const out: T[] = [];
  let cursor: string | null = null;
  do {
    const page: Page<T> = await get<Page<T>>(path, { ...query, limit: 100, cursor });
    out.push(...page.items);
    cursor = page.nextCursor;
  } while (cursor && out.length < max);
  return out;
}

export interface ListingQuery {
  status?: string;
  grade?: string;
  termMonths?: number;
  product?: string;
  sort?: 'endsAt' | 'rate' | 'fundedPct' | 'createdAt';
  limit?: number;
  cursor?: string | null;
}

export const api = {
  // identity
  me: () => get<PublicUser>('/me'),
  login: (email: string, password: string) => request<SessionResponse>('POST', '/auth/login', { body: { email, password } }),
  register: (body: { email: string; password: string; role: 'lender' | 'borrower'; displayName: string; inviteCode?: string }) =>
    request<SessionResponse>('POST', '/auth/register', { body }),
  logout: () => request<void>('POST', '/auth/logout'),
  kyc: (body: { legalName: string; idNumber: string; riskProfile: RiskProfile }) => request<PublicUser>('PUT', '/me/kyc', { body }),

  // wallet
  wallet: () => get<Wallet>('/wallet'),
  deposit: (amountMinor: number, idempotencyKey: string) => request<Instruction>('POST', '/wallet/deposits', { body: { amountMinor }, idempotencyKey }),
  withdraw: (amountMinor: number, idempotencyKey: string) => request<Instruction>('POST', '/wallet/withdrawals', { body: { amountMinor }, idempotencyKey }),
  transfers: (cursor?: string | null) => get<Page<LedgerLine>>('/wallet/transfers', { limit: 50, cursor }),
  notifications: (locale: string) => get<{ items: NotificationItem[]; unread: number; nextCursor: string | null }>('/me/notifications', { locale, limit: 30 }),
  markNotificationsRead: (body: { ids: string[] } | { all: true }) => request<{ unread: number }>('POST', '/me/notifications/read', { body }),
  notificationPrefs: () => get<NotificationPreferences>('/me/notification-preferences'),
  putNotificationPrefs: (body: { locale?: string; kinds?: Record<string, { inApp?: boolean; email?: boolean }> }) => request<NotificationPreferences>('PUT', '/me/notification-preferences', { body }),
  statement: (q: { from?: string; to?: string }) => get<WalletStatement>('/wallet/statement', q),
  annualStatement: (year: number) => get<WalletStatement & { year: number; totals: Record<string, number> }>(`/wallet/statements/${year}`),

  // market
  listings: (q: ListingQuery = {}) => get<Page<ListingSummary>>('/listings', q as Query),
  listing: (id: string, signal?: AbortSignal) => get<ListingDetail>(`/listings/${encodeURIComponent(id)}`, undefined, signal),
  /** A monthly schedule (termMonths and repayment) or a claim-backed bullet (maturesOn). */
  schedulePreview: (q: { amountMinor: number; rateBps: number; disbursedOn?: string } & ({ termMonths: number; repayment: string } | { maturesOn: string }), signal?: AbortSignal) =>
    get<SchedulePreview>('/schedule-preview', q, signal),
  createListing: (body: NewListing, idempotencyKey: string) => request<ListingSummary>('POST', '/listings', { body, idempotencyKey }),
  withdrawListing: (id: string) => request<ListingSummary>('POST', `/listings/${encodeURIComponent(id)}/withdraw`),
  placeBid: (listingId: string, body: { amountMinor: number; rateBps: number }, idempotencyKey: string) =>
    request<BidView>('POST', `/listings/${encodeURIComponent(listingId)}/bids`, { body, idempotencyKey }),
  amendBid: (bidId: string, rateBps: number) => request<BidView>('PATCH', `/bids/${encodeURIComponent(bidId)}`, { body: { rateBps } }),
  autobid: () => get<AutobidStrategy>('/me/autobid'),
  saveAutobid: (body: Record<string, unknown>) => request<AutobidStrategy & { placedNow: { bids: number; amountMinor: number } }>('PUT', '/me/autobid', { body }),
  autobidPreview: (body: Record<string, unknown>) => request<AutobidPreview>('POST', '/me/autobid/preview', { body }),
  autobidLog: (q: { limit?: number; cursor?: string | null } = {}) => get<Page<AutobidLogItem>>('/me/autobid/log', q),
  clearingRates: () => get<ClearingRates>('/autobid/clearing-rates'),
  myBids: (q: { status?: string; cursor?: string | null; limit?: number } = {}) => get<Page<BidView>>('/me/bids', q),
  watchlist: () => get<{ listingIds: string[]; items: ListingSummary[] }>('/me/watchlist'),
  watch: (id: string) => request<void>('PUT', `/me/watchlist/${encodeURIComponent(id)}`),
  unwatch: (id: string) => request<void>('DELETE', `/me/watchlist/${encodeURIComponent(id)}`),
  myListings: (cursor?: string | null) => get<Page<ListingSummary>>('/me/listings', { limit: 50, cursor }),

  // borrower
  rating: () => get<Rating>('/me/rating'),
  collateral: () => get<CollateralOptions>('/me/collateral'),
  myLoans: (cursor?: string | null) => get<Page<LoanItem>>('/me/loans', { limit: 50, cursor }),
  loan: (id: string) => get<LoanDetail>(`/loans/${encodeURIComponent(id)}`),
  owed: (id: string) => get<LoanOwed>(`/loans/${encodeURIComponent(id)}/owed`),
  repaymentPreview: (id: string, amountMinor: number) => get<RepaymentPreview>(`/loans/${encodeURIComponent(id)}/repayment-preview`, { amountMinor }),
  noteRepayments: (noteId: string) => get<{ items: NoteRepayment[] }>(`/me/notes/${encodeURIComponent(noteId)}/repayments`),
  repay: (id: string, amountMinor: number, idempotencyKey: string) =>
    request<RepaymentResult>('POST', `/loans/${encodeURIComponent(id)}/repayments`, { body: { amountMinor }, idempotencyKey }),

  // claims (supply-chain finance)
  myClaims: (cursor?: string | null) => get<Page<Claim>>('/me/claims', { limit: 100, cursor }),
  assignClaim: (id: string, body: { toMerchantRef: string; amountMinor: number }, idempotencyKey: string) =>
    request<Claim>('POST', `/claims/${encodeURIComponent(id)}/assign`, { body, idempotencyKey }),
  coreEnterprises: () => get<{ items: CoreEnterpriseView[] }>('/admin/core-enterprises'),
  createCoreEnterprise: (body: { partnerId: string; name: string; legalForm: 'legal_person' | 'natural_person'; grade: string; limitMinor: number }) =>
    request<{ id: string; keyId: string; secret: string }>('POST', '/admin/core-enterprises', { body }),

  // lender portfolio
  notes: (cursor?: string | null) => get<Page<NoteItem>>('/me/notes', { limit: 100, cursor }),
  portfolio: () => get<Portfolio>('/me/portfolio'),

  // the secondary market (docs/transfers.md)
  noteOffers: (q: { grade?: string; sort?: 'yield' | 'priceBps' | 'monthsLeft'; limit?: number; cursor?: string | null } = {}) => get<Page<NoteOffer>>('/note-offers', q),
  offerPreview: (noteId: string, q: { principalMinor?: number; priceBps?: number } = {}, signal?: AbortSignal) => get<SalePreview>(`/notes/${encodeURIComponent(noteId)}/offer-preview`, q, signal),
  createOffer: (noteId: string, body: { principalMinor: number; priceBps: number }, idempotencyKey: string) =>
    request<NoteOffer>('POST', `/notes/${encodeURIComponent(noteId)}/offers`, { body, idempotencyKey }),
  cancelOffer: (offerId: string) => request<NoteOffer>('DELETE', `/note-offers/${encodeURIComponent(offerId)}`),
  purchaseQuote: (offerId: string, principalMinor: number | undefined, signal?: AbortSignal) =>
    get<PurchaseQuote>(`/note-offers/${encodeURIComponent(offerId)}/quote`, principalMinor === undefined ? {} : { principalMinor }, signal),
  buyNote: (offerId: string, principalMinor: number, idempotencyKey: string) =>
    request<Purchase>('POST', `/note-offers/${encodeURIComponent(offerId)}/buy`, { body: { principalMinor }, idempotencyKey }),
  myTransfers: (cursor?: string | null) => get<Page<NoteTransferItem>>('/me/note-transfers', { limit: 100, cursor }),
  myOffers: (cursor?: string | null) => get<Page<NoteOffer>>('/me/note-offers', { limit: 100, cursor }),

  // public
  stats: () => get<Stats>('/stats'),

  // operators
  settings: () => get<AdminSettingsView>('/admin/settings'),
  putSettings: (patch: Record<string, unknown>) => request<AdminSettingsView>('PUT', '/admin/settings', { body: patch }),
  advanceClock: (advanceMs: number) => request<{ nowMs: number; now: string; offsetMs: number }>('POST', '/admin/clock', { body: { advanceMs } }),
  partners: () => get<{ items: PartnerView[] }>('/admin/partners'),
  createPartner: (body: { name: string; webhookUrl?: string }) => request<PartnerCredentials>('POST', '/admin/partners', { body }),
  rotateKey: (keyId: string) => request<PartnerCredentials>('POST', `/admin/partners/${encodeURIComponent(keyId)}/rotate`),
  invariants: () => get<InvariantReport>('/admin/invariants'),
  webhooks: (cursor?: string | null) => get<Page<WebhookDelivery>>('/admin/webhooks', { limit: 50, cursor }),
  recovery: (loanId: string, body: { amountMinor: number; reference: string }, idempotencyKey: string) =>
    request<RepaymentResult>('POST', `/admin/loans/${encodeURIComponent(loanId)}/recoveries`, { body, idempotencyKey }),
  replayWebhook: (id: string) => request<{ id: string; status: string; replays: number }>('POST', `/admin/webhooks/${encodeURIComponent(id)}/replay`),
};

/**
 * An idempotent action: the same body retried (a lost answer, a double click) reuses its key, so the
 * server answers with the first result; a different body gets a new key.
 */
export class IdempotentAction<B> {
  private lastBody = '';
  private key = '';
  keyFor(body: B): string {
    const text = JSON.stringify(body);
    if (text !== this.lastBody || !this.key) {
      this.lastBody = text;
      this.key = newIdempotencyKey();
    }
    return this.key;
  }
  /** After a success: the next submission is a new operation even with the same body. */
  done(): void {
    this.lastBody = '';
    this.key = '';
  }
}
