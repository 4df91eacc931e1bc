/**
 * Nothing a person did is lost, in browser mode with the real IndexedDB: a stroke survives the
 * tab closed 0-50 ms after it (with no prompt) or reloaded on a 24 MP image (the PNG save takes
 * longer than that); a failed save keeps the edit across a case switch; two pages on one case never
 * overwrite each other, and an approved case is locked until reopened.
 */
import type { BrowserContext, Page } from '@playwright/test';
import { syntheticLesionJpeg, watchPageProblems } from './browser-mode.ts';
import { expect, test } from './fixtures.ts';
import { enterProfile, maskArea, stagePoint, strokeOnStage } from './workspace.ts';

/** Accept every dialog: the beforeunload prompt is answered "Leave", as a user closing anyway would. */
function leaveOnPrompt(page: Page, prompts: string[]): void {
  page.on('dialog', (dialog) => {
    prompts.push(dialog.type());
    void dialog.accept();
  });
}

async function openOnlyCase(page: Page): Promise<void> {
  await page.getByTestId('case-item').first().click();
  await expect(page.getByTestId('case-view')).toHaveAttribute('data-phase', 'ready', { timeout: 90_000 });
}

async function settledArea(page: Page): Promise<number> {
  await expect(page.getByTestId('save-state')).toHaveText('All changes saved', { timeout: 60_000 });
  return stableArea(page);
}

/** The mask area once the measurement worker stops changing it. */
async function stableArea(page: Page): Promise<number> {
  let previous = -1;
  // The measurement worker reports a moment after the mask is shown; wait until it stops moving.
  await expect
    .poll(async () => {
      const area = await maskArea(page);
      const stable = area === previous;
      previous = area;
      return stable;
    }, { intervals: [300, 500, 1000], timeout: 30_000 })
    .toBe(true);
  return previous;
}

/** Makes this page's IndexedDB refuse to store mask versions, as a full disk does. */
async function failVersionWrites(page: Page, fail: boolean): Promise<void> {
  await page.evaluate((on) => {
    // This runs in the page; the Node-side tsconfig has no DOM types, so the store is typed here.
    type Write = (this: ObjectStore, ...args: unknown[]) => unknown;
    type ObjectStore = { name: string; add: Write; put: Write; __add?: Write; __put?: Write };
    const proto = (globalThis as unknown as { IDBObjectStore: { prototype: ObjectStore } }).IDBObjectStore.prototype;
    proto.__add ??= proto.add;
    proto.__put ??= proto.put;
    const refuse = (store: ObjectStore, original: Write, args: unknown[]): unknown => {
      if (on && store.name === 'maskVersions') throw new DOMException('The disk is full (test).', 'QuotaExceededError');
      return original.apply(store, args);
    };
    proto.add = function (this: ObjectStore, ...args: unknown[]) {
      return refuse(this, proto.__add!, args);
    };
    proto.put = function (this: ObjectStore, ...args: unknown[]) {
      return refuse(this, proto.__put!, args);
    };
  }, fail);
}

const big = { width: 6000, height: 4000 };

test('a stroke survives the tab closed 0, 10, 30 and 50 ms after it, or reloaded, on a 24 MP image', async ({ context, server }) => {
  test.setTimeout(420_000);
  const problems: string[] = [];
  const prompts: string[] = [];
  let page = await context.newPage();
  watchPageProblems(page, problems);
  leaveOnPrompt(page, prompts);
  await page.goto(server.url);
  await enterProfile(page);
  await page.getByTestId('import-files').setInputFiles({ name: 'big.jpg', mimeType: 'image/jpeg', buffer: await syntheticLesionJpeg(big.width, big.height) });
  await expect(page.getByTestId('case-view')).toHaveAttribute('data-phase', 'ready', { timeout: 120_000 });
  let area = await settledArea(page);

  // Closed without the prompt (the window killed, the browser quit): nothing runs after the
  // pointer-up but what it started. Then the usual ways out: reload, and close after the prompt.
  const runs: { delayMs: number; leave: 'close' | 'reload' | 'prompted close' }[] = [];
  for (let round = 0; round < 2; round++) for (const delayMs of [0, 10, 30, 50]) runs.push({ delayMs, leave: 'close' });
  runs.push({ delayMs: 0, leave: 'reload' }, { delayMs: 30, leave: 'prompted close' });
  for (const [i, { delayMs, leave }] of runs.entries()) {
    // A fresh band of skin left of the lesion each time: 800 x ~40 px of new lesion pixels.
    const y = 120 + i * 150;
    await page.getByTestId('tool-brush').click();
    await strokeOnStage(page, page.getByTestId('editor-stage'), big, [[200, y], [1000, y]]);
    if (delayMs) await page.waitForTimeout(delayMs);
    if (leave === 'reload') {
      await page.reload();
    } else {
      if (leave === 'close') {
        await page.close();
      } else {
        await page.close({ runBeforeUnload: true });
        await page.waitForEvent('close');
      }
      page = await context.newPage();
      watchPageProblems(page, problems);
      leaveOnPrompt(page, prompts);
      await page.goto(server.url);
    }
    await openOnlyCase(page);
    // The recovered stroke saved before the next one is drawn, as the 12 MP test did: a stroke
    // drawn while a recovered change is being saved, then closed at once, was lost twice in
    // full CI runs and never in isolated runs; that case is open (see the closing note of 7 Dec).
    const after = await settledArea(page);
    expect(after - area, `stroke ${i + 1}: ${leave} after ${delayMs} ms`).toBeGreaterThan(25_000);
    area = after;
  }
  expect(await settledArea(page)).toBe(area);
  // Some left before the save was done: the page asked first, and the edit was recovered.
  expect(prompts.filter((type) => type === 'beforeunload').length).toBeGreaterThan(0);
  expect(problems.filter((text) => !/Failed to load resource|net::ERR_ABORTED|aborted/i.test(text))).toEqual([]);
});

async function twoPagesOnOneCase(context: BrowserContext, url: string): Promise<{ a: Page; b: Page }> {
  const a = await context.newPage();
  await a.goto(url);
  await enterProfile(a);
  await a.getByTestId('import-files').setInputFiles([
    { name: 'shared.jpg', mimeType: 'image/jpeg', buffer: await syntheticLesionJpeg(800, 600) },
    { name: 'other.jpg', mimeType: 'image/jpeg', buffer: await syntheticLesionJpeg(640, 480) },
  ]);
  await expect(a.getByTestId('case-item')).toHaveCount(2);
  await a.getByTestId('case-item').filter({ hasText: 'shared.jpg' }).click();
  await expect(a.getByTestId('case-view')).toHaveAttribute('data-phase', 'ready', { timeout: 60_000 });
  await settledArea(a);
  const b = await context.newPage();
  await b.goto(url);
  await b.getByTestId('case-item').filter({ hasText: 'shared.jpg' }).click();
  await expect(b.getByTestId('case-view')).toHaveAttribute('data-phase', 'ready', { timeout: 60_000 });
  return { a, b };
}

const image = { width: 800, height: 600 };

test('a failed save keeps the edit across a case switch and says so until it is saved', async ({ context, server }) => {
  test.setTimeout(180_000);
  const { a: page } = await twoPagesOnOneCase(context, server.url);
  const before = await settledArea(page);
  await failVersionWrites(page, true);
  await strokeOnStage(page, page.getByTestId('editor-stage'), image, [[40, 40], [200, 40]]);
  await expect(page.getByTestId('save-state')).toHaveText('Not saved', { timeout: 10_000 });
  await expect(page.getByTestId('case-problem')).toContainText(/Autosave failed: .*disk is full/);

  // Switching cases does not drop it: the shell lists it, with the reason.
  await page.getByTestId('case-item').filter({ hasText: 'other.jpg' }).click();
  await expect(page.getByTestId('case-view')).toHaveAttribute('data-phase', 'ready', { timeout: 60_000 });
  await expect(page.getByTestId('unsaved-edits')).toContainText('shared.jpg');
  await expect(page.getByTestId('unsaved-edits')).toContainText(/disk is full/);

  // Space again: opening the case recovers the edit and saves it; the banner goes.
  await failVersionWrites(page, false);
  await page.getByTestId('unsaved-edit').filter({ hasText: 'shared.jpg' }).click();
  await expect(page.getByTestId('case-notice')).toContainText(/Recovered your change from .* that was not saved \(the last save failed: .*disk is full/);
  const after = await settledArea(page);
  expect(after).toBeGreaterThan(before + 500);
  await expect(page.getByTestId('unsaved-edits')).toBeHidden();
  // And it is really stored: a reload shows it.
  await page.reload();
  await openOnlyCase(page);
  await page.getByTestId('case-item').filter({ hasText: 'shared.jpg' }).click();
  await expect.poll(() => maskArea(page), { timeout: 30_000 }).toBe(after);
});

test('two pages on one case: each follows the other, a change made meanwhile is never overwritten, approval locks', async ({ context, server }) => {
  test.setTimeout(180_000);
  const { a, b } = await twoPagesOnOneCase(context, server.url);
  const start = await settledArea(a);

  // A saves; B, with nothing unsaved, follows it.
  await strokeOnStage(a, a.getByTestId('editor-stage'), image, [[40, 40], [200, 40]]);
  const aArea = await settledArea(a);
  expect(aArea).toBeGreaterThan(start);
  await expect(b.getByTestId('case-notice')).toContainText(/Updated to the version Dr Ana Silva saved/);
  await expect.poll(() => maskArea(b), { timeout: 20_000 }).toBe(aArea);

  // B edits while its saves cannot go through; A saves another change meanwhile: B is told and chooses.
  await failVersionWrites(b, true);
  // (Longer than A's, so the two masks cannot have the same area by chance.)
  await strokeOnStage(b, b.getByTestId('editor-stage'), image, [[40, 560], [260, 560]]);
  await expect(b.getByTestId('save-state')).toHaveText('Not saved', { timeout: 10_000 });
  await strokeOnStage(a, a.getByTestId('editor-stage'), image, [[600, 40], [760, 40]]);
  const aSecond = await settledArea(a);
  await expect(b.getByTestId('save-conflict')).toContainText(/Dr Ana Silva saved a newer version at .* while you were editing/);
  await expect(b.getByTestId('save-state')).toHaveText('Not saved: choose below');
  await failVersionWrites(b, false);
  // "Put my change on top": B's mask becomes the latest, on top of A's; A follows it.
  await b.getByTestId('conflict-keep-mine').click();
  const bArea = await settledArea(b);
  await expect(b.getByTestId('save-conflict')).toBeHidden();
  await expect.poll(() => maskArea(a), { timeout: 20_000 }).toBe(bArea);
  expect(bArea).toBeGreaterThan(aSecond);

  // Approval in A: B (nothing unsaved) turns read-only; a stroke there changes nothing.
  await expect(b.getByTestId('undo')).toBeEnabled();
  const stageBox = await b.getByTestId('editor-stage').boundingBox();
  await a.getByTestId('approve').click();
  await expect(a.getByTestId('review-status')).toHaveAttribute('data-status', 'approved');
  await expect(b.getByTestId('approved-lock')).toBeVisible();
  await expect(b.getByTestId('case-view-status')).toHaveText(/approved/i);
  // Locked looks locked: no undo (B has a history), no tools, and the lock notice does not move the image.
  await expect(b.getByTestId('undo')).toBeDisabled();
  await expect(b.getByTestId('tool-brush')).toBeDisabled();
  await expect(b.getByTestId('tool-polygon')).toBeDisabled();
  expect(await b.getByTestId('editor-stage').boundingBox()).toEqual(stageBox);
  await strokeOnStage(b, b.getByTestId('editor-stage'), image, [[300, 560], [500, 560]]);
  await expect(b.getByTestId('case-problem')).toContainText(/approved, so its mask is locked/);
  expect(await maskArea(b)).toBe(bArea);
  await expect(b.getByTestId('save-state')).toHaveText('All changes saved');

  // Reopening in B unlocks it (A's badge follows), and B's next stroke is saved.
  await b.getByTestId('reopen-case').click();
  await expect(b.getByTestId('approved-lock')).toBeHidden();
  await expect(a.getByTestId('case-view-status')).toHaveText(/in progress/i);
  await strokeOnStage(b, b.getByTestId('editor-stage'), image, [[300, 560], [500, 560]]);
  const reopened = await settledArea(b);
  expect(reopened).toBeGreaterThan(bArea);
  await expect.poll(() => maskArea(a), { timeout: 20_000 }).toBe(reopened);

  // B's edit waits on a refused save while A approves: B must reopen to save it, or keep it in history.
  await failVersionWrites(b, true);
  await strokeOnStage(b, b.getByTestId('editor-stage'), image, [[300, 500], [500, 500]]);
  await expect(b.getByTestId('save-state')).toHaveText('Not saved', { timeout: 10_000 });
  await a.getByTestId('approve').click();
  await expect(b.getByTestId('save-conflict')).toHaveAttribute('data-code', 'approved');
  await failVersionWrites(b, false);
  await b.getByTestId('conflict-keep-theirs').click();
  await expect(b.getByTestId('case-notice')).toContainText(/kept in the history/);
  await expect.poll(() => maskArea(b), { timeout: 20_000 }).toBe(reopened);
  await expect(a.getByTestId('review-status')).toHaveAttribute('data-status', 'approved');
  // The kept change is in the case's history; the approved version is still the latest.
  await b.getByTestId('history-toggle').click();
  await expect(b.getByTestId('history-version')).toHaveCount(4);
});

/** Whether the whole image is drawn inside the visible editor stage. */
async function imageOnStage(page: Page, size: { width: number; height: number }): Promise<boolean> {
  const stage = page.getByTestId('editor-stage');
  const box = (await stage.boundingBox())!;
  const [scale, x, y] = ((await stage.getAttribute('data-viewport')) ?? '').split(' ').map(Number) as [number, number, number];
  return x >= -0.5 && y >= -0.5 && x + size.width * scale <= box.width + 0.5 && y + size.height * scale <= box.height + 0.5;
}

test('a stroke being drawn when the other page saves or approves is kept: it ends in a choice, never under their version', async ({ context, server }) => {
  test.setTimeout(180_000);
  const { a, b } = await twoPagesOnOneCase(context, server.url);
  // A laptop-wide window: with the history open, the image and the case bar get narrow.
  await b.setViewportSize({ width: 1280, height: 800 });
  const start = await settledArea(a);
  await settledArea(b);
  // B's history lists the versions: it changing shows B has seen A's save.
  await b.getByTestId('history-toggle').click();
  await expect(b.getByTestId('history-version').first()).toBeVisible();
  // The image is fitted again to the narrower stage, wholly on view, and the bar keeps the file name.
  await expect.poll(() => imageOnStage(b, image)).toBe(true);
  expect((await b.getByTestId('case-file-name').boundingBox())!.width).toBeGreaterThan(60);
  // With the history open the case bar is narrow: the file name is cut and the status stays
  // readable, never drawn under Undo.
  const status = (await b.getByTestId('case-view-status').boundingBox())!;
  const undo = (await b.getByTestId('undo').boundingBox())!;
  expect(status.x + status.width).toBeLessThanOrEqual(undo.x);
  const versionsBefore = await b.getByTestId('history-version').count();

  // B presses and draws half a stroke...
  const stage = b.getByTestId('editor-stage');
  const from = await stagePoint(stage, image, 40, 560);
  const middle = await stagePoint(stage, image, 200, 560);
  const to = await stagePoint(stage, image, 360, 560);
  await b.mouse.move(from.x, from.y);
  await b.mouse.down();
  await b.mouse.move(middle.x, middle.y, { steps: 8 });
  // ...while A saves a change of its own.
  await strokeOnStage(a, a.getByTestId('editor-stage'), image, [[600, 40], [760, 40]]);
  const aArea = await settledArea(a);
  await expect(b.getByTestId('history-version')).toHaveCount(versionsBefore + 1, { timeout: 20_000 });
  // B's view waits for the stroke instead of loading A's version under it.
  await expect(b.getByTestId('case-notice')).toHaveCount(0);
  await b.mouse.move(to.x, to.y, { steps: 8 });
  await b.mouse.up();

  // The finished stroke is an unsaved change made over an older version: B is told and chooses.
  await expect(b.getByTestId('save-conflict')).toContainText(/Dr Ana Silva saved a newer version/);
  await expect(b.getByTestId('save-state')).toHaveText('Not saved: choose below');
  // The measurements follow the stroke a moment later (a worker): wait for them.
  await expect.poll(() => maskArea(b), { timeout: 20_000 }).toBeGreaterThan(start);
  const bArea = await stableArea(b);
  expect(bArea).not.toBe(aArea);
  await b.getByTestId('conflict-keep-mine').click();
  expect(await settledArea(b)).toBe(bArea);
  await expect.poll(() => maskArea(a), { timeout: 20_000 }).toBe(bArea);
  // A's version stays in the history under B's.
  await expect(b.getByTestId('history-version')).toHaveCount(versionsBefore + 2);

  // B draws again while A approves: the stroke is finished and kept, and B is asked.
  const from2 = await stagePoint(stage, image, 40, 500);
  const middle2 = await stagePoint(stage, image, 200, 500);
  const to2 = await stagePoint(stage, image, 360, 500);
  await b.mouse.move(from2.x, from2.y);
  await b.mouse.down();
  await b.mouse.move(middle2.x, middle2.y, { steps: 8 });
  await a.getByTestId('approve').click();
  await expect(a.getByTestId('review-status')).toHaveAttribute('data-status', 'approved');
  await expect(b.getByTestId('case-view-status')).toHaveText(/approved/i);
  await b.mouse.move(to2.x, to2.y, { steps: 8 });
  await b.mouse.up();
  await expect(b.getByTestId('save-conflict')).toHaveAttribute('data-code', 'approved');
  await expect(b.getByTestId('save-conflict')).toContainText(/approved \(in another window\?\) while you were editing/);
  await expect(b.getByTestId('save-state')).toHaveText('Not saved: choose below');
  await expect.poll(() => maskArea(b), { timeout: 20_000 }).toBeGreaterThan(bArea);
  const drawn = await stableArea(b);
  // "Reopen and save my change": the case is in progress again, with the stroke on top.
  await b.getByTestId('conflict-keep-mine').click();
  expect(await settledArea(b)).toBe(drawn);
  await expect(a.getByTestId('case-view-status')).toHaveText(/in progress/i);
  await expect.poll(() => maskArea(a), { timeout: 20_000 }).toBe(drawn);
});
