/**
 * The interactive model end to end with the shipped files: listed beside the automatic model and
 * never run in its place, refineRegion through the contract's dispatch, a missing or
 * wrong-shaped interactive model as a clear refusal while automatic segmentation goes on, and
 * the real model lifting IoU after one simulated click on held-out ISIC pairs.
 */
import { copyFile, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { regionFromClicks, type MaskPlane } from '../../preload/api.js';
import { dispatch } from '../../main/ipc/dispatch.js';
import { iou, nextClick } from '../../main/services/clickSimulator.js';
import { cropForModel, decodeForModel, decodeFullRgb } from '../../main/services/imaging.js';
import { fixtureFiles } from '../fixtures/images.js';
import { createServices, type Services } from '../../main/services/index.js';
import { refineFullImage } from '../../main/services/interactiveSegmenter.js';
import { runsToMask } from '../../main/services/maskGeometry.js';
import { sha256File } from '../../main/services/modelRegistry.js';
import { modelDir, repoRoot } from './helpers.js';

vi.setConfig({ testTimeout: 120_000, hookTimeout: 180_000 });

const automaticCard = 'scsonet-isic2017-v1.json';
const interactiveCard = 'scsonet-interactive-v1.json';
/** Held-out pairs of the shipped model's split, committed (models/replay/anchor). */
const anchorDir = path.join(repoRoot, 'models', 'replay', 'anchor');
const pairs = ['ISIC_0000029', 'ISIC_0000050', 'ISIC_0000091', 'ISIC_0000211'];

let services: Services;

beforeAll(async () => {
  services = await createServices({ modelDirs: [modelDir], threads: 1 });
});

afterAll(async () => {
  await services?.close();
});

async function loadMask(file: string): Promise<Uint8Array> {
  const { data } = await sharp(file).extractChannel(0).raw().toBuffer({ resolveWithObject: true });
  return Uint8Array.from(data, (v) => (v >= 128 ? 1 : 0));
}

describe('the shipped interactive model', () => {
  it('is listed as the interactive model beside the automatic one, which keeps segmenting', async () => {
    const list = await services.handlers.listModels(undefined);
    const interactive = list.filter((m) => m.card['kind'] === 'interactive');
    expect(interactive.map((m) => m.name)).toEqual(['scsonet-interactive']);
    const info = await services.handlers.getModelInfo(undefined);
    expect(info.name).toBe('scsonet-isic2017');
    expect((await services.interactive()).model.entry.card.name).toBe('scsonet-interactive');
  });

  it('answers refineRegion through the contract with the probability over the grid', async () => {
    const image = new Uint8Array(256 * 256 * 3).map((_, i) => (i * 7) % 251);
    const reply = await dispatch(services.handlers as never, 'refineRegion', {
      image,
      clicks: [{ u: 128, v: 128, positive: true }],
      prev: new Uint8Array(256 * 256),
    });
    expect(reply.ok).toBe(true);
    const value = (reply as { value: { prob: Uint8Array; threshold: number; model: { name: string } } }).value;
    expect(value.prob).toHaveLength(65536);
    expect(value.threshold).toBe(0.5);
    expect(value.model.name).toBe('scsonet-interactive');
  });

  it('lifts IoU after one simulated click on held-out pairs, starting from the automatic prediction', async () => {
    const segmenter = await services.interactive();
    let before = 0;
    let after = 0;
    for (const id of pairs) {
      const imagePath = path.join(anchorDir, 'images', `${id}.jpg`);
      const image = await decodeFullRgb({ path: imagePath });
      const truth = await loadMask(path.join(anchorDir, 'masks', `${id}.png`));
      const auto = await services.segmenter.segment({ path: imagePath }, { encodePng: false });
      const start: MaskPlane = { width: image.width, height: image.height, data: runsToMask(auto.mask) };
      const click = nextClick(truth, start.data, image.width, image.height)!;
      const region = regionFromClicks([click], start, image.width, image.height);
      const step = await refineFullImage(segmenter, image, region, [click], start);
      before += iou(start.data, truth) / pairs.length;
      after += iou(step.mask.data, truth) / pairs.length;
    }
    expect(after).toBeGreaterThan(before + 0.01);
  });
});

describe('without a usable interactive model', () => {
  let tmp: string;
  beforeAll(async () => {
    tmp = await mkdtemp(path.join(os.tmpdir(), 'lesiondesk-interactive-'));
  });

  async function servicesIn(dir: string): Promise<Services> {
    return createServices({ modelDirs: [dir], threads: 1, interactive: 'lazy' });
  }

  it('refuses refineRegion with the reason when none is installed, and segments as before', async () => {
    const dir = path.join(tmp, 'none');
    await import('node:fs/promises').then((fs) => fs.mkdir(dir));
    for (const f of [automaticCard, 'scsonet-isic2017-v1.onnx']) await copyFile(path.join(modelDir, f), path.join(dir, f));
    const s = await servicesIn(dir);
    try {
      const reply = await dispatch(s.handlers as never, 'refineRegion', { image: new Uint8Array(196608), clicks: [], prev: null });
      expect(reply).toEqual({ ok: false, error: { code: 'refused', message: expect.stringMatching(/no interactive model is installed.*automatic segmentation works as before/) } });
      const jpg = await readFile(path.join(anchorDir, 'images', `${pairs[0]}.jpg`));
      expect((await s.handlers.segmentImage({ bytes: jpg, fileName: 'a.jpg' })).width).toBe(256);
    } finally {
      await s.close();
    }
  });

  it('refuses a card whose ONNX file is not shaped like the interactive model, naming the input', async () => {
    const dir = path.join(tmp, 'wrong');
    await import('node:fs/promises').then((fs) => fs.mkdir(dir));
    for (const f of [automaticCard, 'scsonet-isic2017-v1.onnx']) await copyFile(path.join(modelDir, f), path.join(dir, f));
    // The interactive card pointing at the automatic model's file (one input, "image").
    const card = JSON.parse(await readFile(path.join(modelDir, interactiveCard), 'utf8')) as Record<string, unknown>;
    await copyFile(path.join(modelDir, 'scsonet-isic2017-v1.onnx'), path.join(dir, 'wrong.onnx'));
    await writeFile(path.join(dir, interactiveCard), JSON.stringify({ ...card, file: 'wrong.onnx', sha256: await sha256File(path.join(dir, 'wrong.onnx')) }));
    const s = await servicesIn(dir);
    try {
      await expect(s.interactive()).rejects.toThrow(/wrong\.onnx has no input named "clicks"/);
      expect((await s.handlers.getModelInfo(undefined)).name).toBe('scsonet-isic2017');
    } finally {
      await s.close();
    }
  });
});

/**
 * The card's resize written out independently: separable triangle (bilinear) filter whose
 * support widens with the shrink factor (antialiased, as PIL and torch's antialias=True do),
 * half-pixel centres, 8-bit rounding.
 */
function referenceResize(rgb: Uint8Array, w: number, h: number, size: number): Uint8Array {
  const axis = (n: number) => {
    const scale = n / size;
    const support = Math.max(scale, 1);
    return Array.from({ length: size }, (_, i) => {
      const centre = (i + 0.5) * scale;
      const taps: [number, number][] = [];
      for (let x = Math.max(0, Math.floor(centre - support)); x < Math.min(n, Math.ceil(centre + support)); x++) {
        const wgt = Math.max(0, 1 - Math.abs(x + 0.5 - centre) / support);
        if (wgt > 0) taps.push([x, wgt]);
      }
      const sum = taps.reduce((a, t) => a + t[1], 0);
      return taps.map(([x, wgt]) => [x, wgt / sum] as [number, number]);
    });
  };
  const ax = axis(w);
  const ay = axis(h);
  const rows = new Float64Array(h * size * 3);
  for (let y = 0; y < h; y++) for (let i = 0; i < size; i++) for (const [x, wgt] of ax[i]) for (let c = 0; c < 3; c++) rows[(y * size + i) * 3 + c] += rgb[(y * w + x) * 3 + c] * wgt;
  const out = new Uint8Array(size * size * 3);
  for (let j = 0; j < size; j++) {
    for (let i = 0; i < size; i++) {
      for (let c = 0; c < 3; c++) {
        let v = 0;
        for (const [y, wgt] of ay[j]) v += rows[(y * size + i) * 3 + c] * wgt;
        out[(j * size + i) * 3 + c] = Math.min(255, Math.max(0, Math.round(v)));
      }
    }
  }
  return out;
}

describe('the CLI crop (sharp)', () => {
  it('equals the automatic preprocessing of a file holding only the region, and the card\'s antialiased bilinear resize within 2 levels on average', async () => {
    const files = await fixtureFiles();
    const image = await decodeFullRgb({ bytes: files['lesion.jpg'], name: 'lesion.jpg' });
    for (const region of [{ x0: 50, y0: 30, x1: 250, y1: 200 }, { x0: 0, y0: 0, x1: 320, y1: 240 }, { x0: 101, y0: 17, x1: 141, y1: 77 }]) {
      const crop = await cropForModel(image, region, 256);
      const w = region.x1 - region.x0;
      const h = region.y1 - region.y0;
      const regionRgb = new Uint8Array(w * h * 3);
      for (let y = 0; y < h; y++) regionRgb.set(image.rgb.subarray(((region.y0 + y) * image.width + region.x0) * 3, ((region.y0 + y) * image.width + region.x1) * 3), y * w * 3);
      const png = await sharp(regionRgb, { raw: { width: w, height: h, channels: 3 } }).png().toBuffer();
      expect(Buffer.from(crop).equals(Buffer.from((await decodeForModel({ bytes: png, name: 'region.png' }, 256, 256)).rgb))).toBe(true);
      const reference = referenceResize(regionRgb, w, h, 256);
      let diff = 0;
      for (let i = 0; i < crop.length; i++) diff += Math.abs(crop[i] - reference[i]);
      expect(diff / crop.length).toBeLessThan(2);
    }
  });

  it('takes regions in displayed pixels, after EXIF orientation', async () => {
    const files = await fixtureFiles();
    // Stored 320x240 with orientation 6: displayed 240x320, the lesion near (119, 64).
    const image = await decodeFullRgb({ bytes: files['rotated.jpg'], name: 'rotated.jpg' });
    expect([image.width, image.height]).toEqual([240, 320]);
    const crop = await cropForModel(image, { x0: 69, y0: 14, x1: 169, y1: 114 }, 256);
    const at = (x: number, y: number) => crop[(y * 256 + x) * 3] + crop[(y * 256 + x) * 3 + 1] + crop[(y * 256 + x) * 3 + 2];
    expect(at(128, 128)).toBeLessThan(at(2, 2) - 100); // dark lesion in the middle, skin in the corner
  });
});
