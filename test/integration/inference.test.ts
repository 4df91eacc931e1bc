/**
 * The inference service end to end with the shipped model: decoding every supported format and
 * every broken file we know of, the card and ONNX checks, TTA, the queue, parity with PyTorch,
 * and (with the ISIC sample present) segmentation quality.
 */
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, readdir, readFile, writeFile, copyFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { ImageDecodeError, ImageTooLargeError, ImageTooSmallError, ModelCardError, ModelLoadError } from '../../main/services/errors.js';
import { decodeForModel, toModelInput } from '../../main/services/imaging.js';
import { createServices, type Services } from '../../main/services/index.js';
import { readModelCard, scanModelDirs } from '../../main/services/modelRegistry.js';
import { ModelSession } from '../../main/services/modelSession.js';
import { discMask, fixtureFiles, lesionImage } from '../fixtures/images.js';
import { dice, hasIsic, isicDir, modelDir } from './helpers.js';

// The build machine is shared (a model may be training beside the tests): allow slow runs.
vi.setConfig({ testTimeout: 120_000, hookTimeout: 180_000 });

let services: Services;
let files: Record<string, Buffer>;

beforeAll(async () => {
  services = await createServices({ modelDirs: [modelDir], threads: 2 });
  files = await fixtureFiles();
});

afterAll(async () => {
  await services?.close();
});

async function maskPixels(png: Uint8Array): Promise<{ width: number; height: number; data: Buffer; channels: number }> {
  const meta = await sharp(png).metadata();
  const { data, info } = await sharp(png).extractChannel(0).raw().toBuffer({ resolveWithObject: true });
  return { width: info.width, height: info.height, data, channels: meta.channels ?? 0 };
}

describe('the shipped model', () => {
  it('is found, its checksum and signature match its card, and a provider is reported', async () => {
    const info = await services.handlers.getModelInfo(undefined);
    expect(info.name).toMatch(/scsonet/);
    expect(info.provider).toBe(services.segmenter.session.provider.provider);
    expect(info.available).toContain('cpu');
    expect(services.segmenter.session.provider.reason.length).toBeGreaterThan(5);
    const list = await services.handlers.listModels(undefined);
    expect(list.map((m) => `${m.name}@${m.version}`)).toContain(`${info.name}@${info.version}`);
  });

  it('matches the PyTorch probabilities of its parity fixture', async (ctx) => {
    const entry = services.segmenter.session.entry;
    const parityDir = entry.onnxPath.replace(/\.onnx$/, '.parity');
    if (!existsSync(path.join(parityDir, 'meta.json'))) {
      ctx.skip(`no parity fixture at ${parityDir}`);
      return;
    }
    const meta = JSON.parse(readFileSync(path.join(parityDir, 'meta.json'), 'utf8')) as { n: number; threshold: number };
    const toF32 = (b: Buffer): Float32Array => new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
    const input = toF32(await readFile(path.join(parityDir, 'input.f32')));
    const expected = toF32(await readFile(path.join(parityDir, 'prob.f32')));
    const actual = await services.segmenter.session.runBatch(input, meta.n);
    expect(actual.length).toBe(expected.length);
    let agree = 0;
    let absDiff = 0;
    for (let i = 0; i < actual.length; i++) {
      if (actual[i] >= meta.threshold === expected[i] >= meta.threshold) agree++;
      absDiff += Math.abs(actual[i] - expected[i]);
    }
    expect(agree / actual.length).toBeGreaterThanOrEqual(0.999);
    expect(absDiff / actual.length).toBeLessThanOrEqual(1e-3);
  });
});

describe('model cards and ONNX checks', () => {
  let tmp: string;
  let card: Record<string, unknown>;
  let onnxName: string;
  beforeAll(async () => {
    tmp = await mkdtemp(path.join(os.tmpdir(), 'lesiondesk-card-'));
    const entry = services.segmenter.session.entry;
    card = JSON.parse(await readFile(entry.cardPath, 'utf8')) as Record<string, unknown>;
    onnxName = path.basename(entry.onnxPath);
    await copyFile(entry.onnxPath, path.join(tmp, onnxName));
  });
  const writeCard = async (name: string, value: unknown): Promise<string> => {
    const p = path.join(tmp, name);
    await writeFile(p, JSON.stringify(value));
    return p;
  };

  it('names every missing or wrong field of a broken card', async () => {
    const { sha256: _omit, ...rest } = card;
    const p = await writeCard('broken.json', { ...rest, threshold: 2, input: { ...(card.input as object), layout: 'NHWC' } });
    const error = await readModelCard(p).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ModelCardError);
    expect((error as Error).message).toMatch(/sha256: .*expected string/i);
    expect((error as Error).message).toMatch(/threshold/);
    expect((error as Error).message).toMatch(/input\.layout/);
  });

  it('lists an unusable card as a problem instead of failing the whole scan', async () => {
    await writeCard('no-onnx.json', { ...card, file: 'absent.onnx' });
    const catalog = await scanModelDirs([tmp]);
    expect(catalog.problems.some((p) => p.message.includes('absent.onnx') && p.message.includes('missing'))).toBe(true);
  });

  it('refuses an ONNX file whose sha256 differs from the card', async () => {
    const p = await writeCard('bad-sha.json', { ...card, sha256: '0'.repeat(64) });
    const error = await ModelSession.open(await readModelCard(p)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ModelLoadError);
    expect((error as Error).message).toMatch(/does not match its card: sha256/);
  });

  it('refuses a model whose input shape or names differ from the card', async () => {
    const pre = card.preprocessing as { resize: object };
    const p = await writeCard('wrong-shape.json', {
      ...card,
      input: { ...(card.input as object), shape: [3, 128, 128] },
      preprocessing: { ...pre, resize: { ...pre.resize, width: 128, height: 128 } },
    });
    const error = await ModelSession.open(await readModelCard(p)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ModelLoadError);
    expect((error as Error).message).toMatch(/input "image" has shape \[1, 3, 256, 256\], but its card expects \[N, 3, 128, 128\]/);

    const q = await writeCard('wrong-name.json', { ...card, output: { ...(card.output as object), name: 'logits' } });
    const error2 = await ModelSession.open(await readModelCard(q)).catch((e: unknown) => e);
    expect((error2 as Error).message).toMatch(/no output named "logits" \(its outputs: prob\)/);
  });
});

describe('decoding and segmenting the fixture images', () => {
  const readable: [string, number, number][] = [
    ['lesion.jpg', 320, 240],
    ['lesion.png', 320, 240],
    ['lesion.tif', 320, 240],
    ['lesion.webp', 320, 240],
    ['lesion.bmp', 320, 240],
    ['cmyk.jpg', 320, 240],
    ['sixteen-bit.png', 320, 240],
    ['grey.png', 320, 240],
    ['alpha.png', 320, 240],
    ['rotated.jpg', 240, 320],
  ];
  it.each(readable)('%s gives a full-size 0/255 mask whose area, outline and scores agree', async (name, w, h) => {
    const r = await services.handlers.segmentImage({ bytes: new Uint8Array(files[name]), fileName: name });
    expect([r.width, r.height]).toEqual([w, h]);
    const mask = await maskPixels(r.maskPng);
    expect(mask.channels).toBe(1);
    expect([mask.width, mask.height]).toEqual([w, h]);
    let area = 0;
    for (const v of mask.data) {
      expect(v === 0 || v === 255).toBe(true);
      if (v === 255) area++;
    }
    expect(r.lesionAreaPx).toBe(area);
    expect(r.prob.length).toBe(r.probWidth * r.probHeight);
    expect(r.uncertainty).toBeGreaterThanOrEqual(0);
    expect(r.uncertainty).toBeLessThanOrEqual(1);
    for (const ring of r.outline) {
      expect(ring.length % 2).toBe(0);
      for (let i = 0; i < ring.length; i += 2) {
        expect(ring[i]).toBeGreaterThanOrEqual(0);
        expect(ring[i]).toBeLessThanOrEqual(w);
        expect(ring[i + 1]).toBeGreaterThanOrEqual(0);
        expect(ring[i + 1]).toBeLessThanOrEqual(h);
      }
    }
    if (area === 0) expect(r.outline).toHaveLength(0);
    expect(r.timings.totalMs).toBeGreaterThanOrEqual(r.timings.inferMs);
    expect(r.model.name).toBe(services.segmenter.session.entry.card.name);
  });

  it('converts 16-bit, grey, CMYK and alpha inputs to the same 8-bit sRGB the 8-bit file gives', async () => {
    const decode = (name: string) => decodeForModel({ bytes: files[name], name }, 256, 256);
    const ref = (await decode('lesion.png')).rgb;
    const meanDiff = (a: Uint8Array, b: Uint8Array): number => {
      let s = 0;
      for (let i = 0; i < a.length; i++) s += Math.abs(a[i] - b[i]);
      return s / a.length;
    };
    expect(meanDiff((await decode('sixteen-bit.png')).rgb, ref)).toBeLessThan(1);
    expect(meanDiff((await decode('cmyk.jpg')).rgb, ref)).toBeLessThan(12);
    const grey = (await decode('grey.png')).rgb;
    for (let i = 0; i < grey.length; i += 3) expect(grey[i] === grey[i + 1] && grey[i] === grey[i + 2]).toBe(true);
    // alpha 0.8 over black: every channel is darker than the opaque original.
    const alpha = (await decode('alpha.png')).rgb;
    const mean = (a: Uint8Array): number => a.reduce((s, v) => s + v, 0) / a.length;
    expect(mean(alpha) / mean(ref)).toBeGreaterThan(0.75);
    expect(mean(alpha) / mean(ref)).toBeLessThan(0.85);
  });

  it('applies EXIF orientation 6 before the model sees the image', async () => {
    const d = await decodeForModel({ bytes: files['rotated.jpg'], name: 'rotated.jpg' }, 256, 256);
    expect([d.width, d.height]).toEqual([240, 320]);
    // The lesion was drawn in the left fifth of the stored pixels: after rotating clockwise it is at the top.
    const rowMean = (y0: number, y1: number): number => {
      let s = 0;
      for (let y = y0; y < y1; y++) for (let x = 0; x < 256 * 3; x++) s += d.rgb[y * 256 * 3 + x];
      return s / ((y1 - y0) * 256 * 3);
    };
    expect(rowMean(0, 85)).toBeLessThan(rowMean(171, 256) - 20);
  });

  it('scales per image with min-max over all pixels and channels, in NCHW order', () => {
    const rgb = Uint8Array.from([10, 20, 30, 110, 60, 10]); // 2x1 pixels
    const t = toModelInput(rgb, 2, 1);
    [0, 1, 0.1, 0.5, 0.2, 0].forEach((v, i) => expect(t[i]).toBeCloseTo(v, 6));
    expect(Array.from(toModelInput(new Uint8Array(6).fill(7), 2, 1))).toEqual([0, 0, 0, 0, 0, 0]);
  });
});

describe('files that are not usable images', () => {
  const cases: [string, new (...args: never[]) => Error, RegExp][] = [
    ['truncated.jpg', ImageDecodeError, /^truncated\.jpg is not a readable image \(truncated JPEG data\)$/],
    ['corrupt.jpg', ImageDecodeError, /^corrupt\.jpg is not a readable image \(corrupt JPEG data\)$/],
    ['corrupt.png', ImageDecodeError, /^corrupt\.png is not a readable image \((corrupt|truncated) PNG data\)$/],
    ['empty.jpg', ImageDecodeError, /^empty\.jpg is empty \(0 bytes\)$/],
    ['notes.jpg', ImageDecodeError, /^notes\.jpg is not a readable image \(unrecognised file format\)$/],
    ['one-pixel.png', ImageTooSmallError, /^one-pixel\.png is only 1x1 pixels; a lesion image must be at least 8x8$/],
    ['bomb.png', ImageTooLargeError, /^bomb\.png is 10000x10000 \(100 megapixels\), above the limit of 64 megapixels$/],
  ];
  it.each(cases)('%s is refused with a readable message', async (name, type, message) => {
    const error = await services.segmenter.segment({ bytes: files[name], name }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(type);
    expect((error as Error).message).toMatch(message);
  });

  it('rejects the 100-megapixel header from the header alone', async () => {
    const before = process.memoryUsage().rss;
    const start = performance.now();
    await expect(services.segmenter.segment({ bytes: files['bomb.png'], name: 'bomb.png' })).rejects.toThrow(ImageTooLargeError);
    expect(performance.now() - start).toBeLessThan(1000);
    expect(process.memoryUsage().rss - before).toBeLessThan(100 * 1024 * 1024); // 100 MP RGB would be 300 MB
  });

  it('reports a missing file by name', async () => {
    await expect(services.segmenter.segment({ path: '/nonexistent/photo.jpg' })).rejects.toThrow(/^photo\.jpg could not be read \(file not found\)$/);
  });

  it('refuses SVG, which sharp could render but is not a photo', async () => {
    const svg = Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" width="64" height="64"><rect width="64" height="64"/></svg>');
    await expect(services.segmenter.segment({ bytes: svg, name: 'drawing.svg' })).rejects.toThrow(/SVG is not a supported photo format/);
  });
});

describe('inference options', () => {
  it('flip TTA equals the mean of the three un-flipped single runs', async () => {
    const s = services.segmenter;
    const decoded = await s.decode({ bytes: files['lesion.jpg'], name: 'lesion.jpg' });
    const tta = await s.predict(decoded, true);
    const n = 256;
    const x = toModelInput(decoded.rgb, n, n);
    const flip = (src: Float32Array, channels: number, horizontal: boolean): Float32Array => {
      const out = new Float32Array(src.length);
      for (let c = 0; c < channels; c++)
        for (let y = 0; y < n; y++)
          for (let xx = 0; xx < n; xx++) {
            const sy = horizontal ? y : n - 1 - y;
            const sx = horizontal ? n - 1 - xx : xx;
            out[c * n * n + y * n + xx] = src[c * n * n + sy * n + sx];
          }
      return out;
    };
    const p0 = await s.session.runBatch(x, 1);
    const ph = flip(await s.session.runBatch(flip(x, 3, true), 1), 1, true);
    const pv = flip(await s.session.runBatch(flip(x, 3, false), 1), 1, false);
    let maxDiff = 0;
    for (let i = 0; i < tta.length; i++) maxDiff = Math.max(maxDiff, Math.abs(tta[i] - (p0[i] + ph[i] + pv[i]) / 3));
    expect(maxDiff).toBeLessThan(1e-4);
    // The views the uncertainty benchmark scores are these three, each flipped back.
    const views = await s.predictViews(decoded);
    let viewDiff = 0;
    for (const [view, single] of [[views[0], p0], [views[1], ph], [views[2], pv]] as const) {
      for (let i = 0; i < single.length; i++) viewDiff = Math.max(viewDiff, Math.abs(view[i] - single[i]));
    }
    expect(viewDiff).toBeLessThan(1e-4);
  });

  it('queues concurrent requests against the one session and returns the same results', async () => {
    const names = ['lesion.jpg', 'lesion.png', 'lesion.webp', 'lesion.tif', 'lesion.bmp'];
    const one = await services.segmenter.segment({ bytes: files['lesion.png'], name: 'lesion.png' });
    const all = await Promise.all(names.map((name) => services.segmenter.segment({ bytes: files[name], name })));
    expect(all.map((r) => r.width)).toEqual(names.map(() => 320));
    expect(all[1].lesionAreaPx).toBe(one.lesionAreaPx);
    expect(Array.from(all[1].prob.subarray(0, 1000))).toEqual(Array.from(one.prob.subarray(0, 1000)));
  });

  it('answers a person\'s request before the background requests queued ahead of it', async () => {
    const bytes = new Uint8Array(files['lesion.jpg']);
    const finished: string[] = [];
    const background = Array.from({ length: 6 }, (_, i) =>
      services.handlers.segmentImage({ bytes, fileName: `b${i}.jpg`, priority: 'background' }).then(() => finished.push(`b${i}`)),
    );
    const open = services.handlers.segmentImage({ bytes, fileName: 'open.jpg' }).then((r) => {
      finished.push('open');
      return r;
    });
    expect((await open).width).toBe(320);
    await Promise.all(background);
    // At most the one background request already running finishes first.
    expect(finished.indexOf('open')).toBeLessThanOrEqual(1);
    expect(finished.filter((n) => n !== 'open')).toEqual(['b0', 'b1', 'b2', 'b3', 'b4', 'b5']);
  });

  it('uses a lower threshold to mark at least as many pixels', async () => {
    const bytes = new Uint8Array(files['lesion.jpg']);
    const strict = await services.handlers.segmentImage({ bytes, fileName: 'lesion.jpg', threshold: 0.9 });
    const loose = await services.handlers.segmentImage({ bytes, fileName: 'lesion.jpg', threshold: 0.1 });
    expect(loose.lesionAreaPx).toBeGreaterThanOrEqual(strict.lesionAreaPx);
  });
});

describe('segmentation quality', () => {
  it('segments ISIC 2017 training images with a median Dice >= 0.8 against their masks', async (ctx) => {
    if (!hasIsic) {
      console.log(`skipped: ISIC sample not found at ${isicDir}`);
      ctx.skip(`ISIC sample not found at ${isicDir}`);
      return;
    }
    const images = (await readdir(path.join(isicDir, 'images'))).filter((f) => f.endsWith('.jpg')).sort().slice(0, 12);
    const scores: number[] = [];
    for (const f of images) {
      const stem = path.basename(f, '.jpg');
      const truthPath = [`${stem}.png`, `${stem}_segmentation.png`].map((n) => path.join(isicDir, 'masks', n)).find((p) => existsSync(p));
      if (!truthPath) continue;
      const r = await services.segmenter.segment({ path: path.join(isicDir, 'images', f) });
      const truth = await sharp(truthPath).extractChannel(0).raw().toBuffer({ resolveWithObject: true });
      expect([truth.info.width, truth.info.height]).toEqual([r.width, r.height]);
      const pred = await maskPixels(r.maskPng);
      scores.push(dice(pred.data, truth.data));
    }
    expect(scores.length).toBeGreaterThanOrEqual(5);
    scores.sort((a, b) => a - b);
    const median = scores[Math.floor(scores.length / 2)];
    console.log(`ISIC Dice over ${scores.length} images: median ${median.toFixed(3)}, min ${scores[0].toFixed(3)}`);
    expect(median).toBeGreaterThanOrEqual(0.8);
  });

  it('segments a dark round lesion on skin-coloured background (Dice >= 0.8 against the drawn disc)', async () => {
    const w = 640;
    const h = 480;
    const disc = { cx: 300, cy: 250, r: 110 };
    const jpeg = await lesionImage(w, h, disc, 7).jpeg({ quality: 92 }).toBuffer();
    const r = await services.segmenter.segment({ bytes: jpeg, name: 'disc.jpg' });
    const pred = await maskPixels(r.maskPng);
    const score = dice(pred.data, discMask(w, h, disc));
    console.log(`synthetic disc Dice ${score.toFixed(3)}, uncertainty ${r.uncertainty.toFixed(3)}`);
    expect(score).toBeGreaterThanOrEqual(0.8);
  });

  it('puts the mask of an EXIF-rotated photo where the lesion is after rotation', async () => {
    const r = await services.segmenter.segment({ bytes: files['rotated.jpg'], name: 'rotated.jpg' });
    const pred = await maskPixels(r.maskPng);
    let sy = 0;
    let n = 0;
    for (let y = 0; y < pred.height; y++)
      for (let x = 0; x < pred.width; x++)
        if (pred.data[y * pred.width + x] === 255) {
          sy += y;
          n++;
        }
    expect(n).toBeGreaterThan(1000);
    expect(sy / n).toBeLessThan(pred.height * 0.4); // drawn at 20% of the stored width = top after rotation
  });
});
