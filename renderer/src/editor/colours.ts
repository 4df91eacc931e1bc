/**
 * The "C" of the dermoscopic ABCD rule: which of six colours appear in the lesion. Pixels are
 * classified in CIELAB (D65), which is close to perceptual, by lightness L*, chroma
 * C* = sqrt(a*^2 + b*^2) and hue angle h = atan2(b*, a*). The ranges (docs/measurements.md has
 * the table) were set on the classic prototype colours of the ABCD literature and on typical
 * dermoscopy tones; the first rule that matches wins, and a pixel may match none.
 */

import type { Runs } from './runs.js';

export type AbcdColour = 'white' | 'red' | 'light-brown' | 'dark-brown' | 'blue-grey' | 'black';

export const ABCD_COLOURS: readonly AbcdColour[] = ['white', 'red', 'light-brown', 'dark-brown', 'blue-grey', 'black'];

/** A colour counts as present when at least this share of lesion pixels has it. */
export const DEFAULT_COLOUR_PRESENCE_FRACTION = 0.05;

export interface Lab {
  readonly l: number;
  readonly a: number;
  readonly b: number;
}

function srgbToLinear(channel: number): number {
  const c = channel / 255;
  return c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
}

function labF(t: number): number {
  return t > (6 / 29) ** 3 ? Math.cbrt(t) : t / (3 * (6 / 29) ** 2) + 4 / 29;
}

/** sRGB (0-255) to CIELAB under D65. */
export function rgbToLab(r: number, g: number, b: number): Lab {
  const R = srgbToLinear(r);
  const G = srgbToLinear(g);
  const B = srgbToLinear(b);
  const x = (0.4124564 * R + 0.3575761 * G + 0.1804375 * B) / 0.95047;
  const y = 0.2126729 * R + 0.7151522 * G + 0.072175 * B;
  const z = (0.0193339 * R + 0.119192 * G + 0.9503041 * B) / 1.08883;
  const fy = labF(y);
  return { l: 116 * fy - 16, a: 500 * (labF(x) - fy), b: 200 * (fy - labF(z)) };
}

/** The ABCD colour of one sRGB pixel, or null when it is none of the six. */
export function classifyColour(r: number, g: number, b: number): AbcdColour | null {
  const { l, a, b: bStar } = rgbToLab(r, g, b);
  const chroma = Math.hypot(a, bStar);
  let hue = (Math.atan2(bStar, a) * 180) / Math.PI;
  if (hue < 0) hue += 360;
  if (l < 20) return 'black';
  if (l >= 80 && chroma < 15) return 'white';
  // Blue-grey (blue-white veil, regression): bluish to cyan hues, or a neutral grey.
  if (l < 80 && ((chroma >= 5 && hue >= 160 && hue < 300) || chroma < 8)) return 'blue-grey';
  if (chroma >= 35 && (hue < 45 || hue >= 330)) return 'red';
  if (chroma >= 8 && hue >= 30 && hue < 100) {
    if (l < 45) return 'dark-brown';
    if (l < 72 && chroma >= 15) return 'light-brown';
  }
  return null;
}

// Classifying 24 million pixels through cbrt and pow is slow; a table at 5 bits per channel
// (32 KB, built once on first use) is finer than any of the ranges above.
const LUT_BITS = 5;
let lut: Uint8Array | null = null;

function colourTable(): Uint8Array {
  if (lut) return lut;
  const size = 1 << LUT_BITS;
  const shift = 8 - LUT_BITS;
  const half = 1 << (shift - 1);
  lut = new Uint8Array(size * size * size);
  for (let r = 0; r < size; r++) {
    for (let g = 0; g < size; g++) {
      for (let b = 0; b < size; b++) {
        const colour = classifyColour((r << shift) + half, (g << shift) + half, (b << shift) + half);
        lut[(r << (2 * LUT_BITS)) | (g << LUT_BITS) | b] = colour ? ABCD_COLOURS.indexOf(colour) + 1 : 0;
      }
    }
  }
  return lut;
}

export interface ColourShare {
  readonly colour: AbcdColour;
  /** Share of lesion pixels with this colour, 0..1. */
  readonly fraction: number;
  readonly present: boolean;
}

/** Share of each ABCD colour among the pixels where `mask` is 1; `rgba` is the image (4 bytes per pixel). */
export function colourShares(
  rgba: ArrayLike<number>,
  mask: Uint8Array,
  presenceFraction = DEFAULT_COLOUR_PRESENCE_FRACTION,
): ColourShare[] {
  if (rgba.length !== mask.length * 4) throw new RangeError('The image and the mask must have the same size.');
  const counts = new Float64Array(ABCD_COLOURS.length + 1);
  for (let i = 0; i < mask.length; i++) if (mask[i]) countColour(rgba, i, counts);
  return sharesOf(counts, presenceFraction);
}

/**
 * The same shares over the lesion's runs (collectRuns of value 1 on an image `width` wide):
 * measureMask has the runs already, and visiting only lesion pixels skips the background, most
 * of a 24 MP image.
 */
export function colourSharesOfRuns(
  rgba: ArrayLike<number>,
  width: number,
  runs: Pick<Runs, 'count' | 'row' | 'start' | 'end'>,
  presenceFraction = DEFAULT_COLOUR_PRESENCE_FRACTION,
): ColourShare[] {
  const counts = new Float64Array(ABCD_COLOURS.length + 1);
  for (let k = 0; k < runs.count; k++) {
    const row = runs.row[k]! * width;
    for (let i = row + runs.start[k]!, end = row + runs.end[k]!; i < end; i++) countColour(rgba, i, counts);
  }
  return sharesOf(counts, presenceFraction);
}

/** Adds pixel `i` of `rgba` to the count of its colour (index 0: none of the six). */
function countColour(rgba: ArrayLike<number>, i: number, counts: Float64Array): void {
  const table = lut ?? colourTable();
  const shift = 8 - LUT_BITS;
  const o = i * 4;
  counts[table[((rgba[o]! >> shift) << (2 * LUT_BITS)) | ((rgba[o + 1]! >> shift) << LUT_BITS) | (rgba[o + 2]! >> shift)]!]!++;
}

function sharesOf(counts: Float64Array, presenceFraction: number): ColourShare[] {
  let total = 0;
  for (let c = 0; c < counts.length; c++) total += counts[c]!;
  return ABCD_COLOURS.map((colour, index) => {
    const fraction = total ? counts[index + 1]! / total : 0;
    return { colour, fraction, present: total > 0 && fraction >= presenceFraction };
  });
}
