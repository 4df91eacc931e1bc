/** The main window and the process-wide guards around it (protocol, navigation, permissions). */
import { readFile } from 'node:fs/promises';
import { BrowserWindow, app, dialog, protocol, shell, type Session } from 'electron';
import { externalWebHref } from '../../preload/api.ts';
import {
  appEntryUrl,
  appScheme,
  mainWindowOptions,
  mimeTypeOf,
  resolveAppFile,
  securityHeaders,
} from './security.ts';

/** Must run before app is ready: app:// behaves like https (secure, standard, fetch-able). */
export function registerAppScheme(): void {
  protocol.registerSchemesAsPrivileged([
    { scheme: appScheme, privileges: { standard: true, secure: true, supportFetchAPI: true, codeCache: true } },
  ]);
}

/** Serve the built renderer from rendererDir as app://lesiondesk/. */
export function handleAppProtocol(rendererDir: string): void {
  protocol.handle(appScheme, async (request) => {
    const file = resolveAppFile(request.url, rendererDir);
    if (!file) return new Response('Not found', { status: 404 });
    try {
      const body = await readFile(file);
      return new Response(body, { headers: { ...securityHeaders, 'Content-Type': mimeTypeOf(file) } });
    } catch {
      return new Response('Not found', { status: 404 });
    }
  });
}

/**
 * Deny every permission (camera, notifications, ...), and cancel requests to anything but the
 * app itself, so a bug in the page cannot reach the network.
 */
export function hardenSession(target: Session, allowedOrigins: readonly string[]): void {
  target.setPermissionRequestHandler((_contents, _permission, callback) => callback(false));
  target.setPermissionCheckHandler(() => false);
  target.setDevicePermissionHandler(() => false);
  target.webRequest.onBeforeRequest((details, callback) => {
    const url = details.url;
    const allowed =
      url.startsWith(`${appScheme}://`) ||
      url.startsWith('devtools://') ||
      url.startsWith('blob:') ||
      url.startsWith('data:') ||
      allowedOrigins.some((origin) => url.startsWith(`${origin}/`) || url.startsWith(origin.replace(/^http/, 'ws')));
    callback({ cancel: !allowed });
  });
}

/** Block navigation, new windows and webviews in every web contents the app creates. */
export function blockNavigation(): void {
  app.on('web-contents-created', (_event, contents) => {
    contents.on('will-navigate', (event) => event.preventDefault());
    contents.on('will-redirect', (event) => event.preventDefault());
    contents.on('will-attach-webview', (event) => event.preventDefault());
    contents.setWindowOpenHandler(({ url }) => {
      // Links the app shows (model card sources, docs) open in the user's browser.
      const href = externalWebHref(url);
      if (href) void shell.openExternal(href);
      return { action: 'deny' };
    });
  });
}

/** Create and show the main window. devUrl: the Vite dev server, in development only. */
export async function createMainWindow(preloadPath: string, devUrl?: string): Promise<BrowserWindow> {
  // DevTools only in an unpackaged run (npm run dev / npm start from the repository).
  const window = new BrowserWindow(mainWindowOptions(preloadPath, { devTools: !app.isPackaged }));
  if (app.isPackaged) {
    // devTools: false already makes openDevTools and the menu's F12 / Ctrl+Shift+I a no-op, so
    // no key is intercepted (the page keeps every key); this closes the inspector should
    // anything still open it (an Electron regression, a future menu role).
    window.webContents.on('devtools-opened', () => window.webContents.closeDevTools());
  }
  // The page refuses to unload while an edit is unsaved (its beforeunload handler). A browser asks
  // the user then; Electron only cancels the close, so main asks, and leaving is the user's call.
  window.webContents.on('will-prevent-unload', (event) => {
    const choice = dialog.showMessageBoxSync(window, {
      type: 'warning',
      buttons: ['Stay', 'Leave anyway'],
      defaultId: 0,
      cancelId: 0,
      title: 'Unsaved changes',
      message: 'Some mask edits are not saved yet.',
      detail: 'Stay to let them finish saving. Edits already drawn are kept and recovered when the case is opened again, but one that was refused (another window saved a newer version, or the case was approved) still needs your choice.',
    });
    if (choice === 1) event.preventDefault();
  });
  window.once('ready-to-show', () => window.show());
  await window.loadURL(devUrl ?? appEntryUrl);
  return window;
}

