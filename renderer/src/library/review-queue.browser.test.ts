// The review queue against a real IndexedDB (vitest.browser.config.ts): "Most uncertain first"
// as the library lists it, and the next case that the "Next case" button and N open.
import { afterEach, describe, expect, it } from 'vitest';
import { openCaseRepository, type CaseRepository } from '../storage/case-repository.ts';
import { CasePageCache, nextInQueue } from './case-pages.ts';
import { queryForFilter, defaultLibraryFilter } from './library-filter.ts';

const opened: { name: string; repository: CaseRepository }[] = [];

async function freshRepository(): Promise<CaseRepository> {
  const name = `lesiondesk-queue-test-${crypto.randomUUID()}`;
  const repository = await openCaseRepository(name);
  opened.push({ name, repository });
  return repository;
}

afterEach(async () => {
  for (const { name, repository } of opened.splice(0)) {
    repository.close();
    await new Promise((resolve) => {
      const request = indexedDB.deleteDatabase(name);
      request.onsuccess = request.onerror = request.onblocked = resolve;
    });
  }
});

const png = new Blob([new Uint8Array([137, 80, 78, 71])], { type: 'image/png' });

/** Imports one case per entry; a number is the uncertainty its prediction stores, null: not predicted yet. */
async function seed(repository: CaseRepository, cases: [string, number | null][]): Promise<Map<string, string>> {
  const ids = new Map<string, string>();
  for (const [fileName, uncertainty] of cases) {
    const { caseId } = await repository.importImage({ fileName, blob: new Blob([fileName], { type: 'image/png' }), width: 4, height: 4 });
    ids.set(fileName, caseId);
    if (uncertainty !== null) {
      await repository.addMaskVersion({ caseId, png, authorKind: 'model', author: 'scsonet@1.0.0', area: 3, uncertainty, threshold: 0.5 });
    }
  }
  return ids;
}

const queueQuery = queryForFilter({ ...defaultLibraryFilter, sort: 'uncertainty' });

async function queueNames(repository: CaseRepository, pageSize = 3): Promise<string[]> {
  // Read in small pages, as the list does, so the order must hold across page boundaries.
  const names: string[] = [];
  for (let offset = 0; ; offset += pageSize) {
    const page = await repository.listCases({ ...queueQuery, offset, limit: pageSize });
    names.push(...page.cases.map((c) => c.fileName));
    if (offset + pageSize >= page.total) return names;
  }
}

describe('review queue: most uncertain first', () => {
  it('orders by uncertainty, highest first, with cases that have no score yet last', async () => {
    const repository = await freshRepository();
    await seed(repository, [
      ['low.png', 0.05],
      ['unscored-1.png', null],
      ['high.png', 0.9],
      ['zero.png', 0],
      ['mid.png', 0.4],
      ['unscored-2.png', null],
    ]);
    const names = await queueNames(repository);
    expect(names.slice(0, 4)).toEqual(['high.png', 'mid.png', 'low.png', 'zero.png']);
    // A score of 0 (a crisp mask) still ranks above "not predicted yet".
    expect(new Set(names.slice(4))).toEqual(new Set(['unscored-1.png', 'unscored-2.png']));
  });

  it('keeps ties in one fixed order, whatever the page size and however often it is read', async () => {
    const repository = await freshRepository();
    await seed(repository, [
      ['a.png', 0.5],
      ['b.png', 0.7],
      ['c.png', 0.5],
      ['d.png', 0.5],
      ['e.png', 0.2],
      ['f.png', 0.5],
    ]);
    const first = await queueNames(repository, 1);
    expect(first[0]).toBe('b.png');
    expect(new Set(first.slice(1, 5))).toEqual(new Set(['a.png', 'c.png', 'd.png', 'f.png']));
    expect(first[5]).toBe('e.png');
    for (const pageSize of [2, 4, 50]) expect(await queueNames(repository, pageSize)).toEqual(first);
    // A write elsewhere (a status change on another case) does not reshuffle the tied cases.
    const page = await repository.listCases({ ...queueQuery, offset: 0, limit: 50 });
    await repository.setStatus(page.cases[5]!.id, 'in-progress');
    expect(await queueNames(repository, 3)).toEqual(first);
  });

  it('"next case" walks the queue in that order, skips approved cases, goes round once, and says when it is empty', async () => {
    const repository = await freshRepository();
    const ids = await seed(repository, [
      ['u10.png', 0.1],
      ['u90.png', 0.9],
      ['u50.png', 0.5],
      ['u70.png', 0.7],
      ['none.png', null],
    ]);
    const approve = async (name: string) => {
      const id = ids.get(name)!;
      await repository.setStatus(id, 'in-progress');
      await repository.setStatus(id, 'approved');
      cache.invalidate();
    };
    // Page size 2: the walk must read further pages on its own.
    const cache = new CasePageCache(repository, 2);
    cache.setQuery(queueQuery);
    const nameOf = (id: string | undefined) => [...ids].find(([, v]) => v === id)?.[0];
    const next = async (from: string) => {
      const step = await nextInQueue(cache, ids.get(from)!, -1);
      return step && { name: nameOf(step.id), wrapped: step.wrapped };
    };
    await cache.ensure(0, 2);

    expect(await next('u90.png')).toEqual({ name: 'u70.png', wrapped: false });
    await approve('u70.png');
    await approve('u50.png');
    // Approved cases stay in the list but the queue steps over them.
    await cache.ensure(0, 2);
    expect(await next('u90.png')).toEqual({ name: 'u10.png', wrapped: false });
    expect(await next('u10.png')).toEqual({ name: 'none.png', wrapped: false });
    // From the end it goes round to the top for a case still to review.
    expect(await next('none.png')).toEqual({ name: 'u90.png', wrapped: true });
    await approve('u90.png');
    await approve('u10.png');
    await cache.ensure(0, 2);
    // Only the open case itself is left: the queue is empty.
    expect(await next('none.png')).toBeNull();
  });
});
