import { afterEach, describe, expect, it, vi } from 'vitest';
import { EditorDocument } from '../../editor/index.ts';
import type { EditorPointerEvent } from '../../editor/tools/tool.ts';
import { StorageError, type CaseRecord, type CaseSnapshot, type MaskVersionRecord, type NewMaskVersion } from '../../storage/types.ts';
import type { EditJournal } from '../edit-journal.ts';
import { CaseMessages } from './case-messages.svelte.ts';
import { CaseRecordState } from './case-record.svelte.ts';
import { CaseSaving, type CaseSavingOptions, type SavingRepository } from './case-saving.svelte.ts';
import { DisposableStore } from './disposable-store.ts';

const W = 8;
const H = 8;

/** An in-memory repository with IndexedDB's rules: conditional writes, the approval lock, a liveQuery per case. */
class FakeRepository implements SavingRepository {
  record: CaseRecord = { id: 'c', fileName: 'lesion.jpg', status: 'in-progress', createdAt: 0, updatedAt: 0, assignee: null, uncertainty: null, latestVersionId: null, activeModel: null, hasCorrection: false, width: W, height: H, pixelsPerMm: null };
  versions: MaskVersionRecord[] = [];
  observers = new Set<(snapshot: CaseSnapshot) => void>();
  writes = 0;

  async addMaskVersion(input: NewMaskVersion): Promise<MaskVersionRecord> {
    if (!input.historyOnly) this.check(input.expectedLatestVersionId, input.expectedLatestRevision);
    const { expectedLatestVersionId: _id, expectedLatestRevision: _revision, historyOnly, ...fields } = input;
    const version: MaskVersionRecord = { ...fields, id: `v${this.versions.length + 1}`, createdAt: 1_000 + this.versions.length, parentVersionId: input.parentVersionId ?? null, revision: 0 };
    this.versions.push(version);
    if (!historyOnly) this.record = { ...this.record, latestVersionId: version.id, hasCorrection: this.record.hasCorrection || input.authorKind === 'person' };
    this.changed();
    return version;
  }

  async updateMaskVersion(id: string, changes: { png: Blob; area: number }): Promise<MaskVersionRecord> {
    this.check(id, undefined);
    const index = this.versions.findIndex((v) => v.id === id);
    const updated = { ...this.versions[index]!, ...changes, revision: (this.versions[index]!.revision ?? 0) + 1 };
    this.versions[index] = updated;
    this.changed();
    return updated;
  }

  private check(expectedId: string | null | undefined, expectedRevision: number | undefined): void {
    if (this.record.status === 'approved') throw new StorageError('approved', 'The case is approved.', null);
    const latest = this.versions.find((v) => v.id === this.record.latestVersionId) ?? null;
    if (expectedId !== undefined && (expectedId !== this.record.latestVersionId || (expectedRevision !== undefined && expectedRevision !== (latest?.revision ?? 0)))) {
      throw new StorageError('conflict', 'Someone saved a newer version.', latest);
    }
  }

  async getCase(): Promise<CaseRecord> {
    return this.record;
  }
  async getVersion(id: string): Promise<MaskVersionRecord | undefined> {
    return this.versions.find((v) => v.id === id);
  }
  async listVersions(): Promise<MaskVersionRecord[]> {
    return [...this.versions];
  }
  async setStatus(_caseId: string, to: CaseRecord['status']): Promise<CaseRecord> {
    this.record = { ...this.record, status: to };
    this.changed();
    return this.record;
  }

  observeCase() {
    return {
      subscribe: ({ next }: { next: (snapshot: CaseSnapshot) => void }) => {
        this.observers.add(next);
        queueMicrotask(() => next(this.snapshot()));
        return { unsubscribe: () => this.observers.delete(next) };
      },
    };
  }

  /** Another window saves `mask` as the latest version (a person's). */
  async saveElsewhere(mask: Uint8Array, author = 'Bo'): Promise<MaskVersionRecord> {
    return this.addMaskVersion({ caseId: 'c', png: new Blob([mask.slice().buffer]), authorKind: 'person', author, area: 0, parentVersionId: this.record.latestVersionId });
  }

  private snapshot(): CaseSnapshot {
    return { record: this.record, versions: [...this.versions] };
  }

  /** As liveQuery: every observer hears about the write a little later. */
  private changed(): void {
    this.writes++;
    const snapshot = this.snapshot();
    queueMicrotask(() => {
      for (const next of this.observers) next(snapshot);
    });
  }
}

async function settle(): Promise<void> {
  for (let i = 0; i < 20; i++) await new Promise((resolve) => setTimeout(resolve, 0));
}

function pointer(x: number, y: number): EditorPointerEvent {
  return { x, y, button: 0, altKey: false, shiftKey: false, ctrlKey: false, metaKey: false };
}

const open: CaseSaving[] = [];
afterEach(() => {
  for (const saving of open.splice(0)) saving.dispose();
});

async function openCase(repository = new FakeRepository(), extra: Partial<Pick<CaseSavingOptions, 'onFollowed' | 'autosave' | 'journal' | 'afterFrame'>> = {}) {
  const editor = new EditorDocument(W, H, { brushSize: 2 });
  const facts = new CaseRecordState(repository, 'c');
  facts.record = await repository.getCase();
  facts.versions = await repository.listVersions();
  const messages = new CaseMessages();
  const latest = repository.versions.find((v) => v.id === repository.record.latestVersionId) ?? null;
  if (latest) editor.loadGrayscale(new Uint8Array(await latest.png.arrayBuffer()), 1);
  const saving = new CaseSaving({
    caseId: 'c',
    annotator: 'Ana',
    repository,
    editor,
    facts,
    messages,
    base: { baseVersionId: latest?.id ?? null, baseRevision: latest?.revision ?? 0, draftVersionId: null },
    encodePng: async (_w, _h, data) => new Blob([data.slice()]),
    decodeMask: async (png) => new Uint8Array(await png.arrayBuffer()),
    afterFrame: (task) => task(),
    autosave: { delayMs: 0, maxWaitMs: 0 },
    ...extra,
  });
  saving.follow();
  open.push(saving);
  await settle();
  return { repository, editor, facts, messages, saving };
}

describe('CaseSaving: saving and the conflict rules with another window', () => {
  it('saves a session as one person version on top of the one it started from, and its own writes are not an outside change', async () => {
    const { repository, editor, saving } = await openCase();
    editor.invert();
    await saving.flush();
    editor.clear();
    await saving.flush();
    await settle();
    expect(repository.versions.map((v) => [v.authorKind, v.author, v.revision])).toEqual([['person', 'Ana', 1]]);
    expect(saving.draftVersionId).toBe('v1');
    expect(saving.refusal).toBeNull();
    expect(saving.saveState).toBe('saved');
  });

  it('journals and saves the exact lesion area without counting the whole mask again per edit', async () => {
    const recorded: number[] = [];
    const journal = { record: vi.fn((edit: { area: number }) => recorded.push(edit.area)), recordDelta: vi.fn(() => 1), saved: vi.fn(async () => {}), failed: vi.fn(), discard: vi.fn(async () => {}) };
    const { repository, editor, saving } = await openCase(new FakeRepository(), { journal: journal as unknown as EditJournal });
    // A full count per edit is what made a 6000x4000 click slow; the journal's runs know the area.
    const count = vi.spyOn(editor.raster, 'area');
    editor.pointerDown(pointer(1, 1));
    editor.pointerUp(pointer(3, 1));
    await saving.flush();
    editor.invert();
    await saving.flush();
    editor.undo();
    await saving.flush();
    expect(count).not.toHaveBeenCalled();
    count.mockRestore();
    const saved = repository.versions.at(-1)!;
    expect(editor.raster.area()).toBeGreaterThan(0);
    expect(saved.area).toBe(editor.raster.area());
    expect(recorded.at(-1)).toBe(editor.raster.area());
    expect(recorded.length).toBeGreaterThanOrEqual(3);
  });

  it("follows another window's version when nothing here is unsaved", async () => {
    const followed = vi.fn();
    const { repository, editor, messages, saving } = await openCase(new FakeRepository(), { onFollowed: followed });
    const theirs = new Uint8Array(W * H).fill(1);
    await repository.saveElsewhere(theirs);
    await settle();
    expect(editor.raster.area()).toBe(W * H);
    expect(followed).toHaveBeenCalledWith(expect.objectContaining({ id: 'v1', author: 'Bo' }));
    expect(messages.notice).toMatch(/^Updated to the version Bo saved at /);
    // Editing afterwards builds on theirs: no conflict.
    editor.clear();
    await saving.flush();
    expect(repository.versions.at(-1)).toMatchObject({ author: 'Ana', parentVersionId: 'v1' });
    expect(repository.record.latestVersionId).toBe('v2');
  });

  it('stops saving when another window saved during an unsaved edit; "put mine on top" saves it over theirs', async () => {
    // A slow autosave: the edit is still unsaved when the database says another window saved.
    const { repository, editor, saving } = await openCase(new FakeRepository(), { autosave: { delayMs: 60_000, maxWaitMs: 60_000 } });
    editor.invert();
    const theirs = new Uint8Array(W * H);
    theirs[0] = 1;
    await repository.saveElsewhere(theirs);
    await settle();
    expect(saving.refusal).toMatchObject({ code: 'conflict', message: expect.stringMatching(/^Bo saved a newer version at .* while you were editing; your change is not saved yet\.$/) });
    expect(saving.saveState).toBe('blocked');
    // Nothing is written, nothing followed: the user chooses.
    await expect(saving.flush()).rejects.toThrow(/Bo saved a newer version/);
    expect(editor.raster.area()).toBe(W * H);
    expect(repository.versions.map((v) => v.author)).toEqual(['Bo']);
    await saving.keepMine();
    await saving.flush();
    expect(saving.refusal).toBeNull();
    expect(repository.versions.map((v) => [v.author, v.parentVersionId])).toEqual([
      ['Bo', null],
      ['Ana', 'v1'],
    ]);
    expect(repository.record.latestVersionId).toBe('v2');
  });

  it('"keep theirs" puts my change in the history and shows theirs', async () => {
    const { repository, editor, messages, saving } = await openCase();
    // Their save lands first; my edit was made on the mask before it.
    const theirs = new Uint8Array(W * H);
    theirs[0] = 1;
    await repository.saveElsewhere(theirs);
    editor.invert();
    await saving.flush().catch(() => {});
    await settle();
    expect(saving.refusal?.code).toBe('conflict');
    await saving.keepTheirs();
    await settle();
    expect(saving.refusal).toBeNull();
    expect(saving.hasUnsavedChanges).toBe(false);
    expect(editor.raster.area()).toBe(1);
    expect(repository.record.latestVersionId).toBe('v1');
    expect(repository.versions[1]).toMatchObject({ author: 'Ana', parentVersionId: null });
    expect(messages.notice).toBe('Your change was kept in the history; the latest version is shown.');
  });

  it('an approval during an unsaved edit stops saving; "reopen and save" reopens the case and saves', async () => {
    const { repository, editor, facts, saving } = await openCase(new FakeRepository(), { autosave: { delayMs: 60_000, maxWaitMs: 60_000 } });
    editor.invert();
    await repository.setStatus('c', 'approved');
    await settle();
    // Decided from the database's snapshot, before any save is tried.
    expect(saving.refusal).toMatchObject({ code: 'approved', message: 'lesion.jpg was approved (in another window?) while you were editing; your change is not saved yet.' });
    expect(facts.locked).toBe(true);
    expect(repository.versions).toHaveLength(0);
    await saving.keepMine();
    await saving.flush();
    expect(repository.record.status).toBe('in-progress');
    expect(repository.versions.map((v) => v.author)).toEqual(['Ana']);
    expect(editor.readOnly).toBe(false);
  });

  it('an approved case is read-only until reopened', async () => {
    const repository = new FakeRepository();
    repository.record.status = 'approved';
    const { editor, messages, saving } = await openCase(repository);
    expect(editor.invert()).toBeNull();
    expect(messages.problem).toBe('lesion.jpg is approved, so its mask is locked. Reopen it to edit.');
    await saving.reopen();
    expect(messages.problem).toBeNull();
    expect(repository.record.status).toBe('in-progress');
    expect(editor.invert()).not.toBeNull();
  });

  it("waits for a stroke in progress before following another window's version; the committed stroke is a conflict", async () => {
    const { repository, editor, saving } = await openCase();
    editor.pointerDown(pointer(1, 1));
    await repository.saveElsewhere(new Uint8Array(W * H).fill(1));
    await settle();
    // Not followed mid-stroke: the half-drawn stroke is still there.
    expect(editor.raster.area()).toBeLessThan(W * H);
    expect(saving.refusal).toBeNull();
    editor.pointerUp(pointer(3, 1));
    await settle();
    expect(saving.refusal?.code).toBe('conflict');
  });

  it('dispose() stops following the database and saves what is unsaved', async () => {
    const { repository, editor, saving } = await openCase();
    editor.invert();
    saving.dispose();
    open.length = 0;
    await settle();
    expect(repository.observers.size).toBe(0);
    expect(repository.versions.map((v) => v.author)).toEqual(['Ana']);
  });
});

describe('DisposableStore', () => {
  it('releases everything once, newest first, and at once what is added after', () => {
    const order: string[] = [];
    const store = new DisposableStore();
    store.add(() => order.push('timer'));
    store.add({ unsubscribe: () => order.push('subscription') });
    store.add({ dispose: () => order.push('worker') });
    store.dispose();
    store.dispose();
    store.add(() => order.push('late'));
    expect(order).toEqual(['worker', 'subscription', 'timer', 'late']);
  });
});
