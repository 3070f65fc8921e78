/**
 * A WebSocket client fleet in its own process, driven by the bench over IPC: it opens sockets,
 * subscribes them, and runs fan-out measurements (sending the bids or publishes itself, so that send and
 * receipt times come from one clock). The bench runs two of these — one connected to Lendbook, one to
 * the bare `ws` server — so both fleets stay open at once (10,000 sockets each would not fit one
 * process's file-descriptor limit) and runs of the two can alternate, as in every other scenario.
 */
import { HttpTarget, problemCode } from '../lib/http.js';
import type { Outcome } from '../lib/load.js';
import { WsFleet, fanoutRun, type FanoutResult } from '../lib/ws.js';

export type FleetCommand =
  | { id: number; op: 'open'; wsUrl: string; tokens: string[] | null; n: number; concurrency: number }
  | { id: number; op: 'subscribe'; count: number; channel: string; concurrency: number }
  | {
      id: number;
      op: 'run';
      count: number;
      channel: string;
      mode: 'rate' | 'window';
      ratePerSec: number;
      window: number;
      durationMs: number;
      drainMs: number;
      targetPid: number;
      /** Index of this run's first event on the channel: events (and bidding lenders) never repeat. */
      keyBase: number;
      sender: { kind: 'lendbook'; baseUrl: string; listingId: string; bidMinor: number } | { kind: 'bare'; baseUrl: string };
    }
  | { id: number; op: 'stats' }
  | { id: number; op: 'close' };

const fleet = new WsFleet('child');
let tokens: string[] = [];
const targets = new Map<string, HttpTarget>();
const range = (n: number) => Array.from({ length: n }, (_, i) => i);

/** The i-th event of a channel: unique (amount, rate), so its arrival names the request that caused it. */
function keyOf(g: number, bidMinor: number): { amountMinor: number; rateBps: number } {
  return { amountMinor: bidMinor + 100 * Math.floor(g / 2000), rateBps: 100 + (g % 2000) };
}

async function handle(cmd: FleetCommand): Promise<unknown> {
  switch (cmd.op) {
    case 'open': {
      if (cmd.tokens) tokens = cmd.tokens;
      const r = await fleet.open((i) => (cmd.tokens ? `${cmd.wsUrl}?token=${encodeURIComponent(cmd.tokens[i]!)}` : cmd.wsUrl), cmd.n, cmd.concurrency);
      return { ...r, open: fleet.openCount };
    }
    case 'subscribe': {
      const r = await fleet.subscribe(range(cmd.count), cmd.channel, cmd.concurrency);
      return { ...r, subscribed: fleet.subscribedCount(range(cmd.count)) };
    }
    case 'run': {
      const s = cmd.sender;
      let target = targets.get(s.baseUrl);
      if (!target) targets.set(s.baseUrl, (target = new HttpTarget(s.baseUrl, 256)));
      const t = target;
      const bidMinor = s.kind === 'lendbook' ? s.bidMinor : 10_000;
      const send = async (i: number, amountMinor: number, rateBps: number): Promise<Outcome> => {
        if (s.kind === 'bare') {
          const r = await t.request('POST', '/publish', {}, JSON.stringify({ channel: cmd.channel, amountMinor, rateBps }));
          return r.status === 201 ? true : String(r.status);
        }
        const token = tokens[cmd.keyBase + i];
        if (!token || cmd.keyBase + i >= 9500) return 'BENCH_LISTING_FULL';
        const r = await t.request('POST', `/api/v1/listings/${s.listingId}/bids`, { authorization: `Bearer ${token}` }, `{"amountMinor":${amountMinor},"rateBps":${rateBps}}`);
        return r.status === 201 ? true : problemCode(r);
      };
      const result: FanoutResult = await fanoutRun({
        fleet,
        channel: cmd.channel,
        subscribers: fleet.subscribedCount(range(cmd.count)),
        mode: cmd.mode,
        ratePerSec: cmd.ratePerSec,
        window: cmd.window,
        durationMs: cmd.durationMs,
        drainMs: cmd.drainMs,
        targetPid: cmd.targetPid,
        keyOf: (i) => keyOf(cmd.keyBase + i, bidMinor),
        send,
      });
      return result;
    }
    case 'stats':
      return { gaps: fleet.gaps, closes: fleet.closes, errors: fleet.errors, open: fleet.openCount };
    case 'close':
      await fleet.closeAll();
      for (const t of targets.values()) t.close();
      targets.clear();
      return {};
  }
}

process.on('message', (cmd: FleetCommand) => {
  handle(cmd).then(
    (result) => process.send!({ id: cmd.id, ok: true, result }),
    (err: unknown) => process.send!({ id: cmd.id, ok: false, error: err instanceof Error ? (err.stack ?? err.message) : String(err) }),
  );
});
process.on('disconnect', () => process.exit(0));
process.send!({ ready: true });
