/**
 * Opening a case: its record and image, the model's prediction (run once when the case has none
 * of the active model, and its probability map read), and the mask to start from, which is an
 * edit left unsaved (a reload, a closed window, a failed save) recovered from the journal when
 * there is one, else the case's latest version.
 */
import type { LesionDeskApi, Region } from '../../../../preload/api.ts';
import { errorMessage } from '../../lib/format.ts';
import type { CaseRepository } from '../../storage/case-repository.ts';
import type { AppSettings, CaseRecord, MaskVersionRecord } from '../../storage/types.ts';
import { reusablePrediction, storePrediction, type ActiveModel } from '../case-versions.ts';
import { recoverMask, type EditJournal, type RecoveredHead } from '../edit-journal.ts';
import type { MaskAnalyser } from '../mask-analysis.ts';
import { readProbabilityGrid, type ProbabilityGrid } from '../probability.ts';
import { maskSourceOf, type MaskSource } from '../threshold-mode.ts';
import type { CaseMessages } from './case-messages.svelte.ts';
import type { CaseRecordState } from './case-record.svelte.ts';
import type { SavingBase } from './case-saving.svelte.ts';
import type { Disposable } from './disposable-store.ts';

/** The browser's parts a session uses (workers, codecs); tests pass their own. */
export interface CasePlatform {
  /** The image, decoded for drawing. */
  decodeImage(blob: Blob): Promise<ImageBitmap>;
  /** Outlines and measurements, in a worker when one starts. */
  createAnalyser(): MaskAnalyser;
  decodeMask: MaskDecoder;
  encodePng(width: number, height: number, data: Uint8Array): Promise<Blob>;
  /** Screen pixels per CSS pixel. */
  devicePixelRatio(): number;
  /** The Box and Click tools' crops of the decoded image: a region -> 256 x 256 RGB bytes, made where the pixels are. */
  regionCropper(image: ImageBitmap): (region: Region) => Promise<Uint8Array>;
}

/** The repository calls opening a case makes. */
export type OpeningRepository = Pick<CaseRepository, 'getCase' | 'getImage' | 'getSettings' | 'getVersion' | 'addPrediction'>;

export interface OpeningOptions {
  readonly caseId: string;
  readonly repository: OpeningRepository;
  readonly api: Pick<LesionDeskApi, 'segmentImage'>;
  /** The active model, or null to open without a prediction. */
  readonly model: ActiveModel | null;
  readonly journal?: EditJournal | undefined;
  readonly platform: CasePlatform;
  /** Threshold when neither the prediction nor the settings have one. */
  readonly defaultThreshold: number;
  /** Read and refreshed here: the record and versions the rest of the session shares. */
  readonly facts: CaseRecordState;
  readonly messages: CaseMessages;
  /** Registers what opening starts (the worker, the decoded image) with the session's dispose(). */
  readonly own: <T extends Disposable>(item: T) => T;
  /** The model is running (it takes a while: the view says so). */
  readonly onPredicting: () => void;
}

/** An opened case: everything the session needs to show and edit it. */
export interface OpenedCase {
  readonly record: CaseRecord;
  readonly image: ImageBitmap;
  readonly analyser: MaskAnalyser;
  readonly size: { readonly width: number; readonly height: number };
  readonly settings: AppSettings;
  /** The prediction's probabilities, or null (no model, no map, or the model failed). */
  readonly grid: ProbabilityGrid | null;
  readonly threshold: number;
  /** Whose mask opens. */
  readonly source: MaskSource;
  /** The mask to start from (undefined: empty). */
  readonly mask: Uint8Array | undefined;
  /** Where saving starts: the version opened, or a recovered edit's draft. */
  readonly base: SavingBase;
  /** The unsaved edit recovered from the journal, if any. */
  readonly recovered: RecoveredHead | null;
}

/** Opens case `caseId`; throws a sentence the user can read when it cannot be shown. */
export async function openCase(options: OpeningOptions): Promise<OpenedCase> {
  const { caseId, repository, platform, facts, messages, model } = options;
  const record = await repository.getCase(caseId);
  if (!record) throw new Error(`Case ${caseId} is not in the library (it may have been deleted).`);
  facts.record = record;
  const stored = await repository.getImage(caseId);
  if (!stored) throw new Error(`The image of ${record.fileName} is missing from the library.`);
  let image: ImageBitmap;
  let analyser: MaskAnalyser;
  try {
    image = await platform.decodeImage(stored.blob);
    options.own(() => image.close());
    analyser = options.own(platform.createAnalyser());
    analyser.setImage(stored.blob);
  } catch {
    throw new Error(`${record.fileName} cannot be shown: the browser cannot decode this image.`);
  }
  const size = { width: stored.width, height: stored.height };
  const settings = await repository.getSettings();
  await facts.refreshVersions();

  let prediction = model ? reusablePrediction(record, facts.versions, model) : null;
  if (model && !prediction) {
    options.onPredicting();
    try {
      // Over a person's or ground-truth mask, or on an approved case, the prediction only joins
      // the history: opening a case never replaces what someone drew or decided.
      prediction = (await storePrediction(options.api, repository, record, stored, settings.threshold ?? undefined, { approved: 'history' })).version;
      await facts.refreshVersions();
      await facts.refresh();
    } catch (error) {
      // The case stays editable without a prediction; say why there is none.
      messages.problem = `No prediction: ${errorMessage(error)}`;
    }
  }
  const grid = prediction?.probabilityMap ? await readProbabilityGrid(prediction.probabilityMap) : null;
  const threshold = prediction?.threshold ?? settings.threshold ?? options.defaultThreshold;
  const working = workingVersion(facts.record, facts.versions);
  const recovered = await recoverEdit(options.journal, repository, platform.decodeMask, caseId, size, messages);
  const mask = recovered?.mask ?? (working ? await versionMask(working, record.fileName, size, platform.decodeMask) : undefined);
  return {
    record,
    image,
    analyser,
    size,
    settings,
    grid,
    threshold,
    source: recovered ? 'person' : maskSourceOf(working?.authorKind),
    mask,
    base: recovered
      ? { baseVersionId: recovered.head.baseVersionId, draftVersionId: recovered.head.draftVersionId, baseRevision: recovered.head.baseRevision ?? 0 }
      : { baseVersionId: working?.id ?? null, draftVersionId: null, baseRevision: working?.revision ?? 0 },
    recovered: recovered?.head ?? null,
  };
}

/** Decodes a stored mask PNG (name says which, in the error). */
export type MaskDecoder = (png: Blob, name: string) => Promise<{ width: number; height: number; data: Uint8Array }>;

/** An unsaved edit found in the journal, as a full mask. */
export interface RecoveredEdit {
  readonly head: RecoveredHead;
  readonly mask: Uint8Array;
}

/** An edit of this case left unsaved, if it still fits the image; a recovery that fails is said in `messages`. */
async function recoverEdit(
  journal: EditJournal | undefined,
  repository: Pick<CaseRepository, 'getVersion'>,
  decodeMask: MaskDecoder,
  caseId: string,
  size: { width: number; height: number },
  messages: CaseMessages,
): Promise<RecoveredEdit | null> {
  const recovery = await journal?.recover(caseId);
  if (!journal || !recovery) return null;
  try {
    const { mask, changed } = await recoverMask(recovery, size.width, size.height, async (versionId) => {
      const version = await repository.getVersion(versionId);
      if (!version) throw new Error('the version it was drawn on is gone');
      return (await decodeMask(version.png, 'mask')).data;
    });
    if (!recovery.snapshot && changed === 0) {
      // Deltas whose version was saved but not yet removed from the journal: nothing is unsaved.
      await journal.discard(caseId);
      return null;
    }
    return { head: recovery.head, mask };
  } catch (error) {
    messages.problem = `An unsaved change of this case could not be recovered (${errorMessage(error)}).`;
    return null;
  }
}

/** The version the case opens on: its latest, else its newest. */
function workingVersion(record: CaseRecord | null, versions: readonly MaskVersionRecord[]): MaskVersionRecord | null {
  return versions.find((v) => v.id === record?.latestVersionId) ?? versions.at(-1) ?? null;
}

/** The pixels of `version`, checked against the image's size. */
async function versionMask(version: MaskVersionRecord, fileName: string, size: { width: number; height: number }, decodeMask: MaskDecoder): Promise<Uint8Array> {
  const decoded = await decodeMask(version.png, `${fileName} mask`);
  if (decoded.width !== size.width || decoded.height !== size.height) {
    throw new Error(`The saved mask is ${decoded.width} x ${decoded.height} but the image is ${size.width} x ${size.height}.`);
  }
  return decoded.data;
}
