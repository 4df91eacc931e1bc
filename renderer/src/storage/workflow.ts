/**
 * The review workflow: new -> predicted -> in progress -> approved | flagged. Kept free of Dexie
 * so the UI can ask which buttons to enable and plain unit tests can pin the rules.
 */
import type { CaseStatus } from './types.ts';

/**
 * Allowed moves. Besides the main path: a case can go from `new` straight to `in-progress`
 * (annotating without a model), and an approved or flagged case can be reopened, because a
 * wrong approval must be fixable without deleting the case. Only importing a reference mask
 * makes a case `ground-truth` (CaseRepository.addMaskVersion); editing it starts a review.
 */
export const allowedTransitions: Readonly<Record<CaseStatus, readonly CaseStatus[]>> = {
  new: ['predicted', 'in-progress'],
  predicted: ['in-progress'],
  'ground-truth': ['in-progress'],
  'in-progress': ['approved', 'flagged'],
  approved: ['in-progress'],
  flagged: ['in-progress'],
};

const statusLabels: Record<CaseStatus, string> = {
  new: 'new',
  predicted: 'predicted',
  'ground-truth': 'ground truth',
  'in-progress': 'in progress',
  approved: 'approved',
  flagged: 'flagged',
};

/** Human label of a status ("in progress"). */
export function statusLabel(status: CaseStatus): string {
  return statusLabels[status];
}

/** Whether a case may move from `from` to `to`. */
export function canTransition(from: CaseStatus, to: CaseStatus): boolean {
  return allowedTransitions[from].includes(to);
}

/** Why a move is refused, as a sentence for the user; null when it is allowed. */
export function transitionProblem(from: CaseStatus, to: CaseStatus, comment: string | undefined): string | null {
  if (!canTransition(from, to)) {
    const next = allowedTransitions[from].map(statusLabel).join(' or ');
    return `A case that is ${statusLabel(from)} cannot become ${statusLabel(to)}; it can become ${next}.`;
  }
  if (to === 'flagged' && !(comment ?? '').trim()) {
    return 'Flagging a case needs a comment that says what is wrong.';
  }
  return null;
}
