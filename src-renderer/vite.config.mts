// Vite build of the renderer: src-renderer -> dist/renderer with relative asset URLs (the app
// loads it from a file or custom protocol). Runs in Node at build time only; nothing here
// ships to the page.
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

// Paths from this file's URL, so the build works from any working directory. (No node:url:
// the renderer's lint rules cover this folder.)
const here = (relative: string): string =>
  decodeURIComponent(new URL(relative, import.meta.url).pathname);
const root = here('.');

export default defineConfig({
  root,
  base: './',
  plugins: [react()],
  build: {
    outDir: here('../dist/renderer'),
    emptyOutDir: true,
    // The CSP forbids inline scripts: keep the module-preload helper inside the bundle.
    modulePreload: { polyfill: false },
    sourcemap: true,
    target: 'chrome130',
  },
});
