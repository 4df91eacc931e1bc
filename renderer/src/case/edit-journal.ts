/**
 * The edit journal: every committed stroke, kept until a mask version with it is saved.
 *
 * Saving a version means PNG-encoding the whole mask (most of a second at 12 MP), so a tab
 * closed or reloaded right after a stroke would lose it. The journal keeps two records:
 * - a delta per commit, undo or redo (the pixels it changed, with their values after it; a
 *   few hundred bytes for a stroke), written to the database in the same task as the edit,
 *   before anything is encoded or drawn: a page closed any moment after the pointer-up keeps it;
 * - a snapshot of the whole mask in run-length form (tens of kilobytes, ~20 ms to encode at
 *   24 MP), written after the frame that shows the edit and before each save; recovery replays
 *   only the deltas after it.
 * Both live in memory too, so:
 * - a reload or a closed window recovers the stroke when the case is opened again;
 * - a failed save (quota, a refusal the user must decide) keeps the edit, with its error, across
 *   case switches, and the shell lists it until it is saved;
 * - the shell knows whether anything is unsaved (the beforeunload prompt).
 * The database writes of one case run one after another, and only the newest waiting write is
 * made, so a burst of strokes costs one write at a time.
 */
import { applyMaskDelta, decodeRunLengths } from '../editor/index.ts';
import type { CaseRepository, PendingDelta, PendingEdit } from '../storage/index.ts';

/** The part of the repository the journal needs (a fake in tests). */
export type JournalStore = Pick<
  CaseRepository,
  'putPendingEdit' | 'getPendingEdit' | 'deletePendingEdit' | 'listPendingEdits' | 'appendPendingDelta' | 'listPendingDeltas' | 'deletePendingDeltas'
>;

/** What the editor records; the journal stamps the time. */
export type EditToRecord = Omit<PendingEdit, 'editedAt' | 'error'>;

/** One edit's delta as the editor records it; the journal stamps its sequence. */
export type DeltaToRecord = Omit<PendingDelta, 'seq'>;

/** A case with a change not yet saved, for the shell's list. */
export type UnsavedEdit = Pick<PendingEdit, 'caseId' | 'editedAt' | 'error'>;

/** Where the editor continues from after a recovery: the session's versions and the newest stamp. */
export type RecoveredHead = Pick<PendingEdit, 'baseVersionId' | 'baseRevision' | 'draftVersionId' | 'editedAt' | 'error'>;

/** What to rebuild an unsaved change from: a snapshot (or the version it was drawn on) and the deltas after it. */
export interface JournalRecovery {
  readonly width: number;
  readonly height: number;
  /** The newest snapshot of the same session, or null: start from the head's version. */
  readonly snapshot: PendingEdit | null;
  /** To replay on the snapshot or the version, oldest first. */
  readonly deltas: readonly PendingDelta[];
  readonly head: RecoveredHead;
}

/** The version a record's mask was drawn on: the session's draft once saved, else the version it started from. */
function lineage(record: Pick<PendingEdit, 'draftVersionId' | 'baseVersionId'>): string | null {
  return record.draftVersionId ?? record.baseVersionId;
}

/**
 * Chooses what rebuilds a case's unsaved change, or null when there is none. The newest record
 * (snapshot or delta) says which version the change was drawn on; records drawn on another one
 * (left from before the editor followed a newer version, or before the session's first save
 * created its draft) are already in that version or no longer apply, and are skipped.
 */
export function planRecovery(snapshot: PendingEdit | undefined, deltas: readonly PendingDelta[]): JournalRecovery | null {
  let newest: PendingDelta | undefined;
  for (const delta of deltas) if (!newest || delta.seq > newest.seq) newest = delta;
  if (!snapshot && !newest) return null;
  const headIsSnapshot = snapshot !== undefined && (!newest || snapshot.editedAt > newest.seq);
  const head = headIsSnapshot ? snapshot : newest!;
  const key = lineage(head);
  const base = snapshot && lineage(snapshot) === key ? snapshot : null;
  const replay = deltas.filter((d) => lineage(d) === key && (!base || d.seq > base.editedAt)).sort((a, b) => a.seq - b.seq);
  return {
    width: head.width,
    height: head.height,
    snapshot: base,
    deltas: replay,
    head: {
      baseVersionId: head.baseVersionId,
      ...(head.baseRevision !== undefined ? { baseRevision: head.baseRevision } : {}),
      draftVersionId: head.draftVersionId,
      editedAt: headIsSnapshot ? snapshot.editedAt : newest!.seq,
      ...(snapshot?.error ? { error: snapshot.error } : {}),
    },
  };
}

/**
 * The mask a recovery rebuilds, and how many pixels the deltas changed on top of their start
 * (0 with no snapshot: the version already holds them, nothing is unsaved). `loadVersion`
 * reads a stored version's 0/1 mask. Throws when the records do not fit `width` x `height`.
 */
export async function recoverMask(
  recovery: JournalRecovery,
  width: number,
  height: number,
  loadVersion: (versionId: string) => Promise<Uint8Array>,
): Promise<{ mask: Uint8Array; changed: number }> {
  const pixels = width * height;
  for (const record of [recovery.snapshot ?? recovery, ...recovery.deltas]) {
    if (record.width !== width || record.height !== height) throw new Error(`it is ${record.width} x ${record.height}, the image ${width} x ${height}`);
  }
  const start = lineage(recovery.snapshot ?? recovery.head);
  const mask = recovery.snapshot ? decodeRunLengths(recovery.snapshot.runs, pixels) : start ? await loadVersion(start) : new Uint8Array(pixels);
  if (mask.length !== pixels) throw new Error(`its version has ${mask.length} pixels, the image ${pixels}`);
  let changed = 0;
  for (const delta of recovery.deltas) changed += applyMaskDelta(mask, delta);
  return { mask, changed };
}

export class EditJournal {
  private readonly store: JournalStore;
  private readonly now: () => number;
  /** The newest snapshot of each case, until it is saved. */
  private readonly entries = new Map<string, PendingEdit>();
  /** Each case's deltas not yet saved, oldest first. */
  private readonly deltas = new Map<string, PendingDelta[]>();
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
    const [edits, deltas] = await Promise.all([this.store.listPendingEdits(), this.store.listPendingDeltas()]);
    for (const edit of edits) {
      if (!this.entries.has(edit.caseId)) this.entries.set(edit.caseId, edit);
      this.lastStamp = Math.max(this.lastStamp, edit.editedAt);
    }
    for (const delta of deltas.sort((a, b) => a.seq - b.seq)) {
      const list = this.deltas.get(delta.caseId) ?? [];
      if (!list.some((d) => d.seq === delta.seq)) list.push(delta);
      this.deltas.set(delta.caseId, list.sort((a, b) => a.seq - b.seq));
      this.lastStamp = Math.max(this.lastStamp, delta.seq);
    }
    this.notify();
  }

  /** Records a snapshot of the whole mask: in memory at once, in the database right after. Returns its stamp. */
  record(edit: EditToRecord): number {
    const editedAt = this.stamp();
    this.entries.set(edit.caseId, { ...edit, editedAt });
    this.queuePut(edit.caseId);
    this.notify();
    return editedAt;
  }

  /**
   * Records one edit's delta. Its database write is issued and committed before this returns
   * (CaseRepository.appendPendingDelta), so call it in the task of the edit itself. Returns its stamp.
   */
  recordDelta(delta: DeltaToRecord): number {
    const row: PendingDelta = { ...delta, seq: this.stamp() };
    this.deltas.set(delta.caseId, [...(this.deltas.get(delta.caseId) ?? []), row]);
    this.append(row);
    this.notify();
    return row.seq;
  }

  /**
   * The version with the edit stamped `editedAt` is saved as `draftVersionId`: forget the edit
   * unless a newer one came meanwhile (that one now builds on the saved draft).
   */
  async saved(caseId: string, editedAt: number, draftVersionId: string | null, baseVersionId: string | null): Promise<void> {
    const entry = this.entries.get(caseId);
    const deltas = this.deltas.get(caseId) ?? [];
    const newerDeltas = deltas.filter((d) => d.seq > editedAt);
    if ((entry && entry.editedAt > editedAt) || newerDeltas.length > 0) {
      // Made while the save ran: they now build on the saved draft. Older records stay until
      // a save holds everything (recovery skips those drawn on another version).
      if (entry && entry.editedAt > editedAt) {
        this.entries.set(caseId, { ...entry, draftVersionId, baseVersionId });
        this.queuePut(caseId);
      }
      const moved = newerDeltas.map((d) => ({ ...d, draftVersionId, baseVersionId }));
      this.deltas.set(caseId, [...deltas.filter((d) => d.seq <= editedAt), ...moved]);
      for (const delta of moved) this.append(delta);
      this.notify();
      return;
    }
    this.entries.delete(caseId);
    this.deltas.delete(caseId);
    this.notify();
    await Promise.all([
      this.enqueue(caseId, () => this.store.deletePendingEdit(caseId, editedAt)),
      this.enqueue(caseId, () => this.store.deletePendingDeltas(caseId, editedAt)),
    ]);
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
    // Up to now only: a delta recorded after this call is a new change.
    const through = this.lastStamp;
    this.entries.delete(caseId);
    this.deltas.delete(caseId);
    this.notify();
    await Promise.all([
      this.enqueue(caseId, () => this.store.deletePendingEdit(caseId, through)),
      this.enqueue(caseId, () => this.store.deletePendingDeltas(caseId, through)),
    ]);
  }

  /** What rebuilds the unsaved change of a case (this session's, else one left in the database), or null. */
  async recover(caseId: string): Promise<JournalRecovery | null> {
    if (this.entries.has(caseId) || this.deltas.has(caseId)) return planRecovery(this.entries.get(caseId), this.deltas.get(caseId) ?? []);
    const [snapshot, deltas] = await Promise.all([this.store.getPendingEdit(caseId), this.store.listPendingDeltas(caseId)]);
    return planRecovery(snapshot, deltas);
  }

  /** The newest edit of a case recorded in this session, if unsaved. */
  current(caseId: string): PendingEdit | undefined {
    return this.entries.get(caseId);
  }

  /** Every case with an unsaved change, oldest first. */
  get unsaved(): UnsavedEdit[] {
    const edits = new Map<string, UnsavedEdit>();
    for (const [caseId, deltas] of this.deltas) if (deltas.length > 0) edits.set(caseId, { caseId, editedAt: deltas.at(-1)!.seq });
    for (const [caseId, entry] of this.entries) {
      const editedAt = Math.max(entry.editedAt, edits.get(caseId)?.editedAt ?? 0);
      edits.set(caseId, { caseId, editedAt, ...(entry.error ? { error: entry.error } : {}) });
    }
    return [...edits.values()].sort((a, b) => a.editedAt - b.editedAt);
  }

  get hasUnsaved(): boolean {
    return this.entries.size > 0 || this.deltas.size > 0;
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

  /** Strictly increasing, so "saved up to this edit" never matches a newer one. */
  private stamp(): number {
    this.lastStamp = Math.max(this.now(), this.lastStamp + 1);
    return this.lastStamp;
  }

  /** Writes a delta now, outside the per-case chain: waiting for an earlier write would miss a closing page. */
  private append(delta: PendingDelta): void {
    this.store.appendPendingDelta(delta).then(
      () => this.storageWorked(),
      (error: unknown) => this.storageFailed(error),
    );
  }

  private storageWorked(): void {
    if (this.persistError) {
      this.persistError = null;
      this.notify();
    }
  }

  private storageFailed(error: unknown): void {
    // The edit is still in memory (and the shell prompts before leaving); say so.
    this.persistError = error instanceof Error ? error.message : String(error);
    this.notify();
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
        this.storageWorked();
      } catch (error) {
        this.storageFailed(error);
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
