import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createEventHub } from './events.js';
import { ModelStore } from './modelStore.js';
import { TrainingJobs } from './trainingJobs.js';
import { splitOfContent } from '../../preload/api.js';
import { fileStemOf, folderPairs, JobInput, recordedSides } from './trainingInput.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'lesiondesk-input-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** A w x h JPEG and a PNG mask whose left `lesionWidth` columns are lesion. */
async function pair(w: number, h: number, lesionWidth: number, maskSize = { w, h }) {
  const image = await sharp({ create: { width: w, height: h, channels: 3, background: { r: 200, g: 150, b: 120 } } }).jpeg().toBuffer();
  const raw = Buffer.alloc(maskSize.w * maskSize.h);
  for (let y = 0; y < maskSize.h; y++) raw.fill(255, y * maskSize.w, y * maskSize.w + lesionWidth);
  const maskPng = await sharp(raw, { raw: { width: maskSize.w, height: maskSize.h, channels: 1 } }).png().toBuffer();
  return { image: new Uint8Array(image), maskPng: new Uint8Array(maskPng) };
}

const open = () => JobInput.open(dir, { jobId: 'job-1', base: 'm@1.0.0', created: '2026-12-01T00:00:00Z' }, { width: 64, height: 64 });

describe('job input folder', () => {
  it("puts a pair on the side its image's bytes decide, whatever its case id, unless the library sent the side it recorded", async () => {
    const input = await open();
    const p = await pair(64, 64, 16);
    const side = await splitOfContent(p.image);
    const other = side === 'train' ? 'validation' : 'train';
    await input.add([
      { caseId: 'in-one-library', maskVersionId: 'a', image: p.image, imageName: 'x.jpg', maskPng: p.maskPng },
      { caseId: 'the-same-photo-elsewhere', maskVersionId: 'b', image: new Uint8Array(p.image), imageName: 'renamed.png', maskPng: p.maskPng },
      { caseId: 'a-past-role', maskVersionId: 'c', image: p.image, imageName: 'x.jpg', maskPng: p.maskPng, split: other },
    ]);
    expect(input.list().map((c) => [c.caseId, c.split])).toEqual([
      ['in-one-library', side],
      ['the-same-photo-elsewhere', side],
      ['a-past-role', other],
    ]);
  });

  it('keeps the side an earlier job recorded for a case sent without one (a CLI folder judged by its id before issue 17)', async () => {
    const p = await pair(64, 64, 16);
    const side = await splitOfContent(p.image);
    const other = side === 'train' ? 'validation' : 'train';
    const earlier = await JobInput.open(path.join(dir, 'earlier'), { jobId: 'job-0', base: 'm@1.0.0', created: '2026-11-01T00:00:00Z' }, { width: 64, height: 64 });
    await earlier.add([{ caseId: 'IMG_0001', maskVersionId: 'v', image: p.image, imageName: 'IMG_0001.jpg', maskPng: p.maskPng, split: other }]);
    const input = await JobInput.open(path.join(dir, 'now'), { jobId: 'job-1', base: 'm@1.0.0', created: '2026-12-01T00:00:00Z' }, { width: 64, height: 64 });
    input.pastSides = await recordedSides([path.join(dir, 'earlier'), path.join(dir, 'missing')]);
    await input.add([
      { caseId: 'IMG_0001', maskVersionId: 'v2', image: p.image, imageName: 'IMG_0001.jpg', maskPng: p.maskPng },
      { caseId: 'IMG_0002', maskVersionId: 'v', image: p.image, imageName: 'IMG_0002.jpg', maskPng: p.maskPng },
    ]);
    expect(input.list().map((c) => [c.caseId, c.split])).toEqual([
      ['IMG_0001', other],
      ['IMG_0002', side],
    ]);
  });

  it('writes each pair at model size, the mask area-averaged and thresholded, and a manifest with the split', async () => {
    const input = await open();
    const p = await pair(1024, 768, 256); // a quarter of the width is lesion
    const counts = await input.add([{ caseId: 'case-1', maskVersionId: 'mv-9', image: p.image, imageName: 'a.jpg', maskPng: p.maskPng, unchanged: true }]);
    const side = await splitOfContent(p.image); // the image's bytes decide (no side sent)
    expect(counts).toEqual({ received: 1, train: side === 'train' ? 1 : 0, validation: side === 'validation' ? 1 : 0 });
    const img = await sharp(path.join(dir, 'images', 'case-1.png')).metadata();
    expect([img.width, img.height, img.channels]).toEqual([64, 64, 3]);
    const mask = await sharp(path.join(dir, 'masks', 'case-1.png')).greyscale().raw().toBuffer();
    expect(new Set(mask)).toEqual(new Set([0, 255]));
    expect(mask.filter((v) => v === 255).length).toBe(16 * 64);
    const manifest = JSON.parse(readFileSync(path.join(dir, 'manifest.json'), 'utf8'));
    expect(manifest).toMatchObject({ format: 'lesiondesk-finetune-job/1', jobId: 'job-1', base: 'm@1.0.0' });
    expect(manifest.cases).toEqual([{ id: 'case-1', caseId: 'case-1', maskVersionId: 'mv-9', split: await splitOfContent(p.image), unchanged: true }]);
  });

  it('names files safely whatever the case id holds', async () => {
    expect(fileStemOf('ISIC_0000001')).toBe('ISIC_0000001');
    const evil = fileStemOf('../../etc/passwd');
    expect(evil).toMatch(/^etc_passwd-[0-9a-f]{16}$/);
    expect(fileStemOf('a/b')).not.toBe(fileStemOf('a_b'));
    const input = await open();
    const p = await pair(80, 60, 20);
    await input.add([{ caseId: '../x', maskVersionId: 'v', image: p.image, imageName: 'x.jpg', maskPng: p.maskPng }]);
    expect(input.list()[0]!.id).toMatch(/^x-[0-9a-f]{16}$/);
  });

  it('refuses a mask of another size, a non-image and a case sent twice, naming the case', async () => {
    const input = await open();
    const wrong = await pair(100, 80, 10, { w: 50, h: 40 });
    await expect(input.add([{ caseId: 'c1', maskVersionId: 'v', image: wrong.image, imageName: 'c1.jpg', maskPng: wrong.maskPng }]))
      .rejects.toThrow('case c1: the mask is not usable (the mask is 50x40 but the image is 100x80)');
    const ok = await pair(100, 80, 10);
    await expect(input.add([{ caseId: 'c2', maskVersionId: 'v', image: new TextEncoder().encode('hello'), imageName: 'notes.txt', maskPng: ok.maskPng }]))
      .rejects.toThrow(/^case c2: notes\.txt is not a readable image/);
    await input.add([{ caseId: 'c3', maskVersionId: 'v', image: ok.image, imageName: 'c3.jpg', maskPng: ok.maskPng }]);
    await expect(input.add([{ caseId: 'c3', maskVersionId: 'v2', image: ok.image, imageName: 'c3.jpg', maskPng: ok.maskPng }]))
      .rejects.toThrow('case c3 was sent twice to this job');
    expect(input.counts().received).toBe(1);
  });

  it('reopens a folder with its cases (a chunk after a restart of the service)', async () => {
    const first = await open();
    const p = await pair(64, 64, 8);
    await first.add([{ caseId: 'k', maskVersionId: 'v', image: p.image, imageName: 'k.jpg', maskPng: p.maskPng }]);
    const again = await open();
    expect(again.counts().received).toBe(1);
  });
});

describe('training file names', () => {
  it('are unique per job however the case ids compare, and the manifest maps each back to its case', async () => {
    const input = await open();
    const p = await pair(64, 48, 16);
    // Two cameras' IMG_0001.jpg; ids differing only in case (one file on macOS or Windows);
    // an id the trainer would read as a mask (x_segmentation) beside x; an id that is
    // another id's sanitised name.
    const ids = ['IMG_0001', 'img_0001', 'x', 'x_segmentation', 'a b', fileStemOf('a b'), 'CON'];
    await input.add(ids.map((caseId, i) => ({ caseId, maskVersionId: `mv-${i}`, image: p.image, imageName: i < 2 ? 'IMG_0001.jpg' : `${i}.jpg`, maskPng: p.maskPng })));
    const listed = input.list();
    const stems = listed.map((c) => c.id);
    expect(new Set(stems.map((s) => s.toLowerCase())).size).toBe(ids.length);
    const manifest = JSON.parse(readFileSync(path.join(dir, 'manifest.json'), 'utf8')) as { cases: { id: string; caseId: string; maskVersionId: string }[] };
    expect(manifest.cases.map((c) => c.caseId)).toEqual(ids);
    expect(manifest.cases.map((c) => c.maskVersionId)).toEqual(ids.map((_, i) => `mv-${i}`));
    // The trainer pairs every file with its own mask, under the manifest's ids.
    const script = 'import json, sys\nfrom scsonet.data import index_dataset\nprint(json.dumps(sorted(p.id for p in index_dataset(sys.argv[1]).pairs)))';
    const paired = execFileSync('/usr/bin/python3', ['-c', script, dir], { env: { ...process.env, PYTHONPATH: path.resolve(import.meta.dirname, '../../models') } });
    expect(JSON.parse(paired.toString())).toEqual([...stems].sort());
    // Reopened (a chunk after a restart), names already given stay taken.
    const again = await open();
    await again.add([{ caseId: 'Img_0001', maskVersionId: 'v', image: p.image, imageName: 'IMG_0001.jpg', maskPng: p.maskPng }]);
    expect(again.list().at(-1)!.id).toBe('Img_0001-3');
  });

  it('skips folder images that no mask name can tell apart, saying why', async () => {
    const images = path.join(dir, 'images-in');
    const masks = path.join(dir, 'masks-in');
    mkdirSync(images);
    mkdirSync(masks);
    for (const name of ['IMG_0001.jpg', 'IMG_0001.png', 'x.jpg', 'ok.jpg']) writeFileSync(path.join(images, name), 'i');
    for (const name of ['IMG_0001.png', 'x.png', 'x_segmentation.png', 'ok.png']) writeFileSync(path.join(masks, name), 'm');
    const found = await folderPairs(images, masks);
    expect(found.pairs.map((p) => p.caseId)).toEqual(['ok']);
    expect(found.skipped).toEqual([
      'IMG_0001.jpg, IMG_0001.png: these images share the name IMG_0001, so no mask can say which one it belongs to; rename all but one (skipped)',
      `x.jpg: two masks in ${masks} could be its mask (x.png, x_segmentation.png); keep one (skipped)`,
    ]);
  });
});

describe('a folder of images and masks (lesiondesk finetune)', () => {
  it('takes only regular files: a folder or a broken link named like an image is skipped and reported, and the job goes on', async () => {
    const images = path.join(dir, 'images');
    const masks = path.join(dir, 'masks');
    mkdirSync(images);
    mkdirSync(masks);
    for (const stem of ['a', 'b']) {
      const p = await pair(64, 48, 16);
      writeFileSync(path.join(images, `${stem}.jpg`), p.image);
      writeFileSync(path.join(masks, `${stem}_segmentation.png`), p.maskPng);
    }
    const p = await pair(64, 48, 16);
    mkdirSync(path.join(images, 'photo.jpg'));
    writeFileSync(path.join(images, 'photo.jpg', 'inside.jpg'), p.image);
    writeFileSync(path.join(masks, 'photo.png'), p.maskPng);
    writeFileSync(path.join(images, 'c.jpg'), p.image);
    mkdirSync(path.join(masks, 'c.png'));
    symlinkSync(path.join(dir, 'nowhere.jpg'), path.join(images, 'gone.jpg'));

    const modelsDir = path.resolve(import.meta.dirname, '../../models');
    const dataDir = path.join(dir, 'data');
    const jobs = await TrainingJobs.open({ dataDir, store: new ModelStore({ dataDir, shippedDirs: [modelsDir] }), events: createEventHub(), trainerDir: modelsDir });
    const job = await jobs.create({ expectedPairs: 3 });
    try {
      const added = await jobs.addFolder(job.id, images, masks);
      expect(added.received).toBe(2);
      expect(added.skipped).toEqual([
        `c.png in ${masks}: a folder, not a mask file; skipped`,
        `gone.jpg in ${images}: not a regular file (a broken link, a pipe or a device); skipped`,
        `photo.jpg in ${images}: a folder, not an image file; skipped`,
        `c.jpg: no mask named c.png or c_segmentation.png in ${masks}`,
      ]);
    } finally {
      await jobs.cancel(job.id);
    }
  });
});
