/**
 * Records the storage module hands out. Plain data (numbers are epoch milliseconds, images and
 * masks are Blobs), so the UI and the exchange module can use them without importing Dexie.
 */

/**
 * Review state of a case; see workflow.ts for the allowed moves. `ground-truth`: its mask is the
 * reference mask imported with it (an ISIC folder's), so it needs no review unless someone edits it.
 */
export type CaseStatus = 'new' | 'predicted' | 'ground-truth' | 'in-progress' | 'approved' | 'flagged';

/** Every status, in workflow order (for filters and counts). */
export const caseStatuses: readonly CaseStatus[] = ['new', 'predicted', 'ground-truth', 'in-progress', 'approved', 'flagged'];

/** Who produced a mask version. */
export type AuthorKind = 'model' | 'person' | 'ground-truth';

/** One image under review, as the library lists it. */
export interface CaseRecord {
  id: string;
  fileName: string;
  patientId?: string;
  lesionId?: string;
  status: CaseStatus;
  createdAt: number;
  updatedAt: number;
  assignee: string | null;
  /** Model uncertainty of the latest prediction, 0..1; null until a model has run. */
  uncertainty: number | null;
  latestVersionId: string | null;
  /** `name@version` of the model whose prediction the case carries, null before one ran. */
  activeModel: string | null;
  /** True once a person has saved a mask version (the "has correction" filter). */
  hasCorrection: boolean;
  width: number;
  height: number;
  /**
   * This case's own calibration in image pixels per millimetre (typed, or set with the ruler);
   * null = the default calibration from the settings applies. Added in schema version 3.
   */
  pixelsPerMm: number | null;
}

/** The original image of a case, byte for byte as imported. */
export interface ImageRecord {
  caseId: string;
  blob: Blob;
  width: number;
  height: number;
  /** Hex SHA-256 of the bytes: importing the same bytes twice is a no-op. */
  sha256: string;
}

/** Model probabilities at model resolution: float32, row-major, width x height. */
export interface ProbabilityMap {
  width: number;
  height: number;
  data: Blob;
}

/** One saved mask of a case. Versions are never overwritten except a person's latest draft. */
export interface MaskVersionRecord {
  id: string;
  caseId: string;
  /** 8-bit grayscale PNG at the image's full resolution, 0 = background, 255 = lesion. */
  png: Blob;
  authorKind: AuthorKind;
  /** `name@version` for a model, the annotator's name for a person, the source for ground truth. */
  author: string;
  createdAt: number;
  /** Lesion pixels. */
  area: number;
  parentVersionId: string | null;
  probabilityMap?: ProbabilityMap;
  threshold?: number;
  /**
   * How many times the version was updated in place (an editing session's autosave keeps one
   * draft); absent means 0. A write on top of a version checks it, so a draft that changed after
   * another window loaded it counts as a newer version.
   */
  revision?: number;
}

/** One workflow move of a case. */
export interface StatusChangeRecord {
  id?: number;
  caseId: string;
  from: CaseStatus;
  to: CaseStatus;
  comment: string;
  author: string;
  at: number;
}

/** The person using this installation, asked for at first start. */
export interface AnnotatorProfile {
  name: string;
  createdAt: number;
}

/** Application settings kept in the database, with their defaults in `defaultSettings`. */
export interface AppSettings {
  /** Calibration used when a case has none (see CaseRecord.pixelsPerMm); null = uncalibrated (areas in pixels only). */
  defaultPixelsPerMm: number | null;
  /** Probability threshold for predictions; null = the model card's. */
  threshold: number | null;
  overlayOpacity: number;
  /** Edge length of library thumbnails, in CSS pixels. */
  thumbnailSize: number;
  /** Fine-tuning choices the training panel remembers; an automatic job uses them too. */
  trainingEpochs: number;
  trainingActivate: 'auto' | 'never';
  /** Train only on cases whose final mask is not the prediction. */
  trainingOnlyCorrected: boolean;
  /**
   * Start a fine-tuning job by itself once this many new approved cases are ready and no job
   * runs; null = never (the default: training starts only when someone presses Start).
   */
  trainAfterApprovals: number | null;
  /**
   * What the last job started from this library received, as `caseId#maskVersionId`: the "new"
   * approved cases counted for trainAfterApprovals are the ready ones not in it (a case whose
   * approved mask changed counts again).
   */
  lastTrainingPairs: string[];
  /**
   * Cases whose fine-tuning side is decided by their id, the rule before issue 17: every case
   * that had been approved when the library was upgraded (schema 7), since a job may have used it
   * on that side. Every other case's side follows its image's bytes (preload/split.ts).
   */
  splitByCaseId: string[];
  /**
   * The job whose pairs a page of this library is sending, with the choices it was started with;
   * null when none. A page reloaded mid-sending finds its own job here (by `owner`, the page's
   * id in sessionStorage) and starts it again (training/job-start.ts restartAfterReload).
   */
  sendingJob: SendingJob | null;
  /** The library's filters and sort as last set (library-filter.ts checks them when read); null: the defaults. */
  libraryView: LibraryViewSetting | null;
}

/** A job being sent its pairs, as AppSettings.sendingJob records it. */
export interface SendingJob {
  jobId: string;
  /** The sending page's id (sessionStorage: a reload keeps it; another window or tab has its own). */
  owner: string;
  epochs: number;
  activate: 'auto' | 'never';
  onlyCorrected: boolean;
}

/** The library's filters and sort as stored; plain strings, checked when restored (filterFromView). */
export interface LibraryViewSetting {
  status: string;
  correction: string;
  model: string;
  sort: string;
}

/** Settings a fresh database starts with. */
export const defaultSettings: Readonly<AppSettings> = {
  defaultPixelsPerMm: null,
  threshold: null,
  overlayOpacity: 0.45,
  thumbnailSize: 160,
  trainingEpochs: 10,
  trainingActivate: 'auto',
  trainingOnlyCorrected: false,
  trainAfterApprovals: null,
  lastTrainingPairs: [],
  splitByCaseId: [],
  sendingJob: null,
  libraryView: null,
};

/** Sort keys of the library list. */
export type CaseSortKey = 'name' | 'date' | 'uncertainty';

/** What the library list shows: filter, search, sort and a window for a virtualised list. */
export interface CaseQuery {
  status?: CaseStatus | readonly CaseStatus[];
  hasCorrection?: boolean;
  /** `name@version` of the model whose prediction a case carries. */
  activeModel?: string;
  assignee?: string;
  /** Case-insensitive substring of the file name, patient id or lesion id. */
  search?: string;
  /** name ascending, date newest first, uncertainty most uncertain first (the review queue). */
  sort?: CaseSortKey;
  /** Overrides the sort key's natural direction. */
  direction?: 'asc' | 'desc';
  offset?: number;
  limit?: number;
}

/** One window of the library list and how many cases match in all. */
export interface CasePage {
  cases: CaseRecord[];
  total: number;
}

/** Case counts for the library header. */
export interface CaseCounts {
  total: number;
  byStatus: Record<CaseStatus, number>;
  withCorrection: number;
}

/** What to store when an image is imported; the caller decodes it (for size and thumbnail). */
export interface NewImage {
  fileName: string;
  blob: Blob;
  width: number;
  height: number;
  /** Hex SHA-256 of `blob`; computed when absent. */
  sha256?: string;
  thumbnail?: Blob;
  patientId?: string;
  lesionId?: string;
  assignee?: string | null;
}

/** Outcome of importing one image. */
export interface ImportImageResult {
  caseId: string;
  /** True when the same bytes were already in the database (nothing was written). */
  duplicate: boolean;
}

/** What to store as a new mask version. */
export interface NewMaskVersion {
  caseId: string;
  png: Blob;
  authorKind: AuthorKind;
  author: string;
  area: number;
  parentVersionId?: string | null;
  probabilityMap?: ProbabilityMap;
  threshold?: number;
  /** For model versions: the prediction's uncertainty, shown in the library and sorted on. */
  uncertainty?: number;
  /** Defaults to now; set by imports and restores that keep original times. */
  createdAt?: number;
  /**
   * Write only if this is still the case's latest version (null: the case has none), else
   * refuse with a `conflict` StorageError: an editor saves on top of what it started from, never
   * silently over a version another window saved meanwhile.
   */
  expectedLatestVersionId?: string | null;
  /** With expectedLatestVersionId: the revision of that version the editor started from (default 0). */
  expectedLatestRevision?: number;
  /**
   * Keep the version in the case's history without making it the latest: the mask a person
   * chose not to put on top of someone else's, kept rather than lost. The status does not move.
   */
  historyOnly?: boolean;
}

/** A model's prediction to store with addPrediction (see there for where it goes). */
export type NewPrediction = Omit<NewMaskVersion, 'authorKind' | 'expectedLatestVersionId' | 'expectedLatestRevision' | 'historyOnly'>;

/**
 * Where addPrediction put a prediction: `latest` (it is the case's mask now), `history` (kept
 * beside a person's or ground-truth mask, or on an approved case) or `skipped` (an approved
 * case, nothing written).
 */
export type PredictionPlacement = 'latest' | 'history' | 'skipped';

export interface StoredPrediction {
  /** The stored version; null when skipped. */
  version: MaskVersionRecord | null;
  placement: PredictionPlacement;
}

/** An edit not yet saved as a mask version; see PendingEditRow in database.ts. */
export interface PendingEdit {
  caseId: string;
  width: number;
  height: number;
  runs: Uint32Array;
  area: number;
  author: string;
  baseVersionId: string | null;
  /** The base version's revision when the session started from it. */
  baseRevision?: number;
  draftVersionId: string | null;
  editedAt: number;
  error?: string;
}

/** One committed edit's changed pixels, not yet saved as a version (stored as it is: PendingDeltaRow in database.ts). */
export interface PendingDelta {
  caseId: string;
  /** The journal's stamp (ms): strictly increasing over a session's deltas and snapshots. */
  seq: number;
  width: number;
  height: number;
  author: string;
  /** As in PendingEdit: the version the session started from, its revision, its own draft. */
  baseVersionId: string | null;
  baseRevision?: number;
  draftVersionId: string | null;
  /** (start, length) pairs over the row-major mask: pixels the edit set to lesion. */
  set: Uint32Array;
  /** (start, length) pairs: pixels the edit set to background. */
  cleared: Uint32Array;
}

/** What the library follows in the database: its counts and the `name@version` of every model with predictions. */
export interface LibrarySnapshot {
  counts: CaseCounts;
  models: string[];
}

/** What the case view follows in the database: the case and its versions (liveQuery). */
export interface CaseSnapshot {
  record: CaseRecord | undefined;
  versions: MaskVersionRecord[];
}

/** Everything in the database, for a backup. Blobs stay lazy until read. */
export interface DatabaseSnapshot {
  schemaVersion: number;
  cases: CaseRecord[];
  images: ImageRecord[];
  thumbnails: { caseId: string; blob: Blob }[];
  maskVersions: MaskVersionRecord[];
  statusHistory: StatusChangeRecord[];
  settings: { key: string; value: unknown }[];
  /** Recorded in a backup; a restore keeps the local profile (the person at this computer). */
  profile: AnnotatorProfile | null;
}

/** Why a storage call was refused; `message` is written for the user. */
export type StorageErrorCode =
  | 'not-found'
  | 'invalid-transition'
  | 'comment-required'
  | 'invalid-input'
  | 'not-empty'
  | 'not-latest'
  | 'conflict'
  | 'approved';

/** A refusal the user can act on (a wrong workflow move, a missing comment, ...). */
export class StorageError extends Error {
  constructor(
    readonly code: StorageErrorCode,
    message: string,
    /** For `conflict` and `approved`: the case's latest version as it is now (null: none). */
    readonly latest?: MaskVersionRecord | null,
  ) {
    super(message);
    this.name = 'StorageError';
  }
}
