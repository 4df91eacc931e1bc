/**
 * The annotation workspace end to end, in browser mode against the real services and the real
 * IndexedDB: import, prediction, editing, review, persistence, ISIC export and re-import, and an
 * import with a corrupt file.
 */
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync, copyFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Page } from '@playwright/test';
import { unzipSync } from 'fflate';
import sharp from 'sharp';
import { createClient, createHttpInvoke } from '../../preload/api.ts';
import { modelCardNames, root, syntheticLesionJpeg, watchPageProblems } from './browser-mode.ts';
import { expect, test } from './fixtures.ts';
import { enterProfile, maskArea, stagePoint, strokeOnStage } from './workspace.ts';

const pageProblems: string[] = [];


/** Lesion pixels of a 0/255 mask PNG, and its raw pixels for comparison. */
async function decodeMask(png: Uint8Array): Promise<{ area: number; pixels: Buffer }> {
  const { data } = await sharp(png).greyscale().raw().toBuffer({ resolveWithObject: true });
  let area = 0;
  for (const v of data) if (v >= 128) area++;
  return { area, pixels: data };
}

async function exportIsic(page: Page): Promise<Map<string, Uint8Array>> {
  await page.getByTestId('export-menu').click();
  const download = page.waitForEvent('download');
  await page.getByTestId('export-isic').click();
  const file = await (await download).path();
  return new Map(Object.entries(unzipSync(new Uint8Array(readFileSync(file)))));
}

const image = { width: 800, height: 600 };

test('import, predict, edit, undo, redo, fill holes, approve, reload, export ISIC, re-import', async ({ page, server }) => {
  test.setTimeout(240_000);
  watchPageProblems(page, pageProblems);
  await page.goto(server.url);
  await enterProfile(page);
  const [modelName] = modelCardNames();
  await expect(page.locator('header').getByTestId('model-version')).toContainText(new RegExp(`${modelName}@\\d`));

  await page.getByTestId('import-files').setInputFiles({ name: 'lesion-a.jpg', mimeType: 'image/jpeg', buffer: await syntheticLesionJpeg(image.width, image.height) });
  await expect(page.getByTestId('case-item')).toHaveCount(1);
  await expect(page.getByTestId('import-report')).toContainText('Imported 1 image');

  // The first imported case opens; the prediction is computed, stored, and moves the case on.
  await expect(page.getByTestId('case-view')).toHaveAttribute('data-phase', 'ready', { timeout: 60_000 });
  await expect(page.getByTestId('case-status')).toHaveAttribute('data-status', 'predicted');
  await expect(page.getByTestId('status-time')).toContainText(/\d+(\.\d)? ms/);
  // Measurements arrive from a worker a moment after the mask is shown.
  await expect.poll(() => maskArea(page)).toBeGreaterThan(1000);
  const predicted = await maskArea(page);

  // Brush outside the lesion: the area grows; undo takes it back; redo repeats it.
  const stage = page.getByTestId('editor-stage');
  await page.getByTestId('tool-brush').click();
  await page.getByTestId('brush-size').fill('30');
  await strokeOnStage(page, stage, image, [[60, 60], [200, 60]]);
  await expect.poll(() => maskArea(page)).toBeGreaterThan(predicted);
  const brushed = await maskArea(page);
  await page.getByTestId('undo').click();
  await expect.poll(() => maskArea(page)).toBe(predicted);
  await page.getByTestId('redo').click();
  await expect.poll(() => maskArea(page)).toBe(brushed);

  // Erase a hole inside the lesion; fill holes closes it again.
  await page.getByTestId('tool-eraser').click();
  await page.getByTestId('brush-size').fill('12');
  await strokeOnStage(page, stage, image, [[395, 290], [405, 292]]);
  await expect.poll(() => maskArea(page)).toBeLessThan(brushed);
  await page.getByTestId('tool-fill-holes').click();
  await expect.poll(() => maskArea(page)).toBe(brushed);
  await expect(page.getByTestId('save-state')).toHaveText('All changes saved', { timeout: 10_000 });
  await expect(page.getByTestId('case-status')).toHaveAttribute('data-status', 'in-progress');

  // Calibrate this case with the ruler: two clicks 200 image pixels apart, said to be 10 mm.
  await expect(page.getByTestId('calibration')).toHaveText(/Not calibrated/);
  await page.getByTestId('tool-ruler').click();
  for (const [x, y] of [[100, 500], [300, 500]] as const) {
    const point = await stagePoint(stage, image, x, y);
    await page.mouse.click(point.x, point.y);
  }
  await page.getByRole('textbox', { name: 'Distance in millimetres' }).fill('10');
  await page.getByRole('button', { name: 'Set for this case' }).click();
  await expect(page.getByTestId('calibration')).toHaveText(/^\s*(19|20|21)\.\d\d px\/mm · this case\s*$/);
  const calibrated = (await page.getByTestId('calibration').textContent())!.trim();
  await expect(page.getByRole('region', { name: 'Measurements' })).toContainText('mm²');

  await page.getByTestId('approve').click();
  await expect(page.getByTestId('review-status')).toHaveAttribute('data-status', 'approved');
  await expect(page.getByTestId('case-status')).toHaveAttribute('data-status', 'approved');
  // The case view's own badge follows a status change made in the review bar.
  await expect(page.getByTestId('case-view-status')).toHaveText(/approved/i);

  // Everything survives a reload: the profile, the case, its status and the edited mask.
  await page.reload();
  await expect(page.getByTestId('annotator')).toHaveText('Dr Ana Silva');
  await expect(page.getByTestId('profile-dialog')).toBeHidden();
  await expect(page.getByTestId('case-status')).toHaveAttribute('data-status', 'approved');
  await page.getByTestId('case-item').click();
  await expect(page.getByTestId('case-view')).toHaveAttribute('data-phase', 'ready');
  await expect.poll(() => maskArea(page)).toBe(brushed);
  // The case's calibration is in the library database (not in this page's memory, nor in localStorage).
  await expect(page.getByTestId('calibration')).toHaveText(calibrated);
  const stored = (await page.context().storageState()).origins.flatMap((origin) => origin.localStorage.map((item) => item.name));
  expect(stored.filter((name) => name.startsWith('lesiondesk.calibration.'))).toEqual([]);
  await page.getByTestId('history-toggle').click();
  await expect(page.getByTestId('history-version')).toHaveCount(2);
  await expect(page.getByTestId('history-panel')).toContainText('Dr Ana Silva');

  // ISIC export: the image and a 0/255 mask with exactly the approved pixels.
  const exported = await exportIsic(page);
  expect([...exported.keys()].sort()).toEqual(['images/lesion-a.jpg', 'masks/lesion-a_segmentation.png']);
  const firstMask = await decodeMask(exported.get('masks/lesion-a_segmentation.png')!);
  expect(firstMask.area).toBe(brushed);

  // Re-import the exported folder: same image (no new case), its mask becomes a ground-truth version.
  const folder = path.join(mkdtempSync(path.join(tmpdir(), 'lesiondesk-isic-')), 'isic-export');
  for (const [name, bytes] of exported) {
    mkdirSync(path.dirname(path.join(folder, name)), { recursive: true });
    writeFileSync(path.join(folder, name), bytes);
  }
  await page.getByTestId('import-folder').setInputFiles(folder);
  await expect(page.getByTestId('import-report')).toContainText('1 already in the library');
  await expect(page.getByTestId('import-report')).toContainText('1 mask');
  await expect(page.getByTestId('case-item')).toHaveCount(1);
  await expect(page.locator('[data-testid="history-version"][data-author-kind="ground-truth"]')).toHaveCount(1);

  // Pixel for pixel: exporting the re-imported ground truth gives the same mask.
  await page.getByTestId('export-menu').click();
  await page.getByText('Selected case').click();
  await page.getByTestId('export-menu').click();
  const again = await exportIsic(page);
  const secondMask = await decodeMask(again.get('masks/lesion-a_segmentation.png')!);
  expect(secondMask.pixels.equals(firstMask.pixels)).toBe(true);

  // An approved case is locked: restoring needs it reopened first.
  await expect(page.locator('[data-testid="history-version"][data-author-kind="model"]').getByTestId('restore-version')).toBeDisabled();
  await page.getByTestId('reopen-case').click();
  await expect(page.getByTestId('review-status')).toHaveAttribute('data-status', 'in-progress');
  // The threshold never replaces a ground-truth mask: five steps right move the prediction
  // outline only, and an explicit button offers the model's mask instead.
  const truth = await maskArea(page);
  await expect(page.getByTestId('threshold-mode')).toHaveAttribute('data-mode', 'layer');
  await expect(page.getByTestId('threshold-mode')).toContainText('The ground-truth mask stays as it is');
  const threshold = Number(await page.getByTestId('threshold').inputValue());
  await page.getByTestId('threshold').focus();
  for (let i = 0; i < 5; i++) await page.keyboard.press('ArrowRight');
  await expect(page.getByTestId('use-prediction')).toHaveText(`Use prediction at ${(threshold + 0.05).toFixed(2)}`);
  await expect(page.getByTestId('save-state')).toHaveText('All changes saved');
  await expect(page.getByTestId('history-version')).toHaveCount(3);
  await expect(page.getByTestId('review-status')).toHaveAttribute('data-status', 'in-progress');
  expect(await maskArea(page)).toBe(truth);
  // The explicit action replaces the mask as one undo step (saved as the annotator's version);
  // undone, the ground truth is back.
  await page.getByTestId('use-prediction').click();
  await expect.poll(() => maskArea(page)).not.toBe(truth);
  await expect(page.getByTestId('undo')).toHaveAttribute('title', /^Undo Use prediction at /);
  await page.getByTestId('undo').click();
  await expect.poll(() => maskArea(page)).toBe(truth);
  await expect(page.getByTestId('save-state')).toHaveText('All changes saved');
  await expect(page.getByTestId('history-version')).toHaveCount(4);
  // Restore the model's prediction: a new person version with the predicted pixels becomes current.
  await page.locator('[data-testid="history-version"][data-author-kind="model"]').getByTestId('restore-version').click();
  await expect(page.getByTestId('history-version')).toHaveCount(5);
  await expect(page.locator('[data-testid="history-version"]').last()).toContainText(/from model /);
  await expect(page.getByTestId('case-view')).toHaveAttribute('data-phase', 'ready');
  await expect.poll(() => maskArea(page)).toBe(predicted);
  expect(pageProblems, 'console errors or CSP violations').toEqual([]);
});

test('a corrupt file in an imported folder is reported and the rest import; a case with its mask is ground truth', async ({ page, server }) => {
  await page.goto(server.url);
  await enterProfile(page);
  const folder = path.join(mkdtempSync(path.join(tmpdir(), 'lesiondesk-bad-')), 'clinic-batch');
  mkdirSync(folder, { recursive: true });
  for (let i = 0; i < 3; i++) writeFileSync(path.join(folder, `case-${i}.jpg`), await syntheticLesionJpeg(640 + 16 * i, 480));
  // case-2 comes with its reference mask (ISIC naming).
  const reference = `<svg xmlns="http://www.w3.org/2000/svg" width="672" height="480"><rect width="100%" height="100%" fill="black"/><ellipse cx="336" cy="240" rx="150" ry="110" fill="white"/></svg>`;
  writeFileSync(path.join(folder, 'case-2_segmentation.png'), await sharp(Buffer.from(reference)).greyscale().png().toBuffer());
  const good = await syntheticLesionJpeg(700, 500);
  writeFileSync(path.join(folder, 'broken.jpg'), good.subarray(0, 600));
  await page.getByTestId('import-folder').setInputFiles(folder);
  const report = page.getByTestId('import-report');
  await expect(report).toContainText('Imported 3 images');
  await expect(report).toContainText('1 failed');
  await expect(page.getByTestId('import-failures')).toContainText('broken.jpg');
  await expect(page.getByTestId('import-failures')).toContainText(/could not be read as an image/);
  await expect(page.getByTestId('import-failures')).not.toContainText(/\bat .+:\d+:\d+/);
  await expect(page.getByTestId('case-item')).toHaveCount(3);

  // After pre-annotation the case with its mask is "ground truth", not "new", and comes last in
  // the review queue; its history names the prediction as the model's, made from the image.
  await expect(page.getByTestId('preannotation-progress')).toHaveCount(0, { timeout: 60_000 });
  await page.getByTestId('sort').selectOption('uncertainty');
  const rows = page.getByTestId('case-item');
  await expect(rows.last()).toContainText('case-2.jpg');
  await expect(rows.last().getByTestId('case-status')).toHaveAttribute('data-status', 'ground-truth');
  await page.getByTestId('filter-status').selectOption('ground-truth');
  await expect(rows).toHaveCount(1);
  await page.getByTestId('filter-status').selectOption('new');
  await expect(page.getByTestId('case-list')).toHaveAttribute('data-total', '0');
  await page.getByTestId('filter-status').selectOption('ground-truth');
  await rows.first().click();
  await expect(page.getByTestId('case-view')).toContainText('case-2.jpg');
  await expect(page.getByTestId('review-status')).toHaveAttribute('data-status', 'ground-truth');
  await page.getByTestId('history-toggle').click();
  const predicted = page.locator('[data-testid="history-version"][data-author-kind="model"]');
  await expect(predicted).toHaveCount(1);
  await expect(predicted).toContainText('predicted from the image');
  await expect(predicted).not.toContainText('from ground truth');
});

test('library: twenty cases, filters, review-queue sort and keyboard navigation', async ({ page, server }) => {
  test.setTimeout(180_000);
  await page.goto(server.url);
  await enterProfile(page);
  const files = [];
  for (let i = 0; i < 20; i++) {
    files.push({ name: `ISIC_${String(24300 + i * 7).padStart(7, '0')}.jpg`, mimeType: 'image/jpeg', buffer: await syntheticLesionJpeg(720 + i * 8, 540) });
  }
  await page.getByTestId('import-files').setInputFiles(files);
  await expect(page.getByTestId('import-report')).toContainText('Imported');
  const items = page.getByTestId('case-item');
  await expect(items.first()).toBeVisible();
  const total = Number(await page.getByTestId('case-list').getAttribute('data-total'));
  expect(total).toBe(20);

  // The first case opened with its prediction; the list shows the new status.
  await expect(page.getByTestId('case-view')).toHaveAttribute('data-phase', 'ready', { timeout: 60_000 });
  await expect(page.getByTestId('review-status')).toHaveAttribute('data-status', 'predicted');

  // Opening a case while background predictions wait (pre-annotation runs, and more background
  // calls are queued as a second window's would be): the opened case's prediction comes first.
  const token = new URL(server.url).searchParams.get('token')!;
  const outside = createClient(createHttpInvoke(token, server.origin));
  const queuedBytes = new Uint8Array(await syntheticLesionJpeg(1200, 900));
  const queued = 24;
  let answered = 0;
  const background = Array.from({ length: queued }, (_, i) =>
    outside.segmentImage({ bytes: queuedBytes, fileName: `queued_${i}.jpg`, priority: 'background' }).then(() => answered++),
  );
  await expect(page.getByTestId('preannotation-progress')).toBeVisible();
  // Newest first: the top row is the last imported case, which pre-annotation reaches last.
  const lastImported = items.first();
  await expect(lastImported.getByTestId('case-status')).toHaveAttribute('data-status', 'new');
  const lastName = (await lastImported.locator('.name').textContent())!;
  await lastImported.click();
  await expect(page.getByTestId('case-view')).toContainText(lastName);
  await expect(page.getByTestId('review-status')).toHaveAttribute('data-status', 'predicted', { timeout: 60_000 });
  // Most of the queue is still waiting (without a priority it ran alongside and finished first).
  const answeredBeforeTheCase = answered;
  await Promise.all(background);
  expect(answeredBeforeTheCase, `${answeredBeforeTheCase} of ${queued} background calls were answered before the opened case`).toBeLessThan(queued / 2);

  // Keyboard: j moves the selection down, Enter opens it.
  await page.getByTestId('case-list').focus();
  // Background pre-annotation writes meanwhile (each write re-reads the list's pages), which is
  // when Enter once did nothing. Rows carry their position in their id: wait for each move to land.
  const selectedRow = page.locator('[data-testid="case-item"][aria-selected="true"]');
  await expect(selectedRow).toHaveCount(1);
  const start = Number((await selectedRow.getAttribute('id'))!.replace('case-row-', ''));
  await page.keyboard.press('j');
  await page.keyboard.press('j');
  const afterDown = Math.min(total - 1, start + 2);
  await expect(page.locator(`#case-row-${afterDown}`)).toHaveAttribute('aria-selected', 'true');
  await page.keyboard.press('k');
  await expect(page.locator(`#case-row-${afterDown - 1}`)).toHaveAttribute('aria-selected', 'true');
  await expect(selectedRow).toHaveCount(1);
  const name = await page.locator(`#case-row-${afterDown - 1} .name`).textContent();
  await page.keyboard.press('Enter');
  await expect(page.getByTestId('case-view')).toContainText(name!);
  await expect(page.getByTestId('review-status')).toHaveAttribute('data-status', 'predicted', { timeout: 60_000 });

  // Review a few cases so the list shows the workflow: approve one, flag one with a comment.
  await items.nth(1).click();
  await expect(page.getByTestId('review-status')).toHaveAttribute('data-status', 'predicted', { timeout: 60_000 });
  await page.getByTestId('approve').click();
  await expect(page.getByTestId('review-status')).toHaveAttribute('data-status', 'approved');
  await items.nth(2).click();
  await expect(page.getByTestId('review-status')).toHaveAttribute('data-status', 'predicted', { timeout: 60_000 });
  await page.getByTestId('flag').click();
  await page.getByTestId('flag-confirm').click();
  await expect(page.getByTestId('flag-dialog')).toContainText('comment is required');
  await page.getByTestId('flag-comment').fill('Border unclear at the lower left; second reader please.');
  await page.getByTestId('flag-confirm').click();
  await expect(page.getByTestId('review-status')).toHaveAttribute('data-status', 'flagged');

  // Review queue: cases with a prediction (an uncertainty) sort first; a status filter narrows.
  await page.getByTestId('sort').selectOption('uncertainty');
  await expect(items.first().getByTestId('case-status')).not.toHaveAttribute('data-status', 'new');
  // Every imported case gets its prediction in the background while the library is in use, so
  // none is left without an uncertainty for the queue.
  await expect(page.getByTestId('preannotation-progress')).toHaveCount(0, { timeout: 120_000 });
  await page.getByTestId('filter-status').selectOption('new');
  await expect(page.getByTestId('case-list')).toHaveAttribute('data-total', '0');
  await page.getByTestId('filter-status').selectOption('predicted');
  await expect(page.getByTestId('case-list')).toHaveAttribute('data-total', '18');
  await page.getByTestId('filter-status').selectOption('flagged');
  await expect(items).toHaveCount(1);
  await page.getByTestId('filter-status').selectOption('');
  await page.getByTestId('case-search').fill('ISIC_0024307');
  await expect(items).toHaveCount(1);
  await page.getByTestId('case-search').fill('');
  await expect(page.getByTestId('case-list')).toHaveAttribute('data-total', String(total));
  await page.getByTestId('import-report').getByRole('button', { name: 'Dismiss import report' }).click();
  await items.first().click();
  await expect(page.getByTestId('case-view')).toHaveAttribute('data-phase', 'ready');

  // The queue shows its order: uncertainties (rounded percentages) never rise down the list.
  const shown = (await items.locator('.u').allTextContents()).map((t) => Number(/u (\d+) %/.exec(t)![1]));
  expect(shown.length).toBeGreaterThan(5);
  expect(shown).toEqual([...shown].sort((a, b) => b - a));
  // Decide on the most uncertain case; "Next case" then opens the next one below that still
  // needs review (approved cases are skipped).
  if ((await page.getByTestId('review-status').getAttribute('data-status')) !== 'approved') {
    await page.getByTestId('approve').click();
    await expect(page.getByTestId('review-status')).toHaveAttribute('data-status', 'approved');
  }
  await expect(items.first().getByTestId('case-status')).toHaveAttribute('data-status', 'approved');
  const rows = await items.evaluateAll((elements) =>
    elements.map((e) => ({ name: e.querySelector('.name')?.textContent ?? '', status: e.querySelector('[data-testid="case-status"]')?.getAttribute('data-status') })),
  );
  const expected = rows.slice(1).find((row) => row.status !== 'approved')!;
  await page.getByTestId('next-case').click();
  await expect(page.getByTestId('case-view')).toContainText(expected.name);
  await expect(page.getByTestId('review-status')).not.toHaveAttribute('data-status', 'approved');
  await expect(page.getByTestId('case-view')).toHaveAttribute('data-phase', 'ready');
  await expect(page.getByTestId('measure-perimeter')).toBeVisible();

  const shot = test.info().outputPath('library.png');
  await page.screenshot({ path: shot });
  if (process.env['UPDATE_SCREENSHOT']) copyFileSync(shot, path.join(root, 'docs/screenshot-library.png'));

  // Filters and sort are remembered: a reload shows the same queue.
  await page.getByTestId('filter-status').selectOption('flagged');
  await expect(items).toHaveCount(1);
  await page.reload();
  await expect(page.getByTestId('sort')).toHaveValue('uncertainty');
  await expect(page.getByTestId('filter-status')).toHaveValue('flagged');
  await expect(items).toHaveCount(1);
  await page.getByTestId('filter-status').selectOption('');
  await expect(page.getByTestId('case-list')).toHaveAttribute('data-total', String(total));
});

test('backup and restore: an empty library restores without a question, the local annotator stays, a full one asks at once; no Svelte warnings', async ({ browser, page, server }) => {
  test.setTimeout(240_000);
  const warnings: string[] = [];
  const problems: string[] = [];
  const watchWarnings = (p: Page) => p.on('console', (msg) => /derived_inert/.test(msg.text()) && warnings.push(msg.text()));
  watchWarnings(page);
  watchPageProblems(page, problems);
  await page.goto(server.url);
  await enterProfile(page, 'Dr Ana Silva');
  const folder = path.join(mkdtempSync(path.join(tmpdir(), 'lesiondesk-backup-')), 'isic');
  mkdirSync(path.join(folder, 'images'), { recursive: true });
  mkdirSync(path.join(folder, 'masks'), { recursive: true });
  for (let i = 0; i < 2; i++) {
    writeFileSync(path.join(folder, 'images', `ISIC_00000${i}.jpg`), await syntheticLesionJpeg(640 + 16 * i, 480));
    const width = 640 + 16 * i;
    const pixels = Buffer.alloc(width * 480);
    for (let y = 160; y < 310; y++) pixels.fill(255, y * width + 200, y * width + 400);
    const mask = await sharp(pixels, { raw: { width, height: 480, channels: 1 } }).png().toBuffer();
    writeFileSync(path.join(folder, 'masks', `ISIC_00000${i}_segmentation.png`), mask);
  }
  await page.getByTestId('import-folder').setInputFiles(folder);
  await expect(page.getByTestId('import-report')).toContainText('Imported 2 images');
  await expect(page.getByTestId('case-item')).toHaveCount(2);
  await page.getByTestId('export-menu').click();
  const download = page.waitForEvent('download');
  await page.getByTestId('export-backup').click();
  const backup = await (await download).path();

  // Another computer: its own annotator, an empty library. Restoring asks nothing, keeps the name.
  const other = await (await browser.newContext()).newPage();
  watchWarnings(other);
  watchPageProblems(other, problems);
  await other.goto(server.url);
  await enterProfile(other, 'Dr Ben Local');
  await other.getByTestId('restore-file').setInputFiles(backup);
  await expect(other.getByTestId('notice')).toContainText('Restored 2 cases');
  await expect(other.getByTestId('restore-dialog')).toBeHidden();
  await expect(other.getByTestId('case-item')).toHaveCount(2);
  await expect(other.getByTestId('annotator')).toHaveText('Dr Ben Local');

  // Now the library holds cases: the question comes at once and says what is replaced.
  await other.getByTestId('restore-file').setInputFiles(backup);
  await expect(other.getByTestId('restore-dialog')).toBeVisible();
  await expect(other.getByTestId('restore-dialog')).toContainText('2 cases');
  await other.getByTestId('restore-confirm').click();
  await expect(other.getByTestId('notice')).toContainText('Restored 2 cases');
  await expect(other.getByTestId('annotator')).toHaveText('Dr Ben Local');
  expect(warnings, 'Svelte runtime warnings').toEqual([]);
  expect(problems, 'console errors or CSP violations').toEqual([]);
});
