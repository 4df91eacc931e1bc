import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';

describe('editor core layer rule', () => {
  it('rejects Svelte, Konva, Dexie and components in renderer/src/editor, and keeps the renderer rules', async () => {
    const eslint = new ESLint();
    const code = [
      "import { mount } from 'svelte';",
      "import { writable } from 'svelte/store';",
      "import Konva from 'konva';",
      "import Dexie from 'dexie';",
      "import View from '../components/StatusBar.svelte';",
      "import fs from 'node:fs';",
      "import { fitRect } from '../lib/overlay.ts';",
      'export { mount, writable, Konva, Dexie, View, fs, fitRect };',
    ].join('\n');
    const [result] = await eslint.lintText(code, { filePath: 'renderer/src/editor/layer-probe.ts' });
    const restricted = (result?.messages ?? []).filter((m) => m.ruleId === 'no-restricted-imports');
    expect(restricted.map((m) => m.line)).toEqual([1, 2, 3, 4, 5, 6]);
  });
});
