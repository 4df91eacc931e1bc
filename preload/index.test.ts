import { EventEmitter } from 'node:events';
import { describe, expect, it, vi } from 'vitest';
import { channelOf, eventChannel, methodNames, type ApiEvent, type LesionDeskApi } from './api.ts';

// No Electron binary in CI: capture what the preload exposes.
const exposed = new Map<string, Record<string, (args?: unknown) => Promise<unknown>>>();
const invoke = vi.fn(async (_channel: string, _args: unknown) => ({ ok: true, value: 'pong' }));
// ipcRenderer's event side is an EventEmitter; main's webContents.send becomes an emit here.
const ipcEvents = new EventEmitter();
vi.mock('electron', () => ({
  contextBridge: { exposeInMainWorld: (key: string, value: Record<string, () => Promise<unknown>>) => exposed.set(key, value) },
  ipcRenderer: {
    invoke,
    on: (channel: string, listener: (...args: unknown[]) => void) => ipcEvents.on(channel, listener),
    removeListener: (channel: string, listener: (...args: unknown[]) => void) => ipcEvents.removeListener(channel, listener),
  },
}));
await import('./index.ts');

const fromMain = (event: unknown) => ipcEvents.emit(eventChannel, { sender: 'the ipcRenderer' }, event);
const changed: ApiEvent = { type: 'active-model-changed', active: 'scsonet-isic2017@1.1.0', previous: null };

describe('preload', () => {
  it('exposes exactly the contract methods and onEvent as window.lesiondesk, and no ipcRenderer', () => {
    expect([...exposed.keys()]).toEqual(['lesiondesk']);
    const api = exposed.get('lesiondesk')!;
    expect(Object.keys(api).sort()).toEqual([...methodNames, 'onEvent'].sort());
    expect(Object.values(api).every((v) => typeof v === 'function')).toBe(true);
    // Word by word: method names such as activateModelVersion end in "on" too.
    for (const key of Object.keys(api)) expect(key).not.toMatch(/ipc|^(invoke|send|on|once|removeListener)$/i);
  });

  it('forwards one argument to the method channel and unwraps the reply', async () => {
    const api = exposed.get('lesiondesk')!;
    const args = { url: 'https://example.org/' };
    await expect(api['openExternal']!(args)).resolves.toBe('pong');
    expect(invoke).toHaveBeenCalledWith(channelOf('openExternal'), args);
  });

  it("passes main's valid events to onEvent listeners, without the IPC event, until unsubscribed", () => {
    const api = exposed.get('lesiondesk') as unknown as LesionDeskApi;
    const listener = vi.fn();
    const unsubscribe = api.onEvent(listener);
    fromMain(changed);
    expect(listener).toHaveBeenCalledTimes(1);
    expect(listener.mock.calls[0]).toEqual([changed]);

    unsubscribe();
    fromMain(changed);
    expect(listener).toHaveBeenCalledTimes(1);
    expect(ipcEvents.listenerCount(eventChannel)).toBe(0);
  });

  it('drops events that break the contract', () => {
    const api = exposed.get('lesiondesk') as unknown as LesionDeskApi;
    const listener = vi.fn();
    const unsubscribe = api.onEvent(listener);
    for (const bad of [undefined, 'job-ended', { type: 'unknown' }, { ...changed, active: 'not a version' }, { ...changed, extra: 1 }]) {
      fromMain(bad);
    }
    expect(listener).not.toHaveBeenCalled();
    unsubscribe();
  });

  it('keeps each subscription separate, even of the same listener', () => {
    const api = exposed.get('lesiondesk') as unknown as LesionDeskApi;
    const listener = vi.fn();
    const first = api.onEvent(listener);
    const second = api.onEvent(listener);
    fromMain(changed);
    expect(listener).toHaveBeenCalledTimes(2);
    first();
    fromMain(changed);
    expect(listener).toHaveBeenCalledTimes(3);
    second();
    expect(ipcEvents.listenerCount(eventChannel)).toBe(0);
  });
});
