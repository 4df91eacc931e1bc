// Background pre-annotation against the real repository (IndexedDB in Chromium). The model is
// the one thing that cannot run in this page: segmentImage answers like the service does.
import { describe, expect, it } from 'vitest';
import type { SegmentImageResult } from '../../../preload/api.ts';
import { openCaseRepository } from '../storage/index.ts';
import { preAnnotate } from './pre-annotation.ts';

const model = { name: 'scsonet-test', version: '1.0.0' };

async function pngOf(width: number, height: number): Promise<Uint8Array> {
  const canvas = new OffscreenCanvas(width, height);
  canvas.getContext('2d')!.fillRect(0, 0, 1, 1);
  return new Uint8Array(await (await canvas.convertToBlob({ type: 'image/png' })).arrayBuffer());
}

async function library(n: number) {
  const repository = await openCaseRepository(`lesiondesk-test-${crypto.randomUUID()}`);
  const png = await pngOf(8, 6);
  const results = await repository.importImages(
    Array.from({ length: n }, (_, i) => ({ fileName: `c${i}.png`, blob: new Blob([png as Uint8Array<ArrayBuffer>], { type: 'image/png' }), width: 8, height: 6, sha256: `${i}`.padStart(64, '0') })),
  );
  return { repository, ids: results.map((r) => r.caseId), png };
}

function api(png: Uint8Array, calls: string[], failOn?: string, priorities: (string | undefined)[] = []) {
  return {
    segmentImage: async (args: { fileName: string; priority?: string }): Promise<SegmentImageResult> => {
      calls.push(args.fileName);
      priorities.push(args.priority);
      if (args.fileName === failOn) throw new Error('model crashed');
      return {
        width: 8, height: 6, maskPng: png, probWidth: 2, probHeight: 2, prob: new Float32Array([0.1, 0.9, 0.8, 0.2]), outline: [], lesionAreaPx: 1,
        uncertainty: 0.3, timings: { decodeMs: 1, inferMs: 1, postMs: 1, totalMs: 3 }, model, provider: 'cpu',
      };
    },
  };
}

describe('preAnnotate', () => {
  it('predicts every new case once, stores the uncertainty, and reports a failure without stopping', async () => {
    const { repository, ids, png } = await library(4);
    const calls: string[] = [];
    const priorities: (string | undefined)[] = [];
    const report = await preAnnotate(repository, api(png, calls, 'c2.png', priorities), ids, { model, skip: (id) => id === ids[3] });
    expect(report).toMatchObject({ predicted: 2, skipped: 1, cancelled: false });
    // Marked as background work: main answers a person opening a case first.
    expect(priorities).toEqual(['background', 'background', 'background']);
    expect(report.failed).toEqual([{ caseId: ids[2], fileName: 'c2.png', reason: 'model crashed' }]);
    const cases = await repository.getCases(ids);
    expect(cases.map((c) => c.status)).toEqual(['predicted', 'predicted', 'new', 'new']);
    expect(cases[0]!.uncertainty).toBe(0.3);
    // A second run predicts nothing twice.
    const again = await preAnnotate(repository, api(png, calls), ids, { model });
    expect(again.predicted).toBe(2);
    expect(calls.filter((c) => c === 'c0.png')).toHaveLength(1);
  });

  it('leaves a case opened while the model ran on it to its view (nothing is written)', async () => {
    const { repository, ids, png } = await library(2);
    let open: string | null = null;
    const calls: string[] = [];
    const model2 = api(png, calls);
    const slow = {
      segmentImage: async (args: { fileName: string }) => {
        const result = await model2.segmentImage(args);
        // The user opens this case while its prediction is on its way.
        if (args.fileName === 'c0.png') open = ids[0]!;
        return result;
      },
    };
    const report = await preAnnotate(repository, slow, ids, { model, skip: (id) => id === open });
    expect(report).toMatchObject({ predicted: 1, skipped: 1 });
    expect(calls).toEqual(['c0.png', 'c1.png']);
    expect(await repository.listVersions(ids[0]!)).toEqual([]);
    expect((await repository.getCases(ids)).map((c) => c.status)).toEqual(['new', 'predicted']);
  });

  it('stops between cases when cancelled', async () => {
    const { repository, ids, png } = await library(5);
    const controller = new AbortController();
    const report = await preAnnotate(repository, api(png, []), ids, { model, signal: controller.signal, onPredicted: () => controller.abort() });
    expect(report).toMatchObject({ predicted: 1, cancelled: true });
    expect((await repository.getCases(ids)).filter((c) => c.status === 'new')).toHaveLength(4);
  });
});
