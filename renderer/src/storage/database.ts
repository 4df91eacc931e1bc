/**
 * The IndexedDB schema (Dexie) and its migrations. Rows carry a few index-only fields that the
 * public records do not: IndexedDB cannot index null or booleans, so `uncertaintyKey` (-1 when
 * unknown, -2 for ground truth, sorting those last in the review queue: uncertaintyKeyOf) and
 * `hasCorrection` (0 | 1) stand in for them.
 */
import { Dexie, type Table, type Transaction } from 'dexie';
import type { CaseRecord, MaskVersionRecord, PendingDelta, StatusChangeRecord } from './types.ts';

/**
 * A case as stored (schema version 3): the public record plus the index-only fields. Added over
 * the versions: `nameKey` and `hasCorrection` (filled from the mask versions) in 2,
 * `pixelsPerMm` in 3 (null there: older versions kept calibrations in localStorage).
 */
export type CaseRow = Omit<CaseRecord, 'hasCorrection'> & {
  /** Lower-cased file name: case-insensitive sort by name. */
  nameKey: string;
  uncertaintyKey: number;
  hasCorrection: 0 | 1;
};

/** An image as stored. */
export interface ImageRow {
  caseId: string;
  blob: Blob;
  width: number;
  height: number;
  sha256: string;
}

/** A thumbnail as stored (version 2; kept apart from cases so listing never loads blobs). */
export interface ThumbnailRow {
  caseId: string;
  blob: Blob;
}

/** A mask version as stored: exactly the public record (it needs no index-only fields). */
export type MaskVersionRow = MaskVersionRecord;

/** A key/value setting. */
export interface SettingRow {
  key: string;
  value: unknown;
}

/**
 * An edit not yet saved as a mask version (version 4): the editor's mask in run-length form,
 * written the moment a stroke is committed and deleted once the version with that mask is
 * stored. A reload, a closed tab or a failed save leaves it behind, and opening the case again
 * recovers it.
 */
export interface PendingEditRow {
  caseId: string;
  width: number;
  height: number;
  /** encodeRunLengths of the mask: alternating background/lesion run lengths. */
  runs: Uint32Array;
  area: number;
  author: string;
  /** The version the editing session started from (null: an empty mask). */
  baseVersionId: string | null;
  baseRevision?: number;
  /** The person version this session already saved and keeps updating, if any. */
  draftVersionId: string | null;
  /** When the edit was made (ms); a save removes only the edit it wrote, not a newer one. */
  editedAt: number;
  /** The last save's error, shown until a save succeeds. */
  error?: string;
}

/**
 * One committed edit of a case not yet saved as a version (version 5): the pixels it changed,
 * with their values after it. Appended at the moment of the edit, in a transaction committed
 * in that same task (CaseRepository.appendPendingDelta), because a page closed right after a
 * stroke has no time left for the snapshot's encoding or for a round trip to the database.
 * Replaying a case's deltas in order on the mask they were drawn on gives the editor's mask;
 * each sets pixels rather than flips them, so replaying one the base already holds changes
 * nothing. Deleted with the snapshot once the version with them is saved.
 */
export type PendingDeltaRow = PendingDelta;

/** The annotator profile, one row under the key `annotator`. */
export interface ProfileRow {
  key: string;
  name: string;
  createdAt: number;
}

/** One schema version: Dexie store definitions and the data migration that reaches it. */
interface SchemaVersion {
  version: number;
  stores: Record<string, string | null>;
  upgrade?: (tx: Transaction) => Promise<void>;
}

/** The schema version that introduced the `ground-truth` status (adoptGroundTruthStatus). */
export const groundTruthSchemaVersion = 5;
/** The schema version whose split follows the image's bytes (recordPastSplits). */
export const splitByContentSchemaVersion = 7;

/**
 * Every schema version, oldest first. Never edit a published version; add the next one.
 * Version 2 adds case-insensitive name sorting, the has-correction filter, compound
 * status+sort indexes (a status filter then walks one index range instead of every case) and
 * the thumbnails table. Version 3 adds each case's own calibration (`pixelsPerMm`, not indexed;
 * earlier versions kept it in localStorage, which `adoptCaseCalibrations` moves in once).
 * Version 4 adds the journal of edits not yet saved as versions (`pendingEdits`).
 * Version 5 adds the `ground-truth` status (adoptGroundTruthStatus) and [status+activeModel].
 * Version 6 the per-edit deltas written before a snapshot of the whole mask can be (`pendingDeltas`).
 * Version 7 keeps the fine-tuning side of every case a job may have used (recordPastSplits).
 */
export const schemaVersions: readonly SchemaVersion[] = [
  {
    version: 1,
    stores: {
      cases: 'id, fileName, status, createdAt, updatedAt, uncertaintyKey, assignee, activeModel',
      images: 'caseId, &sha256',
      maskVersions: 'id, caseId, [caseId+createdAt]',
      statusHistory: '++id, caseId, at',
      settings: 'key',
      profile: 'key',
    },
  },
  {
    version: 2,
    stores: {
      cases:
        'id, fileName, nameKey, status, createdAt, updatedAt, uncertaintyKey, assignee, activeModel, hasCorrection, ' +
        '[status+nameKey], [status+createdAt], [status+uncertaintyKey]',
      thumbnails: 'caseId',
    },
    async upgrade(tx) {
      const corrected = new Set<string>();
      await tx
        .table<MaskVersionRow, string>('maskVersions')
        .filter((v) => v.authorKind === 'person')
        .each((v) => corrected.add(v.caseId));
      await tx
        .table<CaseRow, string>('cases')
        .toCollection()
        .modify((row) => {
          row.nameKey = row.fileName.toLowerCase();
          row.hasCorrection = corrected.has(row.id) ? 1 : 0;
        });
    },
  },
  {
    version: 3,
    stores: {},
    async upgrade(tx) {
      await tx
        .table<CaseRow, string>('cases')
        .toCollection()
        .modify((row) => {
          row.pixelsPerMm ??= null;
        });
    },
  },
  {
    // Edits not yet saved as versions (PendingEditRow), keyed by case.
    version: 4,
    stores: { pendingEdits: 'caseId' },
  },
  {
    // The `ground-truth` status: a new or predicted case whose mask is its imported reference
    // mask had stayed "new" (a background prediction joins its history and leaves it so). Such
    // cases sort after every case that needs review in the uncertainty queue (uncertaintyKey).
    // [status+activeModel] counts the unapproved stale cases the re-prediction bar offers.
    version: groundTruthSchemaVersion,
    stores: {
      cases:
        'id, fileName, nameKey, status, createdAt, updatedAt, uncertaintyKey, assignee, activeModel, hasCorrection, ' +
        '[status+nameKey], [status+createdAt], [status+uncertaintyKey], [status+activeModel]',
    },
    async upgrade(tx) {
      await adoptGroundTruthStatus(tx.table('cases'), tx.table('maskVersions'), tx.table('statusHistory'));
    },
  },
  {
    // Each committed edit's changed pixels (PendingDeltaRow), in order per case.
    version: 6,
    stores: { pendingDeltas: '[caseId+seq]' },
  },
  {
    // The fine-tuning split moved from the case id to the image's bytes (issue 17): the cases a
    // job may already have used keep the side their id gave them.
    version: splitByContentSchemaVersion,
    stores: {},
    async upgrade(tx) {
      await recordPastSplits(tx.table('cases'), tx.table('statusHistory'), tx.table('settings'));
    },
  },
];

/**
 * Schema 7's data change, for an upgraded database and a restored backup made before it. Before
 * issue 17 a case's fine-tuning side was decided by its id; since then by its image's bytes. A
 * case keeps the side a job may already have used it on, so no case ever moves sides (a case
 * that validated one job must never train a later one): every case that is approved, or ever
 * was (only approved cases are sent to jobs), is listed in the `splitByCaseId` setting and keeps
 * its id's side; every other case, never sent, gets its image's. Runs inside the caller's
 * transaction (a synchronous list: Dexie upgrades cannot wait for Web Crypto).
 */
export async function recordPastSplits(
  cases: Table<CaseRow, string>,
  history: Table<StatusChangeRecord, number>,
  settings: Table<SettingRow, string>,
): Promise<void> {
  const ever = new Set<string>();
  await cases.where('status').equals('approved').each((row) => ever.add(row.id));
  await history.filter((h) => h.to === 'approved').each((h) => ever.add(h.caseId));
  const existing = (await settings.get('splitByCaseId'))?.value;
  for (const id of Array.isArray(existing) ? (existing as string[]) : []) ever.add(id);
  await settings.put({ key: 'splitByCaseId', value: [...ever].sort() });
}

/**
 * Schema 5's data change, for an upgraded database and a restored backup made before it: every
 * new or predicted case whose latest mask is ground truth becomes `ground-truth`, recorded in its
 * history. Runs inside the caller's transaction.
 */
export async function adoptGroundTruthStatus(
  cases: Table<CaseRow, string>,
  versions: Table<MaskVersionRow, string>,
  history: Table<StatusChangeRecord, number>,
): Promise<void> {
  const at = Date.now();
  for (const row of await cases.where('status').anyOf('new', 'predicted').toArray()) {
    const latest = row.latestVersionId ? await versions.get(row.latestVersionId) : undefined;
    if (latest?.authorKind !== 'ground-truth') continue;
    const next: CaseRow = { ...row, status: 'ground-truth' };
    next.uncertaintyKey = uncertaintyKeyOf(next);
    await cases.put(next);
    await history.add({ caseId: row.id, from: row.status, to: 'ground-truth', comment: 'its mask is imported ground truth (library upgrade)', author: latest.author, at });
  }
}

/** The newest schema version. */
export const latestSchemaVersion = schemaVersions[schemaVersions.length - 1]!.version;

/** The LesionDesk IndexedDB database. */
export class LesionDatabase extends Dexie {
  // `declare`: Dexie defines the table properties itself; a class field would overwrite them.
  declare readonly cases: Table<CaseRow, string>;
  declare readonly images: Table<ImageRow, string>;
  declare readonly thumbnails: Table<ThumbnailRow, string>;
  declare readonly maskVersions: Table<MaskVersionRow, string>;
  declare readonly statusHistory: Table<StatusChangeRecord, number>;
  declare readonly settings: Table<SettingRow, string>;
  declare readonly profile: Table<ProfileRow, string>;
  declare readonly pendingEdits: Table<PendingEditRow, string>;
  declare readonly pendingDeltas: Table<PendingDeltaRow, [string, number]>;

  /** `upToVersion` below the latest exists for migration tests, which build an old database. */
  constructor(name: string, upToVersion: number = latestSchemaVersion) {
    super(name);
    for (const schema of schemaVersions) {
      if (schema.version > upToVersion) break;
      const version = this.version(schema.version).stores(schema.stores);
      if (schema.upgrade) version.upgrade(schema.upgrade);
    }
  }
}

/**
 * The review queue's sort key (most uncertain first, descending): the model's uncertainty; -1
 * when no model has run (after every predicted case); -2 for a ground-truth case, whose mask is
 * the reference and needs no review, so it comes after every case that does.
 */
export function uncertaintyKeyOf(record: Pick<CaseRecord, 'status' | 'uncertainty'>): number {
  if (record.status === 'ground-truth') return -2;
  return record.uncertainty ?? -1;
}

/** Stored row from a public case record. */
export function caseRowFromRecord(record: CaseRecord): CaseRow {
  const { hasCorrection, ...rest } = record;
  return {
    ...rest,
    // A record from before version 3 (an old backup) has no calibration of its own.
    pixelsPerMm: record.pixelsPerMm ?? null,
    nameKey: record.fileName.toLowerCase(),
    uncertaintyKey: uncertaintyKeyOf(record),
    hasCorrection: hasCorrection ? 1 : 0,
  };
}

/** Public case record from a stored row. */
export function caseRecordFromRow(row: CaseRow): CaseRecord {
  const { nameKey: _nameKey, uncertaintyKey: _uncertaintyKey, hasCorrection, ...rest } = row;
  return { ...rest, hasCorrection: hasCorrection === 1 };
}
