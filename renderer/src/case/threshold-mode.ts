/**
 * What the threshold slider does. A model output never replaces a person's or a ground-truth
 * mask without an action that says so: while the mask on screen is the untouched prediction the
 * slider re-thresholds it (nothing of anyone's is lost), otherwise it moves only the prediction
 * layer (an outline of what the model would give at that threshold) and "Use prediction at T"
 * replaces the mask, as one undoable step.
 */
import type { AuthorKind } from '../storage/index.ts';

/** Whose mask the editor shows. */
export type MaskSource = 'prediction' | 'person' | 'ground-truth';

/** `follow`: the mask is re-thresholded. `layer`: only the prediction outline moves. `none`: no probabilities. */
export type ThresholdMode = 'none' | 'follow' | 'layer';

/** The source of a mask opened from a stored version (none: an empty mask, which nobody drew). */
export function maskSourceOf(authorKind: AuthorKind | null | undefined): MaskSource {
  if (authorKind === 'person') return 'person';
  if (authorKind === 'ground-truth') return 'ground-truth';
  return 'prediction';
}

/** What the slider does; an approved (locked) case's mask never follows it. */
export function thresholdMode(hasPrediction: boolean, source: MaskSource, locked = false): ThresholdMode {
  if (!hasPrediction) return 'none';
  return source === 'prediction' && !locked ? 'follow' : 'layer';
}

/** The line under the slider that says what it does now. */
export function thresholdNote(mode: ThresholdMode, source: MaskSource, locked = false): string {
  if (mode === 'none') return 'No stored prediction with probabilities for this case.';
  if (mode === 'follow') return 'The mask is the untouched prediction: it follows the threshold.';
  const whose = locked ? 'The approved mask' : source === 'ground-truth' ? 'The ground-truth mask' : source === 'person' ? 'Your mask' : 'The mask';
  return `${whose} stays as it is: the threshold moves the prediction outline only.`;
}
