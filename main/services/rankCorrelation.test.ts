import { describe, expect, it } from 'vitest';
import { fractionalRanks, spearman } from './rankCorrelation.js';

describe('spearman', () => {
  it('gives tied values the mean of their ranks', () => {
    expect(fractionalRanks([10, 20, 20, 5])).toEqual([2, 3.5, 3.5, 1]);
    expect(fractionalRanks([1, 1, 1])).toEqual([2, 2, 2]);
  });

  it('is 1 for any increasing relation and -1 for a decreasing one', () => {
    const x = [0.1, 0.5, 0.2, 0.9, 0.3];
    expect(spearman(x, x.map((v) => Math.exp(5 * v)))).toBeCloseTo(1, 12);
    expect(spearman(x, x.map((v) => -v * v))).toBeCloseTo(-1, 12);
  });

  // Reference: numpy's corrcoef of the fractional ranks [1, 2.5, 2.5, 4, 5, 6] and [2, 1, 3.5, 3.5, 6, 5].
  it('matches an independent computation with ties on both sides', () => {
    expect(spearman([1, 2, 2, 3, 4, 5], [2, 1, 3, 3, 6, 5])).toBeCloseTo(0.8088235294117647, 12);
  });

  it('is NaN when one side is constant', () => {
    expect(spearman([1, 1, 1], [1, 2, 3])).toBeNaN();
  });
});
