/**
 * Whole-database backup to one file and restore. The file is a zip: the blobs under `blobs/`,
 * stored uncompressed (images and PNGs are compressed already), and `lesiondesk-backup.json`
 * (format name and version, the schema version, every row with blobs replaced by path, size and
 * sha256). A restore checks all of it before it replaces anything, in one transaction, in two
 * steps: `inspectBackup` reads the manifest alone (quick: the question "replace the library?"
 * comes at once), `readBackupContents` then checks every blob and decodes every mask (slow, with
 * progress). The local annotator profile is never replaced: it names the person at this computer.
 */
import { z } from 'zod';
import type { AppSettings, CaseRepository, DatabaseSnapshot } from '../storage/index.ts';
import { caseStatuses } from '../storage/index.ts';
import { createZipWriter, readZipEntries, ZipEntryTooLargeError } from './archive.ts';
import { decodeMaskImage, maxDecodablePixels, maxDecodableSide } from './image-codec.ts';

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
/**
 * Every timestamp (ms since 1970) lies between 2000 and 2100: LesionDesk wrote none outside, and
 * a date past year 275760 cannot even be shown (Date throws: the CSV export writes ISO dates).
 */
export const backupDateRange = { min: Date.UTC(2000, 0, 1), max: Date.UTC(2100, 0, 1) } as const;
const timestamp = z
  .number()
  .finite()
  .min(backupDateRange.min, { message: 'is a date before 2000' })
  .max(backupDateRange.max, { message: 'is a date after 2100' });
/** An image side the app can open: decoding draws it on a canvas, which Chromium caps. */
const side = z.number().int().positive().max(maxDecodableSide, { message: `is more than ${maxDecodableSide} pixels` });
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
  splitByCaseId: z.array(z.string().max(400)).max(1_000_000),
  sendingJob: z
    .strictObject({
      jobId: z.string().max(400),
      owner: z.string().max(400),
      epochs: z.number().int().min(1).max(200),
      activate: z.enum(['auto', 'never']),
      onlyCorrected: z.boolean(),
    })
    .nullable(),
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
      createdAt: timestamp,
      updatedAt: timestamp,
      assignee: z.string().max(1024).nullable(),
      uncertainty: z.number().min(0).max(1).nullable(),
      latestVersionId: safeId.nullable(),
      activeModel: z.string().max(256).nullable(),
      hasCorrection: z.boolean(),
      width: side,
      height: side,
      // Added with schema version 3; a backup written before has none (the default applies).
      pixelsPerMm: z.number().positive().max(1e5).nullable().default(null),
    }),
  ),
  images: z.array(z.object({ caseId: safeId, width: side, height: side, sha256: sha256Hex, blob: blobRef })),
  thumbnails: z.array(z.object({ caseId: safeId, blob: blobRef })),
  maskVersions: z.array(
    z.object({
      id: safeId,
      caseId: safeId,
      png: blobRef,
      authorKind: z.enum(['model', 'person', 'ground-truth']),
      author: z.string().max(1024),
      createdAt: timestamp,
      area: z.number().int().min(0),
      parentVersionId: safeId.nullable(),
      probabilityMap: z.object({ width: side, height: side, data: blobRef }).optional(),
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
      at: timestamp,
    }),
  ),
  settings: z.array(z.object({ key: z.string(), value: z.unknown() })),
  profile: z.object({ name: z.string().max(1024), createdAt: timestamp }).nullable(),
});
type Manifest = z.infer<typeof manifestSchema>;

/** Everything the rows say about each other must hold: one image per case, no dangling id. */
function integrityProblem(m: Manifest): string | null {
  const cases = new Map<string, Manifest['cases'][number]>();
  for (const c of m.cases) {
    if (cases.has(c.id)) return `case ${c.id} appears twice`;
    if (c.width * c.height > maxDecodablePixels) return `case ${c.id} is ${c.width} x ${c.height} pixels, more than LesionDesk can open`;
    cases.set(c.id, c);
  }
  const imageOf = new Set<string>();
  for (const image of m.images) {
    const owner = cases.get(image.caseId);
    if (!owner) return `an image belongs to case ${image.caseId}, which is not in the backup`;
    if (imageOf.has(image.caseId)) return `case ${image.caseId} has two images`;
    if (image.width !== owner.width || image.height !== owner.height) return `the image of case ${image.caseId} is ${image.width} x ${image.height}, its case says ${owner.width} x ${owner.height}`;
    imageOf.add(image.caseId);
  }
  for (const c of m.cases) if (!imageOf.has(c.id)) return `case ${c.id} (${c.fileName}) has no image`;
  for (const t of m.thumbnails) if (!cases.has(t.caseId)) return `a thumbnail belongs to case ${t.caseId}, which is not in the backup`;
  const versionCase = new Map<string, string>();
  for (const v of m.maskVersions) {
    const owner = cases.get(v.caseId);
    if (!owner) return `mask version ${v.id} belongs to case ${v.caseId}, which is not in the backup`;
    if (versionCase.has(v.id)) return `mask version ${v.id} appears twice`;
    if (v.area > owner.width * owner.height) return `mask version ${v.id} has an area of ${v.area} pixels, more than its image holds`;
    const map = v.probabilityMap;
    if (map && map.data.size !== undefined && map.data.size !== map.width * map.height * 4) {
      return `the probability map of mask version ${v.id} is ${map.data.size} bytes, not ${map.width} x ${map.height} values`;
    }
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
    // Own keys only: "constructor" or "__proto__" would otherwise find Object.prototype's members.
    const schema = Object.hasOwn(settingSchemas, key) ? settingSchemas[key as keyof AppSettings] : undefined;
    if (!schema) return `its settings hold an unknown key "${key.slice(0, 64)}"`;
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

/** What a backup holds, read from its manifest alone: what the restore question names. */
export interface BackupSummary {
  fileName: string;
  /** When it was made (as the backup says; null when that is not a date). */
  createdAt: Date | null;
  cases: number;
  maskVersions: number;
  /** The people (not models) who made its versions and status changes, as they are recorded. */
  authors: string[];
}

/** A backup whose manifest passed every check: what `readBackupContents` goes on with. */
export interface InspectedBackup {
  summary: BackupSummary;
  /** The file's bytes and its checked manifest, kept for the second step. */
  readonly bytes: Uint8Array;
  readonly manifest: Manifest;
}

function blobRefsOf(manifest: Manifest): BlobRef[] {
  return [
    ...manifest.images.map((i) => i.blob),
    ...manifest.thumbnails.map((t) => t.blob),
    ...manifest.maskVersions.flatMap((v) => (v.probabilityMap ? [v.png, v.probabilityMap.data] : [v.png])),
  ];
}

const damagedError = (fileName: string, why: string) => new BackupFormatError(`${fileName} is a damaged LesionDesk backup (${why}); nothing was restored.`);

/**
 * The quick first step of a restore: the manifest's rows and settings (zod), that they reference
 * each other (no case without an image, no dangling id), plain-identifier ids, bounded sizes and
 * dates, and that every blob it names is in the zip within its size cap (from the zip's
 * directory; nothing but the manifest is inflated). Any problem is a BackupFormatError that
 * names it.
 */
export async function inspectBackup(file: Blob, fileName = 'This file'): Promise<InspectedBackup> {
  const notOurs = `${fileName} is not a LesionDesk backup`;
  const damaged = (why: string) => damagedError(fileName, why);
  const bytes = new Uint8Array(await file.arrayBuffer());
  // Every entry's declared size, read from the directory while only the manifest is inflated.
  const sizes = new Map<string, number>();
  let manifestEntries: Map<string, Uint8Array>;
  try {
    manifestEntries = await readZipEntries(
      bytes,
      (name, size) => {
        sizes.set(name, size);
        return name === backupManifestName;
      },
      { maxEntryBytes: () => backupLimits.manifestBytes, maxTotalBytes: backupLimits.manifestBytes },
      fileName,
    );
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

  const refs = blobRefsOf(manifest);
  if (new Set(refs.map((r) => r.path)).size !== refs.length) throw damaged('two rows share one blob');
  let total = 0;
  for (const ref of refs) {
    const size = sizes.get(ref.path);
    if (size === undefined) throw new BackupFormatError(`${fileName} is an incomplete LesionDesk backup: ${ref.path} is missing; nothing was restored.`);
    if (ref.size !== undefined && size !== ref.size) throw damaged(`${ref.path} is ${size} bytes, the manifest says ${ref.size}`);
    total += size;
  }
  if (total > backupLimits.totalBytes) throw damaged(`its entries would inflate to more than ${backupLimits.totalBytes / 2 ** 30} GB in all`);

  // The people who worked on the library: status changes carry the author of the version that
  // caused them, which for a prediction or an imported reference mask is a model or "ground
  // truth (...)", not a person.
  const people = new Set<string>();
  const notPeople = new Set<string>();
  for (const v of manifest.maskVersions) (v.authorKind === 'person' ? people : notPeople).add(v.author);
  for (const h of manifest.statusHistory) if (!notPeople.has(h.author)) people.add(h.author);
  const createdAt = new Date(manifest.createdAt);
  return {
    summary: {
      fileName,
      createdAt: Number.isNaN(createdAt.getTime()) ? null : createdAt,
      cases: manifest.cases.length,
      maskVersions: manifest.maskVersions.length,
      authors: [...people].sort((a, b) => a.localeCompare(b)),
    },
    bytes,
    manifest,
  };
}

const pngSignature = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

/**
 * The slow second step: inflates every blob the manifest names (capped), checks its size and
 * sha256, and decodes every mask as the case view does to open it (a PNG of its image's size).
 * Progress counts blobs checked and masks decoded. Any problem is a BackupFormatError.
 */
export async function readBackupContents(inspected: InspectedBackup, onProgress?: (done: number, total: number) => void): Promise<DatabaseSnapshot> {
  const { manifest, bytes, summary } = inspected;
  const { fileName } = summary;
  const damaged = (why: string) => damagedError(fileName, why);
  const refs = blobRefsOf(manifest);
  const wanted = new Set(refs.map((r) => r.path));
  const total = refs.length + manifest.maskVersions.length;
  let done = 0;
  onProgress?.(done, total);
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
    onProgress?.(++done, total);
  }
  for (const image of manifest.images) {
    // Images always carried their sha256, also in backups written before blobs had one.
    if ((await sha256Of(entries.get(image.blob.path)!)) !== image.sha256) throw damaged(`the image of case ${image.caseId} does not match its checksum`);
  }
  const caseById = new Map(manifest.cases.map((c) => [c.id, c]));
  for (const version of manifest.maskVersions) {
    // A mask the case view cannot decode, or of another size, would leave its case unopenable.
    const data = entries.get(version.png.path)!;
    const owner = caseById.get(version.caseId)!;
    const what = `the mask of version ${version.id} (${owner.fileName})`;
    if (!pngSignature.every((b, i) => data[i] === b)) throw damaged(`${what} is not a PNG`);
    const mask = await decodeMaskImage(checked.get(version.png.path)!, what).catch(() => null);
    if (!mask) throw damaged(`${what} cannot be decoded`);
    if (mask.width !== owner.width || mask.height !== owner.height) {
      throw damaged(`${what} is ${mask.width} x ${mask.height}, its image ${owner.width} x ${owner.height}`);
    }
    onProgress?.(++done, total);
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

/** Read and check a whole backup file (both steps) into a snapshot. */
export async function readBackup(file: Blob, fileName = 'This file'): Promise<DatabaseSnapshot> {
  return readBackupContents(await inspectBackup(file, fileName));
}

/**
 * Restore an inspected backup: check its contents, then replace the library in one transaction.
 * Into a library without cases at once; over cases only with `replace: true`, which the UI passes
 * after the user confirmed (otherwise a StorageError with code 'not-empty'). The local annotator
 * profile stays.
 */
export async function restoreInspectedBackup(
  repository: CaseRepository,
  inspected: InspectedBackup,
  options: { replace?: boolean; onProgress?: (done: number, total: number) => void } = {},
): Promise<{ cases: number; maskVersions: number }> {
  const snapshot = await readBackupContents(inspected, options.onProgress);
  await repository.restoreSnapshot(snapshot, { replace: options.replace ?? false });
  return { cases: snapshot.cases.length, maskVersions: snapshot.maskVersions.length };
}

/** Restore a backup file (both steps, then the write); see restoreInspectedBackup. */
export async function restoreBackup(
  repository: CaseRepository,
  file: Blob,
  options: { replace?: boolean; fileName?: string; onProgress?: (done: number, total: number) => void } = {},
): Promise<{ cases: number; maskVersions: number }> {
  return restoreInspectedBackup(repository, await inspectBackup(file, options.fileName), options);
}
