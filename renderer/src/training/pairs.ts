/**
 * What a fine-tuning job receives from the library: every approved case's original image, byte
 * for byte as imported, and its final (latest) mask re-encoded as a 0/255 PNG, as the ISIC export
 * writes it. Pairs are read one case at a time and sent in chunks (at most 8 pairs and 256 MB a
 * call), so memory holds one chunk.
 *
 * Only approved masks train. The list of ready cases is taken when the user presses start, but
 * sending takes a while and another tab may reopen or edit a case meanwhile; so each case is
 * re-read when its pair is built and each chunk once more right before it is sent: a case that
 * is no longer approved, or whose approved mask is no longer the one read, is left out and
 * reported as skipped with the reason.
 */
import { limits, type LesionDeskApi, type TrainingPair } from '../../../preload/api.ts';
import { decodeMaskImage } from '../exchange/image-codec.ts';
import { encodeMaskPng } from '../exchange/png.ts';
import type { CaseRecord, CaseRepository } from '../storage/index.ts';
import { createChunker } from './job-view.ts';
import { splitOfCase } from './split.ts';

/** Approved cases with a mask; `onlyCorrected`: only those a person corrected (the final mask is not the prediction). */
export async function readyCases(repository: CaseRepository, onlyCorrected: boolean): Promise<CaseRecord[]> {
  const { cases } = await repository.listCases({ status: 'approved', sort: 'name', ...(onlyCorrected ? { hasCorrection: true } : {}) });
  return cases.filter((c) => c.latestVersionId !== null);
}

/** Why a case, as read now, cannot train with `maskVersionId`; null when it still can. */
export function notTrainable(record: CaseRecord | undefined, maskVersionId?: string): string | null {
  if (!record) return 'the case was deleted';
  if (record.status !== 'approved') return 'it is no longer approved (reopened since the job started)';
  if (!record.latestVersionId) return 'the case has no mask';
  if (maskVersionId !== undefined && record.latestVersionId !== maskVersionId) return 'its approved mask changed since the job started';
  return null;
}

/**
 * One case as a training pair, or the reason it cannot be one (the case is re-read first). The
 * pair carries the case's side as the library decides it (split.ts), so main keeps a past role.
 */
export async function loadPair(repository: CaseRepository, listed: CaseRecord, byCaseId?: ReadonlySet<string>): Promise<TrainingPair | string> {
  const record = await repository.getCase(listed.id);
  const why = notTrainable(record);
  if (why || !record?.latestVersionId) return why ?? 'the case has no mask';
  const [image, version] = await Promise.all([repository.getImage(record.id), repository.getVersion(record.latestVersionId)]);
  if (!image) return 'its image is missing';
  if (!version) return 'its final mask is missing';
  const mask = await decodeMaskImage(version.png, `${record.fileName} mask`);
  if (mask.width !== image.width || mask.height !== image.height) return 'its mask does not match the image size';
  return {
    caseId: record.id,
    maskVersionId: version.id,
    image: new Uint8Array(await image.blob.arrayBuffer()),
    imageName: record.fileName,
    maskPng: encodeMaskPng(mask),
    // Approved as the model predicted it: acceptable, not proof of being exactly right (the gate's second part).
    unchanged: version.authorKind === 'model',
    split: await splitOfCase(record.id, image.sha256, byCaseId ?? new Set((await repository.getSettings()).splitByCaseId)),
  };
}

export interface SendProgress {
  /** Cases read and sent so far. */
  sent: number;
  total: number;
  train: number;
  validation: number;
}

export interface SendReport extends SendProgress {
  /** Cases left out, with why; file names repeat (IMG_0001.jpg from two cameras), case ids do not. */
  skipped: { caseId: string; fileName: string; reason: string }[];
}

/** Send every case's pair to the job in chunks; stops (throws) when `signal` aborts. */
export async function sendPairs(
  api: Pick<LesionDeskApi, 'addTrainingPairs'>,
  repository: CaseRepository,
  jobId: string,
  records: readonly CaseRecord[],
  onProgress: (p: SendProgress) => void,
  signal?: AbortSignal,
): Promise<SendReport> {
  const report: SendReport = { sent: 0, total: records.length, train: 0, validation: 0, skipped: [] };
  const chunker = createChunker<TrainingPair>(limits.trainingPairsPerCall, limits.trainingChunkBytes);
  const fileNames = new Map(records.map((r) => [r.id, r.fileName]));
  const skip = (caseId: string, reason: string) => {
    report.skipped.push({ caseId, fileName: fileNames.get(caseId) ?? caseId, reason });
    report.total--;
  };
  const send = async (read: TrainingPair[] | null) => {
    if (!read) return;
    signal?.throwIfAborted();
    // Approval is read again right before the pairs leave: what is sent is approved now.
    const now = new Map((await repository.getCases(read.map((p) => p.caseId))).map((r) => [r.id, r]));
    const chunk = read.filter((pair) => {
      const why = notTrainable(now.get(pair.caseId), pair.maskVersionId);
      if (why) skip(pair.caseId, why);
      return why === null;
    });
    if (chunk.length === 0) return;
    const result = await api.addTrainingPairs({ jobId, pairs: chunk });
    report.sent += chunk.length;
    report.train = result.train;
    report.validation = result.validation;
    onProgress({ sent: report.sent, total: report.total, train: report.train, validation: report.validation });
  };
  onProgress({ sent: 0, total: report.total, train: 0, validation: 0 });
  const byCaseId = new Set((await repository.getSettings()).splitByCaseId);
  for (const record of records) {
    signal?.throwIfAborted();
    const pair = await loadPair(repository, record, byCaseId);
    if (typeof pair === 'string') {
      skip(record.id, pair);
      continue;
    }
    await send(chunker.push(pair, pair.image.byteLength + pair.maskPng.byteLength));
  }
  await send(chunker.flush());
  return report;
}
