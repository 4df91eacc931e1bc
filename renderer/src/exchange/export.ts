/**
 * Exports: ISIC layout (original images + `<id>_segmentation.png`, 0/255, full resolution), COCO
 * JSON with RLE masks, and a measurements CSV. Each exports a case's latest mask version and
 * reads one case at a time, so 10,000 cases never sit in memory together.
 */
import type { CaseRecord, CaseRepository, MaskVersionRecord } from '../storage/index.ts';
import { maskArea, type BinaryMask } from './binary-mask.ts';
import { toCsv, type CsvCell } from './csv.ts';
import { decodeMaskImage } from './image-codec.ts';
import type { ArchiveWriter } from './archive.ts';
import { isicExportIds, isicExportPaths } from './isic.ts';
import { encodeMaskPng } from './png.ts';
import { rleArea, rleBbox, rleCounts, rleCountsToString, type CompressedRle, type UncompressedRle } from './rle.ts';

/** Which cases to export: the given ids, or every approved case. */
export interface ExportSelection {
  caseIds?: readonly string[];
  onProgress?: (done: number, total: number) => void;
}

/** What an export wrote and what it had to leave out (with a sentence each). */
export interface ExportReport {
  exported: number;
  skipped: { caseId: string; fileName: string; reason: string }[];
}

/** Ids of the cases an export covers. */
export async function exportCaseIds(repository: CaseRepository, selection: ExportSelection): Promise<string[]> {
  if (selection.caseIds) return [...selection.caseIds];
  return (await repository.listCases({ status: 'approved', sort: 'name' })).cases.map((c) => c.id);
}

interface LoadedCase {
  record: CaseRecord;
  version: MaskVersionRecord;
  mask: BinaryMask;
}

// Cases in export order with the file id each gets; reading masks stays lazy.
async function planExport(repository: CaseRepository, selection: ExportSelection) {
  const ids = await exportCaseIds(repository, selection);
  const records = await repository.getCases(ids);
  const exportIds = isicExportIds(records.map((r) => r.fileName));
  return records.map((record, i) => ({ record, exportId: exportIds[i]! }));
}

async function loadLatestMask(repository: CaseRepository, record: CaseRecord): Promise<LoadedCase | string> {
  if (!record.latestVersionId) return 'the case has no mask yet';
  const version = await repository.getVersion(record.latestVersionId);
  if (!version) return 'its latest mask version is missing';
  const mask = await decodeMaskImage(version.png, `${record.fileName} mask`);
  if (mask.width !== record.width || mask.height !== record.height) return 'its mask does not match the image size';
  return { record, version, mask };
}

/**
 * The loop every export shares: the selected cases in export order, one at a time, with
 * progress. `visit` gets each case whose latest mask loads and returns nothing when it exported
 * the case, or the reason it could not; cases without a usable mask are skipped with theirs.
 */
async function forEachLatestMask(
  repository: CaseRepository,
  selection: ExportSelection,
  visit: (loaded: LoadedCase, exportId: string) => Promise<string | undefined> | string | undefined,
): Promise<ExportReport> {
  const plan = await planExport(repository, selection);
  const report: ExportReport = { exported: 0, skipped: [] };
  for (const [index, { record, exportId }] of plan.entries()) {
    selection.onProgress?.(index, plan.length);
    const loaded = await loadLatestMask(repository, record);
    const problem = typeof loaded === 'string' ? loaded : await visit(loaded, exportId);
    if (problem) report.skipped.push({ caseId: record.id, fileName: record.fileName, reason: problem });
    else report.exported++;
  }
  selection.onProgress?.(plan.length, plan.length);
  return report;
}

/** Write the ISIC layout (images/ and masks/) into a zip or folder writer. */
export async function exportIsic(repository: CaseRepository, writer: ArchiveWriter, selection: ExportSelection = {}): Promise<ExportReport> {
  return forEachLatestMask(repository, selection, async ({ record, mask }, exportId) => {
    const image = await repository.getImage(record.id);
    if (!image) return 'its image is missing';
    const paths = isicExportPaths(exportId, record.fileName);
    await writer.add(paths.image, image.blob);
    // Re-encoded rather than copied: the stored PNG may be any colour type, ISIC wants 0/255 gray.
    await writer.add(paths.mask, encodeMaskPng(mask));
    return undefined;
  });
}

/** One COCO annotation of a lesion mask. */
export interface CocoAnnotation {
  id: number;
  image_id: number;
  category_id: number;
  segmentation: UncompressedRle | CompressedRle;
  area: number;
  bbox: [number, number, number, number];
  iscrowd: 0 | 1;
}

/** A COCO instance-segmentation dataset. */
export interface CocoDataset {
  info: { description: string; version: string; date_created: string };
  licenses: never[];
  images: { id: number; file_name: string; width: number; height: number }[];
  annotations: CocoAnnotation[];
  categories: { id: number; name: string; supercategory: string }[];
}

/** Options of the COCO export. */
export interface CocoOptions {
  /** 'compressed' = counts as pycocotools' string form (smaller); 'uncompressed' = a list. */
  rle?: 'compressed' | 'uncompressed';
  /**
   * COCO marks RLE annotations of crowds with iscrowd 1, and COCOeval then ignores them as
   * ground truth. A lesion is a single object, so the default is 0; set 1 only for tools that
   * insist that RLE means crowd.
   */
  iscrowd?: 0 | 1;
}

/** A COCO image with its lesion annotation (none for an empty mask), ids still unassigned. */
interface CocoEntry {
  image: { file_name: string; width: number; height: number };
  annotation: Omit<CocoAnnotation, 'id' | 'image_id'> | null;
}

function cocoEntry(fileName: string, mask: BinaryMask, options: CocoOptions): CocoEntry {
  // Counted once: area, bounding box and segmentation all come from these runs.
  const counts = rleCounts(mask);
  const size: [number, number] = [mask.height, mask.width];
  const area = rleArea(counts);
  return {
    image: { file_name: fileName, width: mask.width, height: mask.height },
    // An image without lesion ("no lesion" approved) gets an image entry and no annotation.
    annotation:
      area === 0
        ? null
        : {
            category_id: 1,
            segmentation: options.rle === 'uncompressed' ? { size, counts } : { size, counts: rleCountsToString(counts) },
            area,
            bbox: rleBbox(counts, mask.height),
            iscrowd: options.iscrowd ?? 0,
          },
  };
}

function assembleCoco(entries: readonly CocoEntry[]): CocoDataset {
  const dataset: CocoDataset = {
    info: { description: 'LesionDesk export', version: '1', date_created: new Date().toISOString() },
    licenses: [],
    images: [],
    annotations: [],
    categories: [{ id: 1, name: 'lesion', supercategory: 'skin' }],
  };
  entries.forEach(({ image, annotation }, index) => {
    dataset.images.push({ id: index + 1, ...image });
    if (annotation) dataset.annotations.push({ id: dataset.annotations.length + 1, image_id: index + 1, ...annotation });
  });
  return dataset;
}

/** A COCO dataset from masks in memory (pure; the export and the tests share it). */
export function buildCocoDataset(entries: readonly { fileName: string; mask: BinaryMask }[], options: CocoOptions = {}): CocoDataset {
  return assembleCoco(entries.map(({ fileName, mask }) => cocoEntry(fileName, mask, options)));
}

/**
 * COCO JSON of the selected (default: approved) cases. `file_name` matches the ISIC export's
 * images/ folder, so the JSON can sit beside an ISIC export.
 */
export async function exportCoco(
  repository: CaseRepository,
  selection: ExportSelection = {},
  options: CocoOptions = {},
): Promise<{ json: string; report: ExportReport }> {
  const entries: CocoEntry[] = [];
  const report = await forEachLatestMask(repository, selection, ({ record, mask }, exportId) => {
    // Only the RLE is kept, not the decoded mask, so memory stays one mask at a time.
    entries.push(cocoEntry(isicExportPaths(exportId, record.fileName).image.slice('images/'.length), mask, options));
    return undefined;
  });
  return { json: JSON.stringify(assembleCoco(entries)), report };
}

/**
 * Measurements of one mask; the editor core's measurement function fits (it takes any object
 * with width, height and a 0/1 `data`, such as its MaskRaster).
 */
export type MeasureMask = (mask: BinaryMask, calibration: { pixelsPerMm: number | null }) => Record<string, CsvCell>;

/**
 * Measurements CSV of the selected (default: approved) cases: case columns, then one column per
 * key the measurement function returns (in first-seen order). Each case is measured with its
 * own calibration, else `selection.pixelsPerMm`, else the default setting: the numbers the case
 * view shows.
 */
export async function exportMeasurementsCsv(
  repository: CaseRepository,
  measure: MeasureMask,
  selection: ExportSelection & { pixelsPerMm?: number | null } = {},
): Promise<{ csv: string; report: ExportReport }> {
  const fallbackPixelsPerMm = selection.pixelsPerMm ?? (await repository.getSettings()).defaultPixelsPerMm;
  const rows: { base: CsvCell[]; values: Record<string, CsvCell> }[] = [];
  const keys: string[] = [];
  const report = await forEachLatestMask(repository, selection, (loaded, exportId) => {
    const { record } = loaded;
    const pixelsPerMm = record.pixelsPerMm ?? fallbackPixelsPerMm;
    const values = measure(loaded.mask, { pixelsPerMm });
    for (const key of Object.keys(values)) if (!keys.includes(key)) keys.push(key);
    rows.push({
      base: [
        exportId,
        record.fileName,
        record.patientId,
        record.lesionId,
        record.status,
        loaded.version.authorKind,
        loaded.version.author,
        new Date(loaded.version.createdAt).toISOString(),
        maskArea(loaded.mask),
        pixelsPerMm,
      ],
      values,
    });
    return undefined;
  });
  const header = ['id', 'file_name', 'patient_id', 'lesion_id', 'status', 'author_kind', 'author', 'mask_saved_at', 'area_px', 'pixels_per_mm', ...keys];
  return { csv: toCsv(header, rows.map((r) => [...r.base, ...keys.map((k) => r.values[k])])), report };
}
