/**
 * main/services entry: builds the contract's service handlers (segmentImage, getModelInfo,
 * listModels) around one warm model session. Plain Node (no electron import), so tests and the
 * CLI use it directly; the Electron shell passes the model folders it knows about.
 */
import type { ModelEntry as ApiModelEntry, ModelInfo, SegmentImageResult, ServiceHandlers } from '../../preload/api.js';
import { chooseProviders, currentHostFacts, type ProviderName } from './executionProvider.js';
import { DEFAULT_LIMITS, type DecodeLimits } from './imaging.js';
import { resolveModel, scanModelDirs, type ModelCatalog } from './modelRegistry.js';
import { ModelSession } from './modelSession.js';
import { Segmenter, type Segmentation } from './segmentation.js';

export { errorMessage, LesionDeskError, ImageDecodeError, ImageTooLargeError, ImageTooSmallError, ModelCardError, ModelLoadError, ModelNotFoundError } from './errors.js';
export { Segmenter, type Segmentation } from './segmentation.js';
export { ModelSession } from './modelSession.js';
export { scanModelDirs, resolveModel } from './modelRegistry.js';

/** Options of createApiHandlers. */
export interface ServiceOptions {
  /** Folders searched for model cards, e.g. [userModels, resources/models] or [repo/models]. */
  modelDirs: string[];
  /** onnxruntime threads per run (default 1; see ModelSessionOptions.threads). */
  threads?: number;
  /** A model selector (path, name or name@version); default: the highest version found. */
  model?: string;
  /** Force an execution provider first (`cpu` disables acceleration). */
  preferredProvider?: ProviderName;
  /** Decode limits (default 64 megapixels, DEFAULT_LIMITS). */
  limits?: DecodeLimits;
}

/** The service handlers plus the objects behind them (for the CLI and for shutdown). */
export interface Services {
  handlers: ServiceHandlers;
  segmenter: Segmenter;
  catalog: ModelCatalog;
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

/** Loads the model (checksum, provider fallback, signature check, warm-up) and builds everything. */
export async function createServices(options: ServiceOptions): Promise<Services> {
  const catalog = await scanModelDirs(options.modelDirs);
  const entry = await resolveModel(catalog, options.model);
  const session = await ModelSession.open(entry, { threads: options.threads, preferredProvider: options.preferredProvider });
  const segmenter = new Segmenter(session, options.limits ?? DEFAULT_LIMITS);
  const available = chooseProviders(currentHostFacts(), options.preferredProvider).map((c) => c.name);
  const handlers: ServiceHandlers = {
    async segmentImage(args) {
      const result = await segmenter.segment(
        { bytes: args.bytes, name: args.fileName },
        { tta: args.tta, threshold: args.threshold },
      );
      return toApiResult(result);
    },
    async getModelInfo(): Promise<ModelInfo> {
      return {
        name: entry.card.name,
        version: entry.card.version,
        card: cardRecord(entry.card),
        provider: session.provider.provider,
        available,
      };
    },
    async listModels(): Promise<ApiModelEntry[]> {
      const fresh = await scanModelDirs(options.modelDirs);
      return fresh.models.map((m) => ({ name: m.card.name, version: m.card.version, path: m.onnxPath, card: cardRecord(m.card) }));
    },
  };
  return { handlers, segmenter, catalog, close: () => session.release() };
}

/** The contract's service handlers around one warm model session. */
export async function createApiHandlers(options: ServiceOptions): Promise<ServiceHandlers> {
  return (await createServices(options)).handlers;
}
