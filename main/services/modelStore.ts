/**
 * The model store: every model version the app can run, and which one is active.
 *
 * Layout (under the user-data folder, `LESIONDESK_DATA_DIR` or Electron's userData):
 *   models/active.json                          { active, history } written atomically
 *   models/versions/<name>@<version>/           one immutable folder per fine-tuned version:
 *     model.onnx, model.json (card), model.pt, metrics.json, version.json, job.log
 * The shipped model (read-only, in the app's resources or the repository's models/) is the
 * root of every lineage and never lives here. A version whose files do not match its card is
 * listed as damaged with the reason and never loaded; when the active one is damaged the store
 * falls back to its nearest intact ancestor (or the shipped model) and says so.
 *
 * Plain Node: the app, browser mode and the CLI share this module and the same folder.
 */
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import type { DiceComparison, GateDecision, ModelVersion, ModelVersionList } from '../../preload/api.js';
import { errorMessage, ModelStoreError } from './errors.js';
import type { ModelCard } from './modelCard.js';
import { readModelCard, scanModelDirs, sha256File, type ModelEntry } from './modelRegistry.js';

/** Where the store keeps its files and where the shipped models are. */
export interface ModelStoreOptions {
  /** The user-data folder; the store uses `<dataDir>/models`. */
  dataDir: string;
  /** Read-only folders with shipped model cards (repository `models/`, packaged resources). */
  shippedDirs: string[];
}

/** What the store records about a version when it is added (version.json, immutable). */
export const VersionRecord = z.object({
  format: z.literal('lesiondesk-model-version/1'),
  id: z.string(),
  base: z.string().nullable(),
  lineage: z.array(z.string()),
  created: z.string(),
  jobId: z.string().nullable(),
  corrections: z.number().int().min(0).nullable(),
  validation: z.object({ n: z.number(), base: z.number(), candidate: z.number() }).nullable(),
  anchor: z.object({ n: z.number(), base: z.number(), candidate: z.number() }).nullable(),
  gate: z.object({ activated: z.boolean(), reason: z.string() }).nullable(),
});
export type VersionRecord = z.infer<typeof VersionRecord>;

const ActiveFile = z.object({
  format: z.literal('lesiondesk-active-model/1'),
  active: z.string().nullable(),
  /** Earlier active versions, oldest first: roll back returns to the last one. */
  history: z.array(z.string()),
  changed: z.string().optional(),
});
type ActiveFile = z.infer<typeof ActiveFile>;

/** One version with everything needed to load it or explain why it cannot be loaded. */
export interface StoredVersion {
  id: string;
  kind: 'shipped' | 'fine-tuned';
  /** The card and files; null when the card itself is unreadable. */
  entry: ModelEntry | null;
  /** The PyTorch checkpoint a job fine-tunes from (null when absent). */
  checkpointPath: string | null;
  dir: string;
  problem: string | null;
  record: VersionRecord | null;
}

/** The model to run now, and why it is not the one the user chose (if it is not). */
export interface ActiveModel {
  version: StoredVersion;
  /** Set when the chosen version is damaged or missing and another one stands in. */
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

/** The model store (see the module comment). Mutations are serialised within a process. */
export class ModelStore {
  readonly modelsDir: string;
  readonly versionsDir: string;
  private readonly activeFile: string;
  private queue: Promise<unknown> = Promise.resolve();
  /** sha256 by path, size and mtime: listing does not re-hash unchanged files. */
  private readonly hashCache = new Map<string, { size: number; mtimeMs: number; sha256: string }>();

  constructor(private readonly options: ModelStoreOptions) {
    this.modelsDir = path.join(options.dataDir, 'models');
    this.versionsDir = path.join(this.modelsDir, 'versions');
    this.activeFile = path.join(this.modelsDir, 'active.json');
  }

  private serialise<T>(task: () => Promise<T>): Promise<T> {
    const run = this.queue.then(task, task);
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async sha256(file: string): Promise<string> {
    const info = await stat(file);
    const cached = this.hashCache.get(file);
    if (cached && cached.size === info.size && cached.mtimeMs === info.mtimeMs) return cached.sha256;
    const sha256 = await sha256File(file);
    this.hashCache.set(file, { size: info.size, mtimeMs: info.mtimeMs, sha256 });
    return sha256;
  }

  /** Checks the ONNX file against the card; returns the problem or null. */
  private async integrityProblem(entry: ModelEntry): Promise<string | null> {
    if (!existsSync(entry.onnxPath)) return `${path.basename(entry.onnxPath)} is missing`;
    try {
      const actual = await this.sha256(entry.onnxPath);
      if (actual !== entry.card.sha256) {
        return `${path.basename(entry.onnxPath)} does not match its card (sha256 ${actual.slice(0, 12)}..., the card says ${entry.card.sha256.slice(0, 12)}...): the file was changed or damaged`;
      }
    } catch (error) {
      return `${path.basename(entry.onnxPath)} could not be read (${errorMessage(error)})`;
    }
    return null;
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
      const checkpoint = entry.cardPath.replace(/\.json$/, '.pt');
      out.push({
        id,
        kind: 'shipped',
        entry,
        checkpointPath: existsSync(checkpoint) ? checkpoint : null,
        dir: entry.dir,
        problem: await this.integrityProblem(entry),
        record: null,
      });
    }
    for (const p of catalog.problems) {
      out.push({ id: path.basename(p.cardPath, '.json'), kind: 'shipped', entry: null, checkpointPath: null, dir: path.dirname(p.cardPath), problem: p.message, record: null });
    }
    return out.sort((a, b) => (a.entry && b.entry ? compareSemver(b.entry.card.version, a.entry.card.version) : a.entry ? -1 : 1));
  }

  /** One fine-tuned version folder, checked. */
  private async readVersionDir(dir: string): Promise<StoredVersion> {
    const folderId = path.basename(dir);
    let record: VersionRecord | null = null;
    let problem: string | null = null;
    try {
      record = VersionRecord.parse(JSON.parse(await readFile(path.join(dir, versionFiles.record), 'utf8')));
    } catch (error) {
      problem = `${versionFiles.record} is missing or unreadable (${errorMessage(error).split('\n')[0]})`;
    }
    let entry: ModelEntry | null = null;
    try {
      entry = await readModelCard(path.join(dir, versionFiles.card));
    } catch (error) {
      problem ??= errorMessage(error);
    }
    if (entry) {
      if (versionId(entry.card) !== folderId) problem ??= `its card names ${versionId(entry.card)}, not ${folderId}`;
      problem ??= await this.integrityProblem(entry);
    }
    const checkpoint = path.join(dir, versionFiles.checkpoint);
    return { id: folderId, kind: 'fine-tuned', entry, checkpointPath: existsSync(checkpoint) ? checkpoint : null, dir, problem, record };
  }

  /** Every version: shipped first, then fine-tuned ones oldest first. */
  async versions(): Promise<StoredVersion[]> {
    const shipped = await this.shipped();
    let names: string[] = [];
    try {
      names = (await readdir(this.versionsDir, { withFileTypes: true }))
        .filter((d) => d.isDirectory() && !d.name.startsWith('.'))
        .map((d) => d.name);
    } catch {
      // No fine-tuned versions yet.
    }
    const tuned = await Promise.all(names.map((n) => this.readVersionDir(path.join(this.versionsDir, n))));
    tuned.sort((a, b) => (a.record?.created ?? '').localeCompare(b.record?.created ?? '') || a.id.localeCompare(b.id));
    return [...shipped, ...tuned];
  }

  private async readActiveFile(): Promise<ActiveFile> {
    try {
      return ActiveFile.parse(JSON.parse(await readFile(this.activeFile, 'utf8')));
    } catch {
      // Missing (first run) or damaged: the shipped model is active, as on first run.
      return { format: 'lesiondesk-active-model/1', active: null, history: [] };
    }
  }

  private async writeActiveFile(file: ActiveFile): Promise<void> {
    await writeFileAtomic(this.activeFile, `${JSON.stringify({ ...file, changed: new Date().toISOString() }, null, 2)}\n`);
  }

  /**
   * The version to run: the chosen one when intact; else its nearest intact ancestor; else
   * the newest intact shipped model. Throws when nothing at all can be loaded.
   */
  async active(): Promise<ActiveModel> {
    return this.resolveActive(await this.versions(), await this.readActiveFile());
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

  /** The list the renderer and `lesiondesk models` show. */
  async list(): Promise<ModelVersionList> {
    const all = await this.versions();
    const file = await this.readActiveFile();
    const activeId = this.activeIdOrNull(all, file);
    const previous = this.rollbackTarget(all, file, activeId);
    return { active: activeId, previous, versions: all.map((v) => this.describe(v, activeId)) };
  }

  private describe(v: StoredVersion, activeId: string | null): ModelVersion {
    const card = v.entry?.card ?? null;
    const r = v.record;
    const lineage = r?.lineage ?? [v.id];
    const compare = (c: VersionRecord['validation']): DiceComparison | null => (c ? { n: c.n, base: c.base, candidate: c.candidate } : null);
    return {
      id: v.entry ? versionId(v.entry.card) : v.id.includes('@') ? v.id : `${v.id}@0.0.0`,
      name: card?.name ?? v.id.split('@')[0]!,
      version: card?.version ?? v.id.split('@')[1] ?? '0.0.0',
      kind: v.kind,
      status: v.problem === null && v.entry ? 'ok' : 'damaged',
      problem: v.problem,
      active: v.id === activeId,
      base: r?.base ?? null,
      lineage,
      created: r?.created ?? (typeof card?.created === 'string' ? card.created : null),
      corrections: r?.corrections ?? null,
      validation: compare(r?.validation ?? null),
      anchor: compare(r?.anchor ?? null),
      gate: (r?.gate as GateDecision | null) ?? null,
      card: card ? ({ ...card } as Record<string, unknown>) : {},
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

  /** Makes a version active (remembering the current one for roll back). */
  activate(id: string): Promise<{ active: string; previous: string | null }> {
    return this.serialise(async () => {
      const target = await this.get(id);
      if (target.problem !== null || !target.entry) throw new ModelStoreError(`${id} cannot be activated: ${target.problem ?? 'its card is unreadable'}`);
      const all = await this.versions();
      const file = await this.readActiveFile();
      const current = this.activeIdOrNull(all, file);
      if (current === id) return { active: id, previous: null };
      const history = current ? [...file.history.filter((h) => h !== current), current] : file.history;
      await this.writeActiveFile({ format: 'lesiondesk-active-model/1', active: id, history: history.slice(-50) });
      return { active: id, previous: current };
    });
  }

  /** Returns to the previously active version. */
  rollback(): Promise<{ active: string; previous: string }> {
    return this.serialise(async () => {
      const all = await this.versions();
      const file = await this.readActiveFile();
      const current = this.resolveActive(all, file).version.id;
      const target = this.rollbackTarget(all, file, current);
      if (!target) throw new ModelStoreError(`there is no earlier active version to roll back to (${current} is the only one used so far)`);
      const history = file.history.slice(0, file.history.lastIndexOf(target));
      await this.writeActiveFile({ format: 'lesiondesk-active-model/1', active: target, history });
      return { active: target, previous: current };
    });
  }

  /** Deletes a fine-tuned version (never the shipped one, never the active one). */
  delete(id: string): Promise<void> {
    return this.serialise(async () => {
      const target = await this.get(id);
      if (target.kind === 'shipped') throw new ModelStoreError(`${id} is the shipped model; it is the root of every version and cannot be deleted`);
      const all = await this.versions();
      const file = await this.readActiveFile();
      const current = this.activeIdOrNull(all, file);
      if (current === id || file.active === id) throw new ModelStoreError(`${id} is the active model; activate or roll back to another version first`);
      // Move aside first, so a failed delete never leaves half a version that still lists.
      const trash = path.join(this.versionsDir, `.deleted-${id}-${process.pid}-${Date.now()}`);
      await rename(target.dir, trash);
      await rm(trash, { recursive: true, force: true });
      if (file.history.includes(id)) {
        await this.writeActiveFile({ ...file, history: file.history.filter((h) => h !== id) });
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
   * Moves a finished job's result folder (model.onnx, model.json, model.pt, metrics.json) into
   * the store as a new immutable version. The folder must be on the same disk as the store
   * (jobs live in the same user-data folder). The rename is the commit: before it nothing is
   * listed, after it the whole version is.
   */
  add(resultDir: string, record: Omit<VersionRecord, 'format' | 'id' | 'lineage'>): Promise<StoredVersion> {
    return this.serialise(async () => {
      const entry = await readModelCard(path.join(resultDir, versionFiles.card));
      if (path.basename(entry.onnxPath) !== versionFiles.onnx) {
        throw new ModelStoreError(`the job's card names ${entry.card.file}, expected ${versionFiles.onnx}`);
      }
      const problem = await this.integrityProblem(entry);
      if (problem) throw new ModelStoreError(`the job's result is not usable: ${problem}`);
      const id = versionId(entry.card);
      const target = path.join(this.versionsDir, id);
      if (existsSync(target)) throw new ModelStoreError(`a version ${id} already exists`);
      let lineage = [id];
      if (record.base) {
        const base = (await this.versions()).find((v) => v.id === record.base);
        lineage = [...(base?.record?.lineage ?? [record.base]), id];
      }
      const full: VersionRecord = { format: 'lesiondesk-model-version/1', id, lineage, ...record };
      await writeFile(path.join(resultDir, versionFiles.record), `${JSON.stringify(full, null, 2)}\n`);
      await mkdir(this.versionsDir, { recursive: true });
      await rename(resultDir, target);
      return this.readVersionDir(target);
    });
  }
}
