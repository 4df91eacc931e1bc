/**
 * Request and reply over a worker, shared by the autosave PNG encoder and the mask analyser.
 * Each request carries an id and a copy of the mask (from a BufferPool, transferred); the reply
 * with that id settles it and hands the copy back for the next request. If the worker fails
 * (cannot load under a strict CSP, or crashes), every pending request rejects and `failed`
 * turns true, so its owner can do the work on the main thread from then on.
 */
import { BufferPool } from './buffer-pool.ts';

/** What every reply carries: its request's id, the lent mask back, and an error if it failed. */
export interface WorkerReply {
  readonly id: number;
  readonly mask: Uint8Array<ArrayBuffer>;
  readonly error?: string;
}

/**
 * The worker `start` makes, or null where none can start. `start` must spell out
 * `new Worker(new URL('./x.worker.ts', import.meta.url), { type: 'module' })` itself: that
 * literal form is what the bundler recognises and builds as a worker.
 */
export function startModuleWorker(start: () => Worker): Worker | null {
  if (typeof Worker !== 'function') return null;
  try {
    return start();
  } catch {
    return null;
  }
}

export class WorkerRequests<Reply extends WorkerReply> {
  private nextId = 1;
  private readonly waiting = new Map<number, { resolve: (reply: Reply) => void; reject: (error: Error) => void }>();
  private readonly copies = new BufferPool();
  /** True once the worker has failed; requests then reject at once. */
  failed = false;

  constructor(private readonly worker: Worker) {
    worker.onmessage = (event: MessageEvent<Reply>) => {
      const reply = event.data;
      this.copies.give(reply.mask.buffer);
      const pending = this.waiting.get(reply.id);
      this.waiting.delete(reply.id);
      if (!pending) return;
      if (reply.error !== undefined) pending.reject(new Error(reply.error));
      else pending.resolve(reply);
    };
    worker.onerror = (event) => {
      event.preventDefault();
      this.failed = true;
      this.close(new Error('The worker stopped; working on the main thread from now on.'));
    };
  }

  /**
   * Sends `message` with an id and a copy of `mask` (the caller may keep editing its own). When
   * `signal` aborts first, the worker is sent `{ kind: 'cancel', id }`; its reply still settles
   * the request (and hands the copy back).
   */
  request<M extends object>(message: M, mask: Uint8Array, signal?: AbortSignal): Promise<Reply> {
    if (this.failed) return Promise.reject(new Error('The worker has stopped.'));
    const id = this.nextId++;
    const copy = this.copies.copyOf(mask);
    return new Promise<Reply>((resolve, reject) => {
      const cancel = (): void => this.post({ kind: 'cancel', id });
      signal?.addEventListener('abort', cancel, { once: true });
      const settled = (): void => signal?.removeEventListener('abort', cancel);
      this.waiting.set(id, {
        resolve: (reply) => (settled(), resolve(reply)),
        reject: (error) => (settled(), reject(error)),
      });
      this.worker.postMessage({ ...message, id, mask: copy }, [copy.buffer]);
    });
  }

  /** Sends a message that expects no reply. */
  post(message: object): void {
    if (!this.failed) this.worker.postMessage(message);
  }

  /** Stops the worker; pending requests reject with `reason`. */
  close(reason: Error): void {
    this.worker.terminate();
    for (const pending of this.waiting.values()) pending.reject(reason);
    this.waiting.clear();
  }
}
