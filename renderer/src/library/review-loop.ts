/**
 * The review loop from the keyboard: approve, approve and open the next case, flag, next and
 * previous case, in the library list's order (its filter and sort). The shell supplies the
 * pieces; the order of the steps is kept here so it is unit-tested.
 */
import type { ReviewAction } from '../case/case-commands.ts';

export interface ReviewLoop {
  /** The case open in the case view, or null. */
  openCaseId(): string | null;
  /** The case `step` rows away in the library list, or null at either end. */
  neighbour(caseId: string, step: 1 | -1): Promise<string | null>;
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
    case 'next':
    case 'previous': {
      const step = action === 'next' ? 1 : -1;
      const to = await loop.neighbour(from, step);
      if (!stillOn()) return;
      if (to) loop.open(to);
      else loop.notice(step > 0 ? 'This is the last case in the list.' : 'This is the first case in the list.');
      return;
    }
    case 'approve-next': {
      // Read before approving: under a "needs review" filter the approved case leaves the list.
      const to = await loop.neighbour(from, 1);
      if (!(await loop.approve()) || !stillOn()) return;
      if (to) loop.open(to);
      else loop.notice('Approved. That was the last case in the list.');
    }
  }
}
