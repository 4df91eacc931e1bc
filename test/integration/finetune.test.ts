/**
 * The fine-tuning loop end to end with the real Python trainer: a base trained on one
 * synthetic domain, corrections from another, the job runner, the gate, the store, the CLI,
 * and the model switch in the running services. Small images (64 px) keep it to minutes.
 */
import { execFile, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { copyFile, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { splitOfContent, type ApiEvent, type TrainingJob } from '../../preload/api.js';
import { createServices } from '../../main/services/index.js';
import { createEventHub } from '../../main/services/events.js';
import { ModelStore } from '../../main/services/modelStore.js';
import { TrainingJobs, type TrainingJobsOptions } from '../../main/services/trainingJobs.js';
import type { InputPair } from '../../main/services/trainingInput.js';
import { repoRoot } from './helpers.js';

const python = '/usr/bin/python3';
const trainerDir = path.join(repoRoot, 'models');
/** Fast settings for every job here: 64-px training, a higher rate for few epochs. */
const trainerArgs = ['--size', '64', '--threads', '2', '--lr', '1e-3', '--replay-max', '48'];

let tmp: string;
let shippedDir: string;
let synth: { base: string; shifted: string };

function run(file: string, args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(file, args, { cwd: repoRoot, env: { ...process.env, PYTHONPATH: trainerDir, ...env }, maxBuffer: 64 << 20 }, (error, stdout, stderr) =>
      resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

async function scsonet(...args: string[]): Promise<string> {
  const r = await run(python, ['-m', 'scsonet', ...args]);
  if (r.code !== 0) throw new Error(`scsonet ${args[0]} failed: ${r.stderr}`);
  return r.stdout;
}

/** Resolves when `check` holds (polled; the test's own timeout bounds the wait). */
async function until(check: () => boolean): Promise<void> {
  while (!check()) await new Promise((r) => setTimeout(r, 50));
}

/** The pairs of a synthetic folder, as the renderer would send them. */
async function pairsOf(dir: string, transform?: (mask: Buffer) => Promise<Buffer>): Promise<InputPair[]> {
  const names = (await readdir(path.join(dir, 'images'))).sort();
  return Promise.all(
    names.map(async (name) => {
      const stem = name.replace(/\.[^.]+$/, '');
      const mask = await readFile(path.join(dir, 'masks', `${stem}.png`));
      return {
        caseId: stem,
        maskVersionId: `mv-${stem}`,
        image: await readFile(path.join(dir, 'images', name)),
        imageName: name,
        maskPng: transform ? await transform(mask) : mask,
      };
    }),
  );
}

/** A fresh data folder with its own store and runner (the shipped model is the synthetic base). */
async function runner(extra: Partial<TrainingJobsOptions> = {}) {
  const dataDir = await mkdtemp(path.join(tmp, 'data-'));
  const events = createEventHub();
  const seen: ApiEvent[] = [];
  events.subscribe((e) => seen.push(e));
  const store = new ModelStore({ dataDir, shippedDirs: [shippedDir] });
  const jobs = await TrainingJobs.open({
    dataDir,
    store,
    events,
    trainerDir,
    pythonSetting: python,
    trainerArgs,
    replaySources: [path.join(synth.base, 'replay')],
    anchorSet: path.join(synth.base, 'anchor'),
    cancelGraceMs: 20_000,
    ...extra,
  });
  return { dataDir, store, jobs, events, seen };
}

beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'lesiondesk-finetune-'));
  // Compile the CLI up front (bin/lesiondesk.mjs would do it on first use, inside a test).
  const built = await run(process.execPath, [path.join(repoRoot, 'bin', 'build-node.mjs')]);
  if (built.code !== 0) throw new Error(`CLI build failed: ${built.stderr}`);
  const root = path.join(tmp, 'synth');
  synth = { base: path.join(root, 'default'), shifted: path.join(root, 'shifted') };
  // The base's domain (training, replay and anchor sets) and a shifted one (another dermoscope).
  await Promise.all([
    scsonet('synth', '--out', path.join(synth.base, 'train'), '--count', '48', '--seed', '1', '--size', '96x96'),
    scsonet('synth', '--out', path.join(synth.base, 'replay'), '--count', '24', '--seed', '3', '--size', '96x96'),
    scsonet('synth', '--out', path.join(synth.base, 'anchor'), '--count', '16', '--seed', '4', '--size', '96x96'),
    scsonet('synth', '--out', synth.shifted, '--count', '40', '--seed', '2', '--size', '96x96', '--domain', 'shifted'),
  ]);
  const baseRun = path.join(tmp, 'base-run');
  await scsonet('train', '--data', path.join(synth.base, 'train'), '--out', baseRun, '--epochs', '6', '--t-max', '6', '--size', '64', '--val-fraction', '0.25', '--seed', '0', '--threads', '2');
  shippedDir = path.join(tmp, 'shipped');
  await mkdir(shippedDir, { recursive: true });
  await scsonet('export', '--model', path.join(baseRun, 'best.pt'), '--out', path.join(shippedDir, 'synth-base'), '--name', 'synth-base', '--version', '1.0.0', '--parity', '0', '--checkpoint');
}, 600_000);

afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

describe('fine-tuning job (real trainer)', () => {
  it('raises validation Dice on the new domain, passes the gate, activates, and the running services switch model', async () => {
    const { dataDir, store, jobs, seen } = await runner();
    const job = await jobs.create({ epochs: 8, expectedPairs: 40 });
    expect(job).toMatchObject({ state: 'preparing', base: 'synth-base@1.0.0' });
    // Every third case says its mask was approved unchanged: the gate scores those apart.
    const pairs = (await pairsOf(synth.shifted)).map((p, i) => ({ ...p, unchanged: i % 3 === 0 }));
    for (let i = 0; i < pairs.length; i += 8) await jobs.addPairs(job.id, pairs.slice(i, i + 8));
    const manifest = JSON.parse(await readFile(path.join(dataDir, 'jobs', job.id, 'input', 'manifest.json'), 'utf8')) as { cases: { caseId: string; maskVersionId: string; split: string }[] };
    expect(manifest.cases).toHaveLength(40);
    expect(manifest.cases[0]).toMatchObject({ maskVersionId: `mv-${manifest.cases[0]!.caseId}` });

    await jobs.start(job.id);
    const ended = await jobs.waitForEnd(job.id);
    expect(ended.error).toBeNull();
    expect(ended.state).toBe('succeeded');
    const r = ended.result!;
    expect(r.version).toBe('synth-base@1.1.0');
    expect(r.validation.candidate - r.validation.base).toBeGreaterThanOrEqual(0.05);
    expect(r.gate.activated).toBe(true);
    expect(r.changed!.n + r.unchanged!.n).toBe(r.validation.n);
    expect(r.changed!.n).toBeGreaterThan(0);
    expect(r.unchanged!.n).toBeGreaterThan(0);
    expect(r.gate.reason).toMatch(/^Activated: On \d+ changed cases? Dice .*; on \d+ cases? approved unchanged .*; anchor Dice/);

    // Progress: phases, one record per epoch, then the end; the store says the same.
    const progress = seen.filter((e): e is Extract<ApiEvent, { type: 'job-progress' }> => e.type === 'job-progress');
    expect(new Set(progress.map((e) => e.job.phase))).toEqual(new Set(['receiving', 'starting', 'loading', 'baseline', 'training', 'scoring', 'exporting', 'gating']));
    expect(ended.history.map((h) => h.epoch)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(seen.some((e) => e.type === 'active-model-changed' && e.active === 'synth-base@1.1.0' && e.previous === 'synth-base@1.0.0')).toBe(true);
    expect(seen.at(-1)).toMatchObject({ type: 'job-ended', job: { state: 'succeeded' } });
    const list = await store.list();
    expect(list.active).toBe('synth-base@1.1.0');
    const version = list.versions.find((v) => v.id === 'synth-base@1.1.0')!;
    expect(version).toMatchObject({ kind: 'fine-tuned', status: 'ok', base: 'synth-base@1.0.0', lineage: ['synth-base@1.0.0', 'synth-base@1.1.0'], corrections: 40 });
    const files = await readdir(path.join(store.versionsDir, 'synth-base@1.1.0'));
    expect(files.sort()).toEqual(['evidence', 'evidence.json', 'job.log', 'metrics.json', 'model.json', 'model.onnx', 'model.pt', 'version.json']);
    // The card the Python writer made is read by the TypeScript reader, and segment runs it.
    const services = await createServices({ modelDirs: [shippedDir], dataDir });
    try {
      const image = await readFile(path.join(synth.shifted, 'images', (await readdir(path.join(synth.shifted, 'images')))[0]!));
      const before = await services.handlers.segmentImage({ bytes: image, fileName: 'a.jpg' });
      expect(before.model).toEqual({ name: 'synth-base', version: '1.1.0' });
      await services.handlers.rollbackModel(undefined);
      const after = await services.handlers.segmentImage({ bytes: image, fileName: 'a.jpg' });
      expect(after.model).toEqual({ name: 'synth-base', version: '1.0.0' });
      // Evidence and provenance through the contract: the job's own case and mask version ids.
      const evidence = await services.handlers.getModelEvidence({ id: 'synth-base@1.1.0' });
      const validationCases = manifest.cases.filter((c) => c.split === 'validation');
      expect(evidence.rows.map((row) => [row.caseId, row.maskVersionId]).sort()).toEqual(validationCases.map((c) => [c.caseId, c.maskVersionId]).sort());
      const pictures = await services.handlers.getEvidenceCase({ id: 'synth-base@1.1.0', row: evidence.rows[0]!.id });
      expect((await sharp(pictures.candidate).metadata()).width).toBe(64);
      const trained = manifest.cases.find((c) => c.split === 'train')!;
      expect(await services.handlers.getCaseProvenance({ caseId: trained.caseId })).toMatchObject({
        learnedBy: [{ version: 'synth-base@1.1.0', maskVersionId: trained.maskVersionId }],
        validatedBy: [],
      });
    } finally {
      await services.close();
    }
    expect(existsSync(path.join(dataDir, 'jobs', job.id, 'result'))).toBe(false);
    expect(existsSync(path.join(dataDir, 'jobs', 'active-job.lock'))).toBe(false);
    // The history survives a restart.
    const again = await TrainingJobs.open({ dataDir, store, events: createEventHub(), trainerDir });
    expect(again.status().history[0]).toMatchObject({ id: job.id, state: 'succeeded' });
  }, 600_000);

  it('keeps a candidate that forgets the original images, with the reason', async () => {
    const { store, jobs } = await runner();
    // Corrections with inverted masks: better on this job's (equally inverted) validation cases,
    // far worse on the base's anchor set.
    const invert = async (png: Buffer) => sharp(png).greyscale().negate().png().toBuffer();
    const job = await jobs.create({ epochs: 4, expectedPairs: 40 });
    await jobs.addPairs(job.id, (await pairsOf(synth.shifted, invert)).slice(0, 8));
    for (const chunk of [8, 16, 24, 32]) await jobs.addPairs(job.id, (await pairsOf(synth.shifted, invert)).slice(chunk, chunk + 8));
    await jobs.start(job.id);
    const ended = await jobs.waitForEnd(job.id);
    expect(ended.state).toBe('succeeded');
    expect(ended.result!.gate.activated).toBe(false);
    expect(ended.result!.gate.reason).toMatch(/^Kept as a candidate: .*it forgets the original images: anchor Dice/);
    const list = await store.list();
    expect(list.active).toBe('synth-base@1.0.0');
    expect(list.versions.find((v) => v.id === 'synth-base@1.1.0')).toMatchObject({ active: false, gate: { activated: false } });
    // Kept, not lost: it can be activated by hand.
    await store.activate('synth-base@1.1.0');
    expect((await store.list()).active).toBe('synth-base@1.1.0');
  }, 600_000);

  it('cancel mid-epoch leaves the store unchanged, releases the lock, and one job runs at a time', async () => {
    const { store, jobs, dataDir } = await runner();
    const before = JSON.stringify((await store.list()).versions.map((v) => v.id));
    const job = await jobs.create({ epochs: 200, expectedPairs: 40 });
    await expect(jobs.create({ expectedPairs: 1 })).rejects.toThrow(/already being prepared/);
    await jobs.addPairs(job.id, await pairsOf(synth.shifted));
    await jobs.start(job.id);
    await expect(jobs.create({ expectedPairs: 1 })).rejects.toThrow(/already running/);
    // A second process on the same data folder (the CLI beside the app) is refused too.
    const cli = await run(process.execPath, [path.join(repoRoot, 'bin', 'lesiondesk.mjs'), 'finetune', '--images', path.join(synth.shifted, 'images'), '--masks', path.join(synth.shifted, 'masks')], {
      LESIONDESK_DATA_DIR: dataDir,
      LESIONDESK_MODELS: shippedDir,
    });
    expect(cli.code).toBe(1);
    expect(cli.stderr).toMatch(/a fine-tuning job is already running \(.*, in another LesionDesk process, pid \d+\)/);
    await new Promise<void>((resolve) => {
      const poll = setInterval(() => {
        if (jobs.get(job.id).history.length >= 1) {
          clearInterval(poll);
          resolve();
        }
      }, 100);
    });
    const cancelled = await jobs.cancel(job.id);
    expect(cancelled.state).toBe('cancelled');
    expect(cancelled.error?.message).toBe('Cancelled; no model version was added.');
    expect(JSON.stringify((await store.list()).versions.map((v) => v.id))).toBe(before);
    expect(existsSync(path.join(dataDir, 'jobs', job.id, 'result'))).toBe(false);
    expect((await readdir(path.join(dataDir, 'jobs', job.id))).sort()).toEqual(['job.json', 'job.log']);
    const next = await jobs.create({ expectedPairs: 1 });
    await jobs.cancel(next.id);
  }, 600_000);

  it('a killed trainer and a corrupt job folder fail cleanly with the reason and the log tail', async () => {
    const { store, jobs, dataDir } = await runner();
    const job = await jobs.create({ epochs: 2, expectedPairs: 40 });
    await jobs.addPairs(job.id, await pairsOf(synth.shifted));
    // Damage one case after it was received: the trainer must name it, not crash.
    const manifest = JSON.parse(await readFile(path.join(dataDir, 'jobs', job.id, 'input', 'manifest.json'), 'utf8')) as { cases: { id: string }[] };
    await writeFile(path.join(dataDir, 'jobs', job.id, 'input', 'images', `${manifest.cases[3]!.id}.png`), 'not a png');
    await jobs.start(job.id);
    const ended = await jobs.waitForEnd(job.id);
    expect(ended.state).toBe('failed');
    expect(ended.error!.message).toContain(manifest.cases[3]!.id);
    expect(ended.error!.logTail.length).toBeGreaterThan(0);
    expect((await store.list()).versions).toHaveLength(1);

    const killed = await jobs.create({ epochs: 200, expectedPairs: 40 });
    await jobs.addPairs(killed.id, await pairsOf(synth.shifted));
    await jobs.start(killed.id);
    const file = JSON.parse(await readFile(path.join(dataDir, 'jobs', killed.id, 'job.json'), 'utf8')) as { pid: number };
    process.kill(file.pid, 'SIGKILL');
    const end = await jobs.waitForEnd(killed.id);
    expect(end.state).toBe('failed');
    expect(end.error!.message).toMatch(/stopped by SIGKILL/);
    expect((await store.list()).versions).toHaveLength(1);
  }, 600_000);

  it('refuses to start without Python, without torch, with a full disk, or without a validation case', async () => {
    const pairs = await pairsOf(synth.shifted);
    const attempt = async (extra: Partial<TrainingJobsOptions>, sent = pairs): Promise<string> => {
      const { jobs } = await runner(extra);
      const job = await jobs.create({ expectedPairs: sent.length });
      for (let i = 0; i < sent.length; i += 8) await jobs.addPairs(job.id, sent.slice(i, i + 8));
      const message = await jobs.start(job.id).then(
        () => 'started',
        (error: Error) => error.message,
      );
      const left: TrainingJob = await jobs.cancel(job.id);
      expect(left.state).toBe('cancelled');
      return message;
    };
    expect(await attempt({ pythonSetting: path.join(tmp, 'no-python-here') })).toMatch(/could not be run \(not found\)\. \(chosen by the Python setting\) Install Python 3 with PyTorch/);
    const bare = path.join(tmp, 'python-bare');
    await writeFile(bare, `#!/bin/sh\nexec ${python} -S "$@"\n`, { mode: 0o755 });
    expect(await attempt({ pythonSetting: bare })).toMatch(/cannot import what fine-tuning needs: torch \(ModuleNotFoundError/);
    expect(await attempt({ preflight: { freeBytes: async () => 10 << 20 } })).toMatch(/^Only 10 MB is free .* Free some disk space/);
    // Only training cases (by their images' bytes): nothing could judge the job. (1 to 4 validation cases run; the gate keeps the result.)
    const training = (await Promise.all(pairs.map(async (p) => ((await splitOfContent(p.image)) === 'train' ? [p] : [])))).flat().slice(0, 6);
    expect(await attempt({}, training)).toMatch(/^the job has no validation case, so nothing could judge what it learns; .* approve about 20 more cases$/);
  }, 600_000);

  it('refuses to fine-tune from a version whose checkpoint was replaced, or whose card never hashed it, before any trainer runs', async () => {
    const { store, jobs } = await runner();
    const addVersion = async (version: string): Promise<string> => {
      const result = await mkdtemp(path.join(tmp, 'result-'));
      await copyFile(path.join(shippedDir, 'synth-base.onnx'), path.join(result, 'model.onnx'));
      await copyFile(path.join(shippedDir, 'synth-base.pt'), path.join(result, 'model.pt'));
      const { files: _files, ...card } = JSON.parse(await readFile(path.join(shippedDir, 'synth-base.json'), 'utf8')) as Record<string, unknown>;
      await writeFile(path.join(result, 'model.json'), JSON.stringify({ ...card, version, file: 'model.onnx' }));
      return (await store.add(result, { base: 'synth-base@1.0.0', created: new Date().toISOString(), jobId: null, corrections: null, validation: null, anchor: null, gate: null })).id;
    };
    const replaced = await addVersion('1.1.0');
    const checkpoint = path.join(store.versionsDir, replaced, 'model.pt');
    const bytes = await readFile(checkpoint);
    bytes[bytes.length - 100] ^= 0xff;
    await writeFile(checkpoint, bytes);
    await expect(jobs.create({ base: replaced, expectedPairs: 1 })).rejects.toThrow(/synth-base@1\.1\.0 cannot be fine-tuned: model\.pt does not match its card/);
    const legacy = await addVersion('1.2.0');
    const cardPath = path.join(store.versionsDir, legacy, 'model.json');
    const { files: _sealed, ...old } = JSON.parse(await readFile(cardPath, 'utf8')) as Record<string, unknown>;
    await writeFile(cardPath, JSON.stringify(old));
    await expect(jobs.create({ base: legacy, expectedPairs: 1 })).rejects.toThrow(/synth-base@1\.2\.0 cannot be fine-tuned: its card records no hash for model\.pt/);
    expect(jobs.status().current).toBeNull();
  });
});

describe('lesiondesk finetune (CLI)', () => {
  it('fine-tunes from folders and prints the JSON summary; `models` lists the new version', async () => {
    const dataDir = await mkdtemp(path.join(tmp, 'cli-data-'));
    // ISIC naming: masks as <stem>_segmentation.png.
    const masks = path.join(tmp, 'cli-masks');
    await mkdir(masks, { recursive: true });
    for (const name of await readdir(path.join(synth.shifted, 'masks'))) {
      await copyFile(path.join(synth.shifted, 'masks', name), path.join(masks, name.replace(/\.png$/, '_segmentation.png')));
    }
    const env = {
      LESIONDESK_DATA_DIR: dataDir,
      LESIONDESK_MODELS: shippedDir,
      LESIONDESK_PYTHON: python,
      LESIONDESK_TRAINER_ARGS: trainerArgs.join(' '),
    };
    const bin = path.join(repoRoot, 'bin', 'lesiondesk.mjs');
    // The app, open on the same data folder: it shows the CLI's job with its progress and end.
    const appEvents = createEventHub();
    const appSeen: ApiEvent[] = [];
    appEvents.subscribe((e) => appSeen.push(e));
    const app = await TrainingJobs.open({ dataDir, store: new ModelStore({ dataDir, shippedDirs: [shippedDir] }), events: appEvents, trainerDir, pythonSetting: python, followIntervalMs: 200 });
    const child = spawn(process.execPath, [bin, 'finetune', '--images', path.join(synth.shifted, 'images'), '--masks', masks, '--base', 'synth-base@1.0.0', '--epochs', '6', '--replay', path.join(synth.base, 'replay'), '--anchor', path.join(synth.base, 'anchor'), '--json'], {
      cwd: repoRoot,
      env: { ...process.env, ...env },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const code = await new Promise<number>((resolve) => child.on('close', (c) => resolve(c ?? 1)));
    expect(stderr).toMatch(/training epoch 6\/6: loss \d/);
    expect(code).toBe(0);
    const summary = JSON.parse(stdout) as Record<string, unknown>;
    expect(summary).toMatchObject({ state: 'succeeded', version: 'synth-base@1.1.0', base: 'synth-base@1.0.0', activated: true });
    expect(summary.candidateDice as number).toBeGreaterThan(summary.baseDice as number);
    const models = await run(process.execPath, [bin, 'models'], env);
    expect(models.stdout).toMatch(/\* synth-base@1\.1\.0 {2}fine-tuned {2}\(active\)/);
    await until(() => appSeen.some((e) => e.type === 'job-ended'));
    expect(appSeen.some((e) => e.type === 'job-progress' && e.job.id === summary.job && e.job.state === 'running' && e.job.history.length > 0)).toBe(true);
    expect(appSeen.find((e) => e.type === 'job-ended')).toMatchObject({ job: { id: summary.job, state: 'succeeded', result: { version: 'synth-base@1.1.0' } } });
    expect((await app.refreshedStatus()).history[0]).toMatchObject({ id: summary.job, state: 'succeeded' });
    await app.shutdown();
    // Every line the real trainer printed was a valid progress line (scsonet/progress.py checks them against the same schema).
    expect(await readFile(path.join(dataDir, 'jobs', summary.job as string, 'job.log'), 'utf8')).not.toMatch(/^# (ignored|dropped) a trainer line/m);
  }, 600_000);
});
