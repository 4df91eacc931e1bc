/**
 * `npm run bench:export`: the export and restore benchmark (renderer/src/exchange/
 * export.browser.bench.ts) in the system Chromium, with the browser tests' settings. Its file
 * name does not match the tests' pattern, so the tests never run it.
 */
import os from 'node:os';
import path from 'node:path';
import { defineConfig } from 'vitest/config';
import browser from '../vitest.browser.config.ts';

export default defineConfig({
  ...browser,
  root: path.resolve(import.meta.dirname, '..'),
  test: {
    ...browser.test,
    include: ['renderer/src/exchange/export.browser.bench.ts'],
    browser: {
      ...browser.test!.browser!,
      enabled: true,
      // The machine is shared: each result records its load.
      commands: { loadAverage: () => os.loadavg().map((x) => Math.round(x * 100) / 100) },
    },
  },
});
