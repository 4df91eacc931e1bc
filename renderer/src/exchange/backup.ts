/**
 * Whole-database backup to one file and restore. The file is a zip: `lesiondesk-backup.json`
 * (format name and version, the schema version, every row with blobs replaced by paths) and
 * the blobs under `blobs/`, stored uncompressed (images and PNGs are compressed already).
 */
import { z } from 'zod';
import type { CaseRepository, DatabaseSnapshot } from '../storage/index.ts';
import { caseStatuses } from '../storage/index.ts';
import { createZipWriter, readZip } from './archive.ts';

/** Name of the manifest entry, and the format it declares. */
export const backupManifestName = 'lesiondesk-backup.json';
export const backupFormat = 'lesiondesk-backup';
/**
 * Version of the backup file layout (not of the database schema, which it records too). Fields
 * added later are optional, so it stays 1: a case's `pixelsPerMm` (schema 3) may be absent.
 */
export const backupFormatVersion = 1;

/** A file that is not a LesionDesk backup, or one this version cannot read. */
export class BackupFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BackupFormatError';
  }
}

const blobRef = z.strictObject({ path: z.string().min(1), type: z.string() });
type BlobRef = z.infer<typeof blobRef>;

const manifestSchema = z.object({
  format: z.literal(backupFormat),
  formatVersion: z.number().int().positive(),
  schemaVersion: z.number().int().positive(),
  createdAt: z.string(),
  cases: z.array(
    z.object({
      id: z.string(),
      fileName: z.string(),
      patientId: z.string().optional(),
      lesionId: z.string().optional(),
      status: z.enum(caseStatuses as [string, ...string[]]).transform((s) => s as DatabaseSnapshot['cases'][number]['status']),
      createdAt: z.number(),
      updatedAt: z.number(),
      assignee: z.string().nullable(),
      uncertainty: z.number().nullable(),
      latestVersionId: z.string().nullable(),
      activeModel: z.string().nullable(),
      hasCorrection: z.boolean(),
      width: z.number().int().positive(),
      height: z.number().int().positive(),
      // Added with schema version 3; a backup written before has none (the default applies).
      pixelsPerMm: z.number().positive().nullable().default(null),
    }),
  ),
  images: z.array(z.object({ caseId: z.string(), width: z.number(), height: z.number(), sha256: z.string(), blob: blobRef })),
  thumbnails: z.array(z.object({ caseId: z.string(), blob: blobRef })),
  maskVersions: z.array(
    z.object({
      id: z.string(),
      caseId: z.string(),
      png: blobRef,
      authorKind: z.enum(['model', 'person', 'ground-truth']),
      author: z.string(),
      createdAt: z.number(),
      area: z.number(),
      parentVersionId: z.string().nullable(),
      probabilityMap: z.object({ width: z.number(), height: z.number(), data: blobRef }).optional(),
      threshold: z.number().optional(),
    }),
  ),
  statusHistory: z.array(
    z.object({
      id: z.number().optional(),
      caseId: z.string(),
      from: z.enum(caseStatuses as [string, ...string[]]),
      to: z.enum(caseStatuses as [string, ...string[]]),
      comment: z.string(),
      author: z.string(),
      at: z.number(),
    }),
  ),
  settings: z.array(z.object({ key: z.string(), value: z.unknown() })),
  profile: z.object({ name: z.string(), createdAt: z.number() }).nullable(),
});

/** Write the whole database to one backup file (a zip Blob). */
export async function createBackup(repository: CaseRepository, onProgress?: (done: number, total: number) => void): Promise<Blob> {
  const snapshot = await repository.snapshot();
  const writer = createZipWriter();
  const blobs: { path: string; blob: Blob }[] = [];
  const ref = (path: string, blob: Blob): BlobRef => {
    blobs.push({ path, blob });
    return { path, type: blob.type };
  };
  const manifest = {
    format: backupFormat,
    formatVersion: backupFormatVersion,
    schemaVersion: snapshot.schemaVersion,
    createdAt: new Date().toISOString(),
    cases: snapshot.cases,
    images: snapshot.images.map(({ blob, ...rest }) => ({ ...rest, blob: ref(`blobs/images/${rest.caseId}`, blob) })),
    thumbnails: snapshot.thumbnails.map(({ blob, caseId }) => ({ caseId, blob: ref(`blobs/thumbnails/${caseId}`, blob) })),
    maskVersions: snapshot.maskVersions.map(({ png, probabilityMap, ...rest }) => ({
      ...rest,
      png: ref(`blobs/masks/${rest.id}.png`, png),
      ...(probabilityMap
        ? { probabilityMap: { width: probabilityMap.width, height: probabilityMap.height, data: ref(`blobs/probabilities/${rest.id}.f32`, probabilityMap.data) } }
        : {}),
    })),
    statusHistory: snapshot.statusHistory,
    settings: snapshot.settings,
    profile: snapshot.profile,
  };
  // The manifest goes first so a reader can tell a LesionDesk backup from its first entry.
  await writer.add(backupManifestName, new TextEncoder().encode(JSON.stringify(manifest)), { compress: true });
  for (const [index, { path, blob }] of blobs.entries()) {
    onProgress?.(index, blobs.length);
    await writer.add(path, blob);
  }
  onProgress?.(blobs.length, blobs.length);
  const zip = await writer.finish();
  if (!zip) throw new Error('The backup writer produced no file.');
  return zip;
}

/** Suggested file name of a backup made now. */
export function backupFileName(now: Date = new Date()): string {
  return `lesiondesk-backup-${now.toISOString().slice(0, 19).replace(/[:T]/g, '-')}.zip`;
}

/**
 * Read a backup file into a snapshot, checking that it is one: a clear BackupFormatError for
 * any other file, a newer format, or a missing blob.
 */
export async function readBackup(file: Blob, fileName = 'This file'): Promise<DatabaseSnapshot> {
  const notOurs = `${fileName} is not a LesionDesk backup`;
  let entries: Map<string, Uint8Array>;
  try {
    entries = await readZip(file, fileName);
  } catch {
    throw new BackupFormatError(`${notOurs} (it is not a zip file).`);
  }
  const manifestBytes = entries.get(backupManifestName);
  if (!manifestBytes) throw new BackupFormatError(`${notOurs} (it has no ${backupManifestName}).`);
  let raw: unknown;
  try {
    raw = JSON.parse(new TextDecoder().decode(manifestBytes));
  } catch {
    throw new BackupFormatError(`${notOurs} (its ${backupManifestName} is not valid JSON).`);
  }
  const header = z.object({ format: z.string(), formatVersion: z.number() }).safeParse(raw);
  if (!header.success || header.data.format !== backupFormat) throw new BackupFormatError(`${notOurs} (its manifest names another format).`);
  if (header.data.formatVersion > backupFormatVersion) {
    throw new BackupFormatError(`${fileName} was written by a newer LesionDesk (backup format ${header.data.formatVersion}); update LesionDesk to restore it.`);
  }
  const parsed = manifestSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new BackupFormatError(`${fileName} is a damaged LesionDesk backup (${issue?.path.join('.')}: ${issue?.message}).`);
  }
  const manifest = parsed.data;
  const blob = (ref: BlobRef): Blob => {
    const bytes = entries.get(ref.path);
    if (!bytes) throw new BackupFormatError(`${fileName} is an incomplete LesionDesk backup: ${ref.path} is missing.`);
    return new Blob([bytes as Uint8Array<ArrayBuffer>], { type: ref.type });
  };
  return {
    schemaVersion: manifest.schemaVersion,
    cases: manifest.cases,
    images: manifest.images.map((image) => ({ ...image, blob: blob(image.blob) })),
    thumbnails: manifest.thumbnails.map((t) => ({ caseId: t.caseId, blob: blob(t.blob) })),
    maskVersions: manifest.maskVersions.map(({ png, probabilityMap, ...rest }) => ({
      ...rest,
      png: blob(png),
      ...(probabilityMap ? { probabilityMap: { width: probabilityMap.width, height: probabilityMap.height, data: blob(probabilityMap.data) } } : {}),
    })),
    statusHistory: manifest.statusHistory as DatabaseSnapshot['statusHistory'],
    settings: manifest.settings,
    profile: manifest.profile,
  };
}

/**
 * Restore a backup file. Into an empty database at once; over existing data only with
 * `replace: true`, which the UI passes after the user confirmed (otherwise a StorageError
 * with code 'not-empty').
 */
export async function restoreBackup(
  repository: CaseRepository,
  file: Blob,
  options: { replace?: boolean; fileName?: string } = {},
): Promise<{ cases: number; maskVersions: number }> {
  const snapshot = await readBackup(file, options.fileName);
  await repository.restoreSnapshot(snapshot, { replace: options.replace ?? false });
  return { cases: snapshot.cases.length, maskVersions: snapshot.maskVersions.length };
}
