/**
 * Turns the editor's history into the journal's deltas, in the task of the edit itself: the
 * pointer-up that commits a stroke also writes it (edit-journal.ts), before any frame, encoding
 * or save, so a page closed right after it still has it.
 */
import { entryDelta, wholeMaskDelta, type HistoryEvent, type MaskRaster } from '../editor/index.ts';
import type { EditJournal } from './edit-journal.ts';

/** The session's versions a delta is drawn on (PersonVersionWriter's). */
export interface RecorderSession {
  readonly baseVersionId: string | null;
  readonly baseRevision: number;
  readonly versionId: string | null;
}

export class EditRecorder {
  private readonly journal: Pick<EditJournal, 'recordDelta'>;
  private readonly caseId: string;
  private readonly author: string;
  private readonly raster: MaskRaster;
  private readonly session: () => RecorderSession | null;
  /** The mask was replaced without a history entry (a reset): the next delta carries the whole mask. */
  private wholeMaskNext = false;

  constructor(journal: Pick<EditJournal, 'recordDelta'>, caseId: string, author: string, raster: MaskRaster, session: () => RecorderSession | null) {
    this.journal = journal;
    this.caseId = caseId;
    this.author = author;
    this.raster = raster;
    this.session = session;
  }

  /** Call for every history event; a commit, undo or redo is journalled now. Returns its stamp, or null. */
  onHistory(event: HistoryEvent): number | null {
    if (event.kind === 'reset') {
      this.wholeMaskNext = true;
      return null;
    }
    if (event.kind === 'cancel') return null;
    const session = this.session();
    if (!session) return null;
    const delta = this.wholeMaskNext ? wholeMaskDelta(this.raster) : entryDelta(event.entry, this.raster);
    this.wholeMaskNext = false;
    return this.journal.recordDelta({
      caseId: this.caseId,
      width: this.raster.width,
      height: this.raster.height,
      author: this.author,
      baseVersionId: session.baseVersionId,
      baseRevision: session.baseRevision,
      draftVersionId: session.versionId,
      ...delta,
    });
  }
}
