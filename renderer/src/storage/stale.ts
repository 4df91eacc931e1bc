/**
 * The stale rule: a case's prediction is stale when the model that made its latest prediction
 * (the case's `activeModel`, `name@version`) is not the model that runs now. A case no model has
 * predicted is not stale (there is nothing to redo, pre-annotation handles it), and nothing is
 * stale while the running model is unknown (the server has not answered yet).
 */
import type { CaseRecord } from './types.ts';

export function isStalePrediction(record: Pick<CaseRecord, 'activeModel'>, runningModel: string | null): boolean {
  return runningModel !== null && record.activeModel !== null && record.activeModel !== runningModel;
}
