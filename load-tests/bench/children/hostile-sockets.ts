/**
 * Hostile WebSocket clients in their own process, for the bench's hostile-sockets scenario: each socket
 * subscribes to the given channels, then keeps churning — unsubscribe and subscribe again (a snapshot
 * each time), and a malformed frame now and then (nested 5,000 deep, a float where an integer belongs,
 * `__proto__`) — at a rate under the per-socket message limit, so the server must serve it rather than
 * cut it off. Prints `hostile: ready <n>` once every socket is subscribed, and its counts as JSON on
 * `hostile: stats {...}` when it gets SIGTERM.
 *
 *   node --import tsx hostile-sockets.ts <wsUrl> <sockets> <messagesPerSocketPerSec> <channel,channel,…>
 */
import WebSocket from 'ws';
import { mapLimit } from '../lib/stats.js';

const [wsUrl, socketsArg, rateArg, channelsArg] = process.argv.slice(2);
const sockets = Number(socketsArg);
const perSocketPerSec = Number(rateArg);
const channels = (channelsArg ?? '').split(',').filter(Boolean);
if (!wsUrl || !Number.isInteger(sockets) || !(perSocketPerSec > 0) || channels.length === 0) throw new Error('usage: hostile-sockets.ts <wsUrl> <sockets> <rate> <channels>');

const HOSTILE_FRAMES = ['['.repeat(5000) + '1.5' + ']'.repeat(5000), '{"op":"bid","ref":"x","listingId":"lst_0000000000","amountMinor":1.5,"rateBps":1e3}', '{"op":"subscribe","channel":"listings","__proto__":{"polluted":1}}', '{"op":"subscribe"'];
const counts = { open: 0, failed: 0, sent: 0, snapshots: 0, errors: {} as Record<string, number>, closed: {} as Record<string, number> };
const open: WebSocket[] = [];

async function connect(): Promise<void> {
  const ws = new WebSocket(wsUrl!);
  ws.on('message', (raw: Buffer) => {
    // Only the type is looked at (every server message starts with it): a hostile client does not parse
    // a big listing's snapshot, so it reads as fast as the server can write.
    const type = /^\{"type":"([a-z]+)"/.exec(raw.toString('latin1', 0, 32))?.[1];
    if (type === 'snapshot') counts.snapshots++;
    else if (type === 'error') {
      const code = (JSON.parse(raw.toString()) as { code?: string }).code ?? '?';
      counts.errors[code] = (counts.errors[code] ?? 0) + 1;
    }
  });
  ws.on('close', (code) => {
    counts.closed[code] = (counts.closed[code] ?? 0) + 1;
  });
  await new Promise<void>((resolve) => {
    ws.once('open', () => {
      counts.open++;
      open.push(ws);
      for (const channel of channels) ws.send(JSON.stringify({ op: 'subscribe', channel }));
      counts.sent += channels.length;
      resolve();
    });
    ws.once('error', () => {
      counts.failed++;
      resolve();
    });
  });
}

await mapLimit(Array.from({ length: sockets }, (_, i) => i), 200, () => connect());
process.stdout.write(`hostile: ready ${counts.open} sockets, ${counts.failed} refused\n`);

// Every tick, a slice of the sockets sends one message each: churn mostly, now and then a hostile frame.
const tickMs = 50;
const perTick = Math.max(1, Math.round((open.length * perSocketPerSec * tickMs) / 1000));
let cursor = 0;
let k = 0;
const timer = setInterval(() => {
  for (let i = 0; i < perTick && open.length > 0; i++) {
    const ws = open[cursor++ % open.length]!;
    if (ws.readyState !== ws.OPEN) continue;
    const channel = channels[k % channels.length]!;
    const frame = k % 10 === 9 ? HOSTILE_FRAMES[(k / 10) % HOSTILE_FRAMES.length | 0]! : JSON.stringify({ op: k % 2 === 0 ? 'unsubscribe' : 'subscribe', channel });
    ws.send(frame);
    counts.sent++;
    k++;
  }
}, tickMs);

process.once('SIGTERM', () => {
  clearInterval(timer);
  process.stdout.write(`hostile: stats ${JSON.stringify({ ...counts, stillOpen: open.filter((w) => w.readyState === w.OPEN).length })}\n`);
  for (const ws of open) ws.terminate();
  process.exit(0);
});
