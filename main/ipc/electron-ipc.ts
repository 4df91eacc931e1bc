/** Electron IPC transport: one ipcMain handler per contract method, sender checked first. */
import { ipcMain, type IpcMainInvokeEvent } from 'electron';
import { channelOf, methodNames, type ApiHandlers } from '../../preload/api.ts';
import { ipcSenderProblem } from '../window/security.ts';
import { dispatch, forbiddenReply } from './dispatch.ts';

export interface IpcOptions {
  /** Origins trusted besides app://lesiondesk (the Vite dev server, in development only). */
  extraOrigins?: readonly string[];
  log?: (message: string, error?: unknown) => void;
}

/**
 * Register every method of the contract on ipcMain. Handlers may still be loading (the model
 * warms up while the window opens): calls wait for them.
 */
export function registerIpcHandlers(handlers: ApiHandlers | Promise<ApiHandlers>, options: IpcOptions = {}): void {
  for (const method of methodNames) {
    ipcMain.handle(channelOf(method), async (event: IpcMainInvokeEvent, args: unknown) => {
      const frame = event.senderFrame;
      const problem = ipcSenderProblem(
        { frameUrl: frame?.url, isMainFrame: frame !== null && frame.parent === null },
        options.extraOrigins,
      );
      if (problem) {
        options.log?.(`IPC ${method} dropped: ${problem}`);
        return forbiddenReply(problem);
      }
      return dispatch(await handlers, method, args, { log: options.log });
    });
  }
}
