/**
 * The model store: every model version the app can run, and which one is active.
 *
 * Layout (under the user-data folder, `LESIONDESK_DATA_DIR` or Electron's userData):
 *   models/active.json                          { active, history } written atomically
 *   models/active.last-good.json                the same, kept as the copy to fall back on
 *   models/versions/<name>@<version>/           one immutable folder per fine-tuned version:
 *     model.onnx, model.json (card), model.pt, metrics.json, version.json, job.log, evidence...
 * The shipped model (read-only, in the app's resources or the repository's models/) is the
 * root of every lineage and never lives here.
 *
 * What the store trusts (README, "Model versions"): nothing in the folder runs as code, and a
 * version is used only when every file of it matches its card (`sha256` for the ONNX, `files`
 * for the rest). Only regular files are read (no links, pipes or devices), each kind with a size
 * bound (storeFiles.ts). A folder whose name is not NAME@VERSION, whose card names another id,
 * or that is a link or a file, is listed as unknown and never used; a version whose files do
 * not match is listed as damaged with the reason and never loaded; when the active one is
 * damaged the store falls back to its nearest intact ancestor (or the shipped model) and says
 * so. A damaged active pointer is reported, its last good copy used, and the file kept.
 *
 * Plain Node: the app, browser mode and the CLI share this module and the same folder.
 */
import { lstat, mkdir, readdir, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import {
  DiceComparison as DiceComparisonSchema,
  GateDecision as GateDecisionSchema,
  type DiceComparison,
  type GateDecision,
  type ModelVersion,
  type ModelVersionList,
  type UnknownStoreFolder,
} from '../../preload/api.js';
import { errorMessage, ModelStoreError } from './errors.js';
import { parseModelCard, type ModelCard } from './modelCard.js';
import { scanModelDirs, type ModelEntry } from './modelRegistry.js';
import { hashStoreFile, identityOf, readStoreText, sameIdentity, sizeLimits, StoreFileError, type FileIdentity } from './storeFiles.js';

/** Where the store keeps its files and where the shipped models are. */
export interface ModelStoreOptions {
  /** The user-data folder; the store uses `<dataDir>/models`. */
  dataDir: string;
  /** Read-only folders with shipped model cards (repository `models/`, packaged resources). */
  shippedDirs: string[];
}

/** `name@version` as the contract defines it (preload/api.ts ModelVersionId): a folder name that is not one is no version. */
const versionIdPattern = /^[A-Za-z0-9][A-Za-z0-9._-]*@\d+\.\d+\.\d+([-+][0-9A-Za-z.-]+)?$/;
const versionIdMaxLength = 200;
const VersionIdText = z.string().max(versionIdMaxLength).regex(versionIdPattern);

/**
 * What the store records about a version when it is added (version.json, immutable). As strict
 * as the contract's ModelVersion, so a hand-edited record is damaged here, not a failed answer.
 */
export const VersionRecord = z.object({
  format: z.literal('lesiondesk-model-version/1'),
  id: z.string().max(versionIdMaxLength),
  base: VersionIdText.nullable(),
  lineage: z.array(VersionIdText).max(10_000),
  created: z.string().max(100),
  jobId: z.string().max(200).nullable(),
  corrections: z.number().int().min(0).nullable(),
  validation: DiceComparisonSchema.nullable(),
  /** The gate's two parts of the validation cases (changed by a person, approved unchanged); absent in versions added before they were recorded. */
  changed: DiceComparisonSchema.nullable().optional(),
  unchanged: DiceComparisonSchema.nullable().optional(),
  anchor: DiceComparisonSchema.nullable(),
  gate: GateDecisionSchema.nullable(),
});
export type VersionRecord = z.infer<typeof VersionRecord>;


const ActiveFile = z.object({
  format: z.literal('lesiondesk-active-model/1'),
  active: VersionIdText.nullable(),
  /** Earlier active versions, oldest first: roll back returns to the last one. */
  history: z.array(VersionIdText).max(1000),
  changed: z.string().max(100).optional(),
});
type ActiveFile = z.infer<typeof ActiveFile>;

/** The pointer as read, and why it is not simply active.json (damaged, missing beside a copy). */
interface PointerRead {
  file: ActiveFile;
  problem: string | null;
}

const historyLimit = 50;

/** One version with everything needed to load it or explain why it cannot be loaded. */
export interface StoredVersion {
  id: string;
  kind: 'shipped' | 'fine-tuned';
  /** The card and files; null when the card itself is unreadable. */
  entry: ModelEntry | null;
  /** The PyTorch checkpoint a job fine-tunes from: null when absent or not covered by the card's hashes. */
  checkpointPath: string | null;
  /** Why a checkpoint that is there is not used for fine-tuning (its card records no hash for it). */
  checkpointProblem: string | null;
  dir: string;
  problem: string | null;
  record: VersionRecord | null;
}

/** A folder in the versions folder that is not a version (a copy, a hand-made folder, a link). */
export type UnknownFolder = UnknownStoreFolder;

/** Everything in the store at one moment. */
export interface StoreScan {
  versions: StoredVersion[];
  unknown: UnknownFolder[];
  /** A problem of the store as a whole (the versions folder unreadable), or null. */
  problem: string | null;
}

/** The model to run now, and why it is not the one the user chose (if it is not). */
export interface ActiveModel {
  version: StoredVersion;
  /** Set when the chosen version is damaged or missing and another one stands in, or the pointer is damaged. */
  fallbackReason: string | null;
}

/** `name@version` of a card. */
export function versionId(card: Pick<ModelCard, 'name' | 'version'>): string {
  return `${card.name}@${card.version}`;
}

/** Writes a file so that readers see the old or the new content, never half of either. */
export async function writeFileAtomic(file: string, text: string): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.${Date.now()}.tmp`;
  await writeFile(tmp, text);
  await rename(tmp, file);
}

function compareSemver(a: string, b: string): number {
  const pa = a.split(/[-+]/)[0]!.split('.').map(Number);
  const pb = b.split(/[-+]/)[0]!.split('.').map(Number);
  for (let i = 0; i < 3; i++) if (pa[i] !== pb[i]) return (pa[i] ?? 0) - (pb[i] ?? 0);
  return 0;
}

/** Files of one version folder. */
export const versionFiles = {
  onnx: 'model.onnx',
  card: 'model.json',
  checkpoint: 'model.pt',
  metrics: 'metrics.json',
  record: 'version.json',
  log: 'job.log',
} as const;

/** The one sub-folder a version may have (per-case evidence PNGs). */
const evidenceFolder = 'evidence';

/** A name as it may be shown (a terminal or a page): control characters become "?", at most 1000 characters. */
function printable(name: string): string {
  // eslint-disable-next-line no-control-regex
  return name.replace(/[\u0000-\u001f\u007f-\u009f]/g, '?').slice(0, 1000);
}

/** Names the store never reads and never requires a hash for (desktop metadata a file manager leaves). */
function ignoredName(name: string): boolean {
  return name.startsWith('.') || name === 'Thumbs.db' || name === 'desktop.ini';
}

function limitFor(name: string): number {
  if (name.endsWith('.onnx')) return sizeLimits.onnx;
  if (name.endsWith('.pt')) return sizeLimits.checkpoint;
  return sizeLimits.other;
}

/** A card read with the store's bounds (regular file, 16 MiB) and validated. */
async function readCard(cardPath: string): Promise<ModelEntry> {
  let json: unknown;
  try {
    json = JSON.parse(await readStoreText(cardPath, sizeLimits.card));
  } catch (error) {
    throw new ModelStoreError(`its card ${path.basename(cardPath)} could not be read (${errorMessage(error).split('\n')[0]})`);
  }
  const card = parseModelCard(json, `card ${path.basename(cardPath)}`);
  const dir = path.dirname(cardPath);
  return { card, cardPath, onnxPath: path.join(dir, card.file), dir };
}

/** The model store (see the module comment). Mutations are serialised within a process. */
export class ModelStore {
  readonly modelsDir: string;
  readonly versionsDir: string;
  /** The active pointer; other processes (the CLI) change it, the app watches it. */
  readonly activeFile: string;
  private readonly lastGoodFile: string;
  private queue: Promise<unknown> = Promise.resolve();
  /**
   * sha256 by file (device and inode) and identity (size, mtime, ctime), shared by every store in
   * the process: listing does not re-hash unchanged files, and a result folder renamed into the
   * store is not hashed twice. Any write or replacement changes ctime, which no user can set.
   */
  private static readonly hashCache = new Map<string, { identity: FileIdentity; sha256: string }>();

  constructor(private readonly options: ModelStoreOptions) {
    this.modelsDir = path.join(options.dataDir, 'models');
    this.versionsDir = path.join(this.modelsDir, 'versions');
    this.activeFile = path.join(this.modelsDir, 'active.json');
    this.lastGoodFile = path.join(this.modelsDir, 'active.last-good.json');
  }

  private serialise<T>(task: () => Promise<T>): Promise<T> {
    const run = this.queue.then(task, task);
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async sha256(file: string, limit: number): Promise<string> {
    const cache = ModelStore.hashCache;
    const now = await identityOf(file);
    const cached = now ? cache.get(`${now.dev}:${now.ino}`) : undefined;
    if (cached && sameIdentity(cached.identity, now)) return cached.sha256;
    const { sha256, identity } = await hashStoreFile(file, limit);
    if (cache.size >= 100_000) cache.clear();
    cache.set(`${identity.dev}:${identity.ino}`, { identity, sha256 });
    return sha256;
  }

  /** Compares one file with the hash its card records; returns the problem or null. */
  private async fileProblem(file: string, expected: string, label: string): Promise<string | null> {
    try {
      const actual = await this.sha256(file, limitFor(file));
      if (actual !== expected) {
        return `${label} does not match its card (sha256 ${actual.slice(0, 12)}..., the card says ${expected.slice(0, 12)}...): the file was changed or damaged`;
      }
      return null;
    } catch (error) {
      if (error instanceof StoreFileError) return error.code === 'missing' ? `${label} is missing` : `${label}: ${error.message}`;
      return `${label} could not be read (${errorMessage(error)})`;
    }
  }

  /**
   * Checks every file the card covers: the ONNX against `sha256`, the others against `files`.
   * `folder` (a fine-tuned version or a job result): also every file in the folder must be a
   * regular file (no links, pipes, devices) and, for a card with `files`, covered by it.
   */
  private async integrityProblem(entry: ModelEntry, folder: boolean): Promise<string | null> {
    const onnx = await this.fileProblem(entry.onnxPath, entry.card.sha256, entry.card.file);
    if (onnx) return onnx;
    const listed = entry.card.files ?? {};
    for (const [name, sha256] of Object.entries(listed)) {
      const problem = await this.fileProblem(path.join(entry.dir, ...name.split('/')), sha256, name);
      if (problem) return problem;
    }
    if (!folder) return null;
    const covered = entry.card.files ? new Set([entry.card.file, path.basename(entry.cardPath), ...Object.keys(listed)]) : null;
    return this.strayProblem(entry.dir, '', covered);
  }

  /** A link, pipe, device, unexpected folder or (with `covered`) a file the card does not cover, or null. */
  private async strayProblem(dir: string, prefix: string, covered: Set<string> | null): Promise<string | null> {
    let entries;
    try {
      entries = await readdir(dir, { withFileTypes: true });
    } catch (error) {
      return `${prefix || 'the folder'} could not be read (${errorMessage(error)})`;
    }
    for (const e of entries) {
      if (ignoredName(e.name)) continue;
      const name = `${prefix}${e.name}`;
      if (e.isSymbolicLink()) return `${name} is a link; a version holds only its own regular files`;
      if (e.isDirectory()) {
        if (prefix || e.name !== evidenceFolder) return `${name} is a folder a version does not have`;
        const inner = await this.strayProblem(path.join(dir, e.name), `${e.name}/`, covered);
        if (inner) return inner;
        continue;
      }
      if (!e.isFile()) return `${name} is not a regular file (a pipe or a device?)`;
      if (covered && !covered.has(name)) return `${name} is not covered by its card's hashes`;
    }
    return null;
  }

  /** The checkpoint beside a card, trusted only when the card records its hash (then checked with the rest). */
  private async checkpointOf(entry: ModelEntry | null, file: string): Promise<{ checkpointPath: string | null; checkpointProblem: string | null }> {
    const info = await lstat(file).catch(() => null);
    if (!info) return { checkpointPath: null, checkpointProblem: null };
    const name = path.basename(file);
    if (!info.isFile()) return { checkpointPath: null, checkpointProblem: `${name} is not a regular file` };
    if (!entry?.card.files?.[name]) {
      return {
        checkpointPath: null,
        checkpointProblem: `its card records no hash for ${name} (the version was made before LesionDesk hashed checkpoints), so ${name} is not trusted for fine-tuning; fine-tune from the shipped model or a newer version`,
      };
    }
    return { checkpointPath: file, checkpointProblem: null };
  }

  /** The shipped models, highest version first. */
  private async shipped(): Promise<StoredVersion[]> {
    const catalog = await scanModelDirs(this.options.shippedDirs);
    const out: StoredVersion[] = [];
    const seen = new Set<string>();
    for (const entry of catalog.models) {
      const id = versionId(entry.card);
      if (seen.has(id)) continue;
      seen.add(id);
      out.push({
        id,
        kind: 'shipped',
        entry,
        ...(await this.checkpointOf(entry, entry.cardPath.replace(/\.json$/, '.pt'))),
        dir: entry.dir,
        problem: await this.integrityProblem(entry, false),
        record: null,
      });
    }
    for (const p of catalog.problems) {
      const id = path.basename(p.cardPath, '.json');
      if (seen.has(id)) continue;
      seen.add(id);
      out.push({ id, kind: 'shipped', entry: null, checkpointPath: null, checkpointProblem: null, dir: path.dirname(p.cardPath), problem: p.message, record: null });
    }
    return out.sort((a, b) => (a.entry && b.entry ? compareSemver(b.entry.card.version, a.entry.card.version) : a.entry ? -1 : 1));
  }

  /** One fine-tuned version folder (its name is a version id), checked. */
  private async readVersionDir(dir: string): Promise<StoredVersion> {
    const folderId = path.basename(dir);
    let record: VersionRecord | null = null;
    let problem: string | null = null;
    try {
      record = VersionRecord.parse(JSON.parse(await readStoreText(path.join(dir, versionFiles.record), sizeLimits.record)));
      if (record.id !== folderId) problem = `${versionFiles.record} names ${printable(record.id.slice(0, versionIdMaxLength))}, not ${folderId} (a copied or renamed folder?)`;
    } catch (error) {
      problem = `${versionFiles.record} is missing or unreadable (${errorMessage(error).split('\n')[0]})`;
    }
    let entry: ModelEntry | null = null;
    try {
      entry = await readCard(path.join(dir, versionFiles.card));
    } catch (error) {
      problem ??= errorMessage(error).split('\n')[0]!;
    }
    if (entry) {
      if (versionId(entry.card) !== folderId) problem ??= `its card names ${printable(versionId(entry.card).slice(0, versionIdMaxLength))}, not ${folderId} (a copied or renamed folder?)`;
      if (entry.card.file !== versionFiles.onnx) problem ??= `its card names ${printable(entry.card.file)}, not ${versionFiles.onnx}`;
      problem ??= await this.integrityProblem(entry, true);
    }
    const checkpoint = await this.checkpointOf(entry, path.join(dir, versionFiles.checkpoint));
    return { id: folderId, kind: 'fine-tuned', entry, ...checkpoint, dir, problem, record };
  }

  /** Every version (shipped first, then fine-tuned ones oldest first), the unknown folders, and a store-wide problem. */
  async scan(): Promise<StoreScan> {
    const shipped = await this.shipped();
    const shippedIds = new Set(shipped.map((v) => v.id));
    const unknown: UnknownFolder[] = [];
    let problem: string | null = null;
    let entries: import('node:fs').Dirent[] = [];
    try {
      entries = await readdir(this.versionsDir, { withFileTypes: true });
    } catch (error) {
      // Missing: no fine-tuned versions yet. Anything else is said, and the shipped model still runs.
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') problem = `the versions folder ${this.versionsDir} could not be read (${errorMessage(error)})`;
    }
    const folders: string[] = [];
    for (const e of entries) {
      if (ignoredName(e.name)) continue;
      const where = path.join(this.versionsDir, e.name);
      const add = (why: string): void => void unknown.push({ name: printable(e.name), path: printable(where), problem: why });
      if (e.isSymbolicLink()) add('a link, not a folder of the store (the store never follows links)');
      else if (!e.isDirectory()) add('a file, not a version folder');
      else if (e.name.length > versionIdMaxLength || !versionIdPattern.test(e.name)) add('its name is not NAME@VERSION (a copy, or a folder made by hand?); LesionDesk does not use it');
      else if (shippedIds.has(e.name)) add(`it has the id of the shipped model ${e.name}, which never lives in the store; LesionDesk does not use it`);
      else folders.push(where);
    }
    const tuned = await Promise.all(folders.map((dir) => this.readVersionDir(dir)));
    tuned.sort((a, b) => (a.record?.created ?? '').localeCompare(b.record?.created ?? '') || a.id.localeCompare(b.id));
    unknown.sort((a, b) => a.name.localeCompare(b.name));
    return { versions: [...shipped, ...tuned], unknown, problem };
  }

  /** Every version: shipped first, then fine-tuned ones oldest first. */
  async versions(): Promise<StoredVersion[]> {
    return (await this.scan()).versions;
  }

  private async readPointerFile(file: string): Promise<ActiveFile> {
    return ActiveFile.parse(JSON.parse(await readStoreText(file, sizeLimits.pointer)));
  }

  /**
   * The active pointer. Missing (first run): the shipped model, no problem. Damaged: its last
   * good copy, or the shipped model when there is none, with a problem that says which; the
   * damaged file stays where it is until the next activation moves it aside.
   */
  private async readPointer(): Promise<PointerRead> {
    const first: PointerRead = { file: { format: 'lesiondesk-active-model/1', active: null, history: [] }, problem: null };
    let why: string;
    try {
      return { file: await this.readPointerFile(this.activeFile), problem: null };
    } catch (error) {
      if (error instanceof StoreFileError && error.code === 'missing') {
        if (!(await identityOf(this.lastGoodFile))) return first;
        why = `${path.basename(this.activeFile)} is missing`;
      } else {
        why = `${path.basename(this.activeFile)} is damaged (${errorMessage(error).split('\n')[0]!.slice(0, 200)})`;
      }
    }
    try {
      const copy = await this.readPointerFile(this.lastGoodFile);
      return {
        file: copy,
        problem: `The active-model pointer ${why}; using its last good copy (${copy.active ?? 'the shipped model'} active, ${copy.history.length} earlier version${copy.history.length === 1 ? '' : 's'} to roll back to). Activating or rolling back writes a new pointer and keeps the damaged file beside it.`,
      };
    } catch {
      return {
        ...first,
        problem: `The active-model pointer ${why} and has no good copy, so the shipped model runs and the roll-back history is unknown. Activate a version to choose again; the damaged file is kept beside the new one.`,
      };
    }
  }

  /** Writes the pointer and its last good copy, each atomically; a damaged pointer is kept aside, never overwritten. */
  private async writeActiveFile(file: ActiveFile): Promise<void> {
    const text = `${JSON.stringify({ ...file, changed: new Date().toISOString() }, null, 2)}\n`;
    const current = await this.readPointerFile(this.activeFile).then(
      () => 'good' as const,
      (error: unknown) => (error instanceof StoreFileError && error.code === 'missing' ? ('missing' as const) : ('damaged' as const)),
    );
    if (current === 'damaged') {
      await rename(this.activeFile, path.join(this.modelsDir, `active.damaged-${new Date().toISOString().replace(/[:.]/g, '-')}.json`));
    }
    await writeFileAtomic(this.activeFile, text);
    await writeFileAtomic(this.lastGoodFile, text);
  }

  /**
   * The version to run: the chosen one when intact; else its nearest intact ancestor; else
   * the newest intact shipped model. Throws when nothing at all can be loaded.
   */
  async active(): Promise<ActiveModel> {
    const pointer = await this.readPointer();
    const resolved = this.resolveActive(await this.versions(), pointer.file);
    const reasons = [pointer.problem, resolved.fallbackReason].filter((r): r is string => r !== null);
    return { version: resolved.version, fallbackReason: reasons.length > 0 ? reasons.join(' ') : null };
  }

  private resolveActive(all: StoredVersion[], file: ActiveFile): ActiveModel {
    const byId = new Map(all.map((v) => [v.id, v]));
    const usable = (v: StoredVersion | undefined): boolean => !!v && v.problem === null && v.entry !== null;
    const chosenId = file.active;
    const shipped = all.find((v) => v.kind === 'shipped' && usable(v));
    if (chosenId === null) {
      if (shipped) return { version: shipped, fallbackReason: null };
    } else {
      const chosen = byId.get(chosenId);
      if (chosen && usable(chosen)) return { version: chosen, fallbackReason: null };
      const why = chosen ? `${chosenId} is damaged (${chosen.problem})` : `${chosenId} is missing`;
      const lineage = chosen?.record?.lineage ?? [];
      for (const ancestor of [...lineage].reverse()) {
        const candidate = byId.get(ancestor);
        if (candidate && ancestor !== chosenId && usable(candidate)) return { version: candidate, fallbackReason: `${why}; using ${candidate.id} instead` };
      }
      if (shipped) return { version: shipped, fallbackReason: `${why}; using ${shipped.id} instead` };
    }
    const problems = all.map((v) => `${v.id}: ${v.problem ?? 'unreadable card'}`).join('; ');
    throw new ModelStoreError(`no intact model to run${problems ? ` (${problems})` : ' (no model found)'}`);
  }

  /** The id of the model that runs now, or null when nothing can run. */
  private activeIdOrNull(all: StoredVersion[], file: ActiveFile): string | null {
    try {
      return this.resolveActive(all, file).version.id;
    } catch {
      return null;
    }
  }

  /** The list the renderer and `lesiondesk models` show. Never throws for what is in the folder. */
  async list(): Promise<ModelVersionList> {
    const scan = await this.scan();
    const pointer = await this.readPointer();
    const activeId = this.activeIdOrNull(scan.versions, pointer.file);
    const previous = this.rollbackTarget(scan.versions, pointer.file, activeId);
    const problems = [scan.problem, pointer.problem].filter((p): p is string => p !== null);
    return {
      active: activeId,
      previous,
      versions: scan.versions.map((v) => this.describe(v, activeId)),
      unknown: scan.unknown,
      problem: problems.length > 0 ? problems.join(' ') : null,
    };
  }

  private describe(v: StoredVersion, activeId: string | null): ModelVersion {
    // The card's own name and version only when they are the folder's (a mismatch is damaged, and its id stays the folder's).
    const card = v.entry?.card ?? null;
    const own = card !== null && versionId(card) === v.id;
    const r = v.record;
    const lineage = r?.lineage ?? [v.id];
    const compare = (c: VersionRecord['validation']): DiceComparison | null => (c ? { n: c.n, base: c.base, candidate: c.candidate } : null);
    const created = r?.created ?? (typeof card?.created === 'string' ? card.created : null);
    return {
      id: v.id,
      name: v.id.split('@')[0]!,
      version: v.id.split('@')[1] ?? '',
      kind: v.kind,
      status: v.problem === null && v.entry ? 'ok' : 'damaged',
      problem: v.problem,
      active: v.id === activeId,
      base: r?.base && versionIdPattern.test(r.base) ? r.base : null,
      lineage: lineage.every((id) => versionIdPattern.test(id)) ? lineage : [v.id],
      created,
      corrections: r?.corrections ?? null,
      validation: compare(r?.validation ?? null),
      changed: compare(r?.changed ?? null),
      unchanged: compare(r?.unchanged ?? null),
      anchor: compare(r?.anchor ?? null),
      gate: (r?.gate as GateDecision | null) ?? null,
      card: card && own ? ({ ...card } as Record<string, unknown>) : {},
    };
  }

  private rollbackTarget(all: StoredVersion[], file: ActiveFile, activeId: string | null): string | null {
    const usable = new Set(all.filter((v) => v.problem === null && v.entry).map((v) => v.id));
    for (const id of [...file.history].reverse()) if (id !== activeId && usable.has(id)) return id;
    return null;
  }

  /** Looks a version up by id; throws with the available ids when there is none. */
  async get(id: string): Promise<StoredVersion> {
    const all = await this.versions();
    const found = all.find((v) => v.id === id);
    if (!found) {
      throw new ModelStoreError(`there is no model version ${id} (available: ${all.map((v) => v.id).join(', ') || 'none'})`);
    }
    return found;
  }

  /**
   * Makes a version active (remembering the current one for roll back). `prepare` runs with the
   * checked version before the pointer moves (the services load the model there), so a version
   * that cannot run is refused with nothing changed.
   */
  activate(id: string, prepare?: (version: StoredVersion) => Promise<void>): Promise<{ active: string; previous: string | null }> {
    return this.serialise(async () => {
      const all = await this.versions();
      const target = all.find((v) => v.id === id);
      if (!target) throw new ModelStoreError(`there is no model version ${id} (available: ${all.map((v) => v.id).join(', ') || 'none'})`);
      if (target.problem !== null || !target.entry) throw new ModelStoreError(`${id} cannot be activated: ${target.problem ?? 'its card is unreadable'}`);
      const pointer = await this.readPointer();
      const current = this.activeIdOrNull(all, pointer.file);
      if (current === id && pointer.problem === null) return { active: id, previous: null };
      await prepare?.(target);
      const history = current && current !== id ? [...pointer.file.history.filter((h) => h !== current && h !== id), current] : pointer.file.history.filter((h) => h !== id);
      await this.writeActiveFile({ format: 'lesiondesk-active-model/1', active: id, history: history.slice(-historyLimit) });
      return { active: id, previous: current === id ? null : current };
    });
  }

  /** Returns to the previously active version (`prepare` as for activate). */
  rollback(prepare?: (version: StoredVersion) => Promise<void>): Promise<{ active: string; previous: string }> {
    return this.serialise(async () => {
      const all = await this.versions();
      const pointer = await this.readPointer();
      const current = this.resolveActive(all, pointer.file).version.id;
      const target = this.rollbackTarget(all, pointer.file, current);
      if (!target) throw new ModelStoreError(`there is no earlier active version to roll back to (${current} is the only one used so far)`);
      await prepare?.(all.find((v) => v.id === target)!);
      const history = pointer.file.history.slice(0, pointer.file.history.lastIndexOf(target));
      await this.writeActiveFile({ format: 'lesiondesk-active-model/1', active: target, history });
      return { active: target, previous: current };
    });
  }

  /**
   * Deletes a fine-tuned version: exactly the folder `versions/<id>` (never the shipped one,
   * never the active one, never an unknown folder: those the user removes by hand).
   */
  delete(id: string): Promise<void> {
    return this.serialise(async () => {
      const scan = await this.scan();
      const target = scan.versions.find((v) => v.id === id);
      if (!target) {
        const stray = scan.unknown.find((u) => u.name === id);
        if (stray) throw new ModelStoreError(`${id} is not a model version (${stray.problem}); LesionDesk leaves it alone: remove ${stray.path} by hand if you do not need it`);
        throw new ModelStoreError(`there is no model version ${id} (available: ${scan.versions.map((v) => v.id).join(', ') || 'none'})`);
      }
      if (target.kind === 'shipped') throw new ModelStoreError(`${id} is the shipped model; it is the root of every version and cannot be deleted`);
      const pointer = await this.readPointer();
      const current = this.activeIdOrNull(scan.versions, pointer.file);
      if (current === id || pointer.file.active === id) throw new ModelStoreError(`${id} is the active model; activate or roll back to another version first`);
      const dir = path.join(this.versionsDir, id);
      if (target.dir !== dir) throw new ModelStoreError(`${id} is not a folder of the store`);
      const info = await lstat(dir).catch(() => null);
      if (!info?.isDirectory()) throw new ModelStoreError(`${id} is no longer a folder in ${this.versionsDir}; nothing was deleted`);
      // Move aside first, so a failed delete never leaves half a version that still lists.
      const trash = path.join(this.versionsDir, `.deleted-${id}-${process.pid}-${Date.now()}`);
      await rename(dir, trash);
      await rm(trash, { recursive: true, force: true });
      if (pointer.problem === null && pointer.file.history.includes(id)) {
        await this.writeActiveFile({ ...pointer.file, history: pointer.file.history.filter((h) => h !== id) });
      }
    });
  }

  /** The next free version number for a family: one minor above the highest known. */
  async nextVersion(name: string): Promise<string> {
    const versions = (await this.versions()).map((v) => v.id).filter((id) => id.startsWith(`${name}@`)).map((id) => id.slice(name.length + 1));
    let major = 1;
    let minor = 0;
    for (const v of versions) {
      const [ma, mi] = v.split(/[-+]/)[0]!.split('.').map(Number);
      if (ma === undefined || mi === undefined || Number.isNaN(ma) || Number.isNaN(mi)) continue;
      if (ma > major || (ma === major && mi >= minor)) {
        major = ma;
        minor = mi;
      }
    }
    return `${major}.${minor + 1}.0`;
  }

  /**
   * Moves a finished job's result folder (model.onnx, model.json, model.pt, metrics.json, ...)
   * into the store as a new immutable version. The folder must be on the same disk as the store
   * (jobs live in the same user-data folder). Every hash the trainer recorded is checked; then
   * the store writes version.json and seals the card: `files` gains the hash of every file the
   * trainer did not list (version.json, job.log). The rename is the commit: before it nothing is
   * listed, after it the whole version is.
   */
  add(resultDir: string, record: Omit<VersionRecord, 'format' | 'id' | 'lineage'>): Promise<StoredVersion> {
    return this.serialise(async () => {
      const cardPath = path.join(resultDir, versionFiles.card);
      const entry = await readCard(cardPath).catch((error: unknown) => {
        throw new ModelStoreError(`the job's result is not usable: ${errorMessage(error)}`);
      });
      if (entry.card.file !== versionFiles.onnx) {
        throw new ModelStoreError(`the job's card names ${entry.card.file}, expected ${versionFiles.onnx}`);
      }
      const problem = (await this.integrityProblem(entry, false)) ?? (await this.strayProblem(resultDir, '', null));
      if (problem) throw new ModelStoreError(`the job's result is not usable: ${problem}`);
      const id = versionId(entry.card);
      if (!versionIdPattern.test(id) || id.length > versionIdMaxLength) throw new ModelStoreError(`the job's card names ${id.slice(0, versionIdMaxLength)}, which is not a version id`);
      const target = path.join(this.versionsDir, id);
      if (await lstat(target).then(() => true, () => false)) throw new ModelStoreError(`a version ${id} already exists`);
      let lineage = [id];
      if (record.base) {
        const base = (await this.versions()).find((v) => v.id === record.base);
        lineage = [...(base?.record?.lineage ?? [record.base]), id];
      }
      const full: VersionRecord = { format: 'lesiondesk-model-version/1', id, lineage, ...record };
      await writeFile(path.join(resultDir, versionFiles.record), `${JSON.stringify(full, null, 2)}\n`);
      const files: Record<string, string> = { ...(entry.card.files ?? {}) };
      for (const name of await this.unlistedFiles(resultDir, new Set([versionFiles.card, entry.card.file, ...Object.keys(files)]))) {
        files[name] = await this.sha256(path.join(resultDir, ...name.split('/')), limitFor(name));
      }
      const raw = JSON.parse(await readStoreText(cardPath, sizeLimits.card)) as Record<string, unknown>;
      await writeFileAtomic(cardPath, `${JSON.stringify({ ...raw, files: Object.fromEntries(Object.entries(files).sort(([a], [b]) => a.localeCompare(b))) }, null, 2)}\n`);
      await mkdir(this.versionsDir, { recursive: true });
      await rename(resultDir, target);
      return this.readVersionDir(target);
    });
  }

  /** Files of a result folder (and its evidence folder) that `listed` does not name. */
  private async unlistedFiles(dir: string, listed: Set<string>): Promise<string[]> {
    const out: string[] = [];
    for (const e of await readdir(dir, { withFileTypes: true })) {
      if (ignoredName(e.name)) continue;
      if (e.isFile() && !listed.has(e.name)) out.push(e.name);
      if (e.isDirectory() && e.name === evidenceFolder) {
        for (const inner of await readdir(path.join(dir, e.name), { withFileTypes: true })) {
          const name = `${e.name}/${inner.name}`;
          if (inner.isFile() && !ignoredName(inner.name) && !listed.has(name)) out.push(name);
        }
      }
    }
    return out;
  }
}
