/**
 * Which stored mask versions the case view uses, and how the editor's autosave writes its own
 * (PersonVersionWriter: one version per editing session, written only on top of the version the
 * session started from).
 */
import type { LesionDeskApi, SegmentImageResult } from '../../../preload/api.ts';
import {
  StorageError,
  type CaseRecord,
  type CaseRepository,
  type ImageRecord,
  type MaskVersionRecord,
  type NewMaskVersion,
  type PredictionPlacement,
} from '../storage/index.ts';

/** The model whose prediction the case view shows. */
export interface ActiveModel {
  readonly name: string;
  readonly version: string;
}

/** How a model is named as a version's author: `name@version`. */
export function modelAuthor(model: ActiveModel): string {
  return `${model.name}@${model.version}`;
}

/** The newest stored prediction of `model` that kept its probability map, or null. */
export function findPrediction(versions: readonly MaskVersionRecord[], model: ActiveModel): MaskVersionRecord | null {
  const author = modelAuthor(model);
  let found: MaskVersionRecord | null = null;
  for (const version of versions) {
    if (version.authorKind === 'model' && version.author === author && version.probabilityMap && (!found || version.createdAt >= found.createdAt)) {
      found = version;
    }
  }
  return found;
}

/**
 * The stored prediction the case view shows for `model` without running it again: its newest
 * one, unless the case carries another model's prediction (the running model was rolled back to,
 * after a newer one predicted the case). Then the model runs again, so the case names the running
 * model and is no longer listed as stale.
 */
export function reusablePrediction(
  record: { readonly activeModel: string | null },
  versions: readonly MaskVersionRecord[],
  model: ActiveModel,
): MaskVersionRecord | null {
  if (record.activeModel !== null && record.activeModel !== modelAuthor(model)) return null;
  return findPrediction(versions, model);
}

/** A version as one line of the compare menu: "scsonet@1.0.0 · model · 25 Nov 14:03". */
export function versionLabel(version: MaskVersionRecord, locale?: string): string {
  const when = new Date(version.createdAt).toLocaleString(locale, { day: 'numeric', month: 'short', hour: '2-digit', minute: '2-digit' });
  const kind = version.authorKind === 'ground-truth' ? 'ground truth' : version.authorKind;
  return `${version.author} · ${kind} · ${when}`;
}

/** The part of the repository the writer needs (a fake in tests). */
export type VersionStore = Pick<CaseRepository, 'addMaskVersion' | 'updateMaskVersion'>;

/**
 * Writes an editing session's mask. The first save adds a person version on top of the version
 * the session started from; later saves update that draft, so a session leaves one version, not
 * one per stroke. Every write is conditional: if another version became the latest meanwhile (a
 * save in another window, a background prediction) or the case was approved, the repository
 * refuses with a `conflict` or `approved` StorageError and nothing is written; the user then
 * chooses (putOnTop, keepInHistory), the writer never picks a winner by itself.
 */
export class PersonVersionWriter {
  private readonly store: VersionStore;
  private readonly caseId: string;
  private readonly author: string;
  private parentId: string | null;
  private parentRevision: number;
  private draftId: string | null;
  private draftRevision = 0;

  /**
   * `parentId` is the version the editing session started from (null for an empty mask), as it
   * was at `parentRevision`; `draftId` the session's own version when it resumes (a recovered
   * edit), else null.
   */
  constructor(store: VersionStore, caseId: string, author: string, parentId: string | null, draftId: string | null = null, parentRevision = 0) {
    this.store = store;
    this.caseId = caseId;
    this.author = author;
    this.parentId = parentId;
    this.parentRevision = parentRevision;
    this.draftId = draftId;
  }

  /** The revision of the base version the session started from. */
  get baseRevision(): number {
    return this.parentRevision;
  }

  /**
   * Whether `latest` (the case's latest version now) is something this session did not start
   * from nor write: another window's version, or its draft updated since it was loaded here.
   */
  isOutsideChange(latest: Pick<MaskVersionRecord, 'id' | 'revision'> | null): boolean {
    const latestId = latest?.id ?? null;
    if (this.draftId) return latestId !== this.draftId;
    return latestId !== this.parentId || (latest?.revision ?? 0) !== this.parentRevision;
  }

  /** The session's draft version, once the first save has created it. */
  get versionId(): string | null {
    return this.draftId;
  }

  /** The version the session started from (or was last put on top of). */
  get baseVersionId(): string | null {
    return this.parentId;
  }

  /** The version that must still be the case's latest for the next write to go through. */
  get expectedLatestId(): string | null {
    return this.draftId ?? this.parentId;
  }

  /**
   * Whether a list of the case's versions (a database snapshot) already includes this session's
   * last write; an older snapshot says nothing about changes made elsewhere.
   */
  isCurrent(versions: readonly Pick<MaskVersionRecord, 'id' | 'revision'>[]): boolean {
    if (!this.draftId) return true;
    const draft = versions.find((v) => v.id === this.draftId);
    return draft !== undefined && (draft.revision ?? 0) >= this.draftRevision;
  }

  /** Saves the mask: a new person version the first time, the same draft afterwards. */
  async write(png: Blob, area: number): Promise<MaskVersionRecord> {
    if (this.draftId) {
      const updated = await this.store.updateMaskVersion(this.draftId, { png, area });
      this.draftRevision = updated.revision ?? 0;
      return updated;
    }
    const input: NewMaskVersion = {
      caseId: this.caseId,
      png,
      authorKind: 'person',
      author: this.author,
      area,
      parentVersionId: this.parentId,
      expectedLatestVersionId: this.parentId,
      expectedLatestRevision: this.parentRevision,
    };
    const created = await this.store.addMaskVersion(input);
    this.draftId = created.id;
    this.draftRevision = 0;
    return created;
  }

  /** The user chose to put this session's mask on top of `latest`: the next write is a new version there. */
  putOnTop(latest: Pick<MaskVersionRecord, 'id' | 'revision'> | null): void {
    this.parentId = latest?.id ?? null;
    this.parentRevision = latest?.revision ?? 0;
    this.draftId = null;
  }

  /**
   * The user chose the other version: this session's mask is kept in the history (not the
   * latest, the status unchanged) rather than lost.
   */
  async keepInHistory(png: Blob, area: number): Promise<MaskVersionRecord> {
    const input: NewMaskVersion = {
      caseId: this.caseId,
      png,
      authorKind: 'person',
      author: this.author,
      area,
      parentVersionId: this.draftId ?? this.parentId,
      historyOnly: true,
    };
    return this.store.addMaskVersion(input);
  }

  /** Starts a new draft on top of `parentId` (after restoring a version, say). */
  restartFrom(parentId: string | null, parentRevision = 0): void {
    this.parentId = parentId;
    this.parentRevision = parentRevision;
    this.draftId = null;
  }
}

/** A save refused because the case moved on: someone else's version, or an approval. */
export function saveRefusal(error: unknown): { code: 'conflict' | 'approved'; message: string; latest: MaskVersionRecord | null } | null {
  if (error instanceof StorageError && (error.code === 'conflict' || error.code === 'approved')) {
    return { code: error.code, message: error.message, latest: error.latest ?? null };
  }
  return null;
}

/**
 * Runs the model on the case's image; refuses a mask that does not fit the image. `background`
 * (pre-annotation, re-prediction) lets main answer a person's requests first.
 */
export async function runPrediction(
  api: Pick<LesionDeskApi, 'segmentImage'>,
  record: Pick<CaseRecord, 'fileName'>,
  image: ImageRecord,
  threshold?: number,
  priority: 'interactive' | 'background' = 'interactive',
): Promise<SegmentImageResult> {
  const bytes = new Uint8Array(await image.blob.arrayBuffer());
  const result = await api.segmentImage({
    bytes,
    fileName: record.fileName,
    ...(threshold !== undefined ? { threshold } : {}),
    ...(priority === 'background' ? { priority } : {}),
  });
  if (result.width !== image.width || result.height !== image.height) {
    throw new Error(`The model returned a ${result.width} x ${result.height} mask for a ${image.width} x ${image.height} image.`);
  }
  return result;
}

/**
 * Stores a model's result as a model version with its probability map, so the threshold can be
 * changed later without running the model again. It goes through CaseRepository.addPrediction:
 * it becomes the case's mask only over another prediction (or none); over a person's or
 * ground-truth mask, or on an approved case when `approved` is 'history', it is kept in the
 * history; an approved case is otherwise skipped (`version` null).
 */
export async function savePrediction(
  repository: Pick<CaseRepository, 'addPrediction'>,
  caseId: string,
  result: SegmentImageResult,
  threshold?: number,
  options: { approved?: 'skip' | 'history' } = {},
): Promise<{ version: MaskVersionRecord | null; placement: PredictionPlacement }> {
  return repository.addPrediction(
    {
      caseId,
      png: new Blob([result.maskPng as Uint8Array<ArrayBuffer>], { type: 'image/png' }),
      author: `${result.model.name}@${result.model.version}`,
      area: result.lesionAreaPx,
      probabilityMap: { width: result.probWidth, height: result.probHeight, data: new Blob([result.prob as Float32Array<ArrayBuffer>]) },
      ...(threshold !== undefined ? { threshold } : {}),
      uncertainty: result.uncertainty,
    },
    options,
  );
}

/** runPrediction, then savePrediction. */
export async function storePrediction(
  api: Pick<LesionDeskApi, 'segmentImage'>,
  repository: Pick<CaseRepository, 'addPrediction'>,
  record: CaseRecord,
  image: ImageRecord,
  threshold?: number,
  options: { approved?: 'skip' | 'history' } = {},
): Promise<{ version: MaskVersionRecord | null; placement: PredictionPlacement; result: SegmentImageResult }> {
  const result = await runPrediction(api, record, image, threshold);
  return { ...(await savePrediction(repository, record.id, result, threshold, options)), result };
}
