/**
 * Editor gestures in the real app (browser mode, Chromium): a double-click closes a polygon
 * (Chromium's pointerdown reports no click count), a tool key ends ruler mode, and the review
 * keys approve and flag from the case view without leaving it.
 */
import { syntheticLesionJpeg, watchPageProblems } from './browser-mode.ts';
import { expect, test } from './fixtures.ts';
import { enterProfile, maskArea, stagePoint } from './workspace.ts';

const image = { width: 800, height: 600 };

test('double-click closes a polygon, a tool key leaves the ruler, review keys approve and flag', async ({ page, server }) => {
  test.setTimeout(180_000);
  const problems: string[] = [];
  watchPageProblems(page, problems);
  await page.goto(server.url);
  await enterProfile(page);
  await page.getByTestId('import-files').setInputFiles([
    { name: 'gesture-a.jpg', mimeType: 'image/jpeg', buffer: await syntheticLesionJpeg(image.width, image.height) },
  ]);
  await expect(page.getByTestId('case-view')).toHaveAttribute('data-phase', 'ready', { timeout: 60_000 });
  await expect.poll(() => maskArea(page)).toBeGreaterThan(1000);
  const predicted = await maskArea(page);
  const stage = page.getByTestId('editor-stage');

  // Polygon away from the lesion: three clicks, then a double-click on the fourth corner.
  await page.getByTestId('tool-polygon').click();
  const corners = [[40, 40], [160, 40], [160, 140]] as const;
  for (const [x, y] of corners) {
    const p = await stagePoint(stage, image, x, y);
    await page.mouse.click(p.x, p.y);
  }
  const last = await stagePoint(stage, image, 40, 140);
  await page.mouse.dblclick(last.x, last.y);
  await expect.poll(() => maskArea(page)).toBeGreaterThan(predicted + 100 * 90);
  const withPolygon = await maskArea(page);

  // Ruler mode, then the brush key: the next click paints instead of ending the ruler.
  await page.getByTestId('tool-ruler').click();
  await expect(page.getByTestId('tool-ruler')).toHaveAttribute('aria-pressed', 'true');
  await stage.focus();
  await page.keyboard.press('b');
  await expect(page.getByTestId('tool-ruler')).toHaveAttribute('aria-pressed', 'false');
  await page.getByTestId('brush-size').fill('30');
  const spot = await stagePoint(stage, image, 700, 520);
  await page.mouse.click(spot.x, spot.y);
  await expect.poll(() => maskArea(page)).toBeGreaterThan(withPolygon);
  await expect(page.getByRole('textbox', { name: 'Distance in millimetres' })).toHaveCount(0);

  // Review keys from the case view: Ctrl+Enter approves, focus stays, Shift+F opens the flag dialog.
  await stage.focus();
  await page.keyboard.press('Control+Enter');
  await expect(page.getByTestId('review-status')).toHaveAttribute('data-status', 'approved');
  await expect(stage).toBeFocused();
  await page.keyboard.press('Shift+F');
  await expect(page.getByTestId('flag-dialog')).toBeVisible();
  await page.getByTestId('flag-comment').fill('border unclear');
  await page.getByTestId('flag-confirm').click();
  await expect(page.getByTestId('review-status')).toHaveAttribute('data-status', 'flagged');
  expect(problems).toEqual([]);
});
