/**
 * One fine-tuning job at a time across processes (the app, browser mode and the CLI share the
 * data folder): `<dataDir>/jobs/active-job.lock`.
 *
 * Taking it is atomic: the record is written to a file of its own and hard-linked to the lock's
 * name, which fails when the lock exists, so a reader never sees a half-written lock. A lock left
 * by a process that is gone is taken over by exactly one contender: each stale lock has its own
 * claim file (named by the stale lock's token), created the same exclusive way, and only the
 * claim's holder removes that lock.
 *
 * A lock is recognised as stale when its holder is provably not the process that wrote it:
 * another boot, no process with its id, or (where /proc exists) a process with that id that
 * started at another time (a reused id, pid 1 in a copied folder). Where none of that can be
 * checked (no /proc, a lock from another host or an older LesionDesk), the holder's heartbeat
 * decides: a live holder touches the lock every few seconds, and one untouched for a minute is
 * stale. Plain Node.
 */
import { createHash, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { link, mkdir, readFile, rm, stat, utimes, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { z } from 'zod';
import { TrainingJobError } from './errors.js';

const LockRecord = z.object({
  format: z.literal('lesiondesk-job-lock/2'),
  pid: z.number().int().positive(),
  jobId: z.string().min(1).max(200),
  token: z.string().min(1).max(100),
  /** The holder's start time in clock ticks since boot (/proc/<pid>/stat field 22); null without /proc. */
  startTime: z.string().max(40).nullable(),
  bootId: z.string().max(100).nullable(),
  host: z.string().max(300),
});
type LockRecord = z.infer<typeof LockRecord>;

/** A lock file as found: its record when it has one, and when it was last touched. */
export interface LockState {
  /** Null for a lock that is not a current record (an older LesionDesk's, or damaged). */
  record: LockRecord | null;
  /** The process and job it names, also from an older LesionDesk's `{pid, jobId}`. */
  pid: number | null;
  jobId: string | null;
  /** What identifies this lock file among its successors (the token, or a hash of its bytes). */
  identity: string;
  mtimeMs: number;
}

/** A process's start time from /proc (null where there is no /proc or no such process). */
export function processStartTime(pid: number): string | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may hold spaces and parentheses: fields after it are counted from its last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return fields[19] ?? null;
  } catch {
    return null;
  }
}

function readBootId(): string | null {
  try {
    return readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim() || null;
  } catch {
    return null;
  }
}

/** True while a process with this id exists (EPERM: it exists but belongs to someone else). */
export function processExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Options of JobLock (tests shorten the heartbeat). */
export interface JobLockOptions {
  /** How often a holder touches its lock (default 10 s). */
  heartbeatMs?: number;
  /** A lock whose holder cannot be checked is stale when untouched this long (default 60 s). */
  staleAfterMs?: number;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** The job lock of one data folder (see the module comment). */
export class JobLock {
  readonly lockPath: string;
  private readonly bootId = readBootId();
  private readonly heartbeatMs: number;
  private readonly staleAfterMs: number;
  private held: { jobId: string; token: string; timer: NodeJS.Timeout } | null = null;

  constructor(
    private readonly dir: string,
    options: JobLockOptions = {},
  ) {
    this.lockPath = path.join(dir, 'active-job.lock');
    this.heartbeatMs = options.heartbeatMs ?? 10_000;
    this.staleAfterMs = options.staleAfterMs ?? 60_000;
  }

  /** The lock as found, or null when there is none. */
  async read(file = this.lockPath): Promise<LockState | null> {
    let text: string;
    let mtimeMs: number;
    try {
      [text, mtimeMs] = await Promise.all([readFile(file, 'utf8'), stat(file).then((s) => s.mtimeMs)]);
    } catch {
      return null;
    }
    let raw: unknown = null;
    try {
      raw = JSON.parse(text);
    } catch {
      // Damaged: judged by its age alone.
    }
    const parsed = LockRecord.safeParse(raw);
    const loose = (raw ?? {}) as { pid?: unknown; jobId?: unknown };
    const record = parsed.success ? parsed.data : null;
    return {
      record,
      pid: record?.pid ?? (typeof loose.pid === 'number' && Number.isInteger(loose.pid) && loose.pid > 0 ? loose.pid : null),
      jobId: record?.jobId ?? (typeof loose.jobId === 'string' ? loose.jobId : null),
      identity: record?.token ?? createHash('sha256').update(text).update(String(mtimeMs)).digest('hex').slice(0, 32),
      mtimeMs,
    };
  }

  /** Whether the process that wrote this lock still runs (see the module comment). */
  isLive(lock: LockState): boolean {
    const r = lock.record;
    // A process id means nothing on another host (a data folder on a shared drive).
    const local = r === null || r.host === os.hostname();
    if (local && lock.pid !== null && !processExists(lock.pid)) return false;
    if (r && local) {
      if (r.bootId !== null && this.bootId !== null && r.bootId !== this.bootId) return false;
      if (r.startTime !== null) {
        const started = processStartTime(r.pid);
        if (started !== null) return started === r.startTime;
      }
    }
    return Date.now() - lock.mtimeMs < this.staleAfterMs;
  }

  private record(jobId: string, token: string): LockRecord {
    return {
      format: 'lesiondesk-job-lock/2',
      pid: process.pid,
      jobId,
      token,
      startTime: processStartTime(process.pid),
      bootId: this.bootId,
      host: os.hostname(),
    };
  }

  /** Creates `file` holding `record` only if it does not exist; false when it does. */
  private async createExclusive(file: string, record: LockRecord): Promise<boolean> {
    const text = `${JSON.stringify(record)}\n`;
    const tmp = `${file}.${record.token}.tmp`;
    try {
      await writeFile(tmp, text);
      await link(tmp, file);
      return true;
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'EEXIST') return false;
      // A file system without hard links (some network shares): an exclusive create instead;
      // a reader may then briefly see an empty lock, which counts as live while it is fresh.
      if (code === 'EPERM' || code === 'ENOTSUP' || code === 'ENOSYS' || code === 'EOPNOTSUPP') {
        try {
          await writeFile(file, text, { flag: 'wx' });
          return true;
        } catch (inner) {
          if ((inner as NodeJS.ErrnoException).code === 'EEXIST') return false;
          throw inner;
        }
      }
      throw error;
    } finally {
      await rm(tmp, { force: true });
    }
  }

  /**
   * Takes the lock for `jobId`, or throws TrainingJobError naming the job that holds it. A stale
   * lock is taken over by one contender only (the claim file); the others then find it live.
   */
  async acquire(jobId: string): Promise<void> {
    await mkdir(this.dir, { recursive: true });
    const token = randomUUID();
    const mine = this.record(jobId, token);
    for (let attempt = 0; attempt < 200; attempt++) {
      if (await this.createExclusive(this.lockPath, mine)) {
        this.startHeartbeat(jobId, token);
        return;
      }
      const found = await this.read();
      if (!found) continue; // released meanwhile
      if (this.isLive(found)) throw this.busy(found);
      await this.takeOver(this.lockPath, found);
    }
    throw new TrainingJobError('could not take the fine-tuning lock; try again');
  }

  /**
   * Removes the stale lock `file` (found as `found`) unless another contender is doing it: the
   * claim file for this very lock is created exclusively and only its holder removes the lock.
   * A claim whose holder died mid-way is itself stale and taken over the same way.
   */
  private async takeOver(file: string, found: LockState, depth = 0): Promise<void> {
    const claimPath = `${file}.takeover-${found.identity}`;
    if (await this.createExclusive(claimPath, this.record(found.jobId ?? 'takeover', randomUUID()))) {
      try {
        // Only this claim's holder removes this lock, so it is still the stale one unless an
        // earlier holder of the same claim already replaced it.
        const again = await this.read(file);
        if (again && again.identity === found.identity) await rm(file, { force: true });
      } finally {
        await rm(claimPath, { force: true });
      }
      return;
    }
    const holder = await this.read(claimPath);
    if (holder && !this.isLive(holder) && depth < 8) await this.takeOver(claimPath, holder, depth + 1);
    else await sleep(5 + Math.random() * 20);
  }

  private busy(found: LockState): TrainingJobError {
    const where = found.pid === process.pid ? 'this window' : `another LesionDesk process, pid ${found.pid ?? 'unknown'}`;
    return new TrainingJobError(
      `a fine-tuning job is already running (${found.jobId ?? 'unknown job'}, in ${where}); wait for it or cancel it: one job runs at a time`,
    );
  }

  private startHeartbeat(jobId: string, token: string): void {
    this.stopHeartbeat();
    const timer = setInterval(() => {
      const now = new Date();
      // A lost heartbeat only makes the lock look stale after staleAfterMs on systems without /proc.
      utimes(this.lockPath, now, now).catch(() => undefined);
    }, this.heartbeatMs);
    timer.unref();
    this.held = { jobId, token, timer };
  }

  private stopHeartbeat(): void {
    if (this.held) clearInterval(this.held.timer);
  }

  /** Whether this instance holds the lock for `jobId`. */
  holds(jobId: string): boolean {
    return this.held?.jobId === jobId;
  }

  /** Releases the lock if this instance holds it for `jobId` (never another's). */
  async release(jobId: string): Promise<void> {
    if (!this.held || this.held.jobId !== jobId) return;
    const { token } = this.held;
    this.stopHeartbeat();
    this.held = null;
    const found = await this.read();
    if (found?.record?.token === token) await rm(this.lockPath, { force: true });
  }
}
