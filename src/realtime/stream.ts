import { sql } from 'drizzle-orm';
import type { OutboxMessage } from '../db/schema/index.js';
import { rows, type Db } from '../db/client.js';
import type { BusEnvelope, EventBus } from './bus.js';

export type StreamListener = (message: OutboxMessage, dispatchSeq: number) => void;

export interface EventStreamOptions {
  db: Db;
  bus: EventBus;
  /** How often to compare with the database's last dispatch number (catches a silent bus). */
  checkMs?: number;
  onError?: (err: unknown) => void;
  /** Called when this node fell so far behind that the missed rows are gone: resynchronise everything. */
  onReset?: () => void;
}

const MAX_CATCH_UP_ROWS = 5000;

/**
 * Every dispatched outbox message, in dispatch order, exactly once, on this node. Bus envelopes are
 * applied in `dispatchSeq` order; a gap (a lost pub/sub message, a dispatcher that crashed after commit)
 * is filled by reading the missing rows back from the outbox table.
 */
export class EventStream {
  private lastSeq = 0;
  private readonly buffered = new Map<number, BusEnvelope>();
  private readonly listeners = new Set<StreamListener>();
  private readonly resetListeners = new Set<() => void>();
  private unsubscribe: (() => void) | undefined;
  private timer: NodeJS.Timeout | undefined;
  private filling: Promise<void> | undefined;
  private lastArrivalMs = 0;
  /** How envelopes reached this node: over the bus, or read back from the outbox to fill a gap. */
  readonly stats = { fromBus: 0, fromDatabase: 0, resets: 0 };

  constructor(private readonly opts: EventStreamOptions) {}

  async start(): Promise<void> {
    const [state] = await rows<{ last: number }>(this.opts.db, sql`select last_dispatch_seq as last from bus_state where id = 1`);
    this.lastSeq = Number(state?.last ?? 0);
    this.unsubscribe = this.opts.bus.subscribe((envelopes) => this.receive(envelopes));
    const check = () => {
      this.timer = setTimeout(() => {
        void this.checkBehind().finally(() => this.timer && check());
      }, this.opts.checkMs ?? 1000);
      this.timer.unref?.();
    };
    check();
  }

  stop(): void {
    this.unsubscribe?.();
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  on(listener: StreamListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Called when rows this node missed were already cleaned up: subscribers must resynchronise. */
  onReset(listener: () => void): () => void {
    this.resetListeners.add(listener);
    return () => this.resetListeners.delete(listener);
  }

  get position(): number {
    return this.lastSeq;
  }

  private receive(envelopes: BusEnvelope[]): void {
    this.lastArrivalMs = Date.now();
    for (const e of envelopes) {
      if (e.dispatchSeq <= this.lastSeq || this.buffered.has(e.dispatchSeq)) continue;
      this.buffered.set(e.dispatchSeq, e);
      this.stats.fromBus++;
    }
    this.drain();
    if (this.buffered.size > 0) void this.fillGap();
  }

  private drain(): void {
    for (;;) {
      const next = this.buffered.get(this.lastSeq + 1);
      if (!next) break;
      this.buffered.delete(next.dispatchSeq);
      this.lastSeq = next.dispatchSeq;
      for (const m of next.messages) {
        for (const l of this.listeners) {
          try {
            l(m, next.dispatchSeq);
          } catch (err) {
            this.opts.onError?.(err);
          }
        }
      }
    }
  }

  /**
   * Reads missing dispatched rows from the database: those before the first buffered envelope, or up to
   * `knownLast` (the last dispatch number committed) when nothing is buffered.
   */
  private fillGap(knownLast?: number): Promise<void> {
    if (this.filling) return this.filling;
    this.filling = (async () => {
      try {
        for (let round = 0; round < 100; round++) {
          const from = this.lastSeq;
          const upTo = this.buffered.size ? Math.min(...this.buffered.keys()) : (knownLast ?? from) + 1;
          if (upTo <= from + 1) break;
          const found = await rows<{ dispatch_seq: number; messages: OutboxMessage[] }>(
            this.opts.db,
            sql`select dispatch_seq, messages from outbox where dispatch_seq > ${from} and dispatch_seq < ${upTo}
                order by dispatch_seq limit ${MAX_CATCH_UP_ROWS}`,
          );
          // The bus may have delivered some of these while the query ran: go on from where we are now,
          // never back. Every number below `upTo` was committed before we asked, so one that the table
          // no longer holds was cleaned up, not in flight.
          const ahead = found.filter((r) => Number(r.dispatch_seq) > this.lastSeq);
          const next = ahead.length ? Number(ahead[0]!.dispatch_seq) : found.length < MAX_CATCH_UP_ROWS ? upTo : undefined;
          if (next !== undefined && next > this.lastSeq + 1) {
            // Skip the hole and let subscribers resynchronise from fresh snapshots.
            this.lastSeq = next - 1;
            this.stats.resets++;
            this.opts.onReset?.();
            for (const l of this.resetListeners) {
              try {
                l();
              } catch (err) {
                this.opts.onError?.(err);
              }
            }
          }
          for (const r of ahead) {
            const seq = Number(r.dispatch_seq);
            if (this.buffered.has(seq)) continue;
            this.buffered.set(seq, { dispatchSeq: seq, messages: r.messages });
            this.stats.fromDatabase++;
          }
          this.drain();
          if (this.lastSeq === from) break; // no progress: nothing more to read now
        }
      } catch (err) {
        this.opts.onError?.(err);
      } finally {
        this.filling = undefined;
      }
    })();
    return this.filling;
  }

  /** The bus may have dropped the last messages with nothing after them to reveal the gap. */
  private async checkBehind(): Promise<void> {
    try {
      if (Date.now() - this.lastArrivalMs < 300 && this.buffered.size === 0) return;
      const [state] = await rows<{ last: number }>(this.opts.db, sql`select last_dispatch_seq as last from bus_state where id = 1`);
      const last = Number(state?.last ?? 0);
      if (last > this.lastSeq) {
        // Rows whose envelopes may still be in flight get a short grace before we read them ourselves.
        await new Promise((r) => setTimeout(r, 100));
        if (last > this.lastSeq) await this.fillGap(last);
      }
    } catch (err) {
      this.opts.onError?.(err);
    }
  }
}
