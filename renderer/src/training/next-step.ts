/**
 * The one next step a finished job suggests, from how each part of the gate went (the sentence
 * above it names the parts): open the evidence where the candidate lost, approve more corrected
 * cases where there was too little to judge, train longer where it was close and still improving,
 * train shorter where it forgot the original images, activate a candidate that passed but was
 * kept by the "never" setting. Pure: the panel turns the step into a button.
 */
import { minValidationCases, validationEvery, type EpochRecord, type TrainingJob } from '../../../preload/api.ts';

export type NextStep =
  | { kind: 'open-evidence'; text: string; version: string }
  | { kind: 'approve-more'; text: string; cases: number }
  | { kind: 'set-epochs'; text: string; epochs: number }
  | { kind: 'activate'; text: string; version: string }
  | { kind: 'done'; text: string };

/** A loss on the changed cases smaller than this (1 point) is "close": more epochs may turn it. */
export const closeWithin = 0.01;
/** Bounds of the epochs a step may suggest (the settings field's). */
const maxEpochs = 200;

/** The last epoch's validation Dice is the best so far: training had not levelled off. */
export function stillImproving(history: readonly EpochRecord[]): boolean {
  if (history.length < 2) return false;
  const last = history.at(-1)!.valDsc;
  return history.slice(0, -1).every((h) => h.valDsc <= last);
}

/**
 * What to do after `job`, or null when there is nothing to suggest (a job that failed, was
 * cancelled, or was recorded before the gate kept its parts).
 */
export function nextStep(job: TrainingJob): NextStep | null {
  const result = job.state === 'succeeded' ? job.result : null;
  const parts = result?.gate.parts;
  if (!result || !parts) return null;
  const { version, gate } = result;
  if (gate.activated) return { kind: 'done', text: 'Next: nothing; new cases are segmented with it now, and Models rolls it back if it does worse.' };
  if (!parts.judged) {
    // About 1 case in validationEvery validates; the gate needs minValidationCases of them.
    const cases = Math.max(1, minValidationCases - result.validation.n) * validationEvery;
    return {
      kind: 'approve-more',
      cases,
      text: `Next: correct and approve about ${cases} more cases, then train again; the gate needs ${minValidationCases} validation cases to judge.`,
    };
  }
  if (parts.changed === 'none') {
    const cases = 2 * validationEvery;
    return {
      kind: 'approve-more',
      cases,
      text: `Next: correct and approve about ${cases} more cases: only masks a person changed show that it fixes errors.`,
    };
  }
  if (parts.changed === 'failed') {
    const changed = result.changed ?? result.validation;
    const close = changed.candidate - changed.base > -closeWithin;
    if (close && parts.unchanged !== 'failed' && parts.anchor !== 'failed' && stillImproving(job.history) && job.epochs < maxEpochs) {
      const epochs = Math.min(maxEpochs, job.epochs * 2);
      return { kind: 'set-epochs', epochs, text: `Next: try ${epochs} epochs: it was close on the changed cases and still improving at its last epoch.` };
    }
    return { kind: 'open-evidence', version, text: 'Next: open the evidence to see the changed cases it got worse on.' };
  }
  if (parts.unchanged === 'failed') return { kind: 'open-evidence', version, text: 'Next: open the evidence to see the masks approved unchanged that it damaged.' };
  if (parts.anchor === 'failed') {
    if (job.epochs > 1) {
      const epochs = Math.max(1, Math.floor(job.epochs / 2));
      return { kind: 'set-epochs', epochs, text: `Next: try ${epochs} epochs: it learned the corrections but forgot the original images, which long training on few cases does.` };
    }
    return { kind: 'open-evidence', version, text: 'Next: open the evidence: it forgot the original images even in one epoch.' };
  }
  return { kind: 'activate', version, text: 'Next: activate it if you agree with the gate; activation is set to never.' };
}

/** The label of the button that takes `step`, or null when it is advice alone. */
export function stepButton(step: NextStep): string | null {
  switch (step.kind) {
    case 'open-evidence':
      return 'Open the evidence';
    case 'set-epochs':
      return `Use ${step.epochs} epochs`;
    case 'activate':
      return 'Activate it';
    default:
      return null;
  }
}
