import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const repo = fileURLToPath(new URL('..', import.meta.url));

// The web app: root web/, built into web/dist (the Fastify server serves it at /). It imports the pure
// auction core from src/domain (TypeScript; its .js import specifiers resolve to the .ts files).
export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: '/',
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: false,
    reportCompressedSize: true,
    chunkSizeWarningLimit: 120,
  },
  server: {
    fs: { allow: [repo] },
    // `npx vite --config web/vite.config.ts` with the API on :3100
    proxy: { '/api': { target: 'http://localhost:3100', ws: true, changeOrigin: false } },
  },
});
