import type { FastifyInstance, FastifyReply, FastifyRequest, HookHandlerDoneFunction } from 'fastify';
import fp from 'fastify-plugin';
import { and, eq, sql } from 'drizzle-orm';
import { rows } from '../../db/client.js';
import { idempotencyKeys } from '../../db/schema/index.js';
import { AppError } from '../../domain/errors.js';
import { sha256Hex } from '../../security/crypto.js';
import { addRouteHook } from './route-hooks.js';

const KEY_PATTERN = /^[A-Za-z0-9_.:-]{8,128}$/;
const WAIT_MS = 10_000;
/** A key left pending this long belongs to a request whose process died: the next one takes over. */
const STALE_MS = 60_000;

declare module 'fastify' {
  interface FastifyRequest {
    /** The Idempotency-Key of this request, when it has one (services derive ids from it). */
    idempotencyKey: string | null;
    idempotencyScope: string | null;
    rawBody?: string;
  }
}

/**
 * Idempotency-Key on POSTs that move money or create something. The first request with a key runs and
 * its response is stored; a replay gets that response byte for byte; the same key with another request
 * is IDEMPOTENCY_KEY_REUSED; a concurrent duplicate waits for the first and gets its response. Services
 * also derive the ids of what they create from the key, so even a takeover after a crash cannot
 * produce a second effect.
 */
export const idempotencyPlugin = fp(async (app: FastifyInstance) => {
  app.decorateRequest('idempotencyKey', null);
  app.decorateRequest('idempotencyScope', null);

  // Only the routes that honour the header get the hooks. They are callback hooks that go on at once
  // without a key (a bid sent without one); with a key, the work is an async function whose promise
  // Fastify awaits as an async hook's (never both: no done() then).
  app.addHook('onRoute', (route) => {
    if (!route.config?.idempotent) return;
    addRouteHook(route, 'preHandler', claimHook);
    addRouteHook(route, 'onSend', storeHook);
  });

  function claimHook(request: FastifyRequest, reply: FastifyReply, done: HookHandlerDoneFunction) {
    const header = request.headers['idempotency-key'];
    if (header === undefined) return done();
    return claimKey(request, reply, header);
  }

  async function claimKey(request: FastifyRequest, reply: FastifyReply, header: string | string[]): Promise<unknown> {
    if (typeof header !== 'string' || !KEY_PATTERN.test(header)) {
      throw new AppError('IDEMPOTENCY_KEY_INVALID', 'Idempotency-Key must be 8-128 characters of A-Z a-z 0-9 _ . : -');
    }
    const scope = request.user?.id ?? (request.headers['x-lendbook-key'] as string | undefined) ?? 'anonymous';
    const hash = sha256Hex(`${request.method}\n${request.url}\n${scope}\n${request.rawBody ?? JSON.stringify(request.body ?? null)}`);
    const db = app.ctx.db;
    const inserted = await rows<{ key: string }>(
      db,
      sql`insert into idempotency_keys (scope, key, request_hash, status) values (${scope}, ${header}, ${hash}, 'pending')
          on conflict (scope, key) do nothing returning key`,
    );
    if (inserted.length === 1) {
      request.idempotencyKey = header;
      request.idempotencyScope = scope;
      return;
    }
    const deadline = Date.now() + WAIT_MS;
    for (;;) {
      const [row] = await db.select().from(idempotencyKeys).where(and(eq(idempotencyKeys.scope, scope), eq(idempotencyKeys.key, header)));
      if (!row) {
        // The first request failed with a 5xx and gave the key back: run this one.
        const again = await rows<{ key: string }>(
          db,
          sql`insert into idempotency_keys (scope, key, request_hash, status) values (${scope}, ${header}, ${hash}, 'pending')
              on conflict (scope, key) do nothing returning key`,
        );
        if (again.length === 1) {
          request.idempotencyKey = header;
          request.idempotencyScope = scope;
          return;
        }
        continue;
      }
      if (row.requestHash !== hash) throw new AppError('IDEMPOTENCY_KEY_REUSED', 'this Idempotency-Key was used with another request');
      if (row.status === 'done') {
        reply.header('idempotent-replayed', 'true');
        reply.code(row.responseStatus ?? 200).type(row.responseContentType ?? 'application/json; charset=utf-8');
        return reply.send(row.responseBody ?? '');
      }
      if (Date.now() - row.createdAt.getTime() > STALE_MS) {
        const taken = await rows<{ key: string }>(
          db,
          sql`update idempotency_keys set created_at = now() where scope = ${scope} and key = ${header} and status = 'pending'
              and created_at = ${row.createdAt} returning key`,
        );
        if (taken.length === 1) {
          request.idempotencyKey = header;
          request.idempotencyScope = scope;
          return;
        }
      }
      if (Date.now() > deadline) throw new AppError('IDEMPOTENCY_REQUEST_IN_PROGRESS', 'the first request with this key is still running');
      await new Promise((r) => setTimeout(r, 25));
    }
  }

  function storeHook(request: FastifyRequest, reply: FastifyReply, payload: unknown, done: HookHandlerDoneFunction) {
    const scope = request.idempotencyScope;
    const key = request.idempotencyKey;
    if (!key || !scope) return done();
    request.idempotencyKey = null;
    return storeResponse(reply, payload, scope, key);
  }

  /** Stores the response of the request that claimed the key, or gives the key back after a 5xx. */
  async function storeResponse(reply: FastifyReply, payload: unknown, scope: string, key: string): Promise<unknown> {
    if (reply.statusCode >= 500) {
      // Nothing was committed (commands are one transaction): let a retry run again.
      await app.ctx.db.delete(idempotencyKeys).where(and(eq(idempotencyKeys.scope, scope), eq(idempotencyKeys.key, key)));
      return payload;
    }
    const body = typeof payload === 'string' ? payload : Buffer.isBuffer(payload) ? payload.toString('utf8') : JSON.stringify(payload ?? '');
    await app.ctx.db
      .update(idempotencyKeys)
      .set({ status: 'done', responseStatus: reply.statusCode, responseBody: body, responseContentType: String(reply.getHeader('content-type') ?? 'application/json; charset=utf-8'), completedAt: new Date() })
      .where(and(eq(idempotencyKeys.scope, scope), eq(idempotencyKeys.key, key)));
    return payload;
  }
});
