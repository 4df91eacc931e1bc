import { flushSync } from 'svelte';
import { describe, expect, it, vi } from 'vitest';
import type { ApiEvent, ModelInfo, TrainingJob, TrainingPreflight, TrainingStatus } from '../../../preload/api.ts';
import { MainState, type MainApi } from './main-state.svelte.ts';

/** Main as the mirror hears it: answers it can change and events it can push, counting every call. */
class ScriptedMain implements MainApi {
  model: ModelInfo = modelInfo('1.0.0');
  status: TrainingStatus = { current: null, history: [] };
  check: TrainingPreflight = { ok: true, python: { path: '/usr/bin/python3', version: '3.11', torch: '1.13' }, freeDiskBytes: 1e10, problems: [] };
  calls = { getModelInfo: 0, trainingPreflight: 0 };
  listeners = new Set<(event: ApiEvent) => void>();

  getModelInfo = async (): Promise<ModelInfo> => {
    this.calls.getModelInfo++;
    return this.model;
  };
  getTrainingStatus = async (): Promise<TrainingStatus> => this.status;
  trainingPreflight = async (): Promise<TrainingPreflight> => {
    this.calls.trainingPreflight++;
    return this.check;
  };
  segmentImage: MainApi['segmentImage'] = async () => {
    throw new Error('not used');
  };
  onEvent: MainApi['onEvent'] = (listener) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };
  push(event: ApiEvent): void {
    for (const listener of this.listeners) listener(event);
  }
}

function modelInfo(version: string): ModelInfo {
  return { name: 'scsonet', version, card: {} as ModelInfo['card'], provider: 'cpu', available: ['cpu'] };
}

function job(id: string, state: TrainingJob['state'], progress = 0): TrainingJob {
  return {
    id,
    state,
    phase: state === 'running' ? 'training' : 'done',
    base: 'scsonet@1.0.0',
    activate: 'auto',
    epochs: 10,
    epoch: 0,
    progress,
    etaSeconds: null,
    cases: { train: 8, validation: 2 },
    history: [],
    createdAt: '2026-01-01T00:00:00Z',
    startedAt: null,
    endedAt: null,
    result: null,
    error: null,
  };
}

describe('MainState', () => {
  it('reads the model once per announced switch (no poll) and drops the old version\'s timings', async () => {
    const main = new ScriptedMain();
    const mirror = new MainState(main);
    await mirror.load();
    expect(mirror.modelName).toBe('scsonet@1.0.0');
    expect(mirror.modelLoading).toBe(false);
    mirror.lastPrediction = { timings: {} } as never;

    main.model = modelInfo('1.1.0');
    main.push({ type: 'active-model-changed', active: 'scsonet@1.1.0', previous: 'scsonet@1.0.0' });
    await vi.waitFor(() => expect(mirror.modelName).toBe('scsonet@1.1.0'));
    expect(main.calls.getModelInfo).toBe(2);
    expect(mirror.lastPrediction).toBeNull();
    mirror.dispose();
    expect(main.listeners.size).toBe(0);
  });

  it('holds one job: the running one, then its ending, and a new job only once the shown one is over', async () => {
    const main = new ScriptedMain();
    main.status = { current: null, history: [job('old', 'succeeded', 1)] };
    const mirror = new MainState(main);
    const seen: (string | undefined)[] = [];
    const stop = $effect.root(() => {
      $effect(() => void seen.push(mirror.jobRunning ? `${mirror.job?.id} ${mirror.job?.progress}` : mirror.job?.id));
    });
    await mirror.load();
    flushSync();
    expect(mirror.job?.id).toBe('old');

    main.push({ type: 'job-progress', job: job('a', 'running', 0.2) });
    flushSync();
    // Another job's progress (a second window racing for the lock) does not replace the one that runs.
    main.push({ type: 'job-progress', job: job('b', 'running', 0.9) });
    flushSync();
    main.push({ type: 'job-progress', job: job('a', 'running', 0.5) });
    flushSync();
    main.push({ type: 'job-ended', job: job('a', 'failed', 0.5) });
    flushSync();
    expect(seen).toEqual([undefined, 'old', 'a 0.2', 'a 0.5', 'a']);
    expect(mirror.job?.state).toBe('failed');

    // The ended job stays on screen until the next one (the CLI's) shows up.
    main.push({ type: 'job-progress', job: job('c', 'running', 0.1) });
    flushSync();
    expect(mirror.job?.id).toBe('c');
    stop();
    mirror.dispose();
  });

  it('runs one machine check for the panel opening and the start that follows; a failed or outdated check is asked again', async () => {
    const main = new ScriptedMain();
    const mirror = new MainState(main);
    await mirror.preflight();
    const atStart = await mirror.preflight({ forStart: true });
    expect(atStart.ok).toBe(true);
    expect(main.calls.trainingPreflight).toBe(1);

    // Used up by that start: the next start checks again.
    await mirror.preflight({ forStart: true });
    expect(main.calls.trainingPreflight).toBe(2);

    // A check that failed is not reused (the user may have installed PyTorch since).
    main.check = { ...main.check, ok: false, problems: [{ code: 'no-torch', message: 'PyTorch is missing.', fix: 'Install it.' }] as TrainingPreflight['problems'] };
    expect((await mirror.preflight()).ok).toBe(false);
    main.check = { ...main.check, ok: true, problems: [] };
    expect((await mirror.preflight({ forStart: true })).ok).toBe(true);
    expect(main.calls.trainingPreflight).toBe(4);

    // A job that ends changes the lock: a check from before it is not reused.
    await mirror.preflight();
    main.push({ type: 'job-ended', job: job('a', 'succeeded', 1) });
    await mirror.preflight({ forStart: true });
    expect(main.calls.trainingPreflight).toBe(6);
    mirror.dispose();
  });
});
