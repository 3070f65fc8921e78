import type { ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { WebSocket } from 'ws';
import { Type } from 'typebox';
import { AppError } from '../../domain/errors.js';
import type { Hub } from '../../realtime/hub.js';
import { sessionCookieOf } from '../plugins/auth.js';
import { Errors, Strict } from '../schemas.js';
import { keyForOrigin } from '../../services/widgets.js';

declare module 'fastify' {
  interface FastifyInstance {
    hub: Hub;
  }
  interface FastifyRequest {
    wsToken: string | null;
  }
}

/**
 * Origins a browser may open a socket from: the page's own (its Origin names the host the request was
 * sent to: the app opened at http://127.0.0.1:3000 or at a LAN address as well as at the public URL),
 * the public URL's, and the configured allow-list. A foreign page's Origin never equals the Host its
 * browser sends, so cross-site pages stay refused.
 */
export function originAllowed(app: FastifyInstance, origin: string | undefined, host?: string): boolean {
  if (origin === undefined) return true; // not a browser: scripts and servers send no Origin
  if (sameOrigin(origin, host)) return true;
  const own = new URL(app.ctx.config.publicUrl).origin;
  return origin === own || app.ctx.config.wsAllowedOrigins.includes(origin);
}

/** Whether `origin` (http or https) names exactly `host` (the request's Host header, host[:port]). */
export function sameOrigin(origin: string, host: string | undefined): boolean {
  if (!host) return false;
  let url: URL;
  try {
    url = new URL(origin);
  } catch {
    return false; // "null" (a sandboxed or file page) or garbage
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return false;
  if (url.origin !== origin.toLowerCase().replace(/\/$/, '')) return false; // paths, credentials: not an Origin
  // The URL parser drops a default port (:80 on http); the Host header may carry it.
  const defaultPort = url.protocol === 'https:' ? '443' : '80';
  const wanted = host.toLowerCase();
  return url.host === wanted || `${url.host}:${defaultPort}` === wanted;
}

/**
 * GET /api/v1/ws: the live market (docs/realtime.md). Who calls is settled before the upgrade: a token
 * in the query or the session cookie, checked like any request; a bad token or a foreign Origin gets an
 * HTTP error instead of a socket.
 */
export async function wsRoutes(app: FastifyInstance): Promise<void> {
  const hub = app.hub;
  app.decorateRequest('wsToken', null);
  app.addHook('onReady', async () => hub.start());
  app.addHook('preClose', async () => hub.stop());
  app.ctx.stream.onReset(() => hub.resyncAll());
  app.ctx.stream.on((msg) => {
    if (msg.channel === 'system' && msg.type === 'users.changed') {
      void hub.revalidate((token) => app.authenticateToken(token, 'bearer')).catch((err: unknown) => app.log.warn({ err }, 'socket revalidation failed'));
    }
  });

  // `wsHandler` rather than `websocket: true`: the latter hides the route from the OpenAPI document,
  // where the upgrade, its query and its refusals belong. A GET without the upgrade gets NOT_FOUND.
  app.route({
    method: 'GET',
    url: '/ws',
    config: { access: 'public' },
    schema: {
      operationId: 'openMarketSocket',
      tags: ['realtime'],
      summary: 'The live market over WebSocket: snapshots, sequenced events, bids. The messages are described in docs/asyncapi.yaml (AsyncAPI 3) and docs/realtime.md',
      description:
        'Send a WebSocket upgrade (GET with `Connection: Upgrade`, `Upgrade: websocket`). Who calls is settled before the upgrade: a session token in `token`, the session cookie, a widget\'s publishable key in `key` (anonymous), or nobody (public channels only). A refused caller gets an HTTP problem instead of a socket; a GET without the upgrade headers gets 404.',
      querystring: Strict({
        token: Type.Optional(Type.String({ maxLength: 200, description: 'a session token (browsers use the cookie instead)' })),
        key: Type.Optional(Type.String({ maxLength: 100, description: "a widget's publishable key: an anonymous socket, from the origins the key lists" })),
      }),
      response: {
        101: Type.Null({ description: 'Switching Protocols: the connection is now a WebSocket carrying the messages of docs/asyncapi.yaml' }),
        ...Errors('UNAUTHENTICATED', 'PUBLISHABLE_KEY_INVALID', 'ORIGIN_NOT_ALLOWED', 'WS_LIMIT_REACHED', 'NOT_FOUND'),
      },
    },
    preHandler: async (request: FastifyRequest, reply: FastifyReply) => {
      const origin = request.headers.origin;
      const { token, key } = request.query as { token?: string; key?: string };
      if (key !== undefined) {
        // A widget's socket, opened by a script on a partner's page: the publishable key decides which
        // pages may open one, and it is anonymous, always — the visitor's session cookie rides along
        // but must not let that page read the visitor's wallet or bid for them.
        if (token !== undefined) throw new AppError('VALIDATION_FAILED', 'a widget socket (key) is anonymous: send no token', { errors: [{ field: 'querystring/token', message: 'is not allowed with key' }] });
        await keyForOrigin(app.ctx.db, key, origin);
      } else if (!originAllowed(app, origin, request.headers.host)) throw new AppError('ORIGIN_NOT_ALLOWED', `origin ${origin} may not open a socket`);
      else if (token !== undefined) {
        const user = await app.authenticateToken(token, 'bearer');
        if (!user) throw new AppError('UNAUTHENTICATED', 'the token is invalid, expired or revoked');
        request.user = user;
        request.wsToken = token;
      } else {
        // A browser's socket is the logged-in user's by its cookie; an invalid one opens an anonymous socket.
        const cookie = sessionCookieOf(request);
        const user = cookie ? await app.authenticateToken(cookie, 'cookie') : null;
        request.user = user;
        request.wsToken = user ? cookie! : null;
      }
      const refusal = hub.socketRefusal(request.ip, request.user);
      if (refusal) throw new AppError('WS_LIMIT_REACHED', refusal);
      void reply;
    },
    handler: async () => {
      throw new AppError('NOT_FOUND', 'GET /api/v1/ws is a WebSocket endpoint: send an upgrade (Connection: Upgrade, Upgrade: websocket)');
    },
    wsHandler: (socket, request) => {
      hub.attach(socket, request.user, request.wsToken, request.ip);
      releaseUpgrade(socket, request);
    },
  });
}

/**
 * An open socket can live for hours; the upgrade's request and reply need not (headers, token, child
 * logger, the never-ended ServerResponse @fastify/websocket made to route the upgrade): about 3 KB per
 * socket, 30 MB for 10,000 idle sockets. Two links kept them: the TCP socket's pending response, and the
 * plugin's 'error' listener, a closure over request and reply that only logs and terminates. The hub's own
 * listener does both (ws has destroyed the TCP socket already by then); the plugin's goes only when the
 * hub's is there, so the socket is never without one (an 'error' without a listener throws).
 */
function releaseUpgrade(socket: WebSocket, request: FastifyRequest): void {
  // No TCP socket behind fastify's injectWS (a plain request object): nothing to detach then.
  const tcp = request.raw.socket as (Socket & { _httpMessage?: ServerResponse | null }) | undefined;
  if (tcp?._httpMessage) tcp._httpMessage.detachSocket(tcp);
  const errorListeners = socket.listeners('error');
  if (errorListeners.length > 1) socket.removeListener('error', errorListeners[0] as (...args: unknown[]) => void);
}
