/**
 * Opening a case: the mask to start from, which is an edit left unsaved (a reload, a closed
 * window, a failed save) recovered from the journal when there is one, else the case's latest
 * version.
 */
import { errorMessage } from '../../lib/format.ts';
import type { CaseRepository } from '../../storage/case-repository.ts';
import type { CaseRecord, MaskVersionRecord } from '../../storage/types.ts';
import { recoverMask, type EditJournal, type RecoveredHead } from '../edit-journal.ts';
import type { CaseMessages } from './case-messages.svelte.ts';

/** Decodes a stored mask PNG (name says which, in the error). */
export type MaskDecoder = (png: Blob, name: string) => Promise<{ width: number; height: number; data: Uint8Array }>;

/** An unsaved edit found in the journal, as a full mask. */
export interface RecoveredEdit {
  readonly head: RecoveredHead;
  readonly mask: Uint8Array;
}

/** An edit of this case left unsaved, if it still fits the image; a recovery that fails is said in `messages`. */
export async function recoverEdit(
  journal: EditJournal | undefined,
  repository: Pick<CaseRepository, 'getVersion'>,
  decodeMask: MaskDecoder,
  caseId: string,
  size: { width: number; height: number },
  messages: CaseMessages,
): Promise<RecoveredEdit | null> {
  const recovery = await journal?.recover(caseId);
  if (!journal || !recovery) return null;
  try {
    const { mask, changed } = await recoverMask(recovery, size.width, size.height, async (versionId) => {
      const version = await repository.getVersion(versionId);
      if (!version) throw new Error('the version it was drawn on is gone');
      return (await decodeMask(version.png, 'mask')).data;
    });
    if (!recovery.snapshot && changed === 0) {
      // Deltas whose version was saved but not yet removed from the journal: nothing is unsaved.
      await journal.discard(caseId);
      return null;
    }
    return { head: recovery.head, mask };
  } catch (error) {
    messages.problem = `An unsaved change of this case could not be recovered (${errorMessage(error)}).`;
    return null;
  }
}

/** The version the case opens on: its latest, else its newest. */
export function workingVersion(record: CaseRecord | null, versions: readonly MaskVersionRecord[]): MaskVersionRecord | null {
  return versions.find((v) => v.id === record?.latestVersionId) ?? versions.at(-1) ?? null;
}

/** The pixels of `version`, checked against the image's size. */
export async function versionMask(version: MaskVersionRecord, fileName: string, size: { width: number; height: number }, decodeMask: MaskDecoder): Promise<Uint8Array> {
  const decoded = await decodeMask(version.png, `${fileName} mask`);
  if (decoded.width !== size.width || decoded.height !== size.height) {
    throw new Error(`The saved mask is ${decoded.width} x ${decoded.height} but the image is ${size.width} x ${size.height}.`);
  }
  return decoded.data;
}
