/**
 * The library list's position, shared by the list and the review loop: the page cache of the
 * current filter and sort, and the row the keyboard is on. The workspace owns it, so "next case"
 * reads the list's order here instead of calling into the mounted list.
 */
import { CasePageCache, neighbourCase, nextInQueue, type CaseSource, type QueueStep } from './case-pages.ts';

export class LibraryList {
  readonly cache: CasePageCache;
  /** The row the keyboard is on; -1 when none. */
  selectedIndex = $state(-1);

  constructor(source: CaseSource) {
    this.cache = new CasePageCache(source);
  }

  /** The case `step` rows from `caseId` as the list shows it now, or null at either end (the review loop's next and previous). */
  neighbour(caseId: string, step: 1 | -1): Promise<string | null> {
    return neighbourCase(this.cache, caseId, this.selectedIndex, step);
  }

  /** The next case of the review queue after `caseId` in the list's order, approved cases skipped. */
  nextToReview(caseId: string): Promise<QueueStep | null> {
    return nextInQueue(this.cache, caseId, this.selectedIndex);
  }
}
