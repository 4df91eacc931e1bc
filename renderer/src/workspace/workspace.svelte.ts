/**
 * The app shell's state, one object per window: the connection to main and its mirror, the
 * library database and the live read of it, the annotator, the open and selected case, the
 * notices, import and pre-annotation with their progress, and the automatic-training rule.
 * App.svelte lays it out; the logic is here, where it needs no mounted component.
 * Create it while a component initialises (its effects belong to that component).
 */
import { untrack } from 'svelte';
import type { AppInfo, LesionDeskApi } from '../../../preload/api.ts';
import { moveWebStorageCalibrations } from '../case/calibration.ts';
import type { ReviewAction } from '../case/case-commands.ts';
import { browserCasePlatform } from '../case/case-platform.ts';
import { EditJournal } from '../case/edit-journal.ts';
import { CaseSession } from '../case/session/case-session.svelte.ts';
import { importSources, type ImportProgress, type ImportReport, type ImportSource } from '../exchange/index.ts';
import { errorMessage } from '../lib/format.ts';
import { LiveQuery } from '../lib/live-query.svelte.ts';
import { connectApi } from '../lib/transport.ts';
import { defaultLibraryFilter, filterFromView, libraryViewOf, type LibraryFilter } from '../library/library-filter.ts';
import { LibraryList } from '../library/library-list.svelte.ts';
import { preAnnotate, type PreAnnotationProgress } from '../library/pre-annotation.ts';
import { runReviewAction } from '../library/review-loop.ts';
import { openCaseRepository, type AnnotatorProfile, type CaseRepository, type LibrarySnapshot } from '../storage/index.ts';
import { AutoTrainer } from '../training/auto-train.ts';
import { pageId, restartAfterReload } from '../training/job-start.ts';
import { MainState } from './main-state.svelte.ts';

/** The sentence a user needs from an error (Electron prefixes the ones that cross IPC). */
export function userMessage(e: unknown): string {
  return errorMessage(e).replace(/^Error invoking remote method '[^']+': (?:\w*Error: )?/, '');
}

/** How long a notice stays before it goes by itself. */
const noticeMs = 8000;

/** The part of the review loop the review bar owns: its decisions (with the no-lesion question and the flag's comment). */
export interface ReviewDecisions {
  approve(): Promise<boolean>;
  flag(): void;
}

export class Workspace {
  api = $state.raw<LesionDeskApi | null>(null);
  /** Main's state (model, job, predictions), mirrored once from its events. */
  main = $state.raw<MainState | null>(null);
  appInfo = $state.raw<AppInfo | null>(null);
  repository = $state.raw<CaseRepository | null>(null);
  /** Every committed edit until its version is saved (survives reloads, failed saves and case switches). */
  journal = $state.raw<EditJournal | null>(null);
  /** Cases other than the open one whose edits are not saved yet, for the banner. */
  unsavedElsewhere = $state.raw<{ caseId: string; fileName: string; error?: string }[]>([]);
  journalProblem = $state<string | null>(null);
  profile = $state.raw<AnnotatorProfile | null>(null);
  profileDialog = $state<'closed' | 'first-start' | 'change'>('closed');

  filter = $state<LibraryFilter>({ ...defaultLibraryFilter });
  /** Set once the remembered filters and sort are restored; until then nothing is saved over them. */
  #filterRestored = $state(false);
  /** The library's counts and models as the database holds them now, in this window or any other. */
  readonly #library = $derived.by(() => {
    const repository = this.repository;
    return repository ? new LiveQuery<LibrarySnapshot>(() => repository.observeLibrary()) : null;
  });
  readonly library = $derived(this.#library?.current ?? null);
  readonly counts = $derived(this.library?.counts ?? null);
  /** The library list's pages and keyboard row: the review loop moves in its order. */
  readonly list = $derived.by(() => {
    const repository = this.repository;
    return repository ? new LibraryList(repository) : null;
  });

  selectedId = $state<string | null>(null);
  openId = $state<string | null>(null);
  /** The open case came from the review loop: its view takes the keyboard focus when ready. */
  openedByReviewLoop = $state(false);
  /**
   * The open case's session (loading, editing, saving, following the database): one per open
   * case, released when another opens. A version restored from the history reaches it as any
   * other window's save does.
   */
  readonly caseSession = $derived.by(() => {
    const { repository, openId, main } = this;
    if (!repository || !openId || !main) return null;
    return untrack(
      () =>
        new CaseSession({
          caseId: openId,
          repository,
          api: main,
          interactiveApi: this.api ?? undefined,
          model: () => {
            const info = this.main?.modelInfo;
            return info ? { name: info.name, version: info.version } : null;
          },
          annotator: () => this.author,
          defaultThreshold: () => this.cardThreshold ?? 0.5,
          journal: this.journal ?? undefined,
          platform: browserCasePlatform,
        }),
    );
  });
  historyOpen = $state(false);
  /** The fine-tuning or models drawer on the right, if open. */
  sidePanel = $state<'training' | 'models' | null>(null);
  /** The version whose evidence the models drawer opens with (the training panel's "Open the evidence"). */
  evidenceVersion = $state<string | null>(null);

  /** Opens the drawer `kind` (the top bar's buttons), or closes it when it is open. */
  toggleSidePanel(kind: 'training' | 'models'): void {
    this.evidenceVersion = null;
    this.sidePanel = this.sidePanel === kind ? null : kind;
  }

  /** Switches to the models drawer with `version`'s evidence per case open. */
  showEvidence(version: string): void {
    this.evidenceVersion = version;
    this.sidePanel = 'models';
  }

  importProgress = $state.raw<ImportProgress | null>(null);
  importReport = $state.raw<ImportReport | null>(null);
  /** Background pre-annotation of imported cases (progress while it runs). */
  preAnnotation = $state.raw<PreAnnotationProgress | null>(null);
  #importAbort: AbortController | null = null;
  #preAnnotationAbort: AbortController | null = null;

  error = $state<string | null>(null);
  notice = $state<string | null>(null);

  /** "Train after every N approvals": checked when the library changes or a job ends. */
  #autoTrainer: AutoTrainer | null = null;
  #autoTrainTimer: ReturnType<typeof setTimeout> | null = null;
  // Bookkeeping only, never rendered: a plain Set on purpose.
  // eslint-disable-next-line svelte/prefer-svelte-reactivity
  readonly #announcedAutoJobs = new Set<string>();
  #savedView = '';

  constructor() {
    // Remember the filters and sort whenever they change (a database setting, like the other
    // view settings); a new search text alone writes nothing.
    $effect(() => {
      const view = libraryViewOf(this.filter);
      const key = JSON.stringify(view);
      const repository = this.repository;
      if (!repository || !this.#filterRestored || key === this.#savedView) return;
      this.#savedView = key;
      repository.setSettings({ libraryView: view }).catch((e: unknown) => this.showNotice(`The library's filters could not be remembered: ${userMessage(e)}`));
    });
    // Approvals (here, in another window or tab) may be enough for an automatic job: every
    // change of the library is one check, debounced.
    $effect(() => {
      if (this.library) this.scheduleAutoTrain();
    });
    // A model that cannot be read (at start or after a switch) is said in the error banner.
    $effect(() => {
      const problem = this.main?.modelProblem;
      if (problem) this.error = userMessage(problem);
    });
    // Each case session opens when it is created and is released when another replaces it.
    $effect(() => {
      const session = this.caseSession;
      if (!session) return;
      // What opening reads (the active model, the card's threshold) must not re-run this effect:
      // a model switch would close the open case and open it again.
      untrack(() => void session.open());
      return () => session.dispose();
    });
    $effect(() => () => this.dispose());
  }

  /** Opens the library and connects to main. */
  async start(): Promise<void> {
    const storage = openCaseRepository().then(
      (repository) => this.#openLibrary(repository),
      (e: unknown) => (this.error = userMessage(e)),
    );
    let api: LesionDeskApi;
    try {
      api = connectApi();
    } catch (e) {
      this.error = userMessage(e);
      return;
    }
    this.api = api;
    api.getAppInfo().then(
      (info) => (this.appInfo = info),
      () => {},
    );
    const main = new MainState(api);
    this.main = main;
    main.onEvent((event) => {
      // Approvals made while a job ran may already be enough for the next one.
      if (event.type === 'job-ended') {
        this.#autoTrainer?.jobEnded(event.job.id);
        this.scheduleAutoTrain();
      }
    });
    await Promise.all([main.load(), storage]);
    void this.#restartInterruptedSending();
  }

  /**
   * A reload while this page sent pairs to a fine-tuning job left that job waiting in "Receiving
   * cases": it is started again with the same choices, and the notice says so (job-start.ts).
   */
  async #restartInterruptedSending(): Promise<void> {
    const { api, repository, main } = this;
    if (!api || !repository || !main) return;
    const reloaded = 'The page was reloaded while cases were being sent to a fine-tuning job';
    try {
      const outcome = await restartAfterReload(api, repository, pageId(), {
        preflight: () => main.preflight({ forStart: true }),
        onCreated: (job) => main.showJob(job),
      });
      if (!outcome) return;
      if (outcome.kind === 'preflight-failed') {
        const problem = outcome.preflight.problems[0];
        this.showNotice(`${reloaded}; it was cancelled and could not start again: ${problem?.message ?? 'the preflight failed'} ${problem?.fix ?? ''}`.trim());
        return;
      }
      main.showJob(outcome.job);
      this.showNotice(`${reloaded}; it was started again with the same choices (Fine-tune shows it).`);
    } catch (e) {
      this.showNotice(`${reloaded}; it could not start again: ${userMessage(e)}`);
    }
  }

  async #openLibrary(repository: CaseRepository): Promise<void> {
    // Once, before a case opens: per-case calibrations older versions kept in localStorage.
    if (typeof localStorage !== 'undefined') {
      await moveWebStorageCalibrations(localStorage, repository).catch((e: unknown) =>
        this.showNotice(`Calibrations saved by an older LesionDesk were not moved into the library yet: ${userMessage(e)}`),
      );
    }
    const journal = new EditJournal(repository);
    await journal.load().catch((e: unknown) => this.showNotice(`Unsaved changes from the last session could not be listed: ${userMessage(e)}`));
    journal.onChange(() => void this.listUnsaved());
    this.journal = journal;
    // The filters and sort as this library last had them (a reload keeps the review queue).
    const view = (await repository.getSettings().catch(() => null))?.libraryView;
    this.filter = { ...filterFromView(view), search: this.filter.search };
    this.#filterRestored = true;
    this.repository = repository;
    void this.listUnsaved();
    await this.#readProfile();
  }

  async #readProfile(): Promise<void> {
    this.profile = (await this.repository?.getProfile()) ?? null;
    if (!this.profile) this.profileDialog = 'first-start';
  }

  /** The annotator's name, kept in this library. */
  async saveProfile(name: string): Promise<void> {
    if (!this.repository) throw new Error('The library database is not open.');
    this.profile = await this.repository.setProfile({ name });
    this.profileDialog = 'closed';
  }

  /** A notice that goes by itself (a newer one replaces it). */
  showNotice(text: string): void {
    this.notice = text;
    setTimeout(() => {
      if (this.notice === text) this.notice = null;
    }, noticeMs);
  }

  /** Shows why something failed, in the error banner. */
  fail(e: unknown): void {
    this.error = typeof e === 'string' ? e : userMessage(e);
  }

  /** The annotator's name on versions and decisions. */
  get author(): string {
    return this.profile?.name ?? 'unknown';
  }

  /** The threshold the active model's card recommends, if it names a usable one. */
  get cardThreshold(): number | undefined {
    const value = this.main?.modelInfo?.card['threshold'];
    return typeof value === 'number' && value > 0 && value < 1 ? value : undefined;
  }

  openCase(caseId: string, fromReviewLoop = false): void {
    this.selectedId = caseId;
    if (this.openId === caseId) return;
    this.openedByReviewLoop = fromReviewLoop;
    this.openId = caseId;
    void this.listUnsaved();
  }

  /** A library restore replaced everything: nothing is open, and the profile may be new. */
  libraryRestored(): void {
    this.openId = null;
    this.selectedId = null;
    void this.#readProfile();
  }

  /** The review keys and "Approve & next": decisions through the review bar, moves in the library's order. */
  review(action: ReviewAction, decisions: ReviewDecisions): void {
    void runReviewAction(action, {
      openCaseId: () => this.openId,
      neighbour: (id, step) => this.list?.neighbour(id, step) ?? Promise.resolve(null),
      nextToReview: (id) => this.list?.nextToReview(id) ?? Promise.resolve(null),
      approve: () => decisions.approve(),
      flag: () => decisions.flag(),
      open: (id) => this.openCase(id, true),
      notice: (text) => this.showNotice(text),
    }).catch((e: unknown) => this.fail(e));
  }

  async listUnsaved(): Promise<void> {
    const { journal, repository } = this;
    if (!journal || !repository) return;
    this.journalProblem = journal.storageError;
    const edits = journal.unsaved.filter((edit) => edit.caseId !== this.openId);
    const records = await repository.getCases(edits.map((edit) => edit.caseId));
    // A lookup built and dropped here, never rendered: a plain Map on purpose.
    // eslint-disable-next-line svelte/prefer-svelte-reactivity
    const names = new Map(records.map((record) => [record.id, record.fileName]));
    this.unsavedElsewhere = edits
      .filter((edit) => names.has(edit.caseId))
      .map((edit) => ({ caseId: edit.caseId, fileName: names.get(edit.caseId)!, ...(edit.error ? { error: edit.error } : {}) }));
  }

  async runImport(sources: ImportSource[]): Promise<void> {
    const repository = this.repository;
    if (!repository) return;
    if (this.importProgress) {
      this.error = 'An import is running; wait for it to finish or cancel it first.';
      return;
    }
    if (sources.length === 0) {
      this.error = 'Nothing to import: the selection holds no files.';
      return;
    }
    this.importReport = null;
    const abort = new AbortController();
    this.#importAbort = abort;
    this.importProgress = { phase: 'images', done: 0, total: sources.length, current: '' };
    try {
      const settings = await repository.getSettings();
      const report = await importSources(repository, sources, {
        onProgress: (p) => (this.importProgress = p),
        thumbnailSize: settings.thumbnailSize,
        signal: abort.signal,
      });
      this.importReport = report;
      const first = report.importedCaseIds[0];
      if (!this.openId && first) this.openCase(first);
      void this.runPreAnnotation(report.importedCaseIds);
    } catch (e) {
      this.fail(e);
    } finally {
      this.importProgress = null;
      this.#importAbort = null;
    }
  }

  cancelImport(): void {
    this.#importAbort?.abort();
  }

  /**
   * Predicts the imported cases in the background, one at a time, so each has a prediction and
   * an uncertainty (the review queue's order) before anyone opens it. The open case predicts
   * itself; the library follows the database as predictions land.
   */
  async runPreAnnotation(caseIds: readonly string[]): Promise<void> {
    const { repository, api } = this;
    const model = this.main?.modelInfo;
    if (!repository || !api || !model || caseIds.length === 0 || this.#preAnnotationAbort) return;
    const abort = new AbortController();
    this.#preAnnotationAbort = abort;
    try {
      const settings = await repository.getSettings();
      const report = await preAnnotate(repository, api, caseIds, {
        model: { name: model.name, version: model.version },
        ...(settings.threshold !== null ? { threshold: settings.threshold } : {}),
        signal: abort.signal,
        skip: (id) => id === this.openId,
        onProgress: (p) => (this.preAnnotation = p.done < p.total ? p : null),
      });
      if (report.failed.length > 0) {
        this.error = `Pre-annotation could not predict ${report.failed.length} case(s): ${report.failed
          .slice(0, 3)
          .map((f) => `${f.fileName} (${f.reason})`)
          .join('; ')}.`;
      } else if (report.cancelled) {
        this.showNotice(`Pre-annotation cancelled after ${report.predicted} prediction(s); the other cases are predicted when opened.`);
      }
    } catch (e) {
      this.fail(e);
    } finally {
      this.preAnnotation = null;
      this.#preAnnotationAbort = null;
    }
  }

  cancelPreAnnotation(): void {
    this.#preAnnotationAbort?.abort();
  }

  /**
   * Checks the automatic-training rule a moment after the library settles (a burst of approvals
   * or autosaves is one check). With the setting off a check reads one settings row.
   */
  scheduleAutoTrain(delayMs = 1000): void {
    if (this.#autoTrainTimer !== null) clearTimeout(this.#autoTrainTimer);
    this.#autoTrainTimer = setTimeout(() => {
      this.#autoTrainTimer = null;
      const { api, repository, main } = this;
      if (!api || !repository || !main) return;
      this.#autoTrainer ??= new AutoTrainer(api, repository, {
        preflight: () => main.preflight({ forStart: true }),
        onJob: (job) => {
          // Told once per job (it is reported on creation and on start; main's events may come first).
          if (!this.#announcedAutoJobs.has(job.id)) {
            this.#announcedAutoJobs.add(job.id);
            this.showNotice(`Fine-tuning started by itself from ${job.base} ("train after every N approvals" is on; Fine-tune shows it).`);
          }
          main.showJob(job);
        },
        onProblem: (text) => this.showNotice(text),
      });
      this.#autoTrainer.check().catch((e: unknown) => this.showNotice(`Automatic fine-tuning: ${userMessage(e)}`));
    }, delayMs);
  }

  /** Stops following main and the automatic rule's timer. */
  dispose(): void {
    if (this.#autoTrainTimer !== null) clearTimeout(this.#autoTrainTimer);
    this.#autoTrainTimer = null;
    this.main?.dispose();
  }
}
