import WebSocket from 'ws';

export interface WsMessage {
  type: string;
  channel?: string;
  seq?: number;
  event?: string;
  data?: any;
  ref?: string;
  code?: string;
  detail?: string;
  items?: { seq: number; event: string; data: any }[];
}

export interface TestSocket {
  ws: WebSocket;
  messages: WsMessage[];
  closed: Promise<{ code: number; reason: string }>;
  send(message: unknown): void;
  /** Waits for a message matching `match` that arrived after index `from` (default: any). */
  next(match: (m: WsMessage) => boolean, timeoutMs?: number, from?: number): Promise<WsMessage>;
  close(): void;
}

/** A WebSocket client for tests: every message kept in order, with helpers to wait for one. */
export function openSocket(baseUrl: string, opts: { token?: string; origin?: string; cookie?: string; query?: string } = {}): Promise<TestSocket> {
  const url = `${baseUrl.replace(/^http/, 'ws')}/api/v1/ws${opts.token ? `?token=${encodeURIComponent(opts.token)}` : opts.query ? `?${opts.query}` : ''}`;
  const headers: Record<string, string> = {};
  if (opts.origin) headers.origin = opts.origin;
  if (opts.cookie) headers.cookie = opts.cookie;
  const ws = new WebSocket(url, { headers });
  const messages: WsMessage[] = [];
  const waiters = new Set<() => void>();
  ws.on('message', (raw) => {
    messages.push(JSON.parse(raw.toString()));
    for (const w of waiters) w();
  });
  const closed = new Promise<{ code: number; reason: string }>((resolve) => ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() })));
  const socket: TestSocket = {
    ws,
    messages,
    closed,
    send: (m) => ws.send(typeof m === 'string' ? m : JSON.stringify(m)),
    next(match, timeoutMs = 10_000, from = 0) {
      return new Promise((resolve, reject) => {
        const look = () => {
          const found = messages.slice(from).find(match);
          if (found) {
            waiters.delete(look);
            clearTimeout(timer);
            resolve(found);
          }
        };
        const timer = setTimeout(() => {
          waiters.delete(look);
          reject(new Error(`no matching message within ${timeoutMs} ms; got ${JSON.stringify(messages.slice(-5))}`));
        }, timeoutMs);
        waiters.add(look);
        look();
      });
    },
    close: () => ws.close(),
  };
  return new Promise((resolve, reject) => {
    ws.once('open', () => resolve(socket));
    ws.once('unexpected-response', (_req, res) => reject(Object.assign(new Error(`upgrade refused: ${res.statusCode}`), { statusCode: res.statusCode })));
    ws.once('error', reject);
  });
}

/** The events of a channel in arrival order, batches unrolled. */
export function eventsOf(messages: WsMessage[], channel: string): { seq: number; event: string; data: any }[] {
  const out: { seq: number; event: string; data: any }[] = [];
  for (const m of messages) {
    if (m.channel !== channel) continue;
    if (m.type === 'event') out.push({ seq: m.seq!, event: m.event!, data: m.data });
    if (m.type === 'batch') out.push(...m.items!);
  }
  return out;
}

export interface ClientBid {
  bidId: string;
  amountMinor: number;
  rateBps: number;
  priority: number;
}

/**
 * What a client knows of a listing's book from its messages: the last snapshot, then every event after
 * it, applied as docs/realtime.md says. Throws if the events after the snapshot are not contiguous.
 */
export function rebuildBids(messages: WsMessage[], channel: string): { seq: number; status: string; bids: Map<string, ClientBid> } {
  let bids = new Map<string, ClientBid>();
  let seq = -1;
  let status = 'open';
  for (const m of messages) {
    if (m.channel !== channel) continue;
    if (m.type === 'snapshot') {
      seq = m.seq!;
      status = m.data.status;
      bids = new Map((m.data.bids as ClientBid[]).map((b) => [b.bidId, { bidId: b.bidId, amountMinor: b.amountMinor, rateBps: b.rateBps, priority: b.priority }]));
      continue;
    }
    const items = m.type === 'event' ? [{ seq: m.seq!, event: m.event!, data: m.data }] : m.type === 'batch' ? m.items! : [];
    for (const e of items) {
      if (seq < 0) continue;
      if (e.seq !== seq + 1) throw new Error(`gap on ${channel}: ${seq} then ${e.seq}`);
      seq = e.seq;
      switch (e.event) {
        case 'bid.accepted':
          bids.set(e.data.bidId, { bidId: e.data.bidId, amountMinor: e.data.amountMinor, rateBps: e.data.rateBps, priority: e.seq });
          break;
        case 'bid.outbid':
          bids.delete(e.data.bidId);
          break;
        case 'bid.amended':
          bids.set(e.data.bidId, { ...bids.get(e.data.bidId)!, rateBps: e.data.toRateBps, priority: e.seq });
          break;
        case 'listing.cleared':
          status = 'cleared';
          bids.clear();
          break;
        case 'listing.failed':
        case 'listing.withdrawn':
          status = e.event === 'listing.failed' ? 'failed' : 'withdrawn';
          bids.clear();
          break;
      }
    }
  }
  return { seq, status, bids };
}
