/**
 * The model versions drawer's state: the list as main's store holds it, activate, roll back and
 * delete, and each fine-tuned version's evidence per case (loaded when first shown; versions are
 * immutable, so it is never read twice). The list is read again when main announces a switch or
 * a job that produced a version, through the window's one mirror of main's events.
 */
import type { ApiEvent, EvidenceRow, LesionDeskApi, ModelEvidence, ModelVersion, ModelVersionList } from '../../../preload/api.ts';
import { errorMessage } from '../lib/format.ts';
import type { CaseRepository } from '../storage/index.ts';

export type ModelsApi = Pick<LesionDeskApi, 'listModelVersions' | 'activateModelVersion' | 'rollbackModel' | 'deleteModelVersion' | 'getModelEvidence'>;

export interface ModelsPanelOptions {
  readonly api: ModelsApi;
  /** Main's events, heard through the window's mirror (MainState.onEvent). */
  readonly events: { onEvent(listener: (event: ApiEvent) => void): () => void };
  /** The library, to name evidence cases by file name (absent: ids only). */
  readonly repository?: Pick<CaseRepository, 'getCases'> | null;
  /** The active version changed here. */
  readonly onActiveChanged?: (active: string | null) => void;
}

/** A version's evidence, or why it could not be read. */
export type EvidenceState = ModelEvidence | { error: string };

export class ModelsPanelState {
  list = $state.raw<ModelVersionList | null>(null);
  /** An activate, roll back or delete is in flight: the buttons wait. */
  working = $state(false);
  problem = $state<string | null>(null);
  /** The version whose deletion awaits the user's yes. */
  deleting = $state.raw<ModelVersion | null>(null);
  /** The version whose evidence is open (one at a time). */
  evidenceShown = $state<string | null>(null);
  evidence = $state.raw<Record<string, EvidenceState>>({});
  /** File names of evidence cases found in this library, by case id. */
  fileNames = $state.raw<Record<string, string>>({});
  /** The evidence row open in the comparison dialog. */
  comparing = $state.raw<{ version: ModelVersion; row: EvidenceRow } | null>(null);

  /** Newest first: the version a user just trained is at the top. */
  readonly versions = $derived(this.list ? [...this.list.versions].reverse() : []);

  private readonly options: ModelsPanelOptions;
  private stop: (() => void) | null = null;

  constructor(options: ModelsPanelOptions) {
    this.options = options;
  }

  /** Reads the list and follows main's announcements until dispose(); `evidenceOf`: a version whose evidence opens once the list is read. */
  start(evidenceOf: string | null = null): void {
    if (this.stop) return;
    void this.load().then(() => {
      const version = this.list?.versions.find((v) => v.id === evidenceOf);
      if (version?.kind === 'fine-tuned' && this.evidenceShown !== version.id) void this.toggleEvidence(version);
    });
    this.stop = this.options.events.onEvent((event) => {
      if (event.type === 'active-model-changed' || (event.type === 'job-ended' && event.job.state === 'succeeded')) void this.load();
    });
  }

  dispose(): void {
    this.stop?.();
    this.stop = null;
  }

  async load(): Promise<void> {
    try {
      this.list = await this.options.api.listModelVersions();
    } catch (e) {
      this.problem = errorMessage(e);
    }
  }

  activate(id: string): Promise<void> {
    return this.act(() => this.options.api.activateModelVersion({ id }), true);
  }

  rollback(): Promise<void> {
    return this.act(() => this.options.api.rollbackModel(), true);
  }

  /** Deletes the version awaiting confirmation (deleting), if any. */
  confirmDelete(): Promise<void> {
    const target = this.deleting;
    this.deleting = null;
    if (!target) return Promise.resolve();
    // A later job may make a version with the same id: its evidence must be read afresh.
    const { [target.id]: _dropped, ...kept } = this.evidence;
    this.evidence = kept;
    if (this.evidenceShown === target.id) this.evidenceShown = null;
    return this.act(() => this.options.api.deleteModelVersion({ id: target.id }), false);
  }

  /** Opens or closes a version's evidence, reading it the first time. */
  async toggleEvidence(version: ModelVersion): Promise<void> {
    this.evidenceShown = this.evidenceShown === version.id ? null : version.id;
    if (this.evidenceShown === null || this.evidence[version.id]) return;
    try {
      const loaded = await this.options.api.getModelEvidence({ id: version.id });
      this.evidence = { ...this.evidence, [version.id]: loaded };
      const ids = loaded.rows.map((r) => r.caseId).filter((id): id is string => id !== null);
      const cases = this.options.repository ? await this.options.repository.getCases(ids) : [];
      this.fileNames = { ...this.fileNames, ...Object.fromEntries(cases.map((c) => [c.id, c.fileName])) };
    } catch (e) {
      this.evidence = { ...this.evidence, [version.id]: { error: errorMessage(e) } };
    }
  }

  /** The name to show for an evidence row's case: its file name here, else its id. */
  caseName(row: EvidenceRow): string {
    return (row.caseId && this.fileNames[row.caseId]) ?? row.caseId ?? row.id;
  }

  private async act(action: () => Promise<ModelVersionList>, activeChanges: boolean): Promise<void> {
    this.working = true;
    this.problem = null;
    try {
      const list = await action();
      this.list = list;
      if (activeChanges) this.options.onActiveChanged?.(list.active);
    } catch (e) {
      this.problem = errorMessage(e);
    } finally {
      this.working = false;
    }
  }
}
