/**
 * The case record and its versions as this view last read them (the database's liveQuery
 * snapshots, or a read after a write here). Loading, saving and the compare list share it.
 */
import type { CaseRepository } from '../../storage/case-repository.ts';
import type { CaseRecord, MaskVersionRecord } from '../../storage/types.ts';

export type RecordRepository = Pick<CaseRepository, 'getCase' | 'listVersions'>;

export class CaseRecordState {
  record = $state.raw<CaseRecord | null>(null);
  versions = $state.raw<MaskVersionRecord[]>([]);
  readonly locked = $derived(this.record?.status === 'approved');

  private readonly repository: RecordRepository;
  private readonly caseId: string;
  private readonly onStatusChange: ((record: CaseRecord) => void) | undefined;

  constructor(repository: RecordRepository, caseId: string, onStatusChange?: (record: CaseRecord) => void) {
    this.repository = repository;
    this.caseId = caseId;
    this.onStatusChange = onStatusChange;
  }

  /** Takes a newer record; tells the shell when the workflow status moved. */
  setRecord(next: CaseRecord): void {
    const moved = next.status !== this.record?.status;
    this.record = next;
    if (moved) this.onStatusChange?.(next);
  }

  /** Re-reads the record (after a workflow change made here or outside this view). */
  async refresh(): Promise<void> {
    const next = await this.repository.getCase(this.caseId);
    if (next) this.setRecord(next);
  }

  async refreshVersions(): Promise<void> {
    this.versions = await this.repository.listVersions(this.caseId);
  }
}
