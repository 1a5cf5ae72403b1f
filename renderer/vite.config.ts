import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

// `vite build` bundles the app (index.html → out/renderer). `vite build --mode preview` bundles the
// dev preview with its fake API instead (dev/preview.html → out/renderer-preview); the fake API is
// reachable only from that entry, so it never enters the app's bundle.
export default defineConfig(({ mode }) => {
  const preview = mode === 'preview';
  return {
    root: import.meta.dirname,
    base: './',
    plugins: [react()],
    build: {
      outDir: preview ? '../out/renderer-preview' : '../out/renderer',
      emptyOutDir: true,
      target: 'chrome130',
      rollupOptions: { input: preview ? `${import.meta.dirname}/dev/preview.html` : `${import.meta.dirname}/index.html` },
    },
  };
});
