/**
 * The typed repository over the LesionDesk database: the only way the rest of the renderer reads
 * or writes annotation data. Every multi-table change runs in one IndexedDB transaction, so a
 * crash leaves either the whole change or none of it.
 */
import { Dexie, liveQuery, type Collection, type Observable } from 'dexie';
import {
  LesionDatabase,
  adoptGroundTruthStatus,
  caseRecordFromRow,
  groundTruthSchemaVersion,
  caseRowFromRecord,
  recordPastSplits,
  splitByContentSchemaVersion,
  uncertaintyKeyOf,
  latestSchemaVersion,
  type CaseRow,
  type ImageRow,
  type MaskVersionRow,
  type PendingDeltaRow,
  type PendingEditRow,
  type ThumbnailRow,
} from './database.ts';
import {
  StorageError,
  caseStatuses,
  defaultSettings,
  type AnnotatorProfile,
  type AuthorKind,
  type AppSettings,
  type CaseCounts,
  type CasePage,
  type CaseQuery,
  type CaseRecord,
  type CaseSnapshot,
  type LibrarySnapshot,
  type CaseSortKey,
  type CaseStatus,
  type DatabaseSnapshot,
  type ImageRecord,
  type ImportImageResult,
  type MaskVersionRecord,
  type NewImage,
  type NewMaskVersion,
  type NewPrediction,
  type PendingDelta,
  type PendingEdit,
  type StatusChangeRecord,
  type StoredPrediction,
} from './types.ts';
import { isStalePrediction } from './stale.ts';
import { transitionProblem } from './workflow.ts';
import { errorMessage } from '../lib/format.ts';

/** Name of the production database. */
export const defaultDatabaseName = 'lesiondesk';

const sortIndex: Record<CaseSortKey, 'nameKey' | 'createdAt' | 'uncertaintyKey'> = {
  name: 'nameKey',
  date: 'createdAt',
  uncertainty: 'uncertaintyKey',
};
const naturalDirection: Record<CaseSortKey, 'asc' | 'desc'> = { name: 'asc', date: 'desc', uncertainty: 'desc' };
const profileKey = 'annotator';

/** Hex SHA-256 of a blob's bytes (the de-duplication key of images). */
export async function sha256Hex(blob: Blob): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', await blob.arrayBuffer()));
  return Array.from(digest, (b) => b.toString(16).padStart(2, '0')).join('');
}

/** Open (creating or upgrading) the database and return its repository. */
export async function openCaseRepository(name: string = defaultDatabaseName): Promise<CaseRepository> {
  const db = new LesionDatabase(name);
  try {
    await db.open();
  } catch (error) {
    // The usual cause is a database written by a newer LesionDesk; Dexie's own text names neither.
    const detail = errorMessage(error);
    throw new Error(`The LesionDesk database could not be opened (${detail}). If a newer LesionDesk created it, update this one.`, { cause: error });
  }
  return new CaseRepository(db);
}

function isPositiveInteger(n: number): boolean {
  return Number.isInteger(n) && n > 0;
}

function isCalibration(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value) && value > 0;
}

function requireCase(row: CaseRow | undefined, caseId: string): CaseRow {
  if (!row) throw new StorageError('not-found', `No case with id ${caseId}.`);
  return row;
}

function clockTime(at: number): string {
  return new Date(at).toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit' });
}

/** Refuses a person's change to an approved case: approval is a decision, undone only by reopening. */
/** Refuses a version whose area is not a whole pixel count or that names no author. */
function checkNewVersion(input: { area: number; author: string }, noAuthor: string): void {
  if (!(input.area >= 0) || !Number.isInteger(input.area)) {
    throw new StorageError('invalid-input', `A mask area must be a whole number of pixels, not ${input.area}.`);
  }
  if (!input.author.trim()) throw new StorageError('invalid-input', noAuthor);
}

/** The stored row of a new mask version. */
function newVersionRow(input: NewPrediction, authorKind: AuthorKind, parentVersionId: string | null): MaskVersionRow {
  return {
    id: crypto.randomUUID(),
    caseId: input.caseId,
    png: input.png,
    authorKind,
    author: input.author,
    createdAt: input.createdAt ?? Date.now(),
    area: input.area,
    parentVersionId,
    ...(input.probabilityMap ? { probabilityMap: input.probabilityMap } : {}),
    ...(input.threshold !== undefined ? { threshold: input.threshold } : {}),
  };
}

function approvedRefusal(row: CaseRow, latest: MaskVersionRecord | null): StorageError {
  return new StorageError('approved', `${row.fileName} is approved; reopen it before changing its mask.`, latest);
}

/** Refuses a write on top of a version that is no longer the latest. */
function conflictRefusal(row: CaseRow, latest: MaskVersionRecord | null): StorageError {
  const who = latest ? `${latest.author} saved a newer version of ${row.fileName} at ${clockTime(latest.createdAt)}` : `The versions of ${row.fileName} changed`;
  return new StorageError('conflict', `${who} (in another window, or by a background task).`, latest);
}

interface QueryPlan {
  /** The sort index range, ascending. */
  range: () => Collection<CaseRow, string>;
  statuses: CaseStatus[];
  /** Whether filters beyond a single status apply. */
  filtered: boolean;
  descending: boolean;
}

/** Cases, images, mask versions, workflow, settings and the annotator profile. */
export class CaseRepository {
  /** The newest createdAt this repository gave a case (see importImages). */
  private lastCreatedAt = 0;

  constructor(private readonly db: LesionDatabase) {}

  /** Close the underlying database connection. */
  close(): void {
    this.db.close();
  }

  /** Import images; bytes already in the database (same SHA-256) are skipped, not duplicated. */
  async importImages(images: readonly NewImage[]): Promise<ImportImageResult[]> {
    const prepared = await Promise.all(
      images.map(async (image) => {
        if (!image.fileName.trim()) throw new StorageError('invalid-input', 'An imported image needs a file name.');
        if (!isPositiveInteger(image.width) || !isPositiveInteger(image.height)) {
          throw new StorageError('invalid-input', `${image.fileName}: the image size ${image.width}x${image.height} is not valid.`);
        }
        return { ...image, sha256: image.sha256 ?? (await sha256Hex(image.blob)) };
      }),
    );
    const { db } = this;
    return db.transaction('rw', [db.cases, db.images, db.thumbnails], async () => {
      const existing = await db.images.where('sha256').anyOf(prepared.map((p) => p.sha256)).toArray();
      const caseBySha = new Map(existing.map((row) => [row.sha256, row.caseId]));
      const results: ImportImageResult[] = [];
      const caseRows: CaseRow[] = [];
      const imageRows: ImageRow[] = [];
      const thumbnailRows: ThumbnailRow[] = [];
      // Import order is the 'date' order: one millisecond apart per image, after any case
      // this repository created before, so images written in one burst do not tie.
      let now = Math.max(Date.now(), this.lastCreatedAt + 1);
      for (const image of prepared) {
        const known = caseBySha.get(image.sha256);
        if (known) {
          results.push({ caseId: known, duplicate: true });
          continue;
        }
        const caseId = crypto.randomUUID();
        caseBySha.set(image.sha256, caseId);
        results.push({ caseId, duplicate: false });
        const record: CaseRecord = {
          id: caseId,
          fileName: image.fileName,
          status: 'new',
          createdAt: now,
          updatedAt: now,
          assignee: image.assignee ?? null,
          uncertainty: null,
          latestVersionId: null,
          activeModel: null,
          hasCorrection: false,
          width: image.width,
          height: image.height,
          pixelsPerMm: null,
          ...(image.patientId ? { patientId: image.patientId } : {}),
          ...(image.lesionId ? { lesionId: image.lesionId } : {}),
        };
        caseRows.push(caseRowFromRecord(record));
        this.lastCreatedAt = now++;
        imageRows.push({ caseId, blob: image.blob, width: image.width, height: image.height, sha256: image.sha256 });
        if (image.thumbnail) thumbnailRows.push({ caseId, blob: image.thumbnail });
      }
      await db.cases.bulkAdd(caseRows);
      await db.images.bulkAdd(imageRows);
      if (thumbnailRows.length) await db.thumbnails.bulkAdd(thumbnailRows);
      return results;
    });
  }

  /** Import one image; see importImages. */
  async importImage(image: NewImage): Promise<ImportImageResult> {
    const [result] = await this.importImages([image]);
    return result!;
  }

  /** The case whose image has these bytes (hex SHA-256), if any. */
  async findCaseIdBySha256(sha256: string): Promise<string | undefined> {
    return (await this.db.images.where('sha256').equals(sha256).first())?.caseId;
  }

  /** One case, or undefined. */
  async getCase(caseId: string): Promise<CaseRecord | undefined> {
    const row = await this.db.cases.get(caseId);
    return row && caseRecordFromRow(row);
  }

  /** Several cases by id, in the given order (missing ids are left out). */
  async getCases(caseIds: readonly string[]): Promise<CaseRecord[]> {
    const rows = await this.db.cases.bulkGet([...caseIds]);
    return rows.filter((row): row is CaseRow => row !== undefined).map(caseRecordFromRow);
  }

  /** The SHA-256 (hex) of each case's image bytes, by case id (the blobs are not read). */
  async getImageDigests(caseIds: readonly string[]): Promise<Map<string, string>> {
    const rows = await this.db.images.bulkGet([...caseIds]);
    return new Map(rows.filter((row): row is ImageRow => row !== undefined).map((row) => [row.caseId, row.sha256]));
  }

  /** The original image of a case. */
  async getImage(caseId: string): Promise<ImageRecord | undefined> {
    return this.db.images.get(caseId);
  }

  /** The library thumbnail of a case. */
  async getThumbnail(caseId: string): Promise<Blob | undefined> {
    return (await this.db.thumbnails.get(caseId))?.blob;
  }

  /** Store or replace a case's thumbnail. */
  async setThumbnail(caseId: string, blob: Blob): Promise<void> {
    await this.db.thumbnails.put({ caseId, blob });
  }

  /** Update the descriptive fields of a case (not its status: use setStatus). */
  async updateCase(
    caseId: string,
    changes: Partial<Pick<CaseRecord, 'fileName' | 'patientId' | 'lesionId' | 'assignee'>>,
  ): Promise<CaseRecord> {
    const { db } = this;
    return db.transaction('rw', db.cases, async () => {
      const row = requireCase(await db.cases.get(caseId), caseId);
      const record = { ...caseRecordFromRow(row), ...changes, updatedAt: Date.now() };
      await db.cases.put(caseRowFromRecord(record));
      return record;
    });
  }

  /**
   * Set a case's own calibration (image pixels per millimetre), or clear it with null so the
   * default from the settings applies again.
   */
  async setCaseCalibration(caseId: string, pixelsPerMm: number | null): Promise<CaseRecord> {
    if (pixelsPerMm !== null && !isCalibration(pixelsPerMm)) {
      throw new StorageError('invalid-input', `A calibration must be a positive number of pixels per millimetre, not ${pixelsPerMm}.`);
    }
    const { db } = this;
    return db.transaction('rw', db.cases, async () => {
      const row = requireCase(await db.cases.get(caseId), caseId);
      const next: CaseRow = { ...row, pixelsPerMm, updatedAt: Date.now() };
      await db.cases.put(next);
      return caseRecordFromRow(next);
    });
  }

  /**
   * Take over per-case calibrations kept outside the database by LesionDesk before schema
   * version 3 (localStorage), in one transaction. A case that already has a calibration of its
   * own keeps it; invalid values are ignored. Returns how many cases took a calibration and the
   * ids that name no case (calibrations left behind by deleted cases).
   */
  async adoptCaseCalibrations(values: ReadonlyMap<string, number>): Promise<{ adopted: number; missing: string[] }> {
    const { db } = this;
    const ids = [...values.keys()];
    return db.transaction('rw', db.cases, async () => {
      const rows = await db.cases.bulkGet(ids);
      const changed: CaseRow[] = [];
      const missing: string[] = [];
      rows.forEach((row, i) => {
        const value = values.get(ids[i]!);
        if (!row) missing.push(ids[i]!);
        else if (!isCalibration(row.pixelsPerMm) && isCalibration(value)) changed.push({ ...row, pixelsPerMm: value });
      });
      await db.cases.bulkPut(changed);
      return { adopted: changed.length, missing };
    });
  }

  /** Delete cases with their image, thumbnail, versions and history. */
  async deleteCases(caseIds: readonly string[]): Promise<void> {
    const { db } = this;
    const ids = [...caseIds];
    await db.transaction('rw', [db.cases, db.images, db.thumbnails, db.maskVersions, db.statusHistory, db.pendingEdits, db.pendingDeltas], async () => {
      await db.pendingEdits.bulkDelete(ids);
      for (const id of ids) await db.pendingDeltas.where('[caseId+seq]').between([id, Dexie.minKey], [id, Dexie.maxKey]).delete();
      await db.cases.bulkDelete(ids);
      await db.images.bulkDelete(ids);
      await db.thumbnails.bulkDelete(ids);
      await db.maskVersions.where('caseId').anyOf(ids).delete();
      await db.statusHistory.where('caseId').anyOf(ids).delete();
    });
  }

  /**
   * One window of the library list. The sort (and a single-status filter, through a compound
   * [status+sort] index) comes from an index range. Without other filters the window is read
   * with a cursor that skips `offset` entries, and the total is an index count. With them, the
   * ordered ids of the matches are computed from keys only (sets of primary keys per filter
   * index; case rows are read only to search text) and kept until the next write, so a
   * virtualised list scrolling through the same query reads just the 50-odd rows it shows.
   */
  async listCases(query: CaseQuery = {}): Promise<CasePage> {
    const offset = query.offset ?? 0;
    const limit = query.limit ?? Infinity;
    if (!Number.isInteger(offset) || offset < 0 || !(limit >= 0)) {
      throw new StorageError('invalid-input', 'The list window needs a non-negative offset and limit.');
    }
    const plan = this.queryPlan(query);
    return this.db.transaction('r', this.db.cases, async () => {
      if (!plan.filtered) {
        // Dexie collections change in place under reverse/offset/limit: one range per use.
        const window = plan.descending ? plan.range().reverse() : plan.range();
        const [total, rows] = await Promise.all([plan.range().count(), window.offset(offset).limit(limit).toArray()]);
        return { cases: rows.map(caseRecordFromRow), total };
      }
      const ids = await this.matchingIds(query, plan);
      const rows = await this.db.cases.bulkGet(ids.slice(offset, offset + limit));
      return { cases: rows.filter((row): row is CaseRow => row !== undefined).map(caseRecordFromRow), total: ids.length };
    });
  }

  // Bumped by every write to cases (Dexie hooks see them all, whichever method made them).
  private casesGeneration = 0;
  private listCache: { key: string; generation: number; ids: string[] } | null = null;
  private hooksInstalled = false;

  private installCacheHooks(): void {
    if (this.hooksInstalled) return;
    this.hooksInstalled = true;
    const bump = () => {
      this.casesGeneration++;
    };
    this.db.cases.hook('creating', bump);
    this.db.cases.hook('updating', bump);
    this.db.cases.hook('deleting', bump);
  }

  private async matchingIds(query: CaseQuery, plan: QueryPlan): Promise<string[]> {
    this.installCacheHooks();
    const key = JSON.stringify({ ...query, offset: undefined, limit: undefined });
    if (this.listCache && this.listCache.key === key && this.listCache.generation === this.casesGeneration) return this.listCache.ids;
    const generation = this.casesGeneration;
    const { db } = this;
    const sets: Promise<string[]>[] = [];
    if (plan.statuses.length > 1) sets.push(db.cases.where('status').anyOf(plan.statuses).primaryKeys());
    if (query.hasCorrection !== undefined) sets.push(db.cases.where('hasCorrection').equals(query.hasCorrection ? 1 : 0).primaryKeys());
    if (query.activeModel !== undefined) sets.push(db.cases.where('activeModel').equals(query.activeModel).primaryKeys());
    if (query.assignee !== undefined) sets.push(db.cases.where('assignee').equals(query.assignee).primaryKeys());
    const needle = query.search?.trim().toLowerCase();
    if (needle) {
      sets.push(
        plan
          .range()
          .toArray()
          .then((rows) =>
            rows
              .filter(
                (row) =>
                  row.nameKey.includes(needle) ||
                  (row.patientId?.toLowerCase().includes(needle) ?? false) ||
                  (row.lesionId?.toLowerCase().includes(needle) ?? false),
              )
              .map((row) => row.id),
          ),
      );
    }
    // getAllKeys has no direction: read ascending and reverse here rather than walk a cursor.
    const [ordered, ...filters] = await Promise.all([plan.range().primaryKeys(), ...sets]);
    const allowed = filters.map((ids) => new Set(ids));
    const ids = ordered.filter((id) => allowed.every((set) => set.has(id)));
    if (plan.descending) ids.reverse();
    this.listCache = { key, generation, ids };
    return ids;
  }

  private queryPlan(query: CaseQuery): QueryPlan {
    const sort = query.sort ?? 'date';
    const index = sortIndex[sort];
    const statuses = query.status === undefined ? [] : typeof query.status === 'string' ? [query.status] : [...query.status];
    const range = (): Collection<CaseRow, string> =>
      statuses.length === 1
        ? this.db.cases.where(`[status+${index}]`).between([statuses[0], Dexie.minKey], [statuses[0], Dexie.maxKey])
        : this.db.cases.orderBy(index);
    const filtered =
      statuses.length > 1 ||
      query.hasCorrection !== undefined ||
      query.activeModel !== undefined ||
      query.assignee !== undefined ||
      !!query.search?.trim();
    return { range, statuses, filtered, descending: (query.direction ?? naturalDirection[sort]) === 'desc' };
  }

  /** Case counts for the library header (index counts, no rows are read). */
  async countCases(): Promise<CaseCounts> {
    const { db } = this;
    return db.transaction('r', db.cases, async () => {
      const perStatus = await Promise.all(caseStatuses.map((s) => db.cases.where('status').equals(s).count()));
      const byStatus = Object.fromEntries(caseStatuses.map((s, i) => [s, perStatus[i]!])) as Record<CaseStatus, number>;
      return {
        total: await db.cases.count(),
        byStatus,
        withCorrection: await db.cases.where('hasCorrection').equals(1).count(),
      };
    });
  }

  /** The `name@version` of every model that has a prediction on some case. */
  async listActiveModels(): Promise<string[]> {
    return (await this.db.cases.orderBy('activeModel').uniqueKeys()).map(String);
  }

  /**
   * Save a new mask version and make it the case's latest. A model's version goes where
   * addPrediction puts it (expectedLatestVersionId does not apply to it). Saving moves the
   * workflow on its own: a model prediction takes a new case to `predicted`, and a person's edit takes a new,
   * predicted or flagged case to `in-progress`. A person's edit of an approved case is refused
   * (`approved`): it must be reopened first. With `expectedLatestVersionId` the write is refused
   * (`conflict`) unless that is still the latest version; with `historyOnly` the version is kept
   * in the history and neither the latest version nor the status moves.
   */
  async addMaskVersion(input: NewMaskVersion): Promise<MaskVersionRecord> {
    checkNewVersion(input, 'A mask version needs an author.');
    // A model's version follows the prediction rule (never over a person's or ground-truth mask,
    // never the mask of an approved case), whoever asks: there is one place that decides it.
    if (input.authorKind === 'model' && !input.historyOnly) {
      const { version } = await this.addPrediction({ ...input, parentVersionId: input.parentVersionId ?? null }, { approved: 'history' });
      return version!;
    }
    const { db } = this;
    return db.transaction('rw', [db.cases, db.maskVersions, db.statusHistory], async () => {
      const row = requireCase(await db.cases.get(input.caseId), input.caseId);
      if (!input.historyOnly) {
        const latest = row.latestVersionId ? ((await db.maskVersions.get(row.latestVersionId)) ?? null) : null;
        if (input.authorKind === 'person' && row.status === 'approved') throw approvedRefusal(row, latest);
        if (
          input.expectedLatestVersionId !== undefined &&
          (input.expectedLatestVersionId !== row.latestVersionId || (latest?.revision ?? 0) !== (input.expectedLatestRevision ?? 0))
        ) {
          throw conflictRefusal(row, latest);
        }
      }
      const version = newVersionRow(input, input.authorKind, input.parentVersionId ?? null);
      await db.maskVersions.add(version);
      if (input.historyOnly) return version;

      const now = Date.now();
      const next: CaseRow = { ...row, latestVersionId: version.id, updatedAt: now };
      // A person's edit takes the case to in-progress. Ground truth makes a new or predicted case
      // `ground-truth` (its reference mask needs no review); a case someone is reviewing, or has
      // decided on, keeps its status.
      if (input.authorKind === 'person') {
        next.hasCorrection = 1;
        if (row.status !== 'in-progress') {
          next.status = 'in-progress';
          await db.statusHistory.add({ caseId: row.id, from: row.status, to: 'in-progress', comment: 'mask edited', author: input.author, at: now });
        }
      } else if (input.authorKind === 'ground-truth' && (row.status === 'new' || row.status === 'predicted')) {
        next.status = 'ground-truth';
        await db.statusHistory.add({ caseId: row.id, from: row.status, to: 'ground-truth', comment: 'ground-truth mask imported', author: input.author, at: now });
      }
      next.uncertaintyKey = uncertaintyKeyOf(next);
      await db.cases.put(next);
      return version;
    });
  }

  /**
   * Store a model's prediction without ever replacing a person's mask. In one transaction, on
   * the case as it is at that moment (not as it was when the model started): the prediction
   * becomes the latest version only when the latest is a prediction too, or there is none (a
   * new case then moves to `predicted`); over a person's or ground-truth mask it is kept in the
   * history only. An approved case is skipped (nothing written) unless `approved: 'history'`
   * asks to keep the prediction in its history (the case view showing an approved case's
   * probabilities). Whenever it is stored, the case's `activeModel` and `uncertainty` name this
   * prediction, which is now the case's latest one, so it is no longer stale.
   */
  async addPrediction(input: NewPrediction, options: { approved?: 'skip' | 'history' } = {}): Promise<StoredPrediction> {
    checkNewVersion(input, 'A prediction needs the name@version of its model.');
    const { db } = this;
    return db.transaction('rw', [db.cases, db.maskVersions, db.statusHistory], async () => {
      const row = requireCase(await db.cases.get(input.caseId), input.caseId);
      const approved = row.status === 'approved';
      if (approved && options.approved !== 'history') return { version: null, placement: 'skipped' };
      const latest = row.latestVersionId ? ((await db.maskVersions.get(row.latestVersionId)) ?? null) : null;
      const placement = approved || (latest !== null && latest.authorKind !== 'model') ? 'history' : 'latest';
      // A model predicts from the image alone: its version has no parent unless the caller names
      // one (the case's latest mask, often ground truth, is not what it was made from).
      const version = newVersionRow(input, 'model', input.parentVersionId ?? null);
      await db.maskVersions.add(version);
      const now = Date.now();
      const next: CaseRow = { ...row, activeModel: input.author, updatedAt: now };
      if (input.uncertainty !== undefined) next.uncertainty = input.uncertainty;
      if (placement === 'latest') {
        next.latestVersionId = version.id;
        if (row.status === 'new') {
          next.status = 'predicted';
          await db.statusHistory.add({ caseId: row.id, from: row.status, to: 'predicted', comment: 'prediction saved', author: input.author, at: now });
        }
      }
      next.uncertaintyKey = uncertaintyKeyOf(next);
      await db.cases.put(next);
      return { version, placement };
    });
  }

  /**
   * Cases whose latest prediction is stale for `runningModel` (see isStalePrediction), most
   * uncertain first (the review queue's order); approved ones only with `includeApproved`.
   * Reads the activeModel index: cases no model has predicted are not in it.
   */
  async listStaleCases(runningModel: string, options: { includeApproved?: boolean } = {}): Promise<CaseRecord[]> {
    const rows = await this.db.cases.where('activeModel').notEqual(runningModel).toArray();
    return rows
      .map(caseRecordFromRow)
      .filter((record) => isStalePrediction(record, runningModel) && (options.includeApproved || record.status !== 'approved'))
      .sort((a, b) => (b.uncertainty ?? -1) - (a.uncertainty ?? -1) || a.createdAt - b.createdAt);
  }

  /**
   * How many cases carry a stale prediction (approved ones included): two index counts, below
   * and above the running model's key (a notEqual collection would walk its keys to count them).
   */
  async countStaleCases(runningModel: string): Promise<number> {
    const { db } = this;
    return db.transaction('r', db.cases, async () => {
      const [below, above] = await Promise.all([db.cases.where('activeModel').below(runningModel).count(), db.cases.where('activeModel').above(runningModel).count()]);
      return below + above;
    });
  }

  /**
   * How many cases a re-prediction with `runningModel` (repredictStale) would act on now: the
   * unapproved cases whose latest prediction is stale, less `except` (the case open in the
   * editor, which it leaves to its view). Index counts: all stale cases below and above the
   * running model's key, less the approved ones ([status+activeModel]).
   */
  async countCasesToRepredict(runningModel: string, options: { except?: string | null } = {}): Promise<number> {
    const { db } = this;
    return db.transaction('r', db.cases, async () => {
      const approved = (lower: unknown, upper: unknown) => db.cases.where('[status+activeModel]').between(['approved', lower], ['approved', upper], false, false).count();
      const [stale, approvedBelow, approvedAbove, open] = await Promise.all([
        this.countStaleCases(runningModel),
        approved(Dexie.minKey, runningModel),
        approved(runningModel, Dexie.maxKey),
        options.except ? db.cases.get(options.except) : undefined,
      ]);
      const openCounts = open !== undefined && open.status !== 'approved' && isStalePrediction(open, runningModel);
      return stale - approvedBelow - approvedAbove - (openCounts ? 1 : 0);
    });
  }

  /**
   * Overwrite a person's latest version in place: autosave of the stroke just committed, so an
   * editing session leaves one version rather than one per stroke.
   */
  async updateMaskVersion(versionId: string, changes: { png: Blob; area: number }): Promise<MaskVersionRecord> {
    const { db } = this;
    return db.transaction('rw', [db.cases, db.maskVersions], async () => {
      const version = await db.maskVersions.get(versionId);
      if (!version) throw new StorageError('not-found', `No mask version with id ${versionId}.`);
      const row = requireCase(await db.cases.get(version.caseId), version.caseId);
      if (version.authorKind !== 'person') {
        throw new StorageError('not-latest', 'Only a version saved by a person can be updated; save a new version instead.');
      }
      if (row.latestVersionId !== versionId) {
        throw conflictRefusal(row, row.latestVersionId ? ((await db.maskVersions.get(row.latestVersionId)) ?? null) : null);
      }
      if (row.status === 'approved') throw approvedRefusal(row, version);
      const updated: MaskVersionRow = { ...version, png: changes.png, area: changes.area, revision: (version.revision ?? 0) + 1 };
      await db.maskVersions.put(updated);
      await db.cases.update(row.id, { updatedAt: Date.now() });
      return updated;
    });
  }

  /**
   * The case and its versions as they change, in this window or any other (Dexie liveQuery
   * follows every write to the database, whichever tab made it).
   */
  observeCase(caseId: string): Observable<CaseSnapshot> {
    return liveQuery(async () => ({ record: await this.getCase(caseId), versions: await this.listVersions(caseId) }));
  }

  /** The library's counts as they change, in this window or any other. */
  observeCounts(): Observable<CaseCounts> {
    return liveQuery(() => this.countCases());
  }

  /**
   * Any read of this repository as it changes, in this window or any other: the renderer's
   * LiveQuery (lib/live-query.svelte.ts) wraps what this returns, so only this module imports
   * Dexie. The read must use only this repository's methods (Dexie follows what they touch).
   */
  observe<T>(read: () => Promise<T>): Observable<T> {
    return liveQuery(read);
  }

  /** What the library's header and filters show: the counts and the models with predictions. */
  observeLibrary(): Observable<LibrarySnapshot> {
    return liveQuery(async () => ({ counts: await this.countCases(), models: await this.listActiveModels() }));
  }

  /** Store (replace) the unsaved edit of a case; see PendingEditRow. */
  async putPendingEdit(edit: PendingEdit): Promise<void> {
    await this.db.pendingEdits.put(edit satisfies PendingEditRow);
  }

  /** The unsaved edit of a case, if one was left behind. */
  async getPendingEdit(caseId: string): Promise<PendingEdit | undefined> {
    return this.db.pendingEdits.get(caseId);
  }

  /** Every unsaved edit (their masks included), oldest first. */
  async listPendingEdits(): Promise<PendingEdit[]> {
    return (await this.db.pendingEdits.toArray()).sort((a, b) => a.editedAt - b.editedAt);
  }

  /**
   * Remove a case's unsaved edit once it is saved: only if it is not newer than `editedAt`
   * (a stroke made while the save ran keeps its own entry).
   */
  async deletePendingEdit(caseId: string, editedAt: number = Infinity): Promise<void> {
    const { db } = this;
    await db.transaction('rw', db.pendingEdits, async () => {
      const row = await db.pendingEdits.get(caseId);
      if (row && row.editedAt <= editedAt) await db.pendingEdits.delete(caseId);
    });
  }

  /**
   * Append (or replace) one edit's delta. The IndexedDB transaction is opened, written and
   * committed in this same task: Dexie asks for the commit only after the write's success
   * event, a round trip a page closed right after the edit does not live to see (the
   * transaction is then dropped with the page). With the commit requested up front the
   * database finishes it on its own. Resolves when it is durable.
   */
  appendPendingDelta(delta: PendingDelta): Promise<void> {
    return new Promise((resolve, reject) => {
      const transaction = this.db.backendDB().transaction('pendingDeltas', 'readwrite');
      transaction.oncomplete = () => resolve();
      transaction.onabort = () => reject(transaction.error ?? new Error('The edit was not written (the transaction was aborted).'));
      transaction.objectStore('pendingDeltas').put(delta satisfies PendingDeltaRow);
      transaction.commit();
    });
  }

  /** The deltas not yet saved, of one case or of all, in the order they were made per case. */
  async listPendingDeltas(caseId?: string): Promise<PendingDelta[]> {
    const table = this.db.pendingDeltas;
    if (caseId === undefined) return table.toArray();
    return table.where('[caseId+seq]').between([caseId, Dexie.minKey], [caseId, Dexie.maxKey]).toArray();
  }

  /**
   * Remove a case's deltas up to and including `throughSeq` (they are in a saved version). One
   * request in a transaction committed at once, like appendPendingDelta: a read-write
   * transaction on this store holds back the next stroke's append until it ends, and Dexie's
   * range delete walks a cursor with round trips to this page (a busy main thread stretched
   * them), so a page closed right after a stroke made during a save lost that stroke.
   */
  async deletePendingDeltas(caseId: string, throughSeq: number): Promise<void> {
    if (!this.db.isOpen()) await this.db.open();
    await new Promise<void>((resolve, reject) => {
      const transaction = this.db.backendDB().transaction('pendingDeltas', 'readwrite');
      transaction.oncomplete = () => resolve();
      transaction.onabort = () => reject(transaction.error ?? new Error('The saved edits were not removed from the journal (the transaction was aborted).'));
      transaction.objectStore('pendingDeltas').delete(IDBKeyRange.bound([caseId, -Infinity], [caseId, throughSeq]));
      transaction.commit();
    });
  }

  /** Every version of a case, oldest first. */
  async listVersions(caseId: string): Promise<MaskVersionRecord[]> {
    return this.db.maskVersions.where('[caseId+createdAt]').between([caseId, Dexie.minKey], [caseId, Dexie.maxKey]).toArray();
  }

  /** One mask version. */
  async getVersion(versionId: string): Promise<MaskVersionRecord | undefined> {
    return this.db.maskVersions.get(versionId);
  }

  /** Move a case along the workflow; refuses a move the workflow forbids and a flag without comment. */
  async setStatus(caseId: string, to: CaseStatus, options: { comment?: string; author?: string } = {}): Promise<CaseRecord> {
    const author = options.author ?? (await this.getProfile())?.name ?? 'unknown';
    const comment = options.comment?.trim() ?? '';
    const { db } = this;
    return db.transaction('rw', [db.cases, db.statusHistory], async () => {
      const row = requireCase(await db.cases.get(caseId), caseId);
      const problem = transitionProblem(row.status, to, comment);
      if (problem) throw new StorageError(to === 'flagged' && comment === '' ? 'comment-required' : 'invalid-transition', problem);
      const at = Date.now();
      const next: CaseRow = { ...row, status: to, updatedAt: at };
      next.uncertaintyKey = uncertaintyKeyOf(next);
      await db.cases.put(next);
      await db.statusHistory.add({ caseId, from: row.status, to, comment, author, at });
      return caseRecordFromRow(next);
    });
  }

  /** Workflow history of a case, oldest first. */
  async getStatusHistory(caseId: string): Promise<StatusChangeRecord[]> {
    return (await this.db.statusHistory.where('caseId').equals(caseId).toArray()).sort((a, b) => a.at - b.at || (a.id ?? 0) - (b.id ?? 0));
  }

  /** All settings, defaults filled in. */
  async getSettings(): Promise<AppSettings> {
    const rows = await this.db.settings.toArray();
    const stored = Object.fromEntries(rows.filter((r) => r.key in defaultSettings).map((r) => [r.key, r.value]));
    return { ...defaultSettings, ...stored } as AppSettings;
  }

  /** Change some settings. */
  async setSettings(changes: Partial<AppSettings>): Promise<AppSettings> {
    const rows = Object.entries(changes)
      .filter(([, value]) => value !== undefined)
      .map(([key, value]) => ({ key, value: value as unknown }));
    await this.db.settings.bulkPut(rows);
    return this.getSettings();
  }

  /** The annotator profile, or undefined before the first-start question was answered. */
  async getProfile(): Promise<AnnotatorProfile | undefined> {
    const row = await this.db.profile.get(profileKey);
    return row && { name: row.name, createdAt: row.createdAt };
  }

  /** Set the annotator's name (first start, or a change of name). */
  async setProfile(profile: { name: string }): Promise<AnnotatorProfile> {
    const name = profile.name.trim();
    if (!name) throw new StorageError('invalid-input', 'Please enter your name; it is recorded with every mask you save.');
    const existing = await this.db.profile.get(profileKey);
    const row = { key: profileKey, name, createdAt: existing?.createdAt ?? Date.now() };
    await this.db.profile.put(row);
    return { name: row.name, createdAt: row.createdAt };
  }

  /**
   * True when the library holds no case (nor an unsaved edit of one). Settings and the profile do
   * not count: a restore replaces no work then, so it needs no confirmation.
   */
  async isEmpty(): Promise<boolean> {
    const { db } = this;
    return db.transaction('r', [db.cases, db.pendingEdits], async () => (await db.cases.count()) === 0 && (await db.pendingEdits.count()) === 0);
  }

  /** Everything, for a backup. Blob contents are read only when the backup writes them. */
  async snapshot(): Promise<DatabaseSnapshot> {
    const { db } = this;
    return db.transaction('r', db.tables, async () => {
      const profile = await this.getProfile();
      return {
        schemaVersion: latestSchemaVersion,
        cases: (await db.cases.toArray()).map(caseRecordFromRow),
        images: await db.images.toArray(),
        thumbnails: await db.thumbnails.toArray(),
        maskVersions: await db.maskVersions.toArray(),
        statusHistory: await db.statusHistory.toArray(),
        settings: await db.settings.toArray(),
        profile: profile ?? null,
      };
    });
  }

  /**
   * Replace the library (cases, images, versions, history, settings) with a snapshot. Refuses a
   * library with cases unless `replace` is set (the UI sets it only after the user confirmed
   * losing them). The annotator profile is kept, never taken from the snapshot: it names the
   * person at this computer, who makes the next edits; the snapshot's versions keep their authors.
   */
  async restoreSnapshot(snapshot: DatabaseSnapshot, options: { replace?: boolean } = {}): Promise<void> {
    if (snapshot.schemaVersion > latestSchemaVersion) {
      throw new StorageError('invalid-input', `This backup comes from a newer LesionDesk (schema ${snapshot.schemaVersion}); update LesionDesk to restore it.`);
    }
    const { db } = this;
    const replaced = db.tables.filter((table) => table.name !== db.profile.name);
    await db.transaction('rw', replaced, async () => {
      // Checked inside the transaction: a case imported meanwhile is never replaced unasked.
      if (!options.replace && ((await db.cases.count()) > 0 || (await db.pendingEdits.count()) > 0)) {
        throw new StorageError('not-empty', 'The library already holds cases; restoring would replace them. Confirm to replace.');
      }
      await Promise.all(replaced.map((table) => table.clear()));
      await db.cases.bulkAdd(snapshot.cases.map(caseRowFromRecord));
      await db.images.bulkAdd(snapshot.images);
      await db.thumbnails.bulkAdd(snapshot.thumbnails);
      await db.maskVersions.bulkAdd(snapshot.maskVersions);
      await db.statusHistory.bulkAdd(snapshot.statusHistory);
      await db.settings.bulkAdd(snapshot.settings);
      // A backup from before the ground-truth status gets the upgrade an old database gets.
      if (snapshot.schemaVersion < groundTruthSchemaVersion) await adoptGroundTruthStatus(db.cases, db.maskVersions, db.statusHistory);
      // ...and one from before the split by content keeps its cases' past sides.
      if (snapshot.schemaVersion < splitByContentSchemaVersion) await recordPastSplits(db.cases, db.statusHistory, db.settings);
    });
  }
}
