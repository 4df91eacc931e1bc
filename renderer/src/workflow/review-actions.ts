/**
 * The review actions behind the approve, flag and restore buttons. The storage workflow allows
 * approving or flagging only from "in progress"; a reviewer who accepts a prediction as it is
 * passes through "in progress" in the same action, and the history records both moves.
 */
import type { CaseRecord, CaseRepository, MaskVersionRecord } from '../storage/index.ts';

/** The repository calls the review actions need. */
export type ReviewStore = Pick<CaseRepository, 'getCase' | 'getVersion' | 'setStatus' | 'addMaskVersion'>;

/** Outcome of an approval: done, or the mask is empty and the user must confirm "no lesion". */
export type ApproveOutcome = { kind: 'approved'; record: CaseRecord } | { kind: 'needs-no-lesion-confirmation' };

/** Comment recorded when an empty mask is approved. */
export const noLesionComment = 'approved with no lesion (empty mask)';

async function requireCase(store: ReviewStore, caseId: string): Promise<CaseRecord> {
  const record = await store.getCase(caseId);
  if (!record) throw new Error('This case is no longer in the library.');
  return record;
}

// A case still new, predicted or ground truth is taken to "in progress" first: review starts with this action.
async function startReview(store: ReviewStore, record: CaseRecord, author: string): Promise<void> {
  if (record.status === 'new' || record.status === 'predicted' || record.status === 'ground-truth') {
    await store.setStatus(record.id, 'in-progress', { author, comment: 'review started' });
  }
}

/**
 * Approve a case's latest mask. An empty mask is approved only with `confirmedNoLesion`, so a
 * lesion the model missed is never approved by a stray click.
 */
export async function approveCase(
  store: ReviewStore,
  caseId: string,
  author: string,
  options: { confirmedNoLesion?: boolean; comment?: string } = {},
): Promise<ApproveOutcome> {
  const record = await requireCase(store, caseId);
  if (record.status === 'approved') throw new Error(`${record.fileName} is approved already.`);
  if (!record.latestVersionId) throw new Error(`${record.fileName} has no mask to approve yet; wait for the prediction or draw one.`);
  const version = await store.getVersion(record.latestVersionId);
  if (!version) throw new Error(`The latest mask of ${record.fileName} is missing from the library.`);
  if (version.area === 0 && !options.confirmedNoLesion) return { kind: 'needs-no-lesion-confirmation' };
  // A flagged case is approved by its second reader: reopen it, then approve, both recorded.
  if (record.status === 'flagged') await store.setStatus(caseId, 'in-progress', { author, comment: 'reopened to approve' });
  else await startReview(store, record, author);
  const comment = version.area === 0 ? noLesionComment : (options.comment ?? '').trim();
  return { kind: 'approved', record: await store.setStatus(caseId, 'approved', { author, comment }) };
}

/** Flag a case for a second look; the comment says what is wrong and is required. */
export async function flagCase(store: ReviewStore, caseId: string, author: string, comment: string): Promise<CaseRecord> {
  const text = comment.trim();
  if (!text) throw new Error('Flagging a case needs a comment that says what is wrong.');
  const record = await requireCase(store, caseId);
  if (record.status === 'flagged') throw new Error(`${record.fileName} is flagged already.`);
  if (record.status === 'approved') await store.setStatus(caseId, 'in-progress', { author, comment: 'reopened to flag' });
  else await startReview(store, record, author);
  return store.setStatus(caseId, 'flagged', { author, comment: text });
}

/**
 * Restore an earlier version: a new person version with the same pixels whose parent is the
 * restored one, so the history keeps every step and nothing is overwritten.
 */
export async function restoreVersion(store: ReviewStore, versionId: string, author: string): Promise<MaskVersionRecord> {
  const version = await store.getVersion(versionId);
  if (!version) throw new Error('That mask version is no longer in the library.');
  return store.addMaskVersion({
    caseId: version.caseId,
    png: version.png,
    authorKind: 'person',
    author,
    area: version.area,
    parentVersionId: version.id,
  });
}

/** A short label of who made a version: "model SCSONet@1.0.0", "Dr Lee", "ground truth (...)". */
export function versionAuthorLabel(version: Pick<MaskVersionRecord, 'authorKind' | 'author'>): string {
  if (version.authorKind === 'model') return `model ${version.author}`;
  return version.author;
}
