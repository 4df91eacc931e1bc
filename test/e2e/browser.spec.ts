import { copyFileSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { modelCardNames, root, syntheticLesionJpeg, watchPageProblems } from './browser-mode.ts';
import { expect, test } from './fixtures.ts';
import { enterProfile, maskArea } from './workspace.ts';

const pageProblems: string[] = [];


test('first screen: import an image, the prediction appears, the status bar names the model', async ({ page, server }) => {
  watchPageProblems(page, pageProblems);
  await page.goto(server.url);
  await enterProfile(page);
  const names = modelCardNames();
  expect(names.length, 'a model card in the models folder').toBeGreaterThan(0);
  await expect(page.getByTestId('status-model')).toContainText(new RegExp(names.map((n) => n.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('|')));
  await expect(page.getByTestId('status-provider')).not.toHaveText(/—/);

  const image = process.env['LESIONDESK_SCREENSHOT_IMAGE'];
  await page.getByTestId('import-files').setInputFiles(
    image
      ? { name: path.basename(image), mimeType: 'image/jpeg', buffer: readFileSync(image) }
      : { name: 'synthetic-lesion.jpg', mimeType: 'image/jpeg', buffer: await syntheticLesionJpeg() },
  );

  await expect(page.getByTestId('case-view')).toHaveAttribute('data-phase', 'ready', { timeout: 60_000 });
  await expect(page.getByTestId('editor-stage')).toBeVisible();
  await expect(page.getByTestId('status-time')).toContainText(/\d+(\.\d)? ms/);
  await expect(page.getByTestId('error-message')).toHaveCount(0);
  await expect.poll(() => maskArea(page)).toBeGreaterThan(0);

  const shot = test.info().outputPath('first-screen.png');
  await page.screenshot({ path: shot });
  if (process.env['UPDATE_SCREENSHOT']) copyFileSync(shot, path.join(root, 'docs/screenshot.png'));
  expect(pageProblems, 'console errors or CSP violations').toEqual([]);
});

test('a file that is not an image gives a clear message, not a stack trace', async ({ page, server }) => {
  watchPageProblems(page, pageProblems);
  await page.goto(server.url);
  await enterProfile(page);
  await page.getByTestId('import-files').setInputFiles({
    name: 'notes.jpg',
    mimeType: 'image/jpeg',
    buffer: Buffer.from('These are my notes, not a JPEG.'),
  });
  const failures = page.getByTestId('import-failures');
  await expect(failures).toBeVisible();
  await expect(failures).toContainText(/notes\.jpg.*image/);
  await expect(failures).not.toContainText(/\bat .+:\d+:\d+|Error invoking remote method/);
  await expect(page.getByTestId('case-item')).toHaveCount(0);
});

test('an empty file is reported, not imported', async ({ page, server }) => {
  await page.goto(server.url);
  await enterProfile(page);
  await page.getByTestId('import-files').setInputFiles({ name: 'empty.png', mimeType: 'image/png', buffer: Buffer.alloc(0) });
  await expect(page.getByTestId('import-failures')).toContainText('empty.png');
  await expect(page.getByTestId('case-item')).toHaveCount(0);
});

test('the page is refused without the launch token', async ({ page, server }) => {
  const response = await page.goto(`${server.origin}/`);
  expect(response?.status()).toBe(403);
  const api = await page.request.post(`${server.origin}/api/getModelInfo`, { data: Buffer.alloc(8) });
  expect(api.status()).toBe(403);
});
