/**
 * Background pre-annotation: after an import, every new case gets the active model's
 * prediction (mask, probability map, uncertainty) one at a time while the library stays usable,
 * so the review queue can sort by uncertainty and a case opens with its prediction ready.
 * Cancellable between cases; a case that fails is reported and the rest go on.
 */
import type { LesionDeskApi } from '../../../preload/api.ts';
import { findPrediction, runPrediction, savePrediction, type ActiveModel } from '../case/case-versions.ts';
import { errorMessage } from '../lib/format.ts';
import type { CaseRepository } from '../storage/index.ts';

export interface PreAnnotationProgress {
  readonly done: number;
  readonly total: number;
  readonly current: string;
}

export interface PreAnnotationReport {
  predicted: number;
  /** Cases that already had this model's prediction, or were gone, or open in the editor. */
  skipped: number;
  failed: { caseId: string; fileName: string; reason: string }[];
  cancelled: boolean;
}

export interface PreAnnotationOptions {
  readonly model: ActiveModel;
  readonly threshold?: number;
  readonly signal?: AbortSignal;
  readonly onProgress?: (progress: PreAnnotationProgress) => void;
  /** After each stored prediction (the library refreshes its rows). */
  readonly onPredicted?: (caseId: string) => void;
  /** Cases to leave to someone else right now (the case open in the editor predicts itself). */
  readonly skip?: (caseId: string) => boolean;
}

/** Predicts every listed case that has no prediction by `model` yet, in order. */
export async function preAnnotate(
  repository: Pick<CaseRepository, 'getCase' | 'getImage' | 'listVersions' | 'addPrediction'>,
  api: Pick<LesionDeskApi, 'segmentImage'>,
  caseIds: readonly string[],
  options: PreAnnotationOptions,
): Promise<PreAnnotationReport> {
  const report: PreAnnotationReport = { predicted: 0, skipped: 0, failed: [], cancelled: false };
  for (const [index, caseId] of caseIds.entries()) {
    if (options.signal?.aborted) {
      report.cancelled = true;
      break;
    }
    const record = await repository.getCase(caseId);
    options.onProgress?.({ done: index, total: caseIds.length, current: record?.fileName ?? '' });
    if (!record || options.skip?.(caseId) || findPrediction(await repository.listVersions(caseId), options.model)) {
      report.skipped++;
      continue;
    }
    try {
      const image = await repository.getImage(caseId);
      if (!image) throw new Error('its image is missing');
      const result = await runPrediction(api, record, image, options.threshold, 'background');
      // Asked again once the model has answered (seconds on a large photo): a case opened meanwhile
      // belongs to its view, which predicts it itself; a second prediction landing under a stroke
      // being drawn there would replace the mask it is drawn on.
      if (options.skip?.(caseId)) {
        report.skipped++;
        continue;
      }
      const stored = await savePrediction(repository, caseId, result, options.threshold);
      if (stored.placement === 'skipped') {
        // Approved meanwhile: an approved case gets no new prediction in the background.
        report.skipped++;
        continue;
      }
      report.predicted++;
      options.onPredicted?.(caseId);
    } catch (error) {
      report.failed.push({ caseId, fileName: record.fileName, reason: errorMessage(error) });
    }
  }
  options.onProgress?.({ done: caseIds.length, total: caseIds.length, current: '' });
  return report;
}
