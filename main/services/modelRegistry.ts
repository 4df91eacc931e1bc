/**
 * Finds model cards in the model folders (development `models/`, packaged
 * `process.resourcesPath/models`, the user's model folder), validates them, and checks each
 * ONNX file against its card before it is used. The folders are passed in, so this module
 * never imports electron.
 */
import { createHash } from 'node:crypto';
import { createReadStream, existsSync } from 'node:fs';
import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { ModelCardError, ModelLoadError, ModelNotFoundError } from './errors.js';
import { parseModelCard, type ModelCard } from './modelCard.js';
import { hashStoreFile, sizeLimits } from './storeFiles.js';

/** A model found on disk whose card is valid (the ONNX file is checked at load time). */
export interface ModelEntry {
  card: ModelCard;
  cardPath: string;
  onnxPath: string;
  dir: string;
}

/** A card-looking file that could not be used, with the reason. */
export interface ModelProblem {
  cardPath: string;
  message: string;
}

/** Everything found in the model folders. */
export interface ModelCatalog {
  /** Automatic models (segment whole images): the ones `segment`, the app and the store run. */
  models: ModelEntry[];
  problems: ModelProblem[];
  /**
   * Interactive models (card kind "interactive", for the Box and Click tools), kept apart so
   * that one is never picked to segment whole images, and its problems never list as a
   * damaged automatic model.
   */
  interactive?: ModelEntry[];
  interactiveProblems?: ModelProblem[];
}

/** True for a card (valid or not) that says it is an interactive model. */
export function isInteractiveCard(json: unknown): boolean {
  if (typeof json !== 'object' || json === null) return false;
  const card = json as { kind?: unknown; interactive?: unknown };
  return card.kind === 'interactive' || card.interactive !== undefined;
}

/** Reads and validates one card; resolves the ONNX path beside it. */
export async function readModelCard(cardPath: string): Promise<ModelEntry> {
  let text: string;
  try {
    text = await readFile(cardPath, 'utf8');
  } catch (error) {
    throw new ModelCardError(`model card ${cardPath} could not be read (${(error as Error).message})`, { cause: error });
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new ModelCardError(`model card ${cardPath} is not valid JSON (${(error as Error).message})`, { cause: error });
  }
  const card = parseModelCard(json, `model card ${path.basename(cardPath)}`);
  const dir = path.dirname(cardPath);
  return { card, cardPath, onnxPath: path.join(dir, card.file), dir };
}

function looksLikeCard(json: unknown): boolean {
  return typeof json === 'object' && json !== null && typeof (json as { format?: unknown }).format === 'string' &&
    (json as { format: string }).format.startsWith('lesiondesk-model-card');
}

/** Scans folders (missing ones are skipped) for `*.json` model cards. */
export async function scanModelDirs(dirs: string[]): Promise<ModelCatalog> {
  const models: ModelEntry[] = [];
  const problems: ModelProblem[] = [];
  const interactive: ModelEntry[] = [];
  const interactiveProblems: ModelProblem[] = [];
  const seen = new Set<string>();
  for (const dir of dirs) {
    let names: string[];
    try {
      names = await readdir(dir);
    } catch {
      continue;
    }
    for (const name of names.sort()) {
      if (!name.endsWith('.json')) continue;
      const cardPath = path.resolve(dir, name);
      if (seen.has(cardPath)) continue;
      seen.add(cardPath);
      let json: unknown;
      try {
        json = JSON.parse(await readFile(cardPath, 'utf8'));
      } catch {
        continue; // Not a card (or not JSON at all): other JSON files may live here.
      }
      if (!looksLikeCard(json)) continue;
      const kind = isInteractiveCard(json) ? { models: interactive, problems: interactiveProblems } : { models, problems };
      try {
        const entry = await readModelCard(cardPath);
        if (!existsSync(entry.onnxPath)) {
          kind.problems.push({ cardPath, message: `${entry.card.file} named by ${name} is missing` });
          continue;
        }
        kind.models.push(entry);
      } catch (error) {
        kind.problems.push({ cardPath, message: (error as Error).message });
      }
    }
  }
  return { models, problems, interactive, interactiveProblems };
}

function compareSemver(a: string, b: string): number {
  const pa = a.split(/[-+]/)[0].split('.').map(Number);
  const pb = b.split(/[-+]/)[0].split('.').map(Number);
  for (let i = 0; i < 3; i++) if (pa[i] !== pb[i]) return pa[i] - pb[i];
  return 0;
}

/**
 * Picks a model: `selector` may be a card path, an ONNX path, a folder, `name` or
 * `name@version`; without one, the highest version among the found models (earlier folders
 * win ties), so a fine-tuned model in the user folder replaces the shipped one.
 */
export async function resolveModel(catalog: ModelCatalog, selector?: string): Promise<ModelEntry> {
  if (selector && (selector.includes('/') || selector.includes('\\') || selector.endsWith('.json') || selector.endsWith('.onnx'))) {
    let target = path.resolve(selector);
    const info = await stat(target).catch(() => null);
    if (!info) throw new ModelNotFoundError(`model ${selector} does not exist`);
    if (info.isDirectory()) {
      const found = await scanModelDirs([target]);
      if (found.models.length === 0) {
        const why = found.problems.map((p) => p.message).join('; ');
        throw new ModelNotFoundError(`no usable model card in ${selector}${why ? `: ${why}` : ''}`);
      }
      return pickLatest(found.models);
    }
    if (target.endsWith('.onnx')) {
      const onnx = target;
      target = onnx.slice(0, -'.onnx'.length) + '.json';
      if (!existsSync(target)) {
        // The card may have another name: find the one in the same folder that names this file.
        const found = await scanModelDirs([path.dirname(onnx)]);
        const match = found.models.find((m) => m.onnxPath === onnx);
        if (!match) throw new ModelCardError(`${selector} has no model card beside it (a ${path.basename(target)}, or a card whose "file" is ${path.basename(onnx)})`);
        return match;
      }
    }
    if (!existsSync(target)) throw new ModelCardError(`${selector} has no model card (${path.basename(target)}) beside it`);
    const entry = await readModelCard(target);
    if (entry.card.kind === 'interactive') {
      throw new ModelCardError(`${selector} is the interactive model (for boxes and clicks); choose an automatic model to segment whole images`);
    }
    if (!existsSync(entry.onnxPath)) throw new ModelLoadError(`${entry.card.file} named by ${path.basename(target)} is missing`);
    return entry;
  }
  if (selector) {
    const [name, version] = selector.split('@');
    const matches = catalog.models.filter((m) => m.card.name === name && (!version || m.card.version === version));
    if (matches.length === 0) {
      const available = catalog.models.map((m) => `${m.card.name}@${m.card.version}`).join(', ') || 'none';
      throw new ModelNotFoundError(`no model ${selector} (available: ${available})`);
    }
    return pickLatest(matches);
  }
  if (catalog.models.length === 0) {
    const why = catalog.problems.map((p) => `${path.basename(p.cardPath)}: ${p.message}`).join('; ');
    throw new ModelNotFoundError(`no model found${why ? ` (${why})` : ''}`);
  }
  return pickLatest(catalog.models);
}

function pickLatest(models: ModelEntry[]): ModelEntry {
  let best = models[0];
  for (const m of models) if (compareSemver(m.card.version, best.card.version) > 0) best = m;
  return best;
}

/** SHA-256 of a file, streamed. */
export async function sha256File(file: string): Promise<string> {
  const hash = createHash('sha256');
  await new Promise<void>((resolve, reject) => {
    createReadStream(file)
      .on('data', (chunk) => hash.update(chunk))
      .on('end', () => resolve())
      .on('error', reject);
  });
  return hash.digest('hex');
}

/** Throws ModelLoadError unless the ONNX file's SHA-256 equals the card's (a regular file of bounded size, no link). */
export async function verifyChecksum(entry: ModelEntry): Promise<void> {
  let actual: string;
  try {
    actual = (await hashStoreFile(entry.onnxPath, sizeLimits.onnx)).sha256;
  } catch (error) {
    throw new ModelLoadError(`${entry.card.file} could not be read (${(error as Error).message})`, { cause: error });
  }
  if (actual !== entry.card.sha256) {
    throw new ModelLoadError(
      `${entry.card.file} does not match its card: sha256 is ${actual.slice(0, 12)}..., the card says ${entry.card.sha256.slice(0, 12)}... (the file was changed or the card belongs to another export)`,
    );
  }
}
