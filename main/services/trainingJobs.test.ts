/**
 * The job runner against a trainer and a disk that misbehave: a stand-in trainer (a real Python
 * process printing what a broken or hostile trainer could print), a disk that fills up (the
 * runner's own file writer, failing the way a full disk fails), a lock left behind, several
 * processes on one data folder. The real trainer's runs are in test/integration/finetune.test.ts.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, stat, utimes, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import sharp from 'sharp';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { TrainingStatus, type ApiEvent } from '../../preload/api.js';
import { createEventHub } from './events.js';
import { ModelStore } from './modelStore.js';
import { TrainingJobs, type TrainingJobsOptions } from './trainingJobs.js';
import type { InputPair } from './trainingInput.js';

const root = path.resolve(import.meta.dirname, '../..');
const python = '/usr/bin/python3';
let tmp: string;
let pairs: InputPair[];
const open: TrainingJobs[] = [];
const unhandled: unknown[] = [];
const onUnhandled = (reason: unknown) => unhandled.push(reason);

beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'lesiondesk-jobs-'));
  process.on('unhandledRejection', onUnhandled);
  const image = await sharp({ create: { width: 32, height: 32, channels: 3, background: { r: 200, g: 150, b: 120 } } }).png().toBuffer();
  const mask = Buffer.alloc(32 * 32);
  for (let y = 8; y < 24; y++) mask.fill(255, y * 32 + 8, y * 32 + 24);
  const maskPng = await sharp(mask, { raw: { width: 32, height: 32, channels: 1 } }).png().toBuffer();
  // Every pair holds the same image bytes, so the content rule would put all on one side; the pairs
  // say their side, as the library sends it (1 in 4 validation).
  pairs = Array.from({ length: 40 }, (_, i) => ({ caseId: `case-${i}`, maskVersionId: `mv-${i}`, image, imageName: `case-${i}.png`, maskPng, split: i % 4 === 0 ? ('validation' as const) : ('train' as const) }));
});

afterEach(async () => {
  for (const jobs of open.splice(0)) await jobs.shutdown();
});

afterAll(async () => {
  process.off('unhandledRejection', onUnhandled);
  await rm(tmp, { recursive: true, force: true });
});

/** A trainer package whose `python -m scsonet` runs `script` (with `go()`: wait for the test's go file). */
async function trainer(script: string): Promise<string> {
  const dir = await mkdtemp(path.join(tmp, 'trainer-'));
  await mkdir(path.join(dir, 'scsonet'));
  await writeFile(path.join(dir, 'scsonet', '__init__.py'), '');
  const prelude = [
    'import json, os, sys, time',
    'def line(**fields):',
    '    sys.stdout.write(json.dumps(fields) + "\\n"); sys.stdout.flush()',
    'def go():',
    '    while not os.path.exists("go"): time.sleep(0.02)',
  ].join('\n');
  await writeFile(path.join(dir, 'scsonet', '__main__.py'), `${prelude}\n${script}\n`);
  return dir;
}

async function runner(dataDir: string, extra: Partial<TrainingJobsOptions> = {}) {
  const events = createEventHub();
  const seen: ApiEvent[] = [];
  events.subscribe((e) => seen.push(e));
  const logged: string[] = [];
  const jobs = await TrainingJobs.open({
    dataDir,
    store: new ModelStore({ dataDir, shippedDirs: [path.join(root, 'models')] }),
    events,
    trainerDir: path.join(root, 'models'),
    pythonSetting: python,
    replaySources: [],
    anchorSet: null,
    cancelGraceMs: 2000,
    log: (m) => logged.push(m),
    ...extra,
  });
  open.push(jobs);
  return { jobs, seen, logged };
}

/** Resolves when `check` holds (polled; the test's own timeout bounds the wait). */
async function until(check: () => boolean | Promise<boolean>): Promise<void> {
  while (!(await check())) await new Promise((r) => setTimeout(r, 20));
}

async function startedJob(jobs: TrainingJobs) {
  const job = await jobs.create({ epochs: 5, expectedPairs: pairs.length });
  await jobs.addPairs(job.id, pairs);
  await jobs.start(job.id);
  return job;
}

async function filesUnder(dir: string): Promise<string[]> {
  return (await readdir(dir, { recursive: true })).map(String);
}

describe('a full disk', () => {
  it('ends the job as failed with the reason, leaves no temporary files and rejects nothing unhandled', async () => {
    const dataDir = await mkdtemp(path.join(tmp, 'data-'));
    let full = false;
    let failedWrites = 0;
    // What a full disk does to a write: part of the file lands, then ENOSPC.
    const writeText = async (file: string, text: string) => {
      if (!full) return writeFile(file, text);
      failedWrites++;
      await writeFile(file, text.slice(0, 7));
      throw Object.assign(new Error(`ENOSPC: no space left on device, write`), { code: 'ENOSPC', errno: -28, syscall: 'write' });
    };
    const trainerDir = await trainer(
      'line(event="phase", phase="training", base_val_dsc=0.71)\ngo()\n' +
        'sys.stderr.write("OSError: [Errno 28] No space left on device: \'result.tmp/model.onnx\'\\n")\nsys.exit(1)',
    );
    const { jobs, seen } = await runner(dataDir, { trainerDir, writeText });
    const job = await startedJob(jobs);
    await until(() => jobs.get(job.id).phase === 'training');
    // The base's validation Dice comes with the training phase (the live chart's reference line).
    expect(jobs.get(job.id).baseValDsc).toBe(0.71);
    full = true;
    await writeFile(path.join(dataDir, 'jobs', job.id, 'go'), '');
    const ended = await jobs.waitForEnd(job.id);
    expect(ended.state).toBe('failed');
    expect(ended.error?.message).toMatch(/^The disk is full: /);
    expect(failedWrites).toBeGreaterThan(0);
    expect(seen.some((e) => e.type === 'job-ended' && e.job.id === job.id)).toBe(true);
    expect(() => TrainingStatus.parse(jobs.status())).not.toThrow();
    expect((await filesUnder(path.join(dataDir, 'jobs'))).filter((f) => f.endsWith('.tmp'))).toEqual([]);
    expect(existsSync(path.join(dataDir, 'jobs', job.id, 'input'))).toBe(false);
    expect(unhandled).toEqual([]);
    // The lock is free again: the next job can start once there is room.
    full = false;
    await jobs.cancel((await jobs.create({ expectedPairs: 1 })).id);
  }, 60_000);
});

describe("the trainer's output", () => {
  it('is bounded, validated and written a few times a second; the job never breaks the status', async () => {
    const dataDir = await mkdtemp(path.join(tmp, 'data-'));
    let jobWrites = 0;
    const writeText = async (file: string, text: string) => {
      if (path.basename(file).startsWith('job.json')) jobWrites++;
      return writeFile(file, text);
    };
    const trainerDir = await trainer(
      [
        // An over-long line: 8 MB without a newline until its end.
        'sys.stdout.write("x" * (8 << 20)); sys.stdout.write("\\n")',
        'line(event="epoch", epoch=1, epochs=5, loss=0.5, val_dsc=0.5, eta_s=3)',
        // Out of range: each is ignored (and noted in the log), never stored.
        'line(event="epoch", epoch=1, epochs=0, loss=0.4, val_dsc=0.5, eta_s=3)',
        'line(event="epoch", epoch=1.5, epochs=5, loss=0.4, val_dsc=0.5, eta_s=3)',
        'line(event="epoch", epoch=2, epochs=5, loss=0.4, val_dsc=0.5, eta_s=-7)',
        'line(event="epoch", epoch=9, epochs=5, loss=0.4, val_dsc=0.5, eta_s=1)',
        // A flood of valid lines (about 2 MB).
        'for i in range(20000): line(event="epoch", epoch=2, epochs=5, loss=0.3, val_dsc=0.6, eta_s=2)',
        'line(event="epoch", epoch=3, epochs=5, loss=0.25, val_dsc=0.7, eta_s=1)',
        'sys.exit(3)',
      ].join('\n'),
    );
    const { jobs, logged } = await runner(dataDir, { trainerDir, writeText });
    const job = await startedJob(jobs);
    const ended = await jobs.waitForEnd(job.id);
    expect(ended.state).toBe('failed');
    expect(ended.epoch).toBe(3);
    expect(ended.epochs).toBe(5);
    expect(ended.history.map((h) => h.epoch)).toEqual([1, 2, 3]);
    expect(ended.etaSeconds).toBeNull();
    expect(() => TrainingStatus.parse(jobs.status())).not.toThrow();
    // At most a few writes a second, not one per line: far fewer than the 20,000 lines.
    expect(jobWrites).toBeLessThan(200);
    const log = await readFile(path.join(dataDir, 'jobs', job.id, 'job.log'), 'utf8');
    expect(log).toMatch(/dropped a trainer line of 8388608 bytes/);
    expect(log).toMatch(/ignored a trainer line .*epochs/);
    expect(log).toMatch(/ignored a trainer line .*eta_s/);
    expect((await stat(path.join(dataDir, 'jobs', job.id, 'job.log'))).size).toBeLessThan(4 << 20);
    expect(logged.some((m) => /dropped a trainer line/.test(m))).toBe(true);
    // After a restart the job is still in the history, as it ended.
    const again = await runner(dataDir);
    expect(again.jobs.status().history.map((j) => [j.id, j.state])).toEqual([[job.id, 'failed']]);
  }, 120_000);
});

describe('the job history', () => {
  it('shows a job whose record is damaged as damaged, with the reason, instead of dropping it', async () => {
    const dataDir = await mkdtemp(path.join(tmp, 'data-'));
    const { jobs } = await runner(dataDir);
    const job = await jobs.create({ expectedPairs: 1 });
    await jobs.cancel(job.id);
    await writeFile(path.join(dataDir, 'jobs', job.id, 'job.json'), '{"format": "lesiondesk-training-job/1", "job": {"epochs": 0');
    const { jobs: reopened } = await runner(dataDir);
    const status = TrainingStatus.parse(reopened.status());
    expect(status.history).toHaveLength(1);
    expect(status.history[0]).toMatchObject({ id: job.id, state: 'failed' });
    expect(status.history[0]!.error?.message).toMatch(/record .*is damaged.*not valid JSON/);
  });
});

describe('the job lock', () => {
  /** The id of a process that has exited. */
  function deadPid(): number {
    return spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' }).stdout as unknown as number;
  }

  it('a stale lock is taken over by exactly one of 14 processes starting at once', async () => {
    // Separate processes, as the app and several CLI runs are (out/node: the compiled services).
    const built = spawnSync(process.execPath, [path.join(root, 'bin', 'build-node.mjs')], { encoding: 'utf8' });
    expect(built.status, built.stderr).toBe(0);
    const services = pathToFileURL(path.join(root, 'out', 'node', 'main', 'services')).href;
    for (let round = 0; round < 2; round++) {
      const dataDir = await mkdtemp(path.join(tmp, 'data-'));
      await mkdir(path.join(dataDir, 'jobs'), { recursive: true });
      await writeFile(path.join(dataDir, 'jobs', 'active-job.lock'), JSON.stringify({ pid: Number(deadPid()), jobId: '20260101T000000-dead0000' }));
      const child = [
        `import { existsSync } from 'node:fs';`,
        `const { TrainingJobs } = await import('${services}/trainingJobs.js');`,
        `const { ModelStore } = await import('${services}/modelStore.js');`,
        `const { createEventHub } = await import('${services}/events.js');`,
        `const dataDir = ${JSON.stringify(dataDir)};`,
        `const store = new ModelStore({ dataDir, shippedDirs: [${JSON.stringify(path.join(root, 'models'))}] });`,
        `const jobs = await TrainingJobs.open({ dataDir, store, events: createEventHub(), trainerDir: ${JSON.stringify(path.join(root, 'models'))} });`,
        `await store.active();`,
        `const wait = async (f) => { while (!existsSync(f)) await new Promise((r) => setTimeout(r, 2)); };`,
        `process.stdout.write('ready\\n');`,
        `await wait(dataDir + '/go');`,
        `const said = await jobs.create({ expectedPairs: 1 }).then(() => 'won', (e) => 'lost: ' + e.message);`,
        `process.stdout.write(said + '\\n');`,
        // The winner holds the lock until every process has decided (a lock of a finished process is stale).
        `await wait(dataDir + '/done');`,
        `await jobs.shutdown();`,
      ].join('\n');
      const outputs = Array.from({ length: 14 }, () => {
        const p = spawn(process.execPath, ['--input-type=module', '-e', child], { stdio: ['ignore', 'pipe', 'inherit'] });
        let out = '';
        p.stdout.on('data', (c: Buffer) => (out += c.toString()));
        return { said: () => out, closed: new Promise<number | null>((resolve) => p.on('close', resolve)) };
      });
      // Every process has opened the runner before any starts a job.
      await until(() => outputs.every((o) => o.said().startsWith('ready\n')));
      await writeFile(path.join(dataDir, 'go'), '');
      await until(() => outputs.every((o) => o.said().split('\n').length === 3));
      await writeFile(path.join(dataDir, 'done'), '');
      expect(await Promise.all(outputs.map((o) => o.closed))).toEqual(Array(14).fill(0));
      const said = outputs.map((o) => o.said().split('\n')[1]!);
      expect(said.filter((s) => s === 'won')).toHaveLength(1);
      for (const s of said.filter((s) => s !== 'won')) expect(s).toMatch(/^lost: a fine-tuning job is already (running|being prepared)/);
    }
  }, 120_000);

  it('a lock naming a live process that is not a LesionDesk job (pid 1) does not block jobs', async () => {
    const dataDir = await mkdtemp(path.join(tmp, 'data-'));
    const { jobs } = await runner(dataDir);
    const lock = path.join(dataDir, 'jobs', 'active-job.lock');
    await mkdir(path.dirname(lock), { recursive: true });
    // Left by an older LesionDesk (no start time recorded) an hour ago, in a copied folder.
    await writeFile(lock, JSON.stringify({ pid: 1, jobId: '20260101T000000-0ld00000' }));
    const anHourAgo = new Date(Date.now() - 3600_000);
    await utimes(lock, anHourAgo, anHourAgo);
    await jobs.cancel((await jobs.create({ expectedPairs: 1 })).id);
    if (existsSync('/proc/1/stat')) {
      // Just written, naming pid 1 with a start time that is not pid 1's.
      const record = JSON.parse(await readFile(lock, 'utf8').catch(() => '{}')) as object;
      const now = JSON.stringify({ ...record, format: 'lesiondesk-job-lock/2', pid: 1, jobId: '20260101T000000-0ld00001', token: 't', startTime: '1', bootId: null, host: os.hostname() });
      await writeFile(lock, now);
      await jobs.cancel((await jobs.create({ expectedPairs: 1 })).id);
    }
  });
});

describe('a job started by another process on the same data folder', () => {
  it('is shown by this runner with its progress and its end, and cannot be cancelled from here', async () => {
    const dataDir = await mkdtemp(path.join(tmp, 'data-'));
    const app = await runner(dataDir, { followIntervalMs: 50 });
    const trainerDir = await trainer(
      'line(event="phase", phase="training")\nline(event="epoch", epoch=1, epochs=5, loss=0.5, val_dsc=0.5, eta_s=4)\ngo()\nsys.exit(1)',
    );
    // The CLI's runner: its own instance, as a second process has.
    const cli = await runner(dataDir, { trainerDir });
    const job = await startedJob(cli.jobs);
    await until(() => app.seen.some((e) => e.type === 'job-progress' && e.job.id === job.id && e.job.epoch === 1));
    const status = await app.jobs.refreshedStatus();
    expect(status.current).toMatchObject({ id: job.id, state: 'running', epoch: 1 });
    await expect(app.jobs.cancel(job.id)).rejects.toThrow(/runs in another LesionDesk process/);
    await expect(app.jobs.create({ expectedPairs: 1 })).rejects.toThrow(/already running/);
    await writeFile(path.join(dataDir, 'jobs', job.id, 'go'), '');
    await until(() => app.seen.some((e) => e.type === 'job-ended' && e.job.id === job.id));
    expect((await app.jobs.refreshedStatus()).history[0]).toMatchObject({ id: job.id, state: 'failed' });
  }, 60_000);
});

describe('a job being prepared that receives no pairs', () => {
  it('is abandoned after the timeout (injected clock), store unchanged, and the next job can start', async () => {
    const dataDir = await mkdtemp(path.join(tmp, 'data-'));
    let now = 1_000_000;
    const { jobs, seen } = await runner(dataDir, { clock: () => now, preparingTimeoutMs: 120_000, followIntervalMs: 3_600_000 });
    const store = new ModelStore({ dataDir, shippedDirs: [path.join(root, 'models')] });
    const before = await store.list();
    const job = await jobs.create({ expectedPairs: pairs.length });
    await jobs.addPairs(job.id, pairs.slice(0, 8));
    now += 119_000;
    await jobs.abandonStalled();
    expect(jobs.get(job.id).state).toBe('preparing');
    // Pairs arriving start the wait again.
    await jobs.addPairs(job.id, pairs.slice(8, 16));
    now += 119_000;
    await jobs.abandonStalled();
    expect(jobs.get(job.id).state).toBe('preparing');
    now += 2_000;
    await jobs.abandonStalled();
    expect(jobs.get(job.id)).toMatchObject({
      state: 'interrupted',
      error: { message: expect.stringMatching(/^No cases arrived for 2 minutes while this job was receiving them .* no model version was added\. Start it again\.$/) },
    });
    expect(seen.some((e) => e.type === 'job-ended' && e.job.id === job.id && e.job.state === 'interrupted')).toBe(true);
    expect(existsSync(path.join(dataDir, 'jobs', job.id, 'input'))).toBe(false);
    await expect(jobs.addPairs(job.id, pairs.slice(16, 24))).rejects.toThrow(/is interrupted; cases can only be added before it starts/);
    expect(await store.list()).toEqual(before);
    // The lock is free: Start and automatic training are no longer blocked.
    const next = await jobs.create({ expectedPairs: 1 });
    expect(next.state).toBe('preparing');
  });

  it('killed with the CLI mid-hand-off, is marked interrupted by the app at once, store unchanged', async () => {
    const built = spawnSync(process.execPath, [path.join(root, 'bin', 'build-node.mjs')], { encoding: 'utf8' });
    expect(built.status, built.stderr).toBe(0);
    const services = pathToFileURL(path.join(root, 'out', 'node', 'main', 'services')).href;
    const dataDir = await mkdtemp(path.join(tmp, 'data-'));
    const child = [
      `const { TrainingJobs } = await import('${services}/trainingJobs.js');`,
      `const { ModelStore } = await import('${services}/modelStore.js');`,
      `const { createEventHub } = await import('${services}/events.js');`,
      `const dataDir = ${JSON.stringify(dataDir)};`,
      `const store = new ModelStore({ dataDir, shippedDirs: [${JSON.stringify(path.join(root, 'models'))}] });`,
      `const jobs = await TrainingJobs.open({ dataDir, store, events: createEventHub(), trainerDir: ${JSON.stringify(path.join(root, 'models'))} });`,
      `const job = await jobs.create({ expectedPairs: 40 });`,
      `process.stdout.write(job.id + '\\n');`,
      `setInterval(() => {}, 1000);`,
    ].join('\n');
    const cli = spawn(process.execPath, ['--input-type=module', '-e', child], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    cli.stdout.on('data', (c: Buffer) => (out += c.toString()));
    const closed = new Promise((resolve) => cli.on('close', resolve));
    await until(() => out.endsWith('\n'));
    const jobId = out.trim();
    const { jobs } = await runner(dataDir);
    expect((await jobs.refreshedStatus()).current).toMatchObject({ id: jobId, state: 'preparing' });
    cli.kill('SIGKILL');
    await closed;
    const status = await jobs.refreshedStatus();
    expect(status.current).toBeNull();
    expect(status.history[0]).toMatchObject({ id: jobId, state: 'interrupted', error: { message: 'LesionDesk stopped while this job was receiving cases; it never started.' } });
    expect(existsSync(path.join(dataDir, 'jobs', jobId, 'input'))).toBe(false);
    expect((await jobs.create({ expectedPairs: 1 })).state).toBe('preparing');
  }, 120_000);
});
