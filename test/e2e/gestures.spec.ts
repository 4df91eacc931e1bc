/**
 * Editor gestures and the keyboard review loop in the real app (browser mode, Chromium, the real
 * model): a double-click closes a polygon with the double-clicked point once (Chromium's
 * pointerdown carries no click count; the mousedown does), a tool key ends ruler mode, and the
 * review keys approve, flag and move through the library with the focus kept on the image.
 */
import type { Page } from '@playwright/test';
import { syntheticLesionJpeg, watchPageProblems } from './browser-mode.ts';
import { expect, test } from './fixtures.ts';
import { enterProfile, maskArea, stagePoint } from './workspace.ts';

const image = { width: 800, height: 600 };

/** Waits until the case view shows `fileName`, opened and predicted. */
async function expectOpen(page: Page, fileName: string): Promise<void> {
  await expect(page.getByTestId('case-view')).toContainText(fileName);
  await expect(page.getByTestId('case-view')).toHaveAttribute('data-phase', 'ready', { timeout: 60_000 });
}

test('double-click closes a polygon, a tool key leaves the ruler, review keys approve and move on with the focus kept', async ({ page, server }) => {
  test.setTimeout(180_000);
  const problems: string[] = [];
  watchPageProblems(page, problems);
  await page.goto(server.url);
  await enterProfile(page);
  const files: { name: string; mimeType: string; buffer: Buffer }[] = [];
  for (const name of ['loop-a.jpg', 'loop-b.jpg', 'loop-c.jpg', 'loop-d.jpg']) {
    // Distinct sizes: the library keeps one case per identical image.
    files.push({ name, mimeType: 'image/jpeg', buffer: await syntheticLesionJpeg(image.width, image.height - files.length) });
  }
  await page.getByTestId('import-files').setInputFiles(files);
  const items = page.getByTestId('case-item');
  await expect(items).toHaveCount(4);
  // The rows come before their page of cases is read (a placeholder has no name yet).
  await expect(items.locator('.name')).toHaveCount(4);
  const names = await items.locator('.name').allTextContents();
  const imageOf = (i: number) => ({ width: image.width, height: image.height - files.findIndex((f) => f.name === names[i]) });

  // The first row, opened from the list (the list keeps the focus: its keys are its own).
  await items.nth(0).click();
  await expectOpen(page, names[0]!);
  await expect.poll(() => maskArea(page)).toBeGreaterThan(1000);
  const stage = page.getByTestId('editor-stage');
  const size = imageOf(0);

  // Polygon away from the lesion: three clicks, then a double-click on the fourth corner. The
  // square fills (a triangle would be half of it) and the double-clicked corner is one vertex.
  await page.keyboard.press('p');
  await expect(page.getByTestId('tool-polygon')).toHaveAttribute('aria-pressed', 'true');
  const predicted = await maskArea(page);
  for (const [x, y] of [[40, 40], [160, 40], [160, 140]] as const) {
    const p = await stagePoint(stage, size, x, y);
    await page.mouse.click(p.x, p.y);
  }
  const corner = await stagePoint(stage, size, 40, 140);
  await page.mouse.dblclick(corner.x, corner.y);
  await expect.poll(() => maskArea(page)).toBeGreaterThan(predicted + 120 * 100 * 0.9);
  expect(await maskArea(page)).toBeLessThan(predicted + 120 * 100 * 1.1);
  await expect(page.getByTestId('undo')).toHaveAttribute('title', /Polygon add/);
  await page.screenshot({ path: '/tmp/gestures-polygon.png' });

  // A double-click on the first vertex closes that polygon and opens no other: the next three
  // clicks and Enter make a triangle of their own (with a stray start it would be a quadrilateral).
  for (const [x, y] of [[600, 40], [740, 40], [740, 160]] as const) {
    const p = await stagePoint(stage, size, x, y);
    await page.mouse.click(p.x, p.y);
  }
  const firstVertex = await stagePoint(stage, size, 600, 40);
  await page.mouse.dblclick(firstVertex.x, firstVertex.y);
  const withTwo = predicted + 120 * 100 + (140 * 120) / 2;
  await expect.poll(() => maskArea(page)).toBeGreaterThan(withTwo * 0.97);
  const beforeTriangle = await maskArea(page);
  for (const [x, y] of [[40, 560], [200, 560], [200, 460]] as const) {
    const p = await stagePoint(stage, size, x, y);
    await page.mouse.click(p.x, p.y);
  }
  await page.keyboard.press('Enter');
  await expect.poll(() => maskArea(page)).toBeGreaterThan(beforeTriangle + (160 * 100) / 2 - 300);
  expect(await maskArea(page)).toBeLessThan(beforeTriangle + (160 * 100) / 2 + 300);

  // Ruler mode, then the brush key: the ruler ends and the next click paints.
  await page.keyboard.press('r');
  await expect(page.getByTestId('tool-ruler')).toHaveAttribute('aria-pressed', 'true');
  await page.keyboard.press('b');
  await expect(page.getByTestId('tool-ruler')).toHaveAttribute('aria-pressed', 'false');
  await expect(page.getByTestId('tool-brush')).toHaveAttribute('aria-pressed', 'true');
  const beforeBrush = await maskArea(page);
  const spot = await stagePoint(stage, size, 700, 520);
  await page.mouse.click(spot.x, spot.y);
  await expect.poll(() => maskArea(page)).toBeGreaterThan(beforeBrush);
  await expect(page.getByRole('textbox', { name: 'Distance in millimetres' })).toHaveCount(0);

  // Keys the focused library list acts on are not the editor's: k moves the list, no "Keep largest".
  await page.getByTestId('case-list').focus();
  await page.keyboard.press('k');
  await expect(page.getByTestId('undo')).toHaveAttribute('title', /Brush stroke/);

  // Approve and next from the keyboard (the list ignores Ctrl keys): this case is approved, the
  // next row opens, and the keys work on it at once, with the focus moved to its image.
  await page.keyboard.press('Control+Shift+Enter');
  await expectOpen(page, names[1]!);
  await expect(items.nth(0).getByTestId('case-status')).toHaveAttribute('data-status', 'approved');
  await expect(page.getByTestId('editor-stage')).toBeFocused();
  await page.keyboard.press('p');
  await expect(page.getByTestId('tool-polygon')).toHaveAttribute('aria-pressed', 'true');
  await page.keyboard.press('Control+Enter');
  await expect(page.getByTestId('review-status')).toHaveAttribute('data-status', 'approved');
  await expect(page.getByTestId('case-view')).toContainText(names[1]!);
  await page.keyboard.press('n');
  await expectOpen(page, names[2]!);
  await expect(page.getByTestId('editor-stage')).toBeFocused();

  // The button does the same and does not keep the focus (Space would approve the next one too).
  await page.getByTestId('approve-next').click();
  await expectOpen(page, names[3]!);
  await expect(items.nth(2).getByTestId('case-status')).toHaveAttribute('data-status', 'approved');
  await expect(page.getByTestId('editor-stage')).toBeFocused();
  await page.screenshot({ path: '/tmp/gestures-next.png' });

  // Flag from the keyboard; the last row says so instead of wrapping; Shift+N goes back.
  await page.keyboard.press('Shift+F');
  await expect(page.getByTestId('flag-dialog')).toBeVisible();
  await page.getByTestId('flag-comment').fill('border unclear');
  await page.getByTestId('flag-confirm').click();
  await expect(page.getByTestId('review-status')).toHaveAttribute('data-status', 'flagged');
  await page.keyboard.press('n');
  await expect(page.getByTestId('notice')).toContainText('last case');
  await page.keyboard.press('Shift+N');
  await expectOpen(page, names[2]!);
  await expect(page.getByTestId('review-status')).toHaveAttribute('data-status', 'approved');

  // The shortcut sheet lists the review keys.
  await page.keyboard.press('?');
  const sheet = page.getByTestId('shortcut-sheet');
  await expect(sheet).toContainText('Approve the case');
  await expect(sheet).toContainText('Approve and next case');
  await expect(sheet).toContainText('Ctrl+Shift+Enter');
  await expect(sheet).toContainText('Shift+F');
  // In sight without scrolling the sheet.
  await expect(sheet.getByText('Previous case in the library')).toBeInViewport();
  await page.screenshot({ path: '/tmp/gestures-sheet.png' });
  await page.keyboard.press('Escape');
  expect(problems).toEqual([]);
});
