import net from 'node:net';
import { fileURLToPath } from 'node:url';
import { createTestStorage, startApp, type TestApp, type TestStorage } from '../../integration/helpers/env.js';
import { ADMIN_ENV } from '../../integration/helpers/partner.js';

export const WEB_DIST = fileURLToPath(new URL('../../../web/dist', import.meta.url));

/** A port nobody listens on right now (the app's public URL must be known before it starts). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

export interface E2eApp extends TestApp {
  storage: TestStorage;
  /** Closes the app and disposes of its storage. */
  stop(): Promise<void>;
}

/**
 * The real app on the test storage, listening on http://127.0.0.1:<port> with that as its public URL
 * (so the browser's Origin is the app's own for the session socket), serving web/dist.
 * `defaultPublicUrl`: leave LENDBOOK_PUBLIC_URL unset, as a fresh `npm start` does (http://localhost:3000).
 */
export async function startE2eApp(env: Record<string, string> = {}, opts: { defaultPublicUrl?: boolean } = {}): Promise<E2eApp> {
  const storage = await createTestStorage();
  let lastError: unknown;
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    const t = await startApp(storage, { env: { ...ADMIN_ENV, LENDBOOK_WEB_DIST: WEB_DIST, ...(opts.defaultPublicUrl ? {} : { LENDBOOK_PUBLIC_URL: url }), ...env } });
    try {
      await t.app.listen({ port, host: '127.0.0.1' });
    } catch (err) {
      lastError = err; // the port was taken meanwhile: try another
      await t.close();
      continue;
    }
    return {
      ...t,
      url,
      storage,
      async stop() {
        await t.close();
        await storage.dispose();
      },
    };
  }
  await storage.dispose();
  throw lastError;
}
