/**
 * Baseline of the WebSocket fan-out: a bare `ws` server that does nothing but broadcast. Clients
 * subscribe with the same message as on Lendbook and get a snapshot; POST /publish {channel, amountMinor,
 * rateBps} makes one `bid.accepted` event of the same shape and size as Lendbook's, serialised once and
 * sent as the same frame to every subscriber of the channel. Like the real hub it cuts off a reader
 * whose unsent bytes pass 1 MiB, so neither side can win by buffering without limit.
 *
 * Run as its own process (the bench starts it): it gets its own event loop and CPU accounting, exactly
 * like the server it is compared with.
 */
import http from 'node:http';
import { randomBytes } from 'node:crypto';
import { WebSocketServer, type WebSocket } from 'ws';

const MAX_BUFFERED = 1024 * 1024;
const ALPHABET = '0123456789abcdefghjkmnpqrstvwxyz';
const channels = new Map<string, Set<WebSocket>>();
const seqs = new Map<string, number>();

function bidId(): string {
  let s = 'bid_';
  for (const b of randomBytes(26)) s += ALPHABET[b % 32]!;
  return s;
}

const server = http.createServer((req, res) => {
  if (req.method !== 'POST' || req.url !== '/publish') {
    res.writeHead(404).end();
    return;
  }
  let body = '';
  req.setEncoding('utf8');
  req.on('data', (c: string) => (body += c));
  req.on('end', () => {
    const { channel, amountMinor, rateBps } = JSON.parse(body) as { channel: string; amountMinor: number; rateBps: number };
    const seq = (seqs.get(channel) ?? 0) + 1;
    seqs.set(channel, seq);
    res.writeHead(201, { 'content-type': 'application/json' }).end(`{"seq":${seq}}`);
    const frame = JSON.stringify({ type: 'event', channel, seq, event: 'bid.accepted', data: { bidId: bidId(), amountMinor, rateBps } });
    for (const ws of channels.get(channel) ?? []) {
      if (ws.bufferedAmount > MAX_BUFFERED) {
        ws.terminate();
        continue;
      }
      ws.send(frame);
    }
  });
});

const wss = new WebSocketServer({ server, path: '/api/v1/ws', maxPayload: 16 * 1024 });
wss.on('connection', (ws) => {
  const mine = new Set<string>();
  ws.on('message', (raw: Buffer) => {
    let m: { op?: string; channel?: string };
    try {
      m = JSON.parse(raw.toString('utf8'));
    } catch {
      return;
    }
    if (m.op === 'subscribe' && typeof m.channel === 'string') {
      let set = channels.get(m.channel);
      if (!set) channels.set(m.channel, (set = new Set()));
      set.add(ws);
      mine.add(m.channel);
      ws.send(JSON.stringify({ type: 'snapshot', channel: m.channel, seq: seqs.get(m.channel) ?? 0, data: {} }));
    } else if (m.op === 'ping') ws.send('{"type":"pong"}');
  });
  ws.on('close', () => {
    for (const c of mine) channels.get(c)?.delete(ws);
  });
});

// Like Fastify's default (72 s): a broadcast pass that blocks the loop must not make idle keep-alive
// sockets expire under the publisher.
server.keepAliveTimeout = 72_000;
server.listen(0, '127.0.0.1', () => {
  const addr = server.address();
  const port = typeof addr === 'object' && addr ? addr.port : 0;
  process.stdout.write(`Bare ws: http://localhost:${port}\n`);
});
process.on('SIGTERM', () => {
  for (const ws of wss.clients) ws.terminate();
  server.close(() => process.exit(0));
  setTimeout(() => process.exit(0), 2000).unref();
});
