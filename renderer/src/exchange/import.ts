/**
 * Importing files, folders and drag-and-drop into the database: images become cases (same bytes
 * twice = one case), masks of an ISIC-layout folder become ground-truth versions, and a file
 * that cannot be read is reported while the rest import.
 */
import { sha256Hex, type CaseRepository } from '../storage/index.ts';
import { errorMessage } from '../lib/format.ts';
import { masksEqual } from './binary-mask.ts';
import { decodeImage, decodeMaskImage, maskToPngBlob } from './image-codec.ts';
import { baseName, pairImportSources, type ImportSource } from './isic.ts';

/** Where an import is, for a progress bar. */
export interface ImportProgress {
  phase: 'images' | 'masks';
  done: number;
  total: number;
  /** Path of the file being read. */
  current: string;
}

/** What an import did; `failures` are sentences for the user, one per file. */
export interface ImportReport {
  /** Case ids created by this import. */
  importedCaseIds: string[];
  /** Images whose bytes were already in the database. */
  duplicates: number;
  masksImported: number;
  /** Masks identical to a ground-truth version the case already had. */
  masksAlreadyPresent: number;
  failures: { path: string; reason: string }[];
  /** Files that are neither images nor masks (metadata, hidden files). */
  ignored: string[];
  cancelled: boolean;
}

/** Options of an import. */
export interface ImportOptions {
  onProgress?: (progress: ImportProgress) => void;
  /** Longer side of the stored thumbnails, in pixels. */
  thumbnailSize?: number;
  signal?: AbortSignal;
}

/** Images prepared at the same time during an import. */
const IMAGE_LANES = 3;

/** Import sources from a file input (`webkitdirectory` inputs keep their relative paths). */
export function sourcesFromFiles(files: Iterable<File> | ArrayLike<File>): ImportSource[] {
  return Array.from(files as ArrayLike<File>, (file) => ({ path: file.webkitRelativePath || file.name, file }));
}

function readDirectoryBatch(reader: FileSystemDirectoryReader): Promise<FileSystemEntry[]> {
  return new Promise((resolve, reject) => reader.readEntries(resolve, reject));
}

async function collectEntry(entry: FileSystemEntry, out: ImportSource[]): Promise<void> {
  if (entry.isFile) {
    const file = await new Promise<File>((resolve, reject) => (entry as FileSystemFileEntry).file(resolve, reject));
    out.push({ path: entry.fullPath.replace(/^\/+/, ''), file });
  } else if (entry.isDirectory) {
    const reader = (entry as FileSystemDirectoryEntry).createReader();
    // readEntries hands out at most ~100 entries per call; keep asking until it returns none.
    for (let batch = await readDirectoryBatch(reader); batch.length; batch = await readDirectoryBatch(reader)) {
      for (const child of batch) await collectEntry(child, out);
    }
  }
}

/**
 * Import sources from a drop, folders walked recursively. Call it synchronously inside the drop
 * handler: the browser empties the DataTransfer once the handler returns.
 */
export function sourcesFromDataTransfer(dataTransfer: DataTransfer): Promise<ImportSource[]> {
  const entries = Array.from(dataTransfer.items)
    .filter((item) => item.kind === 'file')
    .map((item) => item.webkitGetAsEntry());
  const looseFiles = entries.every((e) => e === null) ? Array.from(dataTransfer.files) : [];
  return (async () => {
    const out: ImportSource[] = sourcesFromFiles(looseFiles);
    for (const entry of entries) if (entry) await collectEntry(entry, out);
    return out;
  })();
}

function groundTruthAuthor(path: string): string {
  const folders = path.split('/').slice(0, -1);
  return folders.length ? `ground truth (${folders[folders.length - 1]})` : 'ground truth (imported file)';
}


/** Import files: images first (each its own case), then the masks paired with them. */
export async function importSources(
  repository: CaseRepository,
  sources: readonly ImportSource[],
  options: ImportOptions = {},
): Promise<ImportReport> {
  const paired = pairImportSources(sources);
  const report: ImportReport = {
    importedCaseIds: [],
    duplicates: 0,
    masksImported: 0,
    masksAlreadyPresent: 0,
    failures: paired.unmatchedMasks.map((m) => ({ path: m.source.path, reason: `${baseName(m.source.path)}: ${m.reason}.` })),
    ignored: paired.ignored.map((s) => s.path),
    cancelled: false,
  };
  const caseIdOfImage: (string | undefined)[] = [];
  const progress = (phase: ImportProgress['phase'], done: number, total: number, current: string) =>
    options.onProgress?.({ phase, done, total, current });

  // Images go through hashing, decoding and the thumbnail a few at a time: the browser decodes
  // and encodes on its own threads, so while one image waits there, the next is read and hashed
  // (26 images/s against 17-21 one at a time, 1024x768 JPEGs here). Outcomes are folded in
  // file order, so the report and the case order do not depend on which finished first.
  type Outcome = { caseId: string; duplicate: boolean } | { failure: string };
  const outcomes: (Outcome | undefined)[] = new Array(paired.images.length);
  let started = 0;
  let finished = 0;
  // Two copies of one image in the same import: the first in file order makes the case, however
  // the hashing finishes. Each image claims its hash only after the one before it has claimed,
  // and writes its case only after the one before it has written: cases are created in file
  // order (the library's date order), while the slow part, decoding, overlaps.
  const claimed: Promise<void>[] = [];
  const written: Promise<void>[] = [];
  const bySha = new Map<string, Promise<Outcome>>();
  const importOne = async (index: number, source: ImportSource): Promise<Outcome> => {
    let releaseClaim!: () => void;
    let releaseWrite!: () => void;
    claimed[index] = new Promise<void>((resolve) => (releaseClaim = resolve));
    written[index] = new Promise<void>((resolve) => (releaseWrite = resolve));
    try {
      let sha256: string;
      try {
        sha256 = await sha256Hex(source.file);
      } catch (error) {
        return { failure: errorMessage(error) };
      }
      await claimed[index - 1];
      const earlier = bySha.get(sha256);
      if (earlier) {
        releaseClaim();
        const first = await earlier;
        return 'failure' in first ? first : { caseId: first.caseId, duplicate: true };
      }
      const outcome = (async (): Promise<Outcome> => {
        try {
          const known = await repository.findCaseIdBySha256(sha256);
          if (known) return { caseId: known, duplicate: true };
          const fileName = baseName(source.path);
          const { width, height, thumbnail } = await decodeImage(source.file, fileName, options.thumbnailSize);
          await written[index - 1];
          const result = await repository.importImage({ fileName, blob: source.file, width, height, sha256, thumbnail });
          return { caseId: result.caseId, duplicate: result.duplicate };
        } catch (error) {
          return { failure: errorMessage(error) };
        }
      })();
      bySha.set(sha256, outcome);
      releaseClaim();
      return await outcome;
    } finally {
      // Whatever happened to this image, the next may claim and write once the earlier ones have.
      await claimed[index - 1];
      releaseClaim();
      await written[index - 1];
      releaseWrite();
    }
  };
  const lane = async (): Promise<void> => {
    while (started < paired.images.length && !options.signal?.aborted) {
      const index = started++;
      const { source } = paired.images[index]!;
      progress('images', finished, paired.images.length, source.path);
      outcomes[index] = await importOne(index, source);
      finished++;
    }
  };
  await Promise.all(Array.from({ length: Math.min(IMAGE_LANES, paired.images.length) }, lane));
  for (const [index, outcome] of outcomes.entries()) {
    if (!outcome) continue; // not started: cancelled
    if ('failure' in outcome) {
      report.failures.push({ path: paired.images[index]!.source.path, reason: outcome.failure });
      continue;
    }
    caseIdOfImage[index] = outcome.caseId;
    if (outcome.duplicate) report.duplicates++;
    else report.importedCaseIds.push(outcome.caseId);
  }
  if (options.signal?.aborted) return { ...report, cancelled: true };
  progress('images', paired.images.length, paired.images.length, '');

  for (const [index, mask] of paired.masks.entries()) {
    if (options.signal?.aborted) return { ...report, cancelled: true };
    progress('masks', index, paired.masks.length, mask.source.path);
    const caseId = caseIdOfImage[mask.imageIndex];
    const name = baseName(mask.source.path);
    if (!caseId) {
      report.failures.push({ path: mask.source.path, reason: `${name}: its image could not be imported, so the mask was skipped.` });
      continue;
    }
    try {
      const pixels = await decodeMaskImage(mask.source.file, name);
      const record = await repository.getCase(caseId);
      if (!record) throw new Error(`${name}: its case disappeared during the import.`);
      if (pixels.width !== record.width || pixels.height !== record.height) {
        throw new Error(`${name}: the mask is ${pixels.width}x${pixels.height} but its image is ${record.width}x${record.height}.`);
      }
      if (await hasIdenticalGroundTruth(repository, caseId, pixels)) {
        report.masksAlreadyPresent++;
        continue;
      }
      let area = 0;
      for (const v of pixels.data) area += v;
      await repository.addMaskVersion({
        caseId,
        png: maskToPngBlob(pixels),
        authorKind: 'ground-truth',
        author: groundTruthAuthor(mask.source.path),
        area,
      });
      report.masksImported++;
    } catch (error) {
      report.failures.push({ path: mask.source.path, reason: errorMessage(error) });
    }
  }
  progress('masks', paired.masks.length, paired.masks.length, '');
  return report;
}

// Importing the same ISIC folder twice must not stack identical ground-truth versions.
async function hasIdenticalGroundTruth(
  repository: CaseRepository,
  caseId: string,
  pixels: { width: number; height: number; data: Uint8Array },
): Promise<boolean> {
  for (const version of await repository.listVersions(caseId)) {
    if (version.authorKind !== 'ground-truth') continue;
    if (masksEqual(await decodeMaskImage(version.png), pixels)) return true;
  }
  return false;
}
