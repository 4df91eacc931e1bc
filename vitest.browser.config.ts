import { svelte } from '@sveltejs/vite-plugin-svelte';
import { playwright } from '@vitest/browser-playwright';
import { defineConfig } from 'vitest/config';
import { chromiumPath } from './playwright.config.ts';
import { interactiveCropFixture } from './test/browser/interactive-crop-commands.ts';

/**
 * Tests that need a real browser (IndexedDB, createImageBitmap, OffscreenCanvas): files named
 * `*.browser.test.ts`, run by Vitest in the system's Chromium through Playwright. No browser is
 * downloaded; CHROMIUM_PATH overrides /usr/bin/chromium as for the end-to-end tests.
 */
export default defineConfig({
  // Components (and `.svelte.ts` test modules with runes) compile as in the app.
  plugins: [svelte({ configFile: './svelte.config.js' })],
  // Pre-bundle up front: discovering a dependency mid-run makes Vite reload the test page.
  optimizeDeps: { include: ['dexie', 'fflate', 'konva', 'zod', 'svelte', 'svelte/internal/client'] },
  test: {
    include: ['renderer/**/*.browser.test.ts'],
    // Seeding 10,000 cases on a machine shared with model training can take a minute or more.
    testTimeout: 300_000,
    hookTimeout: 120_000,
    fileParallelism: false,
    browser: {
      enabled: true,
      headless: true,
      screenshotFailures: false,
      // A busy CI machine can take over a minute to bring Chromium and the first page up.
      connectTimeout: 300_000,
      provider: playwright({
        launchOptions: {
          executablePath: chromiumPath,
          args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--disable-background-networking', '--disable-component-update', '--no-first-run'],
        },
      }),
      instances: [{ browser: 'chromium' }],
      // Node-side helpers a browser test calls (import { commands } from 'vitest/browser').
      commands: { interactiveCropFixture },
    },
  },
});
