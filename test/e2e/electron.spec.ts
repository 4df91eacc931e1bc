import { _electron as electron, expect, test } from '@playwright/test';
import { findElectronBinary } from '../../scripts/electron-binary.mjs';
import { modelCardNames, root, syntheticLesionJpeg } from './browser-mode.ts';

const binary = findElectronBinary();
const skipReason = 'Electron smoke test skipped: no Electron binary is installed (node_modules/electron/dist is missing).';
if (!binary) console.log(skipReason);

test.describe('Electron', () => {
  test.skip(!binary, skipReason);

  test('smoke: the window opens from app://, preload exposes only the contract, an image segments', async () => {
    const app = await electron.launch({
      executablePath: binary!,
      // The project folder: Electron reads package.json "main" (out/main/index.js) from it.
      args: [root],
      cwd: root,
    });
    try {
      const window = await app.firstWindow();
      expect(window.url()).toBe('app://lesiondesk/index.html');
      const surface = await window.evaluate(() => ({
        methods: Object.keys((window as unknown as { lesiondesk: object }).lesiondesk).sort(),
        node: typeof (globalThis as { require?: unknown }).require,
      }));
      expect(surface).toEqual({
        methods: ['getAppInfo', 'getModelInfo', 'listModels', 'openExternal', 'segmentImage'],
        node: 'undefined',
      });
      await expect(window.getByTestId('status-model')).toContainText(modelCardNames()[0] ?? 'model');
      await window.getByTestId('open-image').setInputFiles({
        name: 'synthetic-lesion.jpg',
        mimeType: 'image/jpeg',
        buffer: await syntheticLesionJpeg(),
      });
      await expect(window.getByTestId('overlay')).toHaveAttribute('data-drawn', 'true');
    } finally {
      await app.close();
    }
  });
});
