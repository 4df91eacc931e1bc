// Layers are rules, not advice: the renderer never reaches main or Node, main never reaches the
// renderer, and the two share only preload/api.ts (see ../shared/STYLE.md).
import { builtinModules } from 'node:module';
import js from '@eslint/js';
import svelte from 'eslint-plugin-svelte';
import globals from 'globals';
import tseslint from 'typescript-eslint';

const nodeBuiltins = builtinModules.flatMap((m) => [m, `node:${m}`]);

const onlyTheContract = {
  group: ['**/preload/**', '!**/preload/api.ts', '!**/preload/api.js'],
  message: 'main/ and renderer/ share only preload/api.ts (the contract).',
};
const noRenderer = { group: ['**/renderer/**'], message: 'main/ never imports the renderer.' };
const noMain = { group: ['**/main/**'], message: 'The renderer reaches main only through preload/api.ts.' };
const rendererPaths = [
  { name: 'electron', message: 'The renderer reaches Electron only through window.lesiondesk.' },
  ...nodeBuiltins.map((name) => ({ name, message: 'The renderer runs in a browser: no Node built-ins.' })),
];
const noUiInEditorCore = {
  group: ['svelte', 'svelte/*', 'konva', 'konva/*', 'dexie', 'dexie/*', '**/*.svelte'],
  message: 'The editor core imports no Svelte, Konva or Dexie; the UI and storage adapt it.',
};
// Only renderer/src/storage talks to IndexedDB; everything else goes through its CaseRepository.
const noDexie = { name: 'dexie', message: 'Only renderer/src/storage imports Dexie; use its CaseRepository.' };
const noDexieSubpaths = { group: ['dexie/*'], message: noDexie.message };
// State classes (`*.svelte.ts`: the case session, the workspace, MainState, the panels' states)
// hold the rules; Konva draws (editor-stage.ts, components) and components read the classes.
const noKonvaInState = {
  group: ['konva', 'konva/*', '**/*.svelte'],
  message: 'State classes (the case session, *.svelte.ts) import no Konva and no components: views read them.',
};
// A component is layout over state: past a screen or two it holds logic that belongs in a class.
const componentMaxLines = 400;
const noElectron = {
  name: 'electron',
  message: 'This module must run without Electron (browser mode, CLI, tests); keep Electron in main/index.ts, main/ipc/electron-ipc.ts and main/window/main-window.ts.',
};

export default tseslint.config(
  {
    ignores: ['out/', 'dist/', 'release/', 'coverage/', 'node_modules/', 'models/', 'test-results/', 'playwright-report/', 'bench/results/'],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  ...svelte.configs['flat/recommended'],
  {
    languageOptions: { globals: { ...globals.node } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    files: ['**/*.svelte', '**/*.svelte.ts'],
    languageOptions: { parserOptions: { parser: tseslint.parser, extraFileExtensions: ['.svelte'] } },
  },
  {
    files: ['renderer/**'],
    languageOptions: { globals: { ...globals.browser } },
    rules: { 'no-restricted-imports': ['error', { paths: [...rendererPaths, noDexie], patterns: [noMain, onlyTheContract, noDexieSubpaths] }] },
  },
  {
    files: ['renderer/src/case/session/**', 'renderer/src/**/*.svelte.ts'],
    rules: { 'no-restricted-imports': ['error', { paths: [...rendererPaths, noDexie], patterns: [noMain, onlyTheContract, noDexieSubpaths, noKonvaInState] }] },
  },
  {
    // Every line counts (markup, script and style): the file is what a reader has to hold.
    files: ['**/*.svelte'],
    rules: { 'max-lines': ['error', { max: componentMaxLines, skipBlankLines: false, skipComments: false }] },
  },
  {
    // The storage module is the one place allowed to import Dexie (same rules otherwise).
    files: ['renderer/src/storage/**'],
    rules: { 'no-restricted-imports': ['error', { paths: rendererPaths, patterns: [noMain, onlyTheContract] }] },
  },
  {
    // The editor core (mask raster, tools, history, measurements) is framework-free: Konva draws
    // it, Svelte components wrap it, the storage module persists it. A later block replaces the
    // rule's options rather than merging them, hence the renderer's rules again.
    files: ['renderer/src/editor/**'],
    rules: { 'no-restricted-imports': ['error', { paths: rendererPaths, patterns: [noMain, onlyTheContract, noUiInEditorCore] }] },
  },
  {
    files: ['main/**'],
    rules: { 'no-restricted-imports': ['error', { patterns: [noRenderer, onlyTheContract] }] },
  },
  {
    // Everything in main that is not the Electron shell itself must run in plain Node.
    files: ['main/**'],
    ignores: ['main/index.ts', 'main/ipc/electron-ipc.ts', 'main/window/main-window.ts'],
    rules: { 'no-restricted-imports': ['error', { paths: [noElectron], patterns: [noRenderer, onlyTheContract] }] },
  },
  {
    files: ['preload/api.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [{ name: 'electron', message: 'The contract is shared with the renderer: no Electron.' }, ...nodeBuiltins],
          patterns: [noMain, noRenderer],
        },
      ],
    },
  },
  {
    files: ['preload/index.ts'],
    rules: {
      'no-restricted-imports': ['error', { paths: nodeBuiltins, patterns: [noMain, noRenderer] }],
    },
  },
);
