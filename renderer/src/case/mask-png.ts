/**
 * Mask PNG encoding for autosave, in a worker when the page can start one (the deflate of a
 * 24 MP mask would otherwise stall painting), on the main thread when it cannot.
 */
import { encodeMaskPng } from '../exchange/png.ts';
import { BufferPool } from './buffer-pool.ts';

/** Replies hand the mask copy back (`data`), for the next request to reuse. */
type Reply = { id: number; png: Uint8Array<ArrayBuffer>; data: Uint8Array<ArrayBuffer> } | { id: number; error: string; data: Uint8Array<ArrayBuffer> };

const copies = new BufferPool();

let worker: Worker | null | undefined;
let nextId = 1;
const waiting = new Map<number, { resolve: (png: Uint8Array<ArrayBuffer>) => void; reject: (error: Error) => void }>();

function startWorker(): Worker | null {
  try {
    const started = new Worker(new URL('./mask-png.worker.ts', import.meta.url), { type: 'module' });
    started.onmessage = (event: MessageEvent<Reply>) => {
      const reply = event.data;
      copies.give(reply.data.buffer);
      const pending = waiting.get(reply.id);
      waiting.delete(reply.id);
      if (!pending) return;
      if ('png' in reply) pending.resolve(reply.png);
      else pending.reject(new Error(reply.error));
    };
    started.onerror = () => {
      // A worker that cannot load (a strict CSP, a missing file): encode here from now on.
      worker = null;
      for (const pending of waiting.values()) pending.reject(new Error('worker failed'));
      waiting.clear();
    };
    return started;
  } catch {
    return null;
  }
}

/** The mask (0/1 bytes, copied here) as an 8-bit grayscale PNG Blob. */
export async function encodeMaskPngBlob(width: number, height: number, mask: Uint8Array): Promise<Blob> {
  if (worker === undefined) worker = typeof Worker === 'function' ? startWorker() : null;
  if (worker) {
    const data = copies.copyOf(mask);
    const id = nextId++;
    try {
      const png = await new Promise<Uint8Array<ArrayBuffer>>((resolve, reject) => {
        waiting.set(id, { resolve, reject });
        worker!.postMessage({ id, width, height, data }, [data.buffer]);
      });
      return new Blob([png], { type: 'image/png' });
    } catch {
      // Fall through: the data was transferred, so encode from the caller's mask.
      return new Blob([encodeMaskPng({ width, height, data: mask })], { type: 'image/png' });
    }
  }
  return new Blob([encodeMaskPng({ width, height, data: mask })], { type: 'image/png' });
}
