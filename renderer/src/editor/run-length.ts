/**
 * Run-length form of a 0/1 mask, for the edit journal: a stroke's mask is written to the
 * database in this form the moment it is committed, before the (slow) PNG encoder has run.
 * A lesion mask has a few runs per row, so a 12 MP mask packs into tens of kilobytes in a few
 * milliseconds (native indexOf finds each run's end), where PNG encoding takes most of a second.
 */

/**
 * Lengths of alternating runs over the row-major pixels, starting with background (0): the
 * first length is 0 when the mask starts with lesion. The lengths add up to the pixel count.
 */
export function encodeRunLengths(data: Uint8Array): Uint32Array {
  let capacity = 256;
  let lengths = new Uint32Array(capacity);
  let count = 0;
  let position = 0;
  let value: 0 | 1 = 0;
  while (position < data.length) {
    let end = data.indexOf(value === 0 ? 1 : 0, position);
    if (end < 0) end = data.length;
    if (count === capacity) {
      capacity *= 2;
      const grown = new Uint32Array(capacity);
      grown.set(lengths);
      lengths = grown;
    }
    lengths[count++] = end - position;
    position = end;
    value = value === 0 ? 1 : 0;
  }
  return lengths.slice(0, count);
}

/**
 * Lesion pixels of the mask `lengths` describes (the odd-indexed runs): the journal gets the area
 * of a 24 MP mask from its few thousand runs instead of counting every pixel again.
 */
export function runLengthArea(lengths: Uint32Array): number {
  let area = 0;
  for (let i = 1; i < lengths.length; i += 2) area += lengths[i]!;
  return area;
}

/** The 0/1 mask of `pixelCount` pixels that `lengths` describes; throws when they do not add up. */
export function decodeRunLengths(lengths: Uint32Array, pixelCount: number): Uint8Array {
  const data = new Uint8Array(pixelCount);
  let position = 0;
  for (let i = 0; i < lengths.length; i++) {
    const length = lengths[i]!;
    if (position + length > pixelCount) break;
    if (i % 2 === 1) data.fill(1, position, position + length);
    position += length;
  }
  if (position !== pixelCount) throw new Error(`The saved runs cover ${position} pixels, not the mask's ${pixelCount}.`);
  return data;
}
