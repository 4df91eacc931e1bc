/**
 * Starting a fine-tuning job from the library, shared by the training panel's Start button and
 * the "train after every N approvals" setting: preflight, create the job, stream the pairs in
 * chunks, start it. A job that was created but never started holds main's one-job lock, so any
 * failure after creation cancels it before the error goes up.
 *
 * A page reloaded while it sends pairs cannot finish: its job would wait in "Receiving cases"
 * until main abandons it (trainingJobs.ts, 2 minutes). So the job being sent is recorded in the
 * library (AppSettings.sendingJob) with the sending page's id, and the reloaded page starts it
 * again at once with the same choices (restartAfterReload): an annotator who pressed Start
 * expects the training to go on. A closed window has no page to come back: main abandons its job.
 */
import { ApiError, type LesionDeskApi, type TrainingJob, type TrainingPreflight } from '../../../preload/api.ts';
import type { CaseRecord, CaseRepository } from '../storage/index.ts';
import { readyCases, sendPairs, type SendProgress, type SendReport } from './pairs.ts';

export type TrainingApi = Pick<
  LesionDeskApi,
  'trainingPreflight' | 'createTrainingJob' | 'addTrainingPairs' | 'startTrainingJob' | 'cancelTrainingJob' | 'getTrainingStatus'
>;

export interface StartJobOptions {
  cases: readonly CaseRecord[];
  epochs: number;
  activate: 'auto' | 'never';
  signal?: AbortSignal;
  /** The job exists (state 'preparing'); pairs are about to be sent. */
  onCreated?: (job: TrainingJob) => void;
  onSending?: (progress: SendProgress) => void;
  /** The machine check to use (the shell's, which reuses the panel's recent one); default: ask main. */
  preflight?: () => Promise<TrainingPreflight>;
  /** The sending page's id (pageId()): recorded with the job so a reload of this page starts it again. */
  owner?: string;
  /** Whether `cases` are only the corrected ones (what a restart reads again). */
  onlyCorrected?: boolean;
}

/**
 * The page is going away (reload, navigation, closing). Its requests then fail because the page
 * ends, not because main refused them: the job is left as it is, recorded as this page's, for
 * the reloaded page to start again (or for main's timeout), instead of being cancelled and
 * forgotten by a page that may or may not live long enough to do it. A request dropped on the
 * way (ApiError 'unreachable') is treated the same: a reload can drop a request in flight before
 * the page sees `pagehide` (under load, Chromium did so in about two of three end-to-end runs),
 * and main, unreachable, could not take a cancel either.
 */
let pageLeaving = false;
if (typeof window !== 'undefined') {
  window.addEventListener('pagehide', () => (pageLeaving = true));
  window.addEventListener('pageshow', () => (pageLeaving = false));
}

export type StartJobOutcome =
  | { kind: 'preflight-failed'; preflight: TrainingPreflight }
  | { kind: 'started'; job: TrainingJob; skipped: SendReport['skipped'] };

/** `caseId#maskVersionId`: one approved mask as a job receives it. */
export function pairKey(record: Pick<CaseRecord, 'id' | 'latestVersionId'>): string {
  return `${record.id}#${record.latestVersionId ?? ''}`;
}

export async function startFineTuningJob(api: TrainingApi, repository: CaseRepository, options: StartJobOptions): Promise<StartJobOutcome> {
  const preflight = await (options.preflight ? options.preflight() : api.trainingPreflight());
  if (!preflight.ok) return { kind: 'preflight-failed', preflight };
  const { cases, epochs, activate, signal } = options;
  const created = await api.createTrainingJob({ expectedPairs: cases.length, epochs, activate });
  try {
    options.onCreated?.(created);
    // Recorded before the pairs go out: a job that fails or is cancelled still counts as the last
    // one, so an automatic start does not retry the same cases after every approval.
    await repository.setSettings({
      lastTrainingPairs: cases.map(pairKey),
      ...(options.owner !== undefined
        ? { sendingJob: { jobId: created.id, owner: options.owner, epochs, activate, onlyCorrected: options.onlyCorrected ?? false } }
        : {}),
    });
    const report = await sendPairs(api, repository, created.id, cases, (p) => options.onSending?.(p), signal);
    const started = await api.startTrainingJob({ jobId: created.id });
    await forgetSending(repository, created.id);
    return { kind: 'started', job: started, skipped: report.skipped };
  } catch (error) {
    if (!pageLeaving && !(error instanceof ApiError && error.code === 'unreachable')) {
      await api.cancelTrainingJob({ jobId: created.id }).catch(() => null);
      await forgetSending(repository, created.id).catch(() => undefined);
    }
    throw error;
  }
}

/** Clears the record of a job being sent, if it is still this one. */
async function forgetSending(repository: CaseRepository, jobId: string): Promise<void> {
  if ((await repository.getSettings()).sendingJob?.jobId === jobId) await repository.setSettings({ sendingJob: null });
}

const pageIdKey = 'lesiondesk.sendingPage';

/** This page's id: kept by a reload (sessionStorage), another for each window or tab. */
export function pageId(storage: Pick<Storage, 'getItem' | 'setItem'> | undefined = globalThis.sessionStorage): string {
  const known = storage?.getItem(pageIdKey);
  if (known) return known;
  const id = crypto.randomUUID();
  storage?.setItem(pageIdKey, id);
  return id;
}

/**
 * After a reload: the job this page was sending pairs to, if main still waits for them, is
 * cancelled and started again with the same choices and the cases ready now. Returns the new
 * start's outcome, or null when there was nothing to restart (no such job, another page's, or it
 * has ended or started meanwhile; the record is then cleared).
 */
export async function restartAfterReload(
  api: TrainingApi,
  repository: CaseRepository,
  owner: string,
  options: Pick<StartJobOptions, 'signal' | 'onCreated' | 'onSending' | 'preflight'> = {},
): Promise<(StartJobOutcome & { cancelled: string }) | null> {
  const sending = (await repository.getSettings()).sendingJob;
  if (!sending || sending.owner !== owner) return null;
  const { current } = await api.getTrainingStatus();
  if (current?.id !== sending.jobId || current.state !== 'preparing') {
    await forgetSending(repository, sending.jobId);
    return null;
  }
  await api.cancelTrainingJob({ jobId: sending.jobId });
  await forgetSending(repository, sending.jobId);
  const cases = await readyCases(repository, sending.onlyCorrected);
  if (cases.length === 0) throw new Error('no approved case is ready any more, so it was not started again');
  const outcome = await startFineTuningJob(api, repository, {
    ...options,
    cases,
    epochs: sending.epochs,
    activate: sending.activate,
    owner,
    onlyCorrected: sending.onlyCorrected,
  });
  return { ...outcome, cancelled: sending.jobId };
}
