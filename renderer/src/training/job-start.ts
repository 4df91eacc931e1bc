/**
 * Starting a fine-tuning job from the library, shared by the training panel's Start button and
 * the "train after every N approvals" setting: preflight, create the job, stream the pairs in
 * chunks, start it. A job that was created but never started holds main's one-job lock, so any
 * failure after creation cancels it before the error goes up.
 */
import type { LesionDeskApi, TrainingJob, TrainingPreflight } from '../../../preload/api.ts';
import type { CaseRecord, CaseRepository } from '../storage/index.ts';
import { sendPairs, type SendProgress, type SendReport } from './pairs.ts';

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
    await repository.setSettings({ lastTrainingPairs: cases.map(pairKey) });
    const report = await sendPairs(api, repository, created.id, cases, (p) => options.onSending?.(p), signal);
    const started = await api.startTrainingJob({ jobId: created.id });
    return { kind: 'started', job: started, skipped: report.skipped };
  } catch (error) {
    await api.cancelTrainingJob({ jobId: created.id }).catch(() => null);
    throw error;
  }
}
