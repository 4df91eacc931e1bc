import { describe, expect, it } from 'vitest';
import { formatBytes, formatInt, formatMs, formatPercent, providerLabel } from './format.ts';

describe('format', () => {
  it('formats timings, counts, shares and sizes for the status bar', () => {
    expect(formatMs(8.66)).toBe('8.7 ms');
    expect(formatMs(31.4)).toBe('31 ms');
    expect(formatMs(1530)).toBe('1.53 s');
    expect(formatInt(1234567)).toBe('1,234,567');
    expect(formatPercent(0.1234)).toBe('12.3 %');
    expect(formatBytes(2.5 * 1024 * 1024)).toBe('2.5 MB');
  });

  it('names execution providers as people know them', () => {
    expect(providerLabel('cpu')).toBe('CPU');
    expect(providerLabel('cuda')).toMatch(/CUDA/);
    expect(providerLabel('tensorrt')).toBe('tensorrt');
  });
});
