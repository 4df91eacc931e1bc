/**
 * The edit journal: every committed stroke's mask, kept until a mask version with it is saved.
 *
 * Saving a version means PNG-encoding the whole mask (most of a second at 12 MP), so a tab
 * closed or reloaded right after a stroke would lose it. The journal writes the mask in
 * run-length form the moment the stroke is committed (a few milliseconds, tens of kilobytes),
 * and keeps it in memory too, so:
 * - a reload or a closed window recovers the stroke when the case is opened again;
 * - a failed save (quota, a refusal the user must decide) keeps the edit, with its error, across
 *   case switches, and the shell lists it until it is saved;
 * - the shell knows whether anything is unsaved (the beforeunload prompt).
 * The database writes of one case run one after another, and only the newest waiting write is
 * made, so a burst of strokes costs one write at a time.
 */
import type { CaseRepository, PendingEdit } from '../storage/index.ts';

/** The part of the repository the journal needs (a fake in tests). */
export type JournalStore = Pick<CaseRepository, 'putPendingEdit' | 'getPendingEdit' | 'deletePendingEdit' | 'listPendingEdits'>;

/** What the editor records; the journal stamps the time. */
export type EditToRecord = Omit<PendingEdit, 'editedAt' | 'error'>;

export class EditJournal {
  private readonly store: JournalStore;
  private readonly now: () => number;
  /** The newest edit of each case, until it is saved. */
  private readonly entries = new Map<string, PendingEdit>();
  /** Per case: the tail of its chain of database writes. */
  private readonly chains = new Map<string, Promise<void>>();
  /** Per case: whether a put is queued on the chain (it writes the newest entry when it runs). */
  private readonly putQueued = new Set<string>();
  private readonly listeners = new Set<() => void>();
  private lastStamp = 0;
  private persistError: string | null = null;

  constructor(store: JournalStore, now: () => number = Date.now) {
    this.store = store;
    this.now = now;
  }

  /** Reads the edits left in the database by an earlier session (a reload, a crash). */
  async load(): Promise<void> {
    for (const edit of await this.store.listPendingEdits()) {
      if (!this.entries.has(edit.caseId)) this.entries.set(edit.caseId, edit);
    }
    this.notify();
  }

  /** Records an edit: in memory at once, in the database right after. Returns its stamp. */
  record(edit: EditToRecord): number {
    // Strictly increasing, so "saved up to this edit" never matches a newer one.
    const editedAt = Math.max(this.now(), this.lastStamp + 1);
    this.lastStamp = editedAt;
    this.entries.set(edit.caseId, { ...edit, editedAt });
    this.queuePut(edit.caseId);
    this.notify();
    return editedAt;
  }

  /**
   * The version with the edit stamped `editedAt` is saved as `draftVersionId`: forget the edit
   * unless a newer one came meanwhile (that one now builds on the saved draft).
   */
  async saved(caseId: string, editedAt: number, draftVersionId: string | null, baseVersionId: string | null): Promise<void> {
    const entry = this.entries.get(caseId);
    if (entry && entry.editedAt > editedAt) {
      this.entries.set(caseId, { ...entry, draftVersionId, baseVersionId });
      this.queuePut(caseId);
      this.notify();
      return;
    }
    this.entries.delete(caseId);
    this.notify();
    await this.enqueue(caseId, () => this.store.deletePendingEdit(caseId, editedAt));
  }

  /** A save failed: the edit stays, with the reason, until a save succeeds. */
  failed(caseId: string, message: string): void {
    const entry = this.entries.get(caseId);
    if (!entry || entry.error === message) return;
    this.entries.set(caseId, { ...entry, error: message });
    this.queuePut(caseId);
    this.notify();
  }

  /** The user kept the edit elsewhere (in the history) or it belongs to a deleted case: forget it. */
  async discard(caseId: string): Promise<void> {
    this.entries.delete(caseId);
    this.notify();
    await this.enqueue(caseId, () => this.store.deletePendingEdit(caseId));
  }

  /** The unsaved edit of a case: this session's, else one left in the database. */
  async get(caseId: string): Promise<PendingEdit | undefined> {
    return this.entries.get(caseId) ?? (await this.store.getPendingEdit(caseId));
  }

  /** The newest edit of a case recorded in this session, if unsaved. */
  current(caseId: string): PendingEdit | undefined {
    return this.entries.get(caseId);
  }

  /** Every unsaved edit, oldest first. */
  get unsaved(): PendingEdit[] {
    return [...this.entries.values()].sort((a, b) => a.editedAt - b.editedAt);
  }

  get hasUnsaved(): boolean {
    return this.entries.size > 0;
  }

  /** Why the journal could not write to the database (quota, say), or null. */
  get storageError(): string | null {
    return this.persistError;
  }

  /** Resolves when every database write queued so far has run. */
  async settled(): Promise<void> {
    await Promise.all([...this.chains.values()]);
  }

  onChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private queuePut(caseId: string): void {
    if (this.putQueued.has(caseId)) return;
    this.putQueued.add(caseId);
    void this.enqueue(caseId, async () => {
      this.putQueued.delete(caseId);
      const entry = this.entries.get(caseId);
      if (entry) await this.store.putPendingEdit(entry);
    });
  }

  private enqueue(caseId: string, write: () => Promise<void>): Promise<void> {
    const run = async (): Promise<void> => {
      try {
        await write();
        if (this.persistError) {
          this.persistError = null;
          this.notify();
        }
      } catch (error) {
        // The edit is still in memory (and the shell prompts before leaving); say so.
        this.persistError = error instanceof Error ? error.message : String(error);
        this.notify();
      }
    };
    const next = (this.chains.get(caseId) ?? Promise.resolve()).then(run);
    this.chains.set(caseId, next);
    void next.then(() => {
      if (this.chains.get(caseId) === next) this.chains.delete(caseId);
    });
    return next;
  }

  private notify(): void {
    for (const listener of this.listeners) listener();
  }
}
