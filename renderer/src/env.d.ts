/// <reference types="svelte" />
/// <reference types="vite/client" />
import type { LesionDeskApi } from '../../preload/api.ts';

declare global {
  interface Window {
    /** Present in Electron (exposed by preload/index.ts); absent in browser mode. */
    readonly lesiondesk?: LesionDeskApi;
  }
}
