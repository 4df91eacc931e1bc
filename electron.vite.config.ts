/**
 * One build for the three parts: main (Node, ESM), preload (sandboxed, so one CommonJS file
 * with its dependencies bundled), renderer (Svelte 5). Output goes to out/{main,preload,renderer}.
 */
import { resolve } from 'node:path';
import { svelte } from '@sveltejs/vite-plugin-svelte';
import { defineConfig } from 'electron-vite';

const root = import.meta.dirname;
const at = (p: string) => resolve(root, p);

export default defineConfig({
  main: {
    build: {
      outDir: at('out/main'),
      rolldownOptions: {
        input: {
          index: at('main/index.ts'),
          // Browser mode: plain Node, no Electron (npm run serve).
          serve: at('main/http/serve.ts'),
        },
      },
    },
  },
  preload: {
    build: {
      outDir: at('out/preload'),
      // A sandboxed preload can only require('electron'): bundle zod and the contract into it.
      externalizeDeps: false,
      rolldownOptions: {
        input: { index: at('preload/index.ts') },
        output: { format: 'cjs', entryFileNames: '[name].cjs' },
      },
    },
  },
  renderer: {
    root: at('renderer'),
    base: './',
    plugins: [svelte({ configFile: at('svelte.config.js') })],
    build: {
      outDir: at('out/renderer'),
      emptyOutDir: true,
      rolldownOptions: { input: at('renderer/index.html') },
    },
  },
});
