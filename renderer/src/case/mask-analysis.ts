/**
 * Measurements and outlines of the mask, computed in a worker. On a 24 MP mask they take from
 * a few hundred milliseconds to seconds of CPU (moments, hull, marching squares, colours over
 * every lesion pixel); on the main thread that froze painting, undo and clean-up until done.
 * The worker gets a copy of the mask per request, and decodes the image itself once per case
 * (its 96 MB of RGBA never pass through the main thread). Where no worker can start (a strict
 * CSP, tests without one) the same code runs here.
 */
import { MaskRaster, measureMask, traceOutlines, type MaskMeasurements, type Point, type RgbaImage } from '../editor/index.ts';
import { BufferPool } from './buffer-pool.ts';
import { decodeRgba } from './decode-rgba.ts';
import type { AnalysisReply, AnalysisRequest } from './mask-analysis.worker.ts';

export interface MaskAnalyser {
  /** Where the work runs now (a worker that fails hands over to the main thread). */
  readonly runsIn: 'worker' | 'main thread';
  /** The image under the mask (for the ABCD colours), decoded as createImageBitmap does; null forgets it. */
  setImage(image: Blob | null): void;
  /** Measurements of `mask` (copied now, so the caller may keep editing). */
  measure(width: number, height: number, mask: Uint8Array, pixelsPerMm: number | null): Promise<MaskMeasurements>;
  /** Outline loops of `mask` (copied now). */
  outline(width: number, height: number, mask: Uint8Array): Promise<Point[][]>;
  /** Stops the worker; pending requests reject. */
  dispose(): void;
}

type Pending = { resolve: (value: never) => void; reject: (error: Error) => void };

/** An analyser backed by a worker when one starts, else by the main thread. */
export function createMaskAnalyser(): MaskAnalyser {
  const worker = startWorker();
  return worker ? workerAnalyser(worker) : mainThreadAnalyser();
}

function startWorker(): Worker | null {
  if (typeof Worker !== 'function') return null;
  try {
    return new Worker(new URL('./mask-analysis.worker.ts', import.meta.url), { type: 'module' });
  } catch {
    return null;
  }
}

/** The same analysis on the calling thread (the fallback, and what the worker itself runs). */
export function mainThreadAnalyser(): MaskAnalyser {
  // The latest setImage wins, even if an earlier decode finishes after it.
  let image: Promise<RgbaImage | null> = Promise.resolve(null);
  return {
    runsIn: 'main thread',
    setImage: (blob) => void (image = blob ? decodeRgba(blob).catch(() => null) : Promise.resolve(null)),
    measure: async (width, height, mask, pixelsPerMm) => {
      const raster = new MaskRaster(width, height, mask.slice()); // before waiting: the caller edits on
      const pixels = await image;
      const usable = pixels && pixels.width === width && pixels.height === height ? pixels : null;
      return measureMask(raster, { pixelsPerMm, image: usable });
    },
    outline: async (width, height, mask) => traceOutlines(new MaskRaster(width, height, mask.slice())),
    dispose: () => void (image = Promise.resolve(null)),
  };
}

function workerAnalyser(worker: Worker): MaskAnalyser {
  let nextId = 1;
  const waiting = new Map<number, Pending>();
  // Once the worker fails (it could not load, or crashed), everything runs here from then on.
  let fallback: MaskAnalyser | null = null;
  let image: Blob | null = null;
  const copies = new BufferPool();

  const failAll = (error: Error): void => {
    for (const pending of waiting.values()) pending.reject(error);
    waiting.clear();
  };
  worker.onmessage = (event: MessageEvent<AnalysisReply>) => {
    const reply = event.data;
    copies.give(reply.mask.buffer);
    const pending = waiting.get(reply.id);
    waiting.delete(reply.id);
    if (!pending) return;
    if (reply.kind === 'error') pending.reject(new Error(reply.message));
    else pending.resolve((reply.kind === 'measurements' ? reply.measurements : reply.outlines) as never);
  };
  worker.onerror = (event) => {
    event.preventDefault();
    fallback = mainThreadAnalyser();
    fallback.setImage(image);
    worker.terminate();
    failAll(new Error('The measurement worker stopped; measuring on the main thread from now on.'));
  };

  const request = <T>(message: AnalysisRequest, transfer: Transferable[]): Promise<T> =>
    new Promise<T>((resolve, reject) => {
      waiting.set(message.id, { resolve: resolve as (value: never) => void, reject });
      worker.postMessage(message, transfer);
    });
  const retryHere = <T>(run: (analyser: MaskAnalyser) => Promise<T>) => (error: unknown): Promise<T> => {
    if (fallback) return run(fallback);
    throw error;
  };

  return {
    get runsIn() {
      return fallback ? 'main thread' : 'worker';
    },
    setImage(blob) {
      image = blob;
      if (fallback) return fallback.setImage(blob);
      worker.postMessage({ kind: 'image', id: 0, image: blob } satisfies AnalysisRequest);
    },
    measure(width, height, mask, pixelsPerMm) {
      if (fallback) return fallback.measure(width, height, mask, pixelsPerMm);
      const copy = copies.copyOf(mask);
      return request<MaskMeasurements>({ kind: 'measure', id: nextId++, width, height, mask: copy, pixelsPerMm }, [copy.buffer]).catch(
        retryHere((a) => a.measure(width, height, mask, pixelsPerMm)),
      );
    },
    outline(width, height, mask) {
      if (fallback) return fallback.outline(width, height, mask);
      const copy = copies.copyOf(mask);
      return request<Point[][]>({ kind: 'outline', id: nextId++, width, height, mask: copy }, [copy.buffer]).catch(retryHere((a) => a.outline(width, height, mask)));
    },
    dispose() {
      worker.terminate();
      failAll(new Error('The case was closed.'));
      image = null;
    },
  };
}
