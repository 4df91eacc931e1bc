import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { splitOf } from './api.ts';

// The trainer's test (models/tests/test_split.py) reads the same file: the app and the trainer
// must put every case on the same side.
const shared = JSON.parse(readFileSync(path.join(import.meta.dirname, '../models/tests/split-cases.json'), 'utf8')) as {
  cases: { id: string; split: 'train' | 'validation' }[];
};

describe('split rule', () => {
  it('puts every shared case on the side the Python trainer does (ASCII, UTF-8 and UUID ids)', async () => {
    const actual = await Promise.all(shared.cases.map(async ({ id }) => ({ id, split: await splitOf(id) })));
    expect(actual).toEqual(shared.cases);
    expect(new Set(shared.cases.map((c) => c.split))).toEqual(new Set(['train', 'validation']));
    const vector = [...Array.from({ length: 20 }, (_, i) => `case-${i + 1}`), 'ISIC_0000000', 'ISIC_0000001', 'synth_0002_00003'];
    const validating = await Promise.all(vector.map(async (id) => ((await splitOf(id)) === 'validation' ? [id] : [])));
    expect(validating.flat()).toEqual(['case-1', 'case-2', 'case-6', 'case-13', 'case-19', 'case-20']);
  });

  it('never moves a case: the split depends on the id alone, not on the other cases or the order', async () => {
    const ids = Array.from({ length: 400 }, (_, i) => `c${i}-${(i * 7919) % 1000}`);
    const first = new Map(await Promise.all(ids.map(async (id) => [id, await splitOf(id)] as const)));
    const later = [...ids].reverse().concat(Array.from({ length: 100 }, (_, i) => `new-${i}`));
    for (const id of later) if (first.has(id)) expect(await splitOf(id)).toBe(first.get(id));
    const validation = ids.filter((id) => first.get(id) === 'validation').length;
    expect(validation / ids.length).toBeGreaterThan(0.17);
    expect(validation / ids.length).toBeLessThan(0.33);
  });
});
