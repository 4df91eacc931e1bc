import { describe, expect, it } from 'vitest';
import { StorageError, type MaskVersionRecord, type NewMaskVersion } from '../storage/index.ts';
import { findPrediction, modelAuthor, PersonVersionWriter, reusablePrediction, saveRefusal, storePrediction, versionLabel, type VersionStore } from './case-versions.ts';

function version(partial: Partial<MaskVersionRecord>): MaskVersionRecord {
  return { id: 'v', caseId: 'c', png: new Blob(), authorKind: 'model', author: 'scsonet@1.0.0', createdAt: 0, area: 0, parentVersionId: null, ...partial };
}

const probabilityMap = { width: 1, height: 1, data: new Blob([new Float32Array([0.5])]) };

/** An in-memory store with the repository's rules: conditional writes, history-only versions. */
function fakeStore(initialLatest: string | null = null) {
  const versions: MaskVersionRecord[] = [];
  let latest: string | null = initialLatest;
  const store: VersionStore = {
    async addMaskVersion(input: NewMaskVersion) {
      if (!input.historyOnly && input.expectedLatestVersionId !== undefined && input.expectedLatestVersionId !== latest) {
        throw new StorageError('conflict', 'Bo saved a newer version', null);
      }
      const { expectedLatestVersionId: _expected, historyOnly, ...fields } = input;
      const record = version({ ...fields, id: `v${versions.length + 1}`, parentVersionId: input.parentVersionId ?? null });
      versions.push(record);
      if (!historyOnly) latest = record.id;
      return record;
    },
    async updateMaskVersion(id, changes) {
      const record = versions.find((v) => v.id === id)!;
      if (latest !== id) throw new StorageError('conflict', 'Bo saved a newer version', null);
      Object.assign(record, changes);
      return record;
    },
  };
  return { store, versions, setLatest: (id: string) => (latest = id), latest: () => latest };
}

describe('case versions', () => {
  it('finds the newest prediction of the active model that has a probability map', () => {
    const model = { name: 'scsonet', version: '1.0.0' };
    const versions = [
      version({ id: 'old', createdAt: 1, probabilityMap }),
      version({ id: 'new', createdAt: 5, probabilityMap }),
      version({ id: 'no-map', createdAt: 9 }),
      version({ id: 'other-model', createdAt: 10, author: 'scsonet@2.0.0', probabilityMap }),
      version({ id: 'person', createdAt: 11, authorKind: 'person', author: 'Ana', probabilityMap }),
    ];
    expect(modelAuthor(model)).toBe('scsonet@1.0.0');
    expect(findPrediction(versions, model)?.id).toBe('new');
    expect(findPrediction(versions, { name: 'other', version: '1' })).toBeNull();
    expect(versionLabel(versions[4]!, 'en-GB')).toMatch(/^Ana · person · /);
  });

  it('reuses a stored prediction only while the case names that model (a roll back predicts again)', () => {
    const model = { name: 'scsonet', version: '1.0.0' };
    const versions = [version({ id: 'mine', createdAt: 1, probabilityMap }), version({ id: 'newer-model', createdAt: 5, author: 'scsonet@1.1.0', probabilityMap })];
    expect(reusablePrediction({ activeModel: 'scsonet@1.0.0' }, versions, model)?.id).toBe('mine');
    expect(reusablePrediction({ activeModel: null }, versions, model)?.id).toBe('mine');
    // 1.1.0 predicted the case after 1.0.0; back on 1.0.0 the case is stale until 1.0.0 runs again.
    expect(reusablePrediction({ activeModel: 'scsonet@1.1.0' }, versions, model)).toBeNull();
  });

  it('adds one person version per session, then updates it', async () => {
    const { store, versions } = fakeStore('model-1');
    const writer = new PersonVersionWriter(store, 'c', 'Ana', 'model-1');
    await writer.write(new Blob(['a']), 10);
    await writer.write(new Blob(['b']), 12);
    expect(versions).toHaveLength(1);
    expect(versions[0]).toMatchObject({ authorKind: 'person', author: 'Ana', parentVersionId: 'model-1', area: 12 });
  });

  it('never writes over a version saved meanwhile: the save is refused until the user chooses', async () => {
    const { store, versions, setLatest, latest } = fakeStore();
    const writer = new PersonVersionWriter(store, 'c', 'Ana', null);
    await writer.write(new Blob(['a']), 1);
    setLatest('someone-else');
    const refused = await writer.write(new Blob(['b']), 2).catch((error: unknown) => error);
    expect(saveRefusal(refused)).toMatchObject({ code: 'conflict' });
    expect(versions.map((v) => v.area)).toEqual([1]);
    // "Put mine on top": a new version whose parent is theirs.
    writer.putOnTop({ id: 'someone-else' });
    await writer.write(new Blob(['b']), 2);
    expect(versions.map((v) => [v.id, v.parentVersionId])).toEqual([
      ['v1', null],
      ['v2', 'someone-else'],
    ]);
    expect(writer.versionId).toBe('v2');
    expect(latest()).toBe('v2');
  });

  it('refuses a first save when the case moved on before it, and keeps the mask in history on request', async () => {
    const { store, versions, latest } = fakeStore('theirs');
    const writer = new PersonVersionWriter(store, 'c', 'Ana', 'mine-base');
    await expect(writer.write(new Blob(['a']), 3)).rejects.toMatchObject({ code: 'conflict' });
    const kept = await writer.keepInHistory(new Blob(['a']), 3);
    expect(kept).toMatchObject({ authorKind: 'person', parentVersionId: 'mine-base', area: 3 });
    expect(latest()).toBe('theirs');
    expect(versions).toHaveLength(1);
  });

  it('resumes a recovered draft: updates it in place while it is still the latest', async () => {
    const { store, versions } = fakeStore();
    const first = new PersonVersionWriter(store, 'c', 'Ana', null);
    await first.write(new Blob(['a']), 1);
    const resumed = new PersonVersionWriter(store, 'c', 'Ana', null, 'v1');
    expect(resumed.expectedLatestId).toBe('v1');
    await resumed.write(new Blob(['b']), 5);
    expect(versions.map((v) => [v.id, v.area])).toEqual([['v1', 5]]);
  });

  it('tells a version saved elsewhere from its own writes, and an old snapshot from a current one', async () => {
    const { store } = fakeStore('p');
    const writer = new PersonVersionWriter(store, 'c', 'Ana', 'p', null, 2);
    expect(writer.isOutsideChange({ id: 'p', revision: 2 })).toBe(false);
    // The base draft of another window was updated since it was loaded here.
    expect(writer.isOutsideChange({ id: 'p', revision: 3 })).toBe(true);
    expect(writer.isOutsideChange({ id: 'q' })).toBe(true);
    const created = await writer.write(new Blob(['a']), 1);
    expect(writer.isOutsideChange({ id: created.id })).toBe(false);
    expect(writer.isCurrent([{ id: 'p' }])).toBe(false);
    expect(writer.isCurrent([{ id: 'p' }, { id: created.id }])).toBe(true);
  });

  it('tells refusals the user must decide apart from other failures', () => {
    expect(saveRefusal(new StorageError('approved', 'approved', null))).toMatchObject({ code: 'approved' });
    expect(saveRefusal(new StorageError('not-found', 'gone'))).toBeNull();
    expect(saveRefusal(new Error('QuotaExceededError'))).toBeNull();
  });

  it('stores a prediction with its probability map and refuses a size mismatch', async () => {
    const { store, versions } = fakeStore();
    const record = { id: 'c', fileName: 'a.jpg', latestVersionId: null } as never;
    const image = { caseId: 'c', blob: new Blob([new Uint8Array([1, 2, 3])]), width: 4, height: 2, sha256: '' };
    const result = {
      width: 4, height: 2, maskPng: new Uint8Array([9]), probWidth: 1, probHeight: 1, prob: new Float32Array([0.7]),
      outline: [], lesionAreaPx: 8, uncertainty: 0.2, timings: { decodeMs: 0, inferMs: 0, postMs: 0, totalMs: 0 },
      model: { name: 'scsonet', version: '1.0.0' }, provider: 'cpu',
    };
    const api = { segmentImage: async () => result };
    // The repository decides where the prediction goes; storePrediction passes the option on.
    const asked: unknown[] = [];
    const predictions = {
      addPrediction: async (input: Parameters<typeof store.addMaskVersion>[0], options?: unknown) => {
        asked.push(options);
        return { version: await store.addMaskVersion({ ...input, authorKind: 'model' }), placement: 'latest' as const };
      },
    };
    const { version: stored, placement } = await storePrediction(api, predictions, record, image, 0.4, { approved: 'history' });
    expect(placement).toBe('latest');
    expect(asked).toEqual([{ approved: 'history' }]);
    expect(stored).toMatchObject({ authorKind: 'model', author: 'scsonet@1.0.0', area: 8, threshold: 0.4 });
    expect(new Float32Array(await versions[0]!.probabilityMap!.data.arrayBuffer())[0]).toBeCloseTo(0.7);
    await expect(storePrediction(api, predictions, record, { ...image, width: 5 })).rejects.toThrow(/4 x 2 mask for a 5 x 2 image/);
  });
});
