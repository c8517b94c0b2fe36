import { resolve } from 'node:path';
import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';

// Two apps, one build: the viewer app at / (index.html) and the admin console at /admin
// (admin/index.html). They share src/shared and the chunks Rollup splits out of both. `codeflix`
// embeds dist/ and serves it (gateway crate); `npm run dev` proxies the APIs to `codeflix up`.
const gateway = process.env.CODEFLIX_GATEWAY ?? 'http://127.0.0.1:8000';

export default defineConfig({
  plugins: [react()],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    manifest: true,
    // shaka-player (about 700 kB, 240 kB gzip) is one chunk loaded only by the video page.
    chunkSizeWarningLimit: 800,
    rollupOptions: {
      input: {
        viewer: resolve(import.meta.dirname, 'index.html'),
        admin: resolve(import.meta.dirname, 'admin/index.html'),
      },
    },
  },
  server: {
    proxy: {
      '/api': gateway,
      '/config.json': gateway,
    },
  },
  test: {
    environment: 'jsdom',
    include: ['src/**/*.test.{ts,tsx}'],
    setupFiles: ['src/test-setup.ts'],
  },
});
