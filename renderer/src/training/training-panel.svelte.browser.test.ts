import { flushSync } from 'svelte';
import { describe, expect, it, vi } from 'vitest';
import type { ApiEvent, LesionDeskApi, ModelInfo, ModelVersion, TrainingJob, TrainingPreflight } from '../../../preload/api.ts';
import type { CaseRecord, CaseRepository } from '../storage/index.ts';
import { defaultSettings, type AppSettings } from '../storage/types.ts';
import { MainState, type MainApi } from '../workspace/main-state.svelte.ts';
import type { TrainingApi } from './job-start.ts';
import { minValidationCases } from './split.ts';
import { splitOfDigest } from '../../../preload/api.ts';
import { TrainingPanelState } from './training-panel.svelte.ts';

const passing: TrainingPreflight = { ok: true, python: { path: '/usr/bin/python3', version: '3.11', torch: '1.13' }, freeDiskBytes: 1e10, problems: [] };

function job(id: string, state: TrainingJob['state']): TrainingJob {
  return {
    id,
    state,
    phase: state === 'running' ? 'training' : 'done',
    base: 'scsonet@1.0.0',
    activate: 'auto',
    epochs: 10,
    epoch: 2,
    progress: 0.2,
    etaSeconds: null,
    cases: { train: 8, validation: 5 },
    history: [],
    createdAt: '2026-01-01T00:00:00Z',
    startedAt: null,
    endedAt: null,
    result: null,
    error: null,
  };
}

/** The stand-in image digest of a case: the SHA-256 of its id (the side then follows the content rule). */
async function imageDigest(caseId: string): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(caseId));
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, '0')).join('');
}

/** Approved cases with a mask, enough of them in validation for a job. */
async function approvedCases(): Promise<CaseRecord[]> {
  const cases: CaseRecord[] = [];
  let validation = 0;
  for (let i = 0; validation < minValidationCases; i++) {
    const id = `case-${i}`;
    if (splitOfDigest(await imageDigest(id)) === 'validation') validation++;
    cases.push({ id, fileName: `${id}.jpg`, latestVersionId: `v-${i}`, status: 'approved' } as CaseRecord);
  }
  return cases;
}

/** Main and the library as the panel sees them, counting the calls that matter. */
function setup(options: { settings?: Partial<AppSettings>; check?: TrainingPreflight; cases?: CaseRecord[]; learnedFrom?: CaseRecord[] } = {}) {
  const listeners = new Set<(event: ApiEvent) => void>();
  const calls = { trainingPreflight: 0, createTrainingJob: 0, listCases: 0, setSettings: [] as Partial<AppSettings>[], activated: [] as string[] };
  // With `learnedFrom`, the active version is a fine-tuned one whose card records those masks.
  let active = options.learnedFrom ? 'scsonet@1.1.0' : 'scsonet@1.0.0';
  const trainedOn = (options.learnedFrom ?? []).map((c) => ({ caseId: c.id, maskVersionId: c.latestVersionId }));
  const api = {
    getModelInfo: async () => ({ name: active.split('@')[0], version: active.split('@')[1], card: {}, provider: 'cpu', available: ['cpu'] }) as unknown as ModelInfo,
    getTrainingStatus: async () => ({ current: null, history: [] }),
    trainingPreflight: async () => {
      calls.trainingPreflight++;
      return options.check ?? passing;
    },
    segmentImage: async () => {
      throw new Error('not used');
    },
    onEvent: (listener: (event: ApiEvent) => void) => {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    createTrainingJob: async () => {
      calls.createTrainingJob++;
      throw new Error('The disk is full.');
    },
    addTrainingPairs: async () => {
      throw new Error('not reached');
    },
    startTrainingJob: async () => {
      throw new Error('not reached');
    },
    cancelTrainingJob: async () => {
      throw new Error('not reached');
    },
    activateModelVersion: async ({ id }: { id: string }) => {
      calls.activated.push(id);
      active = id;
      // Main announces every switch; the mirror reads the model again.
      listeners.forEach((listener) => listener({ type: 'active-model-changed', active: id, previous: null }));
      return { active: id, previous: null, versions: [], unknown: [], problem: null };
    },
    listModelVersions: async () => ({
      active,
      previous: null,
      versions: [{ id: 'scsonet@1.1.0', kind: 'fine-tuned', card: { training: { trained_on: trainedOn } } } as unknown as ModelVersion],
      unknown: [],
      problem: null,
    }),
  } satisfies MainApi & TrainingApi & Pick<LesionDeskApi, 'activateModelVersion' | 'listModelVersions'>;
  const settings: AppSettings = { ...defaultSettings, ...options.settings };
  const repository = {
    getSettings: async () => settings,
    setSettings: async (changes: Partial<AppSettings>) => {
      calls.setSettings.push(changes);
      Object.assign(settings, changes);
      return settings;
    },
    listCases: async () => {
      calls.listCases++;
      return { cases: options.cases ?? [], total: options.cases?.length ?? 0 };
    },
    getImageDigests: async (ids: readonly string[]) => new Map(await Promise.all(ids.map(async (id) => [id, await imageDigest(id)] as const))),
  } as unknown as CaseRepository;
  const main = new MainState(api);
  const library = { snapshot: 0 };
  let autoChanges = 0;
  const evidenceOpened: string[] = [];
  let panel!: TrainingPanelState;
  const stop = $effect.root(() => {
    panel = new TrainingPanelState({
      api,
      main,
      repository,
      library: () => library.snapshot,
      onAutoChange: () => autoChanges++,
      onOpenEvidence: (version) => evidenceOpened.push(version),
    });
  });
  const push = (event: ApiEvent): void => listeners.forEach((listener) => listener(event));
  return { panel, main, calls, push, library, autoChanges: () => autoChanges, evidenceOpened, stop };
}

describe('TrainingPanelState', () => {
  it('opens with the remembered settings and one machine check, which the Start that follows reuses', async () => {
    const cases = await approvedCases();
    const { panel, calls, stop } = setup({ settings: { trainingEpochs: 7, trainingActivate: 'never', trainAfterApprovals: 30 }, cases });
    await panel.open();
    expect([panel.epochs, panel.activate, panel.autoEvery, panel.lastAutoEvery]).toEqual([7, 'never', 30, 30]);
    flushSync();
    await vi.waitFor(() => expect(panel.enough).toBe(true));
    expect(panel.ready).toHaveLength(cases.length);

    await panel.start();
    expect(calls.trainingPreflight).toBe(1);
    expect(calls.createTrainingJob).toBe(1);
    expect(panel.problem).toBe('The disk is full.');
    expect(panel.busy).toBe(false);
    stop();
  });

  it('shows the problems of the check as it opens (not "busy": another job running is no fault of this computer)', async () => {
    const check: TrainingPreflight = {
      ok: false,
      python: null,
      freeDiskBytes: 1e10,
      problems: [
        { code: 'busy', message: 'A job runs.', fix: 'Wait.' },
        { code: 'no-python', message: 'Python 3 was not found.', fix: 'Install Python 3.' },
      ],
    } as unknown as TrainingPreflight;
    const { panel, stop } = setup({ check });
    await panel.open();
    expect(panel.preflight?.problems.map((p) => p.code)).toEqual(['no-python']);
    stop();
  });

  it('holds no job of its own: the one shown is main\'s, as its events tell it', async () => {
    const { panel, push, stop } = setup();
    await panel.open();
    expect(panel.job).toBeNull();
    push({ type: 'job-progress', job: job('j1', 'running') });
    expect(panel.job?.id).toBe('j1');
    expect(panel.live).toBe(true);
    expect(panel.base).toBe('scsonet@1.0.0');
    push({ type: 'job-ended', job: job('j1', 'succeeded') });
    expect(panel.live).toBe(false);
    stop();
  });

  it('counts again when the library changes, a job starts or ends, or "corrected only" is chosen', async () => {
    const { panel, calls, push, stop } = setup();
    await panel.open();
    flushSync();
    await vi.waitFor(() => expect(calls.listCases).toBe(1));
    panel.setOnlyCorrected(true);
    flushSync();
    await vi.waitFor(() => expect(calls.listCases).toBe(2));
    push({ type: 'job-progress', job: job('j1', 'running') });
    flushSync();
    await vi.waitFor(() => expect(calls.listCases).toBe(3));
    // Progress of the same job is not a reason to count.
    push({ type: 'job-progress', job: { ...job('j1', 'running'), epoch: 3 } });
    flushSync();
    await Promise.resolve();
    expect(calls.listCases).toBe(3);
    expect(calls.setSettings).toContainEqual({ trainingOnlyCorrected: true });
    stop();
  });

  it("takes a finished job's next step: the suggested epochs go into the settings, the evidence opens, a passed candidate is activated", async () => {
    const { panel, push, calls, evidenceOpened, stop } = setup();
    await panel.open();
    const changed = { n: 6, base: 0.75, candidate: 0.745 };
    const close: TrainingJob = {
      ...job('j1', 'succeeded'),
      epochs: 3,
      history: [0.7, 0.72, 0.74].map((valDsc, i) => ({ epoch: i + 1, loss: 0.3, valDsc })),
      result: {
        version: 'scsonet@1.1.0',
        validation: changed,
        changed,
        anchor: null,
        gate: { activated: false, reason: 'Kept as a candidate: …', parts: { judged: true, changed: 'failed', unchanged: 'none', anchor: 'none' } },
      },
    };
    push({ type: 'job-ended', job: close });
    expect(panel.next).toMatchObject({ kind: 'set-epochs', epochs: 6 });
    await panel.takeStep(panel.next!);
    expect(panel.epochs).toBe(6);
    expect(calls.setSettings).toContainEqual({ trainingEpochs: 6 });

    // Lost by more than a point: the evidence shows where.
    const lost = { ...close, id: 'j1b', result: { ...close.result!, changed: { n: 6, base: 0.75, candidate: 0.7 } } } as TrainingJob;
    push({ type: 'job-ended', job: lost });
    expect(panel.next).toMatchObject({ kind: 'open-evidence', version: 'scsonet@1.1.0' });
    expect(panel.canTake(panel.next!)).toBe(true);
    await panel.takeStep(panel.next!);
    expect(evidenceOpened).toEqual(['scsonet@1.1.0']);

    const passed = { ...close, id: 'j2', result: { ...close.result!, gate: { activated: false, reason: 'Passed the gate but kept …', parts: { judged: true, changed: 'passed', unchanged: 'none', anchor: 'passed' } } } } as TrainingJob;
    push({ type: 'job-ended', job: passed });
    expect(panel.next).toMatchObject({ kind: 'activate', version: 'scsonet@1.1.0' });
    await panel.takeStep(panel.next!);
    expect(calls.activated).toEqual(['scsonet@1.1.0']);
    await vi.waitFor(() => expect(panel.next).toEqual({ kind: 'done', text: 'Next: nothing; scsonet@1.1.0 is active now.' }));
    stop();
  });

  it('says before Start that the ready cases teach the active version nothing new, until a mask is new to it', async () => {
    const cases = await approvedCases();
    const { panel, stop } = setup({ cases, learnedFrom: cases });
    await panel.open();
    flushSync();
    const training = cases.length - minValidationCases;
    await vi.waitFor(() => expect(panel.nothingNew).toMatch(new RegExp(`^Nothing new to learn: the active version scsonet@1\\.1\\.0 already learned from all ${training} ready training cases`)));
    expect(panel.canStart).toBe(true);
    // A case corrected again (a new approved mask) is new to it.
    const changed = cases.find((c) => panel.trainingReady.some((t) => t.id === c.id))!;
    changed.latestVersionId = 'v-new';
    await panel.count();
    expect(panel.nothingNew).toBeNull();
    stop();
  });

  it('keeps the automatic rule\'s N within 1..10,000, remembers it and tells the shell', async () => {
    const { panel, calls, autoChanges, stop } = setup();
    await panel.open();
    panel.typeAutoEvery(12);
    expect([panel.autoEvery, panel.lastAutoEvery, autoChanges()]).toEqual([null, 12, 0]);
    panel.setAutoEvery(panel.lastAutoEvery);
    expect([panel.autoEvery, autoChanges()]).toEqual([12, 1]);
    panel.typeAutoEvery(50_000);
    expect(panel.autoEvery).toBe(10_000);
    panel.typeAutoEvery(0);
    expect(panel.autoEvery).toBe(10_000);
    panel.setAutoEvery(null);
    expect(calls.setSettings.map((c) => c.trainAfterApprovals)).toEqual([12, 10_000, null]);
    stop();
  });
});
