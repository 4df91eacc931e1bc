import { execFileSync } from 'node:child_process';
import { copyFileSync, cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ModelVersionList } from '../../preload/api.js';
import { ModelStoreError } from './errors.js';
import { ModelStore, versionFiles, type VersionRecord } from './modelStore.js';

const repoModels = path.resolve(import.meta.dirname, '../../models');
// The shipped card without its `files` (they name the shipped checkpoint, not a version's).
const { files: _shippedFiles, ...shippedCard } = JSON.parse(readFileSync(path.join(repoModels, 'scsonet-isic2017-v1.json'), 'utf8')) as Record<string, unknown>;
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
    changed: { n: 3, base: 0.7, candidate: 0.78 },
    unchanged: { n: 2, base: 1, candidate: 0.97 },
    anchor: { n: 50, base: 0.88, candidate: 0.879 },
    gate: {
      activated,
      reason: activated ? 'Activated: ...' : 'Kept as a candidate: ...',
      parts: { judged: true, changed: 'passed', unchanged: 'passed', anchor: 'passed' },
    },
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
    // The gate's parts, so the Models list can say why it was kept or activated.
    expect([listed.changed, listed.unchanged]).toEqual([
      { n: 3, base: 0.7, candidate: 0.78 },
      { n: 2, base: 1, candidate: 0.97 },
    ]);
    expect(listed.gate?.parts).toEqual({ judged: true, changed: 'passed', unchanged: 'passed', anchor: 'passed' });

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

  it('writes the active pointer atomically; a damaged pointer is reported, its last good copy used, the history kept', async () => {
    const v11 = await store.add(makeResult('1.1.0'), record(shippedId, true));
    const v12 = await store.add(makeResult('1.2.0', v11.id), record(v11.id, true));
    await store.activate(v11.id);
    await store.activate(v12.id);
    const file = path.join(store.modelsDir, 'active.json');
    expect(JSON.parse(readFileSync(file, 'utf8'))).toMatchObject({ active: v12.id, history: [shippedId, v11.id] });
    writeFileSync(file, '{"active": ');

    const list = await store.list();
    expect(list.active).toBe(v12.id);
    expect(list.previous).toBe(v11.id);
    expect(list.problem).toMatch(/active-model pointer active\.json is damaged .*last good copy \(scsonet-isic2017@1\.2\.0 active, 2 earlier versions/);
    expect((await store.active()).fallbackReason).toMatch(/damaged/);
    // Nothing was rewritten by reading it; the next change keeps the damaged file beside the new pointer.
    expect(readFileSync(file, 'utf8')).toBe('{"active": ');
    expect(await store.rollback()).toEqual({ active: v11.id, previous: v12.id });
    expect(readdirSync(store.modelsDir).filter((n) => n.startsWith('active.damaged-'))).toHaveLength(1);
    expect((await store.list()).problem).toBeNull();
  });

  it('says so when the pointer and its copy are both damaged, and runs the shipped model', async () => {
    const v11 = await store.add(makeResult('1.1.0'), record(shippedId, true));
    await store.activate(v11.id);
    writeFileSync(path.join(store.modelsDir, 'active.json'), JSON.stringify({ format: 'lesiondesk-active-model/1', active: 'x\u0007@1', history: 5 }));
    writeFileSync(path.join(store.modelsDir, 'active.last-good.json'), '');
    const list = await store.list();
    expect(list.active).toBe(shippedId);
    expect(list.problem).toMatch(/is damaged .* no good copy, so the shipped model runs/);
  });

  it('a second store on the same folder (the CLI beside the app) sees the same versions and pointer', async () => {
    const v = await store.add(makeResult('1.1.0'), record(shippedId, true));
    await store.activate(v.id);
    const other = new ModelStore({ dataDir: path.join(root, 'data'), shippedDirs: [shippedDir] });
    expect((await other.list()).active).toBe(v.id);
  });
});

describe('what the store reads from the folder', () => {
  it('lists a version whose model.pt was replaced as damaged, and trusts no checkpoint its card does not hash', async () => {
    const v11 = await store.add(makeResult('1.1.0'), record(shippedId, false));
    expect(v11.entry?.card.files?.[versionFiles.checkpoint]).toMatch(/^[0-9a-f]{64}$/);
    expect(v11.checkpointPath).toBe(path.join(store.versionsDir, v11.id, versionFiles.checkpoint));
    expect((await store.get(shippedId)).checkpointPath).toMatch(/scsonet-isic2017-v1\.pt$/);

    writeFileSync(path.join(store.versionsDir, v11.id, versionFiles.checkpoint), 'cposix\nsystem\n(Vtouch /tmp/pwned\ntR.');
    const damaged = await store.get(v11.id);
    expect(damaged.problem).toMatch(/^model\.pt does not match its card/);
    await expect(store.activate(v11.id)).rejects.toThrow(/cannot be activated: model\.pt does not match/);

    // A version from before checkpoints were hashed: it runs, its checkpoint is not used for fine-tuning.
    const v12 = await store.add(makeResult('1.2.0'), record(shippedId, false));
    const cardPath = path.join(store.versionsDir, v12.id, versionFiles.card);
    const { files: _files, ...legacy } = JSON.parse(readFileSync(cardPath, 'utf8')) as Record<string, unknown>;
    writeFileSync(cardPath, JSON.stringify(legacy));
    const old = await store.get(v12.id);
    expect(old.problem).toBeNull();
    expect(old.checkpointPath).toBeNull();
    expect(old.checkpointProblem).toMatch(/records no hash for model\.pt .* not trusted for fine-tuning/);
  });

  it('lists copies, empty and hand-made folders as unknown or damaged, never as a second version with the same id', async () => {
    const v11 = await store.add(makeResult('1.1.0'), record(shippedId, true));
    const original = path.join(store.versionsDir, v11.id);
    cpSync(original, path.join(store.versionsDir, `${v11.id} (copy)`), { recursive: true });
    cpSync(original, path.join(store.versionsDir, 'scsonet-isic2017@1.4.0'), { recursive: true });
    cpSync(original, path.join(store.versionsDir, shippedId), { recursive: true });
    mkdirSync(path.join(store.versionsDir, 'empty'));
    mkdirSync(path.join(store.versionsDir, 'scsonet-isic2017@1.3.0'));
    writeFileSync(path.join(store.versionsDir, 'notes.txt'), 'x');
    symlinkSync(original, path.join(store.versionsDir, 'linked@1.0.0'));

    const list = ModelVersionList.parse(await store.list()); // what the HTTP transport checks before answering
    expect(list.versions.map((v) => [v.id, v.status])).toEqual([
      [shippedId, 'ok'],
      ['scsonet-isic2017@1.3.0', 'damaged'],
      [v11.id, 'ok'],
      ['scsonet-isic2017@1.4.0', 'damaged'],
    ]);
    expect(list.versions.find((v) => v.id === 'scsonet-isic2017@1.4.0')!.problem).toMatch(/names scsonet-isic2017@1\.1\.0, not scsonet-isic2017@1\.4\.0 \(a copied or renamed folder\?\)/);
    expect(list.unknown.map((u) => u.name)).toEqual(['empty', 'linked@1.0.0', 'notes.txt', shippedId, `${v11.id} (copy)`]);
    expect(list.unknown.every((u) => u.problem.length > 0)).toBe(true);

    // Operations succeed cleanly, and delete removes exactly the folder chosen.
    await store.activate(v11.id);
    await store.delete('scsonet-isic2017@1.4.0');
    expect(existsSync(original)).toBe(true);
    expect(existsSync(path.join(store.versionsDir, 'scsonet-isic2017@1.4.0'))).toBe(false);
    await expect(store.delete(`${v11.id} (copy)`)).rejects.toThrow(/is not a model version .* remove .* by hand/);
    expect(existsSync(path.join(store.versionsDir, `${v11.id} (copy)`))).toBe(true);
    expect((await store.list()).active).toBe(v11.id);
  });

  it('reads only regular files: a model.onnx linked to a device, a pipe or a link out of the store is damaged, at once', async () => {
    const ids = await Promise.all(['1.1.0', '1.2.0', '1.3.0'].map(async (v) => (await store.add(makeResult(v), record(shippedId, false))).id));
    const file = (id: string, name: string) => path.join(store.versionsDir, id, name);
    rmSync(file(ids[0]!, versionFiles.onnx));
    symlinkSync('/dev/zero', file(ids[0]!, versionFiles.onnx));
    rmSync(file(ids[1]!, versionFiles.checkpoint));
    execFileSync('mkfifo', [file(ids[1]!, versionFiles.checkpoint)]);
    rmSync(file(ids[2]!, versionFiles.metrics));
    symlinkSync('/etc/hostname', file(ids[2]!, versionFiles.metrics));

    const problems = Object.fromEntries((await store.list()).versions.map((v) => [v.id, v.problem]));
    expect(problems[ids[0]!]).toMatch(/^model\.onnx: model\.onnx is a link/);
    expect(problems[ids[1]!]).toMatch(/^model\.pt: model\.pt is not a regular file/);
    expect(problems[ids[2]!]).toMatch(/^metrics\.json: metrics\.json is a link/);
  });
});
