import type { RouteOptions } from 'fastify';

/**
 * Adds a hook to one route (from an `onRoute` hook): a plugin whose work concerns only the routes that
 * declare something (an access, a signature, an Idempotency-Key) costs the other routes nothing, instead
 * of a global hook that every request enters to find out it has nothing to do. `after` the route's own
 * hooks by default; `before` them for a check they depend on (who is calling, which a per-user rate
 * limit keys on).
 */
export function addRouteHook(route: RouteOptions, name: 'preHandler' | 'onSend', hook: (...args: never[]) => unknown, where: 'before' | 'after' = 'after'): void {
  const current: unknown = route[name];
  const list = current === undefined ? [] : Array.isArray(current) ? current : [current];
  Object.assign(route, { [name]: where === 'before' ? [hook, ...list] : [...list, hook] });
}
