/**
 * Mask PNG encoding for autosave, in a worker when the page can start one (the deflate of a
 * 24 MP mask would otherwise stall painting), on the main thread when it cannot.
 */
import { encodeMaskPng } from '../exchange/png.ts';
import type { PngReply } from './mask-png.worker.ts';
import { startModuleWorker, WorkerRequests } from './worker-requests.ts';

let encoder: WorkerRequests<PngReply> | null | undefined;

/** The mask (0/1 bytes, copied here) as an 8-bit grayscale PNG Blob. */
export async function encodeMaskPngBlob(width: number, height: number, mask: Uint8Array): Promise<Blob> {
  if (encoder === undefined) {
    const worker = startModuleWorker(() => new Worker(new URL('./mask-png.worker.ts', import.meta.url), { type: 'module' }));
    encoder = worker && new WorkerRequests<PngReply>(worker);
  }
  if (encoder && !encoder.failed) {
    try {
      const { png } = await encoder.request({ width, height }, mask);
      return new Blob([png], { type: 'image/png' });
    } catch {
      // The worker failed: encode here (from the caller's mask; the copy went to the worker).
    }
  }
  return new Blob([encodeMaskPng({ width, height, data: mask })], { type: 'image/png' });
}
