import { describe, expect, it } from 'vitest';
import { isStalePrediction } from './stale.ts';

describe('the stale rule', () => {
  it('marks a prediction made by another model than the running one', () => {
    expect(isStalePrediction({ activeModel: 'scsonet@1.0.0' }, 'scsonet@1.1.0')).toBe(true);
    // Another model name with the same version is another model too.
    expect(isStalePrediction({ activeModel: 'other@1.1.0' }, 'scsonet@1.1.0')).toBe(true);
  });

  it('leaves current predictions, unpredicted cases and an unknown running model alone', () => {
    expect(isStalePrediction({ activeModel: 'scsonet@1.1.0' }, 'scsonet@1.1.0')).toBe(false);
    expect(isStalePrediction({ activeModel: null }, 'scsonet@1.1.0')).toBe(false);
    expect(isStalePrediction({ activeModel: 'scsonet@1.0.0' }, null)).toBe(false);
  });
});
