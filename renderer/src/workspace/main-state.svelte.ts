/**
 * Main's state as this window sees it, mirrored once from main's events: the model that runs,
 * the training job, the last prediction's timings, and the machine check a job needs. Every view
 * reads it here (the top bar, the status bar, the training panel, the case view's model); none
 * keeps its own copy or subscribes to the events itself.
 */
import type { ApiEvent, LesionDeskApi, ModelInfo, SegmentImageResult, TrainingJob, TrainingPreflight } from '../../../preload/api.ts';
import { errorMessage } from '../lib/format.ts';
import { isLive } from '../training/job-view.ts';
import { modelKey } from '../workflow/model-key.ts';

/** What the mirror asks of main. */
export type MainApi = Pick<LesionDeskApi, 'getModelInfo' | 'getTrainingStatus' | 'trainingPreflight' | 'segmentImage' | 'onEvent'>;

/**
 * A check that passed is reused by a start this soon after it (the panel checks as it opens,
 * then Start needs no second one; main checks again itself as the job starts). A failed check is
 * never reused: the user may have just fixed it.
 */
export const preflightReuseMs = 60_000;

export class MainState {
  /** The model main runs, once known. */
  modelInfo = $state.raw<ModelInfo | null>(null);
  /** True until the first model info (or its failure) arrived. */
  modelLoading = $state(true);
  /** Why the model info could not be read. */
  modelProblem = $state<string | null>(null);
  /** `name@version` of the model that runs. */
  readonly modelName = $derived(this.modelInfo ? modelKey(this.modelInfo) : null);
  /**
   * The job on screen: the one that runs, else the last one seen (its ending stays readable).
   * A new job replaces it only once it no longer runs.
   */
  job = $state.raw<TrainingJob | null>(null);
  /** A job runs (for the top bar's button). */
  readonly jobRunning = $derived(this.job !== null && isLive(this.job));
  /** The last prediction made through this mirror: the status bar shows its timings. */
  lastPrediction = $state.raw<SegmentImageResult | null>(null);
  /** A prediction is running. */
  predicting = $state(false);

  readonly #api: MainApi;
  // Listeners are bookkeeping, never rendered: a plain Set on purpose.
  // eslint-disable-next-line svelte/prefer-svelte-reactivity
  readonly #listeners = new Set<(event: ApiEvent) => void>();
  #stop: (() => void) | null = null;
  #preflight: { at: number; result: Promise<TrainingPreflight> } | null = null;
  #modelRead = 0;

  constructor(api: MainApi) {
    this.#api = api;
    // The one subscription to main's events for this window.
    this.#stop = api.onEvent((event) => this.#onEvent(event));
  }

  /** Reads the model and the job once, at start; events keep both current afterwards. */
  async load(): Promise<void> {
    const status = this.#api.getTrainingStatus().then(
      (s) => {
        // An event may have come first: it is newer.
        if (!this.job) this.job = s.current ?? s.history[0] ?? null;
      },
      () => {},
    );
    await Promise.all([this.reloadModel(), status]);
  }

  /**
   * Reads the model info again. Main announces a switch only once the new version runs, so one
   * read is enough; an older read that answers late never replaces a newer one.
   */
  async reloadModel(): Promise<void> {
    const read = ++this.#modelRead;
    try {
      const info = await this.#api.getModelInfo();
      if (read !== this.#modelRead) return;
      if (this.modelInfo && modelKey(this.modelInfo) !== modelKey(info)) this.lastPrediction = null;
      this.modelInfo = info;
      this.modelProblem = null;
    } catch (e) {
      if (read === this.#modelRead) this.modelProblem = errorMessage(e);
    } finally {
      if (read === this.#modelRead) this.modelLoading = false;
    }
  }

  /** A job this window created, started, cancelled or read: shown unless another job runs. */
  showJob(job: TrainingJob): void {
    const shown = this.job;
    if (shown === null || shown.id === job.id || !isLive(shown)) this.job = job;
  }

  /** segmentImage, observed: the status bar shows that a prediction runs and how long it took. */
  readonly segmentImage: LesionDeskApi['segmentImage'] = async (args) => {
    this.predicting = true;
    try {
      const result = await this.#api.segmentImage(args);
      this.lastPrediction = result;
      return result;
    } finally {
      this.predicting = false;
    }
  };

  /**
   * The machine check before a job (Python, PyTorch, disk, the one-job lock). The panel asks as
   * it opens; a start asks with `forStart` and reuses that answer when it passed within
   * preflightReuseMs, so a start costs one check. Checks in flight are shared.
   */
  preflight(options: { forStart?: boolean } = {}): Promise<TrainingPreflight> {
    const cached = this.#preflight;
    if (cached) {
      const pending = cached.at === 0;
      const fresh = Date.now() - cached.at < preflightReuseMs;
      if (pending || !options.forStart || fresh) {
        // A start uses the answer up: the next start checks again.
        if (options.forStart) this.#preflight = null;
        return cached.result;
      }
    }
    const entry = { at: 0, result: this.#api.trainingPreflight() };
    this.#preflight = options.forStart ? null : entry;
    entry.result.then(
      (check) => {
        if (this.#preflight !== entry) return;
        if (check.ok) entry.at = Date.now();
        else this.#preflight = null;
      },
      () => {
        if (this.#preflight === entry) this.#preflight = null;
      },
    );
    return entry.result;
  }

  /** Hears main's events after the mirror has applied them (the automatic-training rule, the models list). */
  onEvent(listener: (event: ApiEvent) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Stops following main. */
  dispose(): void {
    this.#stop?.();
    this.#stop = null;
    this.#listeners.clear();
  }

  #onEvent(event: ApiEvent): void {
    if (event.type === 'active-model-changed') {
      void this.reloadModel();
    } else {
      // A job's progress or end; a new job (another window, the CLI) once the shown one is over.
      this.showJob(event.job);
      // A job that starts or ends changes the lock: an earlier check no longer holds.
      if (event.type === 'job-ended' || event.job.state === 'preparing') this.#preflight = null;
    }
    for (const listener of this.#listeners) listener(event);
  }
}
