import { describe, expect, it } from 'vitest';
import { MaskRaster, measureMask } from '../editor/index.ts';
import { colourName, formatShare, measurementRows } from './measurement-rows.ts';

function rectangleMask(): MaskRaster {
  const raster = new MaskRaster(40, 30);
  for (let y = 5; y < 25; y++) for (let x = 10; x < 30; x++) raster.data[y * 40 + x] = 1;
  return raster;
}

describe('measurementRows', () => {
  it('shows pixels only when uncalibrated', () => {
    const rows = measurementRows(measureMask(rectangleMask()));
    const area = rows.find((r) => r.id === 'area')!;
    expect(area.value).toBe('400 px');
    expect(area.calibrated).toBeNull();
    expect(rows.find((r) => r.id === 'regions')!.value).toBe('1');
    expect(rows.map((r) => r.id)).toContain('asymmetry-minor');
  });

  it('adds millimetres when calibrated', () => {
    const rows = measurementRows(measureMask(rectangleMask(), { pixelsPerMm: 10 }));
    expect(rows.find((r) => r.id === 'area')!.calibrated).toBe('4.00 mm²');
    expect(rows.find((r) => r.id === 'shortest')!.calibrated).toBe('2.00 mm');
  });

  it('names colours and formats shares', () => {
    expect(colourName('blue-grey')).toBe('Blue-grey');
    expect(formatShare(0.004)).toBe('<1%');
    expect(formatShare(0.256)).toBe('26%');
    expect(formatShare(0)).toBe('0%');
  });
});
