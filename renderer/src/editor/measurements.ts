/**
 * Measurements of a mask, as a dermatologist reads them (docs/measurements.md explains each):
 *
 * - Area: lesion pixels (x pixel area in mm^2 when calibrated).
 * - Perimeter: length of the outline traced by marching squares (outer borders and holes),
 *   after a few passes of vertex averaging that straighten the pixel staircase. Within 0.5% on
 *   discs and on rectangles at any angle; a right-angle corner is rounded by about 0.9 px.
 * - Longest and shortest diameter: maximum and minimum Feret diameter (caliper width) of the
 *   convex hull of the lesion pixels' corners, by rotating calipers; a w x h rectangle gives
 *   sqrt(w^2 + h^2) and min(w, h).
 * - Border irregularity: P^2 / (4 pi A), 1 for a perfect disc, larger for ragged borders.
 * - Asymmetry: for each principal axis (from the second central moments) the lesion is flipped
 *   about the axis through its centroid; the value is |M xor flip(M)| / |M|, 0 when symmetric,
 *   at most 2 when the flip does not overlap at all.
 * - Regions: 8-connected lesion components.
 * - Colours: see colours.ts.
 */
import { colourSharesOfRuns, DEFAULT_COLOUR_PRESENCE_FRACTION, type ColourShare } from './colours.js';
import type { Point, Rect } from './geometry.js';
import type { MaskRaster } from './mask-raster.js';
import { collectRuns, labelCollectedRuns, type Runs } from './runs.js';

export interface RgbaImage {
  readonly width: number;
  readonly height: number;
  /** 4 bytes per pixel, row-major (ImageData.data). */
  readonly data: ArrayLike<number>;
}

export interface MeasureOptions {
  /** Calibration; when absent, millimetre values are null. */
  readonly pixelsPerMm?: number | null;
  /** The image under the mask, for the colours; when absent, colours are null. */
  readonly image?: RgbaImage | null;
  /** Share of lesion pixels above which a colour counts as present (default 0.05). */
  readonly colourPresenceFraction?: number;
}

export interface Asymmetry {
  /** Orientation of the major axis, radians from the +x axis (image y points down). */
  readonly majorAxisAngle: number;
  /** |M xor flip(M)| / |M| flipping about the major axis. */
  readonly aboutMajorAxis: number;
  /** The same, flipping about the minor axis. */
  readonly aboutMinorAxis: number;
}

export interface MaskMeasurements {
  readonly areaPx: number;
  readonly areaMm2: number | null;
  readonly perimeterPx: number;
  readonly perimeterMm: number | null;
  readonly longestDiameterPx: number;
  readonly longestDiameterMm: number | null;
  readonly shortestDiameterPx: number;
  readonly shortestDiameterMm: number | null;
  /** P^2 / (4 pi A); 0 for an empty mask. */
  readonly borderIrregularity: number;
  readonly asymmetry: Asymmetry;
  readonly regionCount: number;
  readonly colours: readonly ColourShare[] | null;
}

// Marching squares, edges of a cell: 0 top, 1 right, 2 bottom, 3 left. SEGMENTS[code] lists the
// segments (pairs of edges) of a cell whose corners are tl << 3 | tr << 2 | br << 1 | bl. In the
// two saddles the lesion diagonal is connected (8-connectivity), so the two background corners
// are cut off.
const SEGMENTS: readonly (readonly (readonly [number, number])[])[] = [
  [], // 0
  [[3, 2]], // 1: bl
  [[2, 1]], // 2: br
  [[3, 1]], // 3: bl br
  [[0, 1]], // 4: tr
  [[3, 0], [2, 1]], // 5: tr and bl, a saddle
  [[0, 2]], // 6: tr br
  [[3, 0]], // 7: all but tl
  [[3, 0]], // 8: tl
  [[0, 2]], // 9: tl bl
  [[0, 1], [3, 2]], // 10: tl and br, a saddle
  [[0, 1]], // 11: all but br
  [[3, 1]], // 12: tl tr
  [[2, 1]], // 13: all but bl
  [[3, 2]], // 14: all but tr
  [], // 15
];

/**
 * Traces the lesion outline (outer borders and holes) with marching squares: the iso-line at 0.5
 * through pixel centres, as closed loops of vertices at the midpoints between neighbouring
 * pixels. Lesion pixels touching only at a corner count as connected (8-connectivity).
 *
 * One scan of the bounding box finds a cell of each loop not yet traced; the loop is then walked
 * cell to cell (each edge midpoint lies on exactly one loop), so the work beyond the scan grows
 * with the outline's length, not with the box's area.
 */
export function traceOutlines(raster: MaskRaster, box: Rect | null = raster.boundingBox()): Point[][] {
  if (!box) return [];
  // A copy of the box with background pixels around it, so that no read needs a bounds check,
  // and rows a multiple of 4 bytes long, so that the scan can compare four pixels at a time.
  // Grid pixel (gx, gy) is image pixel (x0 + gx, y0 + gy); cell (cx, cy) has the grid pixels
  // (cx, cy) .. (cx + 1, cy + 1) as its corners.
  const x0 = box.x - 1;
  const y0 = box.y - 1;
  const gw = Math.ceil((box.width + 2) / 4) * 4;
  const gh = box.height + 2;
  const grid = scratch.bytes(gw * gh);
  for (let y = 0; y < box.height; y++) {
    const from = (box.y + y) * raster.width + box.x;
    grid.set(raster.data.subarray(from, from + box.width), (y + 1) * gw + 1);
  }
  // An edge midpoint is keyed by a grid pixel: 2 * (gy * gw + gx) for the one right of the pixel
  // (on a horizontal edge), + 1 for the one below it (on a vertical edge).
  const edgeKey = (cx: number, cy: number, edge: number): number => {
    if (edge === 0) return 2 * (cy * gw + cx); // top: right of (cx, cy)
    if (edge === 1) return 2 * (cy * gw + cx + 1) + 1; // right: below (cx + 1, cy)
    if (edge === 2) return 2 * ((cy + 1) * gw + cx); // bottom: right of (cx, cy + 1)
    return 2 * (cy * gw + cx) + 1; // left: below (cx, cy)
  };
  const codeAt = (cx: number, cy: number): number => {
    const i = cy * gw + cx;
    return (grid[i]! << 3) | (grid[i + 1]! << 2) | (grid[i + gw + 1]! << 1) | grid[i + gw]!;
  };
  const position = (key: number): Point => {
    const pixel = key >> 1;
    const x = (pixel % gw) + x0;
    const y = Math.floor(pixel / gw) + y0;
    return key & 1 ? { x, y: y + 0.5 } : { x: x + 0.5, y };
  };
  const visited = scratch.words(Math.ceil((2 * gw * gh) / 32));

  /** Follows the outline from the segment (enter, exit) of cell (cx, cy) back to its start. */
  const walkLoop = (cx: number, cy: number, enter: number, exit: number): Point[] => {
    const loop: Point[] = [];
    const startKey = edgeKey(cx, cy, enter);
    let key = startKey;
    for (;;) {
      visited[key >>> 5]! |= 1 << (key & 31);
      loop.push(position(key));
      key = edgeKey(cx, cy, exit);
      if (key === startKey) return loop;
      // Into the neighbour across the exit edge, which it enters by its opposite edge.
      if (exit === 0) cy--;
      else if (exit === 1) cx++;
      else if (exit === 2) cy++;
      else cx--;
      const entered = (exit + 2) % 4;
      const segments = SEGMENTS[codeAt(cx, cy)]!;
      const [a, b] = segments.length === 2 && segments[1]!.includes(entered) ? segments[1]! : segments[0]!;
      exit = a === entered ? b : a;
    }
  };

  const loops: Point[][] = [];
  const traceFrom = (cx: number, cy: number): void => {
    for (const [enter, exit] of SEGMENTS[codeAt(cx, cy)]!) {
      const first = edgeKey(cx, cy, enter);
      if (!(visited[first >>> 5]! & (1 << (first & 31)))) loops.push(walkLoop(cx, cy, enter, exit));
    }
  };
  const words = new Uint32Array(grid.buffer, grid.byteOffset, grid.length / 4);
  const wordsPerRow = gw / 4;
  const ALL_LESION = 0x01010101;
  for (let cy = 0; cy < gh - 1; cy++) {
    const row = cy * gw;
    // Four cells at once where both rows hold the same four pixels, all lesion or all background,
    // and the fifth pixel matches: the great majority of a lesion's box.
    for (let k = 0; k < wordsPerRow - 1; k++) {
      const upper = words[cy * wordsPerRow + k]!;
      const fifth = row + 4 * k + 4;
      if (upper === words[(cy + 1) * wordsPerRow + k] && (upper === 0 || upper === ALL_LESION) && grid[fifth] === (upper & 1) && grid[fifth + gw] === (upper & 1)) continue;
      for (let cx = 4 * k; cx < 4 * k + 4; cx++) traceFrom(cx, cy);
    }
    for (let cx = gw - 4; cx < gw - 1; cx++) traceFrom(cx, cy);
  }
  return loops;
}

/**
 * Zeroed scratch buffers kept between tracings: a fresh 24 MB grid per measurement costs its
 * page faults every time (the worker measures after every edit).
 */
const scratch = {
  byteBuffer: new ArrayBuffer(0),
  wordBuffer: new ArrayBuffer(0),
  bytes(length: number): Uint8Array {
    if (this.byteBuffer.byteLength < length) this.byteBuffer = new ArrayBuffer(length);
    return new Uint8Array(this.byteBuffer, 0, length).fill(0);
  },
  words(length: number): Uint32Array {
    if (this.wordBuffer.byteLength < length * 4) this.wordBuffer = new ArrayBuffer(length * 4);
    return new Uint32Array(this.wordBuffer, 0, length).fill(0);
  },
};

// Vertex averaging passes that take the pixel staircase out of a traced outline (see perimeterOf).
const SMOOTHING_PASSES = 4;

/**
 * Perimeter: length of the traced outlines (traceOutlines) after a few passes of [1/4, 1/2, 1/4]
 * vertex averaging. The raw marching-squares polygon overestimates slanted and curved borders
 * (a digital circle by about 5%, a 1:2 slope by 8%) because it follows the pixel staircase;
 * averaging straightens the staircase and leaves straight runs untouched.
 */
export function perimeterOf(raster: MaskRaster, box: Rect | null = raster.boundingBox()): number {
  return smoothedLength(traceOutlines(raster, box));
}

/** Total length of traced outline loops after the vertex averaging (see perimeterOf). */
function smoothedLength(loops: readonly Point[][]): number {
  let total = 0;
  for (const loop of loops) {
    let xs = Float64Array.from(loop, (p) => p.x);
    let ys = Float64Array.from(loop, (p) => p.y);
    const n = loop.length;
    for (let pass = 0; pass < SMOOTHING_PASSES && n > 4; pass++) {
      const nx = new Float64Array(n);
      const ny = new Float64Array(n);
      for (let i = 0; i < n; i++) {
        const a = (i + n - 1) % n;
        const b = (i + 1) % n;
        nx[i] = 0.25 * xs[a]! + 0.5 * xs[i]! + 0.25 * xs[b]!;
        ny[i] = 0.25 * ys[a]! + 0.5 * ys[i]! + 0.25 * ys[b]!;
      }
      xs = nx;
      ys = ny;
    }
    for (let i = 0; i < n; i++) {
      const b = (i + 1) % n;
      total += Math.hypot(xs[b]! - xs[i]!, ys[b]! - ys[i]!);
    }
  }
  return total;
}

function cross(o: Point, a: Point, b: Point): number {
  return (a.x - o.x) * (b.y - o.y) - (a.y - o.y) * (b.x - o.x);
}

/** Convex hull (counter-clockwise in a y-up frame, no collinear points) of the lesion pixels' corners. */
export function lesionHull(raster: MaskRaster, runs: Runs | null = lesionRuns(raster)): Point[] {
  if (!runs) return [];
  const points: Point[] = [];
  // Each row's leftmost and rightmost lesion pixel: the first and last of its runs.
  for (let r = 0; r < runs.region.height; r++) {
    const first = runs.rowFirst[r]!;
    const last = runs.rowFirst[r + 1]! - 1;
    if (last < first) continue;
    const y = runs.region.y + r;
    const left = runs.start[first]!;
    const right = runs.end[last]!;
    points.push({ x: left, y }, { x: left, y: y + 1 }, { x: right, y }, { x: right, y: y + 1 });
  }
  return convexHull(points);
}

/** The lesion's runs within its bounding box, or null for an empty mask (one scan, shared by the measurements). */
export function lesionRuns(raster: MaskRaster): Runs | null {
  const box = raster.boundingBox();
  return box ? collectRuns(raster.data, raster.width, box, 1) : null;
}

/** Andrew's monotone chain. */
export function convexHull(input: readonly Point[]): Point[] {
  const points = [...input].sort((p, q) => p.x - q.x || p.y - q.y);
  if (points.length < 3) return points;
  const lower: Point[] = [];
  for (const p of points) {
    while (lower.length >= 2 && cross(lower[lower.length - 2]!, lower[lower.length - 1]!, p) <= 0) lower.pop();
    lower.push(p);
  }
  const upper: Point[] = [];
  for (let i = points.length - 1; i >= 0; i--) {
    const p = points[i]!;
    while (upper.length >= 2 && cross(upper[upper.length - 2]!, upper[upper.length - 1]!, p) <= 0) upper.pop();
    upper.push(p);
  }
  lower.pop();
  upper.pop();
  return lower.concat(upper);
}

/** Maximum and minimum caliper width of a convex polygon (as convexHull returns it), by rotating calipers. */
export function feretDiameters(hull: readonly Point[]): { max: number; min: number } {
  const n = hull.length;
  if (n === 0) return { max: 0, min: 0 };
  if (n < 3) {
    const d = n === 2 ? Math.hypot(hull[1]!.x - hull[0]!.x, hull[1]!.y - hull[0]!.y) : 0;
    return { max: d, min: 0 };
  }
  let max = 0;
  let min = Infinity;
  let j = 1;
  for (let i = 0; i < n; i++) {
    const a = hull[i]!;
    const b = hull[(i + 1) % n]!;
    // Advance the opposite caliper to the vertex farthest from edge a-b (area is unimodal).
    while (cross(a, b, hull[(j + 1) % n]!) > cross(a, b, hull[j]!)) j = (j + 1) % n;
    const far = hull[j]!;
    min = Math.min(min, cross(a, b, far) / Math.hypot(b.x - a.x, b.y - a.y));
    max = Math.max(max, Math.hypot(far.x - a.x, far.y - a.y), Math.hypot(far.x - b.x, far.y - b.y));
  }
  return { max, min };
}

/** Centroid, principal axis and flip asymmetry about both principal axes. */
export function asymmetryOf(raster: MaskRaster, runs: Runs | null = lesionRuns(raster)): Asymmetry {
  return drain(asymmetrySteps(raster, runs));
}

/** Lesion pixels a step of the measurements visits at most before it yields (about 10-20 ms). */
const STEP_PIXELS = 1 << 21;

function drain<T>(steps: Generator<void, T, void>): T {
  for (;;) {
    const step = steps.next();
    if (step.done) return step.value;
  }
}

/** asymmetryOf, yielding after every STEP_PIXELS lesion pixels it flips (a 24 MP lesion has millions). */
function* asymmetrySteps(raster: MaskRaster, runs: Runs | null): Generator<void, Asymmetry, void> {
  if (!runs || runs.count === 0) return { majorAxisAngle: 0, aboutMajorAxis: 0, aboutMinorAxis: 0 };
  const { data, width, height } = raster;
  // Moments from the rows' runs of lesion pixels, in closed form: pixel centres sit at x + 0.5.
  let n = 0;
  let sx = 0;
  let sy = 0;
  let sxx = 0;
  let syy = 0;
  let sxy = 0;
  const sumTo = (k: number): number => (k * (k + 1)) / 2; // 0 + 1 + ... + k
  const squaresTo = (k: number): number => (k * (k + 1) * (2 * k + 1)) / 6;
  for (let r = 0; r < runs.count; r++) {
    const a = runs.start[r]!;
    const b = runs.end[r]!;
    const count = b - a;
    const cy = runs.row[r]! + 0.5;
    // Sums over x = a .. b - 1 of (x + 0.5) and (x + 0.5)^2.
    const s1 = sumTo(b - 1) - sumTo(a - 1) + 0.5 * count;
    const s2 = squaresTo(b - 1) - squaresTo(a - 1) + (sumTo(b - 1) - sumTo(a - 1)) + 0.25 * count;
    n += count;
    sx += s1;
    sy += cy * count;
    sxx += s2;
    syy += cy * cy * count;
    sxy += cy * s1;
  }
  const cx = sx / n;
  const cy = sy / n;
  const mu20 = sxx - n * cx * cx;
  const mu02 = syy - n * cy * cy;
  const mu11 = sxy - n * cx * cy;
  const angle = 0.5 * Math.atan2(2 * mu11, mu20 - mu02);
  // Reflection about a line at `angle` through the centroid: [[cos 2t, sin 2t], [sin 2t, -cos 2t]].
  // Reflection about the perpendicular (minor) axis is its negative.
  const c2 = Math.cos(2 * angle);
  const s2 = Math.sin(2 * angle);
  let overlapMajor = 0;
  let overlapMinor = 0;
  let visited = 0;
  for (let r = 0; r < runs.count; r++) {
    if (visited >= STEP_PIXELS) {
      visited = 0;
      yield;
    }
    visited += runs.end[r]! - runs.start[r]!;
    const dy = runs.row[r]! + 0.5 - cy;
    // The row's share of each product, once per run; the sums are the same as per pixel.
    const s2dy = s2 * dy;
    const c2dy = c2 * dy;
    for (let x = runs.start[r]!, end = runs.end[r]!; x < end; x++) {
      const dx = x + 0.5 - cx;
      const rx = c2 * dx + s2dy;
      const ry = s2 * dx - c2dy;
      // Round to the nearest pixel centre; the epsilon keeps exact mirror images exact.
      const mx = Math.floor(cx + rx + 1e-9);
      const my = Math.floor(cy + ry + 1e-9);
      if (mx >= 0 && mx < width && my >= 0 && my < height) overlapMajor += data[my * width + mx]!;
      const nx = Math.floor(cx - rx + 1e-9);
      const ny = Math.floor(cy - ry + 1e-9);
      if (nx >= 0 && nx < width && ny >= 0 && ny < height) overlapMinor += data[ny * width + nx]!;
    }
  }
  // |M xor F| = |M| + |F| - 2|M and F|, and |F| = |M| for a reflection.
  return { majorAxisAngle: angle, aboutMajorAxis: (2 * (n - overlapMajor)) / n, aboutMinorAxis: (2 * (n - overlapMinor)) / n };
}

/**
 * Every measurement of the current mask. The bounding box and the lesion's runs are found once and
 * shared: the area, hull, moments, regions and colours read the runs, so only the outline tracing
 * scans the box again (a 24 MP mask was scanned eight times over, 2-3x the work).
 */
export function measureMask(raster: MaskRaster, options: MeasureOptions = {}): MaskMeasurements {
  return drain(measureMaskSteps(raster, options));
}

/**
 * measureMask in steps of 10-25 ms on a 24 MP mask here (the runs, the outline, its smoothing,
 * the asymmetry in slices of STEP_PIXELS, the colours): the worker looks at its messages between
 * steps, so a measurement that an edit made stale stops there instead of sharing the CPU with the
 * next edit.
 */
export function* measureMaskSteps(raster: MaskRaster, options: MeasureOptions = {}): Generator<void, MaskMeasurements, void> {
  if (options.image && (options.image.width !== raster.width || options.image.height !== raster.height)) {
    throw new RangeError(`The image is ${options.image.width} x ${options.image.height}, the mask ${raster.width} x ${raster.height}.`);
  }
  const runs = lesionRuns(raster);
  let areaPx = 0;
  if (runs) for (let r = 0; r < runs.count; r++) areaPx += runs.end[r]! - runs.start[r]!;
  yield;
  const loops = traceOutlines(raster, runs?.region ?? null);
  yield;
  const perimeterPx = smoothedLength(loops);
  const feret = feretDiameters(lesionHull(raster, runs));
  yield;
  const asymmetry = yield* asymmetrySteps(raster, runs);
  yield;
  const ppm = options.pixelsPerMm && options.pixelsPerMm > 0 ? options.pixelsPerMm : null;
  const mm = (px: number): number | null => (ppm ? px / ppm : null);
  let colours: ColourShare[] | null = null;
  if (options.image) {
    const none = { count: 0, row: new Int32Array(0), start: new Int32Array(0), end: new Int32Array(0) };
    colours = colourSharesOfRuns(options.image.data, raster.width, runs ?? none, options.colourPresenceFraction ?? DEFAULT_COLOUR_PRESENCE_FRACTION);
    yield;
  }
  let regionCount = 0;
  if (runs) {
    // 8-connected regions: one root per region once the runs are labelled.
    const labels = labelCollectedRuns(runs, 8);
    for (let r = 0; r < labels.count; r++) if (labels.root[r] === r) regionCount++;
  }
  return {
    areaPx,
    areaMm2: ppm ? areaPx / (ppm * ppm) : null,
    perimeterPx,
    perimeterMm: mm(perimeterPx),
    longestDiameterPx: feret.max,
    longestDiameterMm: mm(feret.max),
    shortestDiameterPx: feret.min,
    shortestDiameterMm: mm(feret.min),
    borderIrregularity: areaPx ? (perimeterPx * perimeterPx) / (4 * Math.PI * areaPx) : 0,
    asymmetry,
    regionCount,
    colours,
  };
}

/** Pixels per millimetre from a two-point ruler: two image points `knownMm` millimetres apart. */
export function pixelsPerMmFromRuler(a: Point, b: Point, knownMm: number): number {
  const distance = Math.hypot(b.x - a.x, b.y - a.y);
  if (!(knownMm > 0) || !Number.isFinite(knownMm)) throw new RangeError('The known distance must be a positive number of millimetres.');
  if (distance === 0) throw new RangeError('The two ruler points must be different.');
  return distance / knownMm;
}
