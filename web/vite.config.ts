import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';
import preact from '@preact/preset-vite';

const root = fileURLToPath(new URL('.', import.meta.url));

/**
 * The dashboard: `npx vite build --config web/vite.config.ts` writes dist/web, which Hestia
 * serves at `/`. `npx vite --config web/vite.config.ts` serves it with hot reload and forwards
 * the API (and the live feed's WebSocket) to a running Hestia: HESTIA_API, default
 * http://127.0.0.1:8080.
 */
const api = process.env.HESTIA_API ?? 'http://127.0.0.1:8080';

export default defineConfig({
  root,
  plugins: [preact()],
  build: {
    outDir: '../dist/web',
    emptyOutDir: true,
    // Browsers of wall panels and phones of the last few years.
    target: 'es2022',
    // uPlot reaches the browser only with the device page (a dynamic import), not on first load.
    chunkSizeWarningLimit: 300,
  },
  server: {
    proxy: {
      '/v1': { target: api, ws: true, changeOrigin: true },
      '/docs': { target: api, changeOrigin: true },
      '/openapi.json': { target: api, changeOrigin: true },
    },
  },
});
