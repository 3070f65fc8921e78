import type { FastifyPluginAsync } from 'fastify';
import { Type } from 'typebox';
import { ping } from '../../db/client.js';
import { problemOf, sendProblem } from '../problem.js';

const Status = Type.Object({ status: Type.String(), checks: Type.Optional(Type.Record(Type.String(), Type.String())) });

/** Liveness, readiness and Prometheus metrics: outside /api/v1, no authentication. */
export const opsRoutes: FastifyPluginAsync = async (app) => {
  app.get('/healthz', { schema: { tags: ['operations'], summary: 'The process is alive', response: { 200: Status } } }, async () => ({ status: 'ok' }));

  app.get(
    '/readyz',
    { schema: { tags: ['operations'], summary: 'Database and queue reachable (503 otherwise)', response: { 200: Status } } },
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

  app.get('/metrics', { schema: { tags: ['operations'], summary: 'Prometheus metrics', hide: false } }, async (_req, reply) => {
    const body = await app.metrics.registry.metrics();
    return reply.type(app.metrics.registry.contentType).send(body);
  });
};
