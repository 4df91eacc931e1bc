import { describe, expect, it } from 'vitest';
import { parseMillimetres, resolveCalibration, webStorageCalibrationStore } from './calibration.ts';

describe('calibration', () => {
  it('prefers the case, then the default, then none', () => {
    expect(resolveCalibration(25, 10)).toEqual({ pixelsPerMm: 25, source: 'case' });
    expect(resolveCalibration(null, 10)).toEqual({ pixelsPerMm: 10, source: 'default' });
    expect(resolveCalibration(0, -3)).toEqual({ pixelsPerMm: null, source: 'none' });
  });

  it('stores, reads and removes a case calibration', () => {
    const map = new Map<string, string>();
    const store = webStorageCalibrationStore({
      getItem: (k) => map.get(k) ?? null,
      setItem: (k, v) => void map.set(k, v),
      removeItem: (k) => void map.delete(k),
    });
    expect(store.get('a')).toBeNull();
    store.set('a', 31.5);
    expect(store.get('a')).toBe(31.5);
    expect(store.get('b')).toBeNull();
    store.set('a', null);
    expect(map.size).toBe(0);
  });

  it('parses millimetres with a decimal comma and refuses nonsense', () => {
    expect(parseMillimetres(' 2,5 ')).toBe(2.5);
    expect(parseMillimetres('10')).toBe(10);
    expect(parseMillimetres('')).toBeNull();
    expect(parseMillimetres('-1')).toBeNull();
    expect(parseMillimetres('ten')).toBeNull();
  });
});
