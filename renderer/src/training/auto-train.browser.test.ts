// "Train after every N approvals" against the real repository (IndexedDB in Chromium) and the
// real pair streaming. Main's job runner cannot run in this page: the training methods answer as
// main does, and record what they were asked (the end-to-end test runs the real job).
import { describe, expect, it } from 'vitest';
import type { TrainingJob, TrainingPair, TrainingPreflight, TrainingStatus } from '../../../preload/api.ts';
import { openCaseRepository, type CaseRepository } from '../storage/index.ts';
import { AutoTrainer } from './auto-train.ts';
import { restartAfterReload, startFineTuningJob } from './job-start.ts';
import { readyCases } from './pairs.ts';
import { ApiError, splitOfDigest } from '../../../preload/api.ts';

async function pngOf(width: number, height: number): Promise<Blob> {
  const canvas = new OffscreenCanvas(width, height);
  const ctx = canvas.getContext('2d')!;
  ctx.fillStyle = '#fff';
  ctx.fillRect(2, 2, 3, 2);
  return canvas.convertToBlob({ type: 'image/png' });
}

function job(id: string, state: TrainingJob['state']): TrainingJob {
  return {
    id, state, phase: state === 'preparing' ? 'receiving' : 'training', base: 'scsonet@1.0.0', activate: 'auto', epochs: 10, epoch: 0, progress: 0,
    etaSeconds: null, cases: { train: 0, validation: 0 }, history: [], createdAt: new Date().toISOString(), startedAt: null, endedAt: null, result: null, error: null,
  };
}

/** Main's training methods as the contract answers them, recording every call. */
function fakeMain() {
  const calls: string[] = [];
  const pairs: TrainingPair[] = [];
  const state = { current: null as TrainingJob | null, preflight: { ok: true, python: null, freeDiskBytes: null, problems: [] } as TrainingPreflight };
  let n = 0;
  const api = {
    trainingPreflight: async () => (calls.push('preflight'), state.preflight),
    createTrainingJob: async () => {
      calls.push('create');
      // A real pause, so overlapping checks would each get here if the trainer let them.
      await new Promise((r) => setTimeout(r, 20));
      state.current = job(`job-${++n}`, 'preparing');
      return state.current;
    },
    addTrainingPairs: async (args: { jobId: string; pairs: TrainingPair[] }) => {
      calls.push(`add ${args.pairs.length}`);
      pairs.push(...args.pairs);
      return { received: pairs.length, train: 0, validation: 0 };
    },
    startTrainingJob: async () => (calls.push('start'), (state.current = job(`job-${n}`, 'running'))),
    cancelTrainingJob: async () => (calls.push('cancel'), job(`job-${n}`, 'cancelled')),
    getTrainingStatus: async (): Promise<TrainingStatus> => ({ current: state.current, history: [] }),
  };
  return { api, calls, pairs, state };
}

/** A distinct stand-in digest per case whose first 32 bits are i: case i validates when i % 4 is 0. */
const digestOf = (i: number) => i.toString(16).padStart(8, '0').padEnd(64, '0');

async function library(count: number) {
  const repository = await openCaseRepository(`lesiondesk-test-${crypto.randomUUID()}`);
  const image = await pngOf(8, 6);
  const mask = await pngOf(8, 6);
  const imported = await repository.importImages(
    Array.from({ length: count }, (_, i) => ({ fileName: `c${i}.png`, blob: image, width: 8, height: 6, sha256: digestOf(i) })),
  );
  const ids = imported.map((r) => r.caseId);
  for (const caseId of ids) await repository.addMaskVersion({ caseId, png: mask, authorKind: 'model', author: 'scsonet@1.0.0', area: 6, uncertainty: 0.2 });
  // The stored digest decides the side (every fourth case validates here).
  const splits = ids.map((_, i) => splitOfDigest(digestOf(i)));
  return {
    repository,
    validation: ids.filter((_, i) => splits[i] === 'validation'),
    train: ids.filter((_, i) => splits[i] === 'train'),
  };
}

async function approve(repository: CaseRepository, ids: readonly string[]): Promise<void> {
  for (const id of ids) {
    await repository.setStatus(id, 'in-progress');
    await repository.setStatus(id, 'approved');
  }
}

describe('AutoTrainer', () => {
  it('starts one job at N new approved cases, never before, never twice for the same cases', async () => {
    const { repository, validation, train } = await library(60);
    expect(validation.length).toBeGreaterThanOrEqual(5);
    const main = fakeMain();
    const problems: string[] = [];
    const trainer = new AutoTrainer(main.api, repository, { onProblem: (m) => problems.push(m) });

    // Off by default: nothing happens however many cases are approved.
    await approve(repository, validation.slice(0, 5));
    expect(await trainer.check()).toMatchObject({ start: false, wait: 'off' });

    await repository.setSettings({ trainAfterApprovals: 6, trainingEpochs: 3 });
    expect(await trainer.check()).toMatchObject({ start: false, wait: 'approvals', newCases: 5 });
    expect(main.calls).toEqual([]);

    // The sixth approval reaches N; a burst of checks starts a single job with every ready pair.
    await approve(repository, train.slice(0, 1));
    const decisions = await Promise.all([trainer.check(), trainer.check(), trainer.check()]);
    expect(decisions.some((d) => d.start)).toBe(true);
    expect(main.calls.filter((c) => c === 'create')).toHaveLength(1);
    expect(main.calls.filter((c) => c === 'start')).toHaveLength(1);
    expect(main.pairs).toHaveLength(6);
    expect(new Set(main.pairs.map((p) => p.caseId))).toEqual(new Set([...validation.slice(0, 5), train[0]]));
    expect((await repository.getSettings()).lastTrainingPairs).toHaveLength(6);
    expect(problems).toEqual([]);

    // While it runs, new approvals wait for it.
    await approve(repository, train.slice(1, 7));
    expect(await trainer.check()).toMatchObject({ start: false, wait: 'job-running', newCases: 6 });
    expect(main.calls.filter((c) => c === 'create')).toHaveLength(1);

    // Once it ended, the six approved meanwhile start the next one, sending all twelve.
    main.state.current = null;
    expect(await trainer.check()).toMatchObject({ start: true, newCases: 6 });
    expect(main.calls.filter((c) => c === 'create')).toHaveLength(2);
    expect(main.pairs).toHaveLength(18);
    main.state.current = null;
    expect(await trainer.check()).toMatchObject({ start: false, wait: 'approvals', newCases: 0 });
  });

  it('reports a failed preflight with its fix and starts nothing', async () => {
    const { repository, validation } = await library(40);
    const main = fakeMain();
    main.state.preflight = {
      ok: false, python: null, freeDiskBytes: null,
      problems: [{ code: 'no-torch', message: 'PyTorch is not installed for /usr/bin/python3.', fix: 'Install it: sudo apt-get install python3-torch.' }],
    } as TrainingPreflight;
    const problems: string[] = [];
    const trainer = new AutoTrainer(main.api, repository, { onProblem: (m) => problems.push(m) });
    await repository.setSettings({ trainAfterApprovals: 5 });
    await approve(repository, validation.slice(0, 5));
    expect(await trainer.check()).toMatchObject({ start: false });
    expect(main.calls).toEqual(['preflight']);
    expect(problems).toEqual(['Automatic fine-tuning could not start: PyTorch is not installed for /usr/bin/python3. Install it: sudo apt-get install python3-torch.']);
  });

  it('stops sending, quietly, when the job is cancelled while its pairs are on their way', async () => {
    const { repository, validation, train } = await library(60);
    const main = fakeMain();
    const problems: string[] = [];
    const trainer = new AutoTrainer(main.api, repository, { onProblem: (m) => problems.push(m) });
    await repository.setSettings({ trainAfterApprovals: 12 });
    await approve(repository, [...validation.slice(0, 5), ...train.slice(0, 7)]);
    const add = main.api.addTrainingPairs;
    main.api.addTrainingPairs = async (args) => {
      const result = await add(args);
      // The user presses Cancel after the first chunk: main ends the job and says so.
      trainer.jobEnded(args.jobId);
      main.state.current = null;
      return result;
    };
    await trainer.check();
    expect(main.calls.filter((c) => c.startsWith('add'))).toEqual(['add 8']);
    expect(main.calls).not.toContain('start');
    expect(problems).toEqual([]);
  });

  it('gives the job lock back when sending the pairs fails', async () => {
    const { repository, validation } = await library(40);
    const main = fakeMain();
    main.api.addTrainingPairs = async () => {
      main.calls.push('add');
      throw new Error('the disk is full');
    };
    const problems: string[] = [];
    const trainer = new AutoTrainer(main.api, repository, { onProblem: (m) => problems.push(m) });
    await repository.setSettings({ trainAfterApprovals: 5 });
    await approve(repository, validation.slice(0, 5));
    main.api.cancelTrainingJob = async () => {
      main.calls.push('cancel');
      main.state.current = null;
      return job('job-1', 'cancelled');
    };
    await trainer.check();
    expect(main.calls).toEqual(['preflight', 'create', 'add', 'cancel']);
    expect(problems).toEqual(['Automatic fine-tuning could not start: the disk is full']);
  });
});

describe('a reload while the pairs are sent', () => {
  it("starts the page's own job again with the same choices; another page's job, or one main no longer waits for, is left alone", async () => {
    const { repository, validation, train } = await library(20);
    await approve(repository, [...validation.slice(0, 3), ...train.slice(0, 3)]);
    const main = fakeMain();
    // Page A starts a job and is reloaded while sending: its sending never finishes.
    const add = main.api.addTrainingPairs;
    main.api.addTrainingPairs = (args) => (args.jobId === 'job-1' ? new Promise(() => {}) : add(args));
    void startFineTuningJob(main.api, repository, { cases: await readyCases(repository, false), epochs: 3, activate: 'never', owner: 'page-A' });
    while ((await repository.getSettings()).sendingJob === null) await new Promise((r) => setTimeout(r, 10));
    expect((await repository.getSettings()).sendingJob).toEqual({ jobId: 'job-1', owner: 'page-A', epochs: 3, activate: 'never', onlyCorrected: false });

    // Another window of the same library loads: not its job, nothing happens.
    expect(await restartAfterReload(main.api, repository, 'page-B')).toBeNull();
    expect(main.calls).toEqual(['preflight', 'create']);

    // Page A after its reload: the stuck job is cancelled and started again, all six pairs sent.
    const outcome = await restartAfterReload(main.api, repository, 'page-A');
    expect(outcome).toMatchObject({ kind: 'started', cancelled: 'job-1', job: { id: 'job-2', state: 'running' } });
    expect(main.calls).toEqual(['preflight', 'create', 'cancel', 'preflight', 'create', 'add 6', 'start']);
    expect((await repository.getSettings()).sendingJob).toBeNull();

    // A job main abandoned meanwhile (no pairs for 2 minutes) is not started again by a later reload.
    await repository.setSettings({ sendingJob: { jobId: 'job-9', owner: 'page-A', epochs: 3, activate: 'auto', onlyCorrected: false } });
    main.state.current = null;
    expect(await restartAfterReload(main.api, repository, 'page-A')).toBeNull();
    expect((await repository.getSettings()).sendingJob).toBeNull();
    expect(main.calls.filter((c) => c === 'create')).toHaveLength(2);
  });

  it('a pair request dropped on the way (the reload came before pagehide) leaves the job recorded for the reloaded page, which starts it again', async () => {
    const { repository, validation, train } = await library(20);
    await approve(repository, [...validation.slice(0, 3), ...train.slice(0, 3)]);
    const main = fakeMain();
    const add = main.api.addTrainingPairs;
    main.api.addTrainingPairs = (args) =>
      args.jobId === 'job-1' ? Promise.reject(new ApiError('unreachable', 'The LesionDesk server is not reachable.')) : add(args);
    const start = startFineTuningJob(main.api, repository, { cases: await readyCases(repository, false), epochs: 3, activate: 'never', owner: 'page-A' });
    await expect(start).rejects.toThrow('not reachable');
    // Not cancelled, still this page's: main keeps waiting (its 2-minute timeout ends it if no page comes back).
    expect(main.calls).toEqual(['preflight', 'create']);
    expect((await repository.getSettings()).sendingJob).toMatchObject({ jobId: 'job-1', owner: 'page-A' });

    const outcome = await restartAfterReload(main.api, repository, 'page-A');
    expect(outcome).toMatchObject({ kind: 'started', cancelled: 'job-1', job: { id: 'job-2', state: 'running' } });
    expect(main.calls).toEqual(['preflight', 'create', 'cancel', 'preflight', 'create', 'add 6', 'start']);
  });
});
