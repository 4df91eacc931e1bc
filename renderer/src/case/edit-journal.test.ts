import { describe, expect, it } from 'vitest';
import type { PendingDelta, PendingEdit } from '../storage/index.ts';
import { EditJournal, planRecovery, recoverMask, type DeltaToRecord, type JournalStore } from './edit-journal.ts';

/** In-memory pending-edit and delta tables with the repository's rules; `fail` makes writes throw. */
function fakeStore(initial: PendingEdit[] = [], initialDeltas: PendingDelta[] = []) {
  const rows = new Map(initial.map((row) => [row.caseId, row]));
  const deltas = new Map(initialDeltas.map((row) => [`${row.caseId} ${row.seq}`, row]));
  const log: string[] = [];
  let fail: string | null = null;
  const store: JournalStore = {
    appendPendingDelta(delta) {
      // Like the repository: the write is issued before this returns, not in a later microtask.
      if (fail) return Promise.reject(new Error(fail));
      log.push(`append ${delta.caseId} ${delta.seq}`);
      deltas.set(`${delta.caseId} ${delta.seq}`, structuredClone(delta));
      return Promise.resolve();
    },
    async listPendingDeltas(caseId) {
      return [...deltas.values()].filter((d) => caseId === undefined || d.caseId === caseId).sort((a, b) => a.seq - b.seq);
    },
    async deletePendingDeltas(caseId, throughSeq) {
      if (fail) throw new Error(fail);
      for (const [key, d] of deltas) if (d.caseId === caseId && d.seq <= throughSeq) deltas.delete(key);
    },
    async putPendingEdit(edit) {
      if (fail) throw new Error(fail);
      log.push(`put ${edit.caseId} ${edit.area}`);
      rows.set(edit.caseId, structuredClone(edit));
    },
    async getPendingEdit(caseId) {
      return rows.get(caseId);
    },
    async deletePendingEdit(caseId, editedAt = Infinity) {
      if (fail) throw new Error(fail);
      const row = rows.get(caseId);
      if (row && row.editedAt <= editedAt) {
        rows.delete(caseId);
        log.push(`delete ${caseId}`);
      }
    },
    async listPendingEdits() {
      return [...rows.values()];
    },
  };
  return { store, rows, deltas, log, setFail: (message: string | null) => (fail = message) };
}

/** A delta of a 4 x 1 mask drawn on `draft ?? base`. */
function delta(caseId: string, set: number[], cleared: number[] = [], base: string | null = 'base', draft: string | null = null): DeltaToRecord {
  return { caseId, width: 4, height: 1, author: 'Ana', baseVersionId: base, draftVersionId: draft, set: new Uint32Array(set), cleared: new Uint32Array(cleared) };
}

/** Stored versions of a 4 x 1 mask for recoverMask. */
const versions: Record<string, number[]> = { base: [0, 0, 0, 0], 'draft-1': [1, 1, 0, 0], theirs: [0, 0, 0, 1] };
const loadVersion = async (id: string): Promise<Uint8Array> => new Uint8Array(versions[id]!);

function edit(caseId: string, area: number): Omit<PendingEdit, 'editedAt' | 'error'> {
  return { caseId, width: 2, height: 2, runs: new Uint32Array([4 - area, area]), area, author: 'Ana', baseVersionId: 'base', draftVersionId: null };
}

describe('EditJournal', () => {
  it('writes a recorded edit to the database at once, and only the newest of a burst while one write runs', async () => {
    const { store, rows, log } = fakeStore();
    let clock = 1000;
    const journal = new EditJournal(store, () => clock);
    journal.record(edit('a', 1));
    journal.record(edit('a', 2));
    journal.record(edit('a', 3));
    expect(journal.hasUnsaved).toBe(true);
    await journal.settled();
    // The put queued by the first record runs after the burst and writes the newest entry.
    expect(log).toEqual(['put a 3']);
    expect(rows.get('a')?.area).toBe(3);
    clock = 1000; // the clock does not move: stamps still increase
    expect(journal.record(edit('b', 1))).toBeGreaterThan(rows.get('a')!.editedAt);
  });

  it('forgets an edit once saved, but keeps a newer one made during the save, on top of the saved draft', async () => {
    const { store, rows } = fakeStore();
    const journal = new EditJournal(store);
    const first = journal.record(edit('a', 1));
    const second = journal.record(edit('a', 2));
    await journal.saved('a', first, 'draft-1', 'base');
    expect(journal.current('a')).toMatchObject({ area: 2, draftVersionId: 'draft-1', editedAt: second });
    await journal.settled();
    expect(rows.get('a')).toMatchObject({ area: 2, draftVersionId: 'draft-1' });
    await journal.saved('a', second, 'draft-1', 'base');
    expect(journal.hasUnsaved).toBe(false);
    expect(rows.has('a')).toBe(false);
  });

  it('keeps a failed save with its reason, and says when the database cannot take the edit either', async () => {
    const { store, rows, setFail } = fakeStore();
    const journal = new EditJournal(store);
    let changes = 0;
    journal.onChange(() => changes++);
    journal.record(edit('a', 1));
    journal.failed('a', 'QuotaExceededError');
    await journal.settled();
    expect(rows.get('a')?.error).toBe('QuotaExceededError');
    setFail('QuotaExceededError');
    journal.record(edit('a', 2));
    await journal.settled();
    expect(journal.storageError).toBe('QuotaExceededError');
    expect(journal.current('a')?.area).toBe(2);
    expect(changes).toBeGreaterThan(2);
  });

  it('finds edits left by an earlier session and can discard one', async () => {
    const left: PendingEdit = { ...edit('old', 2), editedAt: 5 };
    const { store, rows } = fakeStore([left]);
    const journal = new EditJournal(store);
    expect((await journal.recover('old'))?.snapshot).toMatchObject({ area: 2 });
    expect(journal.unsaved).toHaveLength(0);
    await journal.load();
    expect(journal.unsaved.map((e) => e.caseId)).toEqual(['old']);
    await journal.discard('old');
    expect(rows.size).toBe(0);
    expect(journal.hasUnsaved).toBe(false);
  });

  it('writes a delta in the call that records it, and a closed page recovers the stroke from the version it was drawn on', async () => {
    const { store, log } = fakeStore();
    const journal = new EditJournal(store);
    journal.recordDelta(delta('a', [0, 2]));
    // No await: the write was issued before recordDelta returned.
    expect(log).toEqual([expect.stringMatching(/^append a \d+$/)]);
    const stamp = journal.recordDelta(delta('a', [3, 1], [0, 1]));
    // A new session finds them in the database.
    const next = new EditJournal(store);
    await next.load();
    expect(next.unsaved).toEqual([{ caseId: 'a', editedAt: stamp }]);
    const recovery = (await next.recover('a'))!;
    expect(recovery.snapshot).toBeNull();
    expect(recovery.head).toMatchObject({ baseVersionId: 'base', draftVersionId: null, editedAt: stamp });
    const { mask, changed } = await recoverMask(recovery, 4, 1, loadVersion);
    expect([...mask]).toEqual([0, 1, 0, 1]);
    expect(changed).toBe(4);
    // Later stamps never go below what the database held.
    expect(next.recordDelta(delta('a', [0, 1]))).toBeGreaterThan(stamp);
  });

  it('replays only the deltas after the newest snapshot, on that snapshot', async () => {
    const { store } = fakeStore();
    const journal = new EditJournal(store);
    journal.recordDelta(delta('a', [0, 1]));
    journal.record({ ...edit('a', 1), width: 4, height: 1, runs: new Uint32Array([0, 1, 3]) });
    journal.recordDelta(delta('a', [2, 1]));
    await journal.settled();
    const next = new EditJournal(store);
    await next.load();
    const recovery = (await next.recover('a'))!;
    expect(recovery.snapshot).not.toBeNull();
    expect(recovery.deltas).toHaveLength(1);
    expect([...(await recoverMask(recovery, 4, 1, loadVersion)).mask]).toEqual([1, 0, 1, 0]);
  });

  it('a save removes the deltas it holds; one drawn during the first save moves onto the new draft', async () => {
    const { store, deltas } = fakeStore();
    const journal = new EditJournal(store);
    journal.recordDelta(delta('a', [0, 2]));
    const saveStamp = journal.record({ ...edit('a', 2), width: 4, height: 1, runs: new Uint32Array([0, 2, 2]) });
    // A stroke while the PNG of the first save is encoded: drawn on no draft yet.
    journal.recordDelta(delta('a', [3, 1]));
    await journal.saved('a', saveStamp, 'draft-1', 'base');
    await journal.settled();
    const recovery = planRecovery(undefined, [...deltas.values()])!;
    // The draft holds the first stroke; the second is replayed on it, and the next save updates that draft.
    expect(recovery.head).toMatchObject({ draftVersionId: 'draft-1', baseVersionId: 'base' });
    expect(recovery.deltas).toHaveLength(1);
    expect([...(await recoverMask(recovery, 4, 1, loadVersion)).mask]).toEqual([1, 1, 0, 1]);
    // Saving everything empties the journal.
    const last = journal.record({ ...edit('a', 3), width: 4, height: 1, runs: new Uint32Array([0, 2, 1, 1]) });
    await journal.saved('a', last, 'draft-1', 'base');
    expect(deltas.size).toBe(0);
    expect(journal.hasUnsaved).toBe(false);
    expect(await journal.recover('a')).toBeNull();
  });

  it('skips records drawn on a version the editor has since left', () => {
    const old = { ...delta('a', [0, 4]), seq: 1 };
    const onTheirs = { ...delta('a', [1, 1], [], 'theirs'), seq: 2 };
    const recovery = planRecovery(undefined, [old, onTheirs])!;
    expect(recovery.deltas).toEqual([onTheirs]);
    expect(recovery.head.baseVersionId).toBe('theirs');
  });

  it('says when a delta cannot be written', async () => {
    const { store, setFail } = fakeStore();
    const journal = new EditJournal(store);
    setFail('QuotaExceededError');
    journal.recordDelta(delta('a', [0, 1]));
    await Promise.resolve();
    await Promise.resolve();
    expect(journal.storageError).toBe('QuotaExceededError');
    expect(journal.hasUnsaved).toBe(true);
  });
});
