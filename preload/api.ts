/**
 * The contract between the renderer and main: every method (its argument and result schemas,
 * body limit and implementer), the events main pushes, the reply envelope and error codes, the
 * IPC channels and HTTP paths, the binary framing of the HTTP transport, and the clients built
 * on them. It also re-exports the train/validation split rule (preload/split.ts), which main
 * applies to a job and the renderer counts before one starts.
 *
 * This is the only module that main/ and renderer/ both import (a lint rule). Both transports
 * (Electron IPC through preload/index.ts and main/ipc, HTTP through main/http) are generated
 * from `api` below, the one list of methods: adding a method there, plus its handler, is the
 * whole change to the boundary.
 *
 * Binary data (image bytes, masks, probability maps) crosses as typed arrays: structured clone
 * over IPC, raw blobs in a framed body over HTTP. Never base64.
 *
 * Implementations: each method names who implements it (`by`). main/services/index.ts
 * (`createServices`, or `createApiHandlers` for the handlers alone) returns the
 * `ServiceHandlers`: inference, model versions, fine-tuning jobs and their evidence.
 * main/shell-handlers.ts returns the `ShellHandlers`: app facts and the OS (getAppInfo,
 * openExternal). main/app-handlers.ts joins the two into the full `ApiHandlers`, and when the
 * services cannot start, answers each service method with the reason.
 */
import { z } from 'zod';
import { interactiveGrid, maxInteractiveClicks } from './interactive.js';

// The split rule both sides apply to a case (main writes it into the job, the renderer counts it).
export { minValidationCases, splitOfCaseId, splitOfContent, splitOfDigest, validationEvery, type Split } from './split.js';
// The geometry of an interactive step (regions, grid mapping, click discs, paste back), shared
// by the editor's Box and Click tools, main's refineRegion, the CLI and the benchmark.
export * from './interactive.js';

/** Size and length limits enforced at the boundary, before any handler runs. */
export const limits = {
  imageBytes: 512 * 1024 * 1024,
  fileNameLength: 1024,
  urlLength: 2048,
  /** Largest JSON header of an HTTP frame (everything except the binary blobs). */
  frameHeaderBytes: 16 * 1024 * 1024,
  /** Largest HTTP request body for methods that carry no image. */
  smallBodyBytes: 1024 * 1024,
  /** Training pairs per addTrainingPairs call: the renderer streams a job in chunks. */
  trainingPairsPerCall: 8,
  /** Largest total of image and mask bytes in one addTrainingPairs call. */
  trainingChunkBytes: 256 * 1024 * 1024,
  /** Longest id of a case, mask version, job or model version. */
  idLength: 200,
} as const;

function formatBytes(n: number): string {
  return n >= 1024 * 1024 ? `${Number((n / (1024 * 1024)).toFixed(1))} MB` : `${n} bytes`;
}

function uint8Array(maxBytes: number) {
  return z
    .custom<Uint8Array>((v) => v instanceof Uint8Array, { message: 'expected a Uint8Array' })
    .refine((v) => v.byteLength > 0, { message: 'must not be empty (0 bytes)' })
    .refine((v) => v.byteLength <= maxBytes, {
      message: `exceeds the limit of ${formatBytes(maxBytes)}`,
    });
}

const float32Array = z.custom<Float32Array>((v) => v instanceof Float32Array, {
  message: 'expected a Float32Array',
});

const dimension = z.number().int().positive();
const milliseconds = z.number().min(0);
const modelCard = z.record(z.string(), z.unknown());

/** Arguments of segmentImage: the encoded image file and optional inference settings. */
export const SegmentImageArgs = z.strictObject({
  /** The encoded file (JPEG, PNG, TIFF, BMP, WebP), exactly as read from disk. */
  bytes: uint8Array(limits.imageBytes),
  /** Display name; its extension is only a hint, the bytes decide the format. */
  fileName: z.string().min(1).max(limits.fileNameLength),
  /** Flip test-time augmentation. */
  tta: z.boolean().optional(),
  /** Probability threshold for the mask; defaults to the model card's. */
  threshold: z.number().gt(0).lt(1).optional(),
  /**
   * `interactive` (default): a person waits for it (opening a case); `background`: pre-annotation
   * and re-prediction, which main runs only when no interactive request does.
   */
  priority: z.enum(['interactive', 'background']).optional(),
});

/** Result of segmentImage. Coordinates and sizes are in image pixels unless named `prob*`. */
export const SegmentImageResult = z
  .strictObject({
    width: dimension,
    height: dimension,
    /** Full-resolution mask, 8-bit grayscale PNG, 0 = background, 255 = lesion. */
    maskPng: uint8Array(limits.imageBytes),
    probWidth: dimension,
    probHeight: dimension,
    /** Model-resolution probabilities, row-major, probWidth x probHeight. */
    prob: float32Array,
    /** Polygons of the mask border in image pixels, each [x0, y0, x1, y1, ...]. */
    outline: z.array(
      z.array(z.number()).refine((p) => p.length % 2 === 0, { message: 'needs x,y pairs' }),
    ),
    lesionAreaPx: z.number().int().min(0),
    /** 0 = confident everywhere, 1 = maximally uncertain. */
    uncertainty: z.number().min(0).max(1),
    timings: z.strictObject({
      decodeMs: milliseconds,
      inferMs: milliseconds,
      postMs: milliseconds,
      totalMs: milliseconds,
    }),
    model: z.strictObject({ name: z.string(), version: z.string() }),
    /** Execution provider that ran the model, e.g. "cpu", "cuda", "dml", "coreml". */
    provider: z.string(),
  })
  .refine((r) => r.prob.length === r.probWidth * r.probHeight, {
    message: 'prob must hold probWidth x probHeight values',
    path: ['prob'],
  });

/** The active model, its card, and the execution providers this build can use. */
export const ModelInfo = z.strictObject({
  name: z.string(),
  version: z.string(),
  card: modelCard,
  provider: z.string(),
  available: z.array(z.string()),
});

/** One installed model (shipped, or in the user's model folder). */
export const ModelEntry = z.strictObject({
  name: z.string(),
  version: z.string(),
  path: z.string(),
  card: modelCard,
});

/** Facts about the running app, including which transport carries this call. */
export const AppInfo = z.strictObject({
  version: z.string(),
  platform: z.string(),
  transport: z.enum(['ipc', 'http']),
});

/** True for an absolute http(s) URL, the only kind the app will hand to the OS. */
export function isExternalWebUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return (url.protocol === 'https:' || url.protocol === 'http:') && url.hostname !== '';
  } catch {
    return false;
  }
}

/**
 * The URL to hand to the OS: the parsed URL's normalised `href` (what was checked), never the
 * raw string, which another parser (the OS, the browser) could read differently. Null when it
 * is not an absolute http(s) URL.
 */
export function externalWebHref(value: string): string | null {
  return isExternalWebUrl(value) ? new URL(value).href : null;
}

export const OpenExternalArgs = z.strictObject({
  url: z
    .string()
    .max(limits.urlLength)
    .refine(isExternalWebUrl, { message: 'must be an absolute http(s) URL' }),
});

// ---------------------------------------------------------------------------------------------
// Model versions and the fine-tuning job (main/services/modelStore.ts, trainingJobs.ts).

/** `name@version`, e.g. `scsonet-isic2017@1.1.0`. */
export const ModelVersionId = z
  .string()
  .min(3)
  .max(limits.idLength)
  .regex(/^[A-Za-z0-9][A-Za-z0-9._-]*@\d+\.\d+\.\d+([-+][0-9A-Za-z.-]+)?$/, { message: 'must be NAME@VERSION, e.g. scsonet-isic2017@1.1.0' });

/** An opaque id chosen by the renderer or main (case, mask version, job). */
const opaqueId = z.string().min(1).max(limits.idLength);

/** Dice scores of the base and the candidate on the same cases. */
export const DiceComparison = z.strictObject({
  n: z.number().int().min(0),
  base: z.number().min(0).max(1),
  candidate: z.number().min(0).max(1),
});

/** How one part of the gate went: passed, failed, or nothing to judge it on. */
export const GatePartResult = z.enum(['passed', 'failed', 'none']);

/** What the gate decided about a candidate, in one sentence, and how each part went. */
export const GateDecision = z.strictObject({
  activated: z.boolean(),
  reason: z.string(),
  /**
   * Each part on its own (main/services/trainingGate.ts), for what the panel suggests next:
   * `judged` is false when the validation cases were too few to judge; absent in versions and
   * jobs from before the parts were recorded.
   */
  parts: z
    .strictObject({
      judged: z.boolean(),
      /** The candidate does not lose on the validation cases a person changed. */
      changed: GatePartResult,
      /** It stays acceptable on the validation cases approved unchanged. */
      unchanged: GatePartResult,
      /** It does not forget the original images (anchor set). */
      anchor: GatePartResult,
    })
    .optional(),
});

/** One model version: the shipped model (root of every lineage) or a fine-tuned one. */
export const ModelVersion = z.strictObject({
  id: ModelVersionId,
  name: z.string(),
  version: z.string(),
  kind: z.enum(['shipped', 'fine-tuned']),
  /** 'damaged': listed with the reason and never loaded. */
  status: z.enum(['ok', 'damaged']),
  problem: z.string().nullable(),
  active: z.boolean(),
  /** The version this one was fine-tuned from (null for a shipped model). */
  base: ModelVersionId.nullable(),
  /** Ids from the shipped root to this version. */
  lineage: z.array(ModelVersionId),
  created: z.string().nullable(),
  /** Approved corrections the job trained and validated on (null for a shipped model). */
  corrections: z.number().int().min(0).nullable(),
  validation: DiceComparison.nullable(),
  /** The gate's two parts of the validation cases: changed by a person, approved unchanged (null: not recorded, or none). */
  changed: DiceComparison.nullable(),
  unchanged: DiceComparison.nullable(),
  anchor: DiceComparison.nullable(),
  gate: GateDecision.nullable(),
  card: modelCard,
});

/** A folder in the store's versions folder that is not a version (a copy, a hand-made folder, a link): listed, never used, never deleted by the app. */
export const UnknownStoreFolder = z.strictObject({
  /** The folder's name (control characters shown as "?"). */
  name: z.string().max(1000),
  path: z.string().max(8192),
  problem: z.string(),
});

/** Every version and which one is active. */
export const ModelVersionList = z.strictObject({
  active: ModelVersionId.nullable(),
  /** The version a roll back returns to, when there is one. */
  previous: ModelVersionId.nullable(),
  versions: z.array(ModelVersion),
  unknown: z.array(UnknownStoreFolder),
  /** A problem of the store itself (a damaged active pointer, an unreadable versions folder), said to the user; null when none. */
  problem: z.string().nullable(),
});

export const ModelVersionArgs = z.strictObject({ id: ModelVersionId });

/** One validation case in a version's evidence: base and candidate Dice against the same approved mask. */
export const EvidenceRow = z.strictObject({
  /** The row's key within the version (the case's file stem in the job). */
  id: z.string().min(1).max(limits.idLength),
  /** The library's case id and the approved mask version the Dice was computed on (null: a job made outside the app). */
  caseId: opaqueId.nullable(),
  maskVersionId: opaqueId.nullable(),
  /** The approved mask was the base's prediction as it was (the gate's second part); absent in older evidence. */
  unchanged: z.boolean().optional(),
  baseDice: z.number().min(0).max(1),
  candidateDice: z.number().min(0).max(1),
});

/** A version's evidence: every validation case, biggest Dice drop first. */
export const ModelEvidence = z.strictObject({
  version: ModelVersionId,
  base: ModelVersionId.nullable(),
  /** Side of the square images and masks the Dice was computed at (the training size). */
  size: z.number().int().positive().nullable(),
  /** Why there are no rows (a shipped model, or a version trained before evidence was kept); null when there are. */
  missing: z.string().nullable(),
  rows: z.array(EvidenceRow),
});

export const EvidenceCaseArgs = z.strictObject({ id: ModelVersionId, row: z.string().min(1).max(limits.idLength) });

/** One evidence row's pictures, PNGs at the training size: the image, the approved mask and both predictions. */
export const EvidenceCase = z.strictObject({
  row: EvidenceRow,
  image: uint8Array(limits.imageBytes),
  approved: uint8Array(limits.imageBytes),
  base: uint8Array(limits.imageBytes),
  candidate: uint8Array(limits.imageBytes),
});

export const CaseProvenanceArgs = z.strictObject({ caseId: opaqueId });

/** A model version that used one of the case's masks. */
export const CaseUse = z.strictObject({
  version: ModelVersionId,
  /** The mask version it used (null: not recorded). */
  maskVersionId: opaqueId.nullable(),
  created: z.string().nullable(),
  active: z.boolean(),
});

const CardCaseUses = z.array(z.object({ caseId: z.string().min(1), maskVersionId: z.string().min(1).nullable() }).loose());

/**
 * The cases a fine-tuned version's card records (`training.trained_on`: the masks it learned
 * from; `validated_on`: those that judged it), each a case id and a mask version id (null: not
 * recorded, a job made outside the app). None when the card records none or in an unknown shape.
 * Main's case history and the training panel's "nothing new" notice read the card through this.
 */
export function cardCaseUses(card: Record<string, unknown>, key: 'trained_on' | 'validated_on'): z.infer<typeof CardCaseUses> {
  const training = card['training'];
  if (typeof training !== 'object' || training === null) return [];
  const parsed = CardCaseUses.safeParse((training as Record<string, unknown>)[key]);
  return parsed.success ? parsed.data : [];
}

/** Which model versions learned from a case (its training masks) and which it judged (validation). */
export const CaseProvenance = z.strictObject({
  learnedBy: z.array(CaseUse),
  validatedBy: z.array(CaseUse),
});

/** One problem that keeps a job from starting, with what to do about it. */
export const PreflightProblem = z.strictObject({
  code: z.enum(['no-python', 'no-torch', 'old-torch', 'low-disk', 'no-base', 'busy']),
  message: z.string(),
  fix: z.string(),
});

/** Can a fine-tuning job run on this machine, and with which Python. */
export const TrainingPreflight = z.strictObject({
  ok: z.boolean(),
  python: z.strictObject({ path: z.string(), version: z.string(), torch: z.string() }).nullable(),
  freeDiskBytes: z.number().min(0).nullable(),
  problems: z.array(PreflightProblem),
});

export const JobState = z.enum(['preparing', 'running', 'succeeded', 'failed', 'cancelled', 'interrupted']);
export const JobPhase = z.enum(['receiving', 'starting', 'loading', 'baseline', 'training', 'scoring', 'exporting', 'gating', 'done']);

/** One epoch of a running job, for the live chart. */
export const EpochRecord = z.strictObject({
  epoch: z.number().int().min(1),
  loss: z.number(),
  valDsc: z.number().min(0).max(1),
});

/** A fine-tuning job as the renderer sees it (also the payload of job events). */
export const TrainingJob = z.strictObject({
  id: opaqueId,
  state: JobState,
  phase: JobPhase,
  base: ModelVersionId,
  activate: z.enum(['auto', 'never']),
  epochs: z.number().int().min(1),
  epoch: z.number().int().min(0),
  /** 0..1 over the whole job. */
  progress: z.number().min(0).max(1),
  etaSeconds: z.number().min(0).nullable(),
  cases: z.strictObject({ train: z.number().int().min(0), validation: z.number().int().min(0) }),
  history: z.array(EpochRecord),
  /** The base's validation Dice, known once training begins (the live chart's reference line); absent or null before, or without validation cases. */
  baseValDsc: z.number().min(0).max(1).nullable().optional(),
  createdAt: z.string(),
  startedAt: z.string().nullable(),
  endedAt: z.string().nullable(),
  /** The new version and the gate's decision (state 'succeeded'). */
  result: z
    .strictObject({
      version: ModelVersionId,
      validation: DiceComparison,
      /** The gate's two parts of the validation cases: changed by a person, approved unchanged (absent: a trainer that did not tell them apart). */
      changed: DiceComparison.nullable().optional(),
      unchanged: DiceComparison.nullable().optional(),
      anchor: DiceComparison.nullable(),
      gate: GateDecision,
    })
    .nullable(),
  /** Why the job failed, was cancelled or interrupted, with the end of its log. */
  error: z.strictObject({ message: z.string(), logTail: z.string() }).nullable(),
});

export const TrainingStatus = z.strictObject({
  /** The job being prepared or running, if any (a reloaded page re-attaches to it). */
  current: TrainingJob.nullable(),
  /** Finished jobs, newest first. */
  history: z.array(TrainingJob),
});

export const CreateTrainingJobArgs = z.strictObject({
  /** Base version; default: the active one. */
  base: ModelVersionId.optional(),
  epochs: z.number().int().min(1).max(200).optional(),
  /** 'auto': activate when the gate passes; 'never': keep as a candidate. */
  activate: z.enum(['auto', 'never']).optional(),
  /** How many pairs will follow (for progress while receiving). */
  expectedPairs: z.number().int().min(1).max(100_000),
});

/** One approved case handed to a job: the original image and the final mask. */
export const TrainingPair = z.strictObject({
  caseId: opaqueId,
  maskVersionId: opaqueId,
  /** The encoded image file, as imported. */
  image: uint8Array(limits.trainingChunkBytes),
  imageName: z.string().min(1).max(limits.fileNameLength),
  /** The final mask, an 8-bit PNG at the image's size (0 = background, 255 = lesion). */
  maskPng: uint8Array(limits.trainingChunkBytes),
  /**
   * The final mask is the model's prediction approved as it was (no person changed it): the gate
   * scores such validation cases apart from the changed ones (main/services/trainingGate.ts).
   */
  unchanged: z.boolean().optional(),
  /**
   * The case's side as the library records it (preload/split.ts: by its image's bytes, or by
   * its id for a case an upgraded library lists); absent: main decides by the image's bytes.
   */
  split: z.enum(['train', 'validation']).optional(),
});

export const AddTrainingPairsArgs = z
  .strictObject({
    jobId: opaqueId,
    pairs: z.array(TrainingPair).min(1).max(limits.trainingPairsPerCall),
  })
  .refine((a) => a.pairs.reduce((sum, p) => sum + p.image.byteLength + p.maskPng.byteLength, 0) <= limits.trainingChunkBytes, {
    message: `the pairs of one call must total at most ${formatBytes(limits.trainingChunkBytes)}; send them in smaller chunks`,
    path: ['pairs'],
  });

export const AddTrainingPairsResult = z.strictObject({
  received: z.number().int().min(0),
  train: z.number().int().min(0),
  validation: z.number().int().min(0),
});

export const JobIdArgs = z.strictObject({ jobId: opaqueId });

/** Events main pushes to the renderer (IPC to the app window, Server-Sent Events over HTTP). */
export const ApiEvent = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('job-progress'), job: TrainingJob }),
  z.strictObject({ type: z.literal('job-ended'), job: TrainingJob }),
  z.strictObject({ type: z.literal('active-model-changed'), active: ModelVersionId.nullable(), previous: ModelVersionId.nullable() }),
]);

// ---------------------------------------------------------------------------------------------
// The interactive model (Box and Click tools; main/services/interactiveSegmenter.ts).

/** Bytes of the crop refineRegion takes: interactiveGrid x interactiveGrid RGB. */
export const refineImageBytes = interactiveGrid * interactiveGrid * 3;
/** Values of the previous mask and of the probability refineRegion exchanges: one per grid pixel. */
export const refineGridValues = interactiveGrid * interactiveGrid;

function exactBytes(length: number, what: string) {
  return z
    .custom<Uint8Array>((v) => v instanceof Uint8Array, { message: 'expected a Uint8Array' })
    .refine((v) => v.byteLength === length, { message: `must be ${what}: exactly ${length} bytes` });
}

/** A click on the grid: image pixel centres map to [-0.5, 255.5] (toGrid). */
export const RefineClick = z.strictObject({
  u: z.number().min(-0.5).max(interactiveGrid - 0.5),
  v: z.number().min(-0.5).max(interactiveGrid - 0.5),
  /** true: lesion; false: skin. */
  positive: z.boolean(),
});

/**
 * One interactive step on a region the caller cropped and resized itself (where its pixels are:
 * never a full-resolution image through a message), with every click so far and the current
 * mask over the region as the previous one.
 */
export const RefineRegionArgs = z.strictObject({
  /** The region resized to the grid as the interactive card says (fill, antialiased bilinear), RGB interleaved. */
  image: exactBytes(refineImageBytes, `the ${interactiveGrid}x${interactiveGrid} RGB crop (width x height x 3)`),
  /** Every click of this run on the region, in grid coordinates, oldest first. */
  clicks: z.array(RefineClick).max(maxInteractiveClicks, { message: `at most ${maxInteractiveClicks} clicks per step` }),
  /** The current mask over the region (samplePrev), 0/1 per grid pixel; null: none. */
  prev: exactBytes(refineGridValues, `a ${interactiveGrid}x${interactiveGrid} mask`)
    .refine((v) => v.every((x) => x <= 1), { message: 'must hold only 0 and 1' })
    .nullable(),
});

/** The interactive model's answer over the region's grid. */
export const RefineRegionResult = z.strictObject({
  /** round(p * 255) per grid pixel, row-major; paste it back with pasteProbability. */
  prob: exactBytes(refineGridValues, `a ${interactiveGrid}x${interactiveGrid} probability map`),
  /** The card's threshold (p >= threshold is lesion). */
  threshold: z.number().gt(0).lt(1),
  model: z.strictObject({ name: z.string(), version: z.string() }),
  /** Milliseconds the model itself ran (encoding and queueing not included). */
  inferMs: milliseconds,
});

const NoArgs = z.undefined({ message: 'takes no arguments' });
const NoResult = z.undefined();

interface MethodSpec {
  readonly args: z.ZodType;
  readonly result: z.ZodType;
  /** Largest HTTP request body this method accepts. */
  readonly maxBodyBytes: number;
  /** Who implements it: main's services (main/services) or the shell (main/shell-handlers.ts). */
  readonly by: 'services' | 'shell';
}

/** Every method between renderer and main. Keys are method names. */
export const api = {
  segmentImage: {
    args: SegmentImageArgs,
    result: SegmentImageResult,
    maxBodyBytes: limits.imageBytes + limits.frameHeaderBytes,
    by: 'services',
  },
  getModelInfo: { args: NoArgs, result: ModelInfo, maxBodyBytes: limits.smallBodyBytes, by: 'services' },
  listModels: { args: NoArgs, result: z.array(ModelEntry), maxBodyBytes: limits.smallBodyBytes, by: 'services' },
  getAppInfo: { args: NoArgs, result: AppInfo, maxBodyBytes: limits.smallBodyBytes, by: 'shell' },
  openExternal: { args: OpenExternalArgs, result: NoResult, maxBodyBytes: limits.smallBodyBytes, by: 'shell' },
  listModelVersions: { args: NoArgs, result: ModelVersionList, maxBodyBytes: limits.smallBodyBytes, by: 'services' },
  activateModelVersion: { args: ModelVersionArgs, result: ModelVersionList, maxBodyBytes: limits.smallBodyBytes, by: 'services' },
  rollbackModel: { args: NoArgs, result: ModelVersionList, maxBodyBytes: limits.smallBodyBytes, by: 'services' },
  deleteModelVersion: { args: ModelVersionArgs, result: ModelVersionList, maxBodyBytes: limits.smallBodyBytes, by: 'services' },
  trainingPreflight: { args: NoArgs, result: TrainingPreflight, maxBodyBytes: limits.smallBodyBytes, by: 'services' },
  createTrainingJob: { args: CreateTrainingJobArgs, result: TrainingJob, maxBodyBytes: limits.smallBodyBytes, by: 'services' },
  addTrainingPairs: {
    args: AddTrainingPairsArgs,
    result: AddTrainingPairsResult,
    maxBodyBytes: limits.trainingChunkBytes + limits.frameHeaderBytes,
    by: 'services',
  },
  startTrainingJob: { args: JobIdArgs, result: TrainingJob, maxBodyBytes: limits.smallBodyBytes, by: 'services' },
  cancelTrainingJob: { args: JobIdArgs, result: TrainingJob, maxBodyBytes: limits.smallBodyBytes, by: 'services' },
  getTrainingStatus: { args: NoArgs, result: TrainingStatus, maxBodyBytes: limits.smallBodyBytes, by: 'services' },
  getModelEvidence: { args: ModelVersionArgs, result: ModelEvidence, maxBodyBytes: limits.smallBodyBytes, by: 'services' },
  getEvidenceCase: { args: EvidenceCaseArgs, result: EvidenceCase, maxBodyBytes: limits.smallBodyBytes, by: 'services' },
  getCaseProvenance: { args: CaseProvenanceArgs, result: CaseProvenance, maxBodyBytes: limits.smallBodyBytes, by: 'services' },
  refineRegion: { args: RefineRegionArgs, result: RefineRegionResult, maxBodyBytes: limits.smallBodyBytes, by: 'services' },
} as const satisfies Record<string, MethodSpec>;

export type Api = typeof api;
export type MethodName = keyof Api;
/** What a caller passes (before schema defaults). */
export type ArgsOf<M extends MethodName> = z.input<Api[M]['args']>;
/** What a handler receives (after validation). */
export type ValidArgsOf<M extends MethodName> = z.output<Api[M]['args']>;
export type ResultOf<M extends MethodName> = z.output<Api[M]['result']>;

export type SegmentImageArgs = z.input<typeof SegmentImageArgs>;
export type SegmentImageResult = z.output<typeof SegmentImageResult>;
export type ModelInfo = z.output<typeof ModelInfo>;
export type ModelEntry = z.output<typeof ModelEntry>;
export type AppInfo = z.output<typeof AppInfo>;
export type ModelVersion = z.output<typeof ModelVersion>;
export type ModelVersionList = z.output<typeof ModelVersionList>;
export type UnknownStoreFolder = z.output<typeof UnknownStoreFolder>;
export type DiceComparison = z.output<typeof DiceComparison>;
export type GateDecision = z.output<typeof GateDecision>;
export type GateParts = NonNullable<GateDecision['parts']>;
export type PreflightProblem = z.output<typeof PreflightProblem>;
export type TrainingPreflight = z.output<typeof TrainingPreflight>;
export type TrainingJob = z.output<typeof TrainingJob>;
export type TrainingStatus = z.output<typeof TrainingStatus>;
export type TrainingPair = z.output<typeof TrainingPair>;
export type EpochRecord = z.output<typeof EpochRecord>;
export type EvidenceRow = z.output<typeof EvidenceRow>;
export type ModelEvidence = z.output<typeof ModelEvidence>;
export type EvidenceCase = z.output<typeof EvidenceCase>;
export type CaseUse = z.output<typeof CaseUse>;
export type CaseProvenance = z.output<typeof CaseProvenance>;
export type JobState = z.output<typeof JobState>;
export type JobPhase = z.output<typeof JobPhase>;
export type ApiEvent = z.output<typeof ApiEvent>;
export type RefineRegionArgs = z.input<typeof RefineRegionArgs>;
export type RefineRegionResult = z.output<typeof RefineRegionResult>;

type Params<M extends MethodName> = [ArgsOf<M>] extends [undefined] ? [] : [args: ArgsOf<M>];

/** Receives one event from main. */
export type ApiEventListener = (event: ApiEvent) => void;
/** Subscribes to main's events; returns the function that unsubscribes. */
export type SubscribeEvents = (listener: ApiEventListener) => () => void;

/** IPC channel main sends events on (to the validated app window only). */
export const eventChannel = 'lesiondesk:event';
/** HTTP path of the Server-Sent Events stream in browser mode. */
export const eventsHttpPath = '/api/events';

/**
 * The API as the renderer sees it: `window.lesiondesk`, or the HTTP client. `onEvent`
 * subscribes to main's events (job progress, job end, active model changed).
 */
export type LesionDeskApi = {
  readonly [M in MethodName]: (...args: Params<M>) => Promise<ResultOf<M>>;
} & { readonly onEvent: SubscribeEvents };

/** Implementations in main; each receives arguments that already passed the schema. */
export type ApiHandlers = {
  [M in MethodName]: (args: ValidArgsOf<M>) => Promise<ResultOf<M>>;
};

/** The methods main's services implement (`by: 'services'`); the rest are the shell's. */
export type ServiceMethodName = { [M in MethodName]: Api[M]['by'] extends 'services' ? M : never }[MethodName];
/** The part of the API implemented by main/services (inference, model versions, fine-tuning). */
export type ServiceHandlers = Pick<ApiHandlers, ServiceMethodName>;
/** The part implemented by the shell (app facts, the OS). */
export type ShellHandlers = Omit<ApiHandlers, ServiceMethodName>;

/** Method names, in declaration order. */
export const methodNames = Object.keys(api) as MethodName[];

/** The methods main's services implement, in declaration order. */
export const serviceMethodNames = methodNames.filter((m): m is ServiceMethodName => api[m].by === 'services');

export function isMethodName(name: unknown): name is MethodName {
  return typeof name === 'string' && Object.hasOwn(api, name);
}

/** IPC channel of a method. */
export function channelOf(method: MethodName): string {
  return `lesiondesk:${method}`;
}

/** Name under which preload exposes the API on `window`. */
export const bridgeKey = 'lesiondesk';

/** HTTP path of a method in browser mode. */
export function httpPathOf(method: MethodName): string {
  return `/api/${method}`;
}

/** Request header that carries the per-launch token in browser mode. */
export const tokenHeader = 'x-lesiondesk-token';

// ---------------------------------------------------------------------------------------------
// Errors and the reply envelope, shared by both transports.

/**
 * `refused`: the call was understood and the app said no for a reason the user can act on (a
 * corrupt image, a job already running, Python missing); `failed`: something went wrong that the
 * user did not cause; `unreachable`: the call never got an answer from main (browser mode: the
 * server stopped, or this page is being reloaded or closed and its requests were dropped), so
 * main may well have done nothing, or all of it. The others are the caller's mistakes or a
 * refused sender.
 */
export type ApiErrorCode = 'unknown-method' | 'invalid-args' | 'forbidden' | 'refused' | 'failed' | 'unreachable';

/** An error a caller sees: a stable code and a sentence a user can read. */
export class ApiError extends Error {
  constructor(
    readonly code: ApiErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

/** What main sends back for every call. Errors travel as data, never as a stack trace. */
export type Reply<T = unknown> =
  | { ok: true; value: T }
  | { ok: false; error: { code: ApiErrorCode; message: string } };

/** Return the value of a reply, or throw its error as an ApiError. */
export function unwrapReply<T>(reply: unknown): T {
  if (typeof reply !== 'object' || reply === null || !('ok' in reply)) {
    throw new ApiError('failed', 'The app sent a reply in an unknown format.');
  }
  const r = reply as Reply<T>;
  if (r.ok) return r.value;
  throw new ApiError(r.error.code, r.error.message);
}

/** One clause per schema issue, e.g. "fileName: Invalid input: expected string, received number". */
export function describeIssues(error: z.ZodError, subject = 'argument'): string {
  return error.issues
    .map((issue) => {
      const where = issue.path.length > 0 ? issue.path.join('.') : subject;
      return `${where}: ${issue.message}`;
    })
    .join('; ');
}

/** Check a call against the contract; throws ApiError with a readable message. */
export function parseArgs<M extends MethodName>(method: string, args: unknown): ValidArgsOf<M> {
  if (!isMethodName(method)) {
    throw new ApiError(
      'unknown-method',
      `Unknown method "${String(method).slice(0, 64)}". Known methods: ${methodNames.join(', ')}.`,
    );
  }
  const parsed = api[method].args.safeParse(args);
  if (!parsed.success) {
    throw new ApiError(
      'invalid-args',
      `Invalid arguments for ${method}: ${describeIssues(parsed.error, 'arguments')}.`,
    );
  }
  return parsed.data as ValidArgsOf<M>;
}

// ---------------------------------------------------------------------------------------------
// HTTP wire format: a frame is
//   "LDK1" | uint32 LE header length | header JSON (UTF-8) | zero padding to 8 | blobs
// The header is the value as JSON with each typed array replaced by {"$blob": i}; blob i is
// described in header.blobs[i] as {type, offset, length} (offset from the start of the blob
// section, 8-byte aligned). Typed arrays are little-endian, as on every platform we ship.

const frameMagic = [0x4c, 0x44, 0x4b, 0x31]; // "LDK1"
export const frameContentType = 'application/vnd.lesiondesk.frame';

type BlobType = 'u8' | 'f32';
interface BlobRef {
  type: BlobType;
  offset: number;
  length: number;
}

function align8(n: number): number {
  return (n + 7) & ~7;
}

/** Encode a value (JSON-like, with Uint8Array/Float32Array leaves) as one binary frame. */
export function encodeFrame(value: unknown): Uint8Array {
  const blobs: Uint8Array[] = [];
  const refs: BlobRef[] = [];
  let blobBytes = 0;
  const walk = (v: unknown): unknown => {
    if (v instanceof Uint8Array || v instanceof Float32Array) {
      const bytes = new Uint8Array(v.buffer, v.byteOffset, v.byteLength);
      refs.push({ type: v instanceof Float32Array ? 'f32' : 'u8', offset: blobBytes, length: v.length });
      blobs.push(bytes);
      blobBytes = align8(blobBytes + bytes.byteLength);
      return { $blob: refs.length - 1 };
    }
    if (ArrayBuffer.isView(v) || v instanceof ArrayBuffer) {
      throw new ApiError('failed', 'Only Uint8Array and Float32Array can cross the boundary.');
    }
    if (Array.isArray(v)) return v.map(walk);
    if (typeof v === 'object' && v !== null) {
      const out: Record<string, unknown> = {};
      for (const [k, item] of Object.entries(v)) if (item !== undefined) out[k] = walk(item);
      return out;
    }
    return v;
  };
  const body = walk(value);
  const header = new TextEncoder().encode(JSON.stringify({ body, blobs: refs }));
  const blobStart = align8(8 + header.byteLength);
  const frame = new Uint8Array(blobStart + blobBytes);
  frame.set(frameMagic, 0);
  new DataView(frame.buffer).setUint32(4, header.byteLength, true);
  frame.set(header, 8);
  blobs.forEach((b, i) => frame.set(b, blobStart + refs[i]!.offset));
  return frame;
}

/** Decode a frame made by encodeFrame; throws ApiError('invalid-args') on a malformed one. */
export function decodeFrame(frame: Uint8Array): unknown {
  const bad = (why: string): never => {
    throw new ApiError('invalid-args', `Malformed request body: ${why}.`);
  };
  if (frame.byteLength < 8 || frameMagic.some((b, i) => frame[i] !== b)) bad('not a LesionDesk frame');
  const view = new DataView(frame.buffer, frame.byteOffset, frame.byteLength);
  const headerLength = view.getUint32(4, true);
  if (headerLength > limits.frameHeaderBytes || 8 + headerLength > frame.byteLength) {
    bad('header length out of range');
  }
  let header: { body?: unknown; blobs?: unknown };
  try {
    header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(frame.subarray(8, 8 + headerLength)));
  } catch {
    return bad('header is not valid JSON');
  }
  if (typeof header !== 'object' || header === null || !Array.isArray(header.blobs)) bad('no blob table');
  const blobStart = align8(8 + headerLength);
  const blobs = (header.blobs as unknown[]).map((raw) => {
    const ref = raw as Partial<BlobRef>;
    const size = ref.type === 'f32' ? 4 : ref.type === 'u8' ? 1 : bad('unknown blob type');
    if (!Number.isSafeInteger(ref.offset) || !Number.isSafeInteger(ref.length) || ref.offset! < 0 || ref.length! < 0) {
      bad('blob bounds are not integers');
    }
    const start = blobStart + ref.offset!;
    if (start % 8 !== 0 || start + ref.length! * size > frame.byteLength) bad('blob out of bounds');
    // Copy so the result owns its memory and is aligned regardless of the input's offset.
    const bytes = frame.slice(start, start + ref.length! * size);
    return ref.type === 'f32' ? new Float32Array(bytes.buffer) : bytes;
  });
  const revive = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(revive);
    if (typeof v === 'object' && v !== null) {
      const keys = Object.keys(v);
      if (keys.length === 1 && keys[0] === '$blob') {
        const i = (v as { $blob: unknown }).$blob;
        return typeof i === 'number' && blobs[i] !== undefined ? blobs[i] : bad('blob reference out of range');
      }
      const out: Record<string, unknown> = {};
      for (const k of keys) {
        if (k === '__proto__') bad('forbidden key "__proto__"');
        out[k] = revive((v as Record<string, unknown>)[k]);
      }
      return out;
    }
    return v;
  };
  return revive(header.body);
}

// ---------------------------------------------------------------------------------------------
// Clients: both transports build the caller-side API from the same method list.

/** Sends one call and resolves with the raw Reply. */
export type Invoke = (method: MethodName, args: unknown) => Promise<unknown>;

const noEvents: SubscribeEvents = () => {
  throw new ApiError('failed', 'This connection to LesionDesk carries no events.');
};

/**
 * The full LesionDeskApi over any transport; each method takes at most one argument.
 * `subscribe` delivers main's events (a transport without events throws when subscribed).
 */
export function createClient(invoke: Invoke, subscribe: SubscribeEvents = noEvents): LesionDeskApi {
  const client: Record<string, unknown> = {};
  for (const method of methodNames) {
    client[method] = async (args?: unknown) => unwrapReply(await invoke(method, args));
  }
  client['onEvent'] = subscribe;
  return Object.freeze(client) as unknown as LesionDeskApi;
}

/** The part of a browser's EventSource the HTTP event client uses (a test passes a stand-in). */
export interface EventStream {
  addEventListener(type: 'message', listener: (message: { data: unknown }) => void): void;
  close(): void;
}

/**
 * Events over HTTP (browser mode): one EventSource on eventsHttpPath shared by every listener,
 * opened by the first subscribe and closed when the last one unsubscribes. The stream is
 * authorised by the HttpOnly token cookie the page already has (EventSource cannot set
 * headers). Each message is parsed and checked against ApiEvent; anything else is dropped.
 * EventSource reconnects by itself after a dropped connection; events sent meanwhile are lost,
 * so a view that must be exact re-reads the state (getTrainingStatus) when it matters.
 */
export function createHttpEventSubscribe(
  baseUrl = '',
  open: (url: string) => EventStream = (url) => new EventSource(url),
): SubscribeEvents {
  // One entry per subscribe call, so the same function subscribed twice is delivered twice
  // and each unsubscribe removes only its own subscription.
  const subscriptions = new Set<{ listener: ApiEventListener }>();
  let stream: EventStream | null = null;
  const deliver = (message: { data: unknown }) => {
    let raw: unknown;
    try {
      raw = JSON.parse(String(message.data));
    } catch {
      return;
    }
    const parsed = ApiEvent.safeParse(raw);
    if (!parsed.success) return;
    for (const subscription of [...subscriptions]) {
      if (subscriptions.has(subscription)) deliverEvent(subscription.listener, parsed.data);
    }
  };
  return (listener) => {
    const subscription = { listener };
    subscriptions.add(subscription);
    if (!stream) {
      stream = open(`${baseUrl}${eventsHttpPath}`);
      stream.addEventListener('message', deliver);
    }
    return () => {
      if (!subscriptions.delete(subscription) || subscriptions.size > 0) return;
      stream?.close();
      stream = null;
    };
  };
}

/**
 * Call one listener; a listener that throws is reported as an uncaught error but does not keep
 * the event from the listeners after it.
 */
export function deliverEvent(listener: ApiEventListener, event: ApiEvent): void {
  try {
    listener(event);
  } catch (error) {
    queueMicrotask(() => {
      throw error;
    });
  }
}

/** Invoke over HTTP (browser mode): POST a frame with the token header, read a frame back. */
export function createHttpInvoke(token: string, baseUrl = ''): Invoke {
  return async (method, args) => {
    let response: Response;
    try {
      response = await fetch(`${baseUrl}${httpPathOf(method)}`, {
        method: 'POST',
        headers: { 'content-type': frameContentType, [tokenHeader]: token },
        body: encodeFrame(args) as Uint8Array<ArrayBuffer>,
      });
    } catch {
      throw new ApiError('unreachable', 'The LesionDesk server is not reachable. Is `npm run serve` still running?');
    }
    if ((response.headers.get('content-type') ?? '').startsWith(frameContentType)) {
      return decodeFrame(new Uint8Array(await response.arrayBuffer()));
    }
    const text = (await response.text()).slice(0, 300);
    throw new ApiError(response.status === 403 ? 'forbidden' : 'failed', text || `HTTP ${response.status}`);
  };
}
