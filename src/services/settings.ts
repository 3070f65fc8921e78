import { eq, sql } from 'drizzle-orm';
import type { Db, Queryable } from '../db/client.js';
import { settingsOverrides } from '../db/schema/index.js';
import { checkSettings, type Settings } from '../domain/settings.js';

/**
 * The market settings in force: the environment's values with the operators' overrides on top. Every
 * node keeps a copy and reloads it when any node announces a change on the bus.
 */
export class SettingsStore {
  private current: Settings;
  private clockOffset = 0;

  constructor(
    private readonly db: Db,
    private readonly base: Settings,
  ) {
    this.current = structuredClone(base);
  }

  get(): Settings {
    return this.current;
  }

  get clockOffsetMs(): number {
    return this.clockOffset;
  }

  async reload(q: Queryable = this.db): Promise<Settings> {
    const [row] = await q.select().from(settingsOverrides).where(eq(settingsOverrides.id, 1));
    const merged = { ...structuredClone(this.base), ...((row?.values ?? {}) as Partial<Settings>) };
    const checked = checkSettings(merged);
    // Overrides were checked when written; if the environment changed underneath them, keep the base.
    this.current = checked.ok ? checked.settings : structuredClone(this.base);
    this.clockOffset = Number(row?.clockOffsetMs ?? 0);
    return this.current;
  }

  /** Stores operator overrides (already validated by the caller) in the caller's transaction. */
  async saveOverrides(tx: Queryable, overrides: Partial<Settings>, byUserId: string): Promise<void> {
    await tx
      .insert(settingsOverrides)
      .values({ id: 1, values: overrides as Record<string, unknown>, updatedBy: byUserId })
      .onConflictDoUpdate({ target: settingsOverrides.id, set: { values: overrides as Record<string, unknown>, updatedBy: byUserId, updatedAt: sql`now()` } });
  }

  async saveClockOffset(tx: Queryable, offsetMs: number): Promise<void> {
    await tx
      .insert(settingsOverrides)
      .values({ id: 1, values: {}, clockOffsetMs: offsetMs })
      .onConflictDoUpdate({ target: settingsOverrides.id, set: { clockOffsetMs: offsetMs, updatedAt: sql`now()` } });
  }

  async overrides(q: Queryable = this.db): Promise<Partial<Settings>> {
    const [row] = await q.select().from(settingsOverrides).where(eq(settingsOverrides.id, 1));
    return (row?.values ?? {}) as Partial<Settings>;
  }
}
