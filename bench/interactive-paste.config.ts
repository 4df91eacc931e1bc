/**
 * The Node half of `npm run bench:interactive-ui` (bench/interactive-paste.bench.ts): its file
 * name does not match the tests' pattern, so the tests never run it.
 */
import path from 'node:path';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  root: path.resolve(import.meta.dirname, '..'),
  test: { include: ['bench/interactive-paste.bench.ts'], environment: 'node' },
});
