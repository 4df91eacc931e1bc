/**
 * The events main pushes to the renderer (preload/api.ts ApiEvent): the services publish,
 * each transport subscribes (IPC to the app window, Server-Sent Events over HTTP). Plain Node.
 */
import type { ApiEvent, ApiEventListener } from '../../preload/api.js';

/** Publish/subscribe for ApiEvents; a throwing listener never stops the others. */
export interface EventHub {
  publish(event: ApiEvent): void;
  subscribe(listener: ApiEventListener): () => void;
}

export function createEventHub(onListenerError?: (error: unknown) => void): EventHub {
  const listeners = new Set<ApiEventListener>();
  return {
    publish(event) {
      for (const listener of [...listeners]) {
        try {
          listener(event);
        } catch (error) {
          onListenerError?.(error);
        }
      }
    },
    subscribe(listener) {
      listeners.add(listener);
      return () => void listeners.delete(listener);
    },
  };
}
