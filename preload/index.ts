/**
 * The preload script (sandboxed, bundled to CommonJS). It exposes exactly the methods of
 * preload/api.ts as `window.lesiondesk`; the renderer never sees ipcRenderer, and each method
 * forwards one argument to its own channel, where main validates it.
 */
import { contextBridge, ipcRenderer, type IpcRendererEvent } from 'electron';
import { ApiEvent, bridgeKey, channelOf, createClient, deliverEvent, eventChannel, type SubscribeEvents } from './api.ts';

/**
 * Main's events, each checked against the contract before the renderer sees it. The listener
 * gets the event alone: the IpcRendererEvent would hand the page ipcRenderer as `sender`.
 */
const subscribe: SubscribeEvents = (listener) => {
  const onMessage = (_event: IpcRendererEvent, raw: unknown) => {
    const parsed = ApiEvent.safeParse(raw);
    if (parsed.success) deliverEvent(listener, parsed.data);
  };
  ipcRenderer.on(eventChannel, onMessage);
  return () => void ipcRenderer.removeListener(eventChannel, onMessage);
};

contextBridge.exposeInMainWorld(
  bridgeKey,
  createClient((method, args) => ipcRenderer.invoke(channelOf(method), args), subscribe),
);
