/**
 * The fine-tuning job runner: one job at a time, from the pairs a user approved to a new,
 * gated model version in the store.
 *
 *   create (job folder, state 'preparing') -> add pairs in chunks -> start (preflight, spawn
 *   `python -m scsonet finetune`, read its progress lines) -> on success: gate, add the version
 *   to the store, activate it if the gate passed -> state 'succeeded'.
 *
 * A job that fails, is cancelled or is killed leaves the store exactly as it was (the trainer
 * writes its result to a temporary folder and renames it at the end; the store only takes a
 * finished result). A full disk, a trainer that prints nonsense or floods its output, a write
 * that fails: each ends the job with the reason, never the process.
 *
 * Each job's state lives in `<dataDir>/jobs/<id>/job.json` (jobRecords.ts), so the history
 * survives restarts; a job found 'running' with no live process behind it was cut off by a
 * crash or a kill and is marked 'interrupted'. One job at a time across processes: the lock
 * (jobLock.ts). A job another process runs on the same data folder (the CLI beside the app) is
 * followed read-only: its record is re-read while it is live, and its progress and end are
 * published like this runner's own. Progress lines: trainerProgress.ts. Plain Node: the app,
 * browser mode and the CLI use the same runner.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { createWriteStream, existsSync, type WriteStream } from 'node:fs';
import { copyFile, open as openFile, readdir, readFile, rm } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import path from 'node:path';
import { z } from 'zod';
import {
  validationEvery,
  type DiceComparison,
  type EpochRecord,
  type JobPhase,
  type TrainingJob,
  type TrainingPreflight,
  type TrainingStatus,
} from '../../preload/api.js';
import { errorMessage, TrainingJobError } from './errors.js';
import type { EventHub } from './events.js';
import { JobEta } from './jobEta.js';
import { JobLock, type JobLockOptions } from './jobLock.js';
import { damagedJob, isJobId, JobWriter, readRecord, salvageBase, type JobFile, type WriteText } from './jobRecords.js';
import { versionFiles, type ModelStore, type StoredVersion } from './modelStore.js';
import { preflight, type PreflightOptions, type PythonInfo } from './pythonRuntime.js';
import { BoundedLineSplitter, maxProgressLineBytes, parseProgressLine, type SplitLine, type TrainerProgressLine } from './trainerProgress.js';
import { approveMoreFor, decideGate, type GateOptions } from './trainingGate.js';
import { folderPairs, JobInput, readFolderPair, recordedSides, type InputPair } from './trainingInput.js';

/** Milestones (phases, epochs) announced at once per second at most; the rest wait for the coalesced write. */
const milestonesPerSecond = 20;

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
  /**
   * How job records reach the disk (default: fs writeFile). The seam through which tests give
   * the runner a disk that fills up; every other write of the runner fails on its own.
   */
  writeText?: WriteText;
  /** Least time between two writes of a job's progress (default 250 ms). */
  recordIntervalMs?: number;
  /** How often a job of another process is re-read while it is live (default 1 s). */
  followIntervalMs?: number;
  /** Lock heartbeat and staleness (tests). */
  lock?: JobLockOptions;
  /**
   * How long a job being prepared may wait for its next pairs (default 2 minutes) before it is
   * abandoned, store unchanged: the window that was sending them was closed or reloaded, or its
   * page hangs. A chunk of 8 pairs is read and sent in about a second; a call in progress counts
   * as activity however long it takes.
   */
  preparingTimeoutMs?: number;
  /** The clock of that timeout and of the ETA, in ms (tests inject one; default Date.now). */
  clock?: () => number;
}

/** Default of TrainingJobsOptions.preparingTimeoutMs. */
export const defaultPreparingTimeoutMs = 2 * 60_000;

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

const Part = z.object({ n: z.number(), base: z.object({ dsc: z.number() }).loose(), candidate: z.object({ dsc: z.number() }).loose() });
const comparison = (part: z.infer<typeof Part> | undefined): DiceComparison | null =>
  part ? { n: part.n, base: round5(part.base.dsc), candidate: round5(part.candidate.dsc) } : null;

/** The trainer's metrics.json, only the parts the runner uses. */
const TrainerMetrics = z.object({
  format: z.literal('lesiondesk-finetune-metrics/1'),
  validation: z.object({
    n: z.number(),
    base: z.object({ dsc: z.number() }).loose(),
    candidate: z.object({ dsc: z.number() }).loose(),
    // The gate's two parts (models/scsonet/finetune.py validation_parts); absent from older trainers.
    changed: Part.optional(),
    unchanged: Part.optional(),
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
  /** Why the runner itself stopped the trainer (a record or the log could not be written). */
  failure: string | null;
  /** Notes about ignored lines already passed to options.log (the rest go to the job's log only). */
  notes: number;
  /** The time left, measured from the baseline and each epoch as their lines arrive. */
  eta: JobEta;
  exited: Promise<void>;
}

/** Of a tail line kept for the job record: enough to read, never a flood. */
const tailLineChars = 1000;
/** How many notes about ignored trainer lines reach options.log per job. */
const notesPerJob = 5;

function isLive(state: TrainingJob['state']): boolean {
  return state === 'preparing' || state === 'running';
}

/** True for an error or trainer message that says the disk (or the user's quota) is full. */
function isDiskFull(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException | null)?.code;
  return code === 'ENOSPC' || code === 'EDQUOT' || /\b(ENOSPC|EDQUOT)\b|No space left on device|Disk quota exceeded|\[Errno (28|122)\]/.test(errorMessage(error));
}

/** The runner (see the module comment). */
export class TrainingJobs {
  private readonly jobsDir: string;
  private readonly jobs = new Map<string, JobFile>();
  /** Jobs whose record could not be read: shown in the history as damaged. */
  private readonly damaged = new Map<string, TrainingJob>();
  /** Jobs this runner created (it holds their lock); every other live job is another process's. */
  private readonly owned = new Set<string>();
  /** Live jobs of another process that this runner follows. */
  private readonly followed = new Set<string>();
  private readonly inputs = new Map<string, JobInput>();
  private readonly lock: JobLock;
  private readonly writer: JobWriter;
  private running: { id: string; process: Running } | null = null;
  private workingPython: { info: PythonInfo; at: number } | null = null;
  /** Ends of jobs, for callers that wait (the CLI, tests). */
  private readonly waiters = new Map<string, Array<(job: TrainingJob) => void>>();
  private refreshing: Promise<void> | null = null;
  private followTimer: NodeJS.Timeout | null = null;
  private readonly openedAt = now();

  private constructor(private readonly options: TrainingJobsOptions) {
    this.jobsDir = path.join(options.dataDir, 'jobs');
    this.lock = new JobLock(this.jobsDir, options.lock);
    this.writer = new JobWriter(this.jobsDir, {
      write: options.writeText,
      minIntervalMs: options.recordIntervalMs,
      onFlush: (file, error) => this.onProgressWritten(file, error),
    });
  }

  /** Loads the job history (jobs cut off by a crash become 'interrupted') and starts following other processes' jobs. */
  static async open(options: TrainingJobsOptions): Promise<TrainingJobs> {
    const runner = new TrainingJobs(options);
    await runner.refresh({ publish: false });
    runner.followTimer = setInterval(() => void runner.poll(), options.followIntervalMs ?? 1000);
    runner.followTimer.unref();
    return runner;
  }

  private jobDir(id: string): string {
    return path.join(this.jobsDir, id);
  }

  /**
   * Re-reads the jobs folder: new jobs of other processes, the progress of the ones followed,
   * damaged records. Jobs of this runner are never re-read (its memory is their truth). One
   * refresh at a time; concurrent callers share it.
   */
  refresh(options: { publish?: boolean } = {}): Promise<void> {
    this.refreshing ??= this.readJobsFolder(options.publish !== false).finally(() => {
      this.refreshing = null;
    });
    return this.refreshing;
  }

  /** The status after a refresh (what the contract's getTrainingStatus returns). */
  async refreshedStatus(): Promise<TrainingStatus> {
    await this.refresh();
    return this.status();
  }

  /** The timer's check: cheap (the lock file) unless a job of another process is live. */
  private async poll(): Promise<void> {
    await this.abandonStalled().catch((error: unknown) => this.options.log?.(`abandoning a stalled job: ${errorMessage(error)}`));
    try {
      if (this.followed.size === 0) {
        const lock = await this.lock.read();
        if (!lock?.jobId || this.owned.has(lock.jobId) || (this.jobs.has(lock.jobId) && !isLive(this.jobs.get(lock.jobId)!.job.state))) return;
      }
      await this.refresh();
    } catch (error) {
      this.options.log?.(`following other processes' jobs: ${errorMessage(error)}`);
    }
  }

  /** The job a live lock names, unless it is this runner's. */
  private async foreignLiveJob(): Promise<{ jobId: string; pid: number | null } | null> {
    const lock = await this.lock.read();
    if (!lock?.jobId || this.owned.has(lock.jobId) || !this.lock.isLive(lock)) return null;
    return { jobId: lock.jobId, pid: lock.pid };
  }

  private async readJobsFolder(publish: boolean): Promise<void> {
    let names: string[];
    try {
      names = (await readdir(this.jobsDir)).filter(isJobId);
    } catch {
      return; // No jobs yet.
    }
    // The lock before the records: a job's process takes the lock before writing its record and
    // writes its final record before releasing the lock, so this order never mistakes a live job for a dead one.
    let foreign = await this.foreignLiveJob();
    for (const id of names) {
      if (this.owned.has(id)) continue;
      const known = this.jobs.get(id);
      if (known && !isLive(known.job.state) && !this.followed.has(id)) continue;
      if (this.damaged.has(id) && foreign?.jobId !== id) continue;
      let read = await readRecord(this.jobsDir, id);
      if (read.file === null) {
        // A job of another process between taking the lock and writing its first record.
        if (foreign?.jobId === id) continue;
        this.damaged.set(id, damagedJob(id, read.damaged, { base: await salvageBase(this.jobsDir, id) }));
        this.jobs.delete(id);
        continue;
      }
      if (isLive(read.file.job.state) && foreign?.jobId !== id) {
        // No live process names it: ended meanwhile (read it again), started meanwhile (the
        // lock again), or cut off by a crash or a kill.
        foreign = await this.foreignLiveJob();
        if (foreign?.jobId !== id) read = await readRecord(this.jobsDir, id);
      }
      if (read.file === null) continue;
      this.damaged.delete(id);
      const file = read.file;
      const before = this.jobs.get(id);
      this.jobs.set(id, file);
      if (isLive(file.job.state)) {
        if (foreign?.jobId === id) {
          this.followed.add(id);
          if (publish && JSON.stringify(before?.job) !== JSON.stringify(file.job)) this.publishProgress(file.job);
          continue;
        }
        const wasRunning = file.job.state === 'running';
        this.followed.delete(id);
        await this.finish(file, 'interrupted', {
          message: wasRunning
            ? 'LesionDesk stopped while this job was running; no model version was added. Start the job again.'
            : 'LesionDesk stopped while this job was receiving cases; it never started.',
          logTail: await this.readLogTail(id),
        }, { publish });
        continue;
      }
      // Ended in another process: announce it once, to whoever followed it or waits for it.
      if (this.followed.delete(id) || (publish && !before && file.job.endedAt !== null && file.job.endedAt >= this.openedAt)) {
        if (publish) this.options.events.publish({ type: 'job-ended', job: file.job });
        // Its gate activated a version: this process switches to it too (the services load it, then announce it).
        const result = file.job.result;
        if (publish && result?.gate.activated) {
          await this.announceActivation({ active: result.version, previous: file.job.base }).catch((error: unknown) =>
            this.options.log?.(`switching to ${result.version} failed: ${errorMessage(error)}`),
          );
        }
      }
      this.wake(file.job);
    }
  }

  /** The last lines of a job's log (only its end is read, however long the log). */
  private async readLogTail(id: string): Promise<string> {
    try {
      const handle = await openFile(path.join(this.jobDir(id), versionFiles.log), 'r');
      try {
        const { size } = await handle.stat();
        const length = Math.min(size, 64 * 1024);
        const buffer = Buffer.alloc(length);
        await handle.read(buffer, 0, length, size - length);
        return buffer.toString('utf8').split('\n').filter(Boolean).slice(-logTailLines).map((l) => l.slice(0, tailLineChars)).join('\n');
      } finally {
        await handle.close();
      }
    } catch {
      return '';
    }
  }

  /**
   * A progress state: in memory now, on disk a few times a second at most. A milestone (a new
   * phase or a finished epoch) is announced at once, so listeners see every phase and every epoch
   * (the CLI prints them, the panel charts them); the rest is announced with the coalesced write.
   * Milestones share a budget per second, so a trainer that floods them cannot flood the events.
   */
  private update(file: JobFile): void {
    const before = this.jobs.get(file.job.id)?.job;
    this.jobs.set(file.job.id, file);
    this.writer.update(file);
    const milestone = before !== undefined && (before.phase !== file.job.phase || before.history.length !== file.job.history.length);
    if (milestone && this.takeMilestoneBudget()) this.publishProgress(file.job);
  }

  private milestones = { windowStart: 0, count: 0 };

  private takeMilestoneBudget(): boolean {
    const now = Date.now();
    if (now - this.milestones.windowStart >= 1000) this.milestones = { windowStart: now, count: 0 };
    return ++this.milestones.count <= milestonesPerSecond;
  }

  /** A state that must be on disk before going on (creation, start); announced at once. */
  private async commit(file: JobFile): Promise<void> {
    this.jobs.set(file.job.id, file);
    await this.writer.commit(file);
    if (this.jobs.get(file.job.id)?.job === file.job) this.publishProgress(file.job);
  }

  /** A coalesced write happened: announce the state it carried, unless a newer one replaced it. */
  private onProgressWritten(file: JobFile, error: unknown): void {
    if (error) this.onRecordFailed(file.job.id, error);
    const current = this.jobs.get(file.job.id);
    if (current?.job === file.job && isLive(file.job.state)) this.publishProgress(file.job);
  }

  /** A job's record could not be written: a running job stops (its history could not be kept). */
  private onRecordFailed(id: string, error: unknown): void {
    this.options.log?.(`job ${id}: its record could not be written: ${errorMessage(error)}`);
    const running = this.running?.id === id ? this.running.process : null;
    if (!running || running.failure !== null) return;
    running.failure = this.failureMessage(error, `the job's record (jobs/${id}/job.json) could not be written`);
    stopProcess(running.child, this.options.cancelGraceMs ?? 10_000);
  }

  /** The sentence for a failure caused by `error`: a full disk is named as such. */
  private failureMessage(error: unknown, what: string): string {
    if (isDiskFull(error)) {
      return `The disk is full: ${what} (${errorMessage(error)}). Free some space on the disk that holds ${this.options.dataDir} and start the job again; no model version was added.`;
    }
    return `${what[0]!.toUpperCase()}${what.slice(1)} (${errorMessage(error)}); no model version was added.`;
  }

  private announced = new WeakSet<TrainingJob>();

  private publishProgress(job: TrainingJob): void {
    if (this.announced.has(job)) return; // a milestone already announced this very state
    this.announced.add(job);
    this.options.events.publish({ type: 'job-progress', job });
  }

  /** The current job (preparing or running, here or in another process) and the finished ones, newest first. */
  status(): TrainingStatus {
    const all = [...[...this.jobs.values()].map((f) => f.job), ...this.damaged.values()].sort((a, b) => b.createdAt.localeCompare(a.createdAt));
    const current = all.find((j) => isLive(j.state)) ?? null;
    return { current, history: all.filter((j) => j !== current).slice(0, historyLimit) };
  }

  get(id: string): TrainingJob {
    const job = this.jobs.get(id)?.job ?? this.damaged.get(id);
    if (!job) throw new TrainingJobError(`there is no fine-tuning job ${id}`);
    return job;
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
    await this.refresh();
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
    await this.refresh();
    const current = this.status().current;
    if (current) {
      const holder = await this.foreignLiveJob();
      const where = holder?.jobId === current.id && holder.pid !== null ? `, in another LesionDesk process, pid ${holder.pid}` : '';
      throw new TrainingJobError(
        `a fine-tuning job is already ${current.state === 'running' ? 'running' : 'being prepared'} (${current.id}${where}); wait for it or cancel it: one job runs at a time`,
      );
    }
    const base = await this.resolveBase(args.base);
    const id = `${now().replace(/[-:]/g, '').replace(/\..*$/, '')}-${randomUUID().slice(0, 8)}`;
    await this.lock.acquire(id);
    this.owned.add(id);
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
      input.pastSides = await recordedSides(this.keptInputs());
      this.inputs.set(id, input);
      this.expected.set(id, args.expectedPairs);
      this.lastPairsAt.set(id, this.clock());
      await this.commit({ format: 'lesiondesk-training-job/1', job, command: null, pid: null });
    } catch (error) {
      // Nothing of a job that never existed stays behind: no folder, no lock, no history entry.
      this.jobs.delete(id);
      this.inputs.delete(id);
      this.expected.delete(id);
      this.writer.forget(id);
      this.owned.delete(id);
      await rm(this.jobDir(id), { recursive: true, force: true }).catch(() => undefined);
      await this.lock.release(id).catch(() => undefined);
      const what = `the job folder could not be created in ${this.jobsDir}`;
      throw new TrainingJobError(isDiskFull(error) ? this.failureMessage(error, what) : `${what} (${errorMessage(error)})`, { cause: error });
    }
    return job;
  }

  private readonly expected = new Map<string, number>();
  /** When each job being prepared here last received pairs (or was created), by options.clock. */
  private readonly lastPairsAt = new Map<string, number>();
  /** Calls adding pairs now, per job: a job is never abandoned while one runs. */
  private readonly adding = new Map<string, number>();

  private clock(): number {
    return (this.options.clock ?? Date.now)();
  }

  /**
   * Abandons this runner's jobs that have waited for pairs longer than the preparing timeout:
   * they end as interrupted with the reason, their inputs are removed and the lock released, so
   * Start and automatic training are free again; the store was never touched. Runs on the
   * follow timer; tests call it with an injected clock.
   */
  async abandonStalled(): Promise<void> {
    const timeout = this.options.preparingTimeoutMs ?? defaultPreparingTimeoutMs;
    for (const [id, at] of [...this.lastPairsAt]) {
      const file = this.jobs.get(id);
      if (!file || file.job.state !== 'preparing' || !this.owned.has(id)) {
        this.lastPairsAt.delete(id);
        continue;
      }
      if ((this.adding.get(id) ?? 0) > 0 || this.clock() - at < timeout) continue;
      this.lastPairsAt.delete(id);
      const minutes = Math.round(timeout / 6000) / 10;
      await this.finish(file, 'interrupted', {
        message:
          `No cases arrived for ${minutes} minute${minutes === 1 ? '' : 's'} while this job was receiving them (the window sending them was closed or reloaded, ` +
          'or the command was stopped); it was abandoned before it started and no model version was added. Start it again.',
        logTail: '',
      });
    }
  }

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
    const { input } = this.preparing(jobId);
    this.adding.set(jobId, (this.adding.get(jobId) ?? 0) + 1);
    let counts;
    try {
      counts = await input.add(pairs);
    } finally {
      if (this.adding.has(jobId)) this.adding.set(jobId, this.adding.get(jobId)! - 1);
      if (this.lastPairsAt.has(jobId)) this.lastPairsAt.set(jobId, this.clock());
    }
    // Re-read: the job may have been cancelled while the pairs were written.
    const { file } = this.preparing(jobId);
    const expected = Math.max(1, this.expected.get(jobId) ?? counts.received);
    const job: TrainingJob = {
      ...file.job,
      cases: { train: counts.train, validation: counts.validation },
      progress: Math.min(phaseStart.starting, (counts.received / expected) * phaseStart.starting),
    };
    this.update({ ...file, job });
    return counts;
  }

  /** Adds every image of a folder with its mask (the CLI): `<stem>.png` or `<stem>_segmentation.png`. */
  async addFolder(jobId: string, imagesDir: string, masksDir: string, onPair?: (done: number, total: number) => void): Promise<{ received: number; train: number; validation: number; skipped: string[] }> {
    let counts = this.preparing(jobId).input.counts();
    // The whole hand-off is activity, reading a slow disk too: only a stopped sender is abandoned.
    this.adding.set(jobId, (this.adding.get(jobId) ?? 0) + 1);
    try {
      const { pairs, skipped } = await folderPairs(imagesDir, masksDir);
      let done = 0;
      for (const pair of pairs) {
        this.preparing(jobId); // cancelled meanwhile: stop here
        try {
          counts = await this.addPairs(jobId, [await readFolderPair(pair)]);
        } catch (error) {
          // One unusable pair is reported and skipped, like `segment` skips an unreadable image.
          if (!(error instanceof TrainingJobError) || this.jobs.get(jobId)?.job.state !== 'preparing') throw error;
          skipped.push(error.message);
        }
        onPair?.(++done, pairs.length);
      }
      return { ...counts, skipped };
    } finally {
      if (this.adding.has(jobId)) this.adding.set(jobId, this.adding.get(jobId)! - 1);
      if (this.lastPairsAt.has(jobId)) this.lastPairsAt.set(jobId, this.clock());
    }
  }

  /** Starts the trainer for a prepared job. */
  async start(jobId: string): Promise<TrainingJob> {
    const { file, input } = this.preparing(jobId);
    const counts = input.counts();
    if (counts.received === 0) throw new TrainingJobError(`job ${jobId} has no cases; add approved cases first`);
    // Fewer validation cases than a judgement needs still run (a small library tries its first
    // corrections); the gate then keeps the result as a candidate. None at all cannot be scored.
    if (counts.validation === 0) {
      throw new TrainingJobError(
        `the job has no validation case, so nothing could judge what it learns; about 1 case in ${validationEvery} is a validation case (decided by its image), so approve about ${approveMoreFor(0)} more cases`,
      );
    }
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
    // A log that cannot be written (a full disk) must not crash the process: the job stops with the reason.
    log.on('error', (error) => this.onLogFailed(jobId, error));
    const child = spawn(check.python.path, args, {
      cwd: this.jobDir(jobId),
      env: { ...(this.options.env ?? process.env), PYTHONPATH: this.options.trainerDir, PYTHONUNBUFFERED: '1' },
      // stdin stays open: the trainer exits when it closes, so a crashed app leaves no orphan.
      stdio: ['pipe', 'pipe', 'pipe'],
      windowsHide: true,
    });
    const eta = new JobEta(() => this.clock());
    const running: Running = { child, log, tail: [], lastError: null, cancelRequested: false, failure: null, notes: 0, eta, exited: Promise.resolve() };
    this.running = { id: jobId, process: running };
    const job: TrainingJob = { ...file.job, state: 'running', phase: 'starting', startedAt: now(), progress: phaseStart.starting };
    // Supervised from the first moment: whatever happens next, the job ends through supervise.
    running.exited = this.supervise(jobId, running, resultDir);
    try {
      await this.commit({ ...file, job, command, pid: child.pid ?? null });
    } catch (error) {
      this.onRecordFailed(jobId, error);
    }
    return this.get(jobId);
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

  /** Input folders kept by earlier jobs (those that made a version): what their cases' sides were. */
  private keptInputs(): string[] {
    return [...this.jobs.values()]
      .filter((f) => f.job.state === 'succeeded')
      .sort((a, b) => a.job.createdAt.localeCompare(b.job.createdAt))
      .map((f) => path.join(this.jobDir(f.job.id), 'input'));
  }

  /** The job's log could not be written: the trainer stops and the job ends with the reason. */
  private onLogFailed(jobId: string, error: unknown): void {
    this.options.log?.(`job ${jobId}: its log could not be written: ${errorMessage(error)}`);
    const running = this.running?.id === jobId ? this.running.process : null;
    if (!running || running.failure !== null) return;
    running.failure = this.failureMessage(error, `the job's log (jobs/${jobId}/${versionFiles.log}) could not be written`);
    stopProcess(running.child, this.options.cancelGraceMs ?? 10_000);
  }

  private async supervise(jobId: string, running: Running, resultDir: string): Promise<void> {
    const { child, log } = running;
    const remember = (line: string) => {
      running.tail.push(line.slice(0, tailLineChars));
      if (running.tail.length > logTailLines) running.tail.shift();
    };
    // The log is written as fast as the disk takes it: while it lags, the trainer's pipes are
    // paused (the trainer then waits), so a flood of output never piles up in memory.
    let paused = false;
    const writeLog = (text: string) => {
      if (log.destroyed || log.writableEnded) return;
      if (!log.write(text) && !paused) {
        paused = true;
        child.stdout?.pause();
        child.stderr?.pause();
        log.once('drain', () => {
          paused = false;
          child.stdout?.resume();
          child.stderr?.resume();
        });
      }
    };
    log.once('error', () => {
      // A broken log never drains: let the trainer's output flow (and be dropped) so it can exit.
      if (paused) {
        child.stdout?.resume();
        child.stderr?.resume();
      }
    });
    const note = (text: string) => {
      writeLog(`# ${text}\n`);
      if (running.notes++ < notesPerJob) this.options.log?.(`job ${jobId}: ${text}`);
    };
    const dropped = (stream: string, bytes: number) =>
      note(`dropped a trainer line of ${bytes} bytes on ${stream} (longer than ${maxProgressLineBytes} bytes)`);
    const stderr = new BoundedLineSplitter((piece: SplitLine) => {
      if ('droppedBytes' in piece) return dropped('stderr', piece.droppedBytes);
      writeLog(`${piece.text}\n`);
      if (!piece.text.trim()) return;
      remember(piece.text);
      if (piece.text.startsWith('error: ')) running.lastError = piece.text.slice('error: '.length);
    });
    const stdout = new BoundedLineSplitter((piece: SplitLine) => {
      if ('droppedBytes' in piece) return dropped('stdout', piece.droppedBytes);
      writeLog(`${piece.text}\n`);
      if (!piece.text.trim()) return;
      remember(piece.text);
      const parsed = parseProgressLine(piece.text);
      if (!parsed.ok) return note(`ignored a trainer line (${parsed.reason}): ${piece.text.slice(0, 200)}`);
      const problem = this.onTrainerLine(jobId, running, parsed.line);
      if (problem) note(`ignored a trainer line (${problem}): ${piece.text.slice(0, 200)}`);
    });
    child.stderr!.on('data', (chunk: Buffer) => stderr.push(chunk));
    child.stderr!.on('end', () => stderr.end());
    child.stdout!.on('data', (chunk: Buffer) => stdout.push(chunk));
    child.stdout!.on('end', () => stdout.end());
    const exit = await new Promise<{ code: number | null; signal: NodeJS.Signals | null; spawnError?: Error }>((resolve) => {
      child.once('error', (spawnError) => resolve({ code: null, signal: null, spawnError }));
      child.once('close', (code, signal) => resolve({ code, signal }));
    });
    await new Promise<void>((resolve) => {
      if (log.destroyed) return resolve();
      log.once('error', () => resolve());
      log.end(() => resolve());
    });
    const logTail = running.tail.join('\n');
    try {
      const file = this.jobs.get(jobId)!;
      if (running.cancelRequested) {
        await this.finish(file, 'cancelled', { message: 'Cancelled; no model version was added.', logTail });
      } else if (running.failure !== null) {
        await this.finish(file, 'failed', { message: running.failure, logTail });
      } else if (exit.code === 0 && existsSync(path.join(resultDir, versionFiles.card))) {
        await this.complete(file, resultDir);
      } else {
        const how = exit.spawnError
          ? `the trainer could not be started (${exit.spawnError.message})`
          : exit.signal
            ? `the trainer was stopped by ${exit.signal}`
            : `the trainer exited with code ${exit.code}`;
        const diskFull = [running.lastError ?? '', ...running.tail].find((line) => isDiskFull(line));
        const message = diskFull
          ? this.failureMessage(diskFull, `the trainer could not write its result (${how})`)
          : running.lastError
            ? `${running.lastError[0]!.toUpperCase()}${running.lastError.slice(1)} (${how})`
            : `${how[0]!.toUpperCase()}${how.slice(1)}; see the log below.`;
        await this.finish(file, 'failed', { message, logTail });
      }
    } catch (error) {
      await this.finish(this.jobs.get(jobId)!, 'failed', { message: this.failureMessage(error, 'the job finished but its model could not be added'), logTail });
    } finally {
      await rm(resultDir, { recursive: true, force: true }).catch(() => undefined);
      if (this.running?.id === jobId) this.running = null;
    }
  }

  /**
   * Applies one valid progress line to the job (in memory; written and announced a few times a
   * second). Returns why a line that is valid on its own does not fit this job, or null.
   */
  private onTrainerLine(jobId: string, running: Running, event: TrainerProgressLine): string | null {
    const file = this.jobs.get(jobId);
    if (!file || file.job.state !== 'running') return null;
    let job = file.job;
    switch (event.event) {
      case 'start':
        running.eta.start(event);
        return null;
      case 'phase':
        job = {
          ...job,
          phase: event.phase,
          etaSeconds: running.eta.phase(event.phase),
          progress: Math.max(job.progress, phaseStart[event.phase]),
          ...(event.base_val_dsc !== undefined ? { baseValDsc: event.base_val_dsc } : {}),
        };
        break;
      case 'epoch': {
        if (event.epochs !== job.epochs) return `the job has ${job.epochs} epochs, the line ${event.epochs}`;
        const record: EpochRecord | null =
          event.loss !== null && event.val_dsc !== null ? { epoch: event.epoch, loss: round5(event.loss), valDsc: event.val_dsc } : null;
        const span = phaseStart.scoring - phaseStart.training;
        job = {
          ...job,
          phase: 'training',
          epoch: event.epoch,
          // Corrected by this epoch's measured duration; the trainer's own (its mean epoch times the epochs left) where the runner has not measured.
          etaSeconds: running.eta.epoch(event.epoch, event.epochs) ?? event.eta_s,
          history: [...job.history.filter((h) => h.epoch !== event.epoch), ...(record ? [record] : [])].sort((a, b) => a.epoch - b.epoch),
          progress: Math.max(job.progress, phaseStart.training + span * (event.epoch / job.epochs)),
        };
        break;
      }
      case 'error':
        running.lastError = event.message;
        return null;
      default:
        return null;
    }
    this.update({ ...file, job });
    return null;
  }

  /** Gate, store, activate: the end of a successful job. */
  private async complete(file: JobFile, resultDir: string): Promise<void> {
    const store = this.options.store;
    const job: TrainingJob = { ...file.job, phase: 'gating', progress: phaseStart.gating };
    await this.commit({ ...file, job });
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
    const changed = comparison(metrics.validation.changed);
    const unchanged = comparison(metrics.validation.unchanged);
    const gate = decideGate({ validation, changed, unchanged, anchor }, { ...this.options.gate, activate: file.job.activate });
    const counts = this.inputs.get(file.job.id)?.counts() ?? { received: file.job.cases.train + file.job.cases.validation };
    // The version keeps the log of the job that made it (how it was trained, for support).
    await copyFile(path.join(this.jobDir(file.job.id), versionFiles.log), path.join(resultDir, versionFiles.log)).catch(() => undefined);
    const added = await store.add(resultDir, {
      base: file.job.base,
      created: now(),
      jobId: file.job.id,
      corrections: counts.received,
      validation,
      changed,
      unchanged,
      anchor,
      gate,
    });
    if (gate.activated) {
      const change = await store.activate(added.id);
      await this.announceActivation(change).catch((error: unknown) => this.options.log?.(`switching to ${change.active} failed: ${errorMessage(error)}`));
    }
    await this.finish(this.jobs.get(file.job.id)!, 'succeeded', null, { result: { version: added.id, validation, ...(changed ? { changed } : {}), ...(unchanged ? { unchanged } : {}), anchor, gate } });
  }

  /** The services' own announcement (load, then publish), or a plain event where there are none (the CLI). */
  private async announceActivation(change: { active: string; previous: string | null }): Promise<void> {
    if (this.options.onActivated) return this.options.onActivated(change);
    this.options.events.publish({ type: 'active-model-changed', active: change.active, previous: change.previous });
  }

  /**
   * Ends a job: state, end time, log tail; publishes job-ended and wakes waiters. Never throws:
   * when the final record cannot be written (a full disk), the job still ends here, in memory,
   * with the reason logged; the record on disk then still says 'running', and the next start
   * marks it interrupted.
   */
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
    this.jobs.set(job.id, { ...file, job, pid: null });
    try {
      await this.writer.commit({ ...file, job, pid: null });
    } catch (writeError) {
      this.options.log?.(`job ${job.id}: its end (${state}) could not be recorded: ${errorMessage(writeError)}`);
    }
    this.writer.forget(job.id);
    this.inputs.delete(job.id);
    this.expected.delete(job.id);
    this.lastPairsAt.delete(job.id);
    this.adding.delete(job.id);
    await this.lock.release(job.id).catch((lockError: unknown) => this.options.log?.(`job ${job.id}: the lock could not be released: ${errorMessage(lockError)}`));
    this.owned.delete(job.id);
    if (state !== 'succeeded') {
      // Keep job.json and the log; the resized inputs of a job that produced nothing go.
      await rm(path.join(this.jobDir(job.id), 'input'), { recursive: true, force: true }).catch(() => undefined);
    }
    if (extra.publish !== false) this.options.events.publish({ type: 'job-ended', job });
    this.wake(job);
  }

  private wake(job: TrainingJob): void {
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
    if (isLive(file.job.state) && !this.owned.has(jobId)) {
      const holder = await this.foreignLiveJob();
      throw new TrainingJobError(
        `job ${jobId} runs in another LesionDesk process${holder?.jobId === jobId && holder.pid !== null ? ` (pid ${holder.pid})` : ''}, another window or a terminal; cancel it there (Ctrl+C in the terminal)`,
      );
    }
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

  /** Cancels whatever this runner runs (the app is quitting), waits for it to end, and stops following other processes. */
  async shutdown(): Promise<void> {
    if (this.followTimer) clearInterval(this.followTimer);
    this.followTimer = null;
    for (const id of [...this.owned]) await this.cancel(id).catch(() => undefined);
  }

  /** Removes the kept inputs of jobs whose version no longer exists (after a delete). */
  async forgetVersion(versionId: string): Promise<void> {
    for (const f of this.jobs.values()) {
      if (f.job.result?.version === versionId) await rm(path.join(this.jobDir(f.job.id), 'input'), { recursive: true, force: true });
    }
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
