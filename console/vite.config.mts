import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';
import preact from '@preact/preset-vite';

/** The console builds to console/dist, served under /console/ by functions/console.ts. */
export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: '/console/',
  plugins: [preact()],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    reportCompressedSize: true,
  },
  server: {
    // `npx vite console` during development: the API of a running `npm start`.
    proxy: { '/v1': 'http://127.0.0.1:3000' },
  },
});
