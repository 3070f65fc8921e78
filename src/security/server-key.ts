import { eq } from 'drizzle-orm';
import { randomBytes } from 'node:crypto';
import type { Db } from '../db/client.js';
import { serverKeys } from '../db/schema/index.js';

/** The configured server key, or the one the first node generated and kept in the database. */
export async function resolveServerKey(db: Db, configured: string | undefined): Promise<string> {
  if (configured) return configured;
  await db.insert(serverKeys).values({ id: 1, keyMaterial: randomBytes(32).toString('base64url') }).onConflictDoNothing();
  const [row] = await db.select().from(serverKeys).where(eq(serverKeys.id, 1));
  return row!.keyMaterial;
}
