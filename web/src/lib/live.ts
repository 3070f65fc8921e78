/**
 * The typed WebSocket client of docs/realtime.md, shared by the app and the widgets.
 *
 * - One socket per client (one client per page): every subscriber of every channel shares it.
 *   Subscriptions are reference counted; the last unsubscribe of a channel sends `unsubscribe`, and a
 *   client with nothing to do closes its socket after `idleCloseMs`.
 * - Per channel it applies the snapshot and then each event (and each item of a `batch`) in `seq`
 *   order. A gap (a seq other than last + 1) subscribes again for a fresh snapshot; duplicates are
 *   skipped.
 * - `listing:<id>` keeps the bids and computes the book (levels, fills, coverage, current rate,
 *   funded %) with the server's own pure code (src/domain/auction/book.ts); `listings` keeps the open
 *   listings by id, `note-offers` the open offers of the secondary market; `me` keeps the wallet and
 *   passes on private events.
 * - Reconnects with exponential backoff and jitter, then subscribes every channel again (each gets a
 *   fresh snapshot). Close codes 4001 (session) and 4003 (origin or key) stop it: the owner decides.
 * - `bid` and `amend` carry a client `ref`; the promise resolves with `ack` and rejects with `error`.
 *   A request not yet answered is sent again after a reconnect with the same ref (the server answers a
 *   repeated ref with the first result, so it never bids twice).
 *
 * No DOM here: the constructor takes the URL and a WebSocket constructor (globalThis.WebSocket by
 * default), so Node tests drive it with the `ws` package or a fake.
 */
import { computeBook, type Book } from '../../../src/domain/auction/book.js';
import type { BidEntryView, BookLevelView, ListingDetail, ListingSummary, NoteOffer, Wallet } from './types.js';

// ---- socket abstraction ----

/** The part of the WebSocket interface used here (browsers' WebSocket and ws's both have it). */
export interface WebSocketLike {
  readonly readyState: number;
  /** Set to 'arraybuffer' so binary frames arrive synchronously (a Blob would need an async read). */
  binaryType?: string;
  send(data: string): void;
  close(code?: number, reason?: string): void;
  onopen: ((ev: unknown) => void) | null;
  onclose: ((ev: { code: number; reason?: string }) => void) | null;
  onerror: ((ev: unknown) => void) | null;
  onmessage: ((ev: { data: unknown }) => void) | null;
}
export type WebSocketCtor = new (url: string) => WebSocketLike;
/** What the constructor accepts: the browser's WebSocket, ws's, or a test fake. */
export type AnyWebSocketCtor = new (url: string) => object;

const OPEN = 1;

// ---- protocol ----

export type ClientMessage =
  | { op: 'subscribe'; channel: string }
  | { op: 'unsubscribe'; channel: string }
  | { op: 'bid'; ref: string; listingId: string; amountMinor: number; rateBps: number }
  | { op: 'amend'; ref: string; bidId: string; rateBps: number }
  | { op: 'ping' };

export type ServerMessage =
  | { type: 'snapshot'; channel: string; seq: number; data: unknown }
  | { type: 'event'; channel: string; seq: number; event: string; data: unknown }
  | { type: 'batch'; channel: string; items: { seq: number; event: string; data: unknown }[] }
  | { type: 'ack'; ref: string; data: unknown }
  | { type: 'error'; ref?: string; channel?: string; code: string; detail?: string }
  | { type: 'pong' };

/** A rejected request or subscription: `code` is from docs/errors.md (or TIMEOUT, CONNECTION_CLOSED). */
export class LiveError extends Error {
  override name = 'LiveError';
  constructor(
    readonly code: string,
    readonly detail: string = '',
    /** The figures the rejection is about, as the server sent them. */
    readonly extra: Record<string, unknown> = {},
  ) {
    super(detail ? `${code}: ${detail}` : code);
  }
}

// ---- channel states ----

export interface LiveBid {
  readonly bidId: string;
  readonly amountMinor: number;
  readonly rateBps: number;
  readonly priority: number;
}

export interface ClearedInfo {
  principalMinor: number;
  borrowerRateBps: number;
  fills: { bidId: string; fillMinor: number; rateBps: number }[];
}

/** A book entry as the socket's events give it: who placed it (manual or autobid) is not in them. */
export type LiveBidEntry = Omit<BidEntryView, 'source'>;
/** A listing's detail with its book as the live events keep it. */
export type LiveListing = Omit<ListingDetail, 'bids'> & { bids: LiveBidEntry[] };

/** One listing's live state: its summary fields kept current, its bids and the book computed from them. */
export interface ListingLiveState {
  readonly listingId: string;
  readonly seq: number;
  readonly listing: LiveListing;
  readonly bids: ReadonlyMap<string, LiveBid>;
  readonly book: Book;
  readonly cleared: ClearedInfo | null;
}

export interface MarketLiveState {
  readonly seq: number;
  /** Listings by id, as their last snapshot or event left them (open ones, and ones that just closed). */
  readonly items: ReadonlyMap<string, ListingSummary>;
}

/** The secondary market: open offers by id (docs/realtime.md `note-offers`). */
export interface OffersLiveState {
  readonly seq: number;
  readonly items: ReadonlyMap<string, NoteOffer>;
}

export interface MeLiveState {
  readonly seq: number;
  readonly wallet: Wallet | null;
}

export type Change =
  | { type: 'snapshot' }
  | { type: 'event'; event: string; data: unknown; seq: number }
  | { type: 'error'; code: string; detail: string };

export type Listener<S> = (state: S, change: Change) => void;

interface ChannelKind<S> {
  init(channel: string, data: unknown, seq: number): S;
  apply(state: S, event: string, data: unknown, seq: number): S;
}

function bidsToActive(bids: ReadonlyMap<string, LiveBid>) {
  return [...bids.values()].map((b) => ({ id: b.bidId, lenderId: '', amountMinor: b.amountMinor, rateBps: b.rateBps, priority: b.priority }));
}

/** The book of a listing with the given bids, by the server's rules. */
export function bookOf(listing: Pick<ListingSummary, 'amountMinor' | 'maxRateBps' | 'pricing'>, bids: ReadonlyMap<string, LiveBid> | readonly LiveBid[]): Book {
  const list = bids instanceof Map ? bids : new Map((bids as readonly LiveBid[]).map((b) => [b.bidId, b]));
  return computeBook({ amountMinor: listing.amountMinor, maxRateBps: listing.maxRateBps, pricing: listing.pricing }, bidsToActive(list));
}

function levelsOf(book: Book): BookLevelView[] {
  return book.bookLevels.map((l) => ({ rateBps: l.rateBps, amountMinor: l.amountMinor, bidCount: l.bidCount }));
}

function entriesOf(book: Book): LiveBidEntry[] {
  return book.entries.map((e) => ({ bidId: e.id, amountMinor: e.amountMinor, rateBps: e.rateBps, priority: e.priority, fillMinor: e.fillMinor }));
}

/** Recomputes the derived fields; while the listing is open they follow from the bids alone. */
function derive(listing: LiveListing, bids: ReadonlyMap<string, LiveBid>, seq: number, cleared: ClearedInfo | null): ListingLiveState {
  const book = bookOf(listing, bids);
  const next: LiveListing =
    listing.status === 'open'
      ? {
          ...listing,
          seq,
          coverageMinor: book.coverageMinor,
          fundedPct: book.fundedPct,
          currentRateBps: book.currentRateBps,
          bidCount: book.bidCount,
          book: levelsOf(book),
          bids: entriesOf(book),
        }
      : { ...listing, seq, book: levelsOf(book), bids: entriesOf(book) };
  return { listingId: listing.id, seq, listing: next, bids, book, cleared };
}

function obj(data: unknown): Record<string, unknown> {
  return data && typeof data === 'object' ? (data as Record<string, unknown>) : {};
}

export const listingKind: ChannelKind<ListingLiveState> = {
  init(_channel, data, seq) {
    const listing = data as ListingDetail;
    const bids = new Map<string, LiveBid>();
    for (const b of listing.bids ?? []) bids.set(b.bidId, { bidId: b.bidId, amountMinor: b.amountMinor, rateBps: b.rateBps, priority: b.priority });
    return derive(listing, bids, seq, null);
  },
  apply(state, event, data, seq) {
    const d = obj(data);
    let listing = state.listing;
    let bids = state.bids;
    let cleared = state.cleared;
    switch (event) {
      case 'bid.accepted': {
        const next = new Map(bids);
        next.set(String(d.bidId), { bidId: String(d.bidId), amountMinor: Number(d.amountMinor), rateBps: Number(d.rateBps), priority: seq });
        bids = next;
        break;
      }
      case 'bid.outbid': {
        const next = new Map(bids);
        next.delete(String(d.bidId));
        bids = next;
        break;
      }
      case 'bid.amended': {
        const id = String(d.bidId);
        const before = bids.get(id);
        const next = new Map(bids);
        next.set(id, { bidId: id, amountMinor: before?.amountMinor ?? Number(d.amountMinor), rateBps: Number(d.toRateBps), priority: seq });
        bids = next;
        break;
      }
      case 'listing.extended': {
        const endsAt = typeof d.endsAt === 'string' ? d.endsAt : new Date(Number(d.endsAtMs)).toISOString();
        listing = { ...listing, endsAt, extended: Date.parse(endsAt) > Date.parse(listing.originalEndsAt) };
        break;
      }
      case 'listing.cleared': {
        const fills = Array.isArray(d.fills) ? (d.fills as ClearedInfo['fills']) : [];
        cleared = { principalMinor: Number(d.principalMinor), borrowerRateBps: Number(d.borrowerRateBps), fills };
        const filled = new Set(fills.map((f) => f.bidId));
        bids = new Map([...bids].filter(([id]) => filled.has(id)));
        const fundedPct = Math.floor((cleared.principalMinor * 100) / listing.amountMinor);
        listing = { ...listing, status: 'cleared', currentRateBps: cleared.borrowerRateBps, fundedPct: Math.min(100, fundedPct), loanId: typeof d.loanId === 'string' ? d.loanId : listing.loanId };
        break;
      }
      case 'listing.failed':
        bids = new Map();
        listing = { ...listing, status: 'failed' };
        break;
      case 'listing.opened': {
        // Its guarantor accepted (docs/guarantees.md): the auction runs from now.
        const endsAt = typeof d.endsAt === 'string' ? d.endsAt : listing.endsAt;
        listing = { ...listing, status: 'open', endsAt, originalEndsAt: typeof d.originalEndsAt === 'string' ? d.originalEndsAt : endsAt, extended: false };
        break;
      }
      case 'listing.withdrawn':
        bids = new Map();
        listing = { ...listing, status: 'withdrawn', coverageMinor: 0, fundedPct: 0, bidCount: 0, currentRateBps: listing.maxRateBps };
        break;
      default:
        break; // an event this client does not know changes nothing it shows
    }
    return derive(listing, bids, seq, cleared);
  },
};

export const marketKind: ChannelKind<MarketLiveState> = {
  init(_channel, data, seq) {
    const items = new Map<string, ListingSummary>();
    for (const l of (obj(data).items as ListingSummary[] | undefined) ?? []) items.set(l.id, l);
    return { seq, items };
  },
  apply(state, event, data, seq) {
    if (event !== 'listing.created' && event !== 'listing.updated') return { ...state, seq };
    const l = data as ListingSummary;
    const items = new Map(state.items);
    // Updates carry the listing's own fields; its guarantee (read with the snapshot) stays.
    const before = state.items.get(l.id);
    items.set(l.id, before?.guarantee && !l.guarantee ? { ...l, guarantee: before.guarantee } : l);
    return { seq, items };
  },
};

/** Every event carries the whole offer: replace it by id; an offer no longer open leaves the market. */
export const offersKind: ChannelKind<OffersLiveState> = {
  init(_channel, data, seq) {
    const items = new Map<string, NoteOffer>();
    for (const o of (obj(data).items as NoteOffer[] | undefined) ?? []) items.set(o.id, o);
    return { seq, items };
  },
  apply(state, _event, data, seq) {
    const o = data as NoteOffer;
    if (typeof o?.id !== 'string') return { ...state, seq };
    const items = new Map(state.items);
    if (o.status === 'open') items.set(o.id, o);
    else items.delete(o.id);
    return { seq, items };
  },
};

export const meKind: ChannelKind<MeLiveState> = {
  init(_channel, data, seq) {
    return { seq, wallet: (obj(data).wallet as Wallet | undefined) ?? null };
  },
  apply(state, event, data, seq) {
    if (event === 'wallet.changed') {
      const d = obj(data);
      return { seq, wallet: { availableMinor: Number(d.availableMinor), heldMinor: Number(d.heldMinor), currency: 'CNY' } };
    }
    return { ...state, seq };
  },
};

const rawKind: ChannelKind<unknown> = {
  init: (_c, data) => data,
  apply: (_s, _e, data) => data,
};

function kindOf(channel: string): ChannelKind<unknown> {
  if (channel.startsWith('listing:')) return listingKind as ChannelKind<unknown>;
  if (channel === 'listings') return marketKind as ChannelKind<unknown>;
  if (channel === 'note-offers') return offersKind as ChannelKind<unknown>;
  if (channel === 'me') return meKind as ChannelKind<unknown>;
  return rawKind;
}

interface ChannelEntry {
  readonly channel: string;
  readonly kind: ChannelKind<unknown>;
  readonly listeners: Set<Listener<unknown>>;
  /** Last applied seq; null while waiting for a snapshot. */
  seq: number | null;
  state: unknown;
  hasState: boolean;
  error: LiveError | null;
}

interface PendingRequest {
  readonly ref: string;
  readonly message: ClientMessage;
  resolve(data: unknown): void;
  reject(err: LiveError): void;
  timer: ReturnType<typeof setTimeout> | undefined;
}

const decoder = typeof TextDecoder === 'undefined' ? null : new TextDecoder();

/**
 * A frame's text. The protocol speaks JSON text frames, but a JSON frame sent as binary (UTF-8 bytes)
 * is read the same way, in order: ArrayBuffer, typed arrays and Node Buffers decode synchronously.
 */
function frameText(raw: unknown): string {
  if (typeof raw === 'string') return raw;
  if (decoder && raw instanceof ArrayBuffer) return decoder.decode(raw);
  if (decoder && ArrayBuffer.isView(raw)) return decoder.decode(raw);
  if (Array.isArray(raw) && decoder) {
    // ws's fragmented Buffer[]
    const parts = raw as Uint8Array[];
    const total = parts.reduce((n, p) => n + p.byteLength, 0);
    const joined = new Uint8Array(total);
    let at = 0;
    for (const p of parts) {
      joined.set(p, at);
      at += p.byteLength;
    }
    return decoder.decode(joined);
  }
  return String(raw);
}

// ---- the client ----

export type ConnectionState = 'idle' | 'connecting' | 'open' | 'reconnecting' | 'closed';

export interface ConnectionInfo {
  state: ConnectionState;
  /** Failed attempts since the last healthy connection. */
  attempt: number;
  /** When the next attempt starts (ms since epoch), while reconnecting. */
  nextRetryAtMs: number | null;
  /** The last close code, e.g. 4001 when the session was refused. */
  lastCloseCode: number | null;
}

export interface LiveOptions {
  /** First reconnect delay; doubles each failed attempt up to maxDelayMs. Jitter: 50–100 % of it. */
  baseDelayMs?: number;
  maxDelayMs?: number;
  /** Random source in [0, 1) for the jitter (tests pass a fixed one). */
  random?: () => number;
  /** Send a ping this often; a socket that says nothing for pongTimeoutMs after it is dropped. */
  pingIntervalMs?: number;
  pongTimeoutMs?: number;
  /** Close the socket this long after the last subscription and request are gone. */
  idleCloseMs?: number;
  /** A bid or amend not answered in this time rejects with TIMEOUT (it may still have gone through). */
  requestTimeoutMs?: number;
  /** Where protocol problems are reported (unparsable frames, failed listeners). */
  onWarning?: (message: string, err?: unknown) => void;
}

const TERMINAL_CLOSE_CODES = new Set([4001, 4003]);

export class LiveClient {
  private readonly WS: WebSocketCtor | undefined;
  private readonly opts: Required<Omit<LiveOptions, 'onWarning'>> & Pick<LiveOptions, 'onWarning'>;
  private socket: WebSocketLike | null = null;
  private readonly channels = new Map<string, ChannelEntry>();
  private readonly pending = new Map<string, PendingRequest>();
  private readonly stateListeners = new Set<(info: ConnectionInfo) => void>();
  private info: ConnectionInfo = { state: 'idle', attempt: 0, nextRetryAtMs: null, lastCloseCode: null };
  private retryTimer: ReturnType<typeof setTimeout> | undefined;
  private idleTimer: ReturnType<typeof setTimeout> | undefined;
  private pingTimer: ReturnType<typeof setInterval> | undefined;
  private pongTimer: ReturnType<typeof setTimeout> | undefined;
  private stopped = false;
  private refCounter = 0;
  /** Statistics for tests and diagnostics. */
  readonly stats = { connects: 0, gaps: 0, resubscribes: 0 };

  constructor(
    private url: string,
    WebSocketImpl: AnyWebSocketCtor | undefined = (globalThis as { WebSocket?: AnyWebSocketCtor }).WebSocket,
    options: LiveOptions = {},
  ) {
    this.WS = WebSocketImpl as WebSocketCtor | undefined;
    this.opts = {
      baseDelayMs: options.baseDelayMs ?? 500,
      maxDelayMs: options.maxDelayMs ?? 30_000,
      random: options.random ?? Math.random,
      pingIntervalMs: options.pingIntervalMs ?? 20_000,
      pongTimeoutMs: options.pongTimeoutMs ?? 10_000,
      idleCloseMs: options.idleCloseMs ?? 3_000,
      requestTimeoutMs: options.requestTimeoutMs ?? 20_000,
      onWarning: options.onWarning,
    };
  }

  // ---- connection state ----

  get connection(): ConnectionInfo {
    return this.info;
  }

  onConnection(listener: (info: ConnectionInfo) => void): () => void {
    this.stateListeners.add(listener);
    listener(this.info);
    return () => this.stateListeners.delete(listener);
  }

  private setInfo(patch: Partial<ConnectionInfo>): void {
    this.info = { ...this.info, ...patch };
    for (const l of [...this.stateListeners]) {
      try {
        l(this.info);
      } catch (err) {
        this.warn('connection listener failed', err);
      }
    }
  }

  /** Drops the socket (if any) and connects again now, e.g. after login or logout; channels resubscribe. */
  reconnect(url?: string): void {
    if (url) this.url = url;
    this.stopped = false;
    this.clearRetry();
    this.dropSocket(1000, 'reconnect');
    this.setInfo({ attempt: 0, nextRetryAtMs: null });
    if (this.wanted()) this.connect();
    else this.setInfo({ state: 'idle' });
  }

  /** Closes for good: pending requests reject, listeners stay registered but receive nothing more. */
  close(): void {
    this.stopped = true;
    this.clearRetry();
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.dropSocket(1000, 'closed by client');
    this.rejectAll(new LiveError('CONNECTION_CLOSED', 'the client was closed'));
    this.setInfo({ state: 'closed', nextRetryAtMs: null });
  }

  private wanted(): boolean {
    return !this.stopped && (this.channels.size > 0 || this.pending.size > 0);
  }

  private connect(): void {
    if (this.socket || this.stopped) return;
    if (!this.WS) {
      this.setInfo({ state: 'closed' });
      this.warn('no WebSocket implementation available');
      return;
    }
    this.clearRetry();
    this.setInfo({ state: this.info.attempt > 0 ? 'reconnecting' : 'connecting', nextRetryAtMs: null });
    let ws: WebSocketLike;
    try {
      ws = new this.WS(this.url);
    } catch (err) {
      this.warn('WebSocket constructor failed', err);
      this.scheduleRetry();
      return;
    }
    this.stats.connects++;
    this.socket = ws;
    try {
      ws.binaryType = 'arraybuffer';
    } catch {
      /* a socket without binaryType */
    }
    ws.onopen = () => {
      if (this.socket !== ws) return;
      this.setInfo({ state: 'open', nextRetryAtMs: null, lastCloseCode: null });
      for (const entry of this.channels.values()) {
        entry.seq = null;
        this.send({ op: 'subscribe', channel: entry.channel });
      }
      for (const p of this.pending.values()) this.send(p.message);
      this.startHeartbeat();
      this.maybeIdle();
    };
    ws.onmessage = (ev) => {
      if (this.socket !== ws) return;
      this.onMessage(ev.data);
    };
    ws.onerror = () => {
      /* a close follows */
    };
    ws.onclose = (ev) => {
      if (this.socket !== ws) return;
      this.onSocketClosed(ev.code);
    };
  }

  private onSocketClosed(code: number): void {
    this.detach();
    for (const entry of this.channels.values()) entry.seq = null;
    this.setInfo({ lastCloseCode: code });
    if (TERMINAL_CLOSE_CODES.has(code)) {
      // The session or key was refused: retrying the same upgrade would be refused again.
      this.rejectAll(new LiveError(code === 4001 ? 'UNAUTHENTICATED' : 'ORIGIN_NOT_ALLOWED', `socket closed with ${code}`));
      this.setInfo({ state: 'closed', nextRetryAtMs: null });
      return;
    }
    if (!this.wanted()) {
      this.setInfo({ state: 'idle', attempt: 0, nextRetryAtMs: null });
      return;
    }
    this.scheduleRetry();
  }

  private scheduleRetry(): void {
    this.clearRetry();
    const attempt = this.info.attempt;
    const ceiling = Math.min(this.opts.maxDelayMs, this.opts.baseDelayMs * 2 ** Math.min(attempt, 30));
    const delay = Math.round(ceiling / 2 + (this.opts.random() * ceiling) / 2);
    this.setInfo({ state: 'reconnecting', attempt: attempt + 1, nextRetryAtMs: Date.now() + delay });
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      if (this.wanted()) this.connect();
      else this.setInfo({ state: 'idle', nextRetryAtMs: null });
    }, delay);
  }

  private clearRetry(): void {
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
  }

  private detach(): void {
    const ws = this.socket;
    this.socket = null;
    this.stopHeartbeat();
    if (ws) {
      ws.onopen = null;
      ws.onmessage = null;
      ws.onclose = null;
      ws.onerror = null;
    }
  }

  private dropSocket(code: number, reason: string): void {
    const ws = this.socket;
    this.detach();
    if (ws) {
      try {
        ws.close(code, reason);
      } catch {
        /* already closing */
      }
    }
    for (const entry of this.channels.values()) entry.seq = null;
  }

  private startHeartbeat(): void {
    this.stopHeartbeat();
    this.pingTimer = setInterval(() => {
      if (!this.socket || this.socket.readyState !== OPEN) return;
      this.send({ op: 'ping' });
      if (!this.pongTimer) {
        this.pongTimer = setTimeout(() => {
          this.pongTimer = undefined;
          // Nothing heard since the ping: the connection is dead even if no close arrived.
          this.warn('no answer to ping; reconnecting');
          this.dropSocket(4000, 'ping timeout');
          this.onSocketClosed(1006);
        }, this.opts.pongTimeoutMs);
      }
    }, this.opts.pingIntervalMs);
  }

  private stopHeartbeat(): void {
    if (this.pingTimer) clearInterval(this.pingTimer);
    if (this.pongTimer) clearTimeout(this.pongTimer);
    this.pingTimer = undefined;
    this.pongTimer = undefined;
  }

  private send(message: ClientMessage): boolean {
    const ws = this.socket;
    if (!ws || ws.readyState !== OPEN) return false;
    try {
      ws.send(JSON.stringify(message));
      return true;
    } catch (err) {
      this.warn('send failed', err);
      return false;
    }
  }

  private warn(message: string, err?: unknown): void {
    this.opts.onWarning?.(message, err);
  }

  // ---- incoming ----

  private onMessage(raw: unknown): void {
    // Anything from the server proves the connection healthy.
    if (this.pongTimer) clearTimeout(this.pongTimer);
    this.pongTimer = undefined;
    if (this.info.attempt !== 0) this.setInfo({ attempt: 0 });
    let msg: ServerMessage;
    try {
      msg = JSON.parse(frameText(raw)) as ServerMessage;
    } catch (err) {
      this.warn('unparsable frame', err);
      return;
    }
    switch (msg.type) {
      case 'snapshot':
        this.onSnapshot(msg.channel, msg.seq, msg.data);
        break;
      case 'event':
        this.onEvents(msg.channel, [{ seq: msg.seq, event: msg.event, data: msg.data }]);
        break;
      case 'batch':
        this.onEvents(msg.channel, Array.isArray(msg.items) ? msg.items : []);
        break;
      case 'ack': {
        const p = this.pending.get(msg.ref);
        if (p) {
          this.finish(p);
          p.resolve(msg.data);
        }
        break;
      }
      case 'error': {
        if (msg.ref !== undefined) {
          const p = this.pending.get(msg.ref);
          if (p) {
            this.finish(p);
            const { type: _t, ref: _r, code: _c, detail: _d, ...extra } = msg as unknown as Record<string, unknown>;
            p.reject(new LiveError(msg.code, msg.detail ?? '', extra));
          }
        } else if (msg.channel) {
          const entry = this.channels.get(msg.channel);
          if (entry) {
            entry.error = new LiveError(msg.code, msg.detail ?? '');
            this.notify(entry, { type: 'error', code: msg.code, detail: msg.detail ?? '' });
          }
        } else {
          this.warn(`server error ${msg.code}: ${msg.detail ?? ''}`);
        }
        break;
      }
      case 'pong':
        break;
      default:
        break;
    }
  }

  private onSnapshot(channel: string, seq: number, data: unknown): void {
    const entry = this.channels.get(channel);
    if (!entry) return; // unsubscribed meanwhile
    try {
      entry.state = entry.kind.init(channel, data, seq);
    } catch (err) {
      this.warn(`bad snapshot on ${channel}`, err);
      return;
    }
    entry.seq = seq;
    entry.hasState = true;
    entry.error = null;
    this.notify(entry, { type: 'snapshot' });
  }

  private onEvents(channel: string, items: readonly { seq: number; event: string; data: unknown }[]): void {
    const entry = this.channels.get(channel);
    if (!entry) return;
    for (const item of items) {
      if (entry.seq === null) return; // waiting for a snapshot: it will contain these
      if (item.seq <= entry.seq) continue; // already applied (or contained in the snapshot)
      if (item.seq !== entry.seq + 1) {
        this.resync(entry, `gap on ${channel}: expected seq ${entry.seq + 1}, got ${item.seq}`);
        return;
      }
      try {
        entry.state = entry.kind.apply(entry.state, item.event, item.data, item.seq);
      } catch (err) {
        this.resync(entry, `event ${item.event} could not be applied on ${channel}`, err);
        return;
      }
      entry.seq = item.seq;
      this.notify(entry, { type: 'event', event: item.event, data: item.data, seq: item.seq });
    }
  }

  private resync(entry: ChannelEntry, why: string, err?: unknown): void {
    this.stats.gaps++;
    this.stats.resubscribes++;
    this.warn(why, err);
    entry.seq = null;
    this.send({ op: 'subscribe', channel: entry.channel });
  }

  private notify(entry: ChannelEntry, change: Change): void {
    for (const l of [...entry.listeners]) {
      try {
        l(entry.state, change);
      } catch (err) {
        this.warn(`listener of ${entry.channel} failed`, err);
      }
    }
  }

  // ---- subscriptions ----

  /**
   * Subscribes `listener` to `channel`; returns the unsubscribe function. A listener that joins a
   * channel which already has state gets it at once (as a snapshot change), on a microtask.
   */
  subscribe<S = unknown>(channel: string, listener: Listener<S>): () => void {
    const l = listener as Listener<unknown>;
    let entry = this.channels.get(channel);
    if (!entry) {
      entry = { channel, kind: kindOf(channel), listeners: new Set(), seq: null, state: undefined, hasState: false, error: null };
      this.channels.set(channel, entry);
      if (this.socket && this.socket.readyState === OPEN) this.send({ op: 'subscribe', channel });
    }
    entry.listeners.add(l);
    const current = entry;
    if (current.hasState) {
      queueMicrotask(() => {
        if (current.listeners.has(l) && this.channels.get(channel) === current) l(current.state, { type: 'snapshot' });
      });
    }
    this.cancelIdle();
    if (!this.socket && !this.retryTimer && !this.stopped) this.connect();
    let done = false;
    return () => {
      if (done) return;
      done = true;
      current.listeners.delete(l);
      if (current.listeners.size === 0 && this.channels.get(channel) === current) {
        this.channels.delete(channel);
        this.send({ op: 'unsubscribe', channel });
        this.maybeIdle();
      }
    };
  }

  listing(listingId: string, listener: Listener<ListingLiveState>): () => void {
    return this.subscribe(`listing:${listingId}`, listener);
  }

  market(listener: Listener<MarketLiveState>): () => void {
    return this.subscribe('listings', listener);
  }

  me(listener: Listener<MeLiveState>): () => void {
    return this.subscribe('me', listener);
  }

  noteOffers(listener: Listener<OffersLiveState>): () => void {
    return this.subscribe('note-offers', listener);
  }

  /** The current state of a subscribed channel, if its snapshot has arrived. */
  stateOf<S = unknown>(channel: string): S | undefined {
    const entry = this.channels.get(channel);
    return entry?.hasState ? (entry.state as S) : undefined;
  }

  /** Channels with at least one listener. */
  get subscribedChannels(): string[] {
    return [...this.channels.keys()];
  }

  private cancelIdle(): void {
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.idleTimer = undefined;
  }

  private maybeIdle(): void {
    if (this.channels.size > 0 || this.pending.size > 0) return;
    this.cancelIdle();
    const close = () => {
      this.idleTimer = undefined;
      if (this.channels.size > 0 || this.pending.size > 0) return;
      this.clearRetry();
      this.dropSocket(1000, 'idle');
      this.setInfo({ state: 'idle', attempt: 0, nextRetryAtMs: null });
    };
    if (this.opts.idleCloseMs <= 0) close();
    else this.idleTimer = setTimeout(close, this.opts.idleCloseMs);
  }

  // ---- requests ----

  /** A new client ref: 1–64 characters of A–Z a–z 0–9 _ - . : */
  newRef(prefix = 'c'): string {
    const uuid = typeof crypto !== 'undefined' && typeof crypto.randomUUID === 'function' ? crypto.randomUUID() : `${Date.now().toString(36)}-${Math.random().toString(36).slice(2)}`;
    return `${prefix}-${uuid}-${++this.refCounter}`.slice(0, 64);
  }

  /** Places a bid; resolves with the bid as the server acknowledged it. */
  bid(input: { listingId: string; amountMinor: number; rateBps: number }, ref: string = this.newRef('bid')): Promise<unknown> {
    return this.request({ op: 'bid', ref, listingId: input.listingId, amountMinor: input.amountMinor, rateBps: input.rateBps });
  }

  /** Lowers a bid's rate; resolves with the bid as amended. */
  amend(input: { bidId: string; rateBps: number }, ref: string = this.newRef('amend')): Promise<unknown> {
    return this.request({ op: 'amend', ref, bidId: input.bidId, rateBps: input.rateBps });
  }

  /** Requests waiting for their ack or error (sent again after a reconnect). */
  get pendingRefs(): string[] {
    return [...this.pending.keys()];
  }

  private request(message: Extract<ClientMessage, { ref: string }>): Promise<unknown> {
    if (this.stopped) return Promise.reject(new LiveError('CONNECTION_CLOSED', 'the client was closed'));
    const existing = this.pending.get(message.ref);
    if (existing) return Promise.reject(new LiveError('REF_IN_USE', `request ${message.ref} is still waiting`));
    return new Promise((resolve, reject) => {
      const p: PendingRequest = { ref: message.ref, message, resolve, reject, timer: undefined };
      if (this.opts.requestTimeoutMs > 0) {
        p.timer = setTimeout(() => {
          if (this.pending.get(p.ref) !== p) return;
          this.finish(p);
          reject(new LiveError('TIMEOUT', 'no answer from the server yet; the request may still go through'));
        }, this.opts.requestTimeoutMs);
      }
      this.pending.set(message.ref, p);
      this.cancelIdle();
      if (!this.send(message) && !this.socket && !this.retryTimer) this.connect();
    });
  }

  private finish(p: PendingRequest): void {
    if (p.timer) clearTimeout(p.timer);
    this.pending.delete(p.ref);
    this.maybeIdle();
  }

  private rejectAll(err: LiveError): void {
    for (const p of [...this.pending.values()]) {
      if (p.timer) clearTimeout(p.timer);
      this.pending.delete(p.ref);
      p.reject(err);
    }
  }
}

/** The socket URL of the page's own origin: ws(s)://host/api/v1/ws, with optional query. */
export function liveUrl(origin: { protocol: string; host: string }, query: Record<string, string> = {}): string {
  const qs = new URLSearchParams(query).toString();
  return `${origin.protocol === 'https:' ? 'wss' : 'ws'}://${origin.host}/api/v1/ws${qs ? `?${qs}` : ''}`;
}
