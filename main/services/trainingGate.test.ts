import { describe, expect, it } from 'vitest';
import { decideGate, validationShortfall } from './trainingGate.js';

describe('validation shortfall', () => {
  it('says how many more cases a job needs', () => {
    expect(validationShortfall(5)).toBeNull();
    expect(validationShortfall(3)).toBe(
      'The job has 3 validation cases; at least 5 are needed. About 1 case in 4 is a validation case (decided by its id), so approve about 8 more cases.',
    );
  });
});

describe('gate', () => {
  const anchor = { n: 50, base: 0.88, candidate: 0.875 };

  it('activates a candidate that is at least as good and does not forget', () => {
    const d = decideGate({ n: 12, base: 0.813, candidate: 0.842 }, anchor);
    expect(d.activated).toBe(true);
    expect(d.reason).toBe(
      'Activated: Validation Dice 0.842 vs 0.813 on 12 cases (+2.9 points); anchor Dice 0.875 vs 0.880 on 50 original images (-0.5 points, at most -1.0 allowed).',
    );
  });

  it('keeps a worse candidate with the reason', () => {
    const d = decideGate({ n: 12, base: 0.85, candidate: 0.84 }, anchor);
    expect(d).toEqual({ activated: false, reason: expect.stringMatching(/^Kept as a candidate: its validation Dice 0\.840 vs 0\.850 .* is worse than the base's\.$/) });
  });

  it('keeps a candidate that forgets the original images', () => {
    const d = decideGate({ n: 12, base: 0.8, candidate: 0.9 }, { n: 50, base: 0.88, candidate: 0.86 });
    expect(d.activated).toBe(false);
    expect(d.reason).toMatch(/forgets the original images: anchor Dice 0\.860 vs 0\.880 .*-2\.0 points/);
  });

  it('honours a margin and activation "never"', () => {
    expect(decideGate({ n: 12, base: 0.8, candidate: 0.805 }, anchor, { margin: 0.01 }).activated).toBe(false);
    const never = decideGate({ n: 12, base: 0.8, candidate: 0.9 }, anchor, { activate: 'never' });
    expect(never.activated).toBe(false);
    expect(never.reason).toMatch(/^Passed the gate but kept as a candidate \(activation set to never\)/);
  });
});
