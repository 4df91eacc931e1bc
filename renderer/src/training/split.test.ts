import { describe, expect, it } from 'vitest';
import { splitAdvice, splitOfCase } from './split.ts';

// Digests whose first 32 bits are 0 mod 4 validate (models/tests/split-cases.json).
const validating = '02a3e298f1533f62558c58e4c70edcab9af5a50d62d925fd5390942020fb0fb8';
const training = '2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824';

describe('split of a case', () => {
  it("follows the image's digest, except for a case the library lists, which keeps its id's side", async () => {
    expect(await splitOfCase('any-id', validating, new Set())).toBe('validation');
    expect(await splitOfCase('another-id', training, new Set())).toBe('train');
    // case-1 validates by id (shared vector), case-3 trains: the digest plays no part for them.
    expect(await splitOfCase('case-1', training, new Set(['case-1']))).toBe('validation');
    expect(await splitOfCase('case-3', validating, new Set(['case-3']))).toBe('train');
  });

  it('a small library can start a job whose result is kept; none or only validation cases cannot', () => {
    expect(splitAdvice(11, 5)).toBeNull();
    expect(splitAdvice(13, 3)).toBe(
      '3 validation cases are too few to judge: a job can run, and its result is kept as a candidate (activate it by hand). ' +
        'About 1 case in 4 is a validation case, decided by its image, and it never moves to training: approve about 8 more to let the gate decide.',
    );
    expect(splitAdvice(4, 0)).toMatch(/^No ready case is a validation case, so nothing could judge a job\. .*approve about 20 more\.$/);
    expect(splitAdvice(0, 2)).toMatch(/^Every ready case is a validation case/);
  });
});
