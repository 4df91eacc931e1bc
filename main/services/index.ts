/**
 * main/services entry: builds the contract's service handlers around one warm model session,
 * the model store (versions, active pointer) and the fine-tuning job runner. Plain Node (no
 * electron import), so tests and the CLI use it directly; the Electron shell passes the
 * folders it knows about.
 */
import { existsSync, watch, type FSWatcher } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import type { ModelEntry as ApiModelEntry, ModelInfo, SegmentImageResult, ServiceHandlers } from '../../preload/api.js';
import { chooseProviders, currentHostFacts, type ProviderName } from './executionProvider.js';
import { DEFAULT_LIMITS, type DecodeLimits } from './imaging.js';
import { resolveModel, scanModelDirs, type ModelCatalog, type ModelEntry } from './modelRegistry.js';
import { ModelStore, type StoredVersion } from './modelStore.js';
import { identityOf, sameIdentity, type FileIdentity } from './storeFiles.js';
import { caseProvenance, evidenceCase, modelEvidence } from './modelEvidence.js';
import { TrainingJobs, type TrainingJobsOptions } from './trainingJobs.js';
import { errorMessage } from './errors.js';
import { ModelSession } from './modelSession.js';
import { Segmenter, type Segmentation } from './segmentation.js';
import { createEventHub, type EventHub } from './events.js';
import { InteractiveModel, InteractiveSegmenter, pickInteractiveModel } from './interactiveSegmenter.js';
import { interactiveGrid } from '../../preload/api.js';
import { ModelLoadError } from './errors.js';

export { errorMessage, LesionDeskError, ImageDecodeError, ImageTooLargeError, ImageTooSmallError, ModelCardError, ModelLoadError, ModelNotFoundError } from './errors.js';
export { Segmenter, type Segmentation } from './segmentation.js';
export { ModelSession } from './modelSession.js';
export { scanModelDirs, resolveModel } from './modelRegistry.js';
export { ModelStore } from './modelStore.js';
export { TrainingJobs } from './trainingJobs.js';
export { createEventHub, type EventHub } from './events.js';
export { InteractiveModel, InteractiveSegmenter, pickInteractiveModel } from './interactiveSegmenter.js';

/** Options of createServices. */
export interface ServiceOptions {
  /** Read-only folders with shipped model cards, e.g. resources/models or the repository's models/. */
  modelDirs: string[];
  /**
   * The user-data folder: model versions (`models/`) and fine-tuning jobs (`jobs/`). Without
   * it there is no store: the services run the selected or newest model found in modelDirs
   * and model versions and training are unavailable (tests, one-off CLI runs).
   */
  dataDir?: string;
  /** Folder holding the `scsonet` Python package; default: the first modelDirs entry that has one. */
  trainerDir?: string;
  /** Runner settings (Python setting, epochs, gate, extra trainer arguments for tests). */
  training?: Partial<
    Pick<TrainingJobsOptions, 'pythonSetting' | 'epochs' | 'gate' | 'trainerArgs' | 'replaySources' | 'anchorSet' | 'cancelGraceMs' | 'preflight' | 'env'>
  >;
  /** onnxruntime threads per run (default 1; see ModelSessionOptions.threads). */
  threads?: number;
  /** A model selector (path, name or name@version) that overrides the active version. */
  model?: string;
  /** Force an execution provider first (`cpu` disables acceleration). */
  preferredProvider?: ProviderName;
  /** Decode limits (default 64 megapixels, DEFAULT_LIMITS). */
  limits?: DecodeLimits;
  /**
   * When to load the interactive model (Box and Click tools, refineRegion): 'eager' (default)
   * starts loading it at once beside the automatic one, 'lazy' on first use (CLI commands
   * that may not need it). A missing or broken one is a refusal of refineRegion, never a
   * failure of the services.
   */
  interactive?: 'eager' | 'lazy';
  log?: (message: string) => void;
}

/** The service handlers plus the objects behind them (for the CLI and for shutdown). */
export interface Services {
  handlers: ServiceHandlers;
  segmenter: Segmenter;
  catalog: ModelCatalog;
  /** Null without a dataDir. */
  store: ModelStore | null;
  /** Null without a dataDir. */
  jobs: TrainingJobs | null;
  /** Events for the renderer (job progress, job end, active model changed). */
  events: EventHub;
  /** Why the model running is not the chosen one (damaged or missing), or null. */
  fallbackReason: string | null;
  /** The interactive model, loaded once (ModelNotFoundError / ModelLoadError when there is none usable). */
  interactive(): Promise<InteractiveSegmenter>;
  close(): Promise<void>;
}

function cardRecord(card: object): Record<string, unknown> {
  return { ...card } as Record<string, unknown>;
}

/** Converts an internal segmentation to the contract's result (drops the raw mask buffer). */
export function toApiResult(s: Segmentation): SegmentImageResult {
  return {
    width: s.width,
    height: s.height,
    maskPng: s.maskPng,
    probWidth: s.probWidth,
    probHeight: s.probHeight,
    prob: s.prob,
    outline: s.outline,
    lesionAreaPx: s.lesionAreaPx,
    uncertainty: s.uncertainty,
    timings: s.timings,
    model: s.model,
    provider: s.provider,
  };
}

function defaultTrainerDir(modelDirs: string[]): string | null {
  return modelDirs.find((d) => existsSync(path.join(d, 'scsonet', '__init__.py'))) ?? null;
}

function unavailable(what: string): () => Promise<never> {
  return async () => {
    throw new Error(`${what} need a user-data folder; this session was started without one.`);
  };
}

/** Loads the active model (checksum, provider fallback, signature check, warm-up) and builds everything. */
export async function createServices(options: ServiceOptions): Promise<Services> {
  const events = createEventHub((error) => options.log?.(`event listener failed: ${errorMessage(error)}`));
  const catalog = await scanModelDirs(options.modelDirs);
  const store = options.dataDir ? new ModelStore({ dataDir: options.dataDir, shippedDirs: options.modelDirs }) : null;
  let fallbackReason: string | null = null;
  /** The store version this process runs (null: a pinned model or no store). */
  let runningId: string | null = null;
  let entry: ModelEntry;
  if (options.model) {
    const versions = store ? (await store.versions()).filter((v) => v.entry && v.problem === null).map((v) => v.entry!) : [];
    entry = await resolveModel({ models: [...versions, ...catalog.models], problems: catalog.problems }, options.model);
  } else if (store) {
    const active = await store.active();
    entry = active.version.entry!;
    runningId = active.version.id;
    fallbackReason = active.fallbackReason;
    if (fallbackReason) options.log?.(`model: ${fallbackReason}`);
  } else {
    entry = await resolveModel(catalog);
  }
  const sessionOptions = { threads: options.threads, preferredProvider: options.preferredProvider };
  const session = await ModelSession.open(entry, sessionOptions);
  const segmenter = new Segmenter(session, options.limits ?? DEFAULT_LIMITS);
  const available = chooseProviders(currentHostFacts(), options.preferredProvider).map((c) => c.name);

  // The interactive model is shipped, not fine-tuned (a fine-tuned automatic model leaves it as
  // it is), so it is found in the shipped folders only and loaded once.
  let interactiveLoad: Promise<InteractiveSegmenter> | null = null;
  const interactive = (): Promise<InteractiveSegmenter> => {
    interactiveLoad ??= (async () => {
      const found = pickInteractiveModel(await scanModelDirs(options.modelDirs));
      const model = await InteractiveModel.open(found, sessionOptions);
      if (model.grid !== interactiveGrid) {
        await model.release();
        throw new ModelLoadError(`${found.card.file} works on a ${model.grid}x${model.grid} grid; this version of LesionDesk sends ${interactiveGrid}x${interactiveGrid}`);
      }
      return new InteractiveSegmenter(model, segmenter.queue);
    })();
    return interactiveLoad;
  };
  if ((options.interactive ?? 'eager') === 'eager') {
    interactive().catch((error: unknown) => options.log?.(`interactive model: ${errorMessage(error)}`));
  }

  const trainerDir = options.trainerDir ?? defaultTrainerDir(options.modelDirs);
  const jobs =
    store && options.dataDir && trainerDir
      ? await TrainingJobs.open({ dataDir: options.dataDir, store, events, trainerDir, log: options.log, onActivated: announceSwitch, ...options.training })
      : null;

  // Switching models: the active pointer changed (activate, roll back, a job's gate, another
  // process); load the new active version and swap it in, then announce it
  // (active-model-changed), so a renderer that predicts on hearing the news gets the new
  // version. Requests in flight finish on the old session. A model pinned with `model` stays
  // pinned. Every switch runs through one queue and announces only a change of the version that
  // runs, so a change seen twice (made here, then noticed by the watcher) is announced once.
  let switching: Promise<void> = Promise.resolve();
  const enqueue = (task: () => Promise<void>): Promise<void> => {
    switching = switching.then(task, task);
    return switching;
  };
  /** Loads the active version unless it already runs; `preopened` is a session already loaded for it. */
  const loadActive = async (preopened?: ModelSession): Promise<void> => {
    const active = await store!.active();
    fallbackReason = active.fallbackReason;
    const next = active.version.entry!;
    const fits = (s: ModelSession): boolean => s.entry.onnxPath === next.onnxPath && s.entry.card.sha256 === next.card.sha256;
    if (fits(segmenter.session)) {
      await preopened?.release();
    } else {
      let session = preopened && fits(preopened) ? preopened : null;
      if (!session) {
        await preopened?.release();
        session = await ModelSession.open(next, sessionOptions);
      }
      await segmenter.swap(session);
    }
    runningId = active.version.id;
  };
  /**
   * Follows the pointer: loads what it names and announces the change. When loading fails the
   * change `intended` (made here) is announced anyway: the pointer moved, and the panels re-read it.
   */
  const follow = (preopened?: ModelSession, intended?: { active: string; previous: string | null }): Promise<void> => {
    if (!store || options.model) {
      // A pinned model keeps running; the pointer still moved, and the panels re-read it.
      return (async () => {
        await preopened?.release();
        if (intended) events.publish({ type: 'active-model-changed', ...intended });
      })();
    }
    return enqueue(async () => {
      const before = runningId;
      try {
        await loadActive(preopened);
      } catch (error) {
        options.log?.(`switching to the active model failed: ${errorMessage(error)}`);
        if (intended) events.publish({ type: 'active-model-changed', ...intended });
        return;
      }
      if (runningId !== before) events.publish({ type: 'active-model-changed', active: runningId, previous: before });
    });
  };
  async function announceSwitch(change: { active: string; previous: string | null }): Promise<void> {
    await follow(undefined, change);
  }
  // Activate and roll back load the version before the pointer moves: one that cannot run is
  // refused with nothing changed, and one that can is running when the call returns.
  const changeActive = async (change: (prepare: (version: StoredVersion) => Promise<void>) => Promise<{ active: string; previous: string | null }>) => {
    let prepared: ModelSession | undefined;
    const prepare = async (version: StoredVersion): Promise<void> => {
      if (options.model || !version.entry || version.entry.onnxPath === segmenter.session.entry.onnxPath) return;
      prepared = await ModelSession.open(version.entry, sessionOptions);
    };
    let result: { active: string; previous: string | null };
    try {
      result = await change(prepare);
    } catch (error) {
      await prepared?.release();
      throw error;
    }
    await follow(prepared, result.previous !== null && result.previous !== result.active ? result : undefined);
    return store!.list();
  };

  // Another process (the CLI, a second window's server) may move the pointer. Two ways to notice,
  // both cheap: an fs.watch on the models folder for promptness while idle, and one lstat of the
  // pointer before each prediction, listing and model info, which holds where file events are
  // not delivered (network drives, some containers). A changed pointer is followed as above.
  let seenPointer: FileIdentity | null = store ? await identityOf(store.activeFile) : null;
  const followPointer = async (): Promise<void> => {
    if (!store || options.model) return;
    const now = await identityOf(store.activeFile);
    if (now === seenPointer || sameIdentity(now, seenPointer)) {
      // A switch another call started may still be loading: wait for it, so this call runs the new version.
      return switching.catch(() => undefined);
    }
    seenPointer = now;
    return follow();
  };
  let watcher: FSWatcher | null = null;
  if (store && !options.model) {
    try {
      await mkdir(store.modelsDir, { recursive: true });
      watcher = watch(store.modelsDir, { persistent: false }, (_event, name) => {
        if (name === null || String(name).startsWith('active')) void followPointer();
      });
      watcher.on('error', (error) => options.log?.(`watching ${store.modelsDir} stopped (${errorMessage(error)}); changes are noticed before each prediction`));
    } catch (error) {
      options.log?.(`cannot watch ${store.modelsDir} (${errorMessage(error)}); changes are noticed before each prediction`);
    }
  }

  const needStore = unavailable('Model versions');
  const needJobs = unavailable('Fine-tuning jobs');
  const handlers: ServiceHandlers = {
    async segmentImage(args) {
      await followPointer();
      const result = await segmenter.segment(
        { bytes: args.bytes, name: args.fileName },
        { tta: args.tta, threshold: args.threshold, priority: args.priority },
      );
      return toApiResult(result);
    },
    async getModelInfo(): Promise<ModelInfo> {
      await followPointer();
      const current = segmenter.session;
      return {
        name: current.entry.card.name,
        version: current.entry.card.version,
        card: cardRecord(current.entry.card),
        provider: current.provider.provider,
        available,
      };
    },
    async listModels(): Promise<ApiModelEntry[]> {
      const fresh = await scanModelDirs(options.modelDirs);
      const tuned = store ? (await store.versions()).filter((v) => v.kind === 'fine-tuned' && v.entry).map((v) => v.entry!) : [];
      // The interactive model(s) last: their card says kind "interactive".
      return [...fresh.models, ...tuned, ...(fresh.interactive ?? [])].map((m) => ({ name: m.card.name, version: m.card.version, path: m.onnxPath, card: cardRecord(m.card) }));
    },
    listModelVersions: store
      ? async () => {
          await followPointer();
          return store.list();
        }
      : needStore,
    activateModelVersion: store ? ({ id }) => changeActive((prepare) => store.activate(id, prepare)) : needStore,
    rollbackModel: store ? () => changeActive((prepare) => store.rollback(prepare)) : needStore,
    deleteModelVersion: store
      ? async ({ id }) => {
          await store.delete(id);
          await jobs?.forgetVersion(id);
          return store.list();
        }
      : needStore,
    trainingPreflight: jobs ? () => jobs.preflight() : needJobs,
    createTrainingJob: jobs ? (args) => jobs.create(args) : needJobs,
    addTrainingPairs: jobs ? ({ jobId, pairs }) => jobs.addPairs(jobId, pairs) : needJobs,
    startTrainingJob: jobs ? ({ jobId }) => jobs.start(jobId) : needJobs,
    cancelTrainingJob: jobs ? ({ jobId }) => jobs.cancel(jobId) : needJobs,
    getTrainingStatus: jobs ? () => jobs.refreshedStatus() : needJobs,
    getModelEvidence: store ? ({ id }) => modelEvidence(store, id) : needStore,
    getEvidenceCase: store ? ({ id, row }) => evidenceCase(store, id, row) : needStore,
    getCaseProvenance: store ? ({ caseId }) => caseProvenance(store, caseId) : needStore,
    async refineRegion(args) {
      return (await interactive()).refine({ image: args.image, clicks: args.clicks, prev: args.prev });
    },
  };
  return {
    handlers,
    segmenter,
    catalog,
    store,
    jobs,
    events,
    get fallbackReason() {
      return fallbackReason;
    },
    interactive,
    async close() {
      watcher?.close();
      await jobs?.shutdown();
      await switching.catch(() => undefined);
      await segmenter.session.release();
      const loaded = await interactiveLoad?.catch(() => null);
      await loaded?.model.release();
    },
  };
}

/** The contract's service handlers around one warm model session. */
export async function createApiHandlers(options: ServiceOptions): Promise<ServiceHandlers> {
  return (await createServices(options)).handlers;
}
