import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import path from 'node:path';
import fastifyCookie from '@fastify/cookie';
import fastifyRateLimit from '@fastify/rate-limit';
import fastifyStatic from '@fastify/static';
import fastifyWebsocket from '@fastify/websocket';
import fastifySwagger from '@fastify/swagger';
import fastifySwaggerUi from '@fastify/swagger-ui';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance, type FastifyServerOptions } from 'fastify';
import type { Config } from '../config.js';
import { createContext, type AppContext, type ContextOverrides } from '../context.js';
import type { JobHandler } from '../jobs/queue.js';
import { findJsonProblem, jsonProblemText } from '../security/json.js';
import { createMetrics, type Metrics } from '../metrics.js';
import { problemOf, registerProblemHandlers } from './problem.js';
import { installResponseCheck, openApiOptions } from './contract.js';
import { namedSchemas } from './schemas.js';
import { securityHeadersOf } from './security-headers.js';
import { opsRoutes } from './routes/ops.js';
import { authPlugin } from './plugins/auth.js';
import { signedPlugin } from './plugins/signed.js';
import { idempotencyPlugin } from './plugins/idempotency.js';
import { identityRoutes } from './routes/identity.js';
import { walletRoutes } from './routes/wallet.js';
import { adminRoutes } from './routes/admin.js';
import { partnerRoutes } from './routes/partner.js';
import { ratingRoutes } from './routes/rating.js';
import { marketRoutes } from './routes/market.js';
import { loanRoutes } from './routes/loans.js';
import { servicingRoutes } from './routes/servicing.js';
import { wsRoutes } from './routes/ws.js';
import { widgetRoutes } from './routes/widgets.js';
import { transferRoutes } from './routes/transfers.js';
import { supplyChainRoutes } from './routes/supply-chain.js';
import { guaranteeRoutes } from './routes/guarantees.js';
import { relatedPartyRoutes } from './routes/related-parties.js';
import { notificationRoutes } from './routes/notifications.js';
import { accountRoutes } from './routes/accounts.js';
import { autobidRoutes } from './routes/autobid.js';
import { batchedRedisStore } from './rate-limit-store.js';
import { lazyRequestLogger } from './request-logger.js';
import { Hub } from '../realtime/hub.js';
import { jobHandlers } from '../jobs/handlers.js';
import { startMaintenance } from '../jobs/maintenance.js';
import { SERVICE_DUE_EVERY_MS, SERVICE_DUE_JOB } from '../services/servicing.js';
import { ensureAdmin } from '../services/identity.js';
import { AppError } from '../domain/errors.js';

declare module 'fastify' {
  interface FastifyInstance {
    ctx: AppContext;
    metrics: Metrics;
  }
}

export type App = FastifyInstance;

export interface BuildOptions extends ContextOverrides {
  /** Extra job handlers (tests of the queue itself). */
  jobHandlers?: Record<string, JobHandler>;
  /** Pino options; defaults follow config.logLevel. */
  logger?: FastifyServerOptions['logger'];
}

const REQUEST_ID = /^[A-Za-z0-9._-]{8,128}$/;
/** A request slower than this is logged at warn whatever LOG_LEVEL says (down to warn). */
const SLOW_REQUEST_MS = 2000;

/**
 * Builds the whole server: context (storage, queue, bus), plugins, routes and background workers.
 * Returns a Fastify instance that tests drive with inject() or a real port; `close()` drains it.
 */
export async function build(config: Config, options: BuildOptions = {}): Promise<App> {
  const app = Fastify({
    logger: withRedactedUrls(options.logger ?? { level: config.logLevel }),
    // One line per request only at debug (LOG_LEVEL=debug); errors and slow requests are logged below.
    logController: new LogController({ disableRequestLogging: true }),
    // No pino child per request: made only when the request writes a line (src/http/request-logger.ts).
    childLoggerFactory: lazyRequestLogger,
    trustProxy: config.trustProxy,
    bodyLimit: 1024 * 1024,
    requestIdHeader: 'x-request-id',
    genReqId: (req) => {
      const given = req.headers['x-request-id'];
      return typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
    },
    ajv: {
      // A money API must not coerce "0x10" or "1e3" into numbers, nor drop unknown fields silently.
      // verbose: a range error carries its schema, so the problem can name the whole range.
      customOptions: { coerceTypes: false, removeAdditional: false, useDefaults: true, allErrors: false, verbose: true },
    },
    // Shutdown drains: idle keep-alive connections close at once, requests in flight finish first.
    forceCloseConnections: 'idle',
    return503OnClosing: true,
  }).withTypeProvider<TypeBoxTypeProvider>();

  const ctx = await createContext(config, app.log, options);
  app.decorate('ctx', ctx);
  const metrics = createMetrics(ctx.queue);
  app.decorate('metrics', metrics);
  ctx.metrics = metrics;
  app.decorate('hub', new Hub({ ctx, metrics, maxBufferedBytes: config.wsMaxBufferedBytes }));
  app.addHook('onClose', async () => {
    await ctx.close();
  });

  installJsonParser(app);
  registerProblemHandlers(app);

  // Hooks that run on every response take a callback: an async one costs a promise and a microtask turn
  // per request even when it has nothing to wait for.
  app.addHook('onResponse', (request, reply, done) => {
    const ms = Math.round(reply.elapsedTime);
    const status = reply.statusCode;
    // A WebSocket's "response" ends when the socket closes: its length is no measure of speed.
    const slow = ms >= SLOW_REQUEST_MS && request.headers.upgrade === undefined;
    // The log line is built only when it is written (most requests log nothing below debug).
    if (slow || status >= 500 || logsAt(request.log, 'debug')) {
      const line = { method: request.method, url: redactUrl(request.url), status, ms };
      if (slow) request.log.warn(line, 'slow request');
      else if (status >= 500) request.log.warn(line, 'request failed');
      else request.log.debug(line, 'request');
    }
    metrics.httpDuration.observe({ method: request.method, route: request.routeOptions.url ?? 'unmatched', status: String(status) }, reply.elapsedTime / 1000);
    done();
  });

  const security = securityHeadersOf({
    // Every page: scripts only from this origin (none inline), never framed, no MIME sniffing, no
    // referrer beyond the origin. Styles may be inline: Lit templates and Swagger UI set style attributes.
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'"],
        styleSrc: ["'self'", "'unsafe-inline'"],
        imgSrc: ["'self'", 'data:'],
        fontSrc: ["'self'", 'data:'],
        connectSrc: ["'self'", ...webSocketOrigins(config)],
        objectSrc: ["'none'"],
        baseUri: ["'self'"],
        formAction: ["'self'"],
        frameAncestors: ["'none'"],
      },
    },
    referrerPolicy: { policy: 'strict-origin-when-cross-origin' },
    xFrameOptions: { action: 'deny' },
    // The widget module is loaded by partners' pages: the static files set their own policy (below).
    crossOriginResourcePolicy: false,
  });
  // Set as @fastify/helmet set them: on the raw response when the request arrives, so a route can still
  // override one (the widget module's static files add their own resource policy).
  // The request id and the server's clock ride in the same hook (one hook per request, not two).
  app.addHook('onRequest', (request, reply, done) => {
    const res = reply.raw;
    for (const name of security.removed) res.removeHeader(name);
    for (const [name, value] of security.set) res.setHeader(name, value);
    res.setHeader('x-request-id', request.id);
    // The server's clock (settable in demos): countdowns in the browser follow it, not the device's.
    res.setHeader('x-lendbook-now', String(ctx.clock.nowMs()));
    done();
  });
  // No parsing hook: the session cookie is read by the routes that look the caller up (plugins/auth.ts).
  await app.register(fastifyCookie, { hook: false });
  await app.register(fastifyRateLimit, {
    global: false,
    // Counted in Redis, shared by every node, the requests of one event-loop turn in one call; in memory without Redis.
    ...(config.redisUrl ? { store: batchedRedisStore(ctx.redis('rate-limit'), `${config.redisPrefix}:rl:`) } : {}),
    errorResponseBuilder: (_req, context) => {
      const problem = problemOf('RATE_LIMITED', `too many requests; retry in ${Math.ceil(context.ttl / 1000)} s`);
      return Object.assign(new AppError('RATE_LIMITED', problem.detail), { statusCode: 429 });
    },
  });
  await app.register(fastifySwagger, openApiOptions(config.publicUrl));
  for (const schema of namedSchemas()) app.addSchema(schema);
  if (config.responseCheck) installResponseCheck(app);
  else app.decorate('checkAnswer', () => {});
  await app.register(fastifySwaggerUi, { routePrefix: '/docs' });

  await app.register(fastifyWebsocket, { options: { maxPayload: 16 * 1024 } });
  await app.register(opsRoutes);
  // Hooks run in registration order: who is calling, then signed calls, then idempotency (needs both).
  await app.register(authPlugin);
  await app.register(signedPlugin);
  await app.register(idempotencyPlugin);
  await app.register(
    async (api) => {
      await api.register(identityRoutes);
      await api.register(walletRoutes);
      await api.register(adminRoutes);
      await api.register(partnerRoutes);
      await api.register(ratingRoutes);
      await api.register(marketRoutes);
      await api.register(autobidRoutes);
      await api.register(loanRoutes);
      await api.register(servicingRoutes);
      await api.register(wsRoutes);
      await api.register(widgetRoutes);
      await api.register(transferRoutes);
      await api.register(supplyChainRoutes);
      await api.register(guaranteeRoutes);
      await api.register(relatedPartyRoutes);
      await api.register(notificationRoutes);
      await api.register(accountRoutes);
    },
    { prefix: '/api/v1' },
  );
  await ensureAdmin(ctx);

  if (existsSync(config.webDistDir)) {
    await app.register(fastifyStatic, {
      root: config.webDistDir,
      prefix: '/',
      wildcard: false,
      index: ['index.html'],
      setHeaders: (res, filePath) => {
        // The widget module is loaded by partners' pages on other origins: a module script needs CORS.
        // What it may then load is decided by the publishable key, not by this header.
        if (filePath.endsWith(`${path.sep}widgets${path.sep}v1.js`)) {
          res.header('access-control-allow-origin', '*');
          res.header('cross-origin-resource-policy', 'cross-origin');
        }
      },
    });
  }

  app.addHook('onReady', async () => {
    await ctx.stream.start();
    if (config.workers) {
      ctx.dispatcher.start();
      await ctx.queue.start({ ...jobHandlers(ctx), ...(options.jobHandlers ?? {}) });
      // The safety net under the queue (it keeps running if Redis loses every job): listings past their
      // end are closed within seconds, stranded webhooks re-enqueued, recurring jobs registered again.
      const stopMaintenance = startMaintenance(ctx, {
        schedulers: async () => {
          // Daily servicing: enqueues each due loan's job of the day (idempotent per loan and day).
          await ctx.queue.schedule('loan-servicing', { name: SERVICE_DUE_JOB, data: {} }, SERVICE_DUE_EVERY_MS);
        },
      });
      app.addHook('preClose', async () => stopMaintenance());
    }
  });
  return app;
}

/** Whether a logger writes this level (pino answers; a logger that cannot say is assumed to). */
function logsAt(log: FastifyBaseLogger, level: string): boolean {
  return (log as { isLevelEnabled?: (level: string) => boolean }).isLevelEnabled?.(level) ?? true;
}

/** The socket endpoints of the app's own origin, for connect-src ('self' covers them in current browsers only). */
function webSocketOrigins(config: Config): string[] {
  const url = new URL(config.publicUrl);
  return [`${url.protocol === 'https:' ? 'wss' : 'ws'}://${url.host}`];
}

/** A session token may ride in a socket's query (`?token=`): it never reaches a log line. */
export function redactUrl(url: string): string {
  return url.replace(/([?&]token=)[^&#]*/gi, '$1[redacted]');
}

function withRedactedUrls(logger: NonNullable<FastifyServerOptions['logger']>): FastifyServerOptions['logger'] {
  if (typeof logger !== 'object') return logger;
  return {
    ...logger,
    serializers: {
      ...(logger as { serializers?: Record<string, unknown> }).serializers,
      req: (request: { method: string; url: string; hostname?: string; ip?: string; socket?: { remotePort?: number } }) => ({
        method: request.method,
        url: redactUrl(request.url),
        host: request.hostname,
        remoteAddress: request.ip,
        remotePort: request.socket?.remotePort,
      }),
    },
  } as FastifyServerOptions['logger'];
}

/**
 * JSON bodies go through Fastify's own safe parser (it refuses __proto__ poisoning) after a scan for
 * nesting beyond MAX_JSON_DEPTH and for number literals that are not plain integers. Only JSON is a
 * body: text/plain (which Fastify would otherwise accept as a string) is 415 like any other type.
 */
function installJsonParser(app: FastifyInstance): void {
  const defaultParser = app.getDefaultJsonParser('error', 'error');
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    const text = body as string;
    request.rawBody = text;
    const problem = findJsonProblem(text);
    if (problem) {
      const field = problem.kind === 'number' ? `body${problem.path === '/' ? '' : problem.path}` : 'body';
      const message = problem.kind === 'number' ? 'must be an integer' : jsonProblemText(problem, '').trim();
      done(new AppError('VALIDATION_FAILED', jsonProblemText(problem, 'body'), { errors: [{ field, message }] }), undefined);
      return;
    }
    defaultParser(request, text, done);
  });
}
