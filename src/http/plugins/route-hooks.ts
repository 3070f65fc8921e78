import type { RouteOptions } from 'fastify';

/**
 * Adds a hook to one route (from an `onRoute` hook), after the route's own: a plugin whose work concerns
 * only the routes that declare something (a signature, an Idempotency-Key) costs the other routes nothing,
 * instead of a global hook that every request enters to find out it has nothing to do.
 */
export function appendRouteHook(route: RouteOptions, name: 'preHandler' | 'onSend', hook: (...args: never[]) => unknown): void {
  const current: unknown = route[name];
  const list = current === undefined ? [] : Array.isArray(current) ? current : [current];
  Object.assign(route, { [name]: [...list, hook] });
}
