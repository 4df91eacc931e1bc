/**
 * Sentences for the import progress line and the report shown after an import.
 */
import type { ImportProgress, ImportReport } from '../exchange/index.ts';

/** "Reading images 12 of 40" for the progress line. */
export function progressLabel(progress: ImportProgress): string {
  const what = progress.phase === 'images' ? 'Reading images' : 'Reading masks';
  return `${what} ${Math.min(progress.done + 1, progress.total)} of ${progress.total}`;
}

/** Fraction done, 0..1, counting images and masks as one pass each. */
export function progressFraction(progress: ImportProgress): number {
  const phase = progress.total ? progress.done / progress.total : 1;
  return progress.phase === 'images' ? phase * 0.8 : 0.8 + phase * 0.2;
}

/** One-line outcome of an import, e.g. "Imported 19 images and 19 masks · 1 failed". */
export function importHeadline(report: ImportReport): string {
  const parts: string[] = [];
  const images = report.importedCaseIds.length;
  parts.push(`Imported ${images} ${images === 1 ? 'image' : 'images'}`);
  if (report.masksImported) parts[0] += ` and ${report.masksImported} ${report.masksImported === 1 ? 'mask' : 'masks'}`;
  if (report.duplicates) parts.push(`${report.duplicates} already in the library`);
  if (report.masksAlreadyPresent) parts.push(`${report.masksAlreadyPresent} ${report.masksAlreadyPresent === 1 ? 'mask' : 'masks'} already present`);
  if (report.failures.length) parts.push(`${report.failures.length} failed`);
  if (report.ignored.length) parts.push(`${report.ignored.length} other ${report.ignored.length === 1 ? 'file' : 'files'} ignored`);
  if (report.cancelled) parts.push('cancelled');
  return parts.join(' · ');
}

/** Whether the report needs the user's attention (failures), rather than a passing notice. */
export function importNeedsAttention(report: ImportReport): boolean {
  return report.failures.length > 0 || (report.importedCaseIds.length === 0 && report.duplicates === 0 && report.masksImported === 0);
}
