import type { AppContext } from '../context.js';

/**
 * Responses of a public read (the market list), kept until the data under them changes:
 * every `listings` event clears them — at once on the node that committed the change, and on the others
 * when the event reaches them. A response computed while a change landed is not kept.
 */
export class ReadCache<T> {
  /**
   * Kept as the bytes the route's own response serialiser made of the value (fast-json-stringify: no
   * field outside the published contract), encoded once and not on every request: a page of listings
   * with nullable fields costs far more to encode than to send. Kept as a Buffer, not a string, so that
   * each answer is written to the socket as it is, without measuring and encoding the text to UTF-8 again.
   */
  private readonly entries = new Map<string, Buffer>();
  private generation = 0;

  constructor(
    ctx: AppContext,
    private readonly channel: string,
    private readonly maxEntries = 500,
  ) {
    ctx.onCommitted((channels) => {
      if (channels.has(channel)) this.clear();
    });
    ctx.stream.on((msg) => {
      if (msg.channel === channel) this.clear();
    });
    ctx.stream.onReset(() => this.clear());
  }

  clear(): void {
    this.generation++;
    this.entries.clear();
  }

  /** The kept bytes of a key, if any: a hit needs no promise. */
  peek(key: string): Buffer | undefined {
    return this.entries.get(key);
  }

  async get(key: string, compute: () => Promise<T>, encode: (value: T) => string): Promise<Buffer> {
    const hit = this.entries.get(key);
    if (hit !== undefined) return hit;
    const generation = this.generation;
    const body = Buffer.from(encode(await compute()), 'utf8');
    if (generation === this.generation) {
      if (this.entries.size >= this.maxEntries) this.entries.clear();
      this.entries.set(key, body);
    }
    return body;
  }
}
