import { beforeEach, describe, expect, it, vi } from 'vitest';
import { channelOf, eventChannel, methodNames, type ApiEvent, type ApiHandlers } from '../../preload/api.ts';
import { createEventHub } from '../services/events.ts';

// No Electron binary in CI: stand in for ipcMain and check the wiring around it.
const registered = new Map<string, (event: unknown, args: unknown) => Promise<unknown>>();
vi.mock('electron', () => ({
  ipcMain: { handle: (channel: string, fn: (event: unknown, args: unknown) => Promise<unknown>) => registered.set(channel, fn) },
}));
const { registerIpcHandlers, sendEventsToWindow } = await import('./electron-ipc.ts');

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

/** A stand-in BrowserWindow: records what is sent to it and can close or navigate. */
function fakeWindow(url = 'app://lesiondesk/index.html') {
  let onClosed: (() => void) | undefined;
  let destroyed = false;
  const sent: [string, ApiEvent][] = [];
  return {
    sent,
    isDestroyed: () => destroyed,
    once: (_event: 'closed', listener: () => void) => void (onClosed = listener),
    webContents: {
      isDestroyed: () => destroyed,
      mainFrame: { url },
      send: (channel: string, event: ApiEvent) => void sent.push([channel, event]),
    },
    close() {
      destroyed = true;
      onClosed?.();
    },
  };
}

const changed: ApiEvent = { type: 'active-model-changed', active: 'scsonet-isic2017@1.1.0', previous: null };

describe('IPC events', () => {
  it("sends the hub's events to the app window only, and stops when it closes", async () => {
    const hub = createEventHub();
    const app = fakeWindow();
    const foreign = fakeWindow('https://evil.example/');
    const log = vi.fn();
    sendEventsToWindow(app, hub, { log });
    sendEventsToWindow(foreign, hub, { log });
    await Promise.resolve();

    hub.publish(changed);
    hub.publish(changed);
    expect(app.sent).toEqual([
      [eventChannel, changed],
      [eventChannel, changed],
    ]);
    expect(foreign.sent).toEqual([]);
    // Refused once in the log, not once per event.
    expect(log).toHaveBeenCalledTimes(1);
    expect(log.mock.calls[0]![0]).toMatch(/evil\.example/);

    app.close();
    hub.publish(changed);
    expect(app.sent).toHaveLength(2);
  });

  it('checks the page on every event: a window that left the app gets nothing', async () => {
    const hub = createEventHub();
    const win = fakeWindow();
    sendEventsToWindow(win, hub);
    await Promise.resolve();
    win.webContents.mainFrame.url = 'https://evil.example/';
    hub.publish(changed);
    win.webContents.mainFrame.url = 'app://lesiondesk/index.html';
    hub.publish(changed);
    expect(win.sent).toEqual([[eventChannel, changed]]);
  });

  it('trusts the dev server origin only when given', async () => {
    const hub = createEventHub();
    const dev = fakeWindow('http://localhost:5173/');
    const devTrusted = fakeWindow('http://localhost:5173/');
    sendEventsToWindow(dev, hub);
    sendEventsToWindow(devTrusted, hub, { extraOrigins: ['http://localhost:5173'] });
    await Promise.resolve();
    hub.publish(changed);
    expect(dev.sent).toEqual([]);
    expect(devTrusted.sent).toEqual([[eventChannel, changed]]);
  });

  it('waits for a hub that is still loading, and never subscribes for a window closed meanwhile', async () => {
    const hub = createEventHub();
    const subscribe = vi.spyOn(hub, 'subscribe');
    let resolve!: (h: typeof hub) => void;
    const loading = new Promise<typeof hub>((r) => (resolve = r));
    const open = fakeWindow();
    const closed = fakeWindow();
    sendEventsToWindow(open, loading);
    sendEventsToWindow(closed, loading);
    closed.close();
    resolve(hub);
    await loading;
    await Promise.resolve();
    expect(subscribe).toHaveBeenCalledTimes(1);
    hub.publish(changed);
    expect(open.sent).toEqual([[eventChannel, changed]]);
    expect(closed.sent).toEqual([]);
  });

  it('stops when asked, and tolerates a window destroyed without its closed event', async () => {
    const hub = createEventHub();
    const a = fakeWindow();
    const stop = sendEventsToWindow(a, hub);
    const b = fakeWindow();
    sendEventsToWindow(b, hub);
    await Promise.resolve();
    stop();
    b.webContents.isDestroyed = () => true;
    expect(() => hub.publish(changed)).not.toThrow();
    expect(a.sent).toEqual([]);
    expect(b.sent).toEqual([]);
  });

  it('sends nothing when the top frame cannot be read', async () => {
    const hub = createEventHub();
    const win = fakeWindow();
    Object.defineProperty(win.webContents, 'mainFrame', {
      get: () => {
        throw new Error('Render frame was disposed before WebFrameMain could be accessed');
      },
    });
    const log = vi.fn();
    sendEventsToWindow(win, hub, { log });
    await Promise.resolve();
    hub.publish(changed);
    expect(win.sent).toEqual([]);
    expect(log.mock.calls[0]![0]).toMatch(/unknown page/);
  });
});
