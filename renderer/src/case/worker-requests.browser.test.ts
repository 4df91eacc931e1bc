import { describe, expect, it } from 'vitest';
import { WorkerRequests, type WorkerReply } from './worker-requests.ts';

function workerFrom(source: string): Worker {
  return new Worker(URL.createObjectURL(new Blob([source], { type: 'text/javascript' })));
}

describe('WorkerRequests', () => {
  it('settles each request by its id, with the lent mask handed back', async () => {
    // Answers in reverse order of arrival, so ids, not order, must match replies to requests.
    const worker = workerFrom(`
      const held = [];
      onmessage = (e) => {
        held.push(e.data);
        if (held.length < 2) return;
        for (const m of held.reverse()) postMessage({ id: m.id, sum: m.mask.reduce((a, b) => a + b, 0) + m.add, mask: m.mask }, [m.mask.buffer]);
      };`);
    const requests = new WorkerRequests<WorkerReply & { sum: number }>(worker);
    const mask = new Uint8Array([1, 1, 0, 1]);
    const [a, b] = await Promise.all([requests.request({ add: 10 }, mask), requests.request({ add: 20 }, mask)]);
    expect([a.sum, b.sum]).toEqual([13, 23]);
    expect(Array.from(mask)).toEqual([1, 1, 0, 1]); // copies went over, not the caller's mask
    requests.close(new Error('done'));
  });

  it("rejects with the worker's error, and everything pending when the worker fails", async () => {
    const errors = new WorkerRequests<WorkerReply>(workerFrom(`onmessage = (e) => postMessage({ id: e.data.id, error: 'no such mask', mask: e.data.mask });`));
    await expect(errors.request({}, new Uint8Array(4))).rejects.toThrow('no such mask');
    expect(errors.failed).toBe(false);
    errors.close(new Error('done'));

    const broken = new WorkerRequests<WorkerReply>(workerFrom(`onmessage = () => { throw new Error('crash'); };`));
    await expect(broken.request({}, new Uint8Array(4))).rejects.toThrow(/main thread/);
    expect(broken.failed).toBe(true);
    await expect(broken.request({}, new Uint8Array(4))).rejects.toThrow(/stopped/);
  });
});
