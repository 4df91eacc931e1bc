import { describe, expect, it, vi } from 'vitest';
import { EditorDocument, traceOutlines, MaskRaster } from '../../editor/index.ts';
import type { CaseRecord, MaskVersionRecord } from '../../storage/types.ts';
import type { ProbabilityGrid } from '../probability.ts';
import { CaseMessages } from './case-messages.svelte.ts';
import { CasePrediction } from './case-prediction.svelte.ts';
import { CaseRecordState } from './case-record.svelte.ts';
import type { CaseStage } from './case-stage.ts';

const W = 20;
const H = 10;

/** Probabilities rising left to right: at threshold t the columns x >= t * W are lesion. */
const grid: ProbabilityGrid = { width: W, height: H, data: Float32Array.from({ length: W * H }, (_, i) => ((i % W) + 0.5) / W) };

function fakeStage() {
  return {
    showThresholdPreview: vi.fn(),
    setPredictionOutline: vi.fn(),
    setCompareOutline: vi.fn(),
  } satisfies Partial<CaseStage>;
}

function version(fields: Partial<MaskVersionRecord>): MaskVersionRecord {
  return { id: 'v1', caseId: 'c', png: new Blob([]), authorKind: 'person', author: 'Ana', area: 0, createdAt: 0, parentVersionId: null, revision: 0, ...fields } as MaskVersionRecord;
}

function setup(source: 'prediction' | 'person' | 'ground-truth' = 'prediction', status: CaseRecord['status'] = 'in-progress') {
  const editor = new EditorDocument(W, H);
  const stage = fakeStage();
  const facts = new CaseRecordState({ getCase: async () => undefined, listVersions: async () => [] }, 'c');
  facts.record = { id: 'c', fileName: 'lesion.jpg', status } as CaseRecord;
  const messages = new CaseMessages();
  const outline = vi.fn(async (width: number, height: number, mask: Uint8Array) => traceOutlines(new MaskRaster(width, height, mask.slice())));
  const context = { caseId: 'c', editor, analyser: { outline, measure: vi.fn() }, stage: stage as unknown as CaseStage, messages, facts, size: { width: W, height: H } };
  let draft: string | null = null;
  const prediction = new CasePrediction(context, {
    decodeMask: async (png) => ({ width: W, height: H, data: new Uint8Array(await png.arrayBuffer()) }),
    screenScale: () => 1,
    draftVersionId: () => draft,
  });
  prediction.load(grid, 0.5, source);
  return { editor, stage, facts, messages, prediction, outline, context, setDraft: (id: string | null) => (draft = id) };
}

describe('CasePrediction', () => {
  it('the untouched prediction follows the threshold: a preview while dragging, the full mask on release', () => {
    const { editor, stage, prediction } = setup('prediction');
    expect(prediction.action).toBe('follow');
    prediction.preview(0.25);
    expect(stage.showThresholdPreview).toHaveBeenCalledWith(expect.objectContaining({ width: expect.any(Number), height: expect.any(Number) }));
    expect(editor.raster.area()).toBe(0);
    prediction.apply(0.25);
    expect(stage.showThresholdPreview).toHaveBeenLastCalledWith(null);
    expect(prediction.threshold).toBe(0.25);
    expect(editor.raster.area()).toBe(15 * H);
  });

  it("over a person's mask the slider moves the prediction outline only; 'Use prediction at T' replaces the mask as one undo step", async () => {
    const { editor, stage, prediction } = setup('person');
    expect(prediction.action).toBe('layer');
    prediction.preview(0.5);
    await vi.waitFor(() => expect(prediction.layerThreshold).toBe(0.5));
    expect(stage.setPredictionOutline).toHaveBeenCalledWith(expect.any(Array));
    prediction.apply(0.5);
    expect(editor.raster.area()).toBe(0);
    prediction.usePrediction();
    expect(editor.raster.area()).toBe(10 * H);
    expect(editor.history.undoLabel).toBe('Use prediction at 0.50');
    expect(prediction.layerThreshold).toBeNull();
    expect(stage.setPredictionOutline).toHaveBeenLastCalledWith(null);
    editor.undo();
    expect(editor.raster.area()).toBe(0);
  });

  it('an approved case never follows the threshold, and a prediction without probabilities has no slider', () => {
    expect(setup('prediction', 'approved').prediction.action).toBe('layer');
    const { prediction } = setup();
    prediction.load(null, 0.3, 'prediction');
    expect(prediction.action).toBe('none');
    expect(prediction.threshold).toBe(0.5);
  });

  it('an edit makes the mask the person\'s: the slider stops replacing it', () => {
    const { editor, prediction } = setup('prediction');
    prediction.edited();
    expect(prediction.action).toBe('layer');
    prediction.apply(0.1);
    expect(editor.raster.area()).toBe(0);
  });

  it('an older outline request that answers late is not drawn over a newer one, and hiding drops it', async () => {
    const { stage, prediction, outline } = setup('person');
    let release: () => void = () => {};
    outline.mockImplementationOnce(() => new Promise((resolve) => (release = () => resolve([[{ x: 0, y: 0 }]]))));
    const first = prediction.showLayer(0.2);
    prediction.hideLayer();
    release();
    await first;
    expect(prediction.layerThreshold).toBeNull();
    expect(stage.setPredictionOutline).toHaveBeenCalledTimes(1);
    expect(stage.setPredictionOutline).toHaveBeenLastCalledWith(null);
  });

  it("following another window's model version takes its probabilities and threshold; a person's version makes the mask theirs", async () => {
    const { prediction } = setup('prediction');
    prediction.load(null, 0.5, 'prediction');
    const map = { width: W, height: H, data: new Blob([grid.data.slice().buffer]) };
    await prediction.followed(version({ authorKind: 'model', probabilityMap: map, threshold: 0.7 }));
    expect(prediction.hasPrediction).toBe(true);
    expect(prediction.threshold).toBe(0.7);
    expect(prediction.action).toBe('follow');
    await prediction.followed(version({ authorKind: 'person' }));
    expect(prediction.maskSource).toBe('person');
    expect(prediction.action).toBe('layer');
  });

  it("compares with another version's outline, leaves the session's own version out of the list, and says why a comparison fails", async () => {
    const { stage, prediction, facts, messages, setDraft } = setup('person');
    const theirs = new Uint8Array(W * H).fill(1);
    facts.versions = [version({ id: 'v1', png: new Blob([theirs]) }), version({ id: 'v2' })];
    setDraft('v2');
    expect(prediction.compareOptions.map((v) => v.id)).toEqual(['v1']);
    await prediction.compare('v1');
    expect(stage.setCompareOutline).toHaveBeenLastCalledWith([expect.any(Array)]);
    await prediction.compare('');
    expect(stage.setCompareOutline).toHaveBeenLastCalledWith(null);
    facts.versions = [version({ id: 'v3', png: new Blob([new Uint8Array(3)]) })];
    const broken = setup('person');
    broken.facts.versions = facts.versions;
    broken.context.analyser.outline.mockRejectedValueOnce(new Error('the worker stopped'));
    await broken.prediction.compare('v3');
    expect(broken.messages.problem).toBe('Cannot compare: the worker stopped');
    expect(messages.problem).toBeNull();
  });
});
