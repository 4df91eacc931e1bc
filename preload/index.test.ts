import { describe, expect, it, vi } from 'vitest';
import { channelOf, methodNames } from './api.ts';

// No Electron binary in CI: capture what the preload exposes.
const exposed = new Map<string, Record<string, (args?: unknown) => Promise<unknown>>>();
const invoke = vi.fn(async (_channel: string, _args: unknown) => ({ ok: true, value: 'pong' }));
vi.mock('electron', () => ({
  contextBridge: { exposeInMainWorld: (key: string, value: Record<string, () => Promise<unknown>>) => exposed.set(key, value) },
  ipcRenderer: { invoke },
}));
await import('./index.ts');

describe('preload', () => {
  it('exposes exactly the contract methods as window.lesiondesk, and no ipcRenderer', () => {
    expect([...exposed.keys()]).toEqual(['lesiondesk']);
    const api = exposed.get('lesiondesk')!;
    expect(Object.keys(api).sort()).toEqual([...methodNames].sort());
    expect(Object.values(api).every((v) => typeof v === 'function')).toBe(true);
    expect(JSON.stringify(Object.keys(api))).not.toMatch(/ipc|invoke|send|on\b/);
  });

  it('forwards one argument to the method channel and unwraps the reply', async () => {
    const api = exposed.get('lesiondesk')!;
    const args = { url: 'https://example.org/' };
    await expect(api['openExternal']!(args)).resolves.toBe('pong');
    expect(invoke).toHaveBeenCalledWith(channelOf('openExternal'), args);
  });
});
