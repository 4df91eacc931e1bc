/** Electron entry: secure defaults first, then services, IPC, and the window. */
import path from 'node:path';
import { app, dialog, session, shell } from 'electron';
import { createAppHandlers } from './app-handlers.ts';
import { registerIpcHandlers, sendEventsToWindow } from './ipc/electron-ipc.ts';
import {
  blockNavigation,
  createMainWindow,
  handleAppProtocol,
  hardenSession,
  registerAppScheme,
} from './window/main-window.ts';
import { errorMessage } from './services/index.ts';

// Built to out/main/index.js, next to out/preload and out/renderer.
const outDir = path.resolve(import.meta.dirname, '..');
// The Vite dev server is trusted only in an unpackaged `npm run dev`.
const devUrl = !app.isPackaged ? process.env['ELECTRON_RENDERER_URL'] : undefined;
const devOrigins = devUrl ? [new URL(devUrl).origin] : [];

const log = (message: string, error?: unknown) =>
  console.error(`[lesiondesk] ${message}${error instanceof Error ? `: ${error.message}` : ''}`);

app.enableSandbox();
registerAppScheme();
blockNavigation();

if (!app.requestSingleInstanceLock()) {
  app.quit();
} else {
  void app.whenReady().then(async () => {
    hardenSession(session.defaultSession, devOrigins);
    handleAppProtocol(path.join(outDir, 'renderer'));

    const modelDirs = [
      path.join(app.getPath('userData'), 'models'),
      app.isPackaged ? path.join(process.resourcesPath, 'models') : path.join(app.getAppPath(), 'models'),
    ];
    // The model loads and warms up while the window opens; IPC calls wait for it.
    const ready = createAppHandlers(
      { modelDirs },
      { version: app.getVersion(), transport: 'ipc', openExternal: (url) => shell.openExternal(url) },
    );
    void ready.then((handlers) => {
      if (handlers.problem) log(handlers.problem);
      app.on('before-quit', () => void handlers.close());
    });
    registerIpcHandlers(
      ready.then((h) => h.handlers),
      { extraOrigins: devOrigins, log },
    );

    try {
      const mainWindow = await createMainWindow(path.join(outDir, 'preload', 'index.cjs'), devUrl);
      // Job progress and model changes go to this window only, and stop when it closes.
      sendEventsToWindow(mainWindow, ready.then((h) => h.events), { extraOrigins: devOrigins, log });
    } catch (error) {
      dialog.showErrorBox('LesionDesk could not start', errorMessage(error));
      app.quit();
    }
  });
  app.on('window-all-closed', () => app.quit());
}
