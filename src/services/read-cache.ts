import type { AppContext } from '../context.js';

/**
 * Responses of a public read (the market list), kept until the data under them changes:
 * every `listings` event clears them — at once on the node that committed the change, and on the others
 * when the event reaches them. A response computed while a change landed is not kept.
 */
export class ReadCache<T> {
  /**
   * Kept as values, not bytes: the route's response schema serialises each answer (fast-json-stringify,
   * so no field outside the published contract leaks, and tests check every answer against it).
   */
  private readonly entries = new Map<string, T>();
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

  async get(key: string, compute: () => Promise<T>): Promise<T> {
    const hit = this.entries.get(key);
    if (hit !== undefined) return hit;
    const generation = this.generation;
    const body = await compute();
    if (generation === this.generation) {
      if (this.entries.size >= this.maxEntries) this.entries.clear();
      this.entries.set(key, body);
    }
    return body;
  }
}
