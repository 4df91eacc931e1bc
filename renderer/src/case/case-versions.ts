/**
 * Which stored mask versions the case view uses, and how the editor's autosave writes its own:
 * the first save of an editing session adds a person version whose parent is the version the
 * session started from; later saves overwrite that draft, so a session leaves one version, not
 * one per stroke. If another version became the latest meanwhile (a new prediction, an import),
 * the next save starts a new version on top of it.
 */
import type { LesionDeskApi, SegmentImageResult } from '../../../preload/api.ts';
import type { CaseRecord, CaseRepository, ImageRecord, MaskVersionRecord, NewMaskVersion } from '../storage/index.ts';

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

/** A version as one line of the compare menu: "scsonet@1.0.0 · model · 25 Nov 14:03". */
export function versionLabel(version: MaskVersionRecord, locale?: string): string {
  const when = new Date(version.createdAt).toLocaleString(locale, { day: 'numeric', month: 'short', hour: '2-digit', minute: '2-digit' });
  const kind = version.authorKind === 'ground-truth' ? 'ground truth' : version.authorKind;
  return `${version.author} · ${kind} · ${when}`;
}

/** The part of the repository the writer needs (a fake in tests). */
export type VersionStore = Pick<CaseRepository, 'addMaskVersion' | 'updateMaskVersion'>;

export class PersonVersionWriter {
  private readonly store: VersionStore;
  private readonly caseId: string;
  private readonly author: string;
  private parentId: string | null;
  private draftId: string | null = null;

  /** `parentId` is the version the editing session started from (null for an empty mask). */
  constructor(store: VersionStore, caseId: string, author: string, parentId: string | null) {
    this.store = store;
    this.caseId = caseId;
    this.author = author;
    this.parentId = parentId;
  }

  /** The session's draft version, once the first save has created it. */
  get versionId(): string | null {
    return this.draftId;
  }

  /** Saves the mask: a new person version the first time, the same draft afterwards. */
  async write(png: Blob, area: number): Promise<MaskVersionRecord> {
    if (this.draftId) {
      try {
        return await this.store.updateMaskVersion(this.draftId, { png, area });
      } catch (error) {
        if ((error as { code?: unknown }).code !== 'not-latest') throw error;
        // Someone else's version is the latest now: keep ours as a new version on top of it.
        this.parentId = this.draftId;
        this.draftId = null;
      }
    }
    const input: NewMaskVersion = { caseId: this.caseId, png, authorKind: 'person', author: this.author, area, parentVersionId: this.parentId };
    const created = await this.store.addMaskVersion(input);
    this.draftId = created.id;
    return created;
  }

  /** Starts a new draft on top of `parentId` (after restoring a version, say). */
  restartFrom(parentId: string | null): void {
    this.parentId = parentId;
    this.draftId = null;
  }
}

/**
 * Runs the model on the case's image and stores the result as a model version with its
 * probability map, so the threshold can be changed later without running the model again.
 */
export async function storePrediction(
  api: Pick<LesionDeskApi, 'segmentImage'>,
  repository: Pick<CaseRepository, 'addMaskVersion'>,
  record: CaseRecord,
  image: ImageRecord,
  threshold?: number,
): Promise<{ version: MaskVersionRecord; result: SegmentImageResult }> {
  const bytes = new Uint8Array(await image.blob.arrayBuffer());
  const result = await api.segmentImage({ bytes, fileName: record.fileName, ...(threshold !== undefined ? { threshold } : {}) });
  if (result.width !== image.width || result.height !== image.height) {
    throw new Error(`The model returned a ${result.width} x ${result.height} mask for a ${image.width} x ${image.height} image.`);
  }
  const version = await repository.addMaskVersion({
    caseId: record.id,
    png: new Blob([result.maskPng as Uint8Array<ArrayBuffer>], { type: 'image/png' }),
    authorKind: 'model',
    author: `${result.model.name}@${result.model.version}`,
    area: result.lesionAreaPx,
    parentVersionId: record.latestVersionId,
    probabilityMap: { width: result.probWidth, height: result.probHeight, data: new Blob([result.prob as Float32Array<ArrayBuffer>]) },
    ...(threshold !== undefined ? { threshold } : {}),
    uncertainty: result.uncertainty,
  });
  return { version, result };
}
