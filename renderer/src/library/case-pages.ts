/**
 * Rows of the library list, fetched in fixed pages by offset and limit and kept in a small cache,
 * so scrolling through 10,000 cases reads only the pages that come into view.
 */
import type { CasePage, CaseQuery, CaseRecord } from '../storage/index.ts';

/** Where the pages come from (the storage repository). */
export interface CaseSource {
  listCases(query: CaseQuery): Promise<CasePage>;
}

/** Cached pages of one query. Replace the query with `setQuery`; call `invalidate` after writes. */
export class CasePageCache {
  private pages = new Map<number, CaseRecord[]>();
  private loading = new Map<number, Promise<void>>();
  private query: CaseQuery = {};
  // Bumped on every query change or invalidation: answers to older requests are dropped.
  private generation = 0;
  /** Cases matching the query, from the latest page read; null before the first read. */
  total: number | null = null;

  constructor(
    private readonly source: CaseSource,
    readonly pageSize = 64,
    private readonly maxPages = 40,
  ) {}

  /** Switch to another query; cached pages are dropped. */
  setQuery(query: CaseQuery): void {
    this.query = { ...query };
    this.invalidate();
    this.total = null;
  }

  /** Forget cached pages (the data changed) but keep the total until the next read. */
  invalidate(): void {
    this.generation++;
    this.pages.clear();
    this.loading.clear();
  }

  /** The case at a list index, when its page is loaded. */
  at(index: number): CaseRecord | undefined {
    return this.pages.get(Math.floor(index / this.pageSize))?.[index % this.pageSize];
  }

  /** Index of a case among the loaded pages, or -1. */
  indexOf(caseId: string): number {
    for (const [page, rows] of this.pages) {
      const i = rows.findIndex((row) => row.id === caseId);
      if (i >= 0) return page * this.pageSize + i;
    }
    return -1;
  }

  /** Load the pages covering rows [start, end); resolves true when something new arrived. */
  async ensure(start: number, end: number): Promise<boolean> {
    const first = Math.floor(Math.max(0, start) / this.pageSize);
    const last = Math.max(first, Math.floor(Math.max(0, end - 1) / this.pageSize));
    const generation = this.generation;
    const waits: Promise<void>[] = [];
    let fetched = false;
    for (let page = first; page <= last; page++) {
      if (this.pages.has(page)) continue;
      if (this.total !== null && page * this.pageSize >= this.total && page > 0) continue;
      let pending = this.loading.get(page);
      if (!pending) {
        fetched = true;
        pending = this.source.listCases({ ...this.query, offset: page * this.pageSize, limit: this.pageSize }).then((result) => {
          if (generation !== this.generation) return;
          this.loading.delete(page);
          this.pages.set(page, result.cases);
          this.total = result.total;
          this.evictAround(first, last);
        });
        this.loading.set(page, pending);
      }
      waits.push(pending);
    }
    await Promise.all(waits);
    return fetched && generation === this.generation;
  }

  // Keep the cache bounded: drop the pages farthest from the ones in view.
  private evictAround(first: number, last: number): void {
    if (this.pages.size <= this.maxPages) return;
    const distance = (page: number) => (page < first ? first - page : page > last ? page - last : 0);
    const byDistance = [...this.pages.keys()].sort((a, b) => distance(b) - distance(a));
    for (const page of byDistance.slice(0, this.pages.size - this.maxPages)) this.pages.delete(page);
  }
}

/**
 * The case `step` rows from `caseId` in the list as it is now, or null past either end (the
 * review loop's next and previous case). `selected` is the row the case was shown at: when the
 * case has left the list since (approved under a "needs review" filter), its successor moved up
 * into that row and is the next one.
 */
export async function neighbourCase(cache: CasePageCache, caseId: string, selected: number, step: 1 | -1): Promise<string | null> {
  let index = cache.indexOf(caseId);
  if (index < 0 && selected >= 0) {
    // Every write drops the cached pages: read the rows around where the case was shown.
    await cache.ensure(selected - 1, selected + 2);
    index = cache.indexOf(caseId);
  }
  if (index < 0 && selected < 0) return null;
  const target = index >= 0 ? index + step : step > 0 ? selected : selected - 1;
  if (target < 0 || (cache.total !== null && target >= cache.total)) return null;
  await cache.ensure(target, target + 1);
  return cache.at(target)?.id ?? null;
}

/** The case the review queue opens next, and whether the search went round to the list's top. */
export interface QueueStep {
  id: string;
  wrapped: boolean;
}

/**
 * A case still needs review unless it is approved or its mask is its imported ground truth
 * (flagged cases wait for a second reader).
 */
export const needsReview = (record: CaseRecord): boolean => record.status !== 'approved' && record.status !== 'ground-truth';

// The first row in [from, to) other than `exclude` that `accept` takes, reading pages as needed.
async function firstAccepted(
  cache: CasePageCache,
  from: number,
  to: number,
  exclude: string,
  accept: (record: CaseRecord) => boolean,
): Promise<string | null> {
  for (let index = Math.max(0, from); index < to; index++) {
    if (cache.total !== null && index >= cache.total) return null;
    if (!cache.at(index)) await cache.ensure(index, index + cache.pageSize);
    const row = cache.at(index);
    // Past the end, or the list changed meanwhile (its pages were dropped): stop rather than guess.
    if (!row) return null;
    if (row.id !== exclude && accept(row)) return row.id;
  }
  return null;
}

/**
 * The next case of the review queue after `caseId`: the first case below it in the list's order
 * (its sort, e.g. "Most uncertain first", and filter) that still needs review, so approved cases
 * are skipped. When none is below, the search goes round from the top (a case skipped earlier);
 * null when no other case in the list needs review. `selected` is the row the case was shown at,
 * as for `neighbourCase`.
 */
export async function nextInQueue(
  cache: CasePageCache,
  caseId: string,
  selected: number,
  accept: (record: CaseRecord) => boolean = needsReview,
): Promise<QueueStep | null> {
  let index = cache.indexOf(caseId);
  if (index < 0 && selected >= 0) {
    await cache.ensure(selected - 1, selected + 2);
    index = cache.indexOf(caseId);
  }
  if (index < 0 && selected < 0) {
    // Shown nowhere the list knows of (opened while the list was scrolled or re-sorted): find its row.
    const found = await firstAccepted(cache, 0, Infinity, '', (record) => record.id === caseId);
    if (found) index = cache.indexOf(caseId);
  }
  // A case that left the list (approved under a "needs review" filter): its successor moved up into its row.
  const start = index >= 0 ? index + 1 : Math.max(0, selected);
  const below = await firstAccepted(cache, start, Infinity, caseId, accept);
  if (below) return { id: below, wrapped: false };
  const above = await firstAccepted(cache, 0, start, caseId, accept);
  return above ? { id: above, wrapped: true } : null;
}
