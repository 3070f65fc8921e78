import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { AppError } from '../domain/errors.js';

/**
 * A per-minute limit keyed by what the caller cannot change at will (an address, an account), counted
 * in the rate-limit store every node shares (Redis when configured). Several can guard one route, each
 * with its own key: logins are limited per address across accounts and per account across addresses.
 */
export function throttle(app: FastifyInstance, name: string, maxPerMin: number, keyOf: (request: FastifyRequest) => string | undefined) {
  const check = app.createRateLimit({ max: maxPerMin, timeWindow: 60_000, keyGenerator: (request) => `${name}:${keyOf(request) ?? ''}` });
  return async (request: FastifyRequest, reply: FastifyReply): Promise<void> => {
    if (keyOf(request) === undefined) return;
    let result: Awaited<ReturnType<typeof check>>;
    try {
      result = await check(request);
    } catch (err) {
      request.log.warn({ err }, 'rate-limit store unreachable');
      throw new AppError('SERVICE_UNAVAILABLE', 'try again in a moment');
    }
    if (result.isAllowed || !result.isExceeded) return;
    reply.header('retry-after', String(result.ttlInSeconds));
    throw new AppError('RATE_LIMITED', `too many attempts; retry in ${result.ttlInSeconds} s`);
  };
}
