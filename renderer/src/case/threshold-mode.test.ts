import { describe, expect, it } from 'vitest';
import { maskSourceOf, thresholdMode, thresholdNote } from './threshold-mode.ts';

describe('threshold mode', () => {
  it('re-thresholds only the untouched prediction; a person, ground truth or an approval keeps the mask', () => {
    expect(thresholdMode(true, maskSourceOf('model'))).toBe('follow');
    expect(thresholdMode(true, maskSourceOf(null))).toBe('follow');
    expect(thresholdMode(true, maskSourceOf('ground-truth'))).toBe('layer');
    expect(thresholdMode(true, maskSourceOf('person'))).toBe('layer');
    expect(thresholdMode(true, 'prediction', true)).toBe('layer');
    expect(thresholdMode(false, 'ground-truth')).toBe('none');
  });

  it('says which mode is in force, naming whose mask stays', () => {
    expect(thresholdNote('layer', 'ground-truth')).toMatch(/^The ground-truth mask stays as it is: the threshold moves the prediction outline only/);
    expect(thresholdNote('layer', 'person')).toMatch(/^Your mask stays/);
    expect(thresholdNote('layer', 'prediction', true)).toMatch(/^The approved mask stays/);
    expect(thresholdNote('follow', 'prediction')).toMatch(/follows the threshold/);
  });
});
