/**
 * The library's filter, sort and search as the user sets them, turned into the storage query.
 */
import { caseStatuses, type CaseQuery, type CaseSortKey, type CaseStatus, type LibraryViewSetting } from '../storage/index.ts';

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
  { key: 'uncertainty', label: 'Most uncertain first (ground truth last)' },
];

/**
 * What is remembered across reloads (the database setting `libraryView`, beside the other view
 * settings): the filters and the sort. Not the search, so a reload never opens on a list that
 * hides cases behind a forgotten search text.
 */
export function libraryViewOf(filter: LibraryFilter): LibraryViewSetting {
  return { status: filter.status, correction: filter.correction, model: filter.model, sort: filter.sort };
}

/**
 * The filter a stored view restores, each field checked: a value this version does not know (a
 * hand-edited or older setting) falls back to the default, so a stale setting never hides cases
 * behind a filter the controls cannot show.
 */
export function filterFromView(stored: Partial<LibraryViewSetting> | null | undefined): LibraryFilter {
  const view = stored ?? {};
  const pick = <T extends string>(value: unknown, allowed: readonly T[], fallback: T): T => (allowed.includes(value as T) ? (value as T) : fallback);
  return {
    status: pick(view.status, ['', ...caseStatuses], defaultLibraryFilter.status),
    correction: pick(view.correction, ['any', 'corrected', 'uncorrected'], defaultLibraryFilter.correction),
    model: typeof view.model === 'string' ? view.model : defaultLibraryFilter.model,
    sort: pick(view.sort, sortChoices.map((c) => c.key), defaultLibraryFilter.sort),
    search: '',
  };
}

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
