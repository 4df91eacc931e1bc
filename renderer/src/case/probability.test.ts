import { describe, expect, it } from 'vitest';
import { previewSize, readProbabilityGrid, thresholdProbability } from './probability.ts';

/** Per-pixel bilinear reference (half-pixel centres, clamped), the definition the fast path must match. */
function reference(pw: number, ph: number, prob: Float32Array, w: number, h: number, t: number): Uint8Array {
  const out = new Uint8Array(w * h);
  const sample = (sx: number, sy: number): number => {
    const cx = Math.min(pw - 1, Math.max(0, sx));
    const cy = Math.min(ph - 1, Math.max(0, sy));
    const x0 = Math.min(Math.floor(cx), Math.max(0, pw - 2));
    const y0 = Math.min(Math.floor(cy), Math.max(0, ph - 2));
    const x1 = Math.min(pw - 1, x0 + 1);
    const y1 = Math.min(ph - 1, y0 + 1);
    const fx = pw > 1 ? cx - x0 : 0;
    const fy = ph > 1 ? cy - y0 : 0;
    const top = prob[y0 * pw + x0]! + (prob[y0 * pw + x1]! - prob[y0 * pw + x0]!) * fx;
    const bottom = prob[y1 * pw + x0]! + (prob[y1 * pw + x1]! - prob[y1 * pw + x0]!) * fx;
    return top + (bottom - top) * fy;
  };
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      out[y * w + x] = sample(((x + 0.5) * pw) / w - 0.5, ((y + 0.5) * ph) / h - 0.5) >= t ? 1 : 0;
    }
  }
  return out;
}

function randomMap(pw: number, ph: number, seed: number): Float32Array {
  let s = seed;
  const data = new Float32Array(pw * ph);
  for (let i = 0; i < data.length; i++) {
    s = (s * 1103515245 + 12345) >>> 0;
    data[i] = (s >>> 8) / (1 << 24);
  }
  return data;
}

describe('thresholdProbability', () => {
  it('matches the per-pixel bilinear reference when upsampling and downsampling', () => {
    const prob = randomMap(16, 12, 7);
    for (const [w, h] of [[97, 61], [40, 30], [7, 5]] as const) {
      for (const t of [0.3, 0.5, 0.8]) {
        const fast = thresholdProbability({ width: 16, height: 12, data: prob }, w, h, t);
        const slow = reference(16, 12, prob, w, h, t);
        // Float32 row interpolation may flip a value that sits exactly on the threshold.
        let differing = 0;
        for (let i = 0; i < fast.length; i++) differing += fast[i] !== slow[i] ? 1 : 0;
        expect(differing).toBeLessThanOrEqual(1);
      }
    }
  });

  it('thresholds a disc of known radius to about its area', () => {
    const n = 64;
    const prob = new Float32Array(n * n);
    for (let y = 0; y < n; y++) for (let x = 0; x < n; x++) prob[y * n + x] = Math.max(0, 1 - Math.hypot(x + 0.5 - 32, y + 0.5 - 32) / 32);
    const mask = thresholdProbability({ width: n, height: n, data: prob }, 640, 640, 0.5);
    const area = mask.reduce((sum, v) => sum + v, 0);
    expect(area / (Math.PI * 160 * 160)).toBeGreaterThan(0.98);
    expect(area / (Math.PI * 160 * 160)).toBeLessThan(1.02);
    const lower = thresholdProbability({ width: n, height: n, data: prob }, 640, 640, 0.25).reduce((sum, v) => sum + v, 0);
    expect(lower).toBeGreaterThan(area);
  });

  it('handles a one-pixel map and refuses mismatched buffers', () => {
    expect([...thresholdProbability({ width: 1, height: 1, data: new Float32Array([0.9]) }, 3, 2, 0.5)]).toEqual([1, 1, 1, 1, 1, 1]);
    expect(() => thresholdProbability({ width: 2, height: 2, data: new Float32Array(3) }, 4, 4, 0.5)).toThrow(/needs 4 values/);
    expect(() => thresholdProbability({ width: 1, height: 1, data: new Float32Array(1) }, 4, 4, 0.5, new Uint8Array(3))).toThrow(/expected 16/);
  });

  it('scales the preview so its longer side fits', () => {
    expect(previewSize(6000, 4000, 1500)).toEqual({ width: 1500, height: 1000 });
    expect(previewSize(300, 200, 1500)).toEqual({ width: 300, height: 200 });
  });

  it('reads a stored map and reports a damaged one', async () => {
    const data = new Float32Array([0.1, 0.2, 0.3, 0.4]);
    const grid = await readProbabilityGrid({ width: 2, height: 2, data: new Blob([data]) });
    expect([...grid.data]).toEqual([...data]);
    await expect(readProbabilityGrid({ width: 3, height: 2, data: new Blob([data]) })).rejects.toThrow(/damaged/);
  });
});
