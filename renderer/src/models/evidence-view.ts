/**
 * The evidence compare view's pictures: the case's image with a mask drawn over it. A
 * prediction is drawn against the approved mask, so what it got right and wrong shows at a
 * glance: lesion both agree on, lesion the prediction missed, and area it added.
 */
import type { EvidenceRow } from '../../../preload/api.ts';

/** RGB of each overlay class (teal like the editor's mask, amber missed, magenta extra). */
export const overlayColours = {
  agree: [79, 209, 197],
  missed: [255, 176, 32],
  extra: [236, 72, 153],
} as const;

/** Pixels of each class, for the legend under a picture. */
export interface OverlayCounts {
  agree: number;
  missed: number;
  extra: number;
}

/**
 * Blends a mask over an RGBA image in place and counts the classes. With `predicted` null the
 * approved mask itself is drawn (every lesion pixel as 'agree'). Masks are 0/1 per pixel.
 */
export function drawOverlay(rgba: Uint8ClampedArray, approved: Uint8Array, predicted: Uint8Array | null, alpha = 0.5): OverlayCounts {
  const n = approved.length;
  if (rgba.length !== n * 4 || (predicted && predicted.length !== n)) {
    throw new Error(`The picture has ${rgba.length / 4} pixels but the masks have ${n} and ${predicted?.length ?? n}.`);
  }
  const counts: OverlayCounts = { agree: 0, missed: 0, extra: 0 };
  for (let i = 0; i < n; i++) {
    const truth = approved[i] !== 0;
    const guess = predicted ? predicted[i] !== 0 : truth;
    const kind = truth && guess ? 'agree' : truth ? 'missed' : guess ? 'extra' : null;
    if (!kind) continue;
    counts[kind]++;
    const colour = overlayColours[kind];
    const p = i * 4;
    for (let c = 0; c < 3; c++) rgba[p + c] = Math.round(rgba[p + c]! * (1 - alpha) + colour[c]! * alpha);
  }
  return counts;
}

/** The change a row shows and sorts by, in Dice points. */
export function changeOf(row: Pick<EvidenceRow, 'baseDice' | 'candidateDice'>): number {
  return row.candidateDice - row.baseDice;
}

/** "12 validation cases: 3 better, 2 worse, 7 unchanged". */
export function evidenceSummary(rows: readonly Pick<EvidenceRow, 'baseDice' | 'candidateDice'>[]): string {
  const better = rows.filter((r) => changeOf(r) > 0).length;
  const worse = rows.filter((r) => changeOf(r) < 0).length;
  return `${rows.length} validation case${rows.length === 1 ? '' : 's'}: ${better} better, ${worse} worse, ${rows.length - better - worse} unchanged`;
}
