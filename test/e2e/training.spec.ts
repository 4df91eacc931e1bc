/**
 * The learning loop in browser mode with the real Python trainer: import an ISIC folder (images
 * with `_segmentation.png` masks), approve 12 cases of which at least 5 are validation cases,
 * fine-tune (small trainer size for speed), see progress and the new version with its metrics,
 * its per-case evidence (a compare view, then the case itself) and which cases it learned from,
 * activate it (the library marks stale predictions) and roll back; a second job, reloaded while
 * its cases are sent, starts again, survives a reload while it runs (the panel re-attaches) and,
 * cancelled, leaves the versions unchanged; "train after
 * every N approvals" starts a third by itself. The server has a data folder of its own.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { expect, test, type Page } from '@playwright/test';
import { splitOfContent } from '../../preload/api.ts';
import { root, startServe, watchPageProblems, type RunningServer } from './browser-mode.ts';
import { enterProfile, libraryCaseRows as caseRows } from './workspace.ts';

const python = process.env['LESIONDESK_PYTHON'] ?? '/usr/bin/python3';
const shots = process.env['LESIONDESK_SCREENSHOTS'] ?? path.join(tmpdir(), 'lesiondesk-training-shots');
const imported = 48;

let tmp: string;
let server: RunningServer;

/** The cases on the validation side: the contract's split rule (preload/split.ts), by each image file's bytes. */
async function validatingIds(rows: readonly { id: string; fileName: string }[]): Promise<Set<string>> {
  const sides = await Promise.all(rows.map((r) => splitOfContent(readFileSync(path.join(tmp, 'isic', 'images', r.fileName)))));
  return new Set(rows.filter((_, i) => sides[i] === 'validation').map((r) => r.id));
}

test.beforeAll(() => {
  tmp = mkdtempSync(path.join(tmpdir(), 'lesiondesk-training-'));
  const synth = path.join(tmp, 'synth');
  execFileSync(python, ['-m', 'scsonet', 'synth', '--out', synth, '--count', String(imported), '--size', '256x256'], {
    cwd: root,
    env: { ...process.env, PYTHONPATH: path.join(root, 'models') },
  });
  // ISIC layout: images/<stem>.jpg and masks/<stem>_segmentation.png.
  const folder = path.join(tmp, 'isic');
  mkdirSync(path.join(folder, 'images'), { recursive: true });
  mkdirSync(path.join(folder, 'masks'), { recursive: true });
  for (const name of readdirSync(path.join(synth, 'images'))) renameSync(path.join(synth, 'images', name), path.join(folder, 'images', name));
  for (const name of readdirSync(path.join(synth, 'masks'))) {
    renameSync(path.join(synth, 'masks', name), path.join(folder, 'masks', name.replace(/\.png$/, '_segmentation.png')));
  }
  mkdirSync(shots, { recursive: true });
});

test.afterAll(async () => {
  await server?.stop();
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

async function approve(page: Page, fileName: string, id: string): Promise<void> {
  await page.getByTestId('case-search').fill(fileName);
  const item = page.locator(`[data-testid="case-item"][data-case-id="${id}"]`);
  await item.click();
  await expect(page.getByTestId('case-view')).toHaveAttribute('data-phase', 'ready');
  await expect(page.getByTestId('case-view')).toContainText(fileName);
  await page.getByTestId('approve').click();
  await expect(page.getByTestId('review-status')).toHaveAttribute('data-status', 'approved');
}

async function versions(page: Page): Promise<string[]> {
  return page.getByTestId('model-item').evaluateAll((items) => items.map((i) => i.getAttribute('data-version') ?? '').sort());
}

test('fine-tune from approved cases, see the new version, activate and roll back; a cancelled job changes nothing', async ({ page }) => {
  test.setTimeout(900_000);
  server = await startServe(0, {
    pinModel: false,
    env: {
      LESIONDESK_DATA_DIR: path.join(tmp, 'data'),
      LESIONDESK_PYTHON: python,
      LESIONDESK_TRAINER_ARGS: '--size 64 --threads 2 --replay-max 24 --batch-size 8',
    },
  });
  const problems: string[] = [];
  watchPageProblems(page, problems);
  await page.goto(server.url);
  await enterProfile(page);
  await expect(page.getByTestId('status-model')).toHaveAttribute('data-version', 'scsonet-isic2017@1.0.0');

  await page.getByTestId('import-folder').setInputFiles(path.join(tmp, 'isic'));
  await expect(page.getByTestId('import-report')).toContainText(`Imported ${imported} images`);

  // Pick 12 cases, as many validation cases as there are (up to 7), by the same rule as main.
  const rows = await caseRows(page);
  const validating = await validatingIds(rows);
  const validates = (id: string) => validating.has(id);
  expect(rows).toHaveLength(imported);
  const validation = rows.filter((r) => validates(r.id));
  expect(validation.length, 'the synthetic images hold too few validation cases for this run').toBeGreaterThanOrEqual(5);
  const chosen = [...validation.slice(0, 7), ...rows.filter((r) => !validates(r.id))].slice(0, 12);
  for (const row of chosen) await approve(page, row.fileName, row.id);
  await page.getByTestId('case-search').fill('');

  // The panel counts what is ready and how it splits.
  await page.getByTestId('open-training').click();
  const panel = page.getByTestId('training-panel');
  await expect(panel).toBeVisible();
  await expect(page.getByTestId('training-ready-count')).toHaveAttribute('data-count', '12');
  await expect(page.getByTestId('training-split')).toHaveAttribute('data-validation', String(Math.min(7, validation.length)));
  await page.getByTestId('training-only-corrected').check();
  await expect(page.getByTestId('training-ready-count')).toHaveAttribute('data-count', /\d+/);
  await expect(page.getByTestId('training-shortfall')).toBeVisible();
  await page.getByTestId('training-only-corrected').uncheck();
  await expect(page.getByTestId('training-ready-count')).toHaveAttribute('data-count', '12');
  await panel.screenshot({ path: path.join(shots, 'training-ready.png') });

  // First job: progress with phase, epochs and a chart, then the gate's sentence.
  await page.getByTestId('training-epochs').fill('3');
  await page.getByTestId('training-start').click();
  const progress = page.getByTestId('training-progress');
  await expect(progress).toBeVisible();
  await expect(page.getByTestId('open-training')).toContainText(/Training \d+%/);
  // Past the baseline into training: on an idle machine 3 epochs of 5 training cases last under a
  // second, so the 'training' phase itself can come and go between two polls; the chart's epochs
  // show that it was trained and shown.
  await expect(progress).toHaveAttribute('data-phase', /^(training|scoring|exporting)$/, { timeout: 300_000 });
  await expect(page.getByTestId('training-chart')).toHaveAttribute('data-epochs', /[1-9]/, { timeout: 300_000 });
  await panel.screenshot({ path: path.join(shots, 'training-progress.png') });
  const result = page.getByTestId('training-result');
  await expect(result).toHaveAttribute('data-state', 'succeeded', { timeout: 600_000 });
  await expect(result).toHaveAttribute('data-version', 'scsonet-isic2017@1.1.0');
  // The gate's sentence names its parts (the cases a person changed: here, imported ground truth).
  await expect(page.getByTestId('training-reason')).toContainText(/on \d+ changed cases? Dice .*anchor Dice/i);
  // One next step that fits the outcome, the chart's line for the base's validation Dice, and the
  // new version's own (not its last epoch's: the trainer takes the weights part of the way back).
  await expect(page.getByTestId('training-next')).toHaveAttribute('data-kind', /^(open-evidence|approve-more|set-epochs|activate|done)$/);
  await expect(page.getByTestId('training-chart-base')).toHaveCount(1);
  await expect(page.getByTestId('training-chart-candidate')).toHaveCount(1);
  await panel.screenshot({ path: path.join(shots, 'training-result.png') });
  await page.getByTestId('training-chart').screenshot({ path: path.join(shots, 'training-result-chart.png') });

  // The models panel lists both versions with their metrics.
  await page.getByTestId('open-models').click();
  const models = page.getByTestId('models-panel');
  await expect(models).toBeVisible();
  const candidate = page.locator('[data-testid="model-item"][data-version="scsonet-isic2017@1.1.0"]');
  const shipped = page.locator('[data-testid="model-item"][data-version="scsonet-isic2017@1.0.0"]');
  await expect(candidate).toBeVisible();
  await expect(candidate).toContainText('scsonet-isic2017@1.0.0 → scsonet-isic2017@1.1.0');
  await expect(candidate).toContainText('12 approved cases');
  await expect(candidate.getByTestId('model-gate')).toBeVisible();
  // Each part of the gate with how it went (imported ground truth counts as changed by a person).
  await expect(candidate.getByTestId('model-gate-parts')).toContainText(/Changed cases \(\d+\).*(passed|failed)/);
  await expect(candidate.locator('table.dice')).toContainText('Anchor');

  // Activate it (unless the gate already did), then roll back to the shipped model.
  if ((await candidate.getByTestId('model-active').count()) === 0) {
    await expect(shipped.getByTestId('model-active')).toBeVisible();
    await candidate.getByTestId('model-activate').click();
  }
  await expect(candidate.getByTestId('model-active')).toBeVisible();
  await expect(page.getByTestId('status-model')).toHaveAttribute('data-version', 'scsonet-isic2017@1.1.0');
  await models.screenshot({ path: path.join(shots, 'models-panel.png') });
  // The ready cases are the ones the active version learned from: the panel says so before Start, and Start stays available.
  await page.getByTestId('open-training').click();
  await expect(page.getByTestId('training-nothing-new')).toContainText('Nothing new to learn: the active version scsonet-isic2017@1.1.0 already learned from all');
  await expect(page.getByTestId('training-start')).toBeEnabled();
  await page.getByTestId('training-panel').screenshot({ path: path.join(shots, 'training-nothing-new.png') });
  await page.getByTestId('open-models').click();
  // The library marks the predictions the shipped version made as stale (re-predicting is
  // covered by stale.spec.ts); rolling back makes them current again.
  await expect(page.getByTestId('stale-count')).toHaveAttribute('data-count', /^[1-9]\d*$/);
  await expect(page.getByTestId('stale-prediction').first()).toBeVisible();
  await page.getByTestId('model-rollback').click();
  await expect(shipped.getByTestId('model-active')).toBeVisible();
  await expect(candidate.getByTestId('model-active')).toHaveCount(0);
  await expect(page.getByTestId('status-model')).toHaveAttribute('data-version', 'scsonet-isic2017@1.0.0');
  await expect(page.getByTestId('stale-count')).toHaveCount(0);
  const before = await versions(page);
  expect(before).toEqual(['scsonet-isic2017@1.0.0', 'scsonet-isic2017@1.1.0']);

  // Evidence: one row per validation case, biggest drop first; a row compares the masks.
  await candidate.getByTestId('model-evidence-toggle').click();
  const evidence = candidate.getByTestId('model-evidence');
  const evidenceRows = evidence.getByTestId('evidence-row');
  await expect(evidenceRows).toHaveCount(Math.min(7, validation.length));
  const changes = await evidenceRows.evaluateAll((rows) => rows.map((r) => Number(r.getAttribute('data-change'))));
  expect(changes).toEqual([...changes].sort((a, b) => a - b));
  const evidenceIds = await evidenceRows.evaluateAll((rows) => rows.map((r) => r.getAttribute('data-case-id')));
  expect(new Set(evidenceIds)).toEqual(new Set(chosen.filter((r) => validates(r.id)).map((r) => r.id)));
  const compared = chosen.find((r) => r.id === evidenceIds[0])!;
  await expect(evidenceRows.first()).toContainText(compared.fileName);
  await candidate.screenshot({ path: path.join(shots, 'model-evidence.png') });
  await evidenceRows.first().click();
  const compare = page.getByTestId('evidence-compare');
  await expect(compare).toBeVisible();
  await expect(compare.getByTestId('evidence-base-dice')).toContainText('Dice');
  await expect(compare.getByTestId('evidence-candidate-dice')).toContainText('Dice');
  for (const kind of ['approved', 'base', 'candidate']) {
    await expect(compare.getByTestId(`evidence-${kind}`).locator('canvas')).toHaveJSProperty('width', 64);
  }
  await compare.screenshot({ path: path.join(shots, 'evidence-compare.png') });
  await compare.getByTestId('evidence-open-case').click();
  await expect(compare).toBeHidden();
  await expect(page.getByTestId('case-view')).toContainText(compared.fileName);

  // Provenance: the validation case judged the version; a training case taught it.
  await page.getByTestId('history-toggle').click();
  await expect(page.getByTestId('history-validated-by')).toContainText('scsonet-isic2017@1.1.0');
  await expect(page.getByTestId('history-learned-by')).toHaveAttribute('data-versions', '');
  const taught = chosen.find((r) => !validates(r.id))!;
  await page.getByTestId('case-search').fill(taught.fileName);
  await page.locator(`[data-testid="case-item"][data-case-id="${taught.id}"]`).click();
  await expect(page.getByTestId('case-view')).toContainText(taught.fileName);
  await expect(page.getByTestId('history-learned-by')).toHaveAttribute('data-versions', 'scsonet-isic2017@1.1.0');
  await expect(page.getByTestId('history-learned-by')).toContainText('Learned by scsonet-isic2017@1.1.0');
  await expect(page.getByTestId('history-version-taught')).toContainText('scsonet-isic2017@1.1.0');
  await page.getByTestId('case-search').fill('');

  // Second job: a reload while its cases are on their way starts it again (same choices); a
  // reload while it runs re-attaches to it; cancelled, it leaves the versions as they were.
  await page.getByTestId('open-training').click();
  await page.getByTestId('training-epochs').fill('20');
  // The cases are held on their way (as a slow disk would), and the page is reloaded meanwhile.
  await page.route('**/api/addTrainingPairs', () => undefined);
  // The first pair on its way: the page has recorded the job it sends to (before that, a reload
  // finds nothing of its own to restart, and main's timeout abandons the job instead).
  const sending = page.waitForRequest('**/api/addTrainingPairs');
  await page.getByTestId('training-start').click();
  await sending;
  await expect(page.getByTestId('training-progress')).toHaveAttribute('data-phase', 'receiving', { timeout: 60_000 });
  await page.unroute('**/api/addTrainingPairs');
  await page.reload();
  await expect(page.getByTestId('notice')).toContainText('started again with the same choices', { timeout: 120_000 });
  await page.getByTestId('open-training').click();
  await expect(page.getByTestId('training-progress')).toHaveAttribute('data-state', 'running', { timeout: 120_000 });
  await page.reload();
  await page.getByTestId('open-training').click();
  await expect(page.getByTestId('training-progress')).toBeVisible();
  await expect(page.getByTestId('training-progress')).toHaveAttribute('data-state', 'running');
  await page.getByTestId('training-cancel').click();
  await expect(page.getByTestId('training-result')).toHaveAttribute('data-state', 'cancelled', { timeout: 60_000 });
  await page.screenshot({ path: path.join(shots, 'training-cancelled.png') });
  await page.getByTestId('open-models').click();
  await expect(page.getByTestId('model-item')).toHaveCount(2);
  expect(await versions(page)).toEqual(before);
  await expect(shipped.getByTestId('model-active')).toBeVisible();

  // "Train after every N approvals": off by default; on with N = 1 nothing starts until a case
  // is approved that the last job did not receive; then a job starts by itself.
  await page.getByTestId('open-training').click();
  const autoOn = page.getByTestId('training-auto-on');
  await expect(autoOn).not.toBeChecked();
  await page.getByTestId('training-auto-every').fill('1');
  await page.getByTestId('training-auto-every').blur();
  await autoOn.check();
  await expect(page.getByTestId('training-auto')).toHaveAttribute('data-new', '0');
  await expect(page.getByTestId('training-auto-status')).toHaveText('0 of 1 new approved case since the last job.');
  await page.reload();
  await page.getByTestId('open-training').click();
  await expect(page.getByTestId('training-auto-on')).toBeChecked();
  await expect(page.getByTestId('training-progress')).toHaveCount(0);
  await page.getByTestId('open-training').click();
  await expect(page.getByTestId('training-panel')).toHaveCount(0);
  const another = rows.find((r) => !chosen.includes(r))!;
  await approve(page, another.fileName, another.id);
  await expect(page.getByTestId('open-training')).toContainText(/Training \d+%/, { timeout: 60_000 });
  await expect(page.getByTestId('notice')).toContainText('Fine-tuning started by itself');
  await page.getByTestId('open-training').click();
  await expect(page.getByTestId('training-progress')).toBeVisible();
  await expect(page.getByTestId('training-progress')).toContainText('from scsonet-isic2017@1.0.0');
  await expect(page.getByTestId('training-progress')).toHaveAttribute('data-state', 'running', { timeout: 120_000 });
  await page.getByTestId('training-cancel').click();
  await expect(page.getByTestId('training-result')).toHaveAttribute('data-state', 'cancelled', { timeout: 60_000 });
  await expect(page.getByTestId('training-auto')).toHaveAttribute('data-new', '0');
  await page.getByTestId('training-auto-on').uncheck();
  await page.getByTestId('open-models').click();
  await expect(page.getByTestId('model-item')).toHaveCount(2);
  expect(await versions(page)).toEqual(before);
  expect(problems, 'console errors or CSP violations').toEqual([]);
});
