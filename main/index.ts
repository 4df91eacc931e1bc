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

// LESIONDESK_DATA_DIR moves the whole user-data folder (model versions, jobs, browser storage).
if (process.env['LESIONDESK_DATA_DIR']) app.setPath('userData', path.resolve(process.env['LESIONDESK_DATA_DIR']));

app.enableSandbox();
registerAppScheme();
blockNavigation();

if (!app.requestSingleInstanceLock()) {
  app.quit();
} else {
  void app.whenReady().then(async () => {
    hardenSession(session.defaultSession, devOrigins);
    handleAppProtocol(path.join(outDir, 'renderer'));

    // Shipped models and the trainer (read-only); versions and jobs live in the user-data folder.
    const shippedModels = app.isPackaged ? path.join(process.resourcesPath, 'models') : path.join(app.getAppPath(), 'models');
    // The model loads and warms up while the window opens; IPC calls wait for it.
    const ready = createAppHandlers(
      { modelDirs: [shippedModels], dataDir: app.getPath('userData'), trainerDir: shippedModels, log },
      { version: app.getVersion(), transport: 'ipc', openExternal: (url) => shell.openExternal(url) },
    );
    void ready.then((handlers) => {
      if (handlers.problem) log(handlers.problem);
      // Quitting waits for a running fine-tuning job to be cancelled cleanly (its trainer
      // stopped, the store left as it was) before the process exits.
      let closed = false;
      app.on('before-quit', (event) => {
        if (closed) return;
        event.preventDefault();
        closed = true;
        void handlers.close().finally(() => app.quit());
      });
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
