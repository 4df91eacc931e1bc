/**
 * "Train after every N approvals" (off by default). Training never starts on a save: only when
 * the setting is on, at least N approved cases are new since the last job started from this
 * library (a case whose approved mask changed counts again), there are enough validation cases
 * for the gate, and no job runs anywhere (main holds one lock for the app and the CLI).
 */
import type { TrainingJob, TrainingPreflight } from '../../../preload/api.ts';
import { errorMessage } from '../lib/format.ts';
import type { CaseRecord, CaseRepository } from '../storage/index.ts';
import { pageId, pairKey, startFineTuningJob, type TrainingApi } from './job-start.ts';
import { readyCases } from './pairs.ts';
import { countSplit, minValidationCases } from './split.ts';

/** Ready cases the last job did not receive (with this mask version). */
export function newSinceLastJob(ready: readonly CaseRecord[], lastPairs: readonly string[]): CaseRecord[] {
  const sent = new Set(lastPairs);
  return ready.filter((record) => !sent.has(pairKey(record)));
}

export type AutoTrainWait = 'off' | 'approvals' | 'validation' | 'job-running';

export interface AutoTrainDecision {
  start: boolean;
  /** Why it does not start (or 'approvals' when it does: the count was reached). */
  wait: AutoTrainWait;
  /** New approved cases counted, and the setting's N (null when off). */
  newCases: number;
  every: number | null;
  /** One sentence for the training panel. */
  summary: string;
}

function progressText(every: number, newCases: number): string {
  return `${newCases} of ${every} new approved case${every === 1 ? '' : 's'} since the last job`;
}

export function decideAutoTrain(input: { every: number | null; newCases: number; validationCases: number; jobRunning: boolean }): AutoTrainDecision {
  const { every, newCases, validationCases, jobRunning } = input;
  const base = { newCases, every };
  if (every === null) return { ...base, start: false, wait: 'off', summary: 'Training starts only when you press Start.' };
  const progress = progressText(every, newCases);
  if (newCases < every) return { ...base, start: false, wait: 'approvals', summary: `${progress}.` };
  if (validationCases < minValidationCases) {
    return {
      ...base,
      start: false,
      wait: 'validation',
      summary: `${progress}; waiting for ${minValidationCases - validationCases} more validation case${minValidationCases - validationCases === 1 ? '' : 's'}.`,
    };
  }
  if (jobRunning) return { ...base, start: false, wait: 'job-running', summary: `${progress}; starts when the running job ends.` };
  return { ...base, start: true, wait: 'approvals', summary: `${progress}: starting a job.` };
}

export interface AutoTrainerEvents {
  /** An automatic job was created (pairs are being sent) or started. */
  onJob?: (job: TrainingJob) => void;
  /** It could not start: the preflight's or main's sentence. */
  onProblem?: (message: string) => void;
  /** The machine check before a start (the shell's, shared with the training panel); default: main's. */
  preflight?: () => Promise<TrainingPreflight>;
}

/**
 * Checks the rule when the library changes or a job ends. Checks never overlap: one asked for
 * while another runs is done once after it, so a burst of approvals starts at most one job.
 */
export class AutoTrainer {
  private running: Promise<AutoTrainDecision> | null = null;
  private again = false;
  /** The automatic job whose pairs are being sent: cancelling it (anywhere) stops the sending. */
  private sending: { jobId: string | null; controller: AbortController } | null = null;

  constructor(
    private readonly api: TrainingApi,
    private readonly repository: CaseRepository,
    private readonly events: AutoTrainerEvents = {},
  ) {}

  /** Main reported that a job ended (cancelled, failed): stop sending its pairs. */
  jobEnded(jobId: string): void {
    if (this.sending?.jobId === jobId) this.sending.controller.abort();
  }

  check(): Promise<AutoTrainDecision> {
    if (this.running) {
      this.again = true;
      return this.running;
    }
    const run = async (): Promise<AutoTrainDecision> => {
      let decision: AutoTrainDecision;
      do {
        this.again = false;
        decision = await this.checkOnce();
      } while (this.again && !decision.start);
      return decision;
    };
    this.running = run().finally(() => (this.running = null));
    return this.running;
  }

  private async checkOnce(): Promise<AutoTrainDecision> {
    const settings = await this.repository.getSettings();
    if (settings.trainAfterApprovals === null) return decideAutoTrain({ every: null, newCases: 0, validationCases: 0, jobRunning: false });
    const ready = await readyCases(this.repository, settings.trainingOnlyCorrected);
    const [split, status] = await Promise.all([countSplit(this.repository, ready.map((c) => c.id)), this.api.getTrainingStatus()]);
    const decision = decideAutoTrain({
      every: settings.trainAfterApprovals,
      newCases: newSinceLastJob(ready, settings.lastTrainingPairs).length,
      validationCases: split.validation,
      jobRunning: status.current !== null,
    });
    if (!decision.start) return decision;
    const sending = { jobId: null as string | null, controller: new AbortController() };
    this.sending = sending;
    try {
      const outcome = await startFineTuningJob(this.api, this.repository, {
        cases: ready,
        epochs: settings.trainingEpochs,
        activate: settings.trainingActivate,
        // A reload of this page while the pairs are sent starts the job again (job-start.ts).
        owner: pageId(),
        onlyCorrected: settings.trainingOnlyCorrected,
        signal: sending.controller.signal,
        ...(this.events.preflight ? { preflight: this.events.preflight } : {}),
        onCreated: (job) => {
          sending.jobId = job.id;
          this.events.onJob?.(job);
        },
      });
      if (outcome.kind === 'preflight-failed') {
        const problem = outcome.preflight.problems[0];
        // Another window or the CLI started a job meanwhile: this one waits for it quietly.
        if (outcome.preflight.problems.every((p) => p.code === 'busy')) return { ...decision, start: false, wait: 'job-running' };
        this.events.onProblem?.(`Automatic fine-tuning could not start: ${problem?.message ?? 'the preflight failed'} ${problem?.fix ?? ''}`.trim());
        return { ...decision, start: false, summary: `${progressText(settings.trainAfterApprovals, decision.newCases)}; could not start (see the notice).` };
      }
      this.events.onJob?.(outcome.job);
      return decision;
    } catch (error) {
      const now = await this.api.getTrainingStatus().catch(() => null);
      if (now?.current) return { ...decision, start: false, wait: 'job-running' };
      // Someone cancelled the job while its pairs were on their way: nothing to report.
      const cancelled = sending.controller.signal.aborted || now?.history.some((job) => job.id === sending.jobId && job.state === 'cancelled');
      if (!cancelled) this.events.onProblem?.(`Automatic fine-tuning could not start: ${errorMessage(error)}`);
      return { ...decision, start: false };
    } finally {
      if (this.sending === sending) this.sending = null;
    }
  }
}
