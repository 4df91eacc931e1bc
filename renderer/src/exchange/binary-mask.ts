/** A lesion mask as exchanged: one byte per pixel, row-major, 1 = lesion, 0 = background. */
export interface BinaryMask {
  width: number;
  height: number;
  data: Uint8Array;
}

/** Number of lesion pixels. */
export function maskArea(mask: BinaryMask): number {
  let area = 0;
  for (let i = 0; i < mask.data.length; i++) area += mask.data[i] ? 1 : 0;
  return area;
}

/** True when both masks have the same size and the same pixels. */
export function masksEqual(a: BinaryMask, b: BinaryMask): boolean {
  if (a.width !== b.width || a.height !== b.height) return false;
  for (let i = 0; i < a.data.length; i++) if ((a.data[i] ? 1 : 0) !== (b.data[i] ? 1 : 0)) return false;
  return true;
}
