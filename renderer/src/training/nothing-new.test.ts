import { describe, expect, it } from 'vitest';
import type { ModelVersion } from '../../../preload/api.ts';
import { learnedPairs, nothingNewNotice } from './nothing-new.ts';

function version(kind: ModelVersion['kind'], trainedOn: unknown): ModelVersion {
  return { id: 'scsonet@1.1.0', kind, card: { training: { trained_on: trainedOn, validated_on: [{ caseId: 'v1', maskVersionId: 'm-v1' }] } } } as unknown as ModelVersion;
}

describe('nothing new to learn', () => {
  const active = version('fine-tuned', [
    { caseId: 'a', maskVersionId: 'm-a' },
    { caseId: 'b', maskVersionId: 'm-b' },
  ]);

  it('says so when every ready training case is one the active version learned from, with the same mask', () => {
    const learned = learnedPairs(active);
    expect(nothingNewNotice([{ id: 'a', latestVersionId: 'm-a' }, { id: 'b', latestVersionId: 'm-b' }], learned)).toBe(
      'Nothing new to learn: the active version scsonet@1.1.0 already learned from all 2 ready training cases with the same approved masks. ' +
        'Correct and approve more cases first; you can still start.',
    );
  });

  it('says nothing when a case is new, or its approved mask changed since', () => {
    const learned = learnedPairs(active);
    expect(nothingNewNotice([{ id: 'a', latestVersionId: 'm-a' }, { id: 'c', latestVersionId: 'm-c' }], learned)).toBeNull();
    expect(nothingNewNotice([{ id: 'a', latestVersionId: 'm-a2' }], learned)).toBeNull();
    expect(nothingNewNotice([], learned)).toBeNull();
  });

  it('knows nothing learned of a shipped version or a card without the cases', () => {
    expect(learnedPairs(version('shipped', []))).toBeNull();
    expect(learnedPairs(version('fine-tuned', 'not a list'))).toBeNull();
    expect(learnedPairs(version('fine-tuned', [{ caseId: 'stem', maskVersionId: null }]))).toBeNull();
    expect(learnedPairs(undefined)).toBeNull();
  });
});
