import type { AppContext } from '../context.js';
import type { ServerMessage } from './protocol.js';

interface Entry {
  seq: number;
  data: unknown;
  atMs: number;
  /** The snapshot frame as sent, serialised once for the seq it was last sent with. */
  frame?: { seq: number; bytes: Buffer };
}

/** A `snapshot` message as the bytes of its JSON text frame. */
function snapshotFrame(channel: string, seq: number, data: unknown): Buffer {
  const message: ServerMessage = { type: 'snapshot', channel, seq, data };
  return Buffer.from(JSON.stringify(message));
}

/**
 * Snapshots of public channels (`listings`, `note-offers`, `listing:<id>`) kept by this node while nothing changed
 * under them: an event of the channel (on the stream, or a commit of this node) drops its entry, so a
 * snapshot served from here has the seq the channel still has here, and the events after it arrive
 * like after any read. Thousands of sockets subscribing to the same listings cost one read per change,
 * not one per subscribe. A short age limit is the backstop for anything a change did not announce.
 */
export class SnapshotCache {
  private readonly entries = new Map<string, Entry>();
  /** The read in flight per channel, and the generation it started at: concurrent misses wait for it. */
  private readonly reading = new Map<string, { startedAt: number; read: Promise<{ seq: number; data: unknown }> }>();
  /** A counter of invalidations, and when each channel was last invalidated (reads that raced one are not kept). */
  private generation = 0;
  private readonly invalidatedAt = new Map<string, number>();
  private clearedAt = 0;

  constructor(
    ctx: Pick<AppContext, 'onCommitted' | 'stream'>,
    private readonly opts: { maxEntries?: number; maxAgeMs?: number } = {},
  ) {
    ctx.onCommitted((channels) => {
      for (const channel of channels) this.invalidate(channel);
    });
    ctx.stream.on((msg) => this.invalidate(msg.channel));
    ctx.stream.onReset(() => this.clear());
  }

  static cacheable(channel: string): boolean {
    return channel === 'listings' || channel === 'note-offers' || channel.startsWith('listing:');
  }

  invalidate(channel: string): void {
    if (!SnapshotCache.cacheable(channel)) return;
    this.generation++;
    this.entries.delete(channel);
    this.invalidatedAt.set(channel, this.generation);
    if (this.invalidatedAt.size > 4 * (this.opts.maxEntries ?? 5000)) this.clear();
  }

  clear(): void {
    this.generation++;
    this.clearedAt = this.generation;
    this.entries.clear();
    this.invalidatedAt.clear();
  }

  get size(): number {
    return this.entries.size;
  }

  /**
   * The channel's snapshot: the kept entry while it is fresh, else one read shared by every caller that
   * misses while it is in flight (a wave of subscribes to a big listing costs one read, not one per socket,
   * and all of them get the same data, so the same serialised frame). A caller that comes after a change
   * of the channel does not join a read that started before it.
   */
  async get(channel: string, read: () => Promise<{ seq: number; data: unknown }>): Promise<{ seq: number; data: unknown }> {
    if (!SnapshotCache.cacheable(channel)) return read(); // private channels (`me`) are never shared
    const hit = this.entries.get(channel);
    if (hit && Date.now() - hit.atMs <= (this.opts.maxAgeMs ?? 30_000)) return hit;
    const inFlight = this.reading.get(channel);
    if (inFlight && this.unchangedSince(channel, inFlight.startedAt)) return inFlight.read;
    const startedAt = this.generation;
    const atMs = Date.now();
    const shared = (async () => {
      const fresh = await read();
      if (!this.unchangedSince(channel, startedAt)) return fresh;
      if (this.entries.size >= (this.opts.maxEntries ?? 5000)) this.entries.clear();
      const entry: Entry = { ...fresh, atMs };
      this.entries.set(channel, entry);
      return entry;
    })();
    const mine = { startedAt, read: shared };
    this.reading.set(channel, mine);
    try {
      return await shared;
    } finally {
      if (this.reading.get(channel) === mine) this.reading.delete(channel);
    }
  }

  /** No invalidation of the channel (nor a clear) since the generation `startedAt`. */
  private unchangedSince(channel: string, startedAt: number): boolean {
    return this.clearedAt <= startedAt && (this.invalidatedAt.get(channel) ?? 0) <= startedAt;
  }

  /**
   * The `snapshot` frame of `data` read through `get`: while the channel's entry holds that data, its frame
   * is serialised once per seq and the same bytes go to every subscriber. Serialising a listing's detail
   * for each of thousands of subscribes was most of the node's work under subscribe churn.
   */
  frameOf(channel: string, seq: number, data: unknown): Buffer {
    const entry = this.entries.get(channel);
    if (!entry || entry.data !== data) return snapshotFrame(channel, seq, data);
    if (entry.frame?.seq !== seq) entry.frame = { seq, bytes: snapshotFrame(channel, seq, data) };
    return entry.frame.bytes;
  }
}
