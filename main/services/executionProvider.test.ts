import { describe, expect, it } from 'vitest';
import { chooseProviders, createWithFallback, type HostFacts } from './executionProvider.js';

function host(platform: NodeJS.Platform, arch = 'x64', files: string[] = []): HostFacts {
  return { platform, arch, ortBinDir: '/ort/bin', fileExists: (f) => files.includes(f) };
}

describe('chooseProviders', () => {
  it('uses CPU on Linux when the CUDA provider library is absent, and says how to get CUDA', () => {
    const c = chooseProviders(host('linux'));
    expect(c.map((x) => x.name)).toEqual(['cpu']);
    expect(c[0].reason).toMatch(/cuda12/);
  });
  it('tries CUDA first on Linux when libonnxruntime_providers_cuda.so is present', () => {
    const c = chooseProviders(host('linux', 'x64', ['/ort/bin/libonnxruntime_providers_cuda.so']));
    expect(c.map((x) => x.name)).toEqual(['cuda', 'cpu']);
  });
  it('tries DirectML on Windows, CoreML on Apple silicon, CPU on Intel macs', () => {
    expect(chooseProviders(host('win32')).map((x) => x.name)).toEqual(['dml', 'cpu']);
    expect(chooseProviders(host('darwin', 'arm64')).map((x) => x.name)).toEqual(['coreml', 'cpu']);
    expect(chooseProviders(host('darwin', 'x64')).map((x) => x.name)).toEqual(['cpu']);
  });
  it('honours a CPU preference', () => {
    expect(chooseProviders(host('win32'), 'cpu').map((x) => x.name)).toEqual(['cpu']);
  });
});

describe('createWithFallback', () => {
  it('falls back to CPU when the GPU provider fails and reports why', async () => {
    const tried: string[] = [];
    const { session, report } = await createWithFallback(chooseProviders(host('win32')), async (p) => {
      tried.push(p);
      if (p === 'dml') throw new Error('DirectML device removed\nstack...');
      return `session-${p}`;
    });
    expect(tried).toEqual(['dml', 'cpu']);
    expect(session).toBe('session-cpu');
    expect(report.provider).toBe('cpu');
    expect(report.reason).toBe('dml failed to start: DirectML device removed; using cpu');
  });
  it('reports the accelerated provider when it starts', async () => {
    const { report } = await createWithFallback(chooseProviders(host('darwin', 'arm64')), async (p) => p);
    expect(report).toEqual({ provider: 'coreml', reason: 'CoreML is bundled on Apple silicon' });
  });
  it('throws with every failure when nothing starts', async () => {
    await expect(
      createWithFallback(chooseProviders(host('linux')), async () => {
        throw new Error('broken');
      }),
    ).rejects.toThrow(/cpu failed to start: broken/);
  });
});
