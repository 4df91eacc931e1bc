/**
 * A case's history as one list: mask versions and workflow moves in time order, each version
 * naming the version it was made from (an edit of a prediction, a restore of an older mask).
 */
import type { MaskVersionRecord, StatusChangeRecord } from '../storage/index.ts';
import { versionAuthorLabel } from './review-actions.ts';

/**
 * One line of the history panel. `basedOn` names the version a person's mask was made from; a
 * model's prediction is made from the image alone, so it has none (libraries before schema
 * version 5 stored the case's latest mask, often its ground truth, as a prediction's parent).
 */
export type TimelineEntry =
  | { kind: 'version'; key: string; at: number; version: MaskVersionRecord; basedOn: string | null }
  | { kind: 'status'; key: string; at: number; change: StatusChangeRecord };

function timeLabel(at: number): string {
  return new Date(at).toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit', second: '2-digit' });
}

/** Versions and status changes, oldest first (a version before a status change at the same time). */
export function historyTimeline(versions: readonly MaskVersionRecord[], changes: readonly StatusChangeRecord[]): TimelineEntry[] {
  const byId = new Map(versions.map((v) => [v.id, v]));
  const entries: TimelineEntry[] = [
    ...versions.map((version): TimelineEntry => {
      const parent = version.authorKind !== 'model' && version.parentVersionId ? byId.get(version.parentVersionId) : undefined;
      const basedOn = parent ? `${versionAuthorLabel(parent)}, ${timeLabel(parent.createdAt)}` : null;
      return { kind: 'version', key: `v:${version.id}`, at: version.createdAt, version, basedOn };
    }),
    ...changes.map((change, i): TimelineEntry => ({ kind: 'status', key: `s:${change.id ?? i}:${change.at}`, at: change.at, change })),
  ];
  return entries.sort((a, b) => a.at - b.at || (a.kind === b.kind ? 0 : a.kind === 'version' ? -1 : 1));
}
