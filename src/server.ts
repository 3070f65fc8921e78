import { ConfigError, loadConfig, type Config } from './config.js';
import { build } from './http/app.js';

/** Entry: read the config, build the app, listen, and drain gracefully on SIGINT/SIGTERM. */
async function main(): Promise<void> {
  let config: Config;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`lendbook: configuration error: ${err.message}\n`);
      process.exit(2);
    }
    throw err;
  }
  const app = await build(config);
  let closing = false;
  const shutdown = (signal: string) => {
    if (closing) return;
    closing = true;
    app.log.info({ signal }, 'shutting down: draining HTTP and WebSocket, closing workers, queue and database');
    const force = setTimeout(() => {
      app.log.error('shutdown took too long; exiting');
      process.exit(1);
    }, 4500);
    force.unref();
    app.close().then(
      () => process.exit(0),
      (err: unknown) => {
        app.log.error({ err }, 'error during shutdown');
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  await app.listen({ port: config.port, host: config.host });
  const address = app.server.address();
  const url = config.port === 0 && typeof address === 'object' && address ? `http://localhost:${address.port}` : config.publicUrl;
  const mode = `${config.databaseUrl ? 'PostgreSQL' : `PGlite in ${config.dataDir}`}, ${config.redisUrl ? 'Redis (BullMQ + pub/sub)' : 'in-process queue and bus'}`;
  app.log.info(`Lendbook is running on ${url} (${mode})`);
  process.stdout.write(`\n  Lendbook: ${url}\n  API docs: ${url}/docs\n\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`lendbook: failed to start: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
