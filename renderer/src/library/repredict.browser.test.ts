// Predictions after a model switch, against the real repository (IndexedDB in Chromium): where
// addPrediction puts a prediction, which cases are stale, and the background re-prediction. The
// model is the one thing that cannot run in this page: segmentImage answers like the service.
import { describe, expect, it } from 'vitest';
import type { SegmentImageResult } from '../../../preload/api.ts';
import { isStalePrediction, openCaseRepository, type CaseRepository } from '../storage/index.ts';
import { repredictStale, repredictSummary } from './repredict.ts';

const v1 = 'scsonet@1.0.0';
const v2 = 'scsonet@1.1.0';

async function pngOf(width: number, height: number): Promise<Blob> {
  const canvas = new OffscreenCanvas(width, height);
  canvas.getContext('2d')!.fillRect(0, 0, 1, 1);
  return canvas.convertToBlob({ type: 'image/png' });
}

async function library(n: number) {
  const repository = await openCaseRepository(`lesiondesk-test-${crypto.randomUUID()}`);
  const png = await pngOf(8, 6);
  const results = await repository.importImages(
    Array.from({ length: n }, (_, i) => ({ fileName: `c${i}.png`, blob: png, width: 8, height: 6, sha256: `${i}`.padStart(64, '0') })),
  );
  return { repository, ids: results.map((r) => r.caseId), png };
}

function prediction(caseId: string, png: Blob, author: string, uncertainty = 0.3) {
  return { caseId, png, author, area: 1, uncertainty, probabilityMap: { width: 1, height: 1, data: new Blob([new Float32Array([0.5])]) } };
}

async function personMask(repository: CaseRepository, caseId: string, png: Blob) {
  const record = (await repository.getCase(caseId))!;
  return repository.addMaskVersion({ caseId, png, authorKind: 'person', author: 'Ana', area: 2, expectedLatestVersionId: record.latestVersionId });
}

/** Approve as the review bar does: a predicted case is taken in progress, then approved. */
async function approve(repository: CaseRepository, caseId: string) {
  if ((await repository.getCase(caseId))!.status !== 'in-progress') await repository.setStatus(caseId, 'in-progress', { author: 'Ana' });
  await repository.setStatus(caseId, 'approved', { author: 'Ana' });
}

/** A model service that answers as `model`, fails on `failOn`, and records what it was asked. */
function service(png: Blob, model: { name: string; version: string }, calls: string[], failOn?: string, priorities: (string | undefined)[] = []) {
  return {
    segmentImage: async (args: { fileName: string; priority?: string }): Promise<SegmentImageResult> => {
      calls.push(args.fileName);
      priorities.push(args.priority);
      if (args.fileName === failOn) throw new Error('model crashed');
      return {
        width: 8, height: 6, maskPng: new Uint8Array(await png.arrayBuffer()), probWidth: 2, probHeight: 2, prob: new Float32Array([0.1, 0.9, 0.8, 0.2]),
        outline: [], lesionAreaPx: 1, uncertainty: 0.7, timings: { decodeMs: 1, inferMs: 1, postMs: 1, totalMs: 3 }, model, provider: 'cpu',
      };
    },
  };
}

describe('addPrediction', () => {
  it('becomes the latest over nothing or another prediction, and moves a new case to predicted', async () => {
    const { repository, ids, png } = await library(1);
    const first = await repository.addPrediction(prediction(ids[0]!, png, v1, 0.2));
    expect(first.placement).toBe('latest');
    expect(await repository.getCase(ids[0]!)).toMatchObject({ status: 'predicted', latestVersionId: first.version!.id, activeModel: v1, uncertainty: 0.2 });
    const second = await repository.addPrediction(prediction(ids[0]!, png, v2, 0.6));
    expect(second.placement).toBe('latest');
    // A model predicts from the image: no lineage from the prediction it replaces.
    expect(second.version!.parentVersionId).toBeNull();
    expect(await repository.getCase(ids[0]!)).toMatchObject({ status: 'predicted', latestVersionId: second.version!.id, activeModel: v2, uncertainty: 0.6 });
  });

  it("keeps a person's and a ground-truth mask the latest: the prediction joins the history, the case is no longer stale", async () => {
    const { repository, ids, png } = await library(2);
    await repository.addPrediction(prediction(ids[0]!, png, v1));
    const mask = await personMask(repository, ids[0]!, png);
    const stored = await repository.addPrediction(prediction(ids[0]!, png, v2, 0.9));
    expect(stored.placement).toBe('history');
    const record = (await repository.getCase(ids[0]!))!;
    expect(record).toMatchObject({ latestVersionId: mask.id, status: 'in-progress', activeModel: v2, uncertainty: 0.9, hasCorrection: true });
    expect((await repository.listVersions(ids[0]!)).map((v) => v.author)).toEqual([v1, 'Ana', v2]);

    const truth = await repository.addMaskVersion({ caseId: ids[1]!, png, authorKind: 'ground-truth', author: 'ISIC', area: 3 });
    expect((await repository.addPrediction(prediction(ids[1]!, png, v2))).placement).toBe('history');
    expect(await repository.getCase(ids[1]!)).toMatchObject({ latestVersionId: truth.id, activeModel: v2 });
  });

  it('skips an approved case unless asked to keep the prediction in its history', async () => {
    const { repository, ids, png } = await library(1);
    const old = await repository.addPrediction(prediction(ids[0]!, png, v1));
    await approve(repository, ids[0]!);
    expect(await repository.addPrediction(prediction(ids[0]!, png, v2))).toEqual({ version: null, placement: 'skipped' });
    expect(await repository.listVersions(ids[0]!)).toHaveLength(1);
    expect((await repository.getCase(ids[0]!))!.activeModel).toBe(v1);
    const kept = await repository.addPrediction(prediction(ids[0]!, png, v2), { approved: 'history' });
    expect(kept.placement).toBe('history');
    expect(await repository.getCase(ids[0]!)).toMatchObject({ status: 'approved', latestVersionId: old.version!.id, activeModel: v2, uncertainty: 0.3 });
  });
});

describe('stale predictions', () => {
  it('lists and counts the cases whose latest prediction came from another model, as the rule says', async () => {
    const { repository, ids, png } = await library(5);
    // c0: v1, c1: v2, c2: none, c3: v1 then a person's mask, c4: v1 and approved.
    await repository.addPrediction(prediction(ids[0]!, png, v1, 0.1));
    await repository.addPrediction(prediction(ids[1]!, png, v2));
    await repository.addPrediction(prediction(ids[3]!, png, v1, 0.8));
    await personMask(repository, ids[3]!, png);
    await repository.addPrediction(prediction(ids[4]!, png, v1));
    await approve(repository, ids[4]!);

    const all = await repository.getCases(ids);
    const byRule = all.filter((c) => isStalePrediction(c, v2)).map((c) => c.id);
    expect(byRule).toEqual([ids[0], ids[3], ids[4]]);
    expect(await repository.countStaleCases(v2)).toBe(3);
    // Unapproved only, most uncertain first.
    expect((await repository.listStaleCases(v2)).map((c) => c.id)).toEqual([ids[3], ids[0]]);
    expect((await repository.listStaleCases(v2, { includeApproved: true })).map((c) => c.id).sort()).toEqual([ids[0], ids[3], ids[4]].sort());
    // Under v1 the one v2 prediction is the stale one.
    expect((await repository.listStaleCases(v1)).map((c) => c.id)).toEqual([ids[1]]);
  });
});

describe('repredictStale', () => {
  it("re-predicts unapproved stale cases, keeps a person's mask the latest, and reports a failure without stopping", async () => {
    const { repository, ids, png } = await library(5);
    for (const id of ids) await repository.addPrediction(prediction(id, png, v1));
    const person = await personMask(repository, ids[1]!, png);
    await approve(repository, ids[4]!);
    const calls: string[] = [];
    const progress: string[] = [];
    const priorities: (string | undefined)[] = [];
    // The bar counts what the run below acts on: not the approved case, not the open one.
    expect(await repository.countCasesToRepredict(v2, { except: ids[3]! })).toBe(3);
    expect(await repository.countCasesToRepredict(v2)).toBe(4);
    const report = await repredictStale(repository, service(png, { name: 'scsonet', version: '1.1.0' }, calls, 'c2.png', priorities), {
      runningModel: v2,
      skip: (id) => id === ids[3],
      onProgress: (p) => progress.push(`${p.done}/${p.total}`),
    });
    expect(report).toMatchObject({ replaced: 1, keptInHistory: 1, skipped: 1, approved: 1, cancelled: false });
    expect(repredictSummary(report, v2)).toBe(
      "Re-predicted 2 cases with scsonet@1.1.0; 1 kept in the history because a person's or ground-truth mask is the latest; 1 failed; 1 approved case keeps its prediction (reopen one to include it).",
    );
    expect(report.failed).toEqual([{ caseId: ids[2], fileName: 'c2.png', reason: 'model crashed' }]);
    expect(calls.sort()).toEqual(['c0.png', 'c1.png', 'c2.png']);
    // Marked as background work: main answers a person opening a case first.
    expect(priorities).toEqual(['background', 'background', 'background']);
    expect(progress.at(-1)).toBe('4/4');

    const cases = await repository.getCases(ids);
    expect(cases.map((c) => c.activeModel)).toEqual([v2, v2, v1, v1, v1]);
    expect(cases[1]!.latestVersionId).toBe(person.id);
    expect((await repository.getVersion(cases[0]!.latestVersionId!))!.author).toBe(v2);
    // Failed, skipped (open) and approved cases stay stale; a second run picks up only the unapproved ones.
    expect(await repository.countStaleCases(v2)).toBe(3);
    expect(await repository.countCasesToRepredict(v2, { except: ids[3]! })).toBe(1);
    const again = await repredictStale(repository, service(png, { name: 'scsonet', version: '1.1.0' }, calls), { runningModel: v2 });
    expect(again).toMatchObject({ replaced: 2, keptInHistory: 0, skipped: 0, approved: 1, failed: [] });
    expect(await repository.countStaleCases(v2)).toBe(1);
    // Only the approved case is stale now, which re-prediction leaves alone: the bar clears.
    expect(await repository.countCasesToRepredict(v2)).toBe(0);
  });

  it('leaves a case approved while the model ran on it as it is', async () => {
    const { repository, ids, png } = await library(3);
    for (const id of ids) await repository.addPrediction(prediction(id, png, v1));
    await personMask(repository, ids[1]!, png);
    const inner = service(png, { name: 'scsonet', version: '1.1.0' }, []);
    const api = {
      segmentImage: async (args: { fileName: string }) => {
        // Someone approves c1 in another window while its prediction is computed.
        if (args.fileName === 'c1.png') await approve(repository, ids[1]!);
        return inner.segmentImage(args);
      },
    };
    const before = (await repository.getCase(ids[1]!))!;
    const report = await repredictStale(repository, api, { runningModel: v2 });
    expect(report).toMatchObject({ replaced: 2, keptInHistory: 0, skipped: 1, failed: [] });
    expect(await repository.getCase(ids[1]!)).toMatchObject({ status: 'approved', latestVersionId: before.latestVersionId, activeModel: v1 });
    expect(await repository.listVersions(ids[1]!)).toHaveLength(2);
  });

  it('stops between cases when cancelled', async () => {
    const { repository, ids, png } = await library(4);
    for (const id of ids) await repository.addPrediction(prediction(id, png, v1));
    const controller = new AbortController();
    const report = await repredictStale(repository, service(png, { name: 'scsonet', version: '1.1.0' }, []), {
      runningModel: v2,
      signal: controller.signal,
      onPredicted: () => controller.abort(),
    });
    expect(report).toMatchObject({ replaced: 1, cancelled: true });
    expect(await repository.countStaleCases(v2)).toBe(3);
  });
});
