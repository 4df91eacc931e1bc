import { describe, expect, it } from 'vitest';
import type { MaskVersionRecord, NewMaskVersion } from '../storage/index.ts';
import { findPrediction, modelAuthor, PersonVersionWriter, storePrediction, versionLabel, type VersionStore } from './case-versions.ts';

function version(partial: Partial<MaskVersionRecord>): MaskVersionRecord {
  return { id: 'v', caseId: 'c', png: new Blob(), authorKind: 'model', author: 'scsonet@1.0.0', createdAt: 0, area: 0, parentVersionId: null, ...partial };
}

const probabilityMap = { width: 1, height: 1, data: new Blob([new Float32Array([0.5])]) };

/** An in-memory store with the repository's rule: only the latest person version may be updated. */
function fakeStore() {
  const versions: MaskVersionRecord[] = [];
  let latest: string | null = null;
  const store: VersionStore = {
    async addMaskVersion(input: NewMaskVersion) {
      const record = version({ ...input, id: `v${versions.length + 1}`, parentVersionId: input.parentVersionId ?? null });
      versions.push(record);
      latest = record.id;
      return record;
    },
    async updateMaskVersion(id, changes) {
      const record = versions.find((v) => v.id === id)!;
      if (latest !== id) throw Object.assign(new Error('not latest'), { code: 'not-latest' });
      Object.assign(record, changes);
      return record;
    },
  };
  return { store, versions, setLatest: (id: string) => (latest = id) };
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

  it('adds one person version per session, then updates it', async () => {
    const { store, versions } = fakeStore();
    const writer = new PersonVersionWriter(store, 'c', 'Ana', 'model-1');
    await writer.write(new Blob(['a']), 10);
    await writer.write(new Blob(['b']), 12);
    expect(versions).toHaveLength(1);
    expect(versions[0]).toMatchObject({ authorKind: 'person', author: 'Ana', parentVersionId: 'model-1', area: 12 });
  });

  it('starts a new version on top when another became the latest', async () => {
    const { store, versions, setLatest } = fakeStore();
    const writer = new PersonVersionWriter(store, 'c', 'Ana', null);
    await writer.write(new Blob(['a']), 1);
    setLatest('someone-else');
    await writer.write(new Blob(['b']), 2);
    expect(versions.map((v) => [v.id, v.parentVersionId])).toEqual([
      ['v1', null],
      ['v2', 'v1'],
    ]);
    expect(writer.versionId).toBe('v2');
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
    const { version: stored } = await storePrediction(api, store, record, image, 0.4);
    expect(stored).toMatchObject({ authorKind: 'model', author: 'scsonet@1.0.0', area: 8, threshold: 0.4 });
    expect(new Float32Array(await versions[0]!.probabilityMap!.data.arrayBuffer())[0]).toBeCloseTo(0.7);
    await expect(storePrediction(api, store, record, { ...image, width: 5 })).rejects.toThrow(/4 x 2 mask for a 5 x 2 image/);
  });
});
