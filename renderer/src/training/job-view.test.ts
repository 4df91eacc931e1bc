import { describe, expect, it } from 'vitest';
import { chartGeometry, chunkBySize, diceChange, dicePercent, formatEta } from './job-view.ts';

describe('training panel helpers', () => {
  it('chunks at most 8 items and the byte cap per chunk', () => {
    const sizes = [1, 1, 1, 1, 1, 1, 1, 1, 1, 1];
    expect(chunkBySize(sizes, (s) => s, 8, 100).map((c) => c.length)).toEqual([8, 2]);
    expect(chunkBySize([60, 50, 30, 200, 10], (s) => s, 8, 100)).toEqual([[60], [50, 30], [200], [10]]);
    expect(chunkBySize([], (s: number) => s, 8, 100)).toEqual([]);
  });

  it('formats the ETA', () => {
    expect(formatEta(null)).toBe('');
    expect(formatEta(3)).toBe('under 5 s left');
    expect(formatEta(42)).toBe('about 42 s left');
    expect(formatEta(200)).toBe('about 3 min 20 s left');
    expect(formatEta(3725)).toBe('about 1 h 02 min left');
  });

  it('draws loss (scaled to its maximum) and Dice (0..1) per epoch', () => {
    const g = chartGeometry(
      [
        { epoch: 1, loss: 0.8, valDsc: 0.5 },
        { epoch: 2, loss: 0.4, valDsc: 1 },
      ],
      3,
      104,
      104,
    );
    expect(g.lossMax).toBe(0.8);
    expect(g.loss).toBe('4,4 52,52');
    expect(g.dice).toBe('4,52 52,4');
    expect(g.dicePoints.map((p) => p.epoch)).toEqual([1, 2]);
  });

  it('shows Dice and its change in points', () => {
    expect(dicePercent(0.9244)).toBe('92.4');
    expect(diceChange(0.928, 0.924)).toBe('-0.4');
    expect(diceChange(0.9, 0.913)).toBe('+1.3');
    expect(diceChange(0.9, 0.9)).toBe('±0.0');
  });
});
