import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';
import { minifyTemplatesPlugin } from './widgets/minify-templates.js';

/**
 * The widget module: web/widgets/v1.ts → web/dist/widgets/v1.js, one self-contained, minified
 * ES module (no chunks, no CSS files: the styles live in the components' shadow roots). Built after the
 * app (whose build empties web/dist): `npm run build:web` runs both. Budget: `npm run check:widget-size`.
 *
 * Not Vite's library mode: for an ES library it keeps the whitespace, which costs ~40% of the gzip budget.
 */
export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  logLevel: 'warn',
  plugins: [minifyTemplatesPlugin()],
  publicDir: false,
  // Always Lit's production build: with NODE_ENV=test (a build started from vitest) the default
  // conditions would pick its development build (+13 KB, dev-mode warnings in the host page's console).
  resolve: { conditions: ['module', 'browser', 'production'] },
  build: {
    outDir: 'dist/widgets',
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: false,
    minify: true,
    modulePreload: false,
    reportCompressedSize: true,
    rolldownOptions: {
      input: fileURLToPath(new URL('./widgets/v1.ts', import.meta.url)),
      preserveEntrySignatures: 'strict',
      output: {
        format: 'es',
        entryFileNames: 'v1.js',
        codeSplitting: false,
      },
    },
  },
});
