import { and, eq, sql } from 'drizzle-orm';
import type { AppContext } from '../context.js';
import { rows } from '../db/client.js';
import { idempotencyKeys } from '../db/schema/index.js';
import { AppError, isErrorCode } from '../domain/errors.js';
import { sha256Hex } from '../security/crypto.js';

const WAIT_MS = 10_000;

/**
 * Idempotency for requests that do not come as HTTP (WebSocket `bid`/`amend` with a `ref`): the first
 * run's result, or its rejection, is stored under (scope, key) and every repeat gets it back; a repeat
 * with other content is IDEMPOTENCY_KEY_REUSED. The same table as HTTP Idempotency-Keys, other keys.
 */
export async function withIdempotency<T>(ctx: AppContext, scope: string, key: string, requestText: string, run: () => Promise<T>): Promise<T> {
  const hash = sha256Hex(requestText);
  const db = ctx.db;
  const deadline = Date.now() + WAIT_MS;
  for (;;) {
    const mine = await rows<{ key: string }>(
      db,
      sql`insert into idempotency_keys (scope, key, request_hash, status) values (${scope}, ${key}, ${hash}, 'pending')
          on conflict (scope, key) do nothing returning key`,
    );
    if (mine.length === 1) break;
    const [row] = await db.select().from(idempotencyKeys).where(and(eq(idempotencyKeys.scope, scope), eq(idempotencyKeys.key, key)));
    if (!row) continue;
    if (row.requestHash !== hash) throw new AppError('IDEMPOTENCY_KEY_REUSED', 'this ref was used for another request');
    if (row.status === 'done') return replay<T>(row.responseStatus ?? 200, row.responseBody ?? 'null');
    if (Date.now() > deadline) throw new AppError('IDEMPOTENCY_REQUEST_IN_PROGRESS', 'the first request with this ref is still running');
    await new Promise((r) => setTimeout(r, 25));
  }
  const store = (status: number, body: string) =>
    db.update(idempotencyKeys).set({ status: 'done', responseStatus: status, responseBody: body, responseContentType: 'application/json', completedAt: new Date() }).where(and(eq(idempotencyKeys.scope, scope), eq(idempotencyKeys.key, key)));
  try {
    const result = await run();
    await store(200, JSON.stringify(result));
    return result;
  } catch (err) {
    if (err instanceof AppError) {
      await store(err.status, JSON.stringify({ code: err.code, detail: err.message }));
    } else {
      // Nothing was committed (one transaction per command): the next try may run again.
      await db.delete(idempotencyKeys).where(and(eq(idempotencyKeys.scope, scope), eq(idempotencyKeys.key, key)));
    }
    throw err;
  }
}

function replay<T>(status: number, body: string): T {
  const value = JSON.parse(body) as unknown;
  if (status >= 400) {
    const e = value as { code?: string; detail?: string };
    if (e.code && isErrorCode(e.code)) throw new AppError(e.code, e.detail);
    throw new AppError('CONFLICT', 'the first request with this ref failed');
  }
  return value as T;
}
