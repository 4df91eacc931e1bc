import { describe, expect, it } from 'vitest';
import { seededRandom as random } from '../../../test/fixtures/random.ts';
import { regionFromClicks } from '../../../preload/api.ts';
import { MaskRaster, stampSegment } from '../editor/index.ts';
import { clickRegion } from './interactive-region.ts';

describe('clickRegion', () => {
  it('is the region regionFromClicks grows around the clicks and the mask parts in reach, on masks of scattered blobs', () => {
    for (let seed = 1; seed <= 40; seed++) {
      const rnd = random(seed);
      const width = 200 + Math.floor(rnd() * 900);
      const height = 150 + Math.floor(rnd() * 700);
      const mask = new MaskRaster(width, height);
      const blobs = Math.floor(rnd() * 6);
      for (let b = 0; b < blobs; b++) {
        const x = rnd() * width;
        const y = rnd() * height;
        // Blobs and thin diagonal strokes (8-connected only along the diagonal).
        stampSegment(mask, { x, y }, { x: x + (rnd() - 0.5) * 200, y: y + (rnd() - 0.5) * 200 }, rnd() < 0.3 ? 0.6 : 3 + rnd() * 40, 1);
      }
      const clicks = Array.from({ length: 1 + Math.floor(rnd() * 3) }, () => ({ x: Math.floor(rnd() * width), y: Math.floor(rnd() * height), positive: rnd() < 0.5 }));
      expect(clickRegion(clicks, mask), `seed ${seed}`).toEqual(regionFromClicks(clicks, mask, width, height));
    }
  });

  it('an empty mask leaves the clicks alone to decide, and a click outside the image is refused as regionFromClicks refuses it', () => {
    const mask = new MaskRaster(300, 200);
    expect(clickRegion([{ x: 10, y: 10, positive: true }], mask)).toEqual(regionFromClicks([{ x: 10, y: 10, positive: true }], null, 300, 200));
    mask.data.fill(1, 0, 1000);
    expect(() => clickRegion([{ x: 300, y: 10, positive: true }], mask)).toThrow(RangeError);
  });
});
