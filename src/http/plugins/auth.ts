import type { FastifyInstance, FastifyReply, FastifyRequest, HookHandlerDoneFunction } from 'fastify';
import fp from 'fastify-plugin';
import type { Role } from '../../db/schema/index.js';
import { liveSessions, type AuthUser } from '../../services/identity.js';
import { AppError } from '../../domain/errors.js';
import { sha256Hex } from '../../security/crypto.js';
import { addRouteHook } from './route-hooks.js';
import { isSignedAccess, type SignedAccess } from './signed.js';

export const SESSION_COOKIE = 'lb_session';

/**
 * Who may call a route. Every route under /api/v1 declares it (the app refuses to start otherwise):
 * `public` (anyone; no session is looked up: the socket endpoint reads its own), a list of roles,
 * `partner` (HMAC-signed calls of an order system), `core` (the same signature, with a core enterprise's
 * own key) or `custodian` (signed callbacks of the custodian bank).
 */
export type Access = 'public' | SignedAccess | readonly Role[];

export type { AuthUser };

declare module 'fastify' {
  interface FastifyContextConfig {
    access?: Access;
    /** POST that moves money or creates something: honours Idempotency-Key. */
    idempotent?: boolean;
  }
  interface FastifyRequest {
    user: AuthUser | null;
  }
}

function tokenOf(request: FastifyRequest): { token: string; via: 'bearer' | 'cookie' } | undefined {
  const header = request.headers.authorization;
  if (typeof header === 'string' && header.startsWith('Bearer ')) {
    const token = header.slice(7).trim();
    if (token) return { token, via: 'bearer' };
  }
  const cookie = sessionCookieOf(request);
  if (cookie) return { token: cookie, via: 'cookie' };
  return undefined;
}

/**
 * The session cookie, parsed from the header only when a request has one: cookies are not parsed for
 * every request by a global hook (nearly all calls of the market's public reads carry none).
 */
export function sessionCookieOf(request: FastifyRequest): string | undefined {
  const header = request.headers.cookie;
  if (!header) return undefined;
  return request.server.parseCookie(header)[SESSION_COOKIE] || undefined;
}

export function requireUser(request: FastifyRequest): AuthUser {
  if (!request.user) throw new AppError('UNAUTHENTICATED');
  return request.user;
}

/**
 * Authentication and function-level authorization, in one place. Sessions are looked up by the SHA-256
 * of the token and cached (ctx.sessionCache: a minute, never past the session's end; cleared on every node when a user changes).
 */
export const authPlugin = fp(async (app: FastifyInstance) => {
  const cache = app.ctx.sessionCache;
  app.decorateRequest('user', null);

  // Sessions not in the cache, looked up together: the requests that reach this node in one event-loop
  // tick cost one query, not one each (a market's opening minute brings many lenders at once).
  type Waiter = { resolve: (user: Omit<AuthUser, 'via'> | null) => void; reject: (err: unknown) => void };
  let waiting: Map<string, Waiter[]> | null = null;
  const lookUp = (tokenHashes: string[]) => liveSessions(app.ctx, tokenHashes);
  function sessionOf(tokenHash: string): Promise<Omit<AuthUser, 'via'> | null> {
    return new Promise((resolve, reject) => {
      if (!waiting) {
        const batch = (waiting = new Map<string, Waiter[]>());
        setImmediate(() => {
          waiting = null;
          lookUp([...batch.keys()]).then(
            (found) => {
              for (const [hash, waiters] of batch) {
                const hit = found.get(hash);
                const user = hit?.user ?? null;
                cache.set(hash, user === null ? null : { ...user, via: 'bearer' }, hit?.expiresAtMs);
                for (const w of waiters) w.resolve(user);
              }
            },
            (err: unknown) => {
              for (const waiters of batch.values()) for (const w of waiters) w.reject(err);
            },
          );
        });
      }
      const waiters = waiting.get(tokenHash);
      if (waiters) waiters.push({ resolve, reject });
      else waiting.set(tokenHash, [{ resolve, reject }]);
    });
  }
  /** The user of a token: at once when the cache knows it (null: no such session), else once looked up. */
  function userOf(token: string, via: 'bearer' | 'cookie'): AuthUser | null | Promise<AuthUser | null> {
    if (token.length > 200) return null;
    const tokenHash = sha256Hex(token);
    const hit = cache.get(tokenHash);
    if (hit !== undefined) return hit ? { ...hit, via } : null;
    return sessionOf(tokenHash).then((user) => (user ? { ...user, via } : null));
  }
  const loadUser = async (token: string, via: 'bearer' | 'cookie'): Promise<AuthUser | null> => userOf(token, via);
  app.decorate('authenticateToken', loadUser);

  const catalog: RouteEntry[] = [];
  app.decorate('routeCatalog', catalog);
  app.addHook('onRoute', (route) => {
    if (!route.url.startsWith('/api/v1')) return;
    const access = route.config?.access;
    if (access === undefined) throw new Error(`route ${route.method} ${route.url} does not declare who may call it`);
    for (const method of [route.method].flat()) {
      if (method === 'HEAD') continue;
      catalog.push({ method, url: route.url, access, schema: (route.schema ?? {}) as RouteEntry['schema'] });
    }
    // Only routes with roles look the caller up: a public one enters no auth hook at all. Before the
    // route's own hooks, which may key on the user (per-user rate limits).
    if (isSignedAccess(access) || access === 'public') return;
    addRouteHook(route, 'preHandler', authenticate, 'before');
  });

  const ownOrigin = new URL(app.ctx.config.publicUrl).origin;
  /** Why this caller may not call a route for these roles (undefined: it may). */
  function refusalOf(request: FastifyRequest, access: readonly Role[], hadToken: boolean): AppError | undefined {
    const user = request.user;
    if (!user) return new AppError('UNAUTHENTICATED', hadToken ? 'the session is invalid, expired or revoked' : 'log in first');
    if (!access.includes(user.role)) return new AppError('FORBIDDEN', `this route is for ${access.join(' or ')}`);
    // A cookie rides along with cross-site requests: an unsafe one must come from our own origin.
    if (user.via === 'cookie' && !['GET', 'HEAD', 'OPTIONS'].includes(request.method)) {
      const origin = request.headers.origin;
      if (origin !== undefined && origin !== ownOrigin && !app.ctx.config.wsAllowedOrigins.includes(origin)) {
        return new AppError('FORBIDDEN', 'cross-origin request with a session cookie');
      }
    }
    return undefined;
  }

  // Not an async hook: a request without a token, or with a cached session (nearly all), is decided at
  // once, without a promise and a microtask turn; only a session the cache does not know waits for the
  // database.
  function authenticate(request: FastifyRequest, _reply: FastifyReply, done: HookHandlerDoneFunction) {
    const access = request.routeOptions.config.access as readonly Role[];
    const found = tokenOf(request);
    if (!found) {
      request.user = null;
      return done(refusalOf(request, access, false));
    }
    const known = userOf(found.token, found.via);
    if (!(known instanceof Promise)) {
      request.user = known;
      return done(refusalOf(request, access, true));
    }
    // Fastify awaits a hook's promise as it would an async hook's (done is not called then).
    return known.then((user) => {
      request.user = user;
      const refusal = refusalOf(request, access, true);
      if (refusal) throw refusal;
    });
  }
});

/** Every API route with who may call it and its schemas: the authorization and fuzz tests walk it. */
export interface RouteEntry {
  method: string;
  url: string;
  access: Access;
  schema: { body?: unknown; querystring?: unknown; params?: unknown; headers?: unknown };
}

declare module 'fastify' {
  interface FastifyInstance {
    routeCatalog: RouteEntry[];
    authenticateToken(token: string, via: 'bearer' | 'cookie'): Promise<AuthUser | null>;
  }
}
