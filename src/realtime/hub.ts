import { isoDateOfMs } from '../domain/dates.js';
import type { WebSocket } from 'ws';
import type { AppContext } from '../context.js';
import type { OutboxMessage } from '../db/schema/index.js';
import { AppError, type ErrorCode } from '../domain/errors.js';
import type { AuthUser } from '../services/identity.js';
import type { Metrics } from '../metrics.js';
import { findJsonProblem, jsonProblemText } from '../security/json.js';
import { amendBid, placeBid } from '../services/bidding.js';
import { listListings, listingDetail } from '../services/listings.js';
import { walletOf } from '../services/wallet.js';
import { listOffers } from '../services/transfer-reads.js';
import { OFFERS_CHANNEL } from '../services/transfers.js';
import { CLOSE, parseClientMessage, type ClientMessage, type ServerMessage } from './protocol.js';
import { withIdempotency } from '../services/idempotency.js';
import { SnapshotCache } from './snapshot-cache.js';

export interface HubOptions {
  ctx: AppContext;
  metrics: Metrics;
  /** A socket whose unsent bytes pass this is cut off (4009): memory stays bounded. */
  maxBufferedBytes?: number;
  heartbeatMs?: number;
  ratePerSec?: number;
  burst?: number;
}

type Channel = string;

interface Subscription {
  channel: Channel;
  state: 'loading' | 'live';
  lastSeq: number;
  /** Events that arrived while the snapshot was being read. */
  pending: { seq: number; item: string; frame: Buffer; event?: string; data?: unknown }[];
}

export interface Connection {
  id: number;
  socket: WebSocket;
  /** The client's address (the proxy's X-Forwarded-For with LENDBOOK_TRUST_PROXY=on). */
  address: string;
  user: AuthUser | null;
  token: string | null;
  /** Shared and empty (NONE) until the first subscription: most sockets of a big fan-out hold one or none. */
  subs: ReadonlyMap<Channel, Subscription>;
  tokens: number;
  refilledAtMs: number;
  dropped: number;
  alive: boolean;
  /** Events held back while the socket's buffer is full, per channel, sent later as one batch frame (NONE when there are none). */
  backlog: ReadonlyMap<Channel, string[]>;
  backlogBytes: number;
  /** Bytes of events held in subscriptions whose snapshot has not been sent yet. */
  pendingBytes: number;
  /** Snapshots read but not yet sent, oldest first: each goes out once the socket has drained. */
  snapshotQueue: { sub: Subscription; seq: number; frame: Buffer }[];
  /** The size of the last snapshot sent: it may sit in the buffer on top of the backlog limit. */
  snapshotAllowance: number;
}

const MAX_SUBSCRIPTIONS = 200;
/** The heartbeat's slices: every heartbeatMs / BEAT_SLICES, the sockets whose id falls in the next slice are pinged. */
export const BEAT_SLICES = 60;
/**
 * The empty map every connection starts with for its subscriptions and its backlog, replaced by a map of
 * its own on the first write (ownSubs, ownBacklog). An empty Map costs ~200 bytes; two per socket were
 * 4 MB of 10,000 idle sockets. Never written to: it is read-only to the type checker.
 */
const NONE: ReadonlyMap<string, never> = new Map<string, never>();

function ownSubs(conn: Connection): Map<Channel, Subscription> {
  if (conn.subs === NONE) conn.subs = new Map();
  return conn.subs as Map<Channel, Subscription>;
}

function ownBacklog(conn: Connection): Map<Channel, string[]> {
  if (conn.backlog === NONE) conn.backlog = new Map();
  return conn.backlog as Map<Channel, string[]>;
}

/** Public market-wide channels: a snapshot of what is open, then every change. */
const FEEDS: readonly Channel[] = ['listings', OFFERS_CHANNEL];
/** Waits between attempts to read a snapshot the server decided to send. */
const RESUBSCRIBE_DELAYS_MS = [100, 250, 500, 1000, 2000, 4000];

/**
 * The WebSocket side of every node: connections, their subscriptions, and the fan-out of events that the
 * event stream delivers in dispatch order. Each event is serialised once per channel and the same frame
 * goes to every subscriber; a subscriber that falls behind is cut off rather than buffered without limit.
 */
export class Hub {
  private nextId = 1;
  private readonly connections = new Set<Connection>();
  private readonly listingSubs = new Map<string, Set<Connection>>();
  private readonly userSubs = new Map<string, Set<Connection>>();
  /**
   * The market-wide public feeds (`listings`, `note-offers`), numbered by this node: one counter per
   * feed, so one frame for every watcher.
   */
  private readonly feeds = new Map<Channel, { subs: Set<Connection>; seq: number }>(FEEDS.map((name) => [name, { subs: new Set(), seq: 0 }]));
  private heartbeat: NodeJS.Timeout | undefined;
  private flushTimer: NodeJS.Timeout | undefined;
  private readonly backlogged = new Set<Connection>();
  /** Connections with snapshots waiting for their socket to drain. */
  private readonly snapshotWaiting = new Set<Connection>();
  private readonly maxBuffered: number;
  /** Above this many unsent bytes a socket gets its events coalesced into batch frames. */
  private readonly coalesceAbove: number;
  private readonly ratePerSec: number;
  private readonly burst: number;
  private unsubscribeStream: (() => void) | undefined;
  /** Open sockets and subscriptions per address and per user: the caps of the settings `wsMax…`. */
  private readonly socketsByAddress = new Map<string, number>();
  private readonly socketsByUser = new Map<string, number>();
  private readonly subsByAddress = new Map<string, number>();
  private readonly subsByUser = new Map<string, number>();
  readonly snapshots: SnapshotCache;

  constructor(private readonly opts: HubOptions) {
    this.snapshots = new SnapshotCache(opts.ctx);
    this.maxBuffered = opts.maxBufferedBytes ?? 1024 * 1024;
    this.coalesceAbove = Math.min(64 * 1024, Math.floor(this.maxBuffered / 4));
    this.ratePerSec = opts.ratePerSec ?? 20;
    this.burst = opts.burst ?? 40;
  }

  start(): void {
    this.unsubscribeStream = this.opts.ctx.stream.on((msg) => this.deliver(msg));
    // Each socket is pinged once per heartbeatMs, a slice of them at a time: pinging 10,000 sockets in one
    // turn held the event loop (and every event waiting to go out) for a hundred milliseconds and more.
    const interval = this.opts.heartbeatMs ?? 15_000;
    let slice = 0;
    this.heartbeat = setInterval(() => this.guarded('heartbeat', () => this.beat(slice++ % BEAT_SLICES)), Math.max(1, Math.round(interval / BEAT_SLICES)));
    this.heartbeat.unref?.();
    this.flushTimer = setInterval(
      () =>
        this.guarded('backlog flush', () => {
          this.flushBacklogs();
          this.flushSnapshots();
        }),
      20,
    );
    this.flushTimer.unref?.();
  }

  /** Timer work: a failure is logged and the timer keeps running. */
  private guarded(what: string, fn: () => void): void {
    try {
      fn();
    } catch (err) {
      this.opts.ctx.log.error({ err }, `websocket ${what} failed`);
    }
  }

  /** Closes every socket with 1001 (shutdown). */
  stop(): void {
    this.unsubscribeStream?.();
    if (this.heartbeat) clearInterval(this.heartbeat);
    if (this.flushTimer) clearInterval(this.flushTimer);
    for (const c of this.connections) c.socket.close(CLOSE.goingAway, 'server shutting down');
  }

  get size(): number {
    return this.connections.size;
  }

  /**
   * Why one more socket from this address or user would pass a cap, or undefined. Checked before the
   * upgrade (HTTP 429) and again when the socket attaches (4029), since upgrades run concurrently.
   */
  socketRefusal(address: string, user: AuthUser | null): string | undefined {
    const s = this.opts.ctx.settings.get();
    if ((this.socketsByAddress.get(address) ?? 0) >= s.wsMaxSocketsPerAddress) return `at most ${s.wsMaxSocketsPerAddress} open sockets from one address`;
    if (user && (this.socketsByUser.get(user.id) ?? 0) >= s.wsMaxSocketsPerUser) return `at most ${s.wsMaxSocketsPerUser} open sockets for one account`;
    return undefined;
  }

  /** Must be called synchronously when the socket opens: messages may arrive at once. */
  attach(socket: WebSocket, user: AuthUser | null, token: string | null, address = 'unknown'): Connection {
    const conn: Connection = { id: this.nextId++, socket, address, user, token, subs: NONE, tokens: this.burst, refilledAtMs: Date.now(), dropped: 0, alive: true, backlog: NONE, backlogBytes: 0, pendingBytes: 0, snapshotQueue: [], snapshotAllowance: 0 };
    const refusal = this.socketRefusal(address, user);
    if (refusal) {
      socket.close(CLOSE.tooMany, refusal.slice(0, 120));
      return conn;
    }
    this.connections.add(conn);
    bump(this.socketsByAddress, address, 1);
    if (user) bump(this.socketsByUser, user.id, 1);
    this.opts.metrics.wsConnections.inc();
    socket.on('message', (raw: Buffer, isBinary: boolean) => {
      // One frame must never take the node down: whatever escapes the handler closes this socket only.
      this.onMessage(conn, isBinary ? '' : raw.toString('utf8')).catch((err: unknown) => this.fail(conn, err));
    });
    socket.on('pong', () => {
      conn.alive = true;
    });
    socket.on('close', () => this.detach(conn));
    // What @fastify/websocket's own listener did (the route removes it: it kept the upgrade's request
    // alive): log, and make sure the TCP socket is gone.
    socket.on('error', (err: Error) => {
      this.opts.ctx.log.error({ err, connection: conn.id, address }, 'websocket error');
      socket.terminate();
      this.detach(conn);
    });
    return conn;
  }

  private detach(conn: Connection): void {
    this.backlogged.delete(conn);
    this.snapshotWaiting.delete(conn);
    conn.snapshotQueue = [];
    if (!this.connections.delete(conn)) return;
    this.opts.metrics.wsConnections.dec();
    bump(this.socketsByAddress, conn.address, -1);
    if (conn.user) bump(this.socketsByUser, conn.user.id, -1);
    for (const channel of [...conn.subs.keys()]) this.removeSub(conn, channel);
  }

  /** A session that was revoked or changed: its sockets are re-checked and closed if no longer valid. */
  async revalidate(authenticate: (token: string) => Promise<AuthUser | null>): Promise<void> {
    for (const conn of this.connections) {
      if (!conn.token) continue;
      const user = await authenticate(conn.token);
      if (!user) conn.socket.close(CLOSE.unauthorized, 'session revoked');
      else conn.user = user;
    }
  }

  /** Pings the sockets of one slice (by id); one that has not answered the previous ping is cut off. */
  beat(slice: number): void {
    for (const conn of this.connections) {
      if (conn.id % BEAT_SLICES !== slice) continue;
      if (!conn.alive) {
        conn.socket.terminate();
        this.detach(conn);
        continue;
      }
      conn.alive = false;
      try {
        conn.socket.ping();
      } catch {
        this.detach(conn);
      }
    }
  }

  // ---- sending ----

  /**
   * A reader this far behind will never catch up; keeping its backlog would grow without limit. The
   * snapshot last sent to it counts on top of the limit: a snapshot is sent only to a drained socket, and
   * its bytes are the cache's, shared by every subscriber, so a big listing's book is not a slow reader.
   */
  private cutIfSlow(conn: Connection): boolean {
    if (conn.socket.bufferedAmount + conn.backlogBytes + conn.pendingBytes <= this.maxBuffered + conn.snapshotAllowance) return false;
    conn.socket.close(CLOSE.slowReader, 'too slow a reader');
    conn.socket.terminate();
    this.detach(conn);
    return true;
  }

  private send(conn: Connection, frame: string | Buffer): void {
    if (conn.socket.readyState !== conn.socket.OPEN) return;
    if (this.cutIfSlow(conn)) return;
    // Pre-encoded frames are bytes of JSON: they go out as text frames, like every message.
    conn.socket.send(frame, { binary: false });
    this.opts.metrics.wsMessagesSent.inc();
  }

  /**
   * A channel event, already serialised once for every subscriber. A socket whose buffer is filling up
   * gets the events of that channel held back and sent as one `batch` frame once it drains: fewer,
   * larger frames for a busy reader, `seq` still contiguous.
   */
  private sendEvent(conn: Connection, channel: Channel, item: string, frame: Buffer): void {
    const held = conn.backlog.get(channel);
    if (held || conn.socket.bufferedAmount > this.coalesceAbove) {
      if (held) held.push(item);
      else ownBacklog(conn).set(channel, [item]);
      conn.backlogBytes += item.length;
      this.backlogged.add(conn);
      this.cutIfSlow(conn);
      return;
    }
    this.send(conn, frame);
  }

  private flushBacklogs(): void {
    for (const conn of this.backlogged) {
      if (conn.socket.bufferedAmount > this.coalesceAbove) {
        this.cutIfSlow(conn);
        continue;
      }
      this.backlogged.delete(conn);
      const backlog = [...conn.backlog];
      conn.backlog = NONE;
      conn.backlogBytes = 0;
      for (const [channel, items] of backlog) this.send(conn, `{"type":"batch","channel":${JSON.stringify(channel)},"items":[${items.join(',')}]}`);
    }
  }

  /**
   * Sends waiting snapshots to sockets that have drained, one snapshot per drain: a socket never holds
   * more than one snapshot's bytes in its buffer, however many channels it subscribed to at once.
   */
  private flushSnapshots(): void {
    for (const conn of this.snapshotWaiting) this.sendWaitingSnapshots(conn);
  }

  private sendWaitingSnapshots(conn: Connection): void {
    while (conn.snapshotQueue.length > 0 && conn.socket.bufferedAmount <= this.coalesceAbove) {
      const next = conn.snapshotQueue.shift()!;
      if (conn.subs.get(next.sub.channel) === next.sub) this.goLive(conn, next.sub, next.seq, next.frame);
    }
    if (conn.snapshotQueue.length === 0) this.snapshotWaiting.delete(conn);
  }

  private sendJson(conn: Connection, message: ServerMessage): void {
    this.send(conn, JSON.stringify(message));
  }

  private error(conn: Connection, code: ErrorCode, detail: string, extra: Record<string, unknown> = {}): void {
    this.sendJson(conn, { type: 'error', ...extra, code, detail });
  }

  // ---- receiving ----

  private allow(conn: Connection): boolean {
    const now = Date.now();
    conn.tokens = Math.min(this.burst, conn.tokens + ((now - conn.refilledAtMs) / 1000) * this.ratePerSec);
    conn.refilledAtMs = now;
    if (conn.tokens >= 1) {
      conn.tokens -= 1;
      conn.dropped = 0;
      return true;
    }
    conn.dropped++;
    return false;
  }

  /** An error no handler expected: logged, and the socket closed (1011); the node and other sockets go on. */
  private fail(conn: Connection, err: unknown): void {
    this.opts.ctx.log.error({ err, connection: conn.id }, 'websocket handler failed; closing the socket');
    try {
      conn.socket.close(CLOSE.internalError, 'internal error');
    } catch {
      conn.socket.terminate();
    }
    this.detach(conn);
  }

  private async onMessage(conn: Connection, raw: string): Promise<void> {
    if (!this.allow(conn)) {
      if (conn.dropped > 5 * this.burst) {
        conn.socket.close(CLOSE.flood, 'message flood');
        return;
      }
      if (conn.dropped === 1) this.error(conn, 'RATE_LIMITED', `at most ${this.ratePerSec} messages per second`);
      return;
    }
    const problem = findJsonProblem(raw);
    const parsed = problem ? { error: jsonProblemText(problem, 'message') } : parseClientMessage(raw);
    if ('error' in parsed) {
      this.error(conn, 'WS_MESSAGE_INVALID', parsed.error, refOf(raw));
      return;
    }
    try {
      await this.handle(conn, parsed);
    } catch (err) {
      const ref = 'ref' in parsed ? { ref: parsed.ref } : {};
      if (err instanceof AppError) this.error(conn, err.code, err.message, { ...(err.extra ?? {}), ...ref });
      else {
        this.opts.ctx.log.error({ err }, 'websocket request failed');
        this.error(conn, 'INTERNAL', 'internal error', ref);
      }
    }
  }

  private async handle(conn: Connection, msg: ClientMessage): Promise<void> {
    switch (msg.op) {
      case 'ping':
        this.sendJson(conn, { type: 'pong' });
        return;
      case 'subscribe':
        await this.subscribe(conn, msg.channel);
        return;
      case 'unsubscribe':
        this.removeSub(conn, msg.channel);
        return;
      case 'bid':
      case 'amend':
        await this.request(conn, msg);
        return;
    }
  }

  private async request(conn: Connection, msg: Extract<ClientMessage, { op: 'bid' | 'amend' }>): Promise<void> {
    const user = conn.user;
    if (!user) {
      this.error(conn, 'WS_CHANNEL_FORBIDDEN', 'log in to bid', { ref: msg.ref });
      return;
    }
    if (user.role !== 'lender') {
      this.error(conn, 'FORBIDDEN', 'only lenders bid', { ref: msg.ref });
      return;
    }
    const ctx = this.opts.ctx;
    // Same user and ref: the same answer, however often the request is re-sent.
    const data = await withIdempotency(ctx, user.id, `ws:${msg.ref}`, JSON.stringify(msg), async () => {
      if (msg.op === 'bid') {
        return (await placeBid(ctx, msg.listingId, { lenderId: user.id, amountMinor: msg.amountMinor, rateBps: msg.rateBps, clientRef: `ws:${msg.ref}` })).bid;
      }
      return amendBid(ctx, user.id, msg.bidId, msg.rateBps);
    });
    this.sendJson(conn, { type: 'ack', ref: msg.ref, data });
  }

  // ---- subscriptions ----

  /** A subscribe the client asked for: a snapshot, then live events; a failure is answered on the spot. */
  private async subscribe(conn: Connection, channel: Channel): Promise<void> {
    if (channel === 'me' && !conn.user) {
      this.error(conn, 'WS_CHANNEL_FORBIDDEN', 'log in to subscribe to me', { channel });
      return;
    }
    if (!conn.subs.has(channel)) {
      const limit = this.subscriptionRefusal(conn);
      if (limit) {
        this.error(conn, 'WS_LIMIT_REACHED', limit, { channel });
        return;
      }
    }
    const sub = this.addSub(conn, channel);
    try {
      await this.load(conn, sub);
    } catch (err) {
      if (conn.subs.get(channel) === sub) this.removeSub(conn, channel);
      if (err instanceof AppError && err.code === 'NOT_FOUND') this.error(conn, 'WS_CHANNEL_UNKNOWN', `no channel ${channel}`, { channel });
      else throw err;
    }
  }

  private subscriptionRefusal(conn: Connection): string | undefined {
    const s = this.opts.ctx.settings.get();
    if (conn.subs.size >= MAX_SUBSCRIPTIONS) return `at most ${MAX_SUBSCRIPTIONS} subscriptions per socket`;
    if ((this.subsByAddress.get(conn.address) ?? 0) >= s.wsMaxSubscriptionsPerAddress) return `at most ${s.wsMaxSubscriptionsPerAddress} subscriptions from one address`;
    if (conn.user && (this.subsByUser.get(conn.user.id) ?? 0) >= s.wsMaxSubscriptionsPerUser) return `at most ${s.wsMaxSubscriptionsPerUser} subscriptions for one account`;
    return undefined;
  }

  /**
   * A fresh snapshot the server decided to send (a hole it cannot fill, or a reset of the event stream).
   * The client did not ask, so a failed read must not leave it silently unsubscribed: the subscription
   * keeps collecting events while the read is retried, and if it never succeeds the client is told.
   */
  private async resubscribe(conn: Connection, channel: Channel): Promise<void> {
    const sub = this.addSub(conn, channel);
    for (let attempt = 0; ; attempt++) {
      try {
        await this.load(conn, sub);
        return;
      } catch (err) {
        if (conn.subs.get(channel) !== sub || !this.connections.has(conn)) return; // the client moved on
        const gone = err instanceof AppError && err.code === 'NOT_FOUND';
        if (gone || attempt >= RESUBSCRIBE_DELAYS_MS.length) {
          this.removeSub(conn, channel);
          this.opts.ctx.log.warn({ err, channel }, 'resubscribe failed');
          if (gone) this.error(conn, 'WS_CHANNEL_UNKNOWN', `no channel ${channel}`, { channel });
          else this.error(conn, 'SERVICE_UNAVAILABLE', `lost ${channel}: subscribe again`, { channel });
          return;
        }
        await new Promise((r) => setTimeout(r, RESUBSCRIBE_DELAYS_MS[attempt]));
        if (conn.subs.get(channel) !== sub || !this.connections.has(conn)) return;
      }
    }
  }

  /** Replaces any subscription to the channel with one that collects events until its snapshot is read. */
  private addSub(conn: Connection, channel: Channel): Subscription {
    this.removeSub(conn, channel);
    const sub: Subscription = { channel, state: 'loading', lastSeq: 0, pending: [] };
    ownSubs(conn).set(channel, sub);
    bump(this.subsByAddress, conn.address, 1);
    if (conn.user) bump(this.subsByUser, conn.user.id, 1);
    this.index(conn, channel).add(conn);
    return sub;
  }

  /**
   * Reads the snapshot and sends it, then the events that arrived meanwhile and are not in it. A socket
   * that still holds unsent bytes gets the snapshot when it has drained (the subscription collects its
   * events until then): a snapshot of a big book is sent at the pace the client reads, and subscribing to
   * many big listings at once is not mistaken for a slow reader.
   */
  private async load(conn: Connection, sub: Subscription): Promise<void> {
    const channel = sub.channel;
    const seqAtStart = this.feeds.get(channel)?.seq ?? 0;
    const snapshot = await this.snapshot(conn, channel, seqAtStart);
    if (conn.subs.get(channel) !== sub || !this.connections.has(conn)) return; // unsubscribed, resubscribed or gone meanwhile
    const frame = this.snapshots.frameOf(channel, snapshot.seq, snapshot.data);
    conn.snapshotQueue.push({ sub, seq: snapshot.seq, frame });
    this.snapshotWaiting.add(conn);
    this.sendWaitingSnapshots(conn);
  }

  /** Sends a subscription's snapshot, then the events collected while it loaded that are not in it. */
  private goLive(conn: Connection, sub: Subscription, seq: number, frame: Buffer): void {
    const channel = sub.channel;
    sub.lastSeq = seq;
    sub.state = 'live';
    conn.snapshotAllowance = frame.length;
    this.send(conn, frame);
    const pending = sub.pending;
    sub.pending = [];
    conn.pendingBytes -= pendingBytesOf(pending);
    for (const p of pending) {
      if (channel === 'me') this.sendMe(conn, sub, p.event!, p.data);
      else this.offer(conn, sub, p.seq, p.item, p.frame);
    }
  }

  private async snapshot(conn: Connection, channel: Channel, feedSeq: number): Promise<{ seq: number; data: unknown }> {
    const ctx = this.opts.ctx;
    if (channel === 'listings') {
      // The data is the node's cached read while no event of the feed came; the seq is this node's count.
      const { data } = await this.snapshots.get(channel, async () => ({ seq: 0, data: { items: (await listListings(ctx.db, { status: 'open', sort: 'endsAt', limit: 200 }, isoDateOfMs(ctx.clock.nowMs()))).items } }));
      return { seq: feedSeq, data };
    }
    if (channel === OFFERS_CHANNEL) {
      const { data } = await this.snapshots.get(channel, async () => ({ seq: 0, data: { items: (await listOffers(ctx.db, ctx.clock.nowMs(), { sort: 'yield', limit: 200 })).items } }));
      return { seq: feedSeq, data };
    }
    if (channel === 'me') {
      const user = conn.user!;
      const wallet = user.role === 'lender' || user.role === 'borrower' ? await walletOf(ctx.db, user.id) : null;
      return { seq: 0, data: { wallet, user: { id: user.id, role: user.role, displayName: user.displayName } } };
    }
    return this.snapshots.get(channel, async () => {
      const detail = await listingDetail(ctx.db, channel.slice('listing:'.length), isoDateOfMs(ctx.clock.nowMs()));
      return { seq: detail.seq, data: detail };
    });
  }

  private index(conn: Connection, channel: Channel): Set<Connection> {
    const feed = this.feeds.get(channel);
    if (feed) return feed.subs;
    if (channel === 'me') {
      const key = conn.user!.id;
      let set = this.userSubs.get(key);
      if (!set) this.userSubs.set(key, (set = new Set()));
      return set;
    }
    const key = channel.slice('listing:'.length);
    let set = this.listingSubs.get(key);
    if (!set) this.listingSubs.set(key, (set = new Set()));
    return set;
  }

  private removeSub(conn: Connection, channel: Channel): void {
    const sub = conn.subs.get(channel);
    if (!sub || !ownSubs(conn).delete(channel)) return;
    conn.pendingBytes -= pendingBytesOf(sub.pending);
    sub.pending = [];
    bump(this.subsByAddress, conn.address, -1);
    if (conn.user) bump(this.subsByUser, conn.user.id, -1);
    const feed = this.feeds.get(channel);
    if (feed) feed.subs.delete(conn);
    else if (channel === 'me') {
      const set = this.userSubs.get(conn.user?.id ?? '');
      set?.delete(conn);
      if (set?.size === 0) this.userSubs.delete(conn.user!.id);
    } else {
      const key = channel.slice('listing:'.length);
      const set = this.listingSubs.get(key);
      set?.delete(conn);
      if (set?.size === 0) this.listingSubs.delete(key);
    }
  }

  /** Sends an event to one subscriber if it is the next one it expects. */
  private offer(conn: Connection, sub: Subscription, seq: number, item: string, frame: Buffer): void {
    if (sub.state === 'loading') {
      sub.pending.push({ seq, item, frame });
      conn.pendingBytes += item.length;
      this.cutIfSlow(conn);
      return;
    }
    if (seq <= sub.lastSeq) return; // already in its snapshot
    if (seq !== sub.lastSeq + 1) {
      // This node cannot fill the hole from here: give the subscriber a fresh snapshot instead.
      this.resubscribe(conn, sub.channel).catch((err: unknown) => this.fail(conn, err));
      return;
    }
    sub.lastSeq = seq;
    this.sendEvent(conn, sub.channel, item, frame);
  }

  // ---- fan-out ----

  /** Routes one dispatched outbox message to its subscribers on this node. */
  deliver(msg: OutboxMessage): void {
    if (msg.channel.startsWith('listing:')) {
      const subs = this.listingSubs.get(msg.channel.slice('listing:'.length));
      if (!subs || msg.seq === undefined) return;
      const { item, frame } = encodeEvent(msg.channel, msg.seq, msg.type, msg.data);
      for (const conn of subs) {
        const sub = conn.subs.get(msg.channel);
        if (sub) this.offer(conn, sub, msg.seq, item, frame);
      }
      return;
    }
    const feed = this.feeds.get(msg.channel);
    if (feed) {
      const seq = ++feed.seq;
      if (feed.subs.size === 0) return;
      const { item, frame } = encodeEvent(msg.channel, seq, msg.type, msg.data);
      for (const conn of feed.subs) {
        const sub = conn.subs.get(msg.channel);
        if (sub) this.offer(conn, sub, seq, item, frame);
      }
      return;
    }
    if (msg.channel.startsWith('user:')) {
      const subs = this.userSubs.get(msg.channel.slice('user:'.length));
      if (!subs) return;
      for (const conn of subs) {
        const sub = conn.subs.get('me');
        if (!sub) continue;
        if (sub.state === 'loading') sub.pending.push({ seq: 0, item: '', frame: EMPTY, event: msg.type, data: msg.data });
        else this.sendMe(conn, sub, msg.type, msg.data);
      }
    }
  }

  /** `me` events are numbered per subscription: few sockets share one user. */
  private sendMe(conn: Connection, sub: Subscription, event: string, data: unknown): void {
    sub.lastSeq += 1;
    this.sendJson(conn, { type: 'event', channel: 'me', seq: sub.lastSeq, event, data });
  }

  /** The event stream lost messages it cannot recover: every subscriber gets a fresh snapshot. */
  resyncAll(): void {
    // Copies: a resubscribe replaces the map entry, and a Map's iterator visits a re-added key again.
    for (const conn of [...this.connections]) for (const channel of [...conn.subs.keys()]) this.resubscribe(conn, channel).catch((err: unknown) => this.fail(conn, err));
  }
}

const EMPTY = Buffer.alloc(0);

function pendingBytesOf(pending: Subscription['pending']): number {
  let n = 0;
  for (const p of pending) n += p.item.length;
  return n;
}

/** Adds to a per-key count, dropping keys that reach zero (the maps stay as small as the live set). */
function bump(counts: Map<string, number>, key: string, by: number): void {
  const n = (counts.get(key) ?? 0) + by;
  if (n > 0) counts.set(key, n);
  else counts.delete(key);
}

/** One serialisation per event: the batch item, and the event frame built around it as bytes. */
function encodeEvent(channel: string, seq: number, event: string, data: unknown): { item: string; frame: Buffer } {
  const item = JSON.stringify({ seq, event, data });
  return { item, frame: Buffer.from(`{"type":"event","channel":${JSON.stringify(channel)},${item.slice(1)}`) };
}

function refOf(raw: string): { ref?: string } {
  try {
    const v = JSON.parse(raw) as { ref?: unknown };
    return typeof v?.ref === 'string' && v.ref.length <= 64 ? { ref: v.ref } : {};
  } catch {
    return {};
  }
}
