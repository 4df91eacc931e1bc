import { describe, expect, it } from 'vitest';
import { countSplit } from './split.ts';

// Six of these validate (the shared vector, models/tests/split-cases.json).
const ids = [...Array.from({ length: 20 }, (_, i) => `case-${i + 1}`), 'ISIC_0000000', 'ISIC_0000001', 'synth_0002_00003'];

describe('split counts', () => {
  it('counts the split and how many more cases to approve', async () => {
    expect(await countSplit(ids)).toEqual({ total: 23, train: 17, validation: 6, missingValidation: 0, approveMore: 0 });
    expect(await countSplit(['case-1', 'case-2', 'case-3'])).toEqual({ total: 3, train: 1, validation: 2, missingValidation: 3, approveMore: 12 });
  });
});
