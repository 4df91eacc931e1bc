import { describe, expect, it } from 'vitest';
import type { DiceComparison, GateParts, TrainingJob } from '../../../preload/api.ts';
import { nextStep, stillImproving } from './next-step.ts';

const passed: GateParts = { judged: true, changed: 'passed', unchanged: 'passed', anchor: 'passed' };

/** A finished job whose gate went as `parts` says; the Dice on the changed cases is `changed`. */
function finished(parts: Partial<GateParts> | null, options: { activated?: boolean; changed?: DiceComparison; dice?: number[]; epochs?: number } = {}): TrainingJob {
  const validation = { n: 8, base: 0.8, candidate: 0.8 };
  const dice = options.dice ?? [0.7, 0.75, 0.78];
  return {
    id: 'job-1',
    state: 'succeeded',
    phase: 'done',
    base: 'scsonet@1.0.0',
    activate: 'auto',
    epochs: options.epochs ?? dice.length,
    epoch: dice.length,
    progress: 1,
    etaSeconds: null,
    cases: { train: 24, validation: 8 },
    history: dice.map((valDsc, i) => ({ epoch: i + 1, loss: 0.3, valDsc })),
    createdAt: '2026-01-01T00:00:00Z',
    startedAt: null,
    endedAt: null,
    result: {
      version: 'scsonet@1.1.0',
      validation,
      changed: options.changed ?? { n: 6, base: 0.75, candidate: 0.7 },
      unchanged: { n: 2, base: 1, candidate: 0.98 },
      anchor: { n: 50, base: 0.88, candidate: 0.879 },
      gate: { activated: options.activated ?? false, reason: '…', ...(parts ? { parts: { ...passed, ...parts } } : {}) },
    },
    error: null,
  };
}

describe('the next step after a job', () => {
  it('opens the evidence when the candidate lost on the changed cases by more than a point', () => {
    expect(nextStep(finished({ changed: 'failed' }))).toEqual({
      kind: 'open-evidence',
      version: 'scsonet@1.1.0',
      text: 'Next: open the evidence to see the changed cases it got worse on.',
    });
    expect(nextStep(finished({ unchanged: 'failed' }))?.kind).toBe('open-evidence');
  });

  it('suggests twice the epochs when it was close on the changed cases and still improving', () => {
    const close = { n: 6, base: 0.75, candidate: 0.745 };
    expect(nextStep(finished({ changed: 'failed' }, { changed: close, dice: [0.7, 0.72, 0.74], epochs: 3 }))).toMatchObject({ kind: 'set-epochs', epochs: 6 });
    // Levelled off: more epochs would not help.
    expect(nextStep(finished({ changed: 'failed' }, { changed: close, dice: [0.7, 0.76, 0.74] }))?.kind).toBe('open-evidence');
  });

  it('asks for more corrected cases when there was too little to judge', () => {
    const tooFew = finished({ judged: false });
    tooFew.result!.validation.n = 3;
    expect(nextStep(tooFew)).toMatchObject({ kind: 'approve-more', cases: 8 });
    expect(nextStep(finished({ changed: 'none' }))).toMatchObject({ kind: 'approve-more' });
  });

  it('suggests fewer epochs when it forgot the original images, activating a passed candidate kept by "never", nothing once active', () => {
    expect(nextStep(finished({ anchor: 'failed' }, { epochs: 10 }))).toMatchObject({ kind: 'set-epochs', epochs: 5 });
    expect(nextStep(finished({}))).toMatchObject({ kind: 'activate', version: 'scsonet@1.1.0' });
    expect(nextStep(finished({}, { activated: true }))?.kind).toBe('done');
  });

  it('suggests nothing for a job without the gate parts or without a result', () => {
    expect(nextStep(finished(null))).toBeNull();
    expect(nextStep({ ...finished({}), state: 'failed', result: null })).toBeNull();
  });

  it('calls training still improving only when the last epoch is the best', () => {
    const h = (dice: number[]) => dice.map((valDsc, i) => ({ epoch: i + 1, loss: 0.3, valDsc }));
    expect(stillImproving(h([0.5, 0.6, 0.7]))).toBe(true);
    expect(stillImproving(h([0.5, 0.7, 0.6]))).toBe(false);
    expect(stillImproving(h([0.5]))).toBe(false);
  });
});
