import { describe, expect, it, vi } from 'vitest';
import type { ImportReport } from '../exchange/index.ts';
import type { CasePage, CaseQuery, CaseRecord } from '../storage/index.ts';
import { CasePageCache, neighbourCase } from './case-pages.ts';
import { importHeadline, importNeedsAttention, progressFraction, progressLabel } from './import-summary.ts';
import { defaultLibraryFilter, filterFromView, isFiltering, libraryViewOf, queryForFilter } from './library-filter.ts';
import { listMoveForKey } from './list-keys.ts';
import { ThumbnailUrls } from './thumbnail-urls.ts';
import { scrollToReveal, visibleWindow } from './virtual-window.ts';

function fakeCase(i: number): CaseRecord {
  return {
    id: `c${i}`,
    fileName: `case-${String(i).padStart(5, '0')}.jpg`,
    status: 'new',
    createdAt: i,
    updatedAt: i,
    assignee: null,
    uncertainty: null,
    latestVersionId: null,
    activeModel: null,
    hasCorrection: false,
    width: 10,
    height: 10,
    pixelsPerMm: null,
  };
}

function fakeSource(total: number) {
  const calls: CaseQuery[] = [];
  return {
    calls,
    async listCases(query: CaseQuery): Promise<CasePage> {
      calls.push(query);
      const offset = query.offset ?? 0;
      const end = Math.min(total, offset + (query.limit ?? total));
      return { cases: Array.from({ length: Math.max(0, end - offset) }, (_, k) => fakeCase(offset + k)), total };
    },
  };
}

describe('visibleWindow', () => {
  it('renders only the rows in view plus overscan at 10,000 cases', () => {
    const w = visibleWindow(56 * 5000, 560, 56, 10_000, 6);
    expect(w.start).toBe(4994);
    expect(w.end).toBe(5000 + 11 + 6);
    expect(w.end - w.start).toBeLessThan(30);
    expect(w.offsetY).toBe(4994 * 56);
    expect(w.totalHeight).toBe(560_000);
  });

  it('clamps at both ends and handles an empty list', () => {
    expect(visibleWindow(0, 300, 50, 3, 4)).toMatchObject({ start: 0, end: 3 });
    expect(visibleWindow(-20, 300, 50, 0)).toEqual({ start: 0, end: 0, offsetY: 0, totalHeight: 0 });
    expect(visibleWindow(1e9, 300, 50, 100, 2).end).toBe(100);
    expect(() => visibleWindow(0, 300, 0, 10)).toThrow(RangeError);
  });

  it('scrolls a row into view only when it is outside', () => {
    expect(scrollToReveal(2, 0, 500, 50)).toBeNull();
    expect(scrollToReveal(20, 0, 500, 50)).toBe(21 * 50 - 500);
    expect(scrollToReveal(1, 200, 500, 50)).toBe(50);
  });
});

describe('listMoveForKey', () => {
  it('moves with arrows and j/k, clamped to the list', () => {
    expect(listMoveForKey({ key: 'ArrowDown' }, 3, 10, 8)).toEqual({ kind: 'move', index: 4 });
    expect(listMoveForKey({ key: 'j' }, 9, 10, 8)).toEqual({ kind: 'move', index: 9 });
    expect(listMoveForKey({ key: 'k' }, 0, 10, 8)).toEqual({ kind: 'move', index: 0 });
    expect(listMoveForKey({ key: 'ArrowUp' }, -1, 10, 8)).toEqual({ kind: 'move', index: 0 });
    expect(listMoveForKey({ key: 'End' }, 2, 10, 8)).toEqual({ kind: 'move', index: 9 });
    expect(listMoveForKey({ key: 'PageDown' }, 0, 100, 8)).toEqual({ kind: 'move', index: 7 });
  });

  it('opens with Enter only when a row is selected and ignores modified keys', () => {
    expect(listMoveForKey({ key: 'Enter' }, 2, 10, 8)).toEqual({ kind: 'open' });
    expect(listMoveForKey({ key: 'Enter' }, -1, 10, 8)).toBeNull();
    expect(listMoveForKey({ key: 'j', ctrlKey: true }, 2, 10, 8)).toBeNull();
    expect(listMoveForKey({ key: 'x' }, 2, 10, 8)).toBeNull();
    expect(listMoveForKey({ key: 'j' }, -1, 0, 8)).toBeNull();
  });
});

describe('queryForFilter', () => {
  it('maps the controls to a storage query', () => {
    expect(queryForFilter(defaultLibraryFilter)).toEqual({ sort: 'date' });
    expect(
      queryForFilter({ status: 'flagged', correction: 'uncorrected', model: 'SCSONet@1.0.0', sort: 'uncertainty', search: '  ISIC_00 ' }),
    ).toEqual({ status: 'flagged', hasCorrection: false, activeModel: 'SCSONet@1.0.0', sort: 'uncertainty', search: 'ISIC_00' });
    expect(isFiltering(defaultLibraryFilter)).toBe(false);
    expect(isFiltering({ ...defaultLibraryFilter, search: 'x' })).toBe(true);
    expect(isFiltering({ ...defaultLibraryFilter, sort: 'name' })).toBe(false);
  });
});

describe('remembered library view', () => {
  it('keeps the filters and sort (not the search) and restores them; an unknown value falls back to the default', () => {
    const filter = { status: 'ground-truth', correction: 'corrected', model: 'scsonet@1.1.0', sort: 'uncertainty', search: 'ISIC_1' } as const;
    const view = libraryViewOf(filter);
    expect(view).toEqual({ status: 'ground-truth', correction: 'corrected', model: 'scsonet@1.1.0', sort: 'uncertainty' });
    expect(filterFromView(JSON.parse(JSON.stringify(view)))).toEqual({ ...filter, search: '' });
    expect(filterFromView(null)).toEqual(defaultLibraryFilter);
    expect(filterFromView({ status: 'archived', correction: 'maybe', model: 'scsonet@1.1.0', sort: 'size' })).toEqual({ ...defaultLibraryFilter, model: 'scsonet@1.1.0' });
  });
});

describe('CasePageCache', () => {
  it('reads pages by offset and limit, once each', async () => {
    const source = fakeSource(10_000);
    const cache = new CasePageCache(source, 64);
    cache.setQuery({ sort: 'name' });
    expect(await cache.ensure(100, 140)).toBe(true);
    expect(source.calls).toEqual([{ sort: 'name', offset: 64, limit: 64 }, { sort: 'name', offset: 128, limit: 64 }]);
    expect(cache.total).toBe(10_000);
    expect(cache.at(100)?.id).toBe('c100');
    expect(cache.at(0)).toBeUndefined();
    expect(await cache.ensure(110, 120)).toBe(false);
    expect(source.calls).toHaveLength(2);
    expect(cache.indexOf('c130')).toBe(130);
  });

  it('keeps a bounded number of pages and re-reads after invalidate', async () => {
    const source = fakeSource(10_000);
    const cache = new CasePageCache(source, 10, 3);
    for (let start = 0; start < 100; start += 10) await cache.ensure(start, start + 10);
    expect(cache.at(95)?.id).toBe('c95');
    expect(cache.at(5)).toBeUndefined();
    cache.invalidate();
    expect(cache.at(95)).toBeUndefined();
    await cache.ensure(95, 96);
    expect(cache.at(95)?.id).toBe('c95');
  });

  it('drops answers to a query that was replaced meanwhile', async () => {
    const source = fakeSource(50);
    const cache = new CasePageCache(source, 10);
    const stale = cache.ensure(0, 10);
    cache.setQuery({ status: 'approved' });
    expect(await stale).toBe(false);
    expect(cache.at(0)).toBeUndefined();
  });
});

describe('neighbourCase', () => {
  it('finds the next and previous case across a page boundary, and null past the ends', async () => {
    const cache = new CasePageCache(fakeSource(130), 64);
    await cache.ensure(60, 64);
    expect(await neighbourCase(cache, 'c63', 63, 1)).toBe('c64');
    expect(await neighbourCase(cache, 'c63', 63, -1)).toBe('c62');
    expect(await neighbourCase(cache, 'c0', 0, -1)).toBeNull();
    await cache.ensure(129, 130);
    expect(await neighbourCase(cache, 'c129', 129, 1)).toBeNull();
  });

  it('reads the pages again after a write dropped them', async () => {
    const cache = new CasePageCache(fakeSource(10), 4);
    await cache.ensure(0, 4);
    cache.invalidate();
    expect(await neighbourCase(cache, 'c5', 5, 1)).toBe('c6');
  });

  it('when the case left the list, the one that moved into its row is next', async () => {
    // c3 was at row 3; approved under a filter, the list is now c0 c1 c2 c4 ...
    const source = {
      async listCases(query: CaseQuery): Promise<CasePage> {
        const all = Array.from({ length: 8 }, (_, i) => fakeCase(i)).filter((c) => c.id !== 'c3');
        const offset = query.offset ?? 0;
        return { cases: all.slice(offset, offset + (query.limit ?? all.length)), total: all.length };
      },
    };
    const cache = new CasePageCache(source, 4);
    expect(await neighbourCase(cache, 'c3', 3, 1)).toBe('c4');
    expect(await neighbourCase(cache, 'c3', 3, -1)).toBe('c2');
    expect(await neighbourCase(cache, 'c3', -1, 1)).toBeNull();
  });
});

describe('ThumbnailUrls', () => {
  it('creates one URL per thumbnail, caches it and revokes the least recently used', async () => {
    const revoked: string[] = [];
    let n = 0;
    const source = { getThumbnail: vi.fn(async (id: string) => (id === 'none' ? undefined : new Blob([id]))) };
    const urls = new ThumbnailUrls(source, 2, () => `blob:${++n}`, (url) => revoked.push(url));
    expect(await urls.get('a')).toBe('blob:1');
    expect(await urls.get('a')).toBe('blob:1');
    expect(await urls.get('none')).toBeNull();
    expect(urls.peek('a')).toBe('blob:1');
    expect(await urls.get('b')).toBe('blob:2');
    expect(revoked).toEqual([]);
    expect(urls.peek('none')).toBeUndefined();
    expect(await urls.get('c')).toBe('blob:3');
    expect(revoked).toEqual(['blob:1']);
    expect(source.getThumbnail).toHaveBeenCalledTimes(4);
    urls.clear();
    expect(revoked).toEqual(['blob:1', 'blob:2', 'blob:3']);
  });
});

describe('import summary', () => {
  const report: ImportReport = {
    importedCaseIds: ['a', 'b'],
    duplicates: 1,
    masksImported: 2,
    masksAlreadyPresent: 0,
    failures: [{ path: 'set/broken.jpg', reason: 'broken.jpg could not be read as an image' }],
    ignored: ['set/.DS_Store'],
    cancelled: false,
  };

  it('says what was imported and what failed', () => {
    expect(importHeadline(report)).toBe('Imported 2 images and 2 masks · 1 already in the library · 1 failed · 1 other file ignored');
    expect(importNeedsAttention(report)).toBe(true);
    expect(importNeedsAttention({ ...report, failures: [] })).toBe(false);
    expect(importNeedsAttention({ ...report, failures: [], importedCaseIds: [], duplicates: 0, masksImported: 0 })).toBe(true);
  });

  it('reports progress over images then masks', () => {
    expect(progressLabel({ phase: 'images', done: 11, total: 40, current: 'x.jpg' })).toBe('Reading images 12 of 40');
    expect(progressFraction({ phase: 'images', done: 20, total: 40, current: '' })).toBeCloseTo(0.4);
    expect(progressFraction({ phase: 'masks', done: 40, total: 40, current: '' })).toBe(1);
  });
});
