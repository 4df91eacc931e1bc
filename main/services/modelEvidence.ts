/**
 * The evidence behind each fine-tuned version, and which versions learned from a case.
 *
 * The trainer (models/scsonet/evidence.py) writes `evidence.json` and `evidence/*.png` into the
 * result folder, which the store then keeps as the version: base and candidate Dice of every
 * validation case, with the image, the approved mask and both predicted masks at the training
 * size, so the comparison stays exact however the library changes later. The card's
 * `training.trained_on` / `training.validated_on` name the case and mask version ids the job
 * used; the case history reads them here.
 *
 * Plain Node, read-only: nothing here changes a version.
 */
import path from 'node:path';
import { z } from 'zod';
import { cardCaseUses, type CaseProvenance, type CaseUse, type EvidenceCase, type EvidenceRow, type ModelEvidence } from '../../preload/api.js';
import { errorMessage, ModelStoreError } from './errors.js';
import type { ModelStore, StoredVersion } from './modelStore.js';
import { readStoreFile, readStoreText, sizeLimits, StoreFileError } from './storeFiles.js';

export const evidenceFile = 'evidence.json';

const kinds = ['image', 'final', 'base', 'candidate'] as const;
/** `evidence/<row number>.<kind>.png`: the only files a row may name (nothing outside the folder). */
const evidencePath = /^evidence\/\d{1,9}\.(image|final|base|candidate)\.png$/;

const dice = z.number().min(0).max(1);
const EvidenceFile = z.object({
  format: z.literal('lesiondesk-finetune-evidence/1'),
  job: z.string(),
  base: z.string(),
  candidate: z.string(),
  size: z.number().int().positive(),
  threshold: z.number(),
  cases: z.array(
    z.object({
      id: z.string().min(1),
      caseId: z.string().min(1).nullable(),
      maskVersionId: z.string().min(1).nullable(),
      unchanged: z.boolean().optional(),
      base_dsc: dice,
      candidate_dsc: dice,
      files: z.object({
        image: z.string().regex(evidencePath),
        final: z.string().regex(evidencePath),
        base: z.string().regex(evidencePath),
        candidate: z.string().regex(evidencePath),
      }),
    }),
  ),
});
type EvidenceFile = z.infer<typeof EvidenceFile>;

/** Biggest drop first; equal changes by case, so the order is stable. */
export function byChange(a: EvidenceRow, b: EvidenceRow): number {
  return a.candidateDice - a.baseDice - (b.candidateDice - b.baseDice) || a.id.localeCompare(b.id);
}

async function readEvidenceFile(version: StoredVersion): Promise<EvidenceFile> {
  const file = path.join(version.dir, evidenceFile);
  let text: string;
  try {
    text = await readStoreText(file, sizeLimits.other);
  } catch (error) {
    if (error instanceof StoreFileError && error.code === 'missing') {
      throw new ModelStoreError(`${version.id} has no ${evidenceFile}: it was trained before LesionDesk kept per-case evidence`);
    }
    throw new ModelStoreError(`${version.id}'s ${evidenceFile} could not be read (${errorMessage(error)})`);
  }
  try {
    return EvidenceFile.parse(JSON.parse(text));
  } catch (error) {
    throw new ModelStoreError(`${version.id}'s ${evidenceFile} is damaged (${errorMessage(error).split('\n')[0]})`);
  }
}

function toRow(c: EvidenceFile['cases'][number]): EvidenceRow {
  return {
    id: c.id,
    caseId: c.caseId,
    maskVersionId: c.maskVersionId,
    ...(c.unchanged !== undefined ? { unchanged: c.unchanged } : {}),
    baseDice: c.base_dsc,
    candidateDice: c.candidate_dsc,
  };
}

/** A version's per-case table, biggest Dice drop first; `missing` says why a version has none. */
export async function modelEvidence(store: ModelStore, id: string): Promise<ModelEvidence> {
  const version = await store.get(id);
  const empty = (missing: string): ModelEvidence => ({ version: id, base: version.record?.base ?? null, size: null, missing, rows: [] });
  if (version.kind === 'shipped') return empty(`${id} is the shipped model; evidence exists for fine-tuned versions, compared with their base`);
  let file: EvidenceFile;
  try {
    file = await readEvidenceFile(version);
  } catch (error) {
    return empty(errorMessage(error));
  }
  if (file.cases.length === 0) return empty(`${id}'s job had no validation cases`);
  return { version: id, base: version.record?.base ?? null, size: file.size, missing: null, rows: file.cases.map(toRow).sort(byChange) };
}

/** One row's pictures (PNG bytes as written by the trainer). */
export async function evidenceCase(store: ModelStore, id: string, rowId: string): Promise<EvidenceCase> {
  const version = await store.get(id);
  const file = await readEvidenceFile(version);
  const row = file.cases.find((c) => c.id === rowId);
  if (!row) throw new ModelStoreError(`${id}'s evidence has no case ${rowId}`);
  const read = async (kind: (typeof kinds)[number]): Promise<Uint8Array> => {
    const relative = row.files[kind];
    try {
      return new Uint8Array(await readStoreFile(path.join(version.dir, ...relative.split('/')), sizeLimits.other));
    } catch (error) {
      throw new ModelStoreError(`${id}'s evidence for case ${rowId} is incomplete: ${relative} could not be read (${errorMessage(error)})`);
    }
  };
  const [image, approved, base, candidate] = await Promise.all(kinds.map(read));
  return { row: toRow(row), image: image!, approved: approved!, base: base!, candidate: candidate! };
}

/**
 * Which versions in the store learned from a case (its mask was a training case of the job)
 * and which it helped judge (a validation case), oldest version first.
 */
export async function caseProvenance(store: ModelStore, caseId: string): Promise<CaseProvenance> {
  // One scan of the store: the list carries each version's card, creation time and active flag.
  const { versions } = await store.list();
  const learnedBy: CaseUse[] = [];
  const validatedBy: CaseUse[] = [];
  for (const version of versions) {
    if (version.kind !== 'fine-tuned') continue;
    const use = (u: { maskVersionId: string | null }): CaseUse => ({ version: version.id, maskVersionId: u.maskVersionId, created: version.created, active: version.active });
    const trained = cardCaseUses(version.card, 'trained_on').find((u) => u.caseId === caseId);
    if (trained) learnedBy.push(use(trained));
    const validated = cardCaseUses(version.card, 'validated_on').find((u) => u.caseId === caseId);
    if (validated) validatedBy.push(use(validated));
  }
  return { learnedBy, validatedBy };
}
