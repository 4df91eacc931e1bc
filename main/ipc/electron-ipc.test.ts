import { beforeEach, describe, expect, it, vi } from 'vitest';
import { channelOf, methodNames, type ApiHandlers } from '../../preload/api.ts';

// No Electron binary in CI: stand in for ipcMain and check the wiring around it.
const registered = new Map<string, (event: unknown, args: unknown) => Promise<unknown>>();
vi.mock('electron', () => ({
  ipcMain: { handle: (channel: string, fn: (event: unknown, args: unknown) => Promise<unknown>) => registered.set(channel, fn) },
}));
const { registerIpcHandlers } = await import('./electron-ipc.ts');

const getAppInfo = vi.fn(async () => ({ version: '1.0.0', platform: 'linux-x64', transport: 'ipc' as const }));
const handlers = { getAppInfo } as unknown as ApiHandlers;

function event(url: string, parent: object | null = null) {
  return { senderFrame: { url, parent } };
}

describe('IPC transport', () => {
  beforeEach(() => {
    registered.clear();
    getAppInfo.mockClear();
    registerIpcHandlers(handlers, { log: () => {} });
  });

  it('registers one channel per contract method and nothing else', () => {
    expect([...registered.keys()].sort()).toEqual(methodNames.map(channelOf).sort());
  });

  it('runs the handler for the app page', async () => {
    const reply = await registered.get(channelOf('getAppInfo'))!(event('app://lesiondesk/index.html'), undefined);
    expect(reply).toEqual({ ok: true, value: { version: '1.0.0', platform: 'linux-x64', transport: 'ipc' } });
  });

  it('drops calls from other origins and sub-frames before the handler', async () => {
    for (const e of [event('https://evil.example/'), event('app://lesiondesk/index.html', {}), { senderFrame: null }]) {
      const reply = await registered.get(channelOf('getAppInfo'))!(e, undefined);
      expect(reply).toMatchObject({ ok: false, error: { code: 'forbidden' } });
    }
    expect(getAppInfo).not.toHaveBeenCalled();
  });

  it('validates arguments after the sender check', async () => {
    const reply = await registered.get(channelOf('getAppInfo'))!(event('app://lesiondesk/'), { extra: 1 });
    expect(reply).toMatchObject({ ok: false, error: { code: 'invalid-args' } });
    expect(getAppInfo).not.toHaveBeenCalled();
  });

  it('lets calls wait for handlers that are still loading', async () => {
    registered.clear();
    let resolve!: (h: ApiHandlers) => void;
    registerIpcHandlers(new Promise<ApiHandlers>((r) => (resolve = r)));
    const pending = registered.get(channelOf('getAppInfo'))!(event('app://lesiondesk/'), undefined);
    resolve(handlers);
    await expect(pending).resolves.toMatchObject({ ok: true });
  });
});
