import { svelte } from '@sveltejs/vite-plugin-svelte';
import { defineConfig } from 'vitest/config';

/** Unit tests live beside the code; integration tests in test/integration. E2E is Playwright. */
export default defineConfig({
  // State classes in `.svelte.ts` files (runes) compile as in the app, so their rules are unit-tested.
  plugins: [svelte({ configFile: './svelte.config.js' })],
  test: {
    include: ['*.test.ts', '{main,preload,renderer,scripts}/**/*.test.ts', 'test/integration/**/*.test.ts'],
    // *.browser.test.ts need IndexedDB and canvas: vitest.browser.config.ts runs them in Chromium.
    exclude: ['**/node_modules/**', '**/*.browser.test.ts'],
    environment: 'node',
    testTimeout: 30_000,
    hookTimeout: 60_000,
  },
});
