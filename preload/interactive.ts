/**
 * The geometry of one interactive step, the one TypeScript home of it: which region of the
 * image the interactive model sees, where an image pixel lands on the model's 256x256 grid, the
 * previous mask sampled onto that grid, the click discs, and the probability pasted back into
 * the region. Main (the refineRegion service, the CLI, the benchmark) and the renderer (the Box
 * and Click tools) reach it through the contract (preload/api.ts re-exports it), so every caller
 * crops, encodes and pastes the same way. Its Python twin is models/scsonet/interactive.py;
 * both check models/tests/interactive-encoding-cases.json.
 *
 * Coordinates: an integer image pixel (x, y) covers [x, x + 1) x [y, y + 1), its centre is at
 * x + 0.5. A region is the integer rectangle [x0, x1) x [y0, y1) of the image, at least
 * `minRegionSide` a side. Pure functions over typed arrays: no DOM, no Node.
 */

/** Side of the interactive model's square input and output grid. */
export const interactiveGrid = 256;
/** Radius of a click disc, in grid pixels (the card's `click_radius`). */
export const clickRadius = 5;
/** Most clicks one step may carry (the card's `max_clicks`). */
export const maxInteractiveClicks = 20;
/** Smallest side of a region, in image pixels. */
export const minRegionSide = 8;
/** A region grown around clicks is at least this many image pixels a side. */
export const minClickRegionSide = 64;
/** A region grown around clicks is widened by this fraction of its larger side on each side. */
export const clickRegionMargin = 0.4;

/** An integer rectangle [x0, x1) x [y0, y1) of the image. */
export interface Region {
  x0: number;
  y0: number;
  x1: number;
  y1: number;
}

/** A click at an integer image pixel: `positive` marks lesion, otherwise skin. */
export interface ImageClick {
  x: number;
  y: number;
  positive: boolean;
}

/** A click in grid coordinates (what refineRegion takes). */
export interface GridClick {
  u: number;
  v: number;
  positive: boolean;
}

/** A full-resolution binary mask, one byte per pixel, row-major; any non-zero byte is lesion. */
export interface MaskPlane {
  width: number;
  height: number;
  data: Uint8Array;
}

/** Width and height of a region. */
export function regionSize(region: Region): { w: number; h: number } {
  return { w: region.x1 - region.x0, h: region.y1 - region.y0 };
}

/**
 * Why a box cannot be used on a width x height image (not whole pixels, inverted or empty,
 * entirely outside, smaller than `minRegionSide` once clamped), or null when it can. `strict`
 * also refuses a box that reaches outside the image (the CLI: a coordinate beyond the image is a
 * mistake there, while a dragged box may overshoot the edge and is clamped).
 */
export function boxProblem(box: Region, width: number, height: number, strict = false): string | null {
  const { x0, y0, x1, y1 } = box;
  if (![x0, y0, x1, y1].every(Number.isInteger)) return `box ${x0},${y0},${x1},${y1} must be whole pixels`;
  if (x1 <= x0 || y1 <= y0) return `box ${x0},${y0},${x1},${y1} is inverted or empty (x1 must exceed x0 and y1 exceed y0; x1 and y1 are exclusive)`;
  if (strict && (x0 < 0 || y0 < 0 || x1 > width || y1 > height)) {
    return `box ${x0},${y0},${x1},${y1} reaches outside the ${width}x${height} image (x from 0 to ${width}, y from 0 to ${height}, x1 and y1 exclusive)`;
  }
  if (x1 <= 0 || y1 <= 0 || x0 >= width || y0 >= height) return `box ${x0},${y0},${x1},${y1} lies outside the ${width}x${height} image`;
  const c = clampRegion(box, width, height);
  if (c.x1 - c.x0 < minRegionSide || c.y1 - c.y0 < minRegionSide) {
    return `box ${x0},${y0},${x1},${y1} is smaller than ${minRegionSide}x${minRegionSide} pixels inside the image`;
  }
  return null;
}

function clampRegion(r: Region, width: number, height: number): Region {
  return {
    x0: Math.max(0, Math.min(width, r.x0)),
    y0: Math.max(0, Math.min(height, r.y0)),
    x1: Math.max(0, Math.min(width, r.x1)),
    y1: Math.max(0, Math.min(height, r.y1)),
  };
}

/** The region of the Box tool: the person's box, clamped to the image. Throws RangeError when boxProblem finds one. */
export function regionFromBox(box: Region, width: number, height: number): Region {
  const problem = boxProblem(box, width, height);
  if (problem) throw new RangeError(problem);
  return clampRegion(box, width, height);
}

/** True when a click is a pixel of a width x height image. */
export function clickInside(click: { x: number; y: number }, width: number, height: number): boolean {
  return Number.isInteger(click.x) && Number.isInteger(click.y) && click.x >= 0 && click.y >= 0 && click.x < width && click.y < height;
}

/**
 * How far from a click the current mask counts as "within reach" when a region is grown
 * around clicks: a mask part with a pixel at a Chebyshev distance of at most this from a click
 * (max(64, ceil(5 % of the image's larger side))). A click on or beside the lesion reaches it, a
 * click in clear skin far from it does not drag the whole mask into the region.
 */
export function clickReach(width: number, height: number): number {
  return Math.max(minClickRegionSide, Math.ceil(0.05 * Math.max(width, height)));
}

/**
 * The region of the Click tool without a box: the bounding box of the clicks and of the
 * mask's 8-connected parts that come within clickReach of a click, widened by
 * ceil(`clickRegionMargin` x its larger side) on each side, grown to at least
 * `minClickRegionSide` a side (about its centre, the odd pixel after), clamped to the image
 * (models/scsonet/interactive.py click_region). Throws RangeError for no clicks or a click
 * outside the image.
 */
export function regionFromClicks(clicks: readonly ImageClick[], mask: MaskPlane | null, width: number, height: number): Region {
  if (clicks.length === 0) throw new RangeError('a region needs at least one click');
  for (const c of clicks) {
    if (!clickInside(c, width, height)) throw new RangeError(`click ${c.x},${c.y} lies outside the ${width}x${height} image`);
  }
  if (mask && (mask.width !== width || mask.height !== height || mask.data.length !== width * height)) {
    throw new RangeError(`the mask is ${mask.width}x${mask.height}, the image ${width}x${height}`);
  }
  let minX = Infinity;
  let minY = Infinity;
  let maxX = -Infinity;
  let maxY = -Infinity;
  const include = (x: number, y: number) => {
    if (x < minX) minX = x;
    if (x > maxX) maxX = x;
    if (y < minY) minY = y;
    if (y > maxY) maxY = y;
  };
  for (const c of clicks) include(c.x, c.y);
  if (mask) {
    const reached = maskPartsNear(mask, clicks, clickReach(width, height));
    if (reached) {
      include(reached.x0, reached.y0);
      include(reached.x1 - 1, reached.y1 - 1);
    }
  }
  const bw = maxX - minX + 1;
  const bh = maxY - minY + 1;
  const margin = Math.ceil(clickRegionMargin * Math.max(bw, bh));
  const x = grow(minX - margin, maxX + 1 + margin, width);
  const y = grow(minY - margin, maxY + 1 + margin, height);
  return { x0: x[0], y0: y[0], x1: x[1], y1: y[1] };
}

/** One axis of regionFromClicks: at least the minimum side about its centre (the odd pixel after), clamped to [0, size). */
function grow(start: number, end: number, size: number): [number, number] {
  let a = start;
  let b = end;
  if (b - a < minClickRegionSide) {
    const extra = minClickRegionSide - (b - a);
    a -= Math.floor(extra / 2);
    b += extra - Math.floor(extra / 2);
  }
  return [Math.max(0, a), Math.min(size, b)];
}

/**
 * The bounding box of the mask's 8-connected parts that have a pixel within `reach` (a square)
 * of some click, or null. Only those parts are visited (a flood fill from the pixels near the
 * clicks), so the cost is their size, not the image's.
 */
function maskPartsNear(mask: MaskPlane, clicks: readonly ImageClick[], reach: number): Region | null {
  const { width, height, data } = mask;
  const seen = new Uint8Array(width * height);
  let stack = new Int32Array(1024);
  let top = 0;
  let box: Region | null = null;
  for (const c of clicks) {
    const ya = Math.max(0, c.y - reach);
    const yb = Math.min(height - 1, c.y + reach);
    const xa = Math.max(0, c.x - reach);
    const xb = Math.min(width - 1, c.x + reach);
    for (let sy = ya; sy <= yb; sy++) {
      for (let sx = xa; sx <= xb; sx++) {
        const s = sy * width + sx;
        if (data[s] === 0 || seen[s]) continue;
        seen[s] = 1;
        stack[top++] = s;
        while (top > 0) {
          const p = stack[--top];
          const py = (p / width) | 0;
          const px = p - py * width;
          if (!box) box = { x0: px, y0: py, x1: px + 1, y1: py + 1 };
          else {
            if (px < box.x0) box.x0 = px;
            if (px >= box.x1) box.x1 = px + 1;
            if (py < box.y0) box.y0 = py;
            if (py >= box.y1) box.y1 = py + 1;
          }
          for (let dy = -1; dy <= 1; dy++) {
            const ny = py + dy;
            if (ny < 0 || ny >= height) continue;
            for (let dx = -1; dx <= 1; dx++) {
              const nx = px + dx;
              if (nx < 0 || nx >= width) continue;
              const q = ny * width + nx;
              if (data[q] === 0 || seen[q]) continue;
              seen[q] = 1;
              if (top === stack.length) {
                const bigger = new Int32Array(stack.length * 2);
                bigger.set(stack);
                stack = bigger;
              }
              stack[top++] = q;
            }
          }
        }
      }
    }
  }
  return box;
}

/**
 * An image pixel (or a click at one) in grid coordinates: the pixel's centre mapped onto the
 * grid, u = (x + 0.5 - x0) * 256 / w - 0.5 (likewise v), so pixel centres land on grid centres.
 */
export function toGrid(x: number, y: number, region: Region, grid = interactiveGrid): { u: number; v: number } {
  const { w, h } = regionSize(region);
  return { u: ((x + 0.5 - region.x0) * grid) / w - 0.5, v: ((y + 0.5 - region.y0) * grid) / h - 0.5 };
}

/** Clicks in image pixels to grid clicks over a region. */
export function clicksToGrid(clicks: readonly ImageClick[], region: Region, grid = interactiveGrid): GridClick[] {
  return clicks.map((c) => ({ ...toGrid(c.x, c.y, region, grid), positive: c.positive }));
}

/**
 * The `clicks` input: channel 0 positive, channel 1 negative, each click a disc of `radius`
 * grid pixels, grid pixel (row i, col j) = 1 when (j - u)^2 + (i - v)^2 <= r^2.
 */
export function encodeClicks(clicks: readonly GridClick[], radius = clickRadius, grid = interactiveGrid, out?: Float32Array): Float32Array {
  const plane = grid * grid;
  const maps = out ?? new Float32Array(2 * plane);
  maps.fill(0, 0, 2 * plane);
  const r2 = radius * radius;
  for (const c of clicks) {
    const base = c.positive ? 0 : plane;
    const i0 = Math.max(0, Math.ceil(c.v - radius));
    const i1 = Math.min(grid - 1, Math.floor(c.v + radius));
    const j0 = Math.max(0, Math.ceil(c.u - radius));
    const j1 = Math.min(grid - 1, Math.floor(c.u + radius));
    for (let i = i0; i <= i1; i++) {
      const di = i - c.v;
      for (let j = j0; j <= j1; j++) {
        const dj = j - c.u;
        if (dj * dj + di * di <= r2) maps[base + i * grid + j] = 1;
      }
    }
  }
  return maps;
}

/**
 * The previous mask over a region, sampled nearest at grid pixel centres:
 * prev[i][j] = mask[floor(y0 + (i + 0.5) * h / 256)][floor(x0 + (j + 0.5) * w / 256)], as 0/1.
 */
export function samplePrev(mask: MaskPlane, region: Region, grid = interactiveGrid, out?: Uint8Array): Uint8Array {
  const { w, h } = regionSize(region);
  const prev = out ?? new Uint8Array(grid * grid);
  const cols = new Int32Array(grid);
  for (let j = 0; j < grid; j++) cols[j] = region.x0 + Math.floor(((j + 0.5) * w) / grid);
  for (let i = 0; i < grid; i++) {
    const row = (region.y0 + Math.floor(((i + 0.5) * h) / grid)) * mask.width;
    for (let j = 0; j < grid; j++) prev[i * grid + j] = mask.data[row + cols[j]] !== 0 ? 1 : 0;
  }
  return prev;
}

/** Bilinear source index and weight per output pixel (half-pixel centres, edge-clamped, align_corners=False). */
export function bilinearAxis(outSize: number, inSize: number): { i0: Int32Array; i1: Int32Array; f: Float64Array } {
  const i0 = new Int32Array(outSize);
  const i1 = new Int32Array(outSize);
  // Float64 like the Python twin (resize_bilinear), so both threshold the same values.
  const f = new Float64Array(outSize);
  const scale = inSize / outSize;
  for (let x = 0; x < outSize; x++) {
    let s = (x + 0.5) * scale - 0.5;
    if (s < 0) s = 0;
    if (s > inSize - 1) s = inSize - 1;
    const a = Math.floor(s);
    i0[x] = a;
    i1[x] = Math.min(a + 1, inSize - 1);
    f[x] = s - a;
  }
  return { i0, i1, f };
}

/** What a paste changed: pixels that flipped, and the lesion area gained (negative: lost). */
export interface PasteResult {
  changed: number;
  areaDelta: number;
}

/**
 * Pastes the grid probability back into the region of `mask`: resized to the region's w x h
 * bilinearly (align_corners=False, like torch's F.interpolate and sharp), thresholded (p >= t is
 * lesion, written as `on`, else 0); pixels outside the region never change. `prob` is the
 * model's float map or the contract's bytes (round(p * 255)); for bytes the threshold is
 * compared as t * 255 on the interpolated bytes.
 */
export function pasteProbability(
  prob: Float32Array | Uint8Array,
  region: Region,
  mask: MaskPlane,
  threshold: number,
  on = 1,
  grid = interactiveGrid,
): PasteResult {
  const { w, h } = regionSize(region);
  const t = prob instanceof Uint8Array ? threshold * 255 : threshold;
  const xs = bilinearAxis(w, grid);
  const ys = bilinearAxis(h, grid);
  const line = new Float64Array(grid);
  // Output columns that read the same two grid columns (one source cell): inside such a run the
  // interpolated value lies between the cell's two values, so when both are clearly on one side
  // of the threshold the whole run is, and it is filled without per-pixel arithmetic (a 24 MP
  // region is mostly such runs). A margin keeps the shortcut exact where a value sits on t.
  const runStart: number[] = [];
  for (let x = 0; x < w; x++) if (x === 0 || xs.i0[x] !== xs.i0[x - 1] || xs.i1[x] !== xs.i1[x - 1]) runStart.push(x);
  runStart.push(w);
  const margin = 1e-9 * Math.max(1, Math.abs(t));
  let changed = 0;
  let areaDelta = 0;
  const data = mask.data;
  for (let y = 0; y < h; y++) {
    const r0 = ys.i0[y] * grid;
    const r1 = ys.i1[y] * grid;
    const fy = ys.f[y];
    for (let j = 0; j < grid; j++) line[j] = prob[r0 + j] + (prob[r1 + j] - prob[r0 + j]) * fy;
    const o = (region.y0 + y) * mask.width + region.x0;
    for (let k = 0; k + 1 < runStart.length; k++) {
      const xa = runStart[k];
      const xb = runStart[k + 1];
      const a = line[xs.i0[xa]];
      const b = line[xs.i1[xa]];
      const lo = a < b ? a : b;
      const hi = a < b ? b : a;
      if (lo >= t + margin || hi < t - margin) {
        const inside = lo >= t + margin;
        for (let x = o + xa; x < o + xb; x++) {
          const was = data[x] !== 0;
          if (was !== inside) {
            changed++;
            areaDelta += inside ? 1 : -1;
          }
        }
        data.fill(inside ? on : 0, o + xa, o + xb);
        continue;
      }
      for (let x = xa; x < xb; x++) {
        const inside = a + (b - a) * xs.f[x] >= t;
        const was = data[o + x] !== 0;
        if (inside !== was) {
          changed++;
          areaDelta += inside ? 1 : -1;
        }
        data[o + x] = inside ? on : 0;
      }
    }
  }
  return { changed, areaDelta };
}

/** Probability bytes for the contract: round(p * 255), p clamped to [0, 1]. */
export function probabilityBytes(prob: Float32Array): Uint8Array {
  const out = new Uint8Array(prob.length);
  for (let i = 0; i < prob.length; i++) {
    const p = prob[i];
    out[i] = Math.round((p < 0 ? 0 : p > 1 ? 1 : p) * 255);
  }
  return out;
}
