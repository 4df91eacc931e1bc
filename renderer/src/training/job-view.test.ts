import { describe, expect, it } from 'vitest';
import { chartGeometry, chunkBySize, diceAxis, diceChange, dicePercent, formatEta } from './job-view.ts';

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

  it('draws loss (scaled to its maximum) and Dice (on an axis scaled to the data) per epoch', () => {
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
    expect(g.axis).toEqual({ min: 0.25, max: 1, ticks: [0.25, 0.5, 0.75, 1] });
    expect(g.dice).toBe('4,68 52,4');
    expect(g.referenceY).toBeNull();
    expect(g.dicePoints.map((p) => p.epoch)).toEqual([1, 2]);
  });

  it("scales the Dice axis to the epochs and the base's reference, so a 9-point drop fills the chart", () => {
    const history = [0.8, 0.78, 0.76].map((valDsc, i) => ({ epoch: i + 1, loss: 0.5, valDsc }));
    const g = chartGeometry(history, 3, 100, 104, 4, 0.85);
    expect(g.axis).toEqual({ min: 0.7, max: 0.9, ticks: [0.7, 0.75, 0.8, 0.85, 0.9] });
    // The reference line at 0.85 and the last epoch at 0.76 are 45 % of the chart's height apart (a fixed 0-100 axis: 9 %).
    expect(g.referenceY).toBe(28);
    expect(g.dicePoints.at(-1)!.y).toBe(71.2);
    expect(g.tickYs).toEqual([100, 76, 52, 28, 4]);
  });

  it("draws the new version's own Dice, which is not the last epoch's, and keeps it on the axis", () => {
    const history = [0.8, 0.82, 0.84].map((valDsc, i) => ({ epoch: i + 1, loss: 0.5, valDsc }));
    expect(chartGeometry(history, 3, 100, 104, 4, 0.85).candidateY).toBeNull();
    // The candidate (part of the way back to the base) scored 0.91: the axis grows to hold it.
    const g = chartGeometry(history, 3, 100, 104, 4, 0.85, 0.91);
    expect(g.axis.max).toBeGreaterThanOrEqual(0.91);
    expect(g.candidateY).toBeLessThan(g.referenceY!);
    expect(g.candidateY).toBeLessThan(g.dicePoints.at(-1)!.y);
  });

  it('pads a flat Dice to at least 4 points, keeps the axis within 0..1 and gives at most 5 ticks', () => {
    expect(diceAxis([0.92, 0.92])).toEqual({ min: 0.9, max: 0.94, ticks: [0.9, 0.91, 0.92, 0.93, 0.94] });
    expect(diceAxis([0.99, 0.995])).toEqual({ min: 0.96, max: 1, ticks: [0.96, 0.97, 0.98, 0.99, 1] });
    expect(diceAxis([0.01, 0.02])).toEqual({ min: 0, max: 0.04, ticks: [0, 0.01, 0.02, 0.03, 0.04] });
    expect(diceAxis([0, 1]).ticks.length).toBeLessThanOrEqual(5);
    expect(diceAxis([])).toEqual({ min: 0, max: 1, ticks: [0.25, 0.5, 0.75] });
  });

  it('shows Dice and its change in points', () => {
    expect(dicePercent(0.9244)).toBe('92.4');
    expect(diceChange(0.928, 0.924)).toBe('-0.4');
    expect(diceChange(0.9, 0.913)).toBe('+1.3');
    expect(diceChange(0.9, 0.9)).toBe('±0.0');
  });
});
