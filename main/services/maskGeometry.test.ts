import { describe, expect, it } from 'vitest';
import { runsToMask, traceOutline, uncertaintyScore, upsampleThreshold } from './maskGeometry.js';

function naiveUpsample(prob: Float32Array, pw: number, ph: number, w: number, h: number, t: number): Uint8Array {
  const out = new Uint8Array(w * h);
  for (let y = 0; y < h; y++) {
    const sy = Math.min(ph - 1, Math.max(0, (y + 0.5) * (ph / h) - 0.5));
    const y0 = Math.min(Math.floor(sy), ph - 2);
    const fy = sy - y0;
    for (let x = 0; x < w; x++) {
      const sx = Math.min(pw - 1, Math.max(0, (x + 0.5) * (pw / w) - 0.5));
      const x0 = Math.min(Math.floor(sx), pw - 2);
      const fx = sx - x0;
      const p00 = prob[y0 * pw + x0];
      const p01 = prob[y0 * pw + x0 + 1];
      const p10 = prob[(y0 + 1) * pw + x0];
      const p11 = prob[(y0 + 1) * pw + x0 + 1];
      const top = p00 + (p01 - p00) * fx;
      const bottom = p10 + (p11 - p10) * fx;
      out[y * w + x] = top + (bottom - top) * fy >= t ? 255 : 0;
    }
  }
  return out;
}

function disc(n: number, cx: number, cy: number, r: number): Float32Array {
  const p = new Float32Array(n * n);
  for (let y = 0; y < n; y++)
    for (let x = 0; x < n; x++) {
      const d = Math.hypot(x - cx, y - cy);
      p[y * n + x] = 1 / (1 + Math.exp(d - r)); // soft edge
    }
  return p;
}

describe('upsampleThreshold', () => {
  it('matches a per-pixel bilinear reference on a random map (up and down sampling)', () => {
    const pw = 16;
    const ph = 12;
    const prob = new Float32Array(pw * ph).map((_, i) => ((i * 7919) % 97) / 96);
    for (const [w, h] of [[123, 77], [16, 12], [9, 31]]) {
      const ours = upsampleThreshold(prob, pw, ph, w, h, 0.5);
      const bytes = runsToMask(ours);
      const ref = naiveUpsample(prob, pw, ph, w, h, 0.5);
      let diff = 0;
      for (let i = 0; i < ref.length; i++) if (bytes[i] !== ref[i]) diff++;
      expect(diff).toBeLessThanOrEqual(Math.ceil(ref.length * 0.001)); // float rounding at exactly t only
      expect(ours.areaPx).toBe(bytes.reduce((s, v) => s + (v === 255 ? 1 : 0), 0));
      expect(ours.areaPx).toBeGreaterThan(0);
    }
  });
  it('shares the run array between identical consecutive rows', () => {
    const prob = new Float32Array(4 * 4).fill(0.9);
    const m = upsampleThreshold(prob, 4, 4, 50, 40, 0.5);
    expect(m.rows[0]).toEqual(new Int32Array([0, 50]));
    expect(m.rows[39]).toBe(m.rows[0]);
    expect(m.areaPx).toBe(2000);
  });
  it('scales the area of a disc with the pixel count', () => {
    const prob = disc(64, 32, 32, 16);
    const m = upsampleThreshold(prob, 64, 64, 640, 640, 0.5);
    expect(m.areaPx / (Math.PI * 160 * 160)).toBeGreaterThan(0.97);
    expect(m.areaPx / (Math.PI * 160 * 160)).toBeLessThan(1.03);
  });
});

describe('traceOutline', () => {
  it('traces a disc as one closed ring of roughly the right radius in full-res coordinates', () => {
    const prob = disc(64, 32, 32, 16);
    const rings = traceOutline(prob, 64, 64, 640, 640, 0.5);
    expect(rings).toHaveLength(1);
    const ring = rings[0];
    for (let i = 0; i < ring.length; i += 2) {
      const r = Math.hypot(ring[i] - 325, ring[i + 1] - 325);
      expect(r).toBeGreaterThan(150);
      expect(r).toBeLessThan(175);
    }
  });
  it('closes regions that touch the border and keeps points inside the image', () => {
    const prob = new Float32Array(8 * 8).fill(0.9);
    const rings = traceOutline(prob, 8, 8, 100, 50, 0.5);
    expect(rings).toHaveLength(1);
    for (let i = 0; i < rings[0].length; i += 2) {
      expect(rings[0][i]).toBeGreaterThanOrEqual(0);
      expect(rings[0][i]).toBeLessThanOrEqual(100);
      expect(rings[0][i + 1]).toBeGreaterThanOrEqual(0);
      expect(rings[0][i + 1]).toBeLessThanOrEqual(50);
    }
  });
  it('returns a hole as its own ring and nothing for an empty map', () => {
    const prob = new Float32Array(32 * 32);
    for (let y = 4; y < 28; y++) for (let x = 4; x < 28; x++) prob[y * 32 + x] = 1;
    for (let y = 12; y < 20; y++) for (let x = 12; x < 20; x++) prob[y * 32 + x] = 0;
    expect(traceOutline(prob, 32, 32, 32, 32, 0.5)).toHaveLength(2);
    expect(traceOutline(new Float32Array(32 * 32), 32, 32, 32, 32, 0.5)).toHaveLength(0);
  });
});

describe('uncertaintyScore', () => {
  it('is 0 for a crisp or empty map, 1 for an all-ambiguous one, in between otherwise', () => {
    expect(uncertaintyScore(new Float32Array(100))).toBe(0);
    expect(uncertaintyScore(new Float32Array(100).fill(1))).toBe(0);
    expect(uncertaintyScore(new Float32Array(100).fill(0.5))).toBe(1);
    const s = uncertaintyScore(disc(64, 32, 32, 16));
    expect(s).toBeGreaterThan(0);
    expect(s).toBeLessThan(0.3);
  });
});
