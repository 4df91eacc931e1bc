/**
 * The review loop from the keyboard: approve, approve and open the next case, flag, next and
 * previous case, in the library list's order (its filter and sort). "Next" (N, the review bar's
 * "Next case") and "approve and next" follow the review queue: the next case below that still
 * needs review, so approved cases are skipped; with "Most uncertain first" that is the most
 * uncertain case left. "Previous" walks back row by row. The shell supplies the pieces; the
 * order of the steps is kept here so it is unit-tested.
 */
import type { ReviewAction } from '../case/case-commands.ts';
import type { QueueStep } from './case-pages.ts';

export interface ReviewLoop {
  /** The case open in the case view, or null. */
  openCaseId(): string | null;
  /** The case `step` rows away in the library list, or null at either end. */
  neighbour(caseId: string, step: 1 | -1): Promise<string | null>;
  /** The review queue's next case after `caseId` (see case-pages.ts nextInQueue), or null when it is empty. */
  nextToReview(caseId: string): Promise<QueueStep | null>;
  /** Approves the open case as the review bar's button does; true once it is approved (already, or after the no-lesion question). */
  approve(): Promise<boolean>;
  /** Opens the flag dialog (the comment is required). */
  flag(): void;
  open(caseId: string): void;
  notice(text: string): void;
}

export async function runReviewAction(action: ReviewAction, loop: ReviewLoop): Promise<void> {
  const from = loop.openCaseId();
  if (!from) return;
  // Each await may outlast a click elsewhere: never move away from a case the user has left already.
  const stillOn = () => loop.openCaseId() === from;
  switch (action) {
    case 'flag':
      loop.flag();
      return;
    case 'approve':
      await loop.approve();
      return;
    case 'previous': {
      const to = await loop.neighbour(from, -1);
      if (!stillOn()) return;
      if (to) loop.open(to);
      else loop.notice('This is the first case in the list.');
      return;
    }
    case 'next': {
      const to = await loop.nextToReview(from);
      if (!stillOn()) return;
      if (to) openStep(loop, to);
      else loop.notice(queueEmpty);
      return;
    }
    case 'approve-next': {
      // Read before approving: under a "needs review" filter the approved case leaves the list.
      const to = await loop.nextToReview(from);
      if (!(await loop.approve()) || !stillOn()) return;
      if (to) openStep(loop, to);
      else loop.notice(`Approved. ${queueEmpty}`);
    }
  }
}

/** Said when no other case in the list needs review. */
export const queueEmpty = 'The review queue is empty: this was the last case to review; every other case in the list is approved.';

function openStep(loop: ReviewLoop, step: QueueStep): void {
  loop.open(step.id);
  if (step.wrapped) loop.notice('Back at the top of the list: every case below is approved; this one still needs review.');
}
