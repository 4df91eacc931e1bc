/**
 * Browser-mode events in a real Chromium: the renderer's own transport (connectApi from
 * renderer/src/lib/transport.ts, bundled here) subscribes with api.onEvent, and an event
 * published on the server's hub arrives through EventSource, authorised by the page's HttpOnly
 * cookie. The server runs in this process with a hub the test controls: the real services
 * publish only on job and model changes, and no test hook should exist in `npm run serve`.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { expect, test } from '@playwright/test';
import { build } from 'rolldown';
import { methodNames, type ApiEvent, type ApiEventListener, type ApiHandlers } from '../../preload/api.ts';
import { startBrowserServer, type BrowserServer } from '../../main/http/server.ts';
import { createEventHub } from '../../main/services/events.ts';
import { root, watchPageProblems } from './browser-mode.ts';

let dir: string;
let server: BrowserServer;
const hub = createEventHub();
let streams = 0;
const events = {
  subscribe(listener: ApiEventListener) {
    streams++;
    const unsubscribe = hub.subscribe(listener);
    return () => {
      streams--;
      unsubscribe();
    };
  },
};

test.beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'lesiondesk-events-'));
  writeFileSync(
    path.join(dir, 'entry.ts'),
    `import { connectApi } from ${JSON.stringify(path.join(root, 'renderer/src/lib/transport.ts'))};
     const api = connectApi();
     const received = [];
     (globalThis as any).received = received;
     (globalThis as any).stop = api.onEvent((event) => received.push(event));`,
  );
  await build({ input: path.join(dir, 'entry.ts'), output: { file: path.join(dir, 'client.js'), format: 'iife' }, logLevel: 'warn' });
  // The server injects the token meta tag before </head>; the script is deferred, as the real
  // page's module script is, so it runs after the tag exists.
  writeFileSync(path.join(dir, 'index.html'), '<!doctype html><html><head><link rel="icon" href="data:,"><script defer src="/client.js"></script></head><body></body></html>');
  const unused = async (): Promise<never> => {
    throw new Error('not used in this test');
  };
  const handlers = Object.fromEntries(methodNames.map((m) => [m, unused])) as unknown as ApiHandlers;
  server = await startBrowserServer({ handlers, rendererDir: dir, events });
});

test.afterAll(async () => {
  await server?.close();
  rmSync(dir, { recursive: true, force: true });
});

test("the renderer transport's onEvent receives the server's events over the cookie-authorised stream", async ({ page }) => {
  const problems: string[] = [];
  watchPageProblems(page, problems);
  await page.goto(server.url);
  await expect.poll(() => streams, { message: `page problems: ${problems.join('; ')}` }).toBe(1);

  const event: ApiEvent = { type: 'active-model-changed', active: 'scsonet-isic2017@1.1.0', previous: 'scsonet-isic2017@1.0.0' };
  hub.publish(event);
  await expect.poll(() => page.evaluate(() => (globalThis as unknown as { received: unknown[] }).received)).toEqual([event]);

  // The last listener gone, the page closes its EventSource and the server lets go of the hub.
  await page.evaluate(() => (globalThis as unknown as { stop: () => void }).stop());
  await expect.poll(() => streams).toBe(0);
  expect(problems).toEqual([]);
});
