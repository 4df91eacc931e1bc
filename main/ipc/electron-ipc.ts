/**
 * Electron IPC transport: one ipcMain handler per contract method, sender checked first; and
 * main's events, sent to the app's own window only.
 */
import { ipcMain, type IpcMainInvokeEvent } from 'electron';
import { channelOf, eventChannel, methodNames, type ApiEvent, type ApiHandlers } from '../../preload/api.ts';
import type { EventHub } from '../services/events.ts';
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

/** The part of a BrowserWindow that sendEventsToWindow uses, so a test needs no Electron. */
export interface EventWindow {
  isDestroyed(): boolean;
  once(event: 'closed', listener: () => void): unknown;
  readonly webContents: {
    isDestroyed(): boolean;
    /** The top frame: the only one an event can reach (webContents.send targets it). */
    readonly mainFrame: { readonly url: string };
    send(channel: string, event: ApiEvent): void;
  };
}

/** The URL of the window's top frame, or null when its frame is gone (a crashed renderer). */
function topFrameUrl(window: EventWindow): string | null {
  try {
    return window.webContents.mainFrame.url;
  } catch {
    return null;
  }
}

/**
 * Send every event of the hub to one window on eventChannel, only while its top frame shows
 * the app's own page (the rule ipcSenderProblem applies to calls), until the window closes.
 * The hub may still be loading; events published before it resolves are not replayed (the page
 * reads the current state when it starts). Returns the function that stops sending.
 */
export function sendEventsToWindow(
  window: EventWindow,
  events: Pick<EventHub, 'subscribe'> | Promise<Pick<EventHub, 'subscribe'>>,
  options: IpcOptions = {},
): () => void {
  let stopped = false;
  let unsubscribe: (() => void) | null = null;
  // Log a refusal once, not for every progress event, until the page is trusted again.
  let lastProblem: string | null = null;
  const stop = () => {
    stopped = true;
    unsubscribe?.();
    unsubscribe = null;
  };
  window.once('closed', stop);
  void Promise.resolve(events).then(
    (hub) => {
      if (stopped || window.isDestroyed()) return stop();
      unsubscribe = hub.subscribe((event) => {
        if (window.isDestroyed() || window.webContents.isDestroyed()) return stop();
        // Checked on every event, not once: the page could have changed since the last one.
        const problem = ipcSenderProblem({ frameUrl: topFrameUrl(window), isMainFrame: true }, options.extraOrigins);
        if (problem) {
          if (problem !== lastProblem) options.log?.(`IPC event ${event.type} not sent: ${problem}`);
          lastProblem = problem;
          return;
        }
        lastProblem = null;
        window.webContents.send(eventChannel, event);
      });
    },
    (error: unknown) => options.log?.('IPC events: the event hub did not start', error),
  );
  return stop;
}
