import { describe, expect, it } from 'vitest';
import { executorOptions, threadOptions } from './modelSession.js';

describe('executor options', () => {
  it('runs two or more CPU threads as the parallel executor, one as the sequential one', () => {
    expect(threadOptions(2)).toEqual({ executionMode: 'parallel', interOpNumThreads: 2, intraOpNumThreads: 1 });
    expect(threadOptions(1)).toEqual({ executionMode: 'sequential', interOpNumThreads: 1, intraOpNumThreads: 1 });
    expect(executorOptions('cpu', 4)).toEqual(threadOptions(4));
  });

  it('never gives DirectML the parallel executor or memory patterns, which it refuses', () => {
    expect(executorOptions('dml', 2)).toMatchObject({ executionMode: 'sequential', enableMemPattern: false });
    for (const provider of ['cuda', 'coreml'] as const) expect(executorOptions(provider, 2)).toMatchObject({ executionMode: 'sequential', intraOpNumThreads: 2 });
  });
});
