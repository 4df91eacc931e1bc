import { describe, expect, it } from 'vitest';
import { BufferPool } from './buffer-pool.ts';

describe('BufferPool', () => {
  it('copies into a buffer handed back, and only one of the same length', () => {
    const pool = new BufferPool();
    const first = pool.copyOf(new Uint8Array([1, 2, 3]));
    expect(Array.from(first)).toEqual([1, 2, 3]);
    pool.give(first.buffer);
    const second = pool.copyOf(new Uint8Array([4, 5, 6]));
    expect(second.buffer).toBe(first.buffer);
    expect(Array.from(second)).toEqual([4, 5, 6]);
    pool.give(second.buffer);
    const other = pool.copyOf(new Uint8Array([7, 8]));
    expect(other.buffer).not.toBe(first.buffer);
    expect(pool.size).toBe(1);
  });

  it('keeps a bounded number and skips buffers that were transferred away', () => {
    const pool = new BufferPool(2);
    for (let i = 0; i < 5; i++) pool.give(new ArrayBuffer(4));
    expect(pool.size).toBe(2);
    const detached = new ArrayBuffer(8);
    structuredClone(detached, { transfer: [detached] });
    pool.give(detached);
    expect(pool.size).toBe(2);
  });
});
