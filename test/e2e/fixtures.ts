/** Playwright's `test` with `server`: one browser-mode server per worker, stopped after its tests. */
import { test as base } from '@playwright/test';
import { startServe, type RunningServer } from './browser-mode.ts';

export { expect } from '@playwright/test';

export const test = base.extend<object, { server: RunningServer }>({
  server: [
    // Playwright reads the fixtures a fixture needs from this destructuring: none.
    // eslint-disable-next-line no-empty-pattern
    async ({}, use) => {
      const server = await startServe();
      await use(server);
      await server.stop();
    },
    { scope: 'worker' },
  ],
});
