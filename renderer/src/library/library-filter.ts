/**
 * The library's filter, sort and search as the user sets them, turned into the storage query.
 */
import type { CaseQuery, CaseSortKey, CaseStatus } from '../storage/index.ts';

/** What the library controls hold. Empty strings mean "any". */
export interface LibraryFilter {
  status: CaseStatus | '';
  correction: 'any' | 'corrected' | 'uncorrected';
  /** `name@version`, or '' for any model. */
  model: string;
  sort: CaseSortKey;
  search: string;
}

/** The filter a fresh library starts with: everything, newest first. */
export const defaultLibraryFilter: Readonly<LibraryFilter> = { status: '', correction: 'any', model: '', sort: 'date', search: '' };

/** Sort choices with their labels; uncertainty first is the review queue. */
export const sortChoices: readonly { key: CaseSortKey; label: string }[] = [
  { key: 'date', label: 'Newest first' },
  { key: 'name', label: 'Name' },
  { key: 'uncertainty', label: 'Most uncertain first' },
];

/** The storage query for a filter (without the window, which the list adds). */
export function queryForFilter(filter: LibraryFilter): CaseQuery {
  const query: CaseQuery = { sort: filter.sort };
  if (filter.status) query.status = filter.status;
  if (filter.correction !== 'any') query.hasCorrection = filter.correction === 'corrected';
  if (filter.model) query.activeModel = filter.model;
  const search = filter.search.trim();
  if (search) query.search = search;
  return query;
}

/** True when the filter hides some cases (the empty list then says "no match", not "import"). */
export function isFiltering(filter: LibraryFilter): boolean {
  return filter.status !== '' || filter.correction !== 'any' || filter.model !== '' || filter.search.trim() !== '';
}
