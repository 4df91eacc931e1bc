/**
 * A second model version in a data folder's model store, for tests and benchmarks that switch
 * models without a training run: the shipped weights under another version's card (what a
 * fine-tuning job adds, minus the training), added through the app's own ModelStore.
 */
import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ModelStore, versionFiles } from '../../main/services/modelStore.js';
import { modelsDir } from './browser-mode.js';

const shippedStem = 'scsonet-isic2017-v1';

/** Adds `<name>@<version>` (not activated) to `<dataDir>/models`; returns its id. */
export async function addModelVersion(dataDir: string, version: string): Promise<string> {
  // Without the shipped card's `files` (they name the shipped checkpoint; the store seals the version's own).
  const { files: _files, ...card } = JSON.parse(readFileSync(path.join(modelsDir, `${shippedStem}.json`), 'utf8')) as Record<string, unknown> & { name: string; version: string };
  const result = mkdtempSync(path.join(tmpdir(), 'lesiondesk-version-'));
  copyFileSync(path.join(modelsDir, `${shippedStem}.onnx`), path.join(result, versionFiles.onnx));
  copyFileSync(path.join(modelsDir, `${shippedStem}.pt`), path.join(result, versionFiles.checkpoint));
  const base = `${card.name}@${card.version}`;
  writeFileSync(path.join(result, versionFiles.card), JSON.stringify({ ...card, version, file: versionFiles.onnx, base: { name: card.name, version: card.version, sha256: 'a'.repeat(64) } }));
  writeFileSync(path.join(result, versionFiles.metrics), '{}');
  const store = new ModelStore({ dataDir, shippedDirs: [modelsDir] });
  const added = await store.add(result, {
    base,
    created: new Date().toISOString(),
    jobId: null,
    corrections: null,
    validation: null,
    anchor: null,
    gate: null,
  });
  return added.id;
}
