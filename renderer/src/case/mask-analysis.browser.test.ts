import { afterEach, describe, expect, it } from 'vitest';
import { MaskRaster, measureMask, traceOutlines } from '../editor/index.ts';
import { createMaskAnalyser, mainThreadAnalyser, type MaskAnalyser } from './mask-analysis.ts';

/** A w x h mask with a filled disc, and a matching image: dark brown inside, skin outside. */
function disc(w: number, h: number, r: number): { mask: Uint8Array; image: Promise<Blob> } {
  const mask = new Uint8Array(w * h);
  const canvas = new OffscreenCanvas(w, h);
  const g = canvas.getContext('2d')!;
  g.fillStyle = 'rgb(230, 180, 154)';
  g.fillRect(0, 0, w, h);
  g.fillStyle = 'rgb(70, 40, 25)';
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      if ((x + 0.5 - w / 2) ** 2 + (y + 0.5 - h / 2) ** 2 <= r * r) {
        mask[y * w + x] = 1;
        g.fillRect(x, y, 1, 1);
      }
    }
  }
  return { mask, image: canvas.convertToBlob({ type: 'image/png' }) };
}

describe('mask analysis in a worker', () => {
  let analyser: MaskAnalyser | null = null;
  afterEach(() => analyser?.dispose());

  it('gives the same measurements and outlines as the editor core on the main thread', async () => {
    const { mask, image } = disc(160, 120, 40);
    analyser = createMaskAnalyser();
    expect(analyser.runsIn).toBe('worker');
    analyser.setImage(await image);
    const [inWorker, loops] = await Promise.all([analyser.measure(160, 120, mask, 4), analyser.outline(160, 120, mask)]);
    const raster = new MaskRaster(160, 120, mask.slice());
    const here = measureMask(raster, { pixelsPerMm: 4 });
    expect(inWorker).toMatchObject({ ...here, colours: expect.any(Array) });
    expect(inWorker.areaMm2).toBeCloseTo(here.areaPx / 16, 6);
    expect(inWorker.colours?.find((c) => c.colour === 'dark-brown')?.present).toBe(true);
    expect(loops).toEqual(traceOutlines(raster));
    expect(analyser.runsIn).toBe('worker');
  });

  it('copies the mask, so editing on after asking does not change the answer', async () => {
    const { mask } = disc(64, 64, 20);
    analyser = createMaskAnalyser();
    const pending = analyser.measure(64, 64, mask, null);
    const before = mask.reduce((a, b) => a + b, 0);
    mask.fill(0);
    expect((await pending).areaPx).toBe(before);
  });

  it('stops a measurement whose signal aborts, and measures the next one as usual', async () => {
    const { mask } = disc(640, 480, 200);
    analyser = createMaskAnalyser();
    const controller = new AbortController();
    const stale = analyser.measure(640, 480, mask, null, controller.signal);
    controller.abort();
    await expect(stale).rejects.toThrow(/cancelled/);
    expect((await analyser.measure(640, 480, mask, null)).areaPx).toBe(mask.reduce((a, b) => a + b, 0));
    expect(analyser.runsIn).toBe('worker');
  });

  it('measures without colours when the image cannot be decoded, and without one at all', async () => {
    const { mask } = disc(64, 64, 20);
    analyser = createMaskAnalyser();
    analyser.setImage(new Blob(['not an image'], { type: 'image/png' }));
    const broken = await analyser.measure(64, 64, mask, null);
    expect(broken.colours).toBeNull();
    expect(broken.areaPx).toBeGreaterThan(1000);
    analyser.setImage(null);
    expect((await analyser.measure(64, 64, mask, null)).colours).toBeNull();
  });

  it('ignores an image whose size differs from the mask (colours need both)', async () => {
    const small = disc(32, 32, 10);
    const { mask } = disc(64, 64, 20);
    const fallback = mainThreadAnalyser();
    fallback.setImage(await small.image);
    const result = await fallback.measure(64, 64, mask, null);
    expect(result.colours).toBeNull();
    expect(result.regionCount).toBe(1);
  });
});
