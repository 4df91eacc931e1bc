/**
 * Fuzz over the store's files (ISSUE 18, item 3): cards, version records, version files, the
 * active pointer and its copy, checkpoints and folder names, each replaced by wrong types,
 * control characters, huge values, links, pipes, directories and pickles. Every case must end
 * in a listed version, a damaged version with a reason or an unknown folder, with a list the
 * contract accepts (what the HTTP transport checks before answering): never a throw or a hang.
 * Each case has its own time limit; the version's large files are hard links (replaced, never
 * written through), so the whole run takes a few seconds.
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, linkSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, statSync, symlinkSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ModelVersionList } from '../../preload/api.js';
import { ModelStore, versionFiles } from './modelStore.js';
import { sizeLimits } from './storeFiles.js';

const repoModels = path.resolve(import.meta.dirname, '../../models');
const shippedId = 'scsonet-isic2017@1.0.0';
const versionId = 'scsonet-isic2017@1.1.0';
const caseLimitMs = 3000;

let root: string;
let shippedDir: string;
let template: string;

/** A data folder with one sealed version (card, ONNX, checkpoint, metrics, evidence, record, log), active. */
async function makeTemplate(): Promise<void> {
  shippedDir = path.join(root, 'shipped');
  mkdirSync(shippedDir);
  for (const ext of ['.json', '.onnx', '.pt']) copyFileSync(path.join(repoModels, `scsonet-isic2017-v1${ext}`), path.join(shippedDir, `scsonet-isic2017-v1${ext}`));
  const result = path.join(root, 'result');
  mkdirSync(path.join(result, 'evidence'), { recursive: true });
  copyFileSync(path.join(repoModels, 'scsonet-isic2017-v1.onnx'), path.join(result, versionFiles.onnx));
  copyFileSync(path.join(repoModels, 'scsonet-isic2017-v1.pt'), path.join(result, versionFiles.checkpoint));
  const { files: _files, ...card } = JSON.parse(readFileSync(path.join(repoModels, 'scsonet-isic2017-v1.json'), 'utf8')) as Record<string, unknown>;
  writeFileSync(path.join(result, versionFiles.card), JSON.stringify({ ...card, version: '1.1.0', file: versionFiles.onnx }));
  writeFileSync(path.join(result, versionFiles.metrics), '{"format":"lesiondesk-finetune-metrics/1"}');
  writeFileSync(path.join(result, versionFiles.log), 'epoch 1\n');
  writeFileSync(path.join(result, 'evidence.json'), '{"format":"lesiondesk-finetune-evidence/1","cases":[]}');
  writeFileSync(path.join(result, 'evidence', '0001.image.png'), 'png');
  template = path.join(root, 'template');
  const store = new ModelStore({ dataDir: template, shippedDirs: [shippedDir] });
  const added = await store.add(result, { base: shippedId, created: '2026-12-01T00:00:00Z', jobId: 'job-1', corrections: 3, validation: null, anchor: null, gate: null });
  await store.activate(added.id);
}

/** A copy of the template: small files copied, large ones hard-linked (cases replace files, never write into them). */
function copyTree(from: string, to: string): void {
  mkdirSync(to, { recursive: true });
  for (const e of readdirSync(from, { withFileTypes: true })) {
    const a = path.join(from, e.name);
    const b = path.join(to, e.name);
    if (e.isDirectory()) copyTree(a, b);
    else if (statSync(a).size > 64 * 1024) linkSync(a, b);
    else copyFileSync(a, b);
  }
}

/** Replaces a file by something else (unlinking first, so a hard-linked template is never changed). */
function replace(file: string, make: (file: string) => void): void {
  rmSync(file, { recursive: true, force: true });
  make(file);
}

const text = (content: string) => (file: string) => writeFileSync(file, content);
const deep = (n: number) => `${'['.repeat(n)}${']'.repeat(n)}`;
const control = 'a\u0000\u0007\u001b[31m\u2028\u202e';

/** What a file may be replaced with. */
const payloads: Record<string, (file: string) => void> = {
  missing: () => undefined,
  empty: text(''),
  'not JSON': text('{"format": '),
  null: text('null'),
  array: text('[]'),
  string: text('"x"'),
  'huge number': text('1e999'),
  'control characters': text(JSON.stringify(control)),
  'deep nesting': text(deep(5000)),
  'a folder': (file) => mkdirSync(file),
  'a link to a device': (file) => symlinkSync('/dev/zero', file),
  'a link out of the store': (file) => symlinkSync('/etc/hostname', file),
  'a dangling link': (file) => symlinkSync(path.join(root, 'nowhere'), file),
  'a pipe': (file) => execFileSync('mkfifo', [file]),
  'larger than any file may be': (file) => {
    writeFileSync(file, '');
    truncateSync(file, sizeLimits.onnx + 1); // sparse: nothing is written
  },
  'a pickle that runs a command': text('\u0080\u0004\u0095\u0020\u0000cposix\nsystem\n(Vtouch /tmp/lesiondesk-pwned\ntR.'),
};

const shippedCardKeys = Object.keys(JSON.parse(readFileSync(path.join(repoModels, 'scsonet-isic2017-v1.json'), 'utf8')) as object);
const recordKeys = ['format', 'id', 'base', 'lineage', 'created', 'jobId', 'corrections', 'validation', 'anchor', 'gate'];

/** Field-level changes to a JSON file of the version (each top-level key set to a hostile value). */
function fieldCases(file: string, keys: string[]): [string, (dir: string) => void][] {
  const values = Object.entries({ null: null, number: -1e308, 'control characters': control, 'long string': 'x'.repeat(200_000), object: { a: [1] }, array: [control, 1, null] });
  const cases: [string, (dir: string) => void][] = [];
  // Each key gets two of the values in turn (every value is used on many keys), to keep the run short.
  for (const [i, key] of keys.entries()) {
    for (const [label, value] of [values[i % values.length]!, values[(i + 3) % values.length]!]) {
      cases.push([
        `${file} ${key} = ${label}`,
        (dir) => {
          const target = path.join(dir, 'models', 'versions', versionId, file);
          const json = JSON.parse(readFileSync(target, 'utf8')) as Record<string, unknown>;
          replace(target, text(JSON.stringify({ ...json, [key]: value })));
        },
      ]);
    }
  }
  return cases;
}

function allCases(): [string, (dir: string) => void][] {
  const cases: [string, (dir: string) => void][] = [];
  // JSON files get every payload; the others every payload that is not just other content (which is a hash mismatch like any other).
  const jsonFiles = [versionFiles.card, versionFiles.record, 'evidence.json'];
  const binary = new Set(['missing', 'empty', 'a folder', 'a link to a device', 'a link out of the store', 'a dangling link', 'a pipe', 'larger than any file may be', 'a pickle that runs a command']);
  const inVersion = [...jsonFiles, versionFiles.onnx, versionFiles.checkpoint, versionFiles.metrics, versionFiles.log, 'evidence/0001.image.png'];
  for (const name of inVersion) {
    for (const [label, make] of Object.entries(payloads).filter(([label]) => jsonFiles.includes(name) || binary.has(label))) {
      cases.push([`${name} is ${label}`, (dir) => replace(path.join(dir, 'models', 'versions', versionId, ...name.split('/')), make)]);
    }
  }
  for (const name of ['active.json', 'active.last-good.json']) {
    for (const [label, make] of Object.entries(payloads)) cases.push([`${name} is ${label}`, (dir) => replace(path.join(dir, 'models', name), make)]);
  }
  cases.push(['version.json has Dice values out of range', (dir) => {
    const target = path.join(dir, 'models', 'versions', versionId, versionFiles.record);
    const json = JSON.parse(readFileSync(target, 'utf8')) as Record<string, unknown>;
    replace(target, text(JSON.stringify({ ...json, validation: { n: 1.5, base: 7, candidate: -1 }, gate: { activated: 'yes', reason: control } })));
  }]);
  cases.push(['version.json has a value that parses as Infinity', (dir) => {
    const target = path.join(dir, 'models', 'versions', versionId, versionFiles.record);
    replace(target, text(readFileSync(target, 'utf8').replace('"corrections": 3', '"corrections": 1e999')));
  }]);
  cases.push(['active.json names a version with control characters', (dir) => writeFileSync(path.join(dir, 'models', 'active.json'), JSON.stringify({ format: 'lesiondesk-active-model/1', active: `x${control}@1.0.0`, history: [] }))]);
  cases.push(['active.json has a history of 100k entries', (dir) => writeFileSync(path.join(dir, 'models', 'active.json'), JSON.stringify({ format: 'lesiondesk-active-model/1', active: versionId, history: Array(100_000).fill(shippedId) }))]);
  cases.push(...fieldCases(versionFiles.card, [...shippedCardKeys, 'files']), ...fieldCases(versionFiles.record, recordKeys));
  const versions = (dir: string) => path.join(dir, 'models', 'versions');
  const folderNames = ['a (copy)', `x${control.replace("\u0000", "")}@1.0.0`, '..@1.0.0', `${'v'.repeat(240)}@1.0.0`, 'ünïcode@1.2.0', shippedId, 'scsonet-isic2017@1.9.0'];
  for (const name of folderNames) {
    cases.push([`the version folder renamed to ${JSON.stringify(name)}`, (dir) => renameSync(path.join(versions(dir), versionId), path.join(versions(dir), name))]);
  }
  cases.push(['the version folder is a link', (dir) => {
    renameSync(path.join(versions(dir), versionId), path.join(dir, 'elsewhere'));
    symlinkSync(path.join(dir, 'elsewhere'), path.join(versions(dir), versionId));
  }]);
  cases.push(['an empty version folder', (dir) => mkdirSync(path.join(versions(dir), 'scsonet-isic2017@1.2.0'))]);
  cases.push(['a pipe in the versions folder', (dir) => execFileSync('mkfifo', [path.join(versions(dir), 'scsonet-isic2017@1.2.0')])]);
  cases.push(['an extra file in the version', (dir) => writeFileSync(path.join(versions(dir), versionId, 'extra.bin'), 'x')]);
  cases.push(['an extra folder in the version', (dir) => mkdirSync(path.join(versions(dir), versionId, 'code'))]);
  cases.push(['the versions folder is a file', (dir) => replace(versions(dir), text('x'))]);
  cases.push(['the models folder is a file', (dir) => replace(path.join(dir, 'models'), text('x'))]);
  return cases;
}

beforeAll(async () => {
  root = mkdtempSync(path.join(tmpdir(), 'lesiondesk-fuzz-'));
  await makeTemplate();
});

afterAll(() => rmSync(root, { recursive: true, force: true }));

const cases = allCases();

describe('the store under hostile files', () => {
  it('has cases for every kind of file', () => {
    expect(cases.length).toBeGreaterThan(150);
  });

  it.each(cases)(
    '%s',
    async (_name, mutate) => {
      const dir = mkdtempSync(path.join(root, 'case-'));
      copyTree(template, dir);
      mutate(dir);
      const store = new ModelStore({ dataDir: dir, shippedDirs: [shippedDir] });
      const list = ModelVersionList.parse(await store.list());
      // Every entry of the versions folder ends as a version (ok, or damaged with a reason) or an unknown folder.
      const versionsDir = path.join(dir, 'models', 'versions');
      const names = (() => {
        try {
          return readdirSync(versionsDir).filter((n) => !n.startsWith('.'));
        } catch {
          return [];
        }
      })();
      const listed = [...list.versions.filter((v) => v.kind === 'fine-tuned').map((v) => v.id), ...list.unknown.map((u) => u.name)];
      expect(listed.length).toBe(names.length);
      for (const v of list.versions) if (v.status === 'damaged') expect(v.problem).toBeTruthy();
      expect(new Set(list.versions.map((v) => v.id)).size).toBe(list.versions.length);
      // The shipped model is intact in every case: something always runs.
      const active = await store.active();
      expect(active.version.entry).not.toBeNull();
      expect(list.active).toBe(active.version.id);
      rmSync(dir, { recursive: true, force: true });
    },
    caseLimitMs,
  );
});
