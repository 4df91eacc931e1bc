/**
 * The job records: `<dataDir>/jobs/<id>/job.json`, one per job, so the history survives
 * restarts and other processes (the app and the CLI) can follow a job.
 *
 * Writing: each record is written atomically (a temporary file, then a rename; the temporary
 * file is removed when the write fails, so a full disk leaves no debris). Progress is coalesced:
 * however fast the trainer talks, a record is written at most once per `minIntervalMs`, always
 * with its latest state, and `commit` writes a state at once (the final one, state changes).
 *
 * Reading: only regular files of bounded size are read; a record that cannot be read or does
 * not parse is kept as a damaged entry with the reason, so the history shows it instead of
 * silently losing the job. Plain Node.
 */
import { lstat, readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { ModelVersionId, TrainingJob as TrainingJobSchema, type TrainingJob } from '../../preload/api.js';
import { errorMessage } from './errors.js';

/** What the runner keeps about a job beyond what the renderer sees. */
export const JobFile = z.object({
  format: z.literal('lesiondesk-training-job/1'),
  job: TrainingJobSchema,
  /** The interpreter and command line used, for the log and for support. */
  command: z.array(z.string()).nullable(),
  pid: z.number().nullable(),
});
export type JobFile = z.infer<typeof JobFile>;

/** How a record's text reaches the disk (tests: a writer that fails like a full disk). */
export type WriteText = (file: string, text: string) => Promise<void>;

/** Job folder names: `<UTC yyyymmddThhmmss>-<8 hex>` (see TrainingJobs.create). */
const jobIdPattern = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})-[0-9a-f]{8}$/;
/** Far above any real record (a few kB: 200 epochs at most); a bigger file is not read. */
const maxRecordBytes = 4 << 20;

/** Whether a folder name is a job id (other folders in jobs/ are not jobs). */
export function isJobId(name: string): boolean {
  return jobIdPattern.test(name);
}

/** A record as read: the job, or why it could not be read (`damaged`). */
export type ReadRecord = { id: string; file: JobFile; damaged: null } | { id: string; file: null; damaged: string };

let tmpCounter = 0;

/** Writes `text` to `file` atomically through `write`; removes its temporary file when that fails. */
export async function writeRecordAtomic(file: string, text: string, write: WriteText = writeFile): Promise<void> {
  const tmp = `${file}.${process.pid}.${++tmpCounter}.tmp`;
  try {
    await write(tmp, text);
    await rename(tmp, file);
  } catch (error) {
    await rm(tmp, { force: true }).catch(() => undefined);
    throw error;
  }
}

/** Reads one job folder's record (never throws). */
export async function readRecord(jobsDir: string, id: string): Promise<ReadRecord> {
  const file = path.join(jobsDir, id, 'job.json');
  let text: string;
  try {
    const info = await lstat(file);
    if (!info.isFile()) return { id, file: null, damaged: 'it is not a regular file' };
    if (info.size > maxRecordBytes) return { id, file: null, damaged: `it is ${info.size} bytes, far more than a job record holds` };
    text = await readFile(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return { id, file: null, damaged: code === 'ENOENT' ? 'it is missing' : `it cannot be read (${errorMessage(error)})` };
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    return { id, file: null, damaged: `it is not valid JSON (${errorMessage(error)})` };
  }
  const parsed = JobFile.safeParse(json);
  if (!parsed.success) {
    const problems = parsed.error.issues.slice(0, 3).map((i) => `${i.path.join('.') || '(record)'}: ${i.message}`);
    return { id, file: null, damaged: `it does not hold a valid job (${problems.join('; ')})` };
  }
  if (parsed.data.job.id !== id) return { id, file: null, damaged: `it names another job (${parsed.data.job.id})` };
  return { id, file: parsed.data, damaged: null };
}

/**
 * How a job with a damaged record is shown in the history: failed, with the reason, and
 * whatever of the record could still be read (its base); the creation time comes from its id.
 */
export function damagedJob(id: string, reason: string, salvage: { base?: unknown } = {}): TrainingJob {
  const m = jobIdPattern.exec(id)!;
  const createdAt = `${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${m[6]}.000Z`;
  const base = ModelVersionId.safeParse(salvage.base);
  return {
    id,
    state: 'failed',
    phase: 'receiving',
    base: base.success ? base.data : 'unknown@0.0.0',
    activate: 'never',
    epochs: 1,
    epoch: 0,
    progress: 0,
    etaSeconds: null,
    cases: { train: 0, validation: 0 },
    history: [],
    createdAt,
    startedAt: null,
    endedAt: null,
    result: null,
    error: {
      message:
        `The record of this job (jobs/${id}/job.json) is damaged: ${reason}. What the job did is unknown; ` +
        'the model versions list shows every version it may have added.',
      logTail: '',
    },
  };
}

/** Reads what is left of a damaged record's base version id (for the history line). */
export async function salvageBase(jobsDir: string, id: string): Promise<unknown> {
  try {
    const text = await readFile(path.join(jobsDir, id, 'job.json'), 'utf8');
    return /"base"\s*:\s*"([^"]{3,200})"/.exec(text.slice(0, 64 * 1024))?.[1];
  } catch {
    return undefined;
  }
}

/** Options of JobWriter. */
export interface JobWriterOptions {
  write?: WriteText;
  /** Least time between two coalesced writes of one record (default 250 ms: 4 a second). */
  minIntervalMs?: number;
  /** A coalesced write happened or failed: the state it carried (publish it) and the error, if any. */
  onFlush: (file: JobFile, error: unknown) => void;
}

/** Coalesced, serialised, atomic writes of one process's job records (see the module comment). */
export class JobWriter {
  private readonly latest = new Map<string, JobFile>();
  private readonly pending = new Map<string, { timer: NodeJS.Timeout | null; lastAt: number; chain: Promise<void> }>();
  private readonly minIntervalMs: number;

  constructor(
    private readonly jobsDir: string,
    private readonly options: JobWriterOptions,
  ) {
    this.minIntervalMs = options.minIntervalMs ?? 250;
  }

  private slot(id: string) {
    let slot = this.pending.get(id);
    if (!slot) {
      slot = { timer: null, lastAt: 0, chain: Promise.resolve() };
      this.pending.set(id, slot);
    }
    return slot;
  }

  private write(file: JobFile): Promise<void> {
    const target = path.join(this.jobsDir, file.job.id, 'job.json');
    return writeRecordAtomic(target, `${JSON.stringify(file, null, 2)}\n`, this.options.write);
  }

  /** Queues a write of this state: now if none happened lately, else at the end of the interval. */
  update(file: JobFile): void {
    this.latest.set(file.job.id, file);
    const slot = this.slot(file.job.id);
    if (slot.timer) return; // a write of the latest state is already due
    const wait = Math.max(0, slot.lastAt + this.minIntervalMs - Date.now());
    slot.timer = setTimeout(() => {
      slot.timer = null;
      slot.lastAt = Date.now();
      const state = this.latest.get(file.job.id)!;
      slot.chain = slot.chain
        .then(() =>
          this.write(state).then(
            () => this.options.onFlush(state, null),
            (error: unknown) => this.options.onFlush(state, error),
          ),
        )
        .catch(() => undefined); // onFlush reports; the chain itself must never hold a rejection
    }, wait);
  }

  /** Writes this state now (after any write in progress); rejects when the write fails. */
  async commit(file: JobFile): Promise<void> {
    this.latest.set(file.job.id, file);
    const slot = this.slot(file.job.id);
    if (slot.timer) clearTimeout(slot.timer);
    slot.timer = null;
    slot.lastAt = Date.now();
    const done = slot.chain.then(() => this.write(file));
    slot.chain = done.catch(() => undefined);
    await done;
  }

  /** Drops a job's queued write (after its final commit). */
  forget(id: string): void {
    const slot = this.pending.get(id);
    if (slot?.timer) clearTimeout(slot.timer);
    this.pending.delete(id);
    this.latest.delete(id);
  }
}
