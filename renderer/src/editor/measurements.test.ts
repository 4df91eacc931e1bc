import { describe, expect, it } from 'vitest';
import { maskFromAscii } from './ascii-mask.ts';
import { countRegions } from './cleanup.ts';
import { colourShares } from './colours.ts';
import type { Point } from './geometry.ts';
import { MaskRaster } from './mask-raster.ts';
import { asymmetryOf, convexHull, feretDiameters, lesionHull, measureMask, perimeterOf, pixelsPerMmFromRuler, traceOutlines } from './measurements.ts';
import { fillPolygon, stampSegment } from './paint.ts';

function rectangle(width: number, height: number, x0: number, y0: number, w: number, h: number): MaskRaster {
  const raster = new MaskRaster(width, height);
  for (let y = y0; y < y0 + h; y++) for (let x = x0; x < x0 + w; x++) raster.data[y * width + x] = 1;
  return raster;
}

describe('measureMask on a rectangle', () => {
  const m = measureMask(rectangle(80, 60, 10, 10, 40, 20), { pixelsPerMm: 10 });

  it('area and Feret diameters are exact, the perimeter loses a little at the four corners', () => {
    expect(m.areaPx).toBe(800);
    expect(m.areaMm2).toBeCloseTo(8, 10);
    expect(m.perimeterPx).toBeLessThan(120);
    expect(m.perimeterPx).toBeGreaterThan(120 - 4);
    expect(m.perimeterMm).toBeCloseTo(m.perimeterPx / 10, 10);
    expect(m.longestDiameterPx).toBeCloseTo(Math.hypot(40, 20), 10);
    expect(m.shortestDiameterPx).toBeCloseTo(20, 10);
    expect(m.shortestDiameterMm).toBeCloseTo(2, 10);
  });

  it('is symmetric about both axes, one region, no colours without an image', () => {
    expect(m.asymmetry.aboutMajorAxis).toBe(0);
    expect(m.asymmetry.aboutMinorAxis).toBe(0);
    expect(m.asymmetry.majorAxisAngle).toBeCloseTo(0, 10);
    expect(m.regionCount).toBe(1);
    expect(m.colours).toBeNull();
    expect(m.borderIrregularity).toBeCloseTo((m.perimeterPx * m.perimeterPx) / (4 * Math.PI * 800), 10);
  });
});

describe('measureMask on a disc', () => {
  const r = 100;
  const raster = new MaskRaster(260, 240);
  stampSegment(raster, { x: 130, y: 120 }, { x: 130, y: 120 }, r, 1);
  const m = measureMask(raster);

  it('matches the continuous disc within a fraction of a per cent', () => {
    expect(Math.abs(m.areaPx / (Math.PI * r * r) - 1)).toBeLessThan(0.005);
    expect(Math.abs(m.perimeterPx / (2 * Math.PI * r) - 1)).toBeLessThan(0.005);
    expect(Math.abs(m.longestDiameterPx - 2 * r)).toBeLessThan(2.5);
    expect(Math.abs(m.shortestDiameterPx - 2 * r)).toBeLessThan(2.5);
    expect(m.borderIrregularity).toBeGreaterThan(0.99);
    expect(m.borderIrregularity).toBeLessThan(1.01);
  });

  it('is symmetric and millimetres are null without calibration', () => {
    expect(m.asymmetry.aboutMajorAxis).toBeLessThan(0.01);
    expect(m.asymmetry.aboutMinorAxis).toBeLessThan(0.01);
    expect(m.areaMm2).toBeNull();
    expect(m.longestDiameterMm).toBeNull();
  });
});

describe('asymmetry of an L shape', () => {
  it('is 0 about the diagonal symmetry axis and 1.2 about the other (worked out by hand)', () => {
    // Arms 20 px thick and 60 px long: the L is its own mirror image about y = x.
    const raster = new MaskRaster(70, 70);
    for (let y = 0; y < 60; y++) for (let x = 0; x < 60; x++) if (x < 20 || y < 20) raster.data[y * 70 + x] = 1;
    const a = asymmetryOf(raster);
    expect(a.majorAxisAngle).toBeCloseTo(-Math.PI / 4, 10);
    // Flip about the major axis (44 - y, 44 - x): overlap 800 of 2000 -> |xor| / |M| = 2 * 1200 / 2000.
    expect(a.aboutMajorAxis).toBeCloseTo(1.2, 10);
    expect(a.aboutMinorAxis).toBe(0);
    const m = measureMask(raster);
    expect(m.areaPx).toBe(2000);
    expect(m.borderIrregularity).toBeGreaterThan(1.4);
  });
});

describe('perimeter', () => {
  it('is within 0.5% for a rectangle rotated by 30 degrees', () => {
    const raster = new MaskRaster(400, 400);
    const c = Math.cos(Math.PI / 6);
    const s = Math.sin(Math.PI / 6);
    const corners = [[-100, -50], [100, -50], [100, 50], [-100, 50]].map(([x, y]) => ({ x: 200 + x! * c - y! * s, y: 200 + x! * s + y! * c }));
    fillPolygon(raster, corners, 1);
    expect(Math.abs(perimeterOf(raster) / 600 - 1)).toBeLessThan(0.005);
  });

  it('traces one loop per outline, holes included', () => {
    const ring = new MaskRaster(50, 50);
    stampSegment(ring, { x: 25, y: 25 }, { x: 25, y: 25 }, 20, 1);
    stampSegment(ring, { x: 25, y: 25 }, { x: 25, y: 25 }, 10, 0);
    expect(traceOutlines(ring)).toHaveLength(2);
    expect(traceOutlines(maskFromAscii(['#..', '.#.', '..#']))).toHaveLength(1);
    expect(traceOutlines(maskFromAscii(['#..', '...', '..#']))).toHaveLength(2);
    expect(Math.abs(perimeterOf(ring) / (2 * Math.PI * 30) - 1)).toBeLessThan(0.01);
  });

  it('counts holes and separate regions, and is zero for an empty mask', () => {
    expect(perimeterOf(new MaskRaster(5, 5))).toBe(0);
    const single = maskFromAscii(['...', '.#.', '...']);
    expect(perimeterOf(single)).toBeCloseTo(4 * (Math.SQRT2 / 2), 10);
    const ring = maskFromAscii(['#####', '#...#', '#...#', '#...#', '#####']);
    const solid = maskFromAscii(['#####', '#####', '#####', '#####', '#####']);
    expect(perimeterOf(ring)).toBeGreaterThan(perimeterOf(solid) + 8);
  });
});

describe('Feret diameters by rotating calipers', () => {
  it('agree with brute force on random point sets', () => {
    let seed = 42;
    const random = (): number => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    for (let trial = 0; trial < 30; trial++) {
      const points: Point[] = Array.from({ length: 40 }, () => ({ x: Math.round(random() * 100), y: Math.round(random() * 60) }));
      const hull = convexHull(points);
      let max = 0;
      for (const p of hull) for (const q of hull) max = Math.max(max, Math.hypot(p.x - q.x, p.y - q.y));
      let min = Infinity;
      for (let i = 0; i < hull.length; i++) {
        const a = hull[i]!;
        const b = hull[(i + 1) % hull.length]!;
        const length = Math.hypot(b.x - a.x, b.y - a.y);
        let far = 0;
        for (const p of hull) far = Math.max(far, Math.abs((b.x - a.x) * (p.y - a.y) - (b.y - a.y) * (p.x - a.x)) / length);
        min = Math.min(min, far);
      }
      const feret = feretDiameters(hull);
      expect(feret.max).toBeCloseTo(max, 9);
      expect(feret.min).toBeCloseTo(min, 9);
    }
  });

  it('gives a single pixel a diameter of sqrt 2 and a width of 1', () => {
    const feret = feretDiameters(lesionHull(maskFromAscii(['.#.'])));
    expect(feret.max).toBeCloseTo(Math.SQRT2, 10);
    expect(feret.min).toBeCloseTo(1, 10);
  });
});

describe('regions and colours through measureMask', () => {
  it('counts 8-connected regions and reads colours under the mask', () => {
    const raster = maskFromAscii(['##..', '##..', '..#.', '....']);
    const rgba = new Uint8Array(16 * 4);
    for (let i = 0; i < 16; i++) rgba.set([20, 15, 15, 255], i * 4);
    const m = measureMask(raster, { image: { width: 4, height: 4, data: rgba } });
    expect(m.regionCount).toBe(1);
    expect(measureMask(maskFromAscii(['##..', '##..', '...#'])).regionCount).toBe(2);
    expect(m.colours?.find((c) => c.colour === 'black')).toMatchObject({ fraction: 1, present: true });
    expect(() => measureMask(raster, { image: { width: 3, height: 3, data: rgba } })).toThrow(/image is 3 x 3/);
  });
});

describe('pixelsPerMmFromRuler', () => {
  it('divides the distance between the points by the known length', () => {
    expect(pixelsPerMmFromRuler({ x: 0, y: 0 }, { x: 30, y: 40 }, 5)).toBe(10);
    expect(() => pixelsPerMmFromRuler({ x: 0, y: 0 }, { x: 0, y: 0 }, 5)).toThrow(/different/);
    expect(() => pixelsPerMmFromRuler({ x: 0, y: 0 }, { x: 1, y: 0 }, 0)).toThrow(/positive/);
  });
});

// ---- The fast forms against plain references on random masks ---------------------------------

/** Reference outline tracer: every boundary cell's segments linked in a map, then walked. */
function referenceOutlines(raster: MaskRaster): Point[][] {
  const at = (x: number, y: number): number => (x >= 0 && y >= 0 && x < raster.width && y < raster.height ? raster.data[y * raster.width + x]! : 0);
  const links = new Map<string, string[]>();
  const link = (a: string, b: string): void => {
    links.set(a, [...(links.get(a) ?? []), b]);
    links.set(b, [...(links.get(b) ?? []), a]);
  };
  // Midpoints: right of pixel centre (x, y) at (x + 0.5, y); below it at (x, y + 0.5).
  const right = (x: number, y: number): string => `${x + 0.5},${y}`;
  const below = (x: number, y: number): string => `${x},${y + 0.5}`;
  for (let y = -1; y < raster.height; y++) {
    for (let x = -1; x < raster.width; x++) {
      const code = (at(x, y) << 3) | (at(x + 1, y) << 2) | (at(x + 1, y + 1) << 1) | at(x, y + 1);
      const [top, bottom, left, rightEdge] = [right(x, y), right(x, y + 1), below(x, y), below(x + 1, y)];
      if (code === 1 || code === 14) link(left, bottom);
      else if (code === 2 || code === 13) link(bottom, rightEdge);
      else if (code === 3 || code === 12) link(left, rightEdge);
      else if (code === 4 || code === 11) link(top, rightEdge);
      else if (code === 6 || code === 9) link(top, bottom);
      else if (code === 7 || code === 8) link(left, top);
      else if (code === 5) {
        link(left, top);
        link(bottom, rightEdge);
      } else if (code === 10) {
        link(top, rightEdge);
        link(left, bottom);
      }
    }
  }
  const loops: Point[][] = [];
  const seen = new Set<string>();
  for (const start of links.keys()) {
    if (seen.has(start)) continue;
    const loop: Point[] = [];
    let previous = '';
    let current = start;
    while (!seen.has(current)) {
      seen.add(current);
      const [x, y] = current.split(',').map(Number);
      loop.push({ x: x!, y: y! });
      const [a, b] = links.get(current)!;
      [previous, current] = [current, a === previous ? b! : a!];
    }
    loops.push(loop);
  }
  return loops;
}

/** A loop as text, independent of where it starts and which way it runs. */
function canonicalLoop(loop: readonly Point[]): string {
  const keys = loop.map((p) => `${p.x},${p.y}`);
  const rotations = (list: string[]): string[] => list.map((_, i) => [...list.slice(i), ...list.slice(0, i)].join(' '));
  return [...rotations(keys), ...rotations([...keys].reverse())].sort()[0]!;
}

/** Reference asymmetry: moments and flips pixel by pixel. */
function referenceAsymmetry(raster: MaskRaster): { angle: number; major: number; minor: number } {
  const { width, height, data } = raster;
  const pixels: [number, number][] = [];
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) if (data[y * width + x]) pixels.push([x + 0.5, y + 0.5]);
  const n = pixels.length;
  const cx = pixels.reduce((s, p) => s + p[0], 0) / n;
  const cy = pixels.reduce((s, p) => s + p[1], 0) / n;
  let mu20 = 0;
  let mu02 = 0;
  let mu11 = 0;
  for (const [x, y] of pixels) {
    mu20 += (x - cx) ** 2;
    mu02 += (y - cy) ** 2;
    mu11 += (x - cx) * (y - cy);
  }
  const angle = 0.5 * Math.atan2(2 * mu11, mu20 - mu02);
  const [c2, s2] = [Math.cos(2 * angle), Math.sin(2 * angle)];
  const at = (x: number, y: number): number => (x >= 0 && y >= 0 && x < width && y < height ? data[y * width + x]! : 0);
  let major = 0;
  let minor = 0;
  for (const [x, y] of pixels) {
    const [rx, ry] = [c2 * (x - cx) + s2 * (y - cy), s2 * (x - cx) - c2 * (y - cy)];
    major += at(Math.floor(cx + rx + 1e-9), Math.floor(cy + ry + 1e-9));
    minor += at(Math.floor(cx - rx + 1e-9), Math.floor(cy - ry + 1e-9));
  }
  return { angle, major: (2 * (n - major)) / n, minor: (2 * (n - minor)) / n };
}

describe('outlines, hull and asymmetry on random masks', () => {
  let seed = 12345;
  const random = (): number => (seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32;
  const masks = Array.from({ length: 60 }, (_, i) => {
    const width = 1 + Math.floor(random() * 23);
    const height = 1 + Math.floor(random() * 17);
    const raster = new MaskRaster(width, height);
    const density = i % 3 === 0 ? 0.5 : i % 3 === 1 ? 0.15 : 0.85; // saddles, specks, holes
    for (let k = 0; k < raster.data.length; k++) raster.data[k] = random() < density ? 1 : 0;
    return raster;
  });

  it('trace the same loops as linking every cell in a map, including at the image edges', () => {
    let loops = 0;
    for (const raster of masks) {
      const fast = traceOutlines(raster).map(canonicalLoop).sort();
      expect(fast).toEqual(referenceOutlines(raster).map(canonicalLoop).sort());
      loops += fast.length;
    }
    expect(loops).toBeGreaterThan(200);
  });

  it('find the same hull and asymmetry as pixel-by-pixel scans', () => {
    for (const raster of masks) {
      if (!raster.data.includes(1)) continue;
      const corners: Point[] = [];
      for (let y = 0; y < raster.height; y++) {
        for (let x = 0; x < raster.width; x++) {
          if (raster.data[y * raster.width + x]) corners.push({ x, y }, { x: x + 1, y }, { x, y: y + 1 }, { x: x + 1, y: y + 1 });
        }
      }
      expect(lesionHull(raster)).toEqual(convexHull(corners));
      const fast = asymmetryOf(raster);
      const reference = referenceAsymmetry(raster);
      expect(fast.majorAxisAngle).toBeCloseTo(reference.angle, 9);
      expect(fast.aboutMajorAxis).toBeCloseTo(reference.major, 12);
      expect(fast.aboutMinorAxis).toBeCloseTo(reference.minor, 12);
    }
  });

  it('measureMask, reading the runs once, agrees with the area, region count and colours computed on their own', () => {
    for (const raster of masks) {
      const rgba = Uint8Array.from({ length: raster.data.length * 4 }, () => Math.floor(random() * 256));
      const m = measureMask(raster, { image: { width: raster.width, height: raster.height, data: rgba } });
      expect(m.areaPx).toBe(raster.area());
      expect(m.regionCount).toBe(countRegions(raster));
      expect(m.colours).toEqual(colourShares(rgba, raster.data));
    }
  });
});
