import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { runsToMask, upsampleThreshold } from './maskGeometry.js';
import { encodeMaskPng } from './maskPng.js';

describe('encodeMaskPng', () => {
  it('writes an 8-bit greyscale PNG that decodes to exactly the mask', async () => {
    const pw = 32;
    const prob = new Float32Array(pw * pw).map((_, i) => Math.hypot((i % pw) - 12, Math.floor(i / pw) - 20) < 9 ? 0.9 : 0.1);
    for (const [w, h] of [[97, 61], [640, 480], [1, 1]] as const) {
      const runs = upsampleThreshold(prob, pw, pw, w, h, 0.5);
      const png = await encodeMaskPng(runs);
      const { data, info } = await sharp(png).extractChannel(0).raw().toBuffer({ resolveWithObject: true });
      const meta = await sharp(png).metadata();
      expect(meta.format).toBe('png');
      expect(meta.depth).toBe('uchar');
      expect(meta.channels).toBe(1);
      expect(meta.space).toBe('b-w');
      expect([info.width, info.height]).toEqual([w, h]);
      expect(Buffer.compare(data, Buffer.from(runsToMask(runs)))).toBe(0);
    }
  });
});
