/**
 * Measurements and outlines of the mask, computed in a worker. On a 24 MP mask they take from
 * a few hundred milliseconds to seconds of CPU (moments, hull, marching squares, colours over
 * every lesion pixel); on the main thread that froze painting, undo and clean-up until done.
 * The worker gets a copy of the mask per request, and decodes the image itself once per case
 * (its 96 MB of RGBA never pass through the main thread). Where no worker can start (a strict
 * CSP, tests without one) the same code runs here.
 */
import { MaskRaster, measureMask, traceOutlines, type MaskMeasurements, type Point, type RgbaImage } from '../editor/index.ts';
import { decodeRgba } from './decode-rgba.ts';
import type { AnalysisReply, AnalysisRequest } from './mask-analysis.worker.ts';
import { startModuleWorker, WorkerRequests } from './worker-requests.ts';

export interface MaskAnalyser {
  /** Where the work runs now (a worker that fails hands over to the main thread). */
  readonly runsIn: 'worker' | 'main thread';
  /** The image under the mask (for the ABCD colours), decoded as createImageBitmap does; null forgets it. */
  setImage(image: Blob | null): void;
  /**
   * Measurements of `mask` (copied now, so the caller may keep editing). Aborting `signal` stops
   * a measurement the mask has outgrown at its next step (it then rejects).
   */
  measure(width: number, height: number, mask: Uint8Array, pixelsPerMm: number | null, signal?: AbortSignal): Promise<MaskMeasurements>;
  /** Outline loops of `mask` (copied now). */
  outline(width: number, height: number, mask: Uint8Array): Promise<Point[][]>;
  /** Stops the worker; pending requests reject. */
  dispose(): void;
}

/** An analyser backed by a worker when one starts, else by the main thread. */
export function createMaskAnalyser(): MaskAnalyser {
  const worker = startModuleWorker(() => new Worker(new URL('./mask-analysis.worker.ts', import.meta.url), { type: 'module' }));
  return worker ? workerAnalyser(new WorkerRequests<AnalysisReply>(worker)) : mainThreadAnalyser();
}

/** The same analysis on the calling thread (the fallback, and what the worker itself runs). */
export function mainThreadAnalyser(): MaskAnalyser {
  // The latest setImage wins, even if an earlier decode finishes after it.
  let image: Promise<RgbaImage | null> = Promise.resolve(null);
  return {
    runsIn: 'main thread',
    setImage: (blob) => void (image = blob ? decodeRgba(blob).catch(() => null) : Promise.resolve(null)),
    measure: async (width, height, mask, pixelsPerMm, signal) => {
      const raster = new MaskRaster(width, height, mask.slice()); // before waiting: the caller edits on
      const pixels = await image;
      if (signal?.aborted) throw new Error('The measurement was cancelled: the mask changed.');
      const usable = pixels && pixels.width === width && pixels.height === height ? pixels : null;
      return measureMask(raster, { pixelsPerMm, image: usable });
    },
    outline: async (width, height, mask) => traceOutlines(new MaskRaster(width, height, mask.slice())),
    dispose: () => void (image = Promise.resolve(null)),
  };
}

function workerAnalyser(requests: WorkerRequests<AnalysisReply>): MaskAnalyser {
  // Once the worker fails (it could not load, or crashed), everything runs here from then on.
  let fallback: MaskAnalyser | null = null;
  let image: Blob | null = null;
  const here = (): MaskAnalyser => {
    if (!fallback) {
      fallback = mainThreadAnalyser();
      fallback.setImage(image);
    }
    return fallback;
  };
  // A request the worker dropped by failing is done here; any other error is the answer.
  const orHere = <T>(run: (analyser: MaskAnalyser) => Promise<T>) => (error: unknown): Promise<T> => {
    if (requests.failed) return run(here());
    throw error;
  };

  return {
    get runsIn() {
      return requests.failed ? 'main thread' : 'worker';
    },
    setImage(blob) {
      image = blob;
      if (requests.failed) here().setImage(blob);
      else requests.post({ kind: 'image', image: blob } satisfies AnalysisRequest);
    },
    measure(width, height, mask, pixelsPerMm, signal) {
      const run = (a: MaskAnalyser) => a.measure(width, height, mask, pixelsPerMm, signal);
      if (requests.failed) return run(here());
      return requests.request({ kind: 'measure', width, height, pixelsPerMm }, mask, signal).then((reply) => reply.measurements!, orHere(run));
    },
    outline(width, height, mask) {
      const run = (a: MaskAnalyser) => a.outline(width, height, mask);
      if (requests.failed) return run(here());
      return requests.request({ kind: 'outline', width, height }, mask).then((reply) => reply.outlines!, orHere(run));
    },
    dispose() {
      requests.close(new Error('The case was closed.'));
      image = null;
    },
  };
}
