/**
 * The export menu's actions: each builds one file from the library through the exchange module
 * and names it; the component offers it as a download.
 */
import {
  backupFileName,
  createBackup,
  createZipWriter,
  exportCoco,
  exportIsic,
  exportMeasurementsCsv,
  type BackupSummary,
  type BinaryMask,
  type CsvCell,
  type ExportReport,
} from '../exchange/index.ts';
import { MaskRaster, measureMask } from '../editor/index.ts';
import type { CaseRepository } from '../storage/index.ts';

/** What the menu can export. */
export type ExportKind = 'isic' | 'coco' | 'csv' | 'backup';

/** Which cases: every approved case, or the ones selected in the library. */
export type ExportScope = { kind: 'approved' } | { kind: 'selected'; caseIds: readonly string[] };

/** A finished export: the file and what was left out. */
export interface ExportFile {
  blob: Blob;
  fileName: string;
  report: ExportReport | null;
}

function stamp(now: Date): string {
  return now.toISOString().slice(0, 19).replace(/[:T]/g, '-');
}

/** Measurements of one mask as CSV columns (the editor core's measureMask). */
export function measurementColumns(mask: BinaryMask, calibration: { pixelsPerMm: number | null }): Record<string, CsvCell> {
  const m = measureMask(new MaskRaster(mask.width, mask.height, mask.data), { pixelsPerMm: calibration.pixelsPerMm });
  return {
    area_mm2: m.areaMm2,
    perimeter_px: m.perimeterPx,
    perimeter_mm: m.perimeterMm,
    longest_diameter_px: m.longestDiameterPx,
    longest_diameter_mm: m.longestDiameterMm,
    shortest_diameter_px: m.shortestDiameterPx,
    shortest_diameter_mm: m.shortestDiameterMm,
    border_irregularity: m.borderIrregularity,
    asymmetry_major_axis: m.asymmetry.aboutMajorAxis,
    asymmetry_minor_axis: m.asymmetry.aboutMinorAxis,
    regions: m.regionCount,
  };
}

/** Build one export file. */
export async function buildExport(
  repository: CaseRepository,
  kind: ExportKind,
  scope: ExportScope,
  onProgress?: (done: number, total: number) => void,
  now: Date = new Date(),
): Promise<ExportFile> {
  const selection = { ...(scope.kind === 'selected' ? { caseIds: scope.caseIds } : {}), ...(onProgress ? { onProgress } : {}) };
  switch (kind) {
    case 'isic': {
      const writer = createZipWriter();
      const report = await exportIsic(repository, writer, selection);
      const blob = await writer.finish();
      if (!blob) throw new Error('The ISIC export produced no file.');
      return { blob, fileName: `lesiondesk-isic-${stamp(now)}.zip`, report };
    }
    case 'coco': {
      const { json, report } = await exportCoco(repository, selection);
      return { blob: new Blob([json], { type: 'application/json' }), fileName: `lesiondesk-coco-${stamp(now)}.json`, report };
    }
    case 'csv': {
      const { csv, report } = await exportMeasurementsCsv(repository, measurementColumns, selection);
      return { blob: new Blob([csv], { type: 'text/csv' }), fileName: `lesiondesk-measurements-${stamp(now)}.csv`, report };
    }
    case 'backup':
      return { blob: await createBackup(repository, onProgress), fileName: backupFileName(now), report: null };
  }
}

/** A sentence about an export's outcome. */
export function exportSummary(kind: ExportKind, file: ExportFile): string {
  if (!file.report) return `Saved ${file.fileName}.`;
  const { exported, skipped } = file.report;
  const what = kind === 'csv' ? 'rows' : 'cases';
  let text = `Exported ${exported} ${exported === 1 ? what.slice(0, -1) : what} to ${file.fileName}.`;
  if (skipped.length) {
    const first = skipped[0]!;
    text += ` Skipped ${skipped.length}: ${first.fileName} (${first.reason})${skipped.length > 1 ? ' and others' : ''}.`;
  }
  return text;
}

const plural = (n: number, one: string, many: string = `${one}s`) => `${n.toLocaleString('en')} ${n === 1 ? one : many}`;

/**
 * The restore question, naming exactly what goes and what stays: the library's cases (with their
 * masks, history and the settings) are replaced by the backup's; the local annotator stays.
 */
export function restoreQuestion(summary: BackupSummary, libraryCases: number, annotator: string | null): string {
  const made = summary.createdAt ? ` (made ${summary.createdAt.toISOString().slice(0, 10)})` : '';
  const authors = summary.authors.length ? `; its versions keep their authors (${summary.authors.slice(0, 3).join(', ')}${summary.authors.length > 3 ? ' and others' : ''})` : '';
  const stays = annotator ? `Your name, ${annotator}, stays the annotator on this computer${authors}.` : `No annotator name is set on this computer: you are asked for one after the restore${authors}.`;
  return (
    `The library holds ${plural(libraryCases, 'case')}. Restoring ${summary.fileName}${made} replaces all of them, with their masks and history, and the settings, ` +
    `by the backup's ${plural(summary.cases, 'case')} and ${plural(summary.maskVersions, 'mask version')}. ${stays}`
  );
}
