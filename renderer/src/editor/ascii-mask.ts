/**
 * Masks written as text, one string per row ('#' lesion, '.' background): hand-made test masks
 * read like the picture they describe, and a failing comparison prints one.
 */
import { MaskRaster } from './mask-raster.js';

/** A raster from rows of '#' and '.'. */
export function maskFromAscii(rows: readonly string[]): MaskRaster {
  const height = rows.length;
  const width = rows[0]?.length ?? 0;
  const raster = new MaskRaster(width, height);
  rows.forEach((row, y) => {
    if (row.length !== width) throw new RangeError(`Row ${y} has ${row.length} characters, expected ${width}.`);
    for (let x = 0; x < width; x++) raster.data[y * width + x] = row[x] === '#' ? 1 : 0;
  });
  return raster;
}

/** The raster as rows of '#' and '.'. */
export function maskToAscii(raster: MaskRaster): string[] {
  const rows: string[] = [];
  for (let y = 0; y < raster.height; y++) {
    let row = '';
    for (let x = 0; x < raster.width; x++) row += raster.data[y * raster.width + x] ? '#' : '.';
    rows.push(row);
  }
  return rows;
}
