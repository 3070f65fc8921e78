import type { FastifyPluginAsync } from 'fastify';
import { Type } from 'typebox';
import { ping } from '../../db/client.js';
import { problemOf, sendProblem } from '../problem.js';
import { Errors, Named } from '../schemas.js';

/** Liveness (`ok`) or readiness (`ready`, with each dependency's state). */
const Health = Named(
  'Health',
  Type.Object(
    {
      status: Type.Union([Type.Literal('ok'), Type.Literal('ready')], { description: '/healthz: ok; /readyz: ready' }),
      checks: Type.Optional(
        Type.Record(Type.String(), Type.Union([Type.Literal('ok'), Type.Literal('unreachable')]), { description: '/readyz: database, queue and bus, each ok or unreachable' }),
      ),
    },
    { example: { status: 'ready', checks: { database: 'ok', queue: 'ok', bus: 'ok' } } },
  ),
);

/** Prometheus metrics: the text exposition format, not JSON. */
const MetricsText = {
  description: 'Prometheus text exposition format (version 0.0.4)',
  content: { 'text/plain': { schema: Type.String({ example: '# HELP http_requests_total Requests answered\n# TYPE http_requests_total counter\nhttp_requests_total{method="GET",status="200"} 42\n' }) } },
};

/** Liveness, readiness and Prometheus metrics: outside /api/v1, no authentication. */
export const opsRoutes: FastifyPluginAsync = async (app) => {
  app.get('/healthz', { schema: { operationId: 'getHealth', tags: ['operations'], summary: 'The process is alive', response: { 200: Health } } }, async () => ({ status: 'ok' }));

  app.get(
    '/readyz',
    {
      schema: {
        operationId: 'getReadiness',
        tags: ['operations'],
        summary: 'Database, queue and bus reachable (503 SERVICE_UNAVAILABLE with the checks otherwise)',
        response: { 200: Health, ...Errors('SERVICE_UNAVAILABLE') },
      },
    },
    async (_req, reply) => {
      const checks: Record<string, string> = {};
      const timeout = <T>(p: Promise<T>) => Promise.race([p, new Promise<never>((_, rej) => setTimeout(() => rej(new Error('timeout')), 2000).unref())]);
      const [db, queue, bus] = await Promise.allSettled([timeout(ping(app.ctx.db)), timeout(app.ctx.queue.ping()), timeout(app.ctx.bus.ping())]);
      checks.database = db.status === 'fulfilled' ? 'ok' : 'unreachable';
      checks.queue = queue.status === 'fulfilled' ? 'ok' : 'unreachable';
      checks.bus = bus.status === 'fulfilled' ? 'ok' : 'unreachable';
      if (Object.values(checks).every((c) => c === 'ok')) return { status: 'ready', checks };
      return sendProblem(reply, problemOf('SERVICE_UNAVAILABLE', `not ready: ${Object.entries(checks).filter(([, v]) => v !== 'ok').map(([k]) => k).join(', ')}`, { checks }));
    },
  );

  app.get('/metrics', { schema: { operationId: 'getMetrics', tags: ['operations'], summary: 'Prometheus metrics', response: { 200: MetricsText } } }, async (_req, reply) => {
    const body = await app.metrics.registry.metrics();
    return reply.type(app.metrics.registry.contentType).send(body);
  });
};
