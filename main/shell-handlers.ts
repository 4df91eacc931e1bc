/** The methods the shell implements itself: facts about the app, and handing links to the OS. */
import { externalWebHref, type ShellHandlers } from '../preload/api.ts';

export interface ShellHandlerOptions {
  version: string;
  transport: 'ipc' | 'http';
  /** Opens an http(s) URL in the user's browser; absent where the transport cannot. */
  openExternal?: (url: string) => Promise<void>;
}

/** Build getAppInfo and openExternal for one transport. */
export function createShellHandlers(options: ShellHandlerOptions): ShellHandlers {
  return {
    getAppInfo: async () => ({
      version: options.version,
      platform: `${process.platform}-${process.arch}`,
      transport: options.transport,
    }),
    openExternal: async ({ url }) => {
      if (!options.openExternal) {
        throw new Error('Opening links is done by the browser in browser mode.');
      }
      // The contract checked the URL already; checked again here so no caller can bypass it,
      // and the OS gets the parsed URL's normalised href (what was checked), never the raw
      // string, which its own URL parser could read differently.
      const href = externalWebHref(url);
      if (!href) throw new Error('Only absolute http(s) links can be opened.');
      await options.openExternal(href);
    },
  };
}
