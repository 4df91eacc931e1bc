import { afterEach, describe, expect, it, vi } from 'vitest';
import { InferenceQueue } from './inferenceQueue.ts';

/** A task the test finishes by hand, recording when it started. */
function manualTask(started: string[], name: string): { task: () => Promise<string>; finish: () => void; fail: (e: Error) => void } {
  let finish!: () => void;
  let fail!: (e: Error) => void;
  const done = new Promise<string>((resolve, reject) => {
    finish = () => resolve(name);
    fail = reject;
  });
  return {
    task: () => {
      started.push(name);
      return done;
    },
    finish: () => finish(),
    fail: (e) => fail(e),
  };
}

const settle = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 0));

afterEach(() => {
  vi.useRealTimers();
});

describe('InferenceQueue', () => {
  it('starts an interactive request at once, ahead of every waiting background one', async () => {
    const queue = new InferenceQueue();
    const started: string[] = [];
    const background = Array.from({ length: 5 }, (_, i) => manualTask(started, `b${i}`));
    const finished: string[] = [];
    background.forEach((b) => void queue.run('background', b.task).then((n) => finished.push(n)));
    await settle();
    // Background work runs one request at a time.
    expect(started).toEqual(['b0']);
    expect(queue.counts).toEqual({ interactiveRunning: 0, backgroundRunning: 1, backgroundWaiting: 4 });

    const open = manualTask(started, 'open');
    const opened = queue.run('interactive', open.task).then((n) => finished.push(n));
    await settle();
    expect(started).toEqual(['b0', 'open']);
    // The running background request ends; the next one waits while the person's request runs.
    background[0]!.finish();
    await settle();
    expect(started).toEqual(['b0', 'open']);
    open.finish();
    await opened;
    await settle();
    expect(finished).toEqual(['b0', 'open']);
    expect(started).toEqual(['b0', 'open', 'b1']);
    for (const b of background.slice(1)) {
      b.finish();
      await settle();
    }
    expect(finished).toEqual(['b0', 'open', 'b1', 'b2', 'b3', 'b4']);
  });

  it('lets the oldest background request go after maxBypass interactive starts, so it never starves', async () => {
    const queue = new InferenceQueue({ maxBypass: 3 });
    const started: string[] = [];
    const first = manualTask(started, 'i0');
    void queue.run('interactive', first.task);
    const waiting = manualTask(started, 'b0');
    void queue.run('background', waiting.task);
    await settle();
    expect(started).toEqual(['i0']);
    // A steady stream: each interactive request overlaps the next one.
    const stream = [1, 2, 3].map((i) => manualTask(started, `i${i}`));
    void queue.run('interactive', stream[0]!.task);
    void queue.run('interactive', stream[1]!.task);
    await settle();
    expect(started).toEqual(['i0', 'i1', 'i2']);
    void queue.run('interactive', stream[2]!.task);
    await settle();
    expect(started).toEqual(['i0', 'i1', 'i2', 'i3', 'b0']);
  });

  it('passes a failure to its caller and goes on with the next request', async () => {
    const queue = new InferenceQueue();
    const started: string[] = [];
    const bad = manualTask(started, 'bad');
    const good = manualTask(started, 'good');
    const failed = queue.run('background', bad.task);
    const next = queue.run('background', good.task);
    const thrown = queue.run('background', () => {
      throw new Error('synchronous');
    });
    bad.fail(new Error('decode failed'));
    await expect(failed).rejects.toThrow('decode failed');
    await settle();
    expect(started).toEqual(['bad', 'good']);
    good.finish();
    await expect(next).resolves.toBe('good');
    await expect(thrown).rejects.toThrow('synchronous');
    expect(queue.counts).toEqual({ interactiveRunning: 0, backgroundRunning: 0, backgroundWaiting: 0 });
  });

  it('keeps background work waiting for quietMs after a person\'s request ended', async () => {
    vi.useFakeTimers();
    let clock = 0;
    const queue = new InferenceQueue({ quietMs: 1000, now: () => clock });
    const started: string[] = [];
    const open = manualTask(started, 'open');
    const opened = queue.run('interactive', open.task);
    const waiting = manualTask(started, 'b0');
    void queue.run('background', waiting.task);
    clock = 200;
    open.finish();
    await opened;
    await vi.advanceTimersByTimeAsync(0);
    expect(started).toEqual(['open']);
    // The queue's timer fires at the end of the quiet time; a clock short of it changes nothing.
    clock = 1100;
    await vi.advanceTimersByTimeAsync(1000);
    expect(started).toEqual(['open']);
    clock = 1200;
    await vi.advanceTimersByTimeAsync(100);
    expect(started).toEqual(['open', 'b0']);
  });

  it('refuses a maxBypass that would starve background work', () => {
    expect(() => new InferenceQueue({ maxBypass: 0 })).toThrow(/maxBypass/);
    expect(() => new InferenceQueue({ quietMs: -1 })).toThrow(/quietMs/);
  });
});
