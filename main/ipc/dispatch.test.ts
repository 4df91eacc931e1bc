import { describe, expect, it, vi } from 'vitest';
import { methodNames, type ApiHandlers } from '../../preload/api.ts';
import { TrainingJobError } from '../services/errors.ts';
import { dispatch } from './dispatch.ts';

function handlers(overrides: Partial<ApiHandlers> = {}): ApiHandlers {
  const unused = async (): Promise<never> => {
    throw new Error('not used in this test');
  };
  const all = Object.fromEntries(methodNames.map((m) => [m, unused])) as unknown as ApiHandlers;
  return {
    ...all,
    getAppInfo: async () => ({ version: '0.1.0', platform: 'linux-x64', transport: 'ipc' }),
    ...overrides,
  };
}

describe('dispatch', () => {
  it('never runs a handler with invalid arguments', async () => {
    const segmentImage = vi.fn();
    const reply = await dispatch(handlers({ segmentImage }), 'segmentImage', { bytes: 'x', fileName: 1 });
    expect(segmentImage).not.toHaveBeenCalled();
    expect(reply).toMatchObject({ ok: false, error: { code: 'invalid-args' } });
  });

  it('answers unknown methods without touching handlers', async () => {
    const reply = await dispatch(handlers(), 'readFile', { path: '/etc/passwd' });
    expect(reply).toMatchObject({ ok: false, error: { code: 'unknown-method' } });
  });

  it('passes validated arguments and returns the value', async () => {
    const openExternal = vi.fn(async () => undefined);
    const reply = await dispatch(handlers({ openExternal }), 'openExternal', { url: 'https://example.org/' });
    expect(openExternal).toHaveBeenCalledWith({ url: 'https://example.org/' });
    expect(reply).toEqual({ ok: true, value: undefined });
  });

  it('turns a thrown error into its message, without a stack', async () => {
    const log = vi.fn();
    const reply = await dispatch(
      handlers({
        listModels: async () => {
          throw new Error('No model found in /models.');
        },
      }),
      'listModels',
      undefined,
      { log },
    );
    expect(reply).toEqual({ ok: false, error: { code: 'failed', message: 'No model found in /models.' } });
    expect(JSON.stringify(reply)).not.toMatch(/\bat .*\.ts:\d+/);
    expect(log).toHaveBeenCalledOnce();
  });

  it("answers the services' own errors as refusals, with their message and no failure logged", async () => {
    const log = vi.fn();
    const reply = await dispatch(
      handlers({
        trainingPreflight: async () => {
          throw new TrainingJobError('A fine-tuning job is already running (job 3).');
        },
      }),
      'trainingPreflight',
      undefined,
      { log },
    );
    expect(reply).toEqual({ ok: false, error: { code: 'refused', message: 'A fine-tuning job is already running (job 3).' } });
    expect(log).not.toHaveBeenCalled();
  });

  it('catches a handler that breaks the contract', async () => {
    const reply = await dispatch(
      handlers({ getAppInfo: async () => ({ version: 1, platform: 'x', transport: 'pigeon' }) as never }),
      'getAppInfo',
      undefined,
    );
    expect(reply.ok).toBe(false);
    if (!reply.ok) expect(reply.error.message).toMatch(/getAppInfo returned a result that breaks the contract: .*transport/);
  });
});
