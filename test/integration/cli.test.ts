/** The `lesiondesk` command line, run as a user runs it: a child process on real files. */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { copyFile, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { beforeAll, describe, expect, it } from 'vitest';
import { fixtureFiles, lesionJpeg } from '../fixtures/images.js';
import { modelDir, repoRoot } from './helpers.js';

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function cli(args: string[], env: Record<string, string> = {}, cwd = repoRoot): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [path.join(repoRoot, 'bin', 'lesiondesk.mjs'), ...args],
      { cwd, env: { ...process.env, LESIONDESK_MODELS: modelDir, LESIONDESK_DATA_DIR: dataDir, ...env }, maxBuffer: 16 * 1024 * 1024 },
      (error, stdout, stderr) => resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

let tmp: string;
/** The user-data folder of every run (never the real ~/.config/lesiondesk). */
let dataDir: string;

beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'lesiondesk-cli-'));
  dataDir = path.join(tmp, 'data');
  // Compile once up front (bin/lesiondesk.mjs would do it on first use, inside a test's time).
  await new Promise<void>((resolve, reject) =>
    execFile(process.execPath, [path.join(repoRoot, 'bin', 'build-node.mjs')], { cwd: repoRoot }, (e) => (e ? reject(e) : resolve())),
  );
}, 180_000);

describe('lesiondesk segment', () => {
  it('segments a folder, skips the bad file with a message, writes masks and summary.csv, exits 1', async () => {
    const input = path.join(tmp, 'in');
    await mkdir(path.join(input, 'nested'), { recursive: true });
    const files = await fixtureFiles();
    await writeFile(path.join(input, 'a.jpg'), await lesionJpeg(400, 300));
    await writeFile(path.join(input, 'nested', 'b.png'), files['lesion.png']);
    await writeFile(path.join(input, 'c.jpg'), files['rotated.jpg']);
    await writeFile(path.join(input, 'broken.jpg'), files['notes.jpg']);
    await writeFile(path.join(input, 'readme.txt'), 'not an image, and not an image extension');
    const out = path.join(tmp, 'out');
    const run = await cli(['segment', input, '--out', out, '--model', modelDir, '--overlay']);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/skipped .*broken\.jpg: broken\.jpg is not a readable image \(unrecognised file format\)/);
    expect(run.stderr).toMatch(/segmented 3 of 4 image\(s\)/);
    expect(run.stderr).not.toMatch(/readme/);

    const csv = (await readFile(path.join(out, 'summary.csv'), 'utf8')).trim().split('\n');
    expect(csv[0]).toBe('file,width,height,lesion_area_px,uncertainty,ms');
    expect(csv).toHaveLength(4);
    const rows = csv.slice(1).map((l) => l.split(','));
    expect(rows.map((r) => path.basename(r[0]))).toEqual(['a.jpg', 'c.jpg', 'b.png']);
    const expected: Record<string, [number, number]> = { a: [400, 300], b: [320, 240], c: [240, 320] };
    for (const row of rows) {
      const stem = path.basename(row[0], path.extname(row[0]));
      const [w, h] = expected[stem];
      expect([Number(row[1]), Number(row[2])]).toEqual([w, h]);
      const mask = path.join(out, `${stem}_segmentation.png`);
      const meta = await sharp(mask).metadata();
      expect([meta.width, meta.height, meta.channels]).toEqual([w, h, 1]);
      const { data } = await sharp(mask).extractChannel(0).raw().toBuffer({ resolveWithObject: true });
      let area = 0;
      for (const v of data) if (v === 255) area++;
      expect(Number(row[3])).toBe(area);
      expect(Number(row[4])).toBeGreaterThanOrEqual(0);
      expect(Number(row[4])).toBeLessThanOrEqual(1);
      const overlay = await sharp(path.join(out, `${stem}_overlay.jpg`)).metadata();
      expect([overlay.width, overlay.height]).toEqual([w, h]);
    }
    expect(existsSync(path.join(out, 'broken_segmentation.png'))).toBe(false);
  }, 240_000);

  it('exits 0 when every image succeeds, and 2 with the help on a wrong option', async () => {
    const files = await fixtureFiles();
    const one = path.join(tmp, 'one.webp');
    await writeFile(one, files['lesion.webp']);
    const ok = await cli(['segment', one, '--out', path.join(tmp, 'out-one'), '--model', modelDir, '--tta', '--threshold', '0.4']);
    expect(ok.code).toBe(0);
    expect(existsSync(path.join(tmp, 'out-one', 'one_segmentation.png'))).toBe(true);
    const bad = await cli(['segment', one, '--out', tmp, '--threshold', '1.5']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--threshold must be a number between 0 and 1/);
    const unknown = await cli(['segment', one, '--frobnicate']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/Unknown option '--frobnicate'/);
    expect(unknown.stderr).toMatch(/Usage: lesiondesk segment/);
  }, 240_000);

  it('gives same-named inputs their own outputs and never overwrites ground truth or earlier results without --overwrite', async () => {
    const isic = path.join(tmp, 'isic');
    await mkdir(isic, { recursive: true });
    const jpeg = await lesionJpeg(320, 240);
    await writeFile(path.join(isic, 'a.jpg'), jpeg);
    await writeFile(path.join(isic, 'a.png'), await sharp(jpeg).png().toBuffer());
    await writeFile(path.join(isic, 'a-2.jpg'), jpeg);
    await writeFile(path.join(isic, 'ISIC_1.jpg'), jpeg);
    const truth = await sharp(Buffer.alloc(320 * 240, 255), { raw: { width: 320, height: 240, channels: 1 } }).png().toBuffer();
    await writeFile(path.join(isic, 'ISIC_1_segmentation.png'), truth);

    // Into the dataset folder itself: the ground truth would be overwritten, so nothing is written.
    const refused = await cli(['segment', isic, '--out', isic]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/1 output file already exists in .*isic \(ISIC_1_segmentation\.png\); nothing was written\. Use --overwrite/);
    expect(await readFile(path.join(isic, 'ISIC_1_segmentation.png'))).toEqual(truth);
    expect(existsSync(path.join(isic, 'a_segmentation.png'))).toBe(false);

    const out = path.join(tmp, 'isic-pred');
    const run = await cli(['segment', isic, '--out', out]);
    expect(run.code).toBe(0);
    expect(run.stderr).toMatch(/segmented 4 of 4 image\(s\)/);
    const written = (await readdir(out)).sort();
    expect(written).toEqual(['ISIC_1_segmentation.png', 'a-2_segmentation.png', 'a_png_segmentation.png', 'a_segmentation.png', 'summary.csv']);
    const rows = (await readFile(path.join(out, 'summary.csv'), 'utf8')).trim().split('\n').slice(1);
    expect(rows.map((r) => path.basename(r.split(',')[0]!)).sort()).toEqual(['ISIC_1.jpg', 'a-2.jpg', 'a.jpg', 'a.png']);

    // A second run into the same folder needs --overwrite.
    const again = await cli(['segment', isic, '--out', out]);
    expect(again.code).toBe(2);
    expect(again.stderr).toMatch(/5 output files already exist/);
    expect((await cli(['segment', isic, '--out', out, '--overwrite'])).code).toBe(0);
  }, 240_000);

  it('writes into the images folder itself: one mask per input under its own name, inputs untouched, formula names defused', async () => {
    const dir = path.join(tmp, 'same');
    await mkdir(dir, { recursive: true });
    // A size per input, so each mask shows which image it came from.
    const inputs: Record<string, Buffer> = {
      'a.jpg': await lesionJpeg(320, 240),
      'a.png': await sharp(await lesionJpeg(288, 208)).png().toBuffer(),
      'a-2.jpg': await lesionJpeg(256, 192),
      '=1+2.jpg': await lesionJpeg(224, 160),
    };
    for (const [name, bytes] of Object.entries(inputs)) await writeFile(path.join(dir, name), bytes);
    const sizes: Record<string, [number, number]> = {
      'a_segmentation.png': [320, 240],
      'a_png_segmentation.png': [288, 208],
      'a-2_segmentation.png': [256, 192],
      '=1+2_segmentation.png': [224, 160],
    };

    // Relative paths, so the file column starts with the name itself as a user's would.
    const run = await cli(['segment', '.', '--out', '.', '--model', modelDir], {}, dir);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toMatch(/segmented 4 of 4 image\(s\)/);
    expect((await readdir(dir)).sort()).toEqual([...Object.keys(inputs), ...Object.keys(sizes), 'summary.csv'].sort());
    for (const [name, bytes] of Object.entries(inputs)) expect(await readFile(path.join(dir, name)), name).toEqual(bytes);
    for (const [name, size] of Object.entries(sizes)) {
      const meta = await sharp(path.join(dir, name)).metadata();
      expect([meta.width, meta.height], name).toEqual(size);
    }

    const csv = (await readFile(path.join(dir, 'summary.csv'), 'utf8')).trim().split('\n');
    const formula = csv.find((l) => l.includes('1+2.jpg'))!;
    expect(formula).toMatch(/^'=1\+2\.jpg,224,160,\d+,[\d.]+,[\d.]+$/);
    for (const line of csv.slice(1)) {
      // Numbers stay numbers: only the file name cell is ever prefixed.
      for (const cell of line.split(',').slice(1)) expect(Number.isFinite(Number(cell)), line).toBe(true);
    }

    // Again into the same folder: the earlier masks are not inputs, and not replaced without --overwrite.
    const masks = await Promise.all(Object.keys(sizes).map((n) => readFile(path.join(dir, n))));
    const again = await cli(['segment', '.', '--out', '.', '--model', modelDir], {}, dir);
    expect(again.code).toBe(2);
    expect(again.stderr).toMatch(/5 output files already exist in .*same \(.*\); nothing was written\. Use --overwrite/);
    expect(await Promise.all(Object.keys(sizes).map((n) => readFile(path.join(dir, n))))).toEqual(masks);
    const replaced = await cli(['segment', '.', '--out', '.', '--model', modelDir, '--overwrite'], {}, dir);
    expect(replaced.code, replaced.stderr).toBe(0);
    expect(replaced.stderr).toMatch(/segmented 4 of 4 image\(s\)/);
    for (const [name, bytes] of Object.entries(inputs)) expect(await readFile(path.join(dir, name)), name).toEqual(bytes);
    expect((await readdir(dir)).length).toBe(9);
  }, 240_000);
});

describe('lesiondesk evaluate', () => {
  it('prints pooled and per-image DSC and IoU that match a hand computation', async () => {
    const pred = path.join(tmp, 'pred');
    const truth = path.join(tmp, 'truth');
    await mkdir(pred, { recursive: true });
    await mkdir(truth, { recursive: true });
    const mask = (w: number, h: number, on: (x: number, y: number) => boolean) => {
      const d = Buffer.alloc(w * h);
      for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) if (on(x, y)) d[y * w + x] = 255;
      return sharp(d, { raw: { width: w, height: h, channels: 1 } }).png().toBuffer();
    };
    // a: truth = columns 0-4, prediction = columns 2-6 of 10x10: tp 30, fp 20, fn 20.
    await writeFile(path.join(truth, 'a_segmentation.png'), await mask(10, 10, (x) => x <= 4));
    await writeFile(path.join(pred, 'a_segmentation.png'), await mask(10, 10, (x) => x >= 2 && x <= 6));
    // b: identical 2x2 squares (stem pairs without the suffix on one side): tp 4.
    await writeFile(path.join(truth, 'b_segmentation.png'), await mask(8, 8, (x, y) => x < 2 && y < 2));
    await writeFile(path.join(pred, 'b.png'), await mask(8, 8, (x, y) => x < 2 && y < 2));
    await writeFile(path.join(pred, 'lonely.png'), await mask(8, 8, () => false));
    const run = await cli(['evaluate', '--pred', pred, '--truth', truth]);
    expect(run.code).toBe(0);
    const report = JSON.parse(run.stdout) as {
      n: number;
      pooled: { dsc: number; iou: number; tp: number; fp: number; fn: number };
      mean: { dsc: number; iou: number };
      images: { id: string; dsc: number; iou: number }[];
      unmatched: { pred: string[]; truth: string[] };
    };
    expect(report.n).toBe(2);
    expect(report.images.find((i) => i.id === 'a')).toMatchObject({ dsc: 0.6, iou: 0.428571 });
    expect(report.images.find((i) => i.id === 'b')).toMatchObject({ dsc: 1, iou: 1 });
    expect(report.pooled).toMatchObject({ tp: 34, fp: 20, fn: 20, dsc: 0.62963, iou: 0.459459 });
    expect(report.mean).toEqual({ dsc: 0.8, iou: 0.714286 });
    expect(report.unmatched).toEqual({ pred: ['lonely'], truth: [] });
  }, 180_000);
});

describe('lesiondesk refine, segment --boxes and evaluate-clicks', () => {
  const anchor = path.join(repoRoot, 'models', 'replay', 'anchor');

  it('refines in displayed pixels, changes only the region, and names a bad box, click or mask', async () => {
    const dir = path.join(tmp, 'refine');
    await mkdir(dir, { recursive: true });
    const files = await fixtureFiles();
    const image = path.join(dir, 'rotated.jpg'); // displayed 240x320
    await writeFile(image, files['rotated.jpg']);
    const previous = path.join(dir, 'previous.png');
    await writeFile(previous, await sharp(Buffer.alloc(240 * 320, 255), { raw: { width: 240, height: 320, channels: 1 } }).png().toBuffer());
    const out = path.join(dir, 'refined.png');
    const run = await cli(['refine', image, '--out', out, '--mask', previous, '--box', '60,10,180,120', '--click', '+119,64', '--click', '-70,110']);
    expect(run.stderr).toMatch(/region 60,10,180,120 of 240x320, 2 click\(s\)/);
    expect(run.code).toBe(0);
    const meta = await sharp(out).metadata();
    expect([meta.width, meta.height, meta.channels]).toEqual([240, 320, 1]);
    const { data } = await sharp(out).extractChannel(0).raw().toBuffer({ resolveWithObject: true });
    // Outside the box the previous mask (all lesion) is kept; inside, the skin corner is skin.
    expect(data[300 * 240 + 200]).toBe(255);
    expect(data[9 * 240 + 100]).toBe(255);
    expect(data[64 * 240 + 119]).toBe(255);
    expect(data[115 * 240 + 65]).toBe(0);

    const bad = await Promise.all([
      cli(['refine', image, '--out', path.join(dir, 'x.png'), '--box', '0,0,241,100']),
      cli(['refine', image, '--out', path.join(dir, 'x.png'), '--box', '50,0,10,100']),
      cli(['refine', image, '--out', path.join(dir, 'x.png'), '--click', '+10,320']),
      cli(['refine', image, '--out', path.join(dir, 'x.png'), '--click', '+10,10', '--mask', path.join(anchor, 'masks', 'ISIC_0000029.png')]),
      cli(['refine', image, '--out', out, '--click', '+10,10']),
    ]);
    expect(bad.map((r) => r.code)).toEqual([2, 2, 2, 2, 1]);
    expect(bad[0].stderr).toMatch(/rotated\.jpg: --box 0,0,241,100 reaches outside the 240x320 image/);
    expect(bad[1].stderr).toMatch(/--box "50,0,10,100" is inverted or empty/);
    expect(bad[2].stderr).toMatch(/--click \+10,320 lies outside the 240x320 image/);
    expect(bad[3].stderr).toMatch(/--mask .*ISIC_0000029\.png is 256x256, the image is 240x320/);
    expect(bad[4].stderr).toMatch(/refined\.png.*--overwrite/);
    expect(existsSync(path.join(dir, 'x.png'))).toBe(false);
  }, 240_000);

  it('segments listed images in their box and the others automatically, and refuses an unknown file or a box outside its image', async () => {
    const dir = path.join(tmp, 'boxes');
    await mkdir(path.join(dir, 'in'), { recursive: true });
    for (const id of ['ISIC_0000029', 'ISIC_0000050']) await copyFile(path.join(anchor, 'images', `${id}.jpg`), path.join(dir, 'in', `${id}.jpg`));
    await writeFile(path.join(dir, 'boxes.csv'), 'file,x0,y0,x1,y1\nISIC_0000029.jpg,20,20,230,230\n');
    const run = await cli(['segment', path.join(dir, 'in'), '--out', path.join(dir, 'out'), '--boxes', path.join(dir, 'boxes.csv')]);
    expect(run.code).toBe(0);
    const csv = (await readFile(path.join(dir, 'out', 'summary.csv'), 'utf8')).trim().split('\n');
    expect(csv[0]).toBe('file,width,height,lesion_area_px,uncertainty,ms,mode,x0,y0,x1,y1');
    expect(csv[1]).toMatch(/ISIC_0000029\.jpg,256,256,\d+,[\d.]+,[\d.]+,box,20,20,230,230$/);
    expect(csv[2]).toMatch(/ISIC_0000050\.jpg,256,256,\d+,[\d.]+,[\d.]+,auto,,,,$/);
    const boxed = path.join(dir, 'out', 'ISIC_0000029_segmentation.png');
    expect((await sharp(boxed).metadata()).channels).toBe(1);
    const { data } = await sharp(boxed).extractChannel(0).raw().toBuffer({ resolveWithObject: true });
    expect(data[5 * 256 + 5]).toBe(0); // outside the box: nothing

    await writeFile(path.join(dir, 'unknown.csv'), 'file,x0,y0,x1,y1\nISIC_0000050.jpg,1,1,100,100\nnope.jpg,0,0,10,10\n');
    await writeFile(path.join(dir, 'outside.csv'), 'file,x0,y0,x1,y1\nISIC_0000050.jpg,100,100,300,200\n');
    const [unknown, outside] = await Promise.all([
      cli(['segment', path.join(dir, 'in'), '--out', path.join(dir, 'out2'), '--boxes', path.join(dir, 'unknown.csv')]),
      cli(['segment', path.join(dir, 'in'), '--out', path.join(dir, 'out3'), '--boxes', path.join(dir, 'outside.csv')]),
    ]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/unknown\.csv line 3: nope\.jpg is not one of the images to segment; nothing was segmented/);
    expect(outside.code).toBe(2);
    expect(outside.stderr).toMatch(/outside\.csv line 2: ISIC_0000050\.jpg: box 100,100,300,200 reaches outside the 256x256 image/);
    expect(existsSync(path.join(dir, 'out2'))).toBe(false);
  }, 240_000);

  it('evaluates clicks on a folder of pairs: per-image rows and the summary', async () => {
    const dir = path.join(tmp, 'clicks');
    await mkdir(path.join(dir, 'images'), { recursive: true });
    await mkdir(path.join(dir, 'masks'), { recursive: true });
    for (const id of ['ISIC_0000029', 'ISIC_0000050']) {
      await copyFile(path.join(anchor, 'images', `${id}.jpg`), path.join(dir, 'images', `${id}.jpg`));
      await copyFile(path.join(anchor, 'masks', `${id}.png`), path.join(dir, 'masks', `${id}_segmentation.png`));
    }
    const run = await cli(['evaluate-clicks', '--images', path.join(dir, 'images'), '--masks', path.join(dir, 'masks'), '--max-clicks', '3', '--json']);
    expect(run.code).toBe(0);
    const report = JSON.parse(run.stdout) as { maxClicks: number; summary: Record<string, number>; images: { id: string; noc90: number; clicks: number }[] };
    expect(report.maxClicks).toBe(3);
    expect(report.images.map((r) => r.id)).toEqual(['ISIC_0000029', 'ISIC_0000050']);
    for (const r of report.images) expect(r.noc90).toBeLessThanOrEqual(3);
    expect(Object.keys(report.summary).sort()).toEqual(['iou1', 'iou3', 'iou5', 'medianStepMs', 'n', 'noc85', 'noc90', 'startIou']);
    const wrong = await cli(['evaluate-clicks', '--images', path.join(dir, 'images'), '--masks', path.join(dir, 'masks'), '--start', 'box']);
    expect(wrong.code).toBe(2);
    expect(wrong.stderr).toMatch(/--start must be auto or empty, not "box"/);
  }, 240_000);
});

describe('lesiondesk models and help', () => {
  /** A fine-tuned version folder as a job leaves it: the shipped weights under a new card. */
  async function addVersion(version: string, base: string): Promise<void> {
    const id = `scsonet-isic2017@${version}`;
    const dir = path.join(dataDir, 'models', 'versions', id);
    await mkdir(dir, { recursive: true });
    await copyFile(path.join(modelDir, 'scsonet-isic2017-v1.onnx'), path.join(dir, 'model.onnx'));
    // Without the shipped card's `files` (they name the shipped checkpoint): a card as versions made before checkpoints were hashed.
    const { files: _files, ...card } = JSON.parse(await readFile(path.join(modelDir, 'scsonet-isic2017-v1.json'), 'utf8')) as Record<string, unknown>;
    const [name, baseVersion] = base.split('@');
    await writeFile(path.join(dir, 'model.json'), JSON.stringify({ ...card, version, file: 'model.onnx', base: { name, version: baseVersion, sha256: 'b'.repeat(64) } }));
    const record = {
      format: 'lesiondesk-model-version/1', id, base, lineage: ['scsonet-isic2017@1.0.0', id], created: new Date().toISOString(), jobId: 'job-x',
      corrections: 40, validation: { n: 10, base: 0.8, candidate: 0.86 }, anchor: { n: 50, base: 0.88, candidate: 0.878 },
      changed: { n: 7, base: 0.74, candidate: 0.83 }, unchanged: { n: 3, base: 1, candidate: 0.97 },
      gate: {
        activated: true,
        reason: 'Activated: on 7 changed cases Dice 0.830 vs 0.740 (+9.0 points); on 3 cases approved unchanged 0.970 vs 1.000 (-3.0 points, at most -5.0 allowed); anchor Dice 0.878 vs 0.880',
        parts: { judged: true, changed: 'passed', unchanged: 'passed', anchor: 'passed' },
      },
    };
    await writeFile(path.join(dir, 'version.json'), JSON.stringify(record));
  }

  it('lists, activates, rolls back and deletes versions; segment runs the active one and falls back from a damaged one', async () => {
    const first = await cli(['models', '--json']);
    expect(first.code).toBe(0);
    const listed = JSON.parse(first.stdout) as { active: string; versions: { id: string; kind: string; card: { sha256: string } }[]; providers: { name: string }[] };
    expect(listed.active).toBe('scsonet-isic2017@1.0.0');
    expect(listed.versions[0]).toMatchObject({ id: 'scsonet-isic2017@1.0.0', kind: 'shipped' });
    expect(listed.versions[0].card.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(listed.providers.at(-1)?.name).toBe('cpu');
    // The interactive model is listed apart, never as a version of the automatic one.
    expect(listed.versions.some((v) => v.id.includes('interactive'))).toBe(false);
    expect((JSON.parse(first.stdout) as { interactive: { id: string; status: string }[] }).interactive).toEqual([
      expect.objectContaining({ id: expect.stringMatching(/^scsonet-interactive@/), status: 'ok' }),
    ]);

    await addVersion('1.1.0', 'scsonet-isic2017@1.0.0');
    const activated = await cli(['models', 'activate', 'scsonet-isic2017@1.1.0']);
    expect(activated.stdout.trim()).toBe('Activated scsonet-isic2017@1.1.0 (was scsonet-isic2017@1.0.0).');
    const text = await cli(['models']);
    expect(text.stdout).toMatch(/\* scsonet-isic2017@1\.1\.0 {2}fine-tuned {2}\(active\)/);
    expect(text.stdout).toMatch(/validation: {2}Dice 0\.860 \(base 0\.800\) on 10 cases/);
    // The gate's parts, each with its verdict.
    expect(text.stdout).toMatch(/ {6}changed: {3}Dice 0\.830 \(base 0\.740\) on 7 cases a person corrected {2}passed\n {6}unchanged: Dice 0\.970 \(base 1\.000\) on 3 cases approved as predicted {2}passed\n/);
    expect(text.stdout).toMatch(/anchor: {6}Dice 0\.878 \(base 0\.880\) on 50 original images {2}passed/);
    expect(text.stdout).toMatch(/lineage: {5}scsonet-isic2017@1\.0\.0 -> scsonet-isic2017@1\.1\.0/);
    // A fine-tuned automatic model leaves the interactive one as it is.
    expect(text.stdout).toMatch(/Interactive model \(Box and Click tools.*\n {2}scsonet-interactive@\S+ {2}interactive\n/);
    // A copied folder is listed as not a version, and the listing still works.
    const copy = path.join(dataDir, 'models', 'versions', 'scsonet-isic2017@1.1.0 (copy)');
    await mkdir(copy);
    const withCopy = await cli(['models']);
    expect(withCopy.code).toBe(0);
    expect(withCopy.stdout).toContain(`Not model versions (LesionDesk does not use or delete them; remove them by hand if you do not need them):\n  ${copy}\n    its name is not NAME@VERSION`);
    await rm(copy, { recursive: true });

    const input = path.join(tmp, 'active-in');
    await mkdir(input, { recursive: true });
    await writeFile(path.join(input, 'a.jpg'), await lesionJpeg(320, 240));
    const seg = await cli(['segment', input, '--out', path.join(tmp, 'active-out')]);
    expect(seg.code).toBe(0);
    expect(seg.stderr).toMatch(/lesiondesk: scsonet-isic2017@1\.1\.0 on cpu/);

    // A damaged active version is listed as such and skipped: segment falls back and says so.
    const onnx = path.join(dataDir, 'models', 'versions', 'scsonet-isic2017@1.1.0', 'model.onnx');
    const bytes = await readFile(onnx);
    bytes[bytes.length - 5] ^= 0xff;
    await writeFile(onnx, bytes);
    const damaged = await cli(['segment', input, '--out', path.join(tmp, 'fallback-out')]);
    expect(damaged.code).toBe(0);
    expect(damaged.stderr).toMatch(/warning: scsonet-isic2017@1\.1\.0 is damaged \(model\.onnx does not match its card.*\); using scsonet-isic2017@1\.0\.0 instead/);
    expect(damaged.stderr).toMatch(/lesiondesk: scsonet-isic2017@1\.0\.0 on cpu/);
    const refused = await cli(['models', 'activate', 'scsonet-isic2017@1.1.0']);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/cannot be activated: model\.onnx does not match its card/);
    bytes[bytes.length - 5] ^= 0xff;
    await writeFile(onnx, bytes);

    expect((await cli(['models', 'delete', 'scsonet-isic2017@1.1.0'])).stderr).toMatch(/is the active model; activate or roll back to another version first/);
    expect((await cli(['models', 'delete', 'scsonet-isic2017@1.0.0'])).stderr).toMatch(/is the shipped model/);
    const back = await cli(['models', 'rollback', '--json']);
    expect(JSON.parse(back.stdout)).toMatchObject({ active: 'scsonet-isic2017@1.0.0', message: 'Rolled back to scsonet-isic2017@1.0.0 (was scsonet-isic2017@1.1.0).' });
    const deleted = await cli(['models', 'delete', 'scsonet-isic2017@1.1.0']);
    expect(deleted.code).toBe(0);
    expect((JSON.parse((await cli(['models', '--json'])).stdout) as { versions: unknown[] }).versions).toHaveLength(1);
    const wrong = await cli(['models', 'frob']);
    expect(wrong.code).toBe(2);
    expect(wrong.stderr).toMatch(/unknown models action "frob"/);
  }, 240_000);

  it('prints help for the tool and each command', async () => {
    const runs = await Promise.all(
      [['--help'], ['segment', '--help'], ['evaluate', '--help'], ['models', '--help'], ['frobnicate'], ['finetune', '--help'], ['refine', '--help'], ['evaluate-clicks', '--help']].map((a) => cli(a)),
    );
    for (const run of [...runs.slice(0, 4), runs[5]]) {
      expect(run.code).toBe(0);
      expect(run.stdout).toMatch(/^Usage: lesiondesk/);
    }
    expect(runs[1].stdout).toMatch(/--tta/);
    const unknown = runs[4];
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/unknown command "frobnicate"/);
    expect(runs[5].stdout).toMatch(/--activate auto\|never/);
    expect(runs[6].stdout).toMatch(/^Usage: lesiondesk refine IMAGE --out MASK/);
    expect(runs[7].stdout).toMatch(/^Usage: lesiondesk evaluate-clicks --images DIR --masks DIR/);
    expect(runs[1].stdout).toMatch(/--boxes FILE\.csv/);
  }, 180_000);
});
