/**
 * Whole-database backup to one file and restore. The file is a zip: the blobs under `blobs/`,
 * stored uncompressed (images and PNGs are compressed already), and `lesiondesk-backup.json`
 * (format name and version, the schema version, every row with blobs replaced by path, size and
 * sha256). A restore checks all of it before it replaces anything, in one transaction.
 */
import { z } from 'zod';
import type { AppSettings, CaseRepository, DatabaseSnapshot } from '../storage/index.ts';
import { caseStatuses } from '../storage/index.ts';
import { createZipWriter, readZipEntries, ZipEntryTooLargeError } from './archive.ts';

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

/**
 * Ids are opaque, but a restored one ends up in file and zip entry names (backups, exports):
 * only plain identifiers are accepted (LesionDesk's own are UUIDs), never "/", "\\" or "..".
 */
const safeId = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_-]{0,127}$/, { message: 'must be a plain identifier (letters, digits, "-" and "_")' });
const finite = z.number().finite();
const sha256Hex = z.string().regex(/^[0-9a-f]{64}$/, { message: 'must be 64 lowercase hex digits' });

/** Largest inflated size of each kind of entry, and of a whole backup (fflate writes no Zip64). */
export const backupLimits = {
  manifestBytes: 64 * 2 ** 20,
  imageBytes: 512 * 2 ** 20,
  maskBytes: 256 * 2 ** 20,
  thumbnailBytes: 8 * 2 ** 20,
  probabilityBytes: 64 * 2 ** 20,
  totalBytes: 4 * 2 ** 30,
} as const;

const blobKinds = { images: backupLimits.imageBytes, thumbnails: backupLimits.thumbnailBytes, masks: backupLimits.maskBytes, probabilities: backupLimits.probabilityBytes } as const;
const blobPathPattern = /^blobs\/(images|thumbnails|masks|probabilities)\/[A-Za-z0-9][A-Za-z0-9_-]{0,127}(\.png|\.f32)?$/;

const blobRef = z.strictObject({
  path: z.string().regex(blobPathPattern, { message: 'is not a blob path LesionDesk writes' }),
  type: z.string().max(100),
  // Written since the restore checks them; a backup from before has neither.
  size: z.number().int().min(0).optional(),
  sha256: sha256Hex.optional(),
});
type BlobRef = z.infer<typeof blobRef>;

/** The valid value of each setting; a backup holding anything else is refused. */
const settingSchemas: Record<keyof AppSettings, z.ZodType> = {
  defaultPixelsPerMm: z.number().positive().max(1e5).nullable(),
  threshold: z.number().gt(0).lt(1).nullable(),
  overlayOpacity: z.number().min(0).max(1),
  thumbnailSize: z.number().int().min(16).max(1024),
  trainingEpochs: z.number().int().min(1).max(200),
  trainingActivate: z.enum(['auto', 'never']),
  trainingOnlyCorrected: z.boolean(),
  trainAfterApprovals: z.number().int().min(1).max(10_000).nullable(),
  lastTrainingPairs: z.array(z.string().max(400)).max(1_000_000),
  libraryView: z.strictObject({ status: z.string().max(40), correction: z.string().max(40), model: z.string().max(400), sort: z.string().max(40) }).nullable(),
};

const statusEnum = z.enum(caseStatuses as [string, ...string[]]);

const manifestSchema = z.object({
  format: z.literal(backupFormat),
  formatVersion: z.number().int().positive(),
  schemaVersion: z.number().int().positive(),
  createdAt: z.string().max(64),
  cases: z.array(
    z.object({
      id: safeId,
      fileName: z.string().min(1).max(1024),
      patientId: z.string().max(1024).optional(),
      lesionId: z.string().max(1024).optional(),
      status: statusEnum.transform((s) => s as DatabaseSnapshot['cases'][number]['status']),
      createdAt: finite,
      updatedAt: finite,
      assignee: z.string().max(1024).nullable(),
      uncertainty: z.number().min(0).max(1).nullable(),
      latestVersionId: safeId.nullable(),
      activeModel: z.string().max(256).nullable(),
      hasCorrection: z.boolean(),
      width: z.number().int().positive(),
      height: z.number().int().positive(),
      // Added with schema version 3; a backup written before has none (the default applies).
      pixelsPerMm: z.number().positive().max(1e5).nullable().default(null),
    }),
  ),
  images: z.array(z.object({ caseId: safeId, width: z.number().int().positive(), height: z.number().int().positive(), sha256: sha256Hex, blob: blobRef })),
  thumbnails: z.array(z.object({ caseId: safeId, blob: blobRef })),
  maskVersions: z.array(
    z.object({
      id: safeId,
      caseId: safeId,
      png: blobRef,
      authorKind: z.enum(['model', 'person', 'ground-truth']),
      author: z.string().max(1024),
      createdAt: finite,
      area: z.number().min(0),
      parentVersionId: safeId.nullable(),
      probabilityMap: z.object({ width: z.number().int().positive(), height: z.number().int().positive(), data: blobRef }).optional(),
      threshold: z.number().gt(0).lt(1).optional(),
    }),
  ),
  statusHistory: z.array(
    z.object({
      id: z.number().int().optional(),
      caseId: safeId,
      from: statusEnum,
      to: statusEnum,
      comment: z.string().max(100_000),
      author: z.string().max(1024),
      at: finite,
    }),
  ),
  settings: z.array(z.object({ key: z.string(), value: z.unknown() })),
  profile: z.object({ name: z.string().max(1024), createdAt: finite }).nullable(),
});
type Manifest = z.infer<typeof manifestSchema>;

/** Everything the rows say about each other must hold: one image per case, no dangling id. */
function integrityProblem(m: Manifest): string | null {
  const cases = new Set<string>();
  for (const c of m.cases) {
    if (cases.has(c.id)) return `case ${c.id} appears twice`;
    cases.add(c.id);
  }
  const imageOf = new Set<string>();
  for (const image of m.images) {
    if (!cases.has(image.caseId)) return `an image belongs to case ${image.caseId}, which is not in the backup`;
    if (imageOf.has(image.caseId)) return `case ${image.caseId} has two images`;
    imageOf.add(image.caseId);
  }
  for (const c of m.cases) if (!imageOf.has(c.id)) return `case ${c.id} (${c.fileName}) has no image`;
  for (const t of m.thumbnails) if (!cases.has(t.caseId)) return `a thumbnail belongs to case ${t.caseId}, which is not in the backup`;
  const versionCase = new Map<string, string>();
  for (const v of m.maskVersions) {
    if (!cases.has(v.caseId)) return `mask version ${v.id} belongs to case ${v.caseId}, which is not in the backup`;
    if (versionCase.has(v.id)) return `mask version ${v.id} appears twice`;
    versionCase.set(v.id, v.caseId);
  }
  for (const v of m.maskVersions) {
    if (v.parentVersionId !== null && versionCase.get(v.parentVersionId) !== v.caseId) return `mask version ${v.id} names a parent that is not a version of its case`;
  }
  for (const c of m.cases) {
    if (c.latestVersionId !== null && versionCase.get(c.latestVersionId) !== c.id) return `case ${c.id} names a latest mask version that is not one of its own`;
  }
  for (const h of m.statusHistory) if (!cases.has(h.caseId)) return `the status history names case ${h.caseId}, which is not in the backup`;
  const keys = new Set<string>();
  for (const { key, value } of m.settings) {
    const schema = (settingSchemas as Record<string, z.ZodType | undefined>)[key];
    if (!schema) return `it holds an unknown setting "${key.slice(0, 64)}"`;
    if (keys.has(key)) return `setting ${key} appears twice`;
    keys.add(key);
    const checked = schema.safeParse(value);
    if (!checked.success) return `setting ${key} is ${JSON.stringify(value)?.slice(0, 40)}, ${checked.error.issues[0]?.message ?? 'out of range'}`;
  }
  return null;
}

async function sha256Of(bytes: Uint8Array): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', bytes as Uint8Array<ArrayBuffer>);
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, '0')).join('');
}

/** Write the whole database to one backup file (a zip Blob). */
export async function createBackup(repository: CaseRepository, onProgress?: (done: number, total: number) => void): Promise<Blob> {
  const snapshot = await repository.snapshot();
  const writer = createZipWriter();
  const blobs: { path: string; blob: Blob; ref: BlobRef }[] = [];
  // The sha256 is filled in when the blob is written (it is read then anyway); the manifest,
  // written last, carries it so a restore can check every blob.
  const ref = (path: string, blob: Blob): BlobRef => {
    const blobRef: BlobRef = { path, type: blob.type, size: blob.size };
    blobs.push({ path, blob, ref: blobRef });
    return blobRef;
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
  for (const [index, { path, blob, ref: blobRef }] of blobs.entries()) {
    onProgress?.(index, blobs.length);
    const bytes = new Uint8Array(await blob.arrayBuffer());
    blobRef.sha256 = await sha256Of(bytes);
    await writer.add(path, bytes);
  }
  // The manifest goes last: it carries every blob's checksum (readers find it by name).
  await writer.add(backupManifestName, new TextEncoder().encode(JSON.stringify(manifest)), { compress: true });
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
 * Read a backup file into a snapshot, checking everything it holds before anything is written:
 * the manifest's rows and settings (zod), that they reference each other (no case without an
 * image, no dangling id), ids that are plain identifiers, every blob's size and sha256, and a
 * cap on each inflated entry and on their total. Entries the manifest does not reference are
 * never inflated. Any problem is a BackupFormatError that names it.
 */
export async function readBackup(file: Blob, fileName = 'This file'): Promise<DatabaseSnapshot> {
  const notOurs = `${fileName} is not a LesionDesk backup`;
  const damaged = (why: string) => new BackupFormatError(`${fileName} is a damaged LesionDesk backup (${why}); nothing was restored.`);
  const bytes = new Uint8Array(await file.arrayBuffer());
  let manifestEntries: Map<string, Uint8Array>;
  try {
    manifestEntries = await readZipEntries(bytes, (name) => name === backupManifestName, { maxEntryBytes: () => backupLimits.manifestBytes, maxTotalBytes: backupLimits.manifestBytes }, fileName);
  } catch (error) {
    if (error instanceof ZipEntryTooLargeError) throw damaged(error.message);
    throw new BackupFormatError(`${notOurs} (it is not a zip file).`);
  }
  const manifestBytes = manifestEntries.get(backupManifestName);
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
    throw damaged(`${issue?.path.join('.')}: ${issue?.message}`);
  }
  const manifest = parsed.data;
  const problem = integrityProblem(manifest);
  if (problem) throw damaged(problem);

  const refs: BlobRef[] = [
    ...manifest.images.map((i) => i.blob),
    ...manifest.thumbnails.map((t) => t.blob),
    ...manifest.maskVersions.flatMap((v) => (v.probabilityMap ? [v.png, v.probabilityMap.data] : [v.png])),
  ];
  const wanted = new Set(refs.map((r) => r.path));
  if (wanted.size !== refs.length) throw damaged('two rows share one blob');
  let entries: Map<string, Uint8Array>;
  try {
    entries = await readZipEntries(
      bytes,
      (name) => wanted.has(name),
      { maxEntryBytes: (name) => blobKinds[name.split('/')[1] as keyof typeof blobKinds] ?? 0, maxTotalBytes: backupLimits.totalBytes },
      fileName,
    );
  } catch (error) {
    throw damaged(error instanceof ZipEntryTooLargeError ? error.message : 'its blobs cannot be read');
  }
  const checked = new Map<string, Blob>();
  for (const ref of refs) {
    const data = entries.get(ref.path);
    if (!data) throw new BackupFormatError(`${fileName} is an incomplete LesionDesk backup: ${ref.path} is missing; nothing was restored.`);
    if (ref.size !== undefined && data.length !== ref.size) throw damaged(`${ref.path} is ${data.length} bytes, the manifest says ${ref.size}`);
    if (ref.sha256 !== undefined && (await sha256Of(data)) !== ref.sha256) throw damaged(`${ref.path} does not match its checksum`);
    checked.set(ref.path, new Blob([data as Uint8Array<ArrayBuffer>], { type: ref.type }));
  }
  for (const image of manifest.images) {
    // Images always carried their sha256, also in backups written before blobs had one.
    if ((await sha256Of(entries.get(image.blob.path)!)) !== image.sha256) throw damaged(`the image of case ${image.caseId} does not match its checksum`);
  }
  const blob = (ref: BlobRef): Blob => checked.get(ref.path)!;
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
