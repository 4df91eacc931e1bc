/**
 * Saving one open case: autosave of the editor's mask as a person version, the edit journal
 * (every committed edit is kept until its version is saved), following the database (a version
 * saved in another window is shown when nothing here is unsaved; otherwise saving stops and the
 * user chooses: put mine on top, or keep theirs with mine in the history) and the approval lock
 * (an approved case is read-only until reopened; an approval during an edit stops saving too).
 *
 * No Konva, no Dexie: the repository, the PNG codec and the frame scheduler are passed in, so the
 * rules are unit-tested without a browser (case-saving.test.ts).
 */
import { errorMessage } from '../../lib/format.ts';
import { encodeRunLengths, runLengthArea, type EditorDocument } from '../../editor/index.ts';
import type { CaseRepository } from '../../storage/case-repository.ts';
import { StorageError, type CaseSnapshot, type MaskVersionRecord } from '../../storage/types.ts';
import { AutosaveScheduler, type AutosaveOptions, type AutosaveState } from '../autosave.ts';
import { PersonVersionWriter, saveRefusal } from '../case-versions.ts';
import type { EditJournal } from '../edit-journal.ts';
import { EditRecorder } from '../edit-recorder.ts';
import type { CaseMessages } from './case-messages.svelte.ts';
import { clockTime } from './clock-time.ts';
import type { CaseRecordState } from './case-record.svelte.ts';
import { DisposableStore } from './disposable-store.ts';

/** The repository calls saving makes (a fake in tests). */
export type SavingRepository = Pick<CaseRepository, 'addMaskVersion' | 'updateMaskVersion' | 'getCase' | 'getVersion' | 'listVersions' | 'setStatus'> & {
  observeCase(caseId: string): { subscribe(observer: { next: (snapshot: CaseSnapshot) => void; error: (error: unknown) => void }): { unsubscribe(): void } };
};

/** Saving stopped because the case moved on (another window's version, an approval): the user chooses. */
export type SaveRefusal = NonNullable<ReturnType<typeof saveRefusal>>;

/** Where the editing session starts: the version on screen, or a recovered edit's draft. */
export interface SavingBase {
  readonly baseVersionId: string | null;
  readonly baseRevision: number;
  readonly draftVersionId: string | null;
}

export interface CaseSavingOptions {
  readonly caseId: string;
  readonly annotator: string;
  readonly repository: SavingRepository;
  readonly editor: EditorDocument;
  readonly facts: CaseRecordState;
  readonly messages: CaseMessages;
  readonly base: SavingBase;
  readonly journal?: EditJournal | undefined;
  readonly encodePng: (width: number, height: number, data: Uint8Array) => Promise<Blob>;
  readonly decodeMask: (png: Blob) => Promise<Uint8Array>;
  /** A committed edit, undo or redo (the mask on screen is now the person's). */
  readonly onEdit?: () => void;
  /** Another window's version replaced the mask on screen (the view re-reads its prediction, re-measures). */
  readonly onFollowed?: (latest: MaskVersionRecord | null) => void | Promise<void>;
  readonly onSaveStateChange?: (state: AutosaveState) => void;
  /** Runs `task` after the frame that shows an edit (default: requestAnimationFrame, then a task). */
  readonly afterFrame?: (task: () => void) => void;
  /** Injected for tests (AutosaveOptions). */
  readonly autosave?: Pick<AutosaveOptions, 'clock' | 'delayMs' | 'maxWaitMs'>;
}

export class CaseSaving {
  saveState = $state<AutosaveState>('saved');
  refusal = $state.raw<SaveRefusal | null>(null);
  /** A choice (keep mine, keep theirs, reopen) is being carried out. */
  resolving = $state(false);
  /** The session's own version once written (compare leaves it out). */
  draftVersionId = $state<string | null>(null);

  private readonly options: CaseSavingOptions;
  private readonly editor: EditorDocument;
  private readonly facts: CaseRecordState;
  private readonly messages: CaseMessages;
  private readonly autosave: AutosaveScheduler;
  private readonly recorder: EditRecorder | null;
  private readonly disposables = new DisposableStore();
  private writer: PersonVersionWriter;
  /** The journal stamp of the newest edit recorded (or recovered) here; a save reports it done. */
  private lastEditStamp = 0;
  private recordPending = false;
  /** The lesion area of the mask as of raster version `version` (a 24 MP count is not redone per save). */
  private knownArea: { raster: object; version: number; area: number } | null = null;

  constructor(options: CaseSavingOptions) {
    this.options = options;
    this.editor = options.editor;
    this.facts = options.facts;
    this.messages = options.messages;
    const { base } = options;
    this.writer = new PersonVersionWriter(options.repository, options.caseId, options.annotator, base.baseVersionId, base.draftVersionId, base.baseRevision);
    this.draftVersionId = this.writer.versionId;
    this.recorder = options.journal ? new EditRecorder(options.journal, options.caseId, options.annotator, this.editor.raster, () => this.writer) : null;
    this.autosave = new AutosaveScheduler({
      ...options.autosave,
      save: () => this.saveMask(),
      isBlocking: (error) => saveRefusal(error) !== null,
      onStateChange: (state, error) => {
        this.saveState = state;
        if (state === 'error') this.messages.problem = `Autosave failed: ${errorMessage(error)}. Your edits are kept (also after closing this case) and will be saved again.`;
        if (state === 'blocked') this.refusal = saveRefusal(error);
        if (state === 'saved') {
          this.messages.clearProblem('Autosave failed');
          this.checkOutsideChange();
        }
        options.onSaveStateChange?.(state);
      },
    });
    this.editor.setReadOnly(this.facts.record?.status === 'approved');
    this.disposables.add(
      this.editor.onChange((change) => {
        if (change.kind === 'history') {
          // First: the edit reaches the database in this task, before anything else can delay it.
          this.recorder?.onHistory(change.event);
          if (change.event.kind === 'commit' || change.event.kind === 'undo' || change.event.kind === 'redo') {
            options.onEdit?.();
            this.scheduleRecordEdit();
            this.autosave.markDirty();
          }
        }
        if (change.kind === 'read-only' && !this.refusal) this.messages.problem = `${this.facts.record?.fileName ?? 'This case'} is approved, so its mask is locked. Reopen it to edit.`;
        // A version saved elsewhere during the gesture is decided now (an in-memory comparison).
        if (change.kind === 'gesture-end') this.checkOutsideChange();
      }),
    );
  }

  /** Starts following the database (this window's writes and every other window's). */
  follow(): void {
    this.disposables.add(this.options.repository.observeCase(this.options.caseId).subscribe({ next: (snapshot) => this.onDatabaseChange(snapshot), error: () => {} }));
  }

  /** An edit recovered from the journal (stamped `editedAt`) is on screen: save it. */
  resumeRecovered(editedAt: number): void {
    this.lastEditStamp = editedAt;
    this.autosave.markDirty();
  }

  /** Whether anything shown here is not saved yet. */
  get hasUnsavedChanges(): boolean {
    return this.autosave.hasUnsavedChanges;
  }

  /** Saves any pending edit now; rejects while a save is refused and waits for the user's choice. */
  flush(): Promise<void> {
    return this.autosave.flush();
  }

  /** Leaving the page or hiding it: journal a pending edit and start its save at once. */
  flushNow(): void {
    this.recordPendingEdit();
    void this.autosave.flush().catch(() => {});
  }

  // ---- the journal ------------------------------------------------------------------------

  /**
   * Journals the edit right after the frame that shows it (encoding a 24 MP mask's runs takes
   * ~20 ms, which must not delay an undo on screen). Leaving the page, hiding it, saving and
   * closing the case journal a pending edit at once (recordPendingEdit).
   */
  private scheduleRecordEdit(): void {
    if (!this.options.journal || this.recordPending) return;
    this.recordPending = true;
    (this.options.afterFrame ?? afterNextFrame)(() => this.recordPendingEdit());
  }

  private recordPendingEdit(): void {
    if (!this.recordPending) return;
    this.recordPending = false;
    this.recordEdit();
  }

  /** Writes the mask as it is now to the journal, before any PNG is encoded. */
  private recordEdit(): void {
    const { journal, caseId, annotator } = this.options;
    if (!journal || this.disposables.isDisposed) return;
    const raster = this.editor.raster;
    const { width, height, data, version } = raster;
    const runs = encodeRunLengths(data);
    const area = runLengthArea(runs);
    this.knownArea = { raster, version, area };
    this.lastEditStamp = journal.record({
      caseId,
      width,
      height,
      runs,
      area,
      author: annotator,
      baseVersionId: this.writer.baseVersionId,
      baseRevision: this.writer.baseRevision,
      draftVersionId: this.writer.versionId,
    });
  }

  /** The mask's lesion area: the journal's count when the mask has not changed since, else counted. */
  private areaNow(): number {
    const raster = this.editor.raster;
    if (this.knownArea?.raster === raster && this.knownArea.version === raster.version) return this.knownArea.area;
    return raster.area();
  }

  private async saveMask(): Promise<void> {
    const { journal, caseId, encodePng } = this.options;
    const { width, height, data } = this.editor.raster;
    const first = this.writer.versionId === null;
    this.recordPendingEdit();
    const area = this.areaNow();
    const stamp = this.lastEditStamp;
    const writer = this.writer;
    try {
      const png = await encodePng(width, height, data);
      await writer.write(png, area);
    } catch (error) {
      // The journal keeps the edit, with the reason, until a save goes through.
      journal?.failed(caseId, saveRefusal(error)?.message ?? errorMessage(error));
      throw error;
    }
    this.draftVersionId = writer.versionId;
    if (journal && stamp) await journal.saved(caseId, stamp, writer.versionId, writer.baseVersionId);
    if (first) {
      await this.facts.refreshVersions();
      await this.facts.refresh();
    }
  }

  // ---- following the database (this window and others) ------------------------------------

  private onDatabaseChange(snapshot: CaseSnapshot): void {
    if (this.disposables.isDisposed) return;
    if (!snapshot.record) {
      this.messages.problem = `${this.facts.record?.fileName ?? 'This case'} was deleted (in another window?). What is on screen is no longer stored.`;
      return;
    }
    this.facts.setRecord(snapshot.record);
    this.facts.versions = snapshot.versions;
    this.editor.setReadOnly(snapshot.record.status === 'approved');
    this.checkOutsideChange();
  }

  /**
   * A latest version this view did not write: follow it when nothing here is unsaved, else stop
   * saving and let the user choose. Our own save in flight is never mistaken for one: the check
   * waits for it (it runs again when the save ends).
   */
  checkOutsideChange(): void {
    const record = this.facts.record;
    if (this.disposables.isDisposed || !record || this.saveState === 'saving' || this.refusal) return;
    const versions = this.facts.versions;
    // A snapshot from before this view's last write says nothing new; the next one will.
    if (!this.writer.isCurrent(versions)) return;
    const latestId = record.latestVersionId;
    const latest = versions.find((v) => v.id === latestId) ?? null;
    if (latestId && !latest) return;
    if (this.autosave.hasUnsavedChanges) {
      if (record.status === 'approved') {
        this.autosave.block(new StorageError('approved', `${record.fileName} was approved (in another window?) while you were editing; your change is not saved yet.`, latest));
      } else if (this.writer.isOutsideChange(latest)) {
        const who = latest ? `${latest.author} saved a newer version at ${clockTime(latest.createdAt)}` : 'Its versions changed';
        this.autosave.block(new StorageError('conflict', `${who} (in another window?) while you were editing; your change is not saved yet.`, latest));
      }
      return;
    }
    if (!this.writer.isOutsideChange(latest)) return;
    // A stroke (or an open polygon) is being drawn: following now would discard it. Decide when
    // it ends ('gesture-end' checks again): committed, it is an unsaved change and the user
    // chooses; cancelled, we follow.
    if (this.editor.gestureInProgress) return;
    void this.followLatest(latest);
  }

  /** Shows the case's latest version (saved elsewhere) in place of the one on screen. */
  private async followLatest(latest: MaskVersionRecord | null): Promise<void> {
    const { width, height } = this.editor.raster;
    const mask = latest ? await this.options.decodeMask(latest.png) : new Uint8Array(width * height);
    if (this.disposables.isDisposed || mask.length !== width * height) return;
    // A stroke began or was committed while the version decoded: it is the user's now; ask again.
    if (this.editor.gestureInProgress || this.autosave.hasUnsavedChanges) {
      this.checkOutsideChange();
      return;
    }
    this.editor.loadGrayscale(mask, 1);
    this.writer = new PersonVersionWriter(this.options.repository, this.options.caseId, this.options.annotator, latest?.id ?? null, null, latest?.revision ?? 0);
    this.draftVersionId = null;
    await this.options.onFollowed?.(latest);
    if (latest) this.messages.notice = `Updated to the version ${latest.author} saved at ${clockTime(latest.createdAt)}.`;
  }

  /** "Put my change on top" (reopening the case first if it was approved meanwhile). */
  async keepMine(): Promise<void> {
    const { repository, caseId, annotator } = this.options;
    if (!this.refusal) return;
    this.resolving = true;
    try {
      if (this.refusal.code === 'approved' || this.facts.record?.status === 'approved') {
        await repository.setStatus(caseId, 'in-progress', { comment: 'reopened to save an edit made while it was approved', author: annotator });
      }
      const latestId = (await repository.getCase(caseId))?.latestVersionId ?? null;
      this.writer.putOnTop(latestId ? ((await repository.getVersion(latestId)) ?? null) : null);
      this.draftVersionId = null;
      this.refusal = null;
      this.editor.setReadOnly(false);
      this.autosave.resume();
      await this.facts.refresh();
    } catch (error) {
      this.messages.problem = `Your change is still not saved: ${errorMessage(error)}`;
    } finally {
      this.resolving = false;
    }
  }

  /** "Keep theirs": my change goes into the history (not lost), the view shows their version. */
  async keepTheirs(): Promise<void> {
    const { repository, caseId, journal, encodePng } = this.options;
    if (!this.refusal) return;
    this.resolving = true;
    try {
      const { width, height, data } = this.editor.raster;
      await this.writer.keepInHistory(await encodePng(width, height, data), this.editor.raster.area());
      this.autosave.discard();
      await journal?.discard(caseId);
      this.refusal = null;
      const current = await repository.getCase(caseId);
      const latest = current?.latestVersionId ? ((await repository.getVersion(current.latestVersionId)) ?? null) : null;
      await this.facts.refreshVersions();
      await this.followLatest(latest);
      if (current) this.facts.setRecord(current);
      this.editor.setReadOnly(current?.status === 'approved');
      this.messages.notice = 'Your change was kept in the history; the latest version is shown.';
    } catch (error) {
      this.messages.problem = `Your change is still not saved: ${errorMessage(error)}`;
    } finally {
      this.resolving = false;
    }
  }

  /** Reopens an approved case for editing (the workflow records who and when). */
  async reopen(): Promise<void> {
    const { repository, caseId, annotator } = this.options;
    this.resolving = true;
    try {
      await repository.setStatus(caseId, 'in-progress', { comment: 'reopened to edit', author: annotator });
      await this.facts.refresh();
      this.editor.setReadOnly(false);
      if (this.messages.problem?.includes('is approved')) this.messages.problem = null;
    } catch (error) {
      this.messages.problem = `The case was not reopened: ${errorMessage(error)}`;
    } finally {
      this.resolving = false;
    }
  }

  /** Journals a pending edit, stops following the database, saves what is unsaved, then stops. */
  dispose(): void {
    if (this.disposables.isDisposed) return;
    this.recordPendingEdit();
    this.disposables.dispose();
    const saver = this.autosave;
    void saver
      .flush()
      .catch(() => {})
      .finally(() => saver.dispose());
  }
}

/**
 * After the frame that shows the edit. A hidden page gets no animation frames: at once there.
 * The 1 s fallback covers frames stopping while the page counts as visible; not sooner: an
 * operation whose frame comes later than this (fill holes on 24 MP, ~130 ms) had its frame
 * delayed by the encoding.
 */
function afterNextFrame(task: () => void): void {
  if (document.visibilityState === 'hidden') {
    setTimeout(task, 0);
    return;
  }
  requestAnimationFrame(() => setTimeout(task, 0));
  setTimeout(task, 1_000);
}
