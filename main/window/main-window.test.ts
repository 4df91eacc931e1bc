import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { contentSecurityPolicy } from './security.ts';

// No Electron binary in CI: record what the shell asks of Electron and check the policy.
const appHandlers = new Map<string, (...args: unknown[]) => void>();
let protocolHandler: ((request: { url: string }) => Promise<Response>) | undefined;
let privileged: unknown;
const openExternal = vi.fn(async () => {});
const showMessageBoxSync = vi.fn((_window: unknown, _options: { buttons: string[] }) => 0);
const electronApp = { on: (name: string, fn: (...args: unknown[]) => void) => appHandlers.set(name, fn), isPackaged: false };
/** A BrowserWindow that records its options and its web contents' listeners. */
class FakeWindow {
  static last: FakeWindow | undefined;
  readonly listeners = new Map<string, (event?: { preventDefault(): void }) => void>();
  readonly webContents = {
    on: (name: string, fn: (event?: { preventDefault(): void }) => void) => this.listeners.set(name, fn),
    closeDevTools: vi.fn(),
  };
  constructor(readonly options: { webPreferences: { devTools: boolean } }) {
    FakeWindow.last = this;
  }
  once(): void {}
  async loadURL(): Promise<void> {}
}
vi.mock('electron', () => ({
  app: electronApp,
  protocol: {
    registerSchemesAsPrivileged: (schemes: unknown) => (privileged = schemes),
    handle: (_scheme: string, fn: typeof protocolHandler) => (protocolHandler = fn),
  },
  shell: { openExternal },
  dialog: { showMessageBoxSync },
  BrowserWindow: FakeWindow,
}));
const { blockNavigation, createMainWindow, handleAppProtocol, hardenSession, registerAppScheme } = await import('./main-window.ts');

describe('app:// protocol', () => {
  const root = mkdtempSync(path.join(tmpdir(), 'lesiondesk-app-'));
  writeFileSync(path.join(root, 'index.html'), '<!doctype html><title>x</title>');
  handleAppProtocol(root);

  it('is registered as a standard, secure scheme', () => {
    registerAppScheme();
    expect(privileged).toEqual([
      { scheme: 'app', privileges: expect.objectContaining({ standard: true, secure: true, supportFetchAPI: true }) },
    ]);
  });

  it('serves the renderer with the CSP header', async () => {
    const res = await protocolHandler!({ url: 'app://lesiondesk/index.html' });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-security-policy')).toBe(contentSecurityPolicy);
    expect(res.headers.get('content-type')).toMatch(/text\/html/);
  });

  it('answers 404 outside the renderer folder and for other hosts', async () => {
    for (const url of ['app://lesiondesk/%2e%2e/%2e%2e/etc/passwd', 'app://other/index.html', 'app://lesiondesk/missing.js']) {
      expect((await protocolHandler!({ url })).status, url).toBe(404);
    }
  });
});

describe('navigation and windows', () => {
  blockNavigation();
  const listeners = new Map<string, (event: { preventDefault(): void }) => void>();
  let openHandler: ((details: { url: string }) => { action: string }) | undefined;
  appHandlers.get('web-contents-created')!(
    {},
    {
      on: (name: string, fn: (event: { preventDefault(): void }) => void) => listeners.set(name, fn),
      setWindowOpenHandler: (fn: typeof openHandler) => (openHandler = fn),
    },
  );

  it('cancels navigation, redirects and webviews', () => {
    for (const name of ['will-navigate', 'will-redirect', 'will-attach-webview']) {
      const preventDefault = vi.fn();
      listeners.get(name)!({ preventDefault });
      expect(preventDefault, name).toHaveBeenCalled();
    }
  });

  it('denies every new window, handing only http(s) links to the OS', () => {
    expect(openHandler!({ url: 'https://isic-archive.com/' })).toEqual({ action: 'deny' });
    expect(openHandler!({ url: 'file:///etc/passwd' })).toEqual({ action: 'deny' });
    expect(openHandler!({ url: 'app://lesiondesk/index.html' })).toEqual({ action: 'deny' });
    expect(openExternal).toHaveBeenCalledTimes(1);
    expect(openExternal).toHaveBeenCalledWith('https://isic-archive.com/');
  });

  it('hands the OS the parsed URL, not the raw string', () => {
    openExternal.mockClear();
    openHandler!({ url: 'HTTPS://Example.COM/a b?q=ü#x' });
    expect(openExternal).toHaveBeenCalledWith('https://example.com/a%20b?q=%C3%BC#x');
    // A unicode host goes out as its punycode, odd characters percent-encoded.
    openHandler!({ url: 'https://bücher.example/"<a b>"' });
    expect(openExternal).toHaveBeenLastCalledWith('https://xn--bcher-kva.example/%22%3Ca%20b%3E%22');
    expect(openExternal).toHaveBeenCalledTimes(2);
  });
});

describe('main window', () => {
  it('asks before closing over unsaved edits, and closes only when the user chooses to leave', async () => {
    await createMainWindow('/p/index.cjs');
    const onPreventUnload = FakeWindow.last!.listeners.get('will-prevent-unload')!;
    const stay = { preventDefault: vi.fn() };
    showMessageBoxSync.mockReturnValueOnce(0);
    onPreventUnload(stay);
    expect(stay.preventDefault).not.toHaveBeenCalled();
    const leave = { preventDefault: vi.fn() };
    showMessageBoxSync.mockReturnValueOnce(1);
    onPreventUnload(leave);
    // preventDefault on will-prevent-unload overrides the page's refusal: the window closes.
    expect(leave.preventDefault).toHaveBeenCalledTimes(1);
    expect(showMessageBoxSync.mock.calls[0]![1].buttons).toEqual(['Stay', 'Leave anyway']);
  });

  it('has DevTools in an unpackaged run', async () => {
    electronApp.isPackaged = false;
    await createMainWindow('/p/index.cjs');
    expect(FakeWindow.last!.options.webPreferences.devTools).toBe(true);
    expect(FakeWindow.last!.listeners.has('devtools-opened')).toBe(false);
  });

  it('has no DevTools in a packaged build, and shuts them should they open anyway', async () => {
    electronApp.isPackaged = true;
    try {
      await createMainWindow('/p/index.cjs');
    } finally {
      electronApp.isPackaged = false;
    }
    const window = FakeWindow.last!;
    expect(window.options.webPreferences.devTools).toBe(false);
    window.listeners.get('devtools-opened')!();
    expect(window.webContents.closeDevTools).toHaveBeenCalledTimes(1);
  });
});

describe('session', () => {
  const calls: Record<string, (...args: never[]) => unknown> = {};
  const session = {
    setPermissionRequestHandler: (fn: never) => (calls['request'] = fn),
    setPermissionCheckHandler: (fn: never) => (calls['check'] = fn),
    setDevicePermissionHandler: (fn: never) => (calls['device'] = fn),
    webRequest: { onBeforeRequest: (fn: never) => (calls['request-filter'] = fn) },
  };
  hardenSession(session as never, []);

  it('denies every permission', () => {
    const callback = vi.fn();
    (calls['request'] as (wc: unknown, p: string, cb: (ok: boolean) => void) => void)({}, 'media', callback);
    expect(callback).toHaveBeenCalledWith(false);
    expect((calls['check'] as () => boolean)()).toBe(false);
    expect((calls['device'] as () => boolean)()).toBe(false);
  });

  it('cancels requests to anything but the app', () => {
    const filter = calls['request-filter'] as (d: { url: string }, cb: (r: { cancel: boolean }) => void) => void;
    const verdict = (url: string) => {
      let cancel: boolean | undefined;
      filter({ url }, (r) => (cancel = r.cancel));
      return cancel;
    };
    expect(verdict('app://lesiondesk/assets/index.js')).toBe(false);
    expect(verdict('https://tracker.example/pixel.gif')).toBe(true);
    expect(verdict('http://127.0.0.1:5173/')).toBe(true);
  });
});
