/**
 * Background re-prediction after a model switch: every unapproved case whose latest prediction
 * came from another model (isStalePrediction) gets the running model's prediction, one case at
 * a time while the library stays usable. The repository decides where each one goes
 * (addPrediction): it replaces only a prediction; beside a person's or ground-truth mask it is
 * kept in the history, so a person's mask always stays the latest. A case approved meanwhile is
 * skipped. Cancellable between cases; a case that fails is reported and the rest go on.
 */
import type { LesionDeskApi, SegmentImageResult } from '../../../preload/api.ts';
import { runPrediction, savePrediction } from '../case/case-versions.ts';
import { errorMessage } from '../lib/format.ts';
import { isStalePrediction, type CaseRecord, type CaseRepository } from '../storage/index.ts';

export interface RepredictProgress {
  readonly done: number;
  readonly total: number;
  readonly current: string;
  /** Failures so far (the task goes on past them). */
  readonly failed: number;
}

export interface RepredictReport {
  /** Predictions that became the case's mask (they replaced an older prediction). */
  replaced: number;
  /** Predictions kept in the history beside a person's or ground-truth mask. */
  keptInHistory: number;
  /** Cases gone, approved, open in the editor, or no longer stale when their turn came. */
  skipped: number;
  /** Approved cases with a stale prediction, left as they are (reopening one includes it). */
  approved: number;
  failed: { caseId: string; fileName: string; reason: string }[];
  cancelled: boolean;
}

export interface RepredictOptions {
  /** `name@version` of the model the server runs now. */
  readonly runningModel: string;
  readonly threshold?: number;
  readonly signal?: AbortSignal;
  readonly onProgress?: (progress: RepredictProgress) => void;
  /** After each stored prediction. */
  readonly onPredicted?: (caseId: string) => void;
  /** Cases to leave alone right now (the case open in the editor: its view owns its versions). */
  readonly skip?: (caseId: string) => boolean;
}

/** A case's turn: skipped, or its model call (already started). */
interface Turn {
  readonly record: CaseRecord | undefined;
  readonly result: Promise<SegmentImageResult> | null;
}

/**
 * Re-predicts the unapproved stale cases, most uncertain first. The model call of the next case
 * starts while the current one is written to IndexedDB (one case ahead, so the server and the
 * page work at the same time); where each prediction goes is still decided when it is written.
 */
export async function repredictStale(
  repository: Pick<CaseRepository, 'listStaleCases' | 'getCase' | 'getImage' | 'addPrediction'>,
  api: Pick<LesionDeskApi, 'segmentImage'>,
  options: RepredictOptions,
): Promise<RepredictReport> {
  const report: RepredictReport = { replaced: 0, keptInHistory: 0, skipped: 0, approved: 0, failed: [], cancelled: false };
  const all = await repository.listStaleCases(options.runningModel, { includeApproved: true });
  const stale = all.filter((record) => record.status !== 'approved');
  report.approved = all.length - stale.length;
  const total = stale.length;

  const prepare = async (listed: CaseRecord): Promise<Turn> => {
    // Read again: the case may have been re-predicted, approved or deleted since the list was made.
    const record = await repository.getCase(listed.id);
    if (!record || record.status === 'approved' || options.skip?.(record.id) || !isStalePrediction(record, options.runningModel)) {
      return { record, result: null };
    }
    const result = repository.getImage(record.id).then((image) => {
      if (!image) throw new Error('its image is missing from the library');
      return runPrediction(api, record, image, options.threshold, 'background');
    });
    // A failure is reported at the case's turn; after a cancel nobody waits for it.
    result.catch(() => {});
    return { record, result };
  };

  let next = total > 0 ? prepare(stale[0]!) : null;
  for (let index = 0; index < total; index++) {
    if (options.signal?.aborted) {
      report.cancelled = true;
      break;
    }
    options.onProgress?.({ done: index, total, current: stale[index]!.fileName, failed: report.failed.length });
    const turn = await next!;
    next = index + 1 < total ? prepare(stale[index + 1]!) : null;
    if (!turn.record || !turn.result) {
      report.skipped++;
      continue;
    }
    try {
      const result = await turn.result;
      const stored = await savePrediction(repository, turn.record.id, result, options.threshold, { approved: 'skip' });
      if (stored.placement === 'latest') report.replaced++;
      else if (stored.placement === 'history') report.keptInHistory++;
      else report.skipped++;
      if (stored.version) options.onPredicted?.(turn.record.id);
    } catch (error) {
      report.failed.push({ caseId: turn.record.id, fileName: turn.record.fileName, reason: errorMessage(error) });
    }
  }
  // A cancel leaves the case prepared ahead unwritten; its model call is simply not awaited.
  if (!report.cancelled) options.onProgress?.({ done: total, total, current: '', failed: report.failed.length });
  return report;
}

/** One sentence for the library once a run ends. */
export function repredictSummary(report: RepredictReport, model: string): string {
  const done = report.replaced + report.keptInHistory;
  const parts = [`${report.cancelled ? 'Cancelled after re-predicting' : 'Re-predicted'} ${done} case${done === 1 ? '' : 's'} with ${model}`];
  if (report.keptInHistory > 0) {
    parts.push(`${report.keptInHistory} kept in the history because a person's or ground-truth mask is the latest`);
  }
  if (report.failed.length > 0) parts.push(`${report.failed.length} failed`);
  if (report.approved > 0) {
    parts.push(`${report.approved} approved case${report.approved === 1 ? ' keeps its' : 's keep their'} prediction (reopen one to include it)`);
  }
  return `${parts.join('; ')}.`;
}
