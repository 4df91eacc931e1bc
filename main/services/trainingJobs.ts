/**
 * The fine-tuning job runner: one job at a time, from the pairs a user approved to a new,
 * gated model version in the store.
 *
 *   create (job folder, state 'preparing') -> add pairs in chunks -> start (preflight, spawn
 *   `python -m scsonet finetune`, parse its JSON-lines progress) -> on success: gate, add the
 *   version to the store, activate it if the gate passed -> state 'succeeded'.
 *
 * A job that fails, is cancelled or is killed leaves the store exactly as it was (the trainer
 * writes its result to a temporary folder and renames it at the end; the store only takes a
 * finished result). Each job's state lives in `<dataDir>/jobs/<id>/job.json`, so the history
 * survives restarts; a job found 'running' at start-up was cut off by a crash or a kill and is
 * marked 'interrupted'. Plain Node: the app, browser mode and the CLI use the same runner.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createHash, randomUUID } from 'node:crypto';
import { createWriteStream, existsSync, type WriteStream } from 'node:fs';
import { copyFile, mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { z } from 'zod';
import {
  TrainingJob as TrainingJobSchema,
  type DiceComparison,
  type EpochRecord,
  type JobPhase,
  type TrainingJob,
  type TrainingPreflight,
  type TrainingStatus,
} from '../../preload/api.js';
import { errorMessage, TrainingJobError } from './errors.js';
import type { EventHub } from './events.js';
import { versionFiles, writeFileAtomic, type ModelStore, type StoredVersion } from './modelStore.js';
import { preflight, type PreflightOptions, type PythonInfo } from './pythonRuntime.js';
import { decideGate, validationShortfall, type GateOptions } from './trainingGate.js';
import { JobInput, type InputPair } from './trainingInput.js';

/** How the runner finds Python, the trainer, and its defaults. */
export interface TrainingJobsOptions {
  dataDir: string;
  store: ModelStore;
  events: EventHub;
  /** The folder that holds the `scsonet` Python package (the repository's or resources' models/). */
  trainerDir: string;
  /** The app's Python setting (see pythonRuntime.ts for the search order). */
  pythonSetting?: string | null;
  env?: NodeJS.ProcessEnv;
  /** Default epochs (10). */
  epochs?: number;
  /**
   * PyTorch threads for a job (default: every logical core). PyTorch's own default counts
   * physical cores, which a VM or a hyper-threaded laptop under-reports: here it picked 1 of 2,
   * and an epoch of 144 images took 9.1 s instead of 5.7 s.
   */
  threads?: number;
  gate?: Omit<GateOptions, 'activate'>;
  /** Extra arguments for `scsonet finetune` (tests: a smaller training size). */
  trainerArgs?: string[];
  /**
   * Original pairs replayed in every job (default: the sample committed in
   * `<trainerDir>/replay/train`). Inputs of earlier jobs of the same lineage are added to these.
   */
  replaySources?: string[];
  /** The fixed anchor set scored for forgetting (default `<trainerDir>/replay/anchor`; null: none). */
  anchorSet?: string | null;
  /**
   * Called when a job's gate activated its version, instead of publishing active-model-changed
   * directly: the services load the new version first and then announce it, so a prediction
   * asked for on hearing the news runs on the new version.
   */
  onActivated?: (change: { active: string; previous: string | null }) => Promise<void>;
  /** SIGTERM first, then kill after this long (default 10 s). */
  cancelGraceMs?: number;
  /** Preflight overrides (tests: free disk). */
  preflight?: Partial<Pick<PreflightOptions, 'freeBytes' | 'minFreeBytes' | 'candidates'>>;
  log?: (message: string) => void;
}

/** What the runner keeps about a job beyond what the renderer sees. */
const JobFile = z.object({
  format: z.literal('lesiondesk-training-job/1'),
  job: TrainingJobSchema,
  /** The interpreter and command line used, for the log and for support. */
  command: z.array(z.string()).nullable(),
  pid: z.number().nullable(),
});
type JobFile = z.infer<typeof JobFile>;

/** Share of the progress bar per phase (training takes the bulk). */
const phaseStart: Record<JobPhase, number> = {
  receiving: 0,
  starting: 0.04,
  loading: 0.05,
  baseline: 0.08,
  training: 0.1,
  scoring: 0.9,
  exporting: 0.95,
  gating: 0.98,
  done: 1,
};

const logTailLines = 25;
/** How long a working interpreter is trusted without starting it again (see checkMachine). */
const pythonMemoryMs = 10 * 60_000;
const historyLimit = 50;

function now(): string {
  return new Date().toISOString();
}

function round5(x: number): number {
  return Math.round(x * 1e5) / 1e5;
}

/** The trainer's metrics.json, only the parts the runner uses. */
const TrainerMetrics = z.object({
  format: z.literal('lesiondesk-finetune-metrics/1'),
  validation: z.object({
    n: z.number(),
    base: z.object({ dsc: z.number() }).loose(),
    candidate: z.object({ dsc: z.number() }).loose(),
  }),
  anchor: z
    .object({ n: z.number(), base: z.object({ dsc: z.number() }).loose(), candidate: z.object({ dsc: z.number() }).loose() })
    .nullable()
    .optional(),
});

/** One running trainer process and what it has said so far. */
interface Running {
  child: ChildProcess;
  log: WriteStream;
  tail: string[];
  lastError: string | null;
  cancelRequested: boolean;
  exited: Promise<void>;
}

/** The job runner (see the module comment). */
export class TrainingJobs {
  private readonly jobsDir: string;
  private readonly jobs = new Map<string, JobFile>();
  private readonly inputs = new Map<string, JobInput>();
  private running: { id: string; process: Running } | null = null;
  private workingPython: { info: PythonInfo; at: number } | null = null;
  /** Ends of jobs, for callers that wait (the CLI, tests). */
  private readonly waiters = new Map<string, Array<(job: TrainingJob) => void>>();

  private constructor(private readonly options: TrainingJobsOptions) {
    this.jobsDir = path.join(options.dataDir, 'jobs');
  }

  /** Loads the job history; jobs cut off by a crash become 'interrupted'. */
  static async open(options: TrainingJobsOptions): Promise<TrainingJobs> {
    const runner = new TrainingJobs(options);
    await runner.loadHistory();
    return runner;
  }

  private jobDir(id: string): string {
    return path.join(this.jobsDir, id);
  }

  private async loadHistory(): Promise<void> {
    let names: string[];
    try {
      names = await readdir(this.jobsDir);
    } catch {
      return; // No jobs yet.
    }
    for (const name of names) {
      const file = path.join(this.jobsDir, name, 'job.json');
      let parsed: JobFile;
      try {
        parsed = JobFile.parse(JSON.parse(await readFile(file, 'utf8')));
      } catch {
        continue; // Not a job folder, or one whose state file was lost: nothing to show.
      }
      this.jobs.set(parsed.job.id, parsed);
      if (parsed.job.state === 'preparing' || parsed.job.state === 'running') {
        const holder = await this.lockHolder();
        // Another LesionDesk process (the app, or the CLI) is running it right now: not ours to end.
        if (holder && holder.jobId === parsed.job.id && holder.pid !== process.pid && isAlive(holder.pid)) continue;
        // No process of ours runs it now: the app stopped (crash, kill, power) mid-job.
        const wasRunning = parsed.job.state === 'running';
        await this.finish(parsed, 'interrupted', {
          message: wasRunning
            ? 'LesionDesk stopped while this job was running; no model version was added. Start the job again.'
            : 'LesionDesk stopped while this job was receiving cases; it never started.',
          logTail: await this.readLogTail(parsed.job.id),
        }, { publish: false });
      }
    }
  }

  private async readLogTail(id: string): Promise<string> {
    try {
      const text = await readFile(path.join(this.jobDir(id), versionFiles.log), 'utf8');
      return text.split('\n').filter(Boolean).slice(-logTailLines).join('\n');
    } catch {
      return '';
    }
  }

  private async save(file: JobFile): Promise<void> {
    this.jobs.set(file.job.id, file);
    await writeFileAtomic(path.join(this.jobDir(file.job.id), 'job.json'), `${JSON.stringify(file, null, 2)}\n`);
  }

  private publishProgress(job: TrainingJob): void {
    this.options.events.publish({ type: 'job-progress', job });
  }

  private get lockPath(): string {
    return path.join(this.jobsDir, 'active-job.lock');
  }

  private async lockHolder(): Promise<{ pid: number; jobId: string } | null> {
    try {
      const holder = JSON.parse(await readFile(this.lockPath, 'utf8')) as { pid?: unknown; jobId?: unknown };
      return typeof holder.pid === 'number' && typeof holder.jobId === 'string' ? { pid: holder.pid, jobId: holder.jobId } : null;
    } catch {
      return null;
    }
  }

  /**
   * One job at a time across processes (the app and the CLI share the data folder): the lock
   * file is created exclusively; one left by a process that no longer exists is taken over.
   */
  private async acquireLock(jobId: string): Promise<void> {
    await mkdir(this.jobsDir, { recursive: true });
    for (let attempt = 0; attempt < 3; attempt++) {
      try {
        await writeFile(this.lockPath, JSON.stringify({ pid: process.pid, jobId }), { flag: 'wx' });
        return;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      }
      const holder = await this.lockHolder();
      if (holder && isAlive(holder.pid)) {
        throw new TrainingJobError(
          `a fine-tuning job is already running (${holder.jobId}, in ${holder.pid === process.pid ? 'this window' : `another LesionDesk process, pid ${holder.pid}`}); wait for it or cancel it: one job runs at a time`,
        );
      }
      await rm(this.lockPath, { force: true });
    }
    throw new TrainingJobError('could not take the fine-tuning lock; try again');
  }

  private async releaseLock(jobId: string): Promise<void> {
    const holder = await this.lockHolder();
    if (holder && holder.jobId === jobId && holder.pid === process.pid) await rm(this.lockPath, { force: true });
  }

  /** The current job (preparing or running) and the finished ones, newest first. */
  status(): TrainingStatus {
    const all = [...this.jobs.values()].map((f) => f.job).sort((a, b) => b.createdAt.localeCompare(a.createdAt));
    const current = all.find((j) => j.state === 'preparing' || j.state === 'running') ?? null;
    return { current, history: all.filter((j) => j !== current).slice(0, historyLimit) };
  }

  get(id: string): TrainingJob {
    const file = this.jobs.get(id);
    if (!file) throw new TrainingJobError(`there is no fine-tuning job ${id}`);
    return file.job;
  }

  /**
   * The preflight without the one-job rule. A working interpreter is remembered for a few
   * minutes, so the panel's check and the job's start do not each spend seconds importing torch
   * before the first progress event; a failure is never remembered (the user may just have fixed it).
   */
  private async checkMachine(): Promise<TrainingPreflight> {
    // The Python setting and environment are fixed for this runner, so one remembered interpreter suffices.
    const seen = this.workingPython;
    const fresh = seen !== null && Date.now() - seen.at < pythonMemoryMs;
    const result = await preflight({
      dataDir: this.options.dataDir,
      pythonSetting: this.options.pythonSetting,
      env: this.options.env,
      ...this.options.preflight,
      knownPython: fresh ? seen.info : null,
    });
    const pythonProblem = result.problems.some((p) => p.code === 'no-python' || p.code === 'no-torch' || p.code === 'old-torch');
    if (result.python && !pythonProblem) this.workingPython = { info: result.python, at: fresh ? seen.at : Date.now() };
    else this.workingPython = null;
    return result;
  }

  /** What keeps a job from starting on this machine, each with a fix. */
  async preflight(): Promise<TrainingPreflight> {
    const result = await this.checkMachine();
    const current = this.status().current;
    if (current) {
      result.problems.push({
        code: 'busy',
        message: `A fine-tuning job is already ${current.state === 'running' ? 'running' : 'being prepared'} (${current.id}).`,
        fix: 'Wait for it to finish or cancel it; one job runs at a time.',
      });
      result.ok = false;
    }
    return result;
  }

  /** Starts a job folder; a second job while one is preparing or running is refused. */
  async create(args: { base?: string; epochs?: number; activate?: 'auto' | 'never'; expectedPairs: number }): Promise<TrainingJob> {
    const current = this.status().current;
    if (current) {
      const holder = await this.lockHolder();
      const where = holder && holder.jobId === current.id && holder.pid !== process.pid ? `, in another LesionDesk process, pid ${holder.pid}` : '';
      throw new TrainingJobError(
        `a fine-tuning job is already ${current.state === 'running' ? 'running' : 'being prepared'} (${current.id}${where}); wait for it or cancel it: one job runs at a time`,
      );
    }
    const base = await this.resolveBase(args.base);
    const id = `${now().replace(/[-:]/g, '').replace(/\..*$/, '')}-${randomUUID().slice(0, 8)}`;
    await this.acquireLock(id);
    const job: TrainingJob = {
      id,
      state: 'preparing',
      phase: 'receiving',
      base: base.id,
      activate: args.activate ?? 'auto',
      epochs: args.epochs ?? this.options.epochs ?? 10,
      epoch: 0,
      progress: 0,
      etaSeconds: null,
      cases: { train: 0, validation: 0 },
      history: [],
      createdAt: now(),
      startedAt: null,
      endedAt: null,
      result: null,
      error: null,
    };
    const [, h, w] = base.entry!.card.input.shape;
    try {
      const input = await JobInput.open(path.join(this.jobDir(id), 'input'), { jobId: id, base: base.id, created: job.createdAt }, { width: w, height: h });
      this.inputs.set(id, input);
      this.expected.set(id, args.expectedPairs);
      await this.save({ format: 'lesiondesk-training-job/1', job, command: null, pid: null });
    } catch (error) {
      await this.releaseLock(id);
      throw new TrainingJobError(`the job folder could not be created in ${this.jobsDir} (${errorMessage(error)})`, { cause: error });
    }
    this.publishProgress(job);
    return job;
  }

  private readonly expected = new Map<string, number>();

  private async resolveBase(requested: string | undefined): Promise<StoredVersion> {
    const store = this.options.store;
    const base = requested ? await store.get(requested) : (await store.active()).version;
    if (base.problem !== null || !base.entry) throw new TrainingJobError(`${base.id} cannot be fine-tuned: ${base.problem ?? 'its card is unreadable'}`);
    if (!base.checkpointPath) {
      if (base.checkpointProblem) throw new TrainingJobError(`${base.id} cannot be fine-tuned: ${base.checkpointProblem}`);
      throw new TrainingJobError(
        `${base.id} has no PyTorch checkpoint (${versionFiles.checkpoint} or a .pt beside its card), so it cannot be fine-tuned; fine-tune from a version that has one`,
      );
    }
    return base;
  }

  private preparing(jobId: string): { file: JobFile; input: JobInput } {
    const file = this.jobs.get(jobId);
    if (!file) throw new TrainingJobError(`there is no fine-tuning job ${jobId}`);
    const input = this.inputs.get(jobId);
    if (file.job.state !== 'preparing' || !input) throw new TrainingJobError(`job ${jobId} is ${file.job.state}; cases can only be added before it starts`);
    return { file, input };
  }

  /** Adds a chunk of approved pairs (resized to model size and written at once). */
  async addPairs(jobId: string, pairs: InputPair[]): Promise<{ received: number; train: number; validation: number }> {
    const { file, input } = this.preparing(jobId);
    const counts = await input.add(pairs);
    const expected = Math.max(1, this.expected.get(jobId) ?? counts.received);
    const job: TrainingJob = {
      ...file.job,
      cases: { train: counts.train, validation: counts.validation },
      progress: Math.min(phaseStart.starting, (counts.received / expected) * phaseStart.starting),
    };
    await this.save({ ...file, job });
    this.publishProgress(job);
    return counts;
  }

  /** Adds every image of a folder with its mask (the CLI): `<stem>.png` or `<stem>_segmentation.png`. */
  async addFolder(jobId: string, imagesDir: string, masksDir: string, onPair?: (done: number, total: number) => void): Promise<{ received: number; train: number; validation: number; skipped: string[] }> {
    const imageNames = (await readdir(imagesDir)).filter((n) => /\.(jpe?g|png|tiff?|bmp|webp)$/i.test(n) && !n.startsWith('.')).sort();
    const maskNames = new Map<string, string>();
    for (const n of await readdir(masksDir)) {
      const stem = n.replace(/\.[^.]+$/, '');
      maskNames.set(stem.endsWith('_segmentation') ? stem.slice(0, -'_segmentation'.length) : stem, n);
    }
    const skipped: string[] = [];
    let counts = this.preparing(jobId).input.counts();
    let done = 0;
    for (const name of imageNames) {
      const stem = name.replace(/\.[^.]+$/, '');
      if (stem.endsWith('_superpixels')) continue;
      const maskName = maskNames.get(stem);
      if (!maskName) {
        skipped.push(`${name}: no mask named ${stem}.png or ${stem}_segmentation.png in ${masksDir}`);
        continue;
      }
      const maskPng = await readFile(path.join(masksDir, maskName));
      const image = await readFile(path.join(imagesDir, name));
      const maskVersionId = `file:${maskName}#${shortHash(maskPng)}`;
      try {
        counts = await this.addPairs(jobId, [{ caseId: stem, maskVersionId, image, imageName: name, maskPng }]);
      } catch (error) {
        // One unusable pair is reported and skipped, like `segment` skips an unreadable image.
        if (!(error instanceof TrainingJobError)) throw error;
        skipped.push(error.message);
      }
      onPair?.(++done, imageNames.length);
    }
    return { ...counts, skipped };
  }

  /** Starts the trainer for a prepared job. */
  async start(jobId: string): Promise<TrainingJob> {
    const { file, input } = this.preparing(jobId);
    const counts = input.counts();
    if (counts.received === 0) throw new TrainingJobError(`job ${jobId} has no cases; add approved cases first`);
    const shortfall = validationShortfall(counts.validation);
    if (shortfall) throw new TrainingJobError(shortfall);
    if (counts.train === 0) throw new TrainingJobError('the job has no training cases (every case it holds is a validation case); approve more cases');
    const check = await this.checkMachine();
    if (!check.ok || !check.python) {
      const p = check.problems[0]!;
      throw new TrainingJobError(`${p.message} ${p.fix}`);
    }
    const base = await this.resolveBase(file.job.base);
    const version = await this.options.store.nextVersion(base.entry!.card.name);
    const replay = [...(this.options.replaySources ?? [path.join(this.options.trainerDir, 'replay', 'train')]), ...(await this.earlierCorrections(base))];
    const anchor = this.options.anchorSet === undefined ? path.join(this.options.trainerDir, 'replay', 'anchor') : this.options.anchorSet;
    const resultDir = path.join(this.jobDir(jobId), 'result');
    await rm(resultDir, { recursive: true, force: true });
    const args = [
      '-m', 'scsonet', 'finetune',
      '--base', base.checkpointPath!,
      '--data', input.dir,
      '--out', resultDir,
      '--version', version,
      '--epochs', String(file.job.epochs),
      '--threads', String(this.options.threads ?? availableParallelism()),
      '--exit-with-stdin',
      ...(replay.length > 0 ? replay.flatMap((dir) => ['--replay', dir]) : ['--no-replay']),
      ...(anchor ? ['--anchor', anchor] : ['--no-anchor']),
      ...(this.options.trainerArgs ?? []),
    ];
    const command = [check.python.path, ...args];
    const logPath = path.join(this.jobDir(jobId), versionFiles.log);
    const log = createWriteStream(logPath, { flags: 'a' });
    log.write(`# ${now()} ${command.join(' ')}\n`);
    const child = spawn(check.python.path, args, {
      cwd: this.jobDir(jobId),
      env: { ...(this.options.env ?? process.env), PYTHONPATH: this.options.trainerDir, PYTHONUNBUFFERED: '1' },
      // stdin stays open: the trainer exits when it closes, so a crashed app leaves no orphan.
      stdio: ['pipe', 'pipe', 'pipe'],
      windowsHide: true,
    });
    const running: Running = { child, log, tail: [], lastError: null, cancelRequested: false, exited: Promise.resolve() };
    this.running = { id: jobId, process: running };
    const job: TrainingJob = { ...file.job, state: 'running', phase: 'starting', startedAt: now(), progress: phaseStart.starting };
    const saved: JobFile = { ...file, job, command, pid: child.pid ?? null };
    await this.save(saved);
    this.publishProgress(job);
    running.exited = this.supervise(jobId, running, resultDir);
    return job;
  }

  /**
   * Inputs of earlier successful jobs in the base's lineage: their training cases are replayed
   * (the trainer uses only train-split cases of a job folder and skips ids it already has).
   */
  private async earlierCorrections(base: StoredVersion): Promise<string[]> {
    const lineage = new Set(base.record?.lineage ?? [base.id]);
    const dirs: string[] = [];
    for (const f of this.jobs.values()) {
      const v = f.job.result?.version;
      if (f.job.state === 'succeeded' && v && lineage.has(v)) {
        const dir = path.join(this.jobDir(f.job.id), 'input');
        if (existsSync(path.join(dir, 'manifest.json'))) dirs.push(dir);
      }
    }
    return dirs;
  }

  private async supervise(jobId: string, running: Running, resultDir: string): Promise<void> {
    const { child, log } = running;
    const remember = (line: string) => {
      running.tail.push(line);
      if (running.tail.length > logTailLines) running.tail.shift();
    };
    child.stderr!.setEncoding('utf8');
    child.stderr!.on('data', (chunk: string) => {
      log.write(chunk);
      for (const line of chunk.split('\n')) {
        if (!line.trim()) continue;
        remember(line);
        if (line.startsWith('error: ')) running.lastError = line.slice('error: '.length);
      }
    });
    const lines = createInterface({ input: child.stdout! });
    let chain = Promise.resolve();
    lines.on('line', (line) => {
      log.write(`${line}\n`);
      remember(line);
      chain = chain.then(() => this.onTrainerLine(jobId, running, line)).catch((error: unknown) => this.options.log?.(`job ${jobId}: ${errorMessage(error)}`));
    });
    const exit = await new Promise<{ code: number | null; signal: NodeJS.Signals | null; spawnError?: Error }>((resolve) => {
      child.once('error', (spawnError) => resolve({ code: null, signal: null, spawnError }));
      child.once('close', (code, signal) => resolve({ code, signal }));
    });
    await chain;
    await new Promise<void>((resolve) => log.end(resolve));
    const file = this.jobs.get(jobId)!;
    const logTail = running.tail.join('\n');
    try {
      if (running.cancelRequested) {
        await this.finish(file, 'cancelled', { message: 'Cancelled; no model version was added.', logTail });
      } else if (exit.code === 0 && existsSync(path.join(resultDir, versionFiles.card))) {
        await this.complete(file, resultDir);
      } else {
        const how = exit.spawnError
          ? `the trainer could not be started (${exit.spawnError.message})`
          : exit.signal
            ? `the trainer was stopped by ${exit.signal}`
            : `the trainer exited with code ${exit.code}`;
        const message = running.lastError ? `${running.lastError[0]!.toUpperCase()}${running.lastError.slice(1)}` : `${how[0]!.toUpperCase()}${how.slice(1)}; see the log below.`;
        await this.finish(file, 'failed', { message: running.lastError ? `${message} (${how})` : message, logTail });
      }
    } catch (error) {
      await this.finish(this.jobs.get(jobId)!, 'failed', { message: `The job finished but its model could not be added: ${errorMessage(error)}`, logTail });
    } finally {
      await rm(resultDir, { recursive: true, force: true }).catch(() => undefined);
      if (this.running?.id === jobId) this.running = null;
    }
  }

  private async onTrainerLine(jobId: string, running: Running, line: string): Promise<void> {
    let event: Record<string, unknown>;
    try {
      event = JSON.parse(line) as Record<string, unknown>;
    } catch {
      return; // Not a progress line: it is in the log.
    }
    const file = this.jobs.get(jobId);
    if (!file || typeof event.event !== 'string') return;
    let job = file.job;
    const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);
    switch (event.event) {
      case 'phase': {
        const phase = event.phase;
        if (phase === 'loading' || phase === 'baseline' || phase === 'training' || phase === 'scoring' || phase === 'exporting') {
          job = { ...job, phase, progress: Math.max(job.progress, phaseStart[phase]) };
        }
        break;
      }
      case 'epoch': {
        const epoch = num(event.epoch) ?? job.epoch + 1;
        const epochs = num(event.epochs) ?? job.epochs;
        const record: EpochRecord = { epoch, loss: round5(num(event.loss) ?? Number.NaN), valDsc: Math.min(1, Math.max(0, num(event.val_dsc) ?? 0)) };
        const span = phaseStart.scoring - phaseStart.training;
        job = {
          ...job,
          phase: 'training',
          epoch,
          epochs,
          etaSeconds: num(event.eta_s),
          history: [...job.history.filter((h) => h.epoch !== epoch), ...(Number.isFinite(record.loss) ? [record] : [])],
          progress: Math.max(job.progress, phaseStart.training + span * (epoch / Math.max(1, epochs))),
        };
        break;
      }
      case 'error':
        if (typeof event.message === 'string') running.lastError = event.message;
        return;
      default:
        return;
    }
    await this.save({ ...file, job });
    this.publishProgress(job);
  }

  /** Gate, store, activate: the end of a successful job. */
  private async complete(file: JobFile, resultDir: string): Promise<void> {
    const store = this.options.store;
    const job: TrainingJob = { ...file.job, phase: 'gating', progress: phaseStart.gating };
    await this.save({ ...file, job });
    this.publishProgress(job);
    let metrics: z.infer<typeof TrainerMetrics>;
    try {
      metrics = TrainerMetrics.parse(JSON.parse(await readFile(path.join(resultDir, versionFiles.metrics), 'utf8')));
    } catch (error) {
      throw new TrainingJobError(`the trainer's ${versionFiles.metrics} is missing or malformed (${errorMessage(error).split('\n')[0]})`);
    }
    const validation: DiceComparison = { n: metrics.validation.n, base: round5(metrics.validation.base.dsc), candidate: round5(metrics.validation.candidate.dsc) };
    const anchor: DiceComparison | null = metrics.anchor
      ? { n: metrics.anchor.n, base: round5(metrics.anchor.base.dsc), candidate: round5(metrics.anchor.candidate.dsc) }
      : null;
    const gate = decideGate(validation, anchor, { ...this.options.gate, activate: file.job.activate });
    const counts = this.inputs.get(file.job.id)?.counts() ?? { received: file.job.cases.train + file.job.cases.validation };
    // The version keeps the log of the job that made it (how it was trained, for support).
    await copyFile(path.join(this.jobDir(file.job.id), versionFiles.log), path.join(resultDir, versionFiles.log)).catch(() => undefined);
    const added = await store.add(resultDir, {
      base: file.job.base,
      created: now(),
      jobId: file.job.id,
      corrections: counts.received,
      validation,
      anchor,
      gate,
    });
    if (gate.activated) {
      const change = await store.activate(added.id);
      await this.announceActivation(change).catch((error: unknown) => this.options.log?.(`switching to ${change.active} failed: ${errorMessage(error)}`));
    }
    await this.finish(this.jobs.get(file.job.id)!, 'succeeded', null, { result: { version: added.id, validation, anchor, gate } });
  }

  /** The services' own announcement (load, then publish), or a plain event where there are none (the CLI). */
  private async announceActivation(change: { active: string; previous: string | null }): Promise<void> {
    if (this.options.onActivated) return this.options.onActivated(change);
    this.options.events.publish({ type: 'active-model-changed', active: change.active, previous: change.previous });
  }

  /** Ends a job: state, end time, log tail; publishes job-ended and wakes waiters. */
  private async finish(
    file: JobFile,
    state: 'succeeded' | 'failed' | 'cancelled' | 'interrupted',
    error: { message: string; logTail: string } | null,
    extra: { result?: TrainingJob['result']; publish?: boolean } = {},
  ): Promise<void> {
    const job: TrainingJob = {
      ...file.job,
      state,
      phase: state === 'succeeded' ? 'done' : file.job.phase,
      progress: state === 'succeeded' ? 1 : file.job.progress,
      etaSeconds: null,
      endedAt: now(),
      result: extra.result ?? file.job.result,
      error,
    };
    await this.save({ ...file, job, pid: null });
    this.inputs.delete(job.id);
    this.expected.delete(job.id);
    await this.releaseLock(job.id).catch(() => undefined);
    if (state !== 'succeeded') {
      // Keep job.json and the log; the resized inputs of a job that produced nothing go.
      await rm(path.join(this.jobDir(job.id), 'input'), { recursive: true, force: true }).catch(() => undefined);
    }
    if (extra.publish !== false) this.options.events.publish({ type: 'job-ended', job });
    for (const resolve of this.waiters.get(job.id) ?? []) resolve(job);
    this.waiters.delete(job.id);
  }

  /** Resolves when the job has ended (immediately when it already has). */
  waitForEnd(jobId: string): Promise<TrainingJob> {
    const job = this.get(jobId);
    if (job.state !== 'preparing' && job.state !== 'running') return Promise.resolve(job);
    return new Promise((resolve) => {
      const list = this.waiters.get(jobId) ?? [];
      list.push(resolve);
      this.waiters.set(jobId, list);
    });
  }

  /**
   * Cancels a job: a preparing one ends at once; a running one gets SIGTERM (the trainer
   * cleans up and exits), then a kill after the grace period (the whole process tree on
   * Windows, where signals do not exist). Resolves when the job has ended.
   */
  async cancel(jobId: string): Promise<TrainingJob> {
    const file = this.jobs.get(jobId);
    if (!file) throw new TrainingJobError(`there is no fine-tuning job ${jobId}`);
    if (file.job.state === 'preparing') {
      await this.finish(file, 'cancelled', { message: 'Cancelled before it started; no model version was added.', logTail: '' });
      return this.get(jobId);
    }
    if (file.job.state !== 'running' || this.running?.id !== jobId) return file.job;
    const { process: running } = this.running;
    running.cancelRequested = true;
    stopProcess(running.child, this.options.cancelGraceMs ?? 10_000);
    await running.exited;
    return this.get(jobId);
  }

  /** Cancels whatever runs (the app is quitting) and waits for it to end. */
  async shutdown(): Promise<void> {
    const current = this.status().current;
    if (current) await this.cancel(current.id).catch(() => undefined);
  }

  /** Removes the kept inputs of jobs whose version no longer exists (after a delete). */
  async forgetVersion(versionId: string): Promise<void> {
    for (const f of this.jobs.values()) {
      if (f.job.result?.version === versionId) await rm(path.join(this.jobDir(f.job.id), 'input'), { recursive: true, force: true });
    }
  }
}

/** First 16 hex digits of a sha256: a mask file's version id in a CLI job. */
function shortHash(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex').slice(0, 16);
}

/** True while a process with this id exists (EPERM: it exists but belongs to someone else). */
function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** SIGTERM, then a kill after `graceMs`; on Windows the whole tree with taskkill. */
export function stopProcess(child: ChildProcess, graceMs: number): void {
  if (child.exitCode !== null || child.signalCode !== null) return;
  if (process.platform === 'win32') {
    if (child.pid) spawnSync('taskkill', ['/pid', String(child.pid), '/T', '/F'], { windowsHide: true });
    return;
  }
  child.kill('SIGTERM');
  const timer = setTimeout(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }, graceMs);
  timer.unref();
  child.once('close', () => clearTimeout(timer));
}
