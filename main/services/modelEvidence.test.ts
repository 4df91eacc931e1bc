/**
 * Evidence and provenance read from files the real Python trainer wrote: a one-epoch, 64-px
 * fine-tune of the shipped checkpoint on 12 synthetic pairs with a manifest, added to a store.
 */
import { execFile } from 'node:child_process';
import { cp, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { caseProvenance, evidenceCase, modelEvidence } from './modelEvidence.js';
import { ModelStore } from './modelStore.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const modelsDir = path.join(repoRoot, 'models');
const python = process.env['LESIONDESK_PYTHON'] ?? '/usr/bin/python3';
const shipped = 'scsonet-isic2017@1.0.0';
const tuned = 'scsonet-isic2017@1.1.0';

let tmp: string;
let store: ModelStore;
let stems: string[];
const validation = new Set<string>();

function scsonet(...args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(python, ['-m', 'scsonet', ...args], { cwd: repoRoot, env: { ...process.env, PYTHONPATH: modelsDir }, maxBuffer: 64 << 20 }, (error, stdout, stderr) =>
      error ? reject(new Error(`scsonet ${args[0]} failed: ${stderr}`)) : resolve(stdout),
    );
  });
}

const caseOf = (stem: string) => `case-${stem}`;
const maskOf = (stem: string) => `mask-${stem}-v2`;

beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'lesiondesk-evidence-'));
  const job = path.join(tmp, 'job');
  await scsonet('synth', '--out', job, '--count', '12', '--seed', '5', '--size', '64x64');
  stems = (await readdir(path.join(job, 'images'))).map((n) => n.replace(/\.[^.]+$/, '')).sort();
  stems.slice(0, 5).forEach((s) => validation.add(s));
  const manifest = {
    format: 'lesiondesk-finetune-job/1',
    jobId: 'job-evidence',
    base: shipped,
    created: '2026-12-01T10:00:00Z',
    cases: stems.map((s) => ({ id: s, caseId: caseOf(s), maskVersionId: maskOf(s), split: validation.has(s) ? 'validation' : 'train' })),
  };
  await writeFile(path.join(job, 'manifest.json'), JSON.stringify(manifest));
  const result = path.join(tmp, 'result');
  await scsonet('finetune', '--base', path.join(modelsDir, 'scsonet-isic2017-v1.pt'), '--data', job, '--out', result, '--epochs', '1', '--lr', '1e-3', '--size', '64', '--threads', '2', '--no-replay', '--no-anchor');
  store = new ModelStore({ dataDir: path.join(tmp, 'data'), shippedDirs: [modelsDir] });
  await store.add(result, { base: shipped, created: '2026-12-01T10:05:00Z', jobId: 'job-evidence', corrections: 12, validation: null, anchor: null, gate: null });
}, 300_000);

afterAll(async () => {
  if (tmp) await rm(tmp, { recursive: true, force: true });
});

describe('model evidence (files from the real trainer)', () => {
  it('lists every validation case with its case and mask version ids, biggest Dice drop first', async () => {
    const evidence = await modelEvidence(store, tuned);
    expect(evidence).toMatchObject({ version: tuned, base: shipped, size: 64, missing: null });
    expect(evidence.rows.map((r) => r.id).sort()).toEqual([...validation].sort());
    for (const row of evidence.rows) expect(row).toMatchObject({ caseId: caseOf(row.id), maskVersionId: maskOf(row.id) });
    const changes = evidence.rows.map((r) => r.candidateDice - r.baseDice);
    expect(changes).toEqual([...changes].sort((a, b) => a - b));
    // The rows are the trainer's numbers, unchanged.
    const file = JSON.parse(await readFile(path.join(store.versionsDir, tuned, 'evidence.json'), 'utf8')) as { cases: { id: string; base_dsc: number; candidate_dsc: number }[] };
    for (const c of file.cases) expect(evidence.rows.find((r) => r.id === c.id)).toMatchObject({ baseDice: c.base_dsc, candidateDice: c.candidate_dsc });
  });

  it('gives one row the image, the approved mask and both predictions, whose Dice matches the row', async () => {
    const { rows } = await modelEvidence(store, tuned);
    for (const row of rows) {
      const pictures = await evidenceCase(store, tuned, row.id);
      expect(pictures.row).toEqual(row);
      const image = await sharp(pictures.image).raw().toBuffer({ resolveWithObject: true });
      expect([image.info.width, image.info.height, image.info.channels]).toEqual([64, 64, 3]);
      const binary = async (png: Uint8Array) => {
        const { data, info } = await sharp(png).greyscale().raw().toBuffer({ resolveWithObject: true });
        expect([info.width, info.height]).toEqual([64, 64]);
        return Uint8Array.from(data, (v) => (v >= 128 ? 1 : 0));
      };
      const [approved, base, candidate] = await Promise.all([binary(pictures.approved), binary(pictures.base), binary(pictures.candidate)]);
      const dice = (a: Uint8Array, b: Uint8Array) => {
        let both = 0;
        let sum = 0;
        for (let i = 0; i < a.length; i++) {
          both += a[i]! & b[i]!;
          sum += a[i]! + b[i]!;
        }
        return sum === 0 ? 1 : (2 * both) / sum;
      };
      expect(dice(base, approved)).toBeCloseTo(row.baseDice, 4);
      expect(dice(candidate, approved)).toBeCloseTo(row.candidateDice, 4);
    }
  });

  it('names the case it lacks, and says why a version has no evidence', async () => {
    await expect(evidenceCase(store, tuned, 'no-such-case')).rejects.toThrow(`${tuned}'s evidence has no case no-such-case`);
    const shippedEvidence = await modelEvidence(store, shipped);
    expect(shippedEvidence.rows).toEqual([]);
    expect(shippedEvidence.missing).toMatch(/is the shipped model/);
  });

  it('refuses an evidence file that names a file outside its folder, and explains a version without one', async () => {
    const dir = path.join(store.versionsDir, tuned);
    const original = await readFile(path.join(dir, 'evidence.json'), 'utf8');
    try {
      const tampered = JSON.parse(original) as { cases: { files: { image: string } }[] };
      tampered.cases[0]!.files.image = '../model.pt';
      await writeFile(path.join(dir, 'evidence.json'), JSON.stringify(tampered));
      expect((await modelEvidence(store, tuned)).missing).toMatch(/evidence\.json is damaged/);
      await rm(path.join(dir, 'evidence.json'));
      const none = await modelEvidence(store, tuned);
      expect(none.rows).toEqual([]);
      expect(none.missing).toBe(`${tuned} has no evidence.json: it was trained before LesionDesk kept per-case evidence`);
    } finally {
      await writeFile(path.join(dir, 'evidence.json'), original);
    }
  });
});

describe('case provenance (the card the real trainer wrote)', () => {
  it('says which versions learned from a training case, with the mask version they used', async () => {
    const trainStem = stems.find((s) => !validation.has(s))!;
    expect(await caseProvenance(store, caseOf(trainStem))).toEqual({
      learnedBy: [{ version: tuned, maskVersionId: maskOf(trainStem), created: '2026-12-01T10:05:00Z', active: false }],
      validatedBy: [],
    });
  });

  it('lists a validation case as judging the version, not as taught, and an unused case as neither', async () => {
    const valStem = [...validation][0]!;
    const used = await caseProvenance(store, caseOf(valStem));
    expect(used.learnedBy).toEqual([]);
    expect(used.validatedBy).toEqual([{ version: tuned, maskVersionId: maskOf(valStem), created: '2026-12-01T10:05:00Z', active: false }]);
    await store.activate(tuned);
    expect((await caseProvenance(store, caseOf(stems.find((s) => !validation.has(s))!))).learnedBy[0]!.active).toBe(true);
    expect(await caseProvenance(store, 'never-trained')).toEqual({ learnedBy: [], validatedBy: [] });
  });

  it('keeps provenance when the version folder is copied elsewhere (it lives in the card)', async () => {
    const copy = new ModelStore({ dataDir: path.join(tmp, 'copy'), shippedDirs: [modelsDir] });
    await cp(path.join(store.versionsDir, tuned), path.join(copy.versionsDir, tuned), { recursive: true });
    expect((await caseProvenance(copy, caseOf(stems.at(-1)!))).learnedBy.map((u) => u.version)).toEqual([tuned]);
  });
});
