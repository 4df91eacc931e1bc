import { describe, expect, it } from 'vitest';
import { clicksToReach, iou, iouAfter, nextClick, simulateClicks, squaredDistanceToBorder } from './clickSimulator.ts';
import { seededRandom } from '../../test/fixtures/images.ts';

function rect(width: number, height: number, boxes: [number, number, number, number][]): Uint8Array {
  const m = new Uint8Array(width * height);
  for (const [x0, y0, x1, y1] of boxes) for (let y = y0; y < y1; y++) m.fill(1, y * width + x0, y * width + x1);
  return m;
}

describe('distance transform', () => {
  it('equals the brute-force Euclidean distance to the nearest outside pixel, the image edge counting as outside', () => {
    const rnd = seededRandom(7);
    const w = 23;
    const h = 17;
    const inside = Uint8Array.from({ length: w * h }, () => (rnd() < 0.8 ? 1 : 0));
    const d = squaredDistanceToBorder(w, h, (i) => inside[i] === 1);
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        let best = Math.min(x + 1, y + 1, w - x, h - y) ** 2;
        for (let yy = 0; yy < h; yy++) for (let xx = 0; xx < w; xx++) if (!inside[yy * w + xx]) best = Math.min(best, (x - xx) ** 2 + (y - yy) ** 2);
        expect(d[y * w + x]).toBe(inside[y * w + x] ? best : 0);
      }
    }
  });
});

describe('the next click', () => {
  it('goes to the middle of missed lesion, positive (ties: first in row-major order)', () => {
    const truth = rect(30, 30, [[5, 5, 15, 15]]);
    expect(nextClick(truth, new Uint8Array(900), 30, 30)).toEqual({ x: 9, y: 9, positive: true });
  });

  it('goes negative into the deepest wrongly taken skin when it is deeper than the missed lesion', () => {
    const truth = rect(40, 30, [[2, 2, 12, 12]]);
    // Predicted: the lesion except a 3-wide strip, plus a 9x9 block of skin.
    const pred = rect(40, 30, [[2, 2, 9, 12], [25, 10, 34, 19]]);
    expect(nextClick(truth, pred, 40, 30)).toEqual({ x: 29, y: 14, positive: false });
    // With the skin block only 2 wide the 3-wide strip of missed lesion is deeper.
    const thin = rect(40, 30, [[2, 2, 9, 12], [25, 10, 27, 19]]);
    expect(nextClick(truth, thin, 40, 30)).toEqual({ x: 10, y: 3, positive: true }) // depth 2 from y = 3 down; the first in row-major order;
  });

  it('treats the image edge as the border of an error region', () => {
    // Missed lesion along the left edge, 4 wide: its deepest pixels are 2 from the edge, not at it.
    const truth = rect(20, 20, [[0, 0, 4, 20]]);
    const click = nextClick(truth, new Uint8Array(400), 20, 20);
    expect(click?.x === 1 || click?.x === 2).toBe(true);
    expect(click?.positive).toBe(true);
  });

  it('never clicks a pixel twice: a clicked pixel counts as no error', () => {
    const truth = rect(30, 30, [[5, 5, 15, 15]]);
    const first = nextClick(truth, new Uint8Array(900), 30, 30)!;
    const second = nextClick(truth, new Uint8Array(900), 30, 30, [first]);
    expect(second).not.toEqual(first);
    expect(second?.positive).toBe(true);
    // A one-pixel error that was clicked already leaves nothing to click.
    expect(nextClick(rect(5, 5, [[2, 2, 3, 3]]), new Uint8Array(25), 5, 5, [{ x: 2, y: 2, positive: true }])).toBeNull();
  });

  it('is null when prediction and truth agree', () => {
    const truth = rect(10, 10, [[1, 1, 5, 5]]);
    expect(nextClick(truth, truth.slice(), 10, 10)).toBeNull();
  });
});

describe('a simulated run', () => {
  const truth = rect(32, 32, [[8, 8, 24, 24]]);

  it('stops once the target IoU is reached', async () => {
    const run = await simulateClicks({ truth, width: 32, height: 32, start: null, step: async () => truth.slice() });
    expect(run.clicks).toEqual([{ x: 15, y: 15, positive: true }]);
    expect(run.ious).toEqual([0, 1]);
    expect(clicksToReach(run.ious, 0.9, 20)).toBe(1);
  });

  it('needs no click when the start already reaches the target, and clicks on when asked for a minimum', async () => {
    const start = rect(32, 32, [[8, 8, 24, 23]]); // IoU 240/256
    const run = await simulateClicks({ truth, width: 32, height: 32, start, step: async () => truth.slice() });
    expect(run.clicks).toHaveLength(0);
    expect(clicksToReach(run.ious, 0.9, 20)).toBe(0);
    const more = await simulateClicks({ truth, width: 32, height: 32, start, step: async () => truth.slice(), minClicks: 5 });
    // After the first click the mask is the truth: nothing is left to click, and IoU@5 keeps 1.
    expect(more.clicks).toHaveLength(1);
    expect(iouAfter(more.ious, 5)).toBe(1);
  });

  it('counts the maximum when the target is never reached, and passes every click so far to each step', async () => {
    const seen: number[] = [];
    const half = rect(32, 32, [[8, 8, 16, 24]]);
    const run = await simulateClicks({
      truth,
      width: 32,
      height: 32,
      start: null,
      maxClicks: 4,
      step: async (clicks) => {
        seen.push(clicks.length);
        return half.slice();
      },
    });
    expect(seen).toEqual([1, 2, 3, 4]);
    expect(run.ious).toEqual([0, 0.5, 0.5, 0.5, 0.5]);
    expect(clicksToReach(run.ious, 0.85, 4)).toBe(4);
    expect(iou(half, truth)).toBe(0.5);
  });
});
