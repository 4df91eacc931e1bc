import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ModelStoreError } from './errors.js';
import { ModelStore, versionFiles, type VersionRecord } from './modelStore.js';

const repoModels = path.resolve(import.meta.dirname, '../../models');
const shippedCard = JSON.parse(readFileSync(path.join(repoModels, 'scsonet-isic2017-v1.json'), 'utf8')) as Record<string, unknown>;
const shippedId = 'scsonet-isic2017@1.0.0';

let root: string;
let shippedDir: string;
let store: ModelStore;

/** The shipped model copied to a temporary read-only folder (card, ONNX, checkpoint). */
function makeShipped(): void {
  shippedDir = path.join(root, 'shipped');
  mkdirSync(shippedDir, { recursive: true });
  for (const ext of ['.json', '.onnx', '.pt']) copyFileSync(path.join(repoModels, `scsonet-isic2017-v1${ext}`), path.join(shippedDir, `scsonet-isic2017-v1${ext}`));
}

/** A job result folder as the trainer writes it (the shipped ONNX under a new version's card). */
function makeResult(version: string, base = shippedId): string {
  const dir = path.join(root, 'jobs', `result-${version}`);
  mkdirSync(dir, { recursive: true });
  copyFileSync(path.join(repoModels, 'scsonet-isic2017-v1.onnx'), path.join(dir, versionFiles.onnx));
  copyFileSync(path.join(repoModels, 'scsonet-isic2017-v1.pt'), path.join(dir, versionFiles.checkpoint));
  const [name, baseVersion] = base.split('@');
  const card = { ...shippedCard, version, file: versionFiles.onnx, base: { name, version: baseVersion, sha256: 'a'.repeat(64) } };
  writeFileSync(path.join(dir, versionFiles.card), JSON.stringify(card));
  writeFileSync(path.join(dir, versionFiles.metrics), '{}');
  return dir;
}

function record(base: string, activated: boolean): Omit<VersionRecord, 'format' | 'id' | 'lineage'> {
  return {
    base,
    created: new Date().toISOString(),
    jobId: `job-${Math.random()}`,
    corrections: 12,
    validation: { n: 5, base: 0.8, candidate: 0.85 },
    anchor: { n: 50, base: 0.88, candidate: 0.879 },
    gate: { activated, reason: activated ? 'Activated: ...' : 'Kept as a candidate: ...' },
  };
}

beforeEach(() => {
  root = mkdtempSync(path.join(tmpdir(), 'lesiondesk-store-'));
  makeShipped();
  store = new ModelStore({ dataDir: path.join(root, 'data'), shippedDirs: [shippedDir] });
});

afterEach(() => rmSync(root, { recursive: true, force: true }));

describe('model store', () => {
  it('starts with the shipped model active and nothing to roll back to', async () => {
    const list = await store.list();
    expect(list.active).toBe(shippedId);
    expect(list.previous).toBeNull();
    expect(list.versions.map((v) => [v.id, v.kind, v.status, v.active])).toEqual([[shippedId, 'shipped', 'ok', true]]);
    expect((await store.active()).version.checkpointPath).toMatch(/scsonet-isic2017-v1\.pt$/);
  });

  it('adds a version with its lineage, activates, rolls back and deletes', async () => {
    const v11 = await store.add(makeResult('1.1.0'), record(shippedId, true));
    expect(v11.id).toBe('scsonet-isic2017@1.1.0');
    expect(existsSync(path.join(root, 'jobs', 'result-1.1.0'))).toBe(false); // moved, not copied
    await store.activate(v11.id);
    const v12 = await store.add(makeResult('1.2.0', v11.id), record(v11.id, true));
    expect(v12.record?.lineage).toEqual([shippedId, 'scsonet-isic2017@1.1.0', 'scsonet-isic2017@1.2.0']);
    expect(await store.activate(v12.id)).toEqual({ active: v12.id, previous: v11.id });

    let list = await store.list();
    expect(list.active).toBe(v12.id);
    expect(list.previous).toBe(v11.id);
    const listed = list.versions.find((v) => v.id === v12.id)!;
    expect(listed).toMatchObject({ kind: 'fine-tuned', status: 'ok', active: true, base: v11.id, corrections: 12 });
    expect(listed.validation).toEqual({ n: 5, base: 0.8, candidate: 0.85 });

    expect(await store.rollback()).toEqual({ active: v11.id, previous: v12.id });
    expect(await store.rollback()).toEqual({ active: shippedId, previous: v11.id });
    await expect(store.rollback()).rejects.toThrow(/no earlier active version/);

    await store.delete(v12.id);
    list = await store.list();
    expect(list.versions.map((v) => v.id)).toEqual([shippedId, v11.id]);
  });

  it('never deletes the shipped or the active version', async () => {
    await expect(store.delete(shippedId)).rejects.toThrow(/shipped model/);
    const v = await store.add(makeResult('1.1.0'), record(shippedId, true));
    await store.activate(v.id);
    await expect(store.delete(v.id)).rejects.toThrow(/is the active model/);
    await expect(store.delete('scsonet-isic2017@9.9.9')).rejects.toBeInstanceOf(ModelStoreError);
  });

  it('lists a tampered version as damaged, refuses it, and falls back to its nearest intact ancestor', async () => {
    const v11 = await store.add(makeResult('1.1.0'), record(shippedId, true));
    await store.activate(v11.id);
    const v12 = await store.add(makeResult('1.2.0', v11.id), record(v11.id, true));
    await store.activate(v12.id);
    const onnx = path.join(store.versionsDir, v12.id, versionFiles.onnx);
    const bytes = readFileSync(onnx);
    bytes[bytes.length - 10] ^= 0xff;
    writeFileSync(onnx, bytes);

    const list = await store.list();
    const damaged = list.versions.find((v) => v.id === v12.id)!;
    expect(damaged.status).toBe('damaged');
    expect(damaged.problem).toMatch(/does not match its card/);
    expect(list.active).toBe(v11.id);
    const active = await store.active();
    expect(active.version.id).toBe(v11.id);
    expect(active.fallbackReason).toMatch(/scsonet-isic2017@1\.2\.0 is damaged .* using scsonet-isic2017@1\.1\.0 instead/);
    await expect(store.activate(v12.id)).rejects.toThrow(/cannot be activated: .*does not match its card/);
  });

  it('refuses a result whose ONNX does not match its card, and leaves the store unchanged', async () => {
    const dir = makeResult('1.1.0');
    writeFileSync(path.join(dir, versionFiles.onnx), 'not onnx');
    await expect(store.add(dir, record(shippedId, false))).rejects.toThrow(/not usable: model\.onnx does not match its card/);
    expect((await store.list()).versions).toHaveLength(1);
  });

  it('numbers new versions above every existing one and refuses a duplicate', async () => {
    expect(await store.nextVersion('scsonet-isic2017')).toBe('1.1.0');
    await store.add(makeResult('1.1.0'), record(shippedId, false));
    expect(await store.nextVersion('scsonet-isic2017')).toBe('1.2.0');
    await expect(store.add(makeResult('1.1.0'), record(shippedId, false))).rejects.toThrow(/already exists/);
  });

  it('writes the active pointer atomically and survives a damaged pointer file', async () => {
    const v = await store.add(makeResult('1.1.0'), record(shippedId, true));
    await store.activate(v.id);
    const file = path.join(store.modelsDir, 'active.json');
    expect(JSON.parse(readFileSync(file, 'utf8'))).toMatchObject({ active: v.id, history: [shippedId] });
    writeFileSync(file, '{"active": ');
    expect((await store.list()).active).toBe(shippedId);
  });

  it('a second store on the same folder (the CLI beside the app) sees the same versions and pointer', async () => {
    const v = await store.add(makeResult('1.1.0'), record(shippedId, true));
    await store.activate(v.id);
    const other = new ModelStore({ dataDir: path.join(root, 'data'), shippedDirs: [shippedDir] });
    expect((await other.list()).active).toBe(v.id);
  });
});
