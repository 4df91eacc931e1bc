/**
 * The fine-tuning panel's state: the remembered job settings, the approved cases ready and how
 * they split, the machine check's problems, sending progress and the start and cancel actions.
 * The job itself is not kept here: it is main's, read from the window's one mirror (MainState),
 * and the start reuses the mirror's check from when the panel opened (one preflight per start).
 * Create it while a component initialises: its recount effect belongs to that component.
 */
import type { LesionDeskApi, TrainingJob, TrainingPreflight } from '../../../preload/api.ts';
import { errorMessage } from '../lib/format.ts';
import type { CaseRecord, CaseRepository } from '../storage/index.ts';
import type { AppSettings } from '../storage/types.ts';
import type { MainState } from '../workspace/main-state.svelte.ts';
import { decideAutoTrain, newSinceLastJob } from './auto-train.ts';
import { pageId, pairKey, startFineTuningJob, type TrainingApi } from './job-start.ts';
import { isLive } from './job-view.ts';
import { nextStep, type NextStep } from './next-step.ts';
import { learnedPairs, nothingNewNotice, type LearnedPairs } from './nothing-new.ts';
import { readyCases, type SendProgress, type SendReport } from './pairs.ts';
import { caseSplits, minValidationCases, splitCounts, type SplitCounts } from './split.ts';

/** What the panel needs of main's mirror. */
export type TrainingMain = Pick<MainState, 'job' | 'modelName' | 'preflight' | 'showJob'>;

export interface TrainingPanelOptions {
  /** The job's calls, activating a candidate (a result's next step) and the versions (what the active one learned from). */
  readonly api: TrainingApi & Pick<LesionDeskApi, 'activateModelVersion' | 'listModelVersions'>;
  readonly main: TrainingMain;
  readonly repository: CaseRepository;
  /** The library's live snapshot: read in the recount effect, so the counts follow every write (an approval here or in another window). */
  readonly library: () => unknown;
  /** The "train after every N approvals" setting changed (the shell checks the rule at once). */
  readonly onAutoChange?: () => void;
  /** Shows a version's evidence per case (the Models panel); absent: that step has no button. */
  readonly onOpenEvidence?: (version: string) => void;
}

/** Bounds of the automatic rule's N. */
const autoEveryMax = 10_000;

export class TrainingPanelState {
  onlyCorrected = $state(false);
  epochs = $state(10);
  activate = $state<'auto' | 'never'>('auto');
  /** Train after every N new approved cases; null = off. */
  autoEvery = $state<number | null>(null);
  /** The N shown in the field while the setting is off. */
  lastAutoEvery = $state(20);
  /** The pairs the last job received (`caseId#maskVersionId`): what counts as new. */
  lastPairs = $state.raw<string[]>([]);
  settingsLoaded = $state(false);
  ready = $state.raw<CaseRecord[]>([]);
  split = $state.raw<SplitCounts | null>(null);
  /** The ready cases on the training side (what a job would learn from). */
  trainingReady = $state.raw<CaseRecord[]>([]);
  /** What the active version learned from (null: a shipped version, or not known). */
  learned = $state.raw<LearnedPairs | null>(null);
  /** The machine check that failed (as the panel opened, or at a start), with each problem's fix. */
  preflight = $state.raw<TrainingPreflight | null>(null);
  sending = $state.raw<SendProgress | null>(null);
  skipped = $state.raw<SendReport['skipped']>([]);
  /** A start is in progress (checking, creating, sending). */
  busy = $state(false);
  problem = $state<string | null>(null);

  /** The one job the window holds: main's, through its mirror. */
  get job(): TrainingJob | null {
    return this.main.job;
  }
  /** Main's mirror (an accessor: the derived fields read it, lazily, once the constructor has run). */
  private get main(): TrainingMain {
    return this.options.main;
  }
  /** A job runs or is being started: the settings are locked and Cancel shows. */
  readonly live = $derived(isLive(this.main.job) || this.busy);
  readonly enough = $derived(this.split !== null && this.split.validation >= minValidationCases);
  /** Said before Start when the active version already learned from every ready training case (a job would learn nothing new). */
  readonly nothingNew = $derived(nothingNewNotice(this.trainingReady, this.learned));
  /** A job can run (one validation and one training case); with too few to judge, its result stays a candidate. */
  readonly canStart = $derived(this.split?.canStart ?? false);
  /** The version a new job starts from: the running job's base, else the model that runs. */
  readonly base = $derived.by(() => {
    const job = this.main.job;
    return job && isLive(job) ? job.base : (this.main.modelName ?? '—');
  });
  readonly auto = $derived(
    decideAutoTrain({
      every: this.autoEvery,
      newCases: newSinceLastJob(this.ready, this.lastPairs).length,
      validationCases: this.split?.validation ?? 0,
      jobRunning: this.live,
    }),
  );

  /**
   * What to do after the job shown (next-step.ts); a candidate activated since (here or in
   * Models: main announces it) needs nothing more.
   */
  readonly next = $derived.by((): NextStep | null => {
    const job = this.main.job;
    const step = job && !isLive(job) ? nextStep(job) : null;
    if (step?.kind === 'activate' && this.main.modelName === step.version) return { kind: 'done', text: `Next: nothing; ${step.version} is active now.` };
    return step;
  });

  /** Changes when a job starts or ends (not on every progress event). */
  readonly #jobKey = $derived.by(() => {
    const job = this.main.job;
    return job ? `${job.id}:${isLive(job)}` : '';
  });
  private readonly options: TrainingPanelOptions;
  private abort: AbortController | null = null;
  private counting = 0;
  private learnedRead = 0;

  constructor(options: TrainingPanelOptions) {
    this.options = options;
    // A job that starts (here, by the automatic rule, in another window) or ends changes what
    // counts as new; so do the library and the "corrected only" choice.
    $effect(() => {
      void options.library();
      void this.#jobKey;
      void this.onlyCorrected;
      if (!this.settingsLoaded) return;
      this.count().catch((e: unknown) => (this.problem = errorMessage(e)));
    });
    // What the active version learned from: read again whenever another version becomes active.
    $effect(() => {
      void this.main.modelName;
      this.readLearned().catch(() => (this.learned = null));
    });
  }

  /** Reads which masks the active version learned from (its card); an older read that answers late is dropped. */
  async readLearned(): Promise<void> {
    const read = ++this.learnedRead;
    const list = await this.options.api.listModelVersions();
    if (read === this.learnedRead) this.learned = learnedPairs(list.versions.find((v) => v.id === list.active));
  }

  /** Reads the remembered settings and checks the machine, as the panel opens. */
  async open(): Promise<void> {
    // Check the machine as the panel opens: a missing Python or PyTorch shows its fix before
    // anyone presses Start, and the mirror keeps a passing answer for the Start that follows.
    const check = this.options.main.preflight().then(
      (result) => {
        const problems = result.problems.filter((p) => p.code !== 'busy');
        if (problems.length > 0 && !this.busy) this.preflight = { ...result, ok: false, problems };
      },
      () => {},
    );
    try {
      const settings = await this.options.repository.getSettings();
      this.epochs = settings.trainingEpochs;
      this.activate = settings.trainingActivate;
      this.onlyCorrected = settings.trainingOnlyCorrected;
      this.autoEvery = settings.trainAfterApprovals;
      if (this.autoEvery !== null) this.lastAutoEvery = this.autoEvery;
      this.lastPairs = settings.lastTrainingPairs;
    } catch (e) {
      this.problem = errorMessage(e);
    } finally {
      this.settingsLoaded = true;
    }
    await check;
  }

  /** Counts the ready cases and their split again; an older count that answers late is dropped. */
  async count(): Promise<void> {
    const read = ++this.counting;
    const [cases, settings] = await Promise.all([readyCases(this.options.repository, this.onlyCorrected), this.options.repository.getSettings()]);
    const sides = await caseSplits(this.options.repository, cases.map((c) => c.id));
    if (read !== this.counting) return;
    this.ready = cases;
    this.split = splitCounts(sides);
    this.trainingReady = cases.filter((c) => sides.get(c.id) === 'train');
    this.lastPairs = settings.lastTrainingPairs;
  }

  /** Starts a job with the ready cases: one machine check, create, send the pairs, start. */
  async start(): Promise<void> {
    if (this.live || !this.split) return;
    const { api, main, repository } = this.options;
    this.problem = null;
    this.preflight = null;
    this.skipped = [];
    this.busy = true;
    const abort = new AbortController();
    this.abort = abort;
    const cases = this.ready;
    try {
      const outcome = await startFineTuningJob(api, repository, {
        cases,
        epochs: this.epochs,
        activate: this.activate,
        owner: pageId(),
        onlyCorrected: this.onlyCorrected,
        signal: abort.signal,
        preflight: () => main.preflight({ forStart: true }),
        onCreated: (created) => main.showJob(created),
        onSending: (p) => (this.sending = p),
      });
      if (outcome.kind === 'preflight-failed') {
        this.preflight = outcome.preflight;
        return;
      }
      this.skipped = outcome.skipped;
      // Main's events may already have told a later state of the job.
      const shown = main.job;
      if (shown?.id === outcome.job.id && shown.state === 'preparing') main.showJob(outcome.job);
      this.lastPairs = cases.map(pairKey);
    } catch (e) {
      if (!abort.signal.aborted) this.problem = errorMessage(e);
      // The job was cancelled to give back the one-job lock: show how it ended.
      const status = await api.getTrainingStatus().catch(() => null);
      const ended = status?.history.find((h) => h.id === main.job?.id);
      if (ended) main.showJob(ended);
    } finally {
      this.busy = false;
      this.sending = null;
      if (this.abort === abort) this.abort = null;
    }
  }

  /** Stops the sending of a start in progress, and cancels the running job. */
  async cancel(): Promise<void> {
    this.abort?.abort();
    const job = this.job;
    if (!job || !isLive(job)) return;
    try {
      this.options.main.showJob(await this.options.api.cancelTrainingJob({ jobId: job.id }));
    } catch (e) {
      this.problem = errorMessage(e);
    }
  }

  /** Whether `step` has a button here (opening the evidence needs the shell's Models panel). */
  canTake(step: NextStep): boolean {
    return step.kind === 'set-epochs' || step.kind === 'activate' || (step.kind === 'open-evidence' && this.options.onOpenEvidence !== undefined);
  }

  /** Takes a finished job's next step: the epochs go into the settings (Start is the person's), the evidence opens, the candidate is activated. */
  takeStep(step: NextStep): Promise<void> {
    if (step.kind === 'set-epochs') this.setEpochs(step.epochs);
    else if (step.kind === 'open-evidence') this.options.onOpenEvidence?.(step.version);
    else if (step.kind === 'activate') return this.activateCandidate(step.version);
    return Promise.resolve();
  }

  /** Activates the candidate a finished job kept (its next step); main announces the switch. */
  async activateCandidate(version: string): Promise<void> {
    this.problem = null;
    try {
      await this.options.api.activateModelVersion({ id: version });
    } catch (e) {
      this.problem = errorMessage(e);
    }
  }

  setOnlyCorrected(value: boolean): void {
    this.onlyCorrected = value;
    this.remember({ trainingOnlyCorrected: value });
  }

  /** Keeps a whole number of epochs from 1 to 200; anything else is left unsaved (the field shows it as invalid). */
  setEpochs(value: number): void {
    this.epochs = value;
    if (Number.isInteger(value) && value >= 1 && value <= 200) this.remember({ trainingEpochs: value });
  }

  setActivate(value: 'auto' | 'never'): void {
    this.activate = value;
    this.remember({ trainingActivate: value });
  }

  /** Turns the automatic rule on with `value` (clamped to 1..10,000) or off (null). */
  setAutoEvery(value: number | null): void {
    this.autoEvery = value === null ? null : Math.max(1, Math.min(autoEveryMax, Math.round(value)));
    this.remember({ trainAfterApprovals: this.autoEvery });
    if (this.autoEvery !== null) this.lastAutoEvery = this.autoEvery;
    this.options.onAutoChange?.();
  }

  /** The N typed in the field: applied at once when the rule is on, kept for later when it is off. */
  typeAutoEvery(value: number): void {
    if (!Number.isFinite(value) || value < 1) return;
    this.lastAutoEvery = Math.min(autoEveryMax, Math.round(value));
    if (this.autoEvery !== null) this.setAutoEvery(value);
  }

  /** The remembered choices (epochs, activation, corrected only, automatic start) are settings. */
  private remember(changes: Partial<AppSettings>): void {
    this.options.repository.setSettings(changes).catch((e: unknown) => (this.problem = errorMessage(e)));
  }
}

/** The sentence under a finished job's heading. */
export function resultSentence(job: TrainingJob): string {
  if (job.state === 'succeeded' && job.result) return job.result.gate.reason;
  if (job.state === 'cancelled') return job.error?.message ?? 'The job was cancelled; the model versions are unchanged.';
  return job.error?.message ?? `The job ended: ${job.state}.`;
}
