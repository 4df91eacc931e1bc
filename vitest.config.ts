import { defineConfig } from 'vitest/config';

/** Unit tests live beside the code; integration tests in test/integration. E2E is Playwright. */
export default defineConfig({
  test: {
    include: ['*.test.ts', '{main,preload,renderer,scripts}/**/*.test.ts', 'test/integration/**/*.test.ts'],
    // *.browser.test.ts need IndexedDB and canvas: vitest.browser.config.ts runs them in Chromium.
    exclude: ['**/node_modules/**', '**/*.browser.test.ts'],
    environment: 'node',
    testTimeout: 30_000,
    hookTimeout: 60_000,
  },
});
