/**
 * Picks how the renderer reaches main: the preload bridge in Electron, or HTTP in browser mode.
 * Both are built from preload/api.ts, so the rest of the renderer cannot tell them apart.
 */
import {
  bridgeKey,
  createClient,
  createHttpEventSubscribe,
  createHttpInvoke,
  type LesionDeskApi,
} from '../../../preload/api.ts';

/** The API for this page, or an Error saying why none is available. */
export function connectApi(win: Window = window): LesionDeskApi {
  const bridged = (win as unknown as Record<string, LesionDeskApi | undefined>)[bridgeKey];
  if (bridged) return bridged;
  const token = win.document.querySelector('meta[name="lesiondesk-token"]')?.getAttribute('content');
  if (!token) {
    throw new Error('This page was not opened by LesionDesk: start it with `npm start` or `npm run serve`.');
  }
  // Calls carry the token in a header; the event stream is authorised by the page's cookie.
  return createClient(createHttpInvoke(token), createHttpEventSubscribe());
}
