import { describe, expect, it } from 'vitest';
import { decideGate, validationShortfall } from './trainingGate.js';

describe('validation shortfall', () => {
  it('says that too few validation cases cannot judge, and how many more to approve', () => {
    expect(validationShortfall(5)).toBeNull();
    expect(validationShortfall(3)).toBe('3 validation cases are too few to judge; activate by hand or approve about 8 more.');
    expect(validationShortfall(1)).toBe('1 validation case is too few to judge; activate by hand or approve about 16 more.');
  });
});

describe('gate', () => {
  const anchor = { n: 50, base: 0.88, candidate: 0.875 };

  it('activates a candidate that is at least as good and does not forget', () => {
    const d = decideGate({ validation: { n: 12, base: 0.813, candidate: 0.842 }, anchor });
    expect(d.activated).toBe(true);
    expect(d.reason).toBe(
      'Activated: On 12 validation cases Dice 0.842 vs 0.813 (+2.9 points); anchor Dice 0.875 vs 0.880 on 50 original images (-0.5 points, at most -1.0 allowed).',
    );
  });

  it('judges changed cases and cases approved unchanged apart: the unchanged ones no longer veto a better candidate', () => {
    // Pooled, the candidate loses (0.861 < 0.905): the base scores ~1.0 on its own approved masks.
    const validation = { n: 8, base: 0.905, candidate: 0.861 };
    const changed = { n: 5, base: 0.742, candidate: 0.803 };
    const unchanged = { n: 3, base: 0.999, candidate: 0.962 };
    const d = decideGate({ validation, changed, unchanged, anchor });
    expect(d).toEqual({
      activated: true,
      reason:
        'Activated: On 5 changed cases Dice 0.803 vs 0.742 (+6.1 points); on 3 cases approved unchanged 0.962 vs 0.999 (-3.7 points, at most -5.0 allowed); ' +
        'anchor Dice 0.875 vs 0.880 on 50 original images (-0.5 points, at most -1.0 allowed).',
      parts: { judged: true, changed: 'passed', unchanged: 'passed', anchor: 'passed' },
    });
  });

  it('refuses a candidate that damages the masks approved unchanged, however much it gains on the changed ones', () => {
    const d = decideGate({
      validation: { n: 8, base: 0.905, candidate: 0.83 },
      changed: { n: 5, base: 0.742, candidate: 0.803 },
      unchanged: { n: 3, base: 0.999, candidate: 0.844 },
      anchor,
    });
    expect(d.activated).toBe(false);
    expect(d.parts).toEqual({ judged: true, changed: 'passed', unchanged: 'failed', anchor: 'passed' });
    expect(d.reason).toMatch(/^Kept as a candidate: it damages masks approved unchanged: on 3 cases approved unchanged 0\.844 vs 0\.999 \(-15\.5 points, at most -5\.0 allowed\)\. Passed: on 5 changed cases Dice 0\.803 vs 0\.742 \(\+6\.1 points\); anchor Dice/);
  });

  it('keeps a candidate that loses on the changed cases, or has none to show', () => {
    const worse = decideGate({ validation: { n: 8, base: 0.9, candidate: 0.9 }, changed: { n: 5, base: 0.85, candidate: 0.84 }, unchanged: { n: 3, base: 1, candidate: 0.99 }, anchor });
    expect(worse.activated).toBe(false);
    expect(worse.parts).toEqual({ judged: true, changed: 'failed', unchanged: 'passed', anchor: 'passed' });
    expect(worse.reason).toMatch(/^Kept as a candidate: on 5 changed cases Dice 0\.840 vs 0\.850 \(-1\.0 points\) is worse than the base's\./);
    const none = decideGate({ validation: { n: 6, base: 1, candidate: 0.99 }, changed: { n: 0, base: 1, candidate: 1 }, unchanged: { n: 6, base: 1, candidate: 0.99 }, anchor });
    expect(none.activated).toBe(false);
    expect(none.parts).toEqual({ judged: true, changed: 'none', unchanged: 'passed', anchor: 'passed' });
    expect(none.reason).toMatch(/^Kept as a candidate: no validation case was changed by a person, so nothing shows that it fixes errors\./);
  });

  it('keeps the result of a job with too few validation cases, whatever its scores', () => {
    const d = decideGate({ validation: { n: 3, base: 0.7, candidate: 0.9 }, changed: { n: 3, base: 0.7, candidate: 0.9 }, unchanged: null, anchor });
    expect(d).toEqual({
      activated: false,
      reason:
        'Kept as a candidate: 3 validation cases are too few to judge; activate by hand or approve about 8 more. ' +
        'On 3 changed cases Dice 0.900 vs 0.700 (+20.0 points); anchor Dice 0.875 vs 0.880 on 50 original images (-0.5 points, at most -1.0 allowed).',
      parts: { judged: false, changed: 'passed', unchanged: 'none', anchor: 'passed' },
    });
  });

  it('keeps a candidate that forgets the original images', () => {
    const d = decideGate({ validation: { n: 12, base: 0.8, candidate: 0.9 }, anchor: { n: 50, base: 0.88, candidate: 0.86 } });
    expect(d.activated).toBe(false);
    expect(d.parts).toEqual({ judged: true, changed: 'passed', unchanged: 'none', anchor: 'failed' });
    expect(d.reason).toMatch(/forgets the original images: anchor Dice 0\.860 vs 0\.880 .*-2\.0 points/);
  });

  it('honours a margin and activation "never"', () => {
    expect(decideGate({ validation: { n: 12, base: 0.8, candidate: 0.805 }, anchor }, { margin: 0.01 }).activated).toBe(false);
    const never = decideGate({ validation: { n: 12, base: 0.8, candidate: 0.9 }, anchor }, { activate: 'never' });
    expect(never.activated).toBe(false);
    expect(never.reason).toMatch(/^Passed the gate but kept as a candidate \(activation set to never\)/);
  });
});
