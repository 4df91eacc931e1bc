import { describe, expect, it } from 'vitest';
import { canTransition, type CaseRecord, type CaseStatus, type MaskVersionRecord, type NewMaskVersion, type StatusChangeRecord } from '../storage/index.ts';
import { exportSummary, restoreQuestion } from './export-actions.ts';
import { modelKey } from './model-key.ts';
import { approveCase, flagCase, noLesionComment, restoreVersion, versionAuthorLabel, type ReviewStore } from './review-actions.ts';
import { historyTimeline } from './timeline.ts';

/** An in-memory store with the storage module's workflow rules (canTransition). */
function memoryStore(status: CaseStatus, area: number | null) {
  const record: CaseRecord = {
    id: 'case-1',
    fileName: 'ISIC_0000001.jpg',
    status,
    createdAt: 1,
    updatedAt: 1,
    assignee: null,
    uncertainty: 0.3,
    latestVersionId: area === null ? null : 'v1',
    activeModel: 'SCSONet@1.0.0',
    hasCorrection: false,
    width: 4,
    height: 4,
    pixelsPerMm: null,
  };
  const versions = new Map<string, MaskVersionRecord>();
  if (area !== null) {
    versions.set('v1', { id: 'v1', caseId: 'case-1', png: new Blob(['png']), authorKind: 'model', author: 'SCSONet@1.0.0', createdAt: 10, area, parentVersionId: null });
  }
  const moves: { to: CaseStatus; comment: string; author: string }[] = [];
  const added: NewMaskVersion[] = [];
  const store: ReviewStore = {
    async getCase(id) {
      return id === record.id ? { ...record } : undefined;
    },
    async getVersion(id) {
      return versions.get(id);
    },
    async setStatus(_id, to, options = {}) {
      if (!canTransition(record.status, to)) throw new Error(`refused ${record.status} -> ${to}`);
      moves.push({ to, comment: options.comment ?? '', author: options.author ?? '' });
      record.status = to;
      return { ...record };
    },
    async addMaskVersion(input) {
      added.push(input);
      const version: MaskVersionRecord = { id: `v${versions.size + 1}`, createdAt: 20, parentVersionId: null, ...input } as MaskVersionRecord;
      versions.set(version.id, version);
      record.latestVersionId = version.id;
      return version;
    },
  };
  return { store, record, moves, added };
}

describe('approveCase', () => {
  it('approves a prediction as it is, passing through in progress', async () => {
    const { store, moves } = memoryStore('predicted', 120);
    const outcome = await approveCase(store, 'case-1', 'Dr Lee');
    expect(outcome.kind).toBe('approved');
    expect(moves.map((m) => m.to)).toEqual(['in-progress', 'approved']);
    expect(moves.every((m) => m.author === 'Dr Lee')).toBe(true);
  });

  it('asks for an explicit "no lesion" before approving an empty mask', async () => {
    const { store, moves } = memoryStore('in-progress', 0);
    expect(await approveCase(store, 'case-1', 'Dr Lee')).toEqual({ kind: 'needs-no-lesion-confirmation' });
    expect(moves).toEqual([]);
    const outcome = await approveCase(store, 'case-1', 'Dr Lee', { confirmedNoLesion: true });
    expect(outcome.kind).toBe('approved');
    expect(moves).toEqual([{ to: 'approved', comment: noLesionComment, author: 'Dr Lee' }]);
  });

  it('reopens a flagged case to approve it', async () => {
    const { store, moves } = memoryStore('flagged', 40);
    expect((await approveCase(store, 'case-1', 'Dr Kim')).kind).toBe('approved');
    expect(moves.map((m) => `${m.to}:${m.comment}`)).toEqual(['in-progress:reopened to approve', 'approved:']);
  });

  it('refuses a case without a mask or one approved already', async () => {
    await expect(approveCase(memoryStore('new', null).store, 'case-1', 'A')).rejects.toThrow(/no mask to approve/);
    await expect(approveCase(memoryStore('approved', 5).store, 'case-1', 'A')).rejects.toThrow(/approved already/);
    await expect(approveCase(memoryStore('new', 5).store, 'missing', 'A')).rejects.toThrow(/no longer in the library/);
  });
});

describe('flagCase', () => {
  it('needs a comment', async () => {
    const { store, moves } = memoryStore('predicted', 50);
    await expect(flagCase(store, 'case-1', 'A', '   ')).rejects.toThrow(/needs a comment/);
    expect(moves).toEqual([]);
  });

  it('flags from predicted and reopens an approved case to flag it', async () => {
    const predicted = memoryStore('predicted', 50);
    await flagCase(predicted.store, 'case-1', 'A', 'border unclear');
    expect(predicted.moves.map((m) => m.to)).toEqual(['in-progress', 'flagged']);
    expect(predicted.moves[1]!.comment).toBe('border unclear');
    const approved = memoryStore('approved', 50);
    await flagCase(approved.store, 'case-1', 'A', 'second lesion');
    expect(approved.moves.map((m) => m.to)).toEqual(['in-progress', 'flagged']);
  });
});

describe('restoreVersion', () => {
  it('creates a new person version whose parent is the restored one', async () => {
    const { store, added, record } = memoryStore('in-progress', 77);
    const restored = await restoreVersion(store, 'v1', 'Dr Lee');
    expect(added).toEqual([{ caseId: 'case-1', png: expect.any(Blob), authorKind: 'person', author: 'Dr Lee', area: 77, parentVersionId: 'v1' }]);
    expect(restored.id).not.toBe('v1');
    expect(record.latestVersionId).toBe(restored.id);
    await expect(restoreVersion(store, 'nope', 'A')).rejects.toThrow(/no longer in the library/);
  });
});

describe('history timeline', () => {
  it('orders versions and status moves by time and names what a version came from', () => {
    const model: MaskVersionRecord = { id: 'm', caseId: 'c', png: new Blob(), authorKind: 'model', author: 'SCSONet@1.0.0', createdAt: 100, area: 5, parentVersionId: null };
    const person: MaskVersionRecord = { ...model, id: 'p', authorKind: 'person', author: 'Dr Lee', createdAt: 300, parentVersionId: 'm' };
    const change: StatusChangeRecord = { id: 1, caseId: 'c', from: 'new', to: 'predicted', comment: 'prediction saved', author: 'SCSONet@1.0.0', at: 100 };
    const entries = historyTimeline([person, model], [change]);
    expect(entries.map((e) => e.key)).toEqual(['v:m', 's:1:100', 'v:p']);
    const last = entries[2]!;
    expect(last.kind === 'version' && last.basedOn).toMatch(/^model SCSONet@1\.0\.0, /);
    expect(versionAuthorLabel(person)).toBe('Dr Lee');
    // A prediction stored with the ground truth as its parent (libraries before schema 5) is not
    // shown as made "from ground truth": a model predicts from the image.
    const truth: MaskVersionRecord = { ...model, id: 'g', authorKind: 'ground-truth', author: 'ground truth (imported file)', createdAt: 50 };
    const predicted: MaskVersionRecord = { ...model, id: 'm2', createdAt: 400, parentVersionId: 'g' };
    const withTruth = historyTimeline([truth, predicted], []);
    expect(withTruth.map((e) => e.kind === 'version' && e.basedOn)).toEqual([null, null]);
    expect(modelKey({ name: 'SCSONet', version: '1.0.0' })).toBe('SCSONet@1.0.0');
  });
});

describe('exportSummary', () => {
  it('counts exported cases and names a skipped one', () => {
    const file = { blob: new Blob(), fileName: 'x.zip', report: { exported: 2, skipped: [{ caseId: 'a', fileName: 'a.jpg', reason: 'the case has no mask yet' }] } };
    expect(exportSummary('isic', file)).toBe('Exported 2 cases to x.zip. Skipped 1: a.jpg (the case has no mask yet).');
    expect(exportSummary('backup', { ...file, report: null })).toBe('Saved x.zip.');
  });
});

describe('restoreQuestion', () => {
  const summary = { fileName: 'b.zip', createdAt: new Date('2026-11-30T10:00:00Z'), cases: 18, maskVersions: 40, authors: ['Dr. Ada'] };

  it('names what is replaced and who stays the annotator', () => {
    expect(restoreQuestion(summary, 1, 'Dr. Ben')).toBe(
      "The library holds 1 case. Restoring b.zip (made 2026-11-30) replaces all of them, with their masks and history, and the settings, by the backup's 18 cases and 40 mask versions. " +
        'Your name, Dr. Ben, stays the annotator on this computer; its versions keep their authors (Dr. Ada).',
    );
  });

  it('says that a name is asked for when this computer has none', () => {
    expect(restoreQuestion({ ...summary, createdAt: null, authors: [] }, 5, null)).toMatch(/b\.zip replaces .* No annotator name is set on this computer: you are asked for one after the restore\.$/);
  });
});
