import { describe, expect, it } from 'vitest';
import { moveWebStorageCalibrations, parseMillimetres, resolveCalibration } from './calibration.ts';

describe('calibration', () => {
  it('prefers the case, then the default, then none', () => {
    expect(resolveCalibration(25, 10)).toEqual({ pixelsPerMm: 25, source: 'case' });
    expect(resolveCalibration(null, 10)).toEqual({ pixelsPerMm: 10, source: 'default' });
    expect(resolveCalibration(0, -3)).toEqual({ pixelsPerMm: null, source: 'none' });
  });

  it('moves calibrations out of Web Storage into the database once, and keeps them on a failed write', async () => {
    const map = new Map<string, string>([
      ['lesiondesk.calibration.a', '31.5'],
      ['lesiondesk.calibration.gone', '12'],
      ['lesiondesk.calibration.bad', 'NaN'],
      ['lesiondesk.calibration.', '9'],
      ['other.setting', '1'],
    ]);
    const storage = {
      get length() {
        return map.size;
      },
      key: (i: number) => [...map.keys()][i] ?? null,
      getItem: (k: string) => map.get(k) ?? null,
      removeItem: (k: string) => void map.delete(k),
    };
    const failing = { adoptCaseCalibrations: () => Promise.reject(new Error('disk full')) };
    await expect(moveWebStorageCalibrations(storage, failing)).rejects.toThrow('disk full');
    expect(map.size).toBe(5);

    const seen: [string, number][][] = [];
    const repository = {
      adoptCaseCalibrations: (values: ReadonlyMap<string, number>) => {
        seen.push([...values]);
        return Promise.resolve({ adopted: values.has('a') ? 1 : 0, missing: [...values.keys()].filter((id) => id !== 'a') });
      },
    };
    expect(await moveWebStorageCalibrations(storage, repository)).toEqual({ adopted: 1, dropped: 2 });
    expect(seen).toEqual([[['a', 31.5], ['gone', 12]]]);
    expect([...map.keys()]).toEqual(['lesiondesk.calibration.', 'other.setting']);
    // Nothing left to move: the database is not asked again.
    expect(await moveWebStorageCalibrations(storage, repository)).toEqual({ adopted: 0, dropped: 0 });
    expect(seen).toHaveLength(1);
  });

  it('parses millimetres with a decimal comma and refuses nonsense', () => {
    expect(parseMillimetres(' 2,5 ')).toBe(2.5);
    expect(parseMillimetres('10')).toBe(10);
    expect(parseMillimetres('')).toBeNull();
    expect(parseMillimetres('-1')).toBeNull();
    expect(parseMillimetres('ten')).toBeNull();
  });
});
