/**
 * The preload script (sandboxed, bundled to CommonJS). It exposes exactly the methods of
 * preload/api.ts as `window.lesiondesk`; the renderer never sees ipcRenderer, and each method
 * forwards one argument to its own channel, where main validates it.
 */
import { contextBridge, ipcRenderer } from 'electron';
import { bridgeKey, channelOf, createClient } from './api.ts';

contextBridge.exposeInMainWorld(
  bridgeKey,
  createClient((method, args) => ipcRenderer.invoke(channelOf(method), args)),
);
