import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';

const eslint = new ESLint({ cwd: import.meta.dirname });

async function restrictedImports(filePath: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath });
  return (result?.messages ?? []).filter((m) => m.ruleId === 'no-restricted-imports').map((m) => m.message);
}

// The first lint loads every plugin and parser: slow on a busy machine.
describe('layer rules', { timeout: 120_000 }, () => {
  it('keep the renderer away from main, Node, Electron and the preload script', async () => {
    const code = [
      "import { app } from 'electron';",
      "import fs from 'node:fs';",
      "import { createAppHandlers } from '../../main/app-handlers.ts';",
      "import '../../preload/index.ts';",
      "import { api } from '../../preload/api.ts';",
      'export { app, fs, createAppHandlers, api };',
    ].join('\n');
    const messages = await restrictedImports('renderer/src/lib/layer-probe.ts', code);
    expect(messages).toHaveLength(4);
    expect(messages.join('\n')).toMatch(/main\/app-handlers/);
  });

  it('keep main away from the renderer, and Electron out of plain-Node modules', async () => {
    const code = "import App from '../renderer/src/App.svelte';\nimport { app } from 'electron';\nexport { App, app };\n";
    expect(await restrictedImports('main/http/layer-probe.ts', code)).toHaveLength(2);
    expect(await restrictedImports('main/index.ts', "import { app } from 'electron';\nexport { app };\n")).toHaveLength(0);
  });

  it('keep the contract free of Node and Electron', async () => {
    const code = "import fs from 'node:fs';\nimport { z } from 'zod';\nexport { fs, z };\n";
    expect(await restrictedImports('preload/api.ts', code)).toHaveLength(1);
  });
});

describe('storage layer', () => {
  it('lets only renderer/src/storage import Dexie', async () => {
    const code = "import { Dexie } from 'dexie';\nexport { Dexie };\n";
    const messages = await restrictedImports('renderer/src/exchange/probe.ts', code);
    expect(messages).toHaveLength(1);
    expect(messages[0]).toMatch(/Only renderer\/src\/storage imports Dexie/);
    expect(await restrictedImports('renderer/src/App.svelte.ts', "import 'dexie/dist/dexie.mjs';\n")).toHaveLength(1);
    expect(await restrictedImports('renderer/src/storage/probe.ts', code)).toHaveLength(0);
    // The storage module keeps the other renderer rules.
    expect(await restrictedImports('renderer/src/storage/probe.ts', "import fs from 'node:fs';\nexport { fs };\n")).toHaveLength(1);
  });
});

describe('case session', () => {
  it('keeps Konva, Dexie and components out of the state classes', async () => {
    const code = "import Konva from 'konva';\nimport { Dexie } from 'dexie';\nimport View from '../CaseView.svelte';\nexport { Konva, Dexie, View };\n";
    const messages = await restrictedImports('renderer/src/case/session/probe.svelte.ts', code);
    expect(messages).toHaveLength(3);
    expect(await restrictedImports('renderer/src/case/editor-stage-probe.ts', "import Konva from 'konva';\nexport { Konva };\n")).toHaveLength(0);
  });

  it('keeps Konva, Dexie and components out of every state class (*.svelte.ts), wherever it lives', async () => {
    const code = "import Konva from 'konva';\nimport { Dexie } from 'dexie';\nimport View from './View.svelte';\nexport { Konva, Dexie, View };\n";
    for (const folder of ['workspace', 'training', 'models', 'library', 'lib']) {
      expect(await restrictedImports(`renderer/src/${folder}/probe.svelte.ts`, code)).toHaveLength(3);
    }
  });
});

describe('component size', () => {
  it('refuses a component over 400 lines', async () => {
    const component = (lines: number): string => `<script lang="ts">\n  let n = $state(0);\n</script>\n\n<button onclick={() => n++}>{n}</button>\n${'<p>line</p>\n'.repeat(lines - 5)}`;
    const lint = async (lines: number, filePath = 'renderer/src/workspace/Probe.svelte') => {
      const [result] = await eslint.lintText(component(lines), { filePath });
      return (result?.messages ?? []).filter((m) => m.ruleId === 'max-lines');
    };
    expect(await lint(400)).toHaveLength(0);
    expect(await lint(401)).toHaveLength(1);
  });
});
