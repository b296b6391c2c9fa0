// One runner for every suite. Projects split by environment and cost; `npm test` runs them
// all through scripts/run-tests.mjs, which prints the closing `N passed, N failed` line.
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.ts'],
          environment: 'node',
          setupFiles: ['test/harness/electron-stand-in.ts'],
        },
      },
      {
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts', 'test/packaging/**/*.test.ts'],
          environment: 'node',
          setupFiles: ['test/harness/electron-stand-in.ts'],
          testTimeout: 120_000,
          hookTimeout: 60_000,
          // Network tests bind real ports and move real bytes: one file at a time keeps
          // them from starving each other on a 2-core machine.
          fileParallelism: false,
        },
      },
      {
        plugins: [react()],
        test: {
          name: 'renderer',
          include: ['test/renderer/**/*.test.{ts,tsx}'],
          environment: 'jsdom',
          globals: true,
          // Main's real services for the screens, in a host process of their own
          // (test/renderer/main-services.ts).
          globalSetup: ['test/harness/renderer-global-setup.ts'],
          setupFiles: ['test/harness/renderer-setup.ts'],
        },
      },
      {
        test: {
          name: 'e2e',
          include: ['test/e2e/**/*.test.ts'],
          environment: 'node',
          testTimeout: 180_000,
          hookTimeout: 120_000,
          fileParallelism: false,
        },
      },
      {
        // The packaged app in a real Electron: only on the build workflow's runners
        // (`npm run test:electron`); scripts/run-tests.mjs leaves it out.
        test: {
          name: 'electron',
          include: ['test/electron/**/*.test.ts'],
          environment: 'node',
          testTimeout: 180_000,
          hookTimeout: 60_000,
          fileParallelism: false,
        },
      },
    ],
  },
});
