/**
 * Baseline of the read path: a bare Fastify server answering GET /api/v1/listings with the very JSON
 * Lendbook returned for `?limit=50`, held in memory already serialised (the best a cache can do: no
 * database, no serialisation, no auth, no hooks). The ceiling Lendbook's cached list can approach.
 */
import { readFileSync } from 'node:fs';
import Fastify from 'fastify';

const file = process.argv[2];
if (!file) throw new Error('usage: bare-fastify.ts <listings.json>');
const payload = readFileSync(file, 'utf8');
JSON.parse(payload); // it is JSON

const app = Fastify({ logger: false });
app.get('/api/v1/listings', async (_request, reply) => reply.type('application/json; charset=utf-8').send(payload));
app.listen({ port: 0, host: '127.0.0.1' }).then(
  () => {
    const addr = app.server.address();
    const port = typeof addr === 'object' && addr ? addr.port : 0;
    process.stdout.write(`Bare Fastify: http://localhost:${port}\n`);
  },
  (err: unknown) => {
    process.stderr.write(String(err));
    process.exit(1);
  },
);
process.on('SIGTERM', () => {
  void app.close().then(() => process.exit(0));
  setTimeout(() => process.exit(0), 2000).unref();
});
