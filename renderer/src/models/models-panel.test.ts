import { describe, expect, it } from 'vitest';
import type { ApiEvent, ModelEvidence, ModelVersion, ModelVersionList } from '../../../preload/api.ts';
import { evidenceSummary } from './evidence-view.ts';
import { ModelsPanelState, type ModelsApi } from './models-panel.svelte.ts';

function version(id: string, active = false): ModelVersion {
  return { id, active, kind: id.endsWith('1.0.0') ? 'shipped' : 'fine-tuned', status: 'ok' } as ModelVersion;
}

function listOf(active: string, ...ids: string[]): ModelVersionList {
  return { active, previous: null, versions: ids.map((id) => version(id, id === active)), unknown: [], problem: null } as unknown as ModelVersionList;
}

/** Main's model store as the panel sees it, counting reads. */
function setup() {
  const listeners = new Set<(event: ApiEvent) => void>();
  const calls = { listModelVersions: 0, getModelEvidence: 0 };
  let list = listOf('m@1.0.0', 'm@1.0.0', 'm@1.1.0');
  const api: ModelsApi = {
    listModelVersions: async () => {
      calls.listModelVersions++;
      return list;
    },
    activateModelVersion: async ({ id }) => (list = listOf(id, 'm@1.0.0', 'm@1.1.0')),
    rollbackModel: async () => {
      throw new Error('No earlier active version to return to.');
    },
    deleteModelVersion: async ({ id }) => (list = listOf(list.active!, ...list.versions.map((v) => v.id).filter((v) => v !== id))),
    getModelEvidence: async () => {
      calls.getModelEvidence++;
      return { rows: [{ id: 'r1', caseId: 'c1', baseDice: 0.8, candidateDice: 0.9 }], missing: null } as unknown as ModelEvidence;
    },
  };
  const changes: (string | null)[] = [];
  const panel = new ModelsPanelState({
    api,
    events: {
      onEvent: (listener) => {
        listeners.add(listener);
        return () => listeners.delete(listener);
      },
    },
    repository: { getCases: async () => [{ id: 'c1', fileName: 'ISIC_1.jpg' }] as never },
    onActiveChanged: (active) => changes.push(active),
  });
  const push = (event: ApiEvent): void => listeners.forEach((listener) => listener(event));
  const settle = async (): Promise<void> => {
    for (let i = 0; i < 5; i++) await Promise.resolve();
  };
  return { panel, calls, changes, push, settle, listeners };
}

describe('ModelsPanelState', () => {
  it('lists newest first and reads the list again on each announced switch until disposed', async () => {
    const { panel, calls, push, settle, listeners } = setup();
    panel.start();
    await settle();
    expect(panel.versions.map((v) => v.id)).toEqual(['m@1.1.0', 'm@1.0.0']);
    push({ type: 'active-model-changed', active: 'm@1.1.0', previous: 'm@1.0.0' });
    await settle();
    expect(calls.listModelVersions).toBe(2);
    panel.dispose();
    expect(listeners.size).toBe(0);
  });

  it("opens with a version's evidence when the training panel asked for it", async () => {
    const { panel, calls, settle } = setup();
    panel.start('m@1.1.0');
    await settle();
    expect(panel.evidenceShown).toBe('m@1.1.0');
    expect(calls.getModelEvidence).toBe(1);
    panel.dispose();
  });

  it('activates, tells the shell the new active version, and says why a roll back was refused', async () => {
    const { panel, changes } = setup();
    await panel.activate('m@1.1.0');
    expect(panel.list?.active).toBe('m@1.1.0');
    expect(changes).toEqual(['m@1.1.0']);
    await panel.rollback();
    expect(panel.problem).toBe('No earlier active version to return to.');
    expect(panel.working).toBe(false);
  });

  it('reads a version\'s evidence once, names its cases by file name, and forgets it when the version is deleted', async () => {
    const { panel, calls } = setup();
    await panel.load();
    const candidate = panel.list!.versions[1]!;
    await panel.toggleEvidence(candidate);
    await panel.toggleEvidence(candidate);
    await panel.toggleEvidence(candidate);
    expect(calls.getModelEvidence).toBe(1);
    expect(panel.caseName({ id: 'r1', caseId: 'c1' } as never)).toBe('ISIC_1.jpg');
    panel.deleting = candidate;
    await panel.confirmDelete();
    expect(panel.evidence[candidate.id]).toBeUndefined();
    expect(panel.evidenceShown).toBeNull();
    expect(panel.list?.versions.map((v) => v.id)).toEqual(['m@1.0.0']);
  });

  it('sums up the evidence as better, worse and unchanged cases', () => {
    const rows = [
      { baseDice: 0.8, candidateDice: 0.9 },
      { baseDice: 0.8, candidateDice: 0.7 },
      { baseDice: 0.8, candidateDice: 0.8 },
    ];
    expect(evidenceSummary(rows)).toBe('3 validation cases: 1 better, 1 worse, 1 unchanged');
  });
});
