import { describe, expect, it } from 'vitest';
import { gateRows, partWord } from './gate-rows.ts';

describe('gate rows', () => {
  const anchor = { n: 50, base: 0.88, candidate: 0.87 };

  it('shows the changed and unchanged parts and the anchor, each with how the gate judged it', () => {
    const rows = gateRows({
      validation: { n: 8, base: 0.9, candidate: 0.86 },
      changed: { n: 5, base: 0.74, candidate: 0.8 },
      unchanged: { n: 3, base: 1, candidate: 0.84 },
      anchor,
      gate: { activated: false, reason: '…', parts: { judged: true, changed: 'passed', unchanged: 'failed', anchor: 'passed' } },
    });
    expect(rows.map((r) => [r.label, r.dice.n, partWord(r.result)])).toEqual([
      ['Changed cases', 5, 'passed'],
      ['Approved unchanged', 3, 'failed'],
      ['Anchor', 50, 'passed'],
    ]);
  });

  it('shows the pooled validation Dice, without a verdict, for a version recorded before the parts', () => {
    const rows = gateRows({ validation: { n: 8, base: 0.9, candidate: 0.86 }, anchor: null, gate: { activated: false, reason: '…' } });
    expect(rows.map((r) => [r.label, r.result])).toEqual([['Validation', null]]);
  });
});
