import { copyFileSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { expect, test, type Page } from '@playwright/test';
import { modelCardNames, root, startServe, syntheticLesionJpeg, type RunningServer } from './browser-mode.ts';

let server: RunningServer;
const pageProblems: string[] = [];

test.beforeAll(async () => {
  server = await startServe();
});

test.afterAll(async () => {
  await server?.stop();
});

function watch(page: Page): void {
  page.on('console', (msg) => {
    if (msg.type() === 'error' || /Content Security Policy/i.test(msg.text())) pageProblems.push(msg.text());
  });
  page.on('pageerror', (error) => pageProblems.push(error.message));
}

test('first screen: open an image, the overlay appears, the status bar names the model', async ({ page }) => {
  watch(page);
  await page.goto(server.url);
  const names = modelCardNames();
  expect(names.length, 'a model card in the models folder').toBeGreaterThan(0);
  await expect(page.getByTestId('status-model')).toContainText(new RegExp(names.map((n) => n.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('|')));
  await expect(page.getByTestId('status-provider')).not.toHaveText(/—/);

  const image = process.env['LESIONDESK_SCREENSHOT_IMAGE'];
  await page.getByTestId('open-image').setInputFiles(
    image
      ? { name: path.basename(image), mimeType: 'image/jpeg', buffer: readFileSync(image) }
      : { name: 'synthetic-lesion.jpg', mimeType: 'image/jpeg', buffer: await syntheticLesionJpeg() },
  );

  const overlay = page.getByTestId('overlay');
  await expect(overlay).toHaveAttribute('data-drawn', 'true');
  await expect(page.getByTestId('image-view')).toBeVisible();
  await expect(page.getByTestId('status-time')).toContainText(/\d+(\.\d)? ms/);
  await expect(page.getByTestId('error-message')).toHaveCount(0);

  // The overlay canvas really holds drawn pixels (fill or outline), not an empty layer.
  // (Typed structurally: this file is compiled with the Node libs, without the DOM.)
  type Canvas = { width: number; height: number; getContext(kind: '2d'): { getImageData(x: number, y: number, w: number, h: number): { data: Uint8ClampedArray } } };
  const painted = await overlay.evaluate((element) => {
    const canvas = element as unknown as Canvas;
    const data = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
    let n = 0;
    for (let i = 3; i < data.length; i += 4) if (data[i]! > 0) n++;
    return n;
  });
  expect(painted).toBeGreaterThan(0);

  const shot = test.info().outputPath('first-screen.png');
  await page.screenshot({ path: shot });
  if (process.env['UPDATE_SCREENSHOT']) copyFileSync(shot, path.join(root, 'docs/screenshot.png'));
  expect(pageProblems, 'console errors or CSP violations').toEqual([]);
});

test('a file that is not an image gives a clear message, not a stack trace', async ({ page }) => {
  watch(page);
  await page.goto(server.url);
  await page.getByTestId('open-image').setInputFiles({
    name: 'notes.jpg',
    mimeType: 'image/jpeg',
    buffer: Buffer.from('These are my notes, not a JPEG.'),
  });
  const error = page.getByTestId('error-message');
  await expect(error).toBeVisible();
  await expect(error).toContainText(/notes\.jpg|image|decode|format/i);
  await expect(error).not.toContainText(/\bat .+:\d+:\d+|Error invoking remote method/);
  await expect(page.locator('[data-testid="overlay"][data-drawn="true"]')).toHaveCount(0);
});

test('an empty file is refused before it is sent', async ({ page }) => {
  await page.goto(server.url);
  await page.getByTestId('open-image').setInputFiles({ name: 'empty.png', mimeType: 'image/png', buffer: Buffer.alloc(0) });
  await expect(page.getByTestId('error-message')).toContainText('empty.png is empty (0 bytes)');
});

test('the page is refused without the launch token', async ({ page }) => {
  const response = await page.goto(`${server.origin}/`);
  expect(response?.status()).toBe(403);
  const api = await page.request.post(`${server.origin}/api/getModelInfo`, { data: Buffer.alloc(8) });
  expect(api.status()).toBe(403);
});
