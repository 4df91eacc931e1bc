/**
 * Whether the ready cases would teach the active version anything: a fine-tuned version's card
 * records the case and mask version of every mask it learned from, and a case's side never
 * changes, so when every ready training case is there with the same approved mask, a job would
 * learn nothing new (its validation cases only judge). The panel says so before Start, and
 * still lets the person start.
 */
import { cardCaseUses, type ModelVersion } from '../../../preload/api.ts';
import type { CaseRecord } from '../storage/index.ts';
import { pairKey } from './job-start.ts';

/** What a version learned from, as `caseId#maskVersionId` keys (job-start.ts pairKey). */
export interface LearnedPairs {
  version: string;
  pairs: ReadonlySet<string>;
}

/** The pairs the active version learned from; null for a shipped version or one whose card records none. */
export function learnedPairs(version: ModelVersion | undefined): LearnedPairs | null {
  if (!version || version.kind !== 'fine-tuned') return null;
  const uses = cardCaseUses(version.card, 'trained_on').filter((u) => u.maskVersionId !== null);
  if (uses.length === 0) return null;
  return { version: version.id, pairs: new Set(uses.map((u) => pairKey({ id: u.caseId, latestVersionId: u.maskVersionId }))) };
}

/** The notice when no ready training case is new to `learned`'s version, else null. */
export function nothingNewNotice(training: readonly Pick<CaseRecord, 'id' | 'latestVersionId'>[], learned: LearnedPairs | null): string | null {
  if (!learned || training.length === 0) return null;
  if (training.some((c) => !learned.pairs.has(pairKey(c)))) return null;
  const n = training.length;
  return (
    `Nothing new to learn: the active version ${learned.version} already learned from ${n === 1 ? 'the ready training case' : `all ${n} ready training cases`} ` +
    `with the same approved mask${n === 1 ? '' : 's'}. Correct and approve more cases first; you can still start.`
  );
}
