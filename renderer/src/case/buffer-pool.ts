/**
 * Byte buffers lent to a worker and handed back with its reply. A fresh 24 MB ArrayBuffer costs
 * about 100 ms of page faults in Chromium here before the first byte is copied; copying into one
 * that was used before takes 2-3 ms. The mask of every autosave and every measurement is such
 * a copy.
 */
export class BufferPool {
  private readonly free: ArrayBuffer[] = [];

  constructor(private readonly keep = 2) {}

  /** A copy of `bytes`, in a pooled buffer of exactly its length when one is free. */
  copyOf(bytes: Uint8Array): Uint8Array<ArrayBuffer> {
    const i = this.free.findIndex((buffer) => buffer.byteLength === bytes.length);
    const buffer = i >= 0 ? this.free.splice(i, 1)[0]! : new ArrayBuffer(bytes.length);
    const copy = new Uint8Array(buffer);
    copy.set(bytes);
    return copy;
  }

  /** Takes a buffer back; the oldest goes when more than `keep` are free. */
  give(buffer: ArrayBuffer): void {
    if (buffer.byteLength === 0) return; // detached: it went elsewhere
    this.free.push(buffer);
    if (this.free.length > this.keep) this.free.shift();
  }

  /** Number of free buffers (tests). */
  get size(): number {
    return this.free.length;
  }
}
