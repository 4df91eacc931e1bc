import { describe, expect, it } from 'vitest';
import type { PendingEdit } from '../storage/index.ts';
import { EditJournal, type JournalStore } from './edit-journal.ts';

/** An in-memory pending-edit table with the repository's rules; `fail` makes writes throw. */
function fakeStore(initial: PendingEdit[] = []) {
  const rows = new Map(initial.map((row) => [row.caseId, row]));
  const log: string[] = [];
  let fail: string | null = null;
  const store: JournalStore = {
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
  return { store, rows, log, setFail: (message: string | null) => (fail = message) };
}

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
    expect(await journal.get('old')).toMatchObject({ area: 2 });
    expect(journal.unsaved).toHaveLength(0);
    await journal.load();
    expect(journal.unsaved.map((e) => e.caseId)).toEqual(['old']);
    await journal.discard('old');
    expect(rows.size).toBe(0);
    expect(journal.hasUnsaved).toBe(false);
  });
});
