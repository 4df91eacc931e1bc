import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { interactiveGrid, type SegmentImageResult } from '../../../../preload/api.ts';
import { encodeRunLengths, MaskRaster, measureMask, traceOutlines } from '../../editor/index.ts';
import type { AppSettings, CaseRecord, CaseSnapshot, MaskVersionRecord, NewMaskVersion, NewPrediction } from '../../storage/types.ts';
import type { EditJournal, JournalRecovery } from '../edit-journal.ts';
import type { MaskAnalyser } from '../mask-analysis.ts';
import { CaseSession, type CasePlatform, type CaseSessionOptions, type SessionRepository } from './case-session.svelte.ts';
import type { CaseStage } from './case-stage.ts';

const W = 6;
const H = 4;

/** A library holding one case in memory; a mask "PNG" is its raw bytes (the fake codec reads them back). */
class FakeLibrary {
  record: CaseRecord = { id: 'c', fileName: 'lesion.jpg', status: 'new', createdAt: 0, updatedAt: 0, assignee: null, uncertainty: null, latestVersionId: null, activeModel: null, hasCorrection: false, width: W, height: H, pixelsPerMm: null };
  versions: MaskVersionRecord[] = [];
  settings = { defaultPixelsPerMm: 5, threshold: null, overlayOpacity: 0.6 } as AppSettings;
  observers = new Set<(snapshot: CaseSnapshot) => void>();
  missing = false;

  readonly repository: SessionRepository = {
    getCase: async () => (this.missing ? undefined : this.record),
    getImage: async () => ({ caseId: 'c', blob: new Blob(['jpeg']), width: W, height: H, sha256: '' }),
    getSettings: async () => this.settings,
    listVersions: async () => [...this.versions],
    getVersion: async (id) => this.versions.find((v) => v.id === id),
    addMaskVersion: async (input: NewMaskVersion) => this.add(input, input.authorKind),
    addPrediction: async (input: NewPrediction) => ({ version: this.add(input, 'model'), placement: 'latest' as const }),
    updateMaskVersion: async (id, changes) => {
      const index = this.versions.findIndex((v) => v.id === id);
      this.versions[index] = { ...this.versions[index]!, ...changes, revision: (this.versions[index]!.revision ?? 0) + 1 };
      this.changed();
      return this.versions[index]!;
    },
    setStatus: async (_id, to) => {
      this.record = { ...this.record, status: to };
      this.changed();
      return this.record;
    },
    setCaseCalibration: async (_id, pixelsPerMm) => (this.record = { ...this.record, pixelsPerMm }),
    setSettings: async (changes) => (this.settings = { ...this.settings, ...changes }),
    observeCase: () => ({
      subscribe: ({ next }) => {
        this.observers.add(next);
        queueMicrotask(() => next({ record: this.record, versions: [...this.versions] }));
        return { unsubscribe: () => this.observers.delete(next) };
      },
    }),
  };

  add(input: Omit<NewMaskVersion, 'authorKind'>, authorKind: MaskVersionRecord['authorKind']): MaskVersionRecord {
    const version = { ...input, authorKind, id: `v${this.versions.length + 1}`, createdAt: 1_000, parentVersionId: input.parentVersionId ?? null, revision: 0 } as MaskVersionRecord;
    this.versions.push(version);
    this.record = { ...this.record, latestVersionId: version.id, status: this.record.status === 'new' ? (authorKind === 'model' ? 'predicted' : 'in-progress') : this.record.status };
    this.changed();
    return version;
  }

  /** Another window deletes the case. */
  deleteElsewhere(): void {
    queueMicrotask(() => this.observers.forEach((next) => next({ record: undefined, versions: [] })));
  }

  private changed(): void {
    const snapshot = { record: this.record, versions: [...this.versions] };
    queueMicrotask(() => this.observers.forEach((next) => next(snapshot)));
  }
}

/** The model's answer: lesion in the right half, probabilities 0.9 there and 0.1 elsewhere. */
function segmentation(): SegmentImageResult {
  const mask = Uint8Array.from({ length: W * H }, (_, i) => (i % W >= W / 2 ? 1 : 0));
  return {
    width: W,
    height: H,
    maskPng: mask,
    probWidth: W,
    probHeight: H,
    prob: Float32Array.from(mask, (v) => (v ? 0.9 : 0.1)),
    lesionAreaPx: 12,
    uncertainty: 0.1,
    model: { name: 'scsonet', version: '1.0.0' },
  } as unknown as SegmentImageResult;
}

function fakePlatform() {
  const closed = vi.fn();
  const analyser = {
    runsIn: 'main thread' as const,
    setImage: vi.fn(),
    measure: vi.fn(async (width: number, height: number, mask: Uint8Array, ppm: number | null) => measureMask(new MaskRaster(width, height, mask.slice()), { pixelsPerMm: ppm })),
    outline: vi.fn(async (width: number, height: number, mask: Uint8Array) => traceOutlines(new MaskRaster(width, height, mask.slice()))),
    dispose: vi.fn(),
  } satisfies MaskAnalyser;
  const platform: CasePlatform = {
    decodeImage: async () => ({ close: closed }) as unknown as ImageBitmap,
    createAnalyser: () => analyser,
    decodeMask: async (png) => ({ width: W, height: H, data: new Uint8Array(await png.arrayBuffer()) }),
    encodePng: async (_w, _h, data) => new Blob([data.slice()]),
    devicePixelRatio: () => 1,
    regionCropper: () => async () => new Uint8Array(interactiveGrid * interactiveGrid * 3),
  };
  return { platform, analyser, closed };
}

function fakeStage() {
  return {
    fit: vi.fn(),
    actualSize: vi.fn(),
    zoomBy: vi.fn(),
    setViewMode: vi.fn(),
    setOpacity: vi.fn(),
    setPanKeyHeld: vi.fn(),
    setMaskOutline: vi.fn(),
    setCompareOutline: vi.fn(),
    setPredictionOutline: vi.fn(),
    showThresholdPreview: vi.fn(),
    setInteractiveMarks: vi.fn(),
    startRuler: vi.fn(),
    stopRuler: vi.fn(),
    destroy: vi.fn(),
  } satisfies CaseStage;
}

async function settle(): Promise<void> {
  for (let i = 0; i < 20; i++) await new Promise((resolve) => setTimeout(resolve, 0));
}

function key(k: string, extra: Partial<KeyboardEvent> = {}) {
  return { key: k, altKey: false, shiftKey: false, ctrlKey: false, metaKey: false, repeat: false, target: null, defaultPrevented: false, ...extra };
}

const sessions: CaseSession[] = [];
function session(library: FakeLibrary, segment = vi.fn(async () => segmentation()), journal?: EditJournal, interactiveApi?: CaseSessionOptions['interactiveApi']) {
  const parts = fakePlatform();
  const created = new CaseSession({
    caseId: 'c',
    repository: library.repository,
    api: { segmentImage: segment },
    model: () => ({ name: 'scsonet', version: '1.0.0' }),
    annotator: () => 'Ana',
    platform: parts.platform,
    journal,
    interactiveApi,
  });
  sessions.push(created);
  return { session: created, segment, ...parts };
}

beforeEach(() => {
  // Measurements and the journal wait for the frame after an edit; in Node, a task stands in.
  vi.stubGlobal('requestAnimationFrame', (task: FrameRequestCallback) => setTimeout(() => task(0), 0));
  vi.stubGlobal('cancelAnimationFrame', (id: ReturnType<typeof setTimeout>) => clearTimeout(id));
});

afterEach(() => {
  for (const open of sessions.splice(0)) open.dispose();
  vi.unstubAllGlobals();
});

describe('CaseSession', () => {
  it('opens a new case: runs the model once, shows its mask, and the slider follows the untouched prediction', async () => {
    const library = new FakeLibrary();
    const { session: open, segment } = session(library);
    await open.open();
    expect(segment).toHaveBeenCalledOnce();
    expect(open.phase).toBe('ready');
    expect(open.editor?.raster.area()).toBe(12);
    expect(open.facts.record?.status).toBe('predicted');
    expect(open.prediction.action).toBe('follow');
    expect(open.display.opacity).toBe(0.6);
    expect(open.calibration.current).toEqual({ pixelsPerMm: 5, source: 'default' });
    // Opened again, the stored prediction is reused.
    const again = session(library);
    await again.session.open();
    expect(again.segment).not.toHaveBeenCalled();
    expect(again.session.editor?.raster.area()).toBe(12);
  });

  it('a model that fails leaves the case editable and says why there is no prediction; a missing case fails to open', async () => {
    const { session: open } = session(new FakeLibrary(), vi.fn(async () => Promise.reject(new Error('the model file is damaged'))));
    await open.open();
    expect(open.phase).toBe('ready');
    expect(open.messages.problem).toBe('No prediction: the model file is damaged');
    expect(open.prediction.action).toBe('none');
    const library = new FakeLibrary();
    library.missing = true;
    const missing = session(library).session;
    await missing.open();
    expect(missing.phase).toBe('failed');
    expect(missing.messages.problem).toBe('Case c is not in the library (it may have been deleted).');
  });

  it('with the stage attached: the view keys reach it and the review keys the shell, and the measurements start', async () => {
    const { session: open, analyser } = session(new FakeLibrary());
    await open.open();
    const stage = fakeStage();
    const reviewed: string[] = [];
    open.attachStage(stage, (action) => reviewed.push(action));
    expect(stage.setOpacity).toHaveBeenCalledWith(0.6);
    expect(open.keyDown(key('0'))).toBe(true);
    expect(stage.fit).toHaveBeenCalledOnce();
    open.keyDown(key('r'));
    expect(open.calibration.rulerActive).toBe(true);
    // A tool key ends the ruler.
    open.keyDown(key('b'));
    expect(open.calibration.rulerActive).toBe(false);
    expect(stage.stopRuler).toHaveBeenCalledOnce();
    open.keyDown(key('Enter', { ctrlKey: true }));
    expect(reviewed).toEqual(['approve']);
    await vi.waitFor(() => expect(open.measurements?.stale).toBe(false));
    expect(analyser.measure).toHaveBeenCalledWith(W, H, expect.any(Uint8Array), 5, expect.any(AbortSignal));
    expect(open.measurements?.areaMm2).toBe(12 / 25);
    // A new calibration from the ruler: measured again in its millimetres.
    open.calibration.measured({ x: 0, y: 0 }, { x: 10, y: 0 });
    open.calibration.millimetres = '1';
    await open.calibration.set('case');
    expect(open.measurements?.areaMm2).toBe(12 / 100);
    await vi.waitFor(() => expect(analyser.measure).toHaveBeenLastCalledWith(W, H, expect.any(Uint8Array), 10, expect.any(AbortSignal)));
  });

  it('an edit is saved through the session (what the shell flushes before a review decision), and a version restored in the history is shown', async () => {
    const library = new FakeLibrary();
    const { session: open } = session(library);
    await open.open();
    open.runCommand('mask.clear');
    expect(open.prediction.maskSource).toBe('person');
    expect(open.hasUnsavedChanges).toBe(true);
    await open.flush();
    expect(open.hasUnsavedChanges).toBe(false);
    expect(library.versions.map((v) => [v.authorKind, v.author])).toEqual([
      ['model', 'scsonet@1.0.0'],
      ['person', 'Ana'],
    ]);
    await settle();
    // The history restores the prediction as a new person version: the session follows it.
    library.add({ caseId: 'c', png: library.versions[0]!.png, author: 'Ana', area: 12, parentVersionId: 'v1' }, 'person');
    await settle();
    expect(open.editor?.raster.area()).toBe(12);
    expect(open.messages.notice).toMatch(/^Updated to the version Ana saved at /);
  });

  it('opening recovers an edit left unsaved: shown, said, and saved on top of the version it was drawn on; one that no longer fits is said', async () => {
    const library = new FakeLibrary();
    await session(library).session.open();
    const unsaved = new Uint8Array(W * H).fill(1);
    const recovery = (width: number): JournalRecovery => ({
      width,
      height: H,
      snapshot: { caseId: 'c', width, height: H, runs: encodeRunLengths(unsaved), area: W * H, author: 'Ana', baseVersionId: 'v1', baseRevision: 0, draftVersionId: null, editedAt: Date.UTC(2026, 0, 1, 9, 30) },
      deltas: [],
      head: { baseVersionId: 'v1', baseRevision: 0, draftVersionId: null, editedAt: Date.UTC(2026, 0, 1, 9, 30), error: 'The disk is full.' },
    });
    const journal = { recover: vi.fn(async () => recovery(W)), discard: vi.fn(async () => {}), saved: vi.fn(async () => {}), failed: vi.fn(), recordDelta: vi.fn(), record: vi.fn() };
    const { session: reopened, segment } = session(library, undefined, journal as unknown as EditJournal);
    await reopened.open();
    expect(segment).not.toHaveBeenCalled();
    expect(reopened.editor?.raster.area()).toBe(W * H);
    expect(reopened.prediction.maskSource).toBe('person');
    expect(reopened.messages.notice).toMatch(/^Recovered your change from .* that was not saved \(the last save failed: The disk is full\); saving it now\.$/);
    await reopened.flush();
    expect(library.versions.at(-1)).toMatchObject({ authorKind: 'person', parentVersionId: 'v1', area: W * H });
    expect(journal.saved).toHaveBeenCalledWith('c', Date.UTC(2026, 0, 1, 9, 30), 'v2', 'v1');
    // Drawn on an image of another size: not applied, said, and the latest version opens.
    journal.recover.mockResolvedValueOnce(recovery(W + 1));
    const mismatched = session(library, undefined, journal as unknown as EditJournal).session;
    await mismatched.open();
    expect(mismatched.phase).toBe('ready');
    expect(mismatched.messages.problem).toBe(`An unsaved change of this case could not be recovered (it is ${W + 1} x ${H}, the image ${W} x ${H}).`);
    expect(mismatched.editor?.raster.area()).toBe(W * H);
    expect(mismatched.hasUnsavedChanges).toBe(false);
  });

  it('a failed save says the edit is kept and clears once a save goes through; a case deleted elsewhere is said, the mask stays on screen', async () => {
    const library = new FakeLibrary();
    const { session: open, platform } = session(library);
    const encode = vi.spyOn(platform, 'encodePng').mockRejectedValueOnce(new Error('out of memory'));
    await open.open();
    open.runCommand('mask.invert');
    await expect(open.flush()).rejects.toThrow('out of memory');
    expect(open.messages.problem).toBe('Autosave failed: out of memory. Your edits are kept (also after closing this case) and will be saved again.');
    expect(open.saving?.saveState).toBe('error');
    expect(open.hasUnsavedChanges).toBe(true);
    await open.flush();
    expect(encode).toHaveBeenCalledTimes(2);
    expect(open.messages.problem).toBeNull();
    expect(library.versions.at(-1)).toMatchObject({ authorKind: 'person', area: W * H - 12 });
    library.deleteElsewhere();
    await settle();
    expect(open.messages.problem).toBe('lesion.jpg was deleted (in another window?). What is on screen is no longer stored.');
    expect(open.editor?.raster.area()).toBe(W * H - 12);
  });

  it('dispose() saves what is unsaved, stops following the database and releases the stage, the worker and the image', async () => {
    const library = new FakeLibrary();
    const { session: open, analyser, closed } = session(library);
    await open.open();
    const stage = fakeStage();
    open.attachStage(stage);
    await settle();
    open.runCommand('mask.invert');
    open.dispose();
    await settle();
    expect(library.versions.at(-1)).toMatchObject({ authorKind: 'person', area: W * H - 12 });
    expect(library.observers.size).toBe(0);
    expect(stage.destroy).toHaveBeenCalledOnce();
    expect(analyser.dispose).toHaveBeenCalledOnce();
    expect(closed).toHaveBeenCalledOnce();
    expect(open.measurements).toBeNull();
  });

  it('the Box and Click tools are part of the session: they find the interactive model, a box too small for it (this image is 6 x 4) is said and asks nothing, dispose ends the run', async () => {
    const refineRegion = vi.fn();
    const listModels = vi.fn(async () => [{ card: { kind: 'interactive', name: 'scsonet-interactive' } }]);
    const { session: open } = session(new FakeLibrary(), undefined, undefined, { refineRegion, listModels } as unknown as CaseSessionOptions['interactiveApi']);
    await open.open();
    open.attachStage(fakeStage());
    await settle();
    expect(listModels).toHaveBeenCalled();
    expect(open.interactive?.unavailable).toBeNull();
    const before = open.editor!.raster.area();
    open.selectTool('box');
    open.editor!.requestInteractive({ kind: 'box', x0: 0, y0: 0, x1: W, y1: H });
    await settle();
    expect(refineRegion).not.toHaveBeenCalled();
    expect(open.messages.notice).toMatch(/smaller than 8x8/);
    expect(open.editor!.raster.area()).toBe(before);
    const disposed = vi.spyOn(open.interactive!, 'dispose');
    open.dispose();
    expect(disposed).toHaveBeenCalledOnce();
  });

  it('without an interactive model the Box and Click tools say why they are off', async () => {
    const { session: open } = session(new FakeLibrary());
    await open.open();
    await settle();
    expect(open.interactive?.unavailable).toMatch(/no interactive model/);
  });

  it('opens once: opening it again does not run the model again, and a closed session does not open', async () => {
    const library = new FakeLibrary();
    const { session: open, segment } = session(library);
    await open.open();
    await open.open();
    expect(segment).toHaveBeenCalledOnce();
    expect(open.phase).toBe('ready');
    const other = new FakeLibrary();
    const closed = session(other);
    closed.session.dispose();
    await closed.session.open();
    expect(closed.segment).not.toHaveBeenCalled();
    expect(other.versions).toHaveLength(0);
    expect(closed.session.phase).toBe('loading');
  });

  it('a session closed while it opens starts nothing and holds no worker', async () => {
    const library = new FakeLibrary();
    const { session: open, analyser, closed } = session(library);
    const opening = open.open();
    open.dispose();
    await opening;
    expect(open.editor).toBeNull();
    expect(open.phase).not.toBe('failed');
    expect(library.observers.size).toBe(0);
    // Created after the close, the worker and the image are released at once.
    expect(analyser.dispose).toHaveBeenCalledOnce();
    expect(closed).toHaveBeenCalledOnce();
    const stage = fakeStage();
    open.attachStage(stage);
    expect(stage.destroy).toHaveBeenCalledOnce();
  });
});
