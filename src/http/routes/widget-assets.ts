import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { problemOf, sendProblem } from '../problem.js';

/**
 * GET /widgets/v1.js: the widget module for partners' pages. A module script from another origin needs
 * CORS, so this one file is readable from anywhere; what it may load is decided by the publishable key.
 */
export async function widgetAssets(app: FastifyInstance): Promise<void> {
  const file = path.join(app.ctx.config.webDistDir, 'widgets', 'v1.js');
  let cached: Buffer | undefined;
  app.get('/widgets/v1.js', { schema: { tags: ['widgets'], summary: 'The widget module (ES module defining the Lendbook elements)' } }, async (_request, reply) => {
    if (!cached && existsSync(file)) cached = readFileSync(file);
    if (!cached) return sendProblem(reply, problemOf('NOT_FOUND', 'the widgets are not built; run npm run build:web'));
    return reply
      .header('access-control-allow-origin', '*')
      .header('cross-origin-resource-policy', 'cross-origin')
      .header('cache-control', 'public, max-age=300')
      .type('text/javascript; charset=utf-8')
      .send(cached);
  });
}
