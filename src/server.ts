import { ConfigError, loadConfig, type Config } from './config.js';
import { build } from './http/app.js';
import { DEMO_LOGINS, DEMO_PASSWORD, prepareDemo } from './demo/index.js';
import { GUARANTOR_LOGIN } from './demo/guarantees.js';
import { SUPPLIER_LOGIN } from './demo/supply-chain.js';
import { installProcessGuards } from './process-guards.js';

/**
 * A process manager (Docker, systemd, Kubernetes) sends SIGTERM and kills after its grace period (10 s
 * for Docker): drain within this, or exit anyway.
 */
export const SHUTDOWN_DEADLINE_MS = 8000;

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
  const widgetPort = config.widgetDemoPort || (config.port === 0 ? 0 : config.port + 1);
  // The demo seeds before the server takes traffic; its history is written on a clock of the past.
  const demo = await prepareDemo(app, widgetPort, () => process.stdout.write('  Seeding the demo market (first start only; about 20 s)…\n')).catch((err: unknown) => {
    app.log.error({ err }, 'demo seeding failed; starting without it');
    return null;
  });
  let stopDemo: (() => Promise<void>) | undefined;
  let widgetDemoUrl: string | undefined;
  app.get('/widgets/demo', { schema: { tags: ['widgets'], summary: 'The widget demo: a partner page on another origin embedding the widgets' } }, async (_req, reply) =>
    widgetDemoUrl ? reply.redirect(widgetDemoUrl) : reply.code(404).type('text/plain').send('The widget demo runs with LENDBOOK_DEMO=on.'),
  );
  let closing = false;
  const shutdown = (reason: string, exitCode = 0) => {
    if (closing) return;
    closing = true;
    app.log.info({ reason }, 'shutting down: draining HTTP and WebSocket, closing workers, queue and database');
    const force = setTimeout(() => {
      app.log.error(`shutdown took longer than ${SHUTDOWN_DEADLINE_MS} ms; exiting`);
      process.exit(1);
    }, SHUTDOWN_DEADLINE_MS);
    force.unref();
    Promise.resolve(stopDemo?.())
      .then(() => app.close())
      .then(
        () => {
          process.stdout.write('Lendbook stopped.\n');
          process.exit(exitCode);
        },
        (err: unknown) => {
          app.log.error({ err }, 'error during shutdown');
          process.exit(1);
        },
      );
  };
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  installProcessGuards(app.log, () => shutdown('uncaught exception', 1));
  await app.listen({ port: config.port, host: config.host });
  const address = app.server.address();
  const url = config.port === 0 && typeof address === 'object' && address ? `http://localhost:${address.port}` : config.publicUrl;
  const mode = `${config.databaseUrl ? 'PostgreSQL' : `PGlite in ${config.dataDir}`}, ${config.redisUrl ? 'Redis (BullMQ + pub/sub)' : 'in-process queue and bus'}`;
  let banner = `\n  Lendbook: ${url}  (${mode})\n  API docs: ${url}/docs\n`;
  if (demo) {
    const handle = await demo.start(url);
    stopDemo = handle.stop;
    widgetDemoUrl = handle.widgetHost?.url;
    banner +=
      `\n  Demo market (simulated lenders ${config.demoSimulation ? 'bidding' : 'paused'}). Log in with password ${DEMO_PASSWORD}:\n` +
      `    lender    ${DEMO_LOGINS.lender}\n    borrower  ${DEMO_LOGINS.borrower}\n    operator  ${DEMO_LOGINS.operator}\n` +
      `    supplier  ${SUPPLIER_LOGIN}  (a tier-3 supplier with claims on a core enterprise)\n` +
      `    guarantor ${GUARANTOR_LOGIN}  (a guarantee company: requests, exposure, what it paid)\n` +
      (handle.widgetHost ? `  Widgets on a partner's page: ${handle.widgetHost.url}\n` : '');
  }
  // After every log line written so far: the banner is the last thing on the screen once the port is open.
  await new Promise<void>((resolve) => flushLog(app, resolve));
  process.stdout.write(`${banner}\n`);
}

/** pino writes asynchronously; its flush calls back once what it holds is out. */
function flushLog(app: { log: unknown }, done: () => void): void {
  const log = app.log as { flush?: (cb?: (err?: Error) => void) => void };
  if (typeof log.flush !== 'function') return done();
  try {
    log.flush(() => done());
  } catch {
    done();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`lendbook: failed to start: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
