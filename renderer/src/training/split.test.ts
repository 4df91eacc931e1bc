import { describe, expect, it } from 'vitest';
import { countSplit, splitOf } from './split.ts';

// The vector main/services/trainingGate.ts and models/scsonet/data.py test.
const ids = [...Array.from({ length: 20 }, (_, i) => `case-${i + 1}`), 'ISIC_0000000', 'ISIC_0000001', 'synth_0002_00003'];
const validating = ['case-1', 'case-2', 'case-6', 'case-13', 'case-19', 'case-20'];

describe('renderer split rule', () => {
  it('matches main on the shared test vector', async () => {
    const splits = await Promise.all(ids.map(async (id) => [id, await splitOf(id)] as const));
    expect(splits.filter(([, s]) => s === 'validation').map(([id]) => id)).toEqual(validating);
  });

  it('agrees with an independent sha256 reference (Python hashlib) on 200 ids, and never changes its answer', async () => {
    // python3 -c "import hashlib; print([i for i in (f'c{n}' for n in range(200)) if int.from_bytes(hashlib.sha256(i.encode()).digest()[:4], 'big') % 4 == 0])"
    const expected = 'c0 c9 c10 c13 c14 c19 c25 c26 c27 c28 c30 c35 c42 c44 c51 c52 c63 c78 c85 c89 c94 c95 c101 c104 c110 c111 c112 c120 c122 c124 c128 c130 c132 c137 c146 c151 c159 c163 c165 c167 c171 c177 c181 c189 c192 c194 c196'.split(' ');
    const all = Array.from({ length: 200 }, (_, n) => `c${n}`);
    const first = await Promise.all(all.map(splitOf));
    expect(all.filter((_, i) => first[i] === 'validation')).toEqual(expected);
    const again = await Promise.all(all.map(splitOf));
    expect(again).toEqual(first);
  });

  it('counts the split and how many more cases to approve', async () => {
    expect(await countSplit(ids)).toEqual({ total: 23, train: 17, validation: 6, missingValidation: 0, approveMore: 0 });
    expect(await countSplit(['case-1', 'case-2', 'case-3'])).toEqual({ total: 3, train: 1, validation: 2, missingValidation: 3, approveMore: 12 });
  });
});
