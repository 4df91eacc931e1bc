/**
 * Re-thresholding the model's stored probability map in the renderer, the way the inference
 * service does (main/services/maskGeometry.ts): bilinear upsampling with half-pixel centres and
 * clamped edges, then p >= threshold is lesion. The threshold slider calls it at display
 * resolution while dragging and at the image's full resolution on release.
 */

export interface ProbabilityGrid {
  readonly width: number;
  readonly height: number;
  /** Row-major probabilities, width x height. */
  readonly data: Float32Array;
}

/** Source index and weight along one axis for every output coordinate. */
function axisSamples(source: number, target: number): { index: Int32Array; weight: Float32Array } {
  const index = new Int32Array(target);
  const weight = new Float32Array(target);
  const scale = source / target;
  for (let t = 0; t < target; t++) {
    const s = Math.min(source - 1, Math.max(0, (t + 0.5) * scale - 0.5));
    const i = Math.min(Math.floor(s), Math.max(0, source - 2));
    index[t] = i;
    weight[t] = source > 1 ? s - i : 0;
  }
  return { index, weight };
}

/**
 * The probability map upsampled to width x height and thresholded: 1 where p >= threshold,
 * else 0. Along an output row the interpolated value is linear inside one source cell, so a
 * cell whose two ends lie on the same side of the threshold is filled in one go; only cells the
 * border crosses are evaluated per pixel (a 24 MP mask costs a few tens of milliseconds).
 */
export function thresholdProbability(grid: ProbabilityGrid, width: number, height: number, threshold: number, target?: Uint8Array): Uint8Array {
  const { width: pw, height: ph, data: prob } = grid;
  if (prob.length !== pw * ph) throw new RangeError(`A ${pw} x ${ph} probability map needs ${pw * ph} values, got ${prob.length}.`);
  const out = target ?? new Uint8Array(width * height);
  if (out.length !== width * height) throw new RangeError(`The mask buffer holds ${out.length} pixels, expected ${width * height}.`);
  const xs = axisSamples(pw, width);
  const ys = axisSamples(ph, height);
  // Output x ranges that share a source cell [i, i + 1].
  const runStart: number[] = [];
  for (let x = 0; x < width; x++) if (x === 0 || xs.index[x] !== xs.index[x - 1]) runStart.push(x);
  runStart.push(width);
  const row = new Float32Array(pw);
  for (let y = 0; y < height; y++) {
    const j = ys.index[y]!;
    const wy = ys.weight[y]!;
    const r0 = j * pw;
    const r1 = (ph > 1 ? j + 1 : j) * pw;
    for (let i = 0; i < pw; i++) row[i] = prob[r0 + i]! + (prob[r1 + i]! - prob[r0 + i]!) * wy;
    const o = y * width;
    for (let c = 0; c + 1 < runStart.length; c++) {
      const start = runStart[c]!;
      const end = runStart[c + 1]!;
      const i = xs.index[start]!;
      const a = row[i]!;
      const b = row[pw > 1 ? i + 1 : i]!;
      const aIn = a >= threshold;
      if (aIn === b >= threshold) {
        out.fill(aIn ? 1 : 0, o + start, o + end);
      } else {
        const d = b - a;
        for (let x = start; x < end; x++) out[o + x] = a + d * xs.weight[x]! >= threshold ? 1 : 0;
      }
    }
  }
  return out;
}

/** Display size for the fast path while dragging: the image scaled so its longer side is at most `maxSide`. */
export function previewSize(width: number, height: number, maxSide: number): { width: number; height: number } {
  const scale = Math.min(1, maxSide / Math.max(width, height));
  return { width: Math.max(1, Math.round(width * scale)), height: Math.max(1, Math.round(height * scale)) };
}

/** A stored probability map (float32 Blob) back as a grid; throws with a readable message when the sizes disagree. */
export async function readProbabilityGrid(map: { width: number; height: number; data: Blob }): Promise<ProbabilityGrid> {
  const buffer = await map.data.arrayBuffer();
  if (buffer.byteLength !== map.width * map.height * 4) {
    throw new Error(`The stored probability map is damaged: ${buffer.byteLength} bytes for ${map.width} x ${map.height} values.`);
  }
  return { width: map.width, height: map.height, data: new Float32Array(buffer) };
}
