/**
 * The typed HTTP client of the API (same origin, relative URLs, the httpOnly session cookie), over
 * openapi-fetch and the types generated from the server's OpenAPI document (sdk/src/api-types.ts): every
 * call names its real path template, and its path parameters, query and body are checked against the
 * contract. Errors come back as problem+json with a stable `code`; they surface as ApiError, shown through
 * i18n (`err.<CODE>`). Writes send JSON; POSTs that move money or create something send an Idempotency-Key.
 */
import createClient, { type Middleware } from 'openapi-fetch';
import type { paths } from '../../../sdk/src/api-types.js';
import { t } from './i18n.js';
import { setServerOffset } from './format.js';
import { problemText, type FieldError } from './problem-text.js';
import type {
  AdminSettingsView,
  AutobidLogItem,
  AutobidPreview,
  AutobidStrategy,
  AutobidSaved,
  ClearingRates,
  BidView,
  Claim,
  CollateralOptions,
  CoreEnterpriseView,
  CoreEnterpriseCredentials,
  GuaranteeItem,
  GuarantorSelf,
  GuarantorView,
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
  MerchantForOperators,
  PublishableKey,
  PublishableKeyCreated,
  UserDetail,
  UserSummary,
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
  Repayment,
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

// ---- transport: one openapi-fetch client, and the middleware that gives it the app's behaviour ----

/** Query values as the old hand-built URLs sent them: nothing for undefined, null or ''. */
function querySerializer(query: Record<string, unknown>): string {
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) if (v !== undefined && v !== null && v !== '') params.set(k, String(v));
  return params.toString();
}

/** An answer's body as JSON, or undefined when it is empty or not JSON. */
async function bodyOf(res: Response): Promise<unknown> {
  const text = await res.clone().text();
  if (!text) return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

const transport: Middleware = {
  /** fetch itself failed: aborted (rethrown as is) or no answer at all (NETWORK). */
  onError({ error }) {
    if (error instanceof DOMException && error.name === 'AbortError') return error;
    return new ApiError(0, 'NETWORK', t('err.NETWORK'));
  },
  async onResponse({ response: res, schemaPath }) {
    // The server's clock for countdowns: x-lendbook-now (ms, follows a settable demo clock) or Date.
    const nowHeader = Number(res.headers.get('x-lendbook-now'));
    const serverDate = res.headers.get('date');
    if (Number.isSafeInteger(nowHeader) && nowHeader > 0) setServerOffset(nowHeader - Date.now());
    else if (serverDate) {
      const serverMs = Date.parse(serverDate);
      if (!Number.isNaN(serverMs)) setServerOffset(serverMs + 500 - Date.now()); // Date has whole seconds
    }
    if (res.status === 204) return undefined;
    const data = await bodyOf(res);
    if (!res.ok) {
      const p = (data ?? {}) as { code?: string; detail?: string; title?: string; errors?: FieldError[] } & Record<string, unknown>;
      const code = p.code ?? (res.status === 404 ? 'NOT_FOUND' : res.status >= 500 ? 'INTERNAL' : 'HTTP_' + res.status);
      if (res.status === 401 && !schemaPath.startsWith(`${API_BASE}/auth/`)) for (const l of [...unauthorizedListeners]) l();
      const { type: _type, title, status: _status, detail, code: _code, errors, instance: _instance, ...extra } = p;
      throw new ApiError(res.status, code, detail ?? '', typeof title === 'string' ? title : '', errors ?? [], extra);
    }
    // A 2xx without a JSON body reads as undefined (openapi-fetch would try to parse it).
    if (data === undefined) return new Response(null, { status: res.status, statusText: res.statusText, headers: { 'content-length': '0' } });
    return undefined;
  },
};

/** The API client: `client.GET('/api/v1/listings/{id}', { params: { path: { id } } })`. */
export const client = createClient<paths>({ baseUrl: '', credentials: 'same-origin', headers: { accept: 'application/json' }, querySerializer });
client.use(transport);

/** The Idempotency-Key header of a call that may be retried (`params: { header: idempotent(key) }`). */
const idempotent = (key: string) => ({ 'idempotency-key': key });

/** A cursor as a query value: none for null. */
const cursorQ = (cursor: string | null | undefined) => (cursor ? { cursor } : {});

/** The 2xx body of an openapi-fetch answer, as the generated operation describes it. */
export type Body<R> = R extends { data: infer D } ? Exclude<D, undefined> : never;

/** A call whose success has no body (204): done, or an ApiError from the middleware. */
async function done(call: Promise<unknown>): Promise<void> {
  await call;
}

/**
 * The body of a call's 2xx answer, typed by the generated operation. openapi-fetch leaves `data`
 * undefined only on an error, and the middleware has thrown ApiError for every error before this.
 */
async function data<R extends { data?: unknown }>(call: Promise<R>): Promise<Body<R>> {
  const { data } = await call;
  return data as Body<R>;
}

/** Reads every page of a cursor-paginated list, up to `max` items. */
export async function all<T>(page: (cursor: string | null) => Promise<Page<T>>, max = 1000): Promise<T[]> {
  const out: T[] = [];
  let cursor: string | null = null;
  do {
    const p: Page<T> = await page(cursor);
    out.push(...p.items);
    cursor = p.nextCursor;
  } while (cursor && out.length < max);
  return out;
}

/** GET /listings' filters as the views hold them: numbers as numbers, the rest as the contract says. */
export type ListingQuery = Partial<Pick<QueryOf<'/api/v1/listings'>, 'status' | 'grade' | 'product' | 'sort'>> & { termMonths?: number; limit?: number; cursor?: string | null };

/** An operation's query, and its JSON request body, as the contract declares them. */
type QueryOf<P extends keyof paths> = paths[P] extends { get: { parameters: { query?: infer Q } } } ? NonNullable<Q> : never;
type JsonBody<P extends keyof paths, M extends 'post' | 'put'> = paths[P][M] extends { requestBody?: { content: { 'application/json': infer B } } } ? B : never;


const enc = (n: number | undefined) => (n === undefined ? undefined : String(n));

export const api = {
  // identity
  me: (): Promise<PublicUser> => data(client.GET('/api/v1/me')),
  login: (email: string, password: string): Promise<SessionResponse> => data(client.POST('/api/v1/auth/login', { body: { email, password } })),
  register: (body: { email: string; password: string; role: 'lender' | 'borrower'; displayName: string; inviteCode?: string }): Promise<SessionResponse> =>
    data(client.POST('/api/v1/auth/register', { body })),
  logout: (): Promise<void> => done(client.POST('/api/v1/auth/logout')),
  kyc: (body: { legalName: string; idNumber: string; riskProfile: RiskProfile }): Promise<PublicUser> => data(client.PUT('/api/v1/me/kyc', { body })),

  // wallet
  wallet: (): Promise<Wallet> => data(client.GET('/api/v1/wallet')),
  deposit: (amountMinor: number, idempotencyKey: string): Promise<Instruction> =>
    data(client.POST('/api/v1/wallet/deposits', { body: { amountMinor }, params: { header: idempotent(idempotencyKey) } })),
  withdraw: (amountMinor: number, idempotencyKey: string): Promise<Instruction> =>
    data(client.POST('/api/v1/wallet/withdrawals', { body: { amountMinor }, params: { header: idempotent(idempotencyKey) } })),
  transfers: (cursor?: string | null): Promise<Page<LedgerLine>> => data(client.GET('/api/v1/wallet/transfers', { params: { query: { limit: '50', ...cursorQ(cursor) } } })),
  notifications: (locale: QueryOf<'/api/v1/me/notifications'>['locale'] & string): Promise<{ items: NotificationItem[]; unread: number; nextCursor: string | null }> =>
    data(client.GET('/api/v1/me/notifications', { params: { query: { locale, limit: '30' } } })),
  markNotificationsRead: (body: { ids: string[] } | { all: true }): Promise<{ unread: number }> => data(client.POST('/api/v1/me/notifications/read', { body })),
  notificationPrefs: (): Promise<NotificationPreferences> => data(client.GET('/api/v1/me/notification-preferences')),
  putNotificationPrefs: (body: JsonBody<'/api/v1/me/notification-preferences', 'put'>): Promise<NotificationPreferences> =>
    data(client.PUT('/api/v1/me/notification-preferences', { body })),
  statement: (q: { from?: string; to?: string }): Promise<WalletStatement> => data(client.GET('/api/v1/wallet/statement', { params: { query: q } })),
  annualStatement: (year: number): Promise<WalletStatement & { year: number; totals: Record<string, number> }> =>
    data(client.GET('/api/v1/wallet/statements/{year}', { params: { path: { year: String(year) } } })),

  // market
  listings: (q: ListingQuery = {}): Promise<Page<ListingSummary>> =>
    data(
      client.GET('/api/v1/listings', {
        params: { query: { ...q, termMonths: enc(q.termMonths), limit: enc(q.limit), cursor: q.cursor ?? undefined } },
      }),
    ),
  listing: (id: string, signal?: AbortSignal): Promise<ListingDetail> => data(client.GET('/api/v1/listings/{id}', { params: { path: { id } }, ...(signal ? { signal } : {}) })),
  /** A monthly schedule (termMonths and repayment) or a claim-backed bullet (maturesOn). */
  schedulePreview: (q: { amountMinor: number; rateBps: number; disbursedOn?: string } & ({ termMonths: number; repayment: Repayment } | { maturesOn: string }), signal?: AbortSignal): Promise<SchedulePreview> =>
    data(
      client.GET('/api/v1/schedule-preview', {
        params: {
          query: {
            amountMinor: String(q.amountMinor),
            rateBps: String(q.rateBps),
            ...(q.disbursedOn ? { disbursedOn: q.disbursedOn } : {}),
            ...('termMonths' in q ? { termMonths: String(q.termMonths), repayment: q.repayment } : { maturesOn: q.maturesOn }),
          },
        },
        ...(signal ? { signal } : {}),
      }),
    ),
  createListing: (body: NewListing, idempotencyKey: string): Promise<ListingSummary> =>
    data(client.POST('/api/v1/listings', { body, params: { header: idempotent(idempotencyKey) } })),
  withdrawListing: (id: string): Promise<ListingSummary> => data(client.POST('/api/v1/listings/{id}/withdraw', { params: { path: { id } } })),
  placeBid: (listingId: string, body: { amountMinor: number; rateBps: number }, idempotencyKey: string): Promise<BidView> =>
    data(client.POST('/api/v1/listings/{id}/bids', { body, params: { path: { id: listingId }, header: idempotent(idempotencyKey) } })),
  amendBid: (bidId: string, rateBps: number): Promise<BidView> => data(client.PATCH('/api/v1/bids/{id}', { params: { path: { id: bidId } }, body: { rateBps } })),
  autobid: (): Promise<AutobidStrategy> => data(client.GET('/api/v1/me/autobid')),
  saveAutobid: (body: JsonBody<'/api/v1/me/autobid', 'put'>): Promise<AutobidSaved> => data(client.PUT('/api/v1/me/autobid', { body })),
  autobidPreview: (body: JsonBody<'/api/v1/me/autobid/preview', 'post'>): Promise<AutobidPreview> => data(client.POST('/api/v1/me/autobid/preview', { body })),
  autobidLog: (q: { limit?: number; cursor?: string | null } = {}): Promise<Page<AutobidLogItem>> =>
    data(client.GET('/api/v1/me/autobid/log', { params: { query: { limit: enc(q.limit), ...cursorQ(q.cursor) } } })),
  clearingRates: (): Promise<ClearingRates> => data(client.GET('/api/v1/autobid/clearing-rates')),
  myBids: (q: { status?: QueryOf<'/api/v1/me/bids'>['status']; cursor?: string | null; limit?: number } = {}): Promise<Page<BidView>> =>
    data(client.GET('/api/v1/me/bids', { params: { query: { status: q.status, limit: enc(q.limit), ...cursorQ(q.cursor) } } })),
  watchlist: (): Promise<{ listingIds: string[]; items: ListingSummary[] }> => data(client.GET('/api/v1/me/watchlist')),
  watch: (id: string): Promise<void> => done(client.PUT('/api/v1/me/watchlist/{id}', { params: { path: { id } } })),
  unwatch: (id: string): Promise<void> => done(client.DELETE('/api/v1/me/watchlist/{id}', { params: { path: { id } } })),
  myListings: (cursor?: string | null): Promise<Page<ListingSummary>> => data(client.GET('/api/v1/me/listings', { params: { query: { limit: '50', ...cursorQ(cursor) } } })),

  // borrower
  rating: (): Promise<Rating> => data(client.GET('/api/v1/me/rating')),
  collateral: (): Promise<CollateralOptions> => data(client.GET('/api/v1/me/collateral')),
  myLoans: (cursor?: string | null): Promise<Page<LoanItem>> => data(client.GET('/api/v1/me/loans', { params: { query: { limit: '50', ...cursorQ(cursor) } } })),
  loan: (id: string): Promise<LoanDetail> => data(client.GET('/api/v1/loans/{id}', { params: { path: { id } } })),
  owed: (id: string): Promise<LoanOwed> => data(client.GET('/api/v1/loans/{id}/owed', { params: { path: { id } } })),
  repaymentPreview: (id: string, amountMinor: number): Promise<RepaymentPreview> =>
    data(client.GET('/api/v1/loans/{id}/repayment-preview', { params: { path: { id }, query: { amountMinor: String(amountMinor) } } })),
  noteRepayments: (noteId: string): Promise<{ items: NoteRepayment[] }> => data(client.GET('/api/v1/me/notes/{id}/repayments', { params: { path: { id: noteId } } })),
  repay: (id: string, amountMinor: number, idempotencyKey: string): Promise<RepaymentResult> =>
    data(client.POST('/api/v1/loans/{id}/repayments', { body: { amountMinor }, params: { path: { id }, header: idempotent(idempotencyKey) } })),

  // claims (supply-chain finance)
  myClaims: (cursor?: string | null): Promise<Page<Claim>> => data(client.GET('/api/v1/me/claims', { params: { query: { limit: '100', ...cursorQ(cursor) } } })),
  assignClaim: (id: string, body: { toMerchantRef: string; amountMinor: number }, idempotencyKey: string): Promise<Claim> =>
    data(client.POST('/api/v1/claims/{id}/assign', { body, params: { path: { id }, header: idempotent(idempotencyKey) } })),
  coreEnterprises: (): Promise<{ items: CoreEnterpriseView[] }> => data(client.GET('/api/v1/admin/core-enterprises')),
  createCoreEnterprise: (body: JsonBody<'/api/v1/admin/core-enterprises', 'post'>): Promise<CoreEnterpriseCredentials> =>
    data(client.POST('/api/v1/admin/core-enterprises', { body })),

  // lender portfolio
  notes: (cursor?: string | null): Promise<Page<NoteItem>> => data(client.GET('/api/v1/me/notes', { params: { query: { limit: '100', ...cursorQ(cursor) } } })),
  portfolio: (): Promise<Portfolio> => data(client.GET('/api/v1/me/portfolio')),

  // the secondary market (docs/transfers.md)
  noteOffers: (q: { grade?: QueryOf<'/api/v1/note-offers'>['grade']; sort?: 'yield' | 'priceBps' | 'monthsLeft'; limit?: number; cursor?: string | null } = {}): Promise<Page<NoteOffer>> =>
    data(client.GET('/api/v1/note-offers', { params: { query: { grade: q.grade, sort: q.sort, limit: enc(q.limit), ...cursorQ(q.cursor) } } })),
  offerPreview: (noteId: string, q: { principalMinor?: number; priceBps?: number } = {}, signal?: AbortSignal): Promise<SalePreview> =>
    data(
      client.GET('/api/v1/notes/{id}/offer-preview', {
        params: { path: { id: noteId }, query: { principalMinor: enc(q.principalMinor), priceBps: enc(q.priceBps) } },
        ...(signal ? { signal } : {}),
      }),
    ),
  createOffer: (noteId: string, body: { principalMinor: number; priceBps: number }, idempotencyKey: string): Promise<NoteOffer> =>
    data(client.POST('/api/v1/notes/{id}/offers', { body, params: { path: { id: noteId }, header: idempotent(idempotencyKey) } })),
  cancelOffer: (offerId: string): Promise<NoteOffer> => data(client.DELETE('/api/v1/note-offers/{id}', { params: { path: { id: offerId } } })),
  purchaseQuote: (offerId: string, principalMinor: number | undefined, signal?: AbortSignal): Promise<PurchaseQuote> =>
    data(client.GET('/api/v1/note-offers/{id}/quote', { params: { path: { id: offerId }, query: { principalMinor: enc(principalMinor) } }, ...(signal ? { signal } : {}) })),
  buyNote: (offerId: string, principalMinor: number, idempotencyKey: string): Promise<Purchase> =>
    data(client.POST('/api/v1/note-offers/{id}/buy', { body: { principalMinor }, params: { path: { id: offerId }, header: idempotent(idempotencyKey) } })),
  myTransfers: (cursor?: string | null): Promise<Page<NoteTransferItem>> => data(client.GET('/api/v1/me/note-transfers', { params: { query: { limit: '100', ...cursorQ(cursor) } } })),
  myOffers: (cursor?: string | null): Promise<Page<NoteOffer>> => data(client.GET('/api/v1/me/note-offers', { params: { query: { limit: '100', ...cursorQ(cursor) } } })),

  // public
  stats: (): Promise<Stats> => data(client.GET('/api/v1/stats')),

  // third-party guarantors (docs/guarantees.md)
  guarantors: (): Promise<{ items: GuarantorView[] }> => data(client.GET('/api/v1/guarantors')),
  guarantorSelf: (): Promise<GuarantorSelf> => data(client.GET('/api/v1/me/guarantor')),
  guarantees: (status?: QueryOf<'/api/v1/guarantees'>['status']): Promise<Page<GuaranteeItem>> => data(client.GET('/api/v1/guarantees', { params: { query: { limit: '100', status } } })),
  decideGuarantee: (id: string, action: 'accept' | 'decline' | 'pay', idempotencyKey: string): Promise<GuaranteeItem> =>
    data(client.POST(`/api/v1/guarantees/{id}/${action}`, { body: {}, params: { path: { id }, header: idempotent(idempotencyKey) } })),
  createGuarantor: (body: { name: string; licenceNo: string; registeredCapitalMinor: number; email: string; password: string }, idempotencyKey: string): Promise<{ id: string; userId: string }> =>
    data(client.POST('/api/v1/admin/guarantors', { body, params: { header: idempotent(idempotencyKey) } })),
  adminGuarantors: (): Promise<{ items: GuarantorView[] }> => data(client.GET('/api/v1/admin/guarantors')),

  // operators
  settings: (): Promise<AdminSettingsView> => data(client.GET('/api/v1/admin/settings')),
  putSettings: (patch: Record<string, unknown>): Promise<AdminSettingsView> => data(client.PUT('/api/v1/admin/settings', { body: patch })),
  advanceClock: (advanceMs: number): Promise<{ nowMs: number; now: string; offsetMs: number }> => data(client.POST('/api/v1/admin/clock', { body: { advanceMs } })),
  partners: (): Promise<{ items: PartnerView[] }> => data(client.GET('/api/v1/admin/partners')),
  createPartner: (body: { name: string; webhookUrl?: string }): Promise<PartnerCredentials> => data(client.POST('/api/v1/admin/partners', { body })),
  rotateKey: (keyId: string): Promise<PartnerCredentials> => data(client.POST('/api/v1/admin/partners/{keyId}/rotate', { params: { path: { keyId } } })),
  /** The previous secret of a key dies at once. */
  revokePreviousSecret: (keyId: string, n: number): Promise<void> =>
    done(client.DELETE('/api/v1/admin/partners/{keyId}/secrets/{n}', { params: { path: { keyId, n: String(n) } } })),
  publishableKeys: (): Promise<{ items: PublishableKey[] }> => data(client.GET('/api/v1/admin/publishable-keys')),
  createPublishableKey: (partnerId: string, allowedOrigins: string[]): Promise<PublishableKeyCreated> =>
    data(client.POST('/api/v1/admin/partners/{partnerId}/publishable-keys', { params: { path: { partnerId } }, body: { allowedOrigins } })),
  revokePublishableKey: (key: string): Promise<void> => done(client.POST('/api/v1/admin/publishable-keys/{key}/revoke', { params: { path: { key } } })),
  users: (q: string, limit: number): Promise<{ items: UserSummary[] }> => data(client.GET('/api/v1/admin/users', { params: { query: { q, limit: String(limit) } } })),
  user: (id: string): Promise<UserDetail> => data(client.GET('/api/v1/admin/users/{id}', { params: { path: { id } } })),
  freezeUser: (id: string, reason: string): Promise<UserDetail> => data(client.POST('/api/v1/admin/users/{id}/freeze', { params: { path: { id } }, body: { reason } })),
  unfreezeUser: (id: string, reason: string): Promise<UserDetail> => data(client.POST('/api/v1/admin/users/{id}/unfreeze', { params: { path: { id } }, body: { reason } })),
  reviewIdentity: (id: string, outcome: 'confirmed' | 'rejected', reason: string): Promise<UserDetail> =>
    data(client.POST('/api/v1/admin/users/{id}/identity-review', { params: { path: { id } }, body: { outcome, reason } })),
  merchants: (q: { q: string; limit: number; relatedParty?: boolean }): Promise<{ items: MerchantForOperators[] }> =>
    data(client.GET('/api/v1/admin/merchants', { params: { query: { q: q.q, limit: String(q.limit), ...(q.relatedParty ? { relatedParty: 'true' } : {}) } } })),
  markRelatedParty: (id: string, relatedParty: boolean, reason: string): Promise<MerchantForOperators> =>
    data(client.PUT('/api/v1/admin/merchants/{id}', { params: { path: { id } }, body: { relatedParty, reason } })),
  invariants: (): Promise<InvariantReport> => data(client.GET('/api/v1/admin/invariants')),
  webhooks: (cursor?: string | null): Promise<Page<WebhookDelivery>> => data(client.GET('/api/v1/admin/webhooks', { params: { query: { limit: '50', ...cursorQ(cursor) } } })),
  recovery: (loanId: string, body: { amountMinor: number; reference: string }, idempotencyKey: string): Promise<RepaymentResult> =>
    data(client.POST('/api/v1/admin/loans/{id}/recoveries', { body, params: { path: { id: loanId }, header: idempotent(idempotencyKey) } })),
  replayWebhook: (id: string): Promise<{ id: string; status: string; replays: number }> => data(client.POST('/api/v1/admin/webhooks/{id}/replay', { params: { path: { id } } })),
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
