/** Assembles the full ApiHandlers: the services (inference, models) plus the shell's own. */
import { serviceMethodNames, type ApiHandlers, type ServiceHandlers } from '../preload/api.ts';
import { createEventHub, type EventHub } from './services/events.ts';
import { createServices, errorMessage, type ServiceOptions } from './services/index.ts';
import { createShellHandlers, type ShellHandlerOptions } from './shell-handlers.ts';

export interface AppHandlers {
  handlers: ApiHandlers;
  /** Why the services could not start (no model, broken card), or null. */
  problem: string | null;
  /** Events for the renderer (job progress, job end, active model changed). */
  events: EventHub;
  close(): Promise<void>;
}

/**
 * When the services cannot start, the app still opens and every service call answers with the
 * reason, so the user sees "no model found in ..." instead of a blank window.
 */
function unavailableServices(reason: string): ServiceHandlers {
  const fail = async (): Promise<never> => {
    throw new Error(reason);
  };
  const handlers: Record<string, unknown> = {};
  for (const method of serviceMethodNames) handlers[method] = fail;
  return handlers as ServiceHandlers;
}

/** Create every handler of the contract for one transport. */
export async function createAppHandlers(services: ServiceOptions, shell: ShellHandlerOptions): Promise<AppHandlers> {
  const shellHandlers = createShellHandlers(shell);
  try {
    const created = await createServices(services);
    return {
      handlers: { ...created.handlers, ...shellHandlers },
      problem: null,
      events: created.events,
      close: () => created.close(),
    };
  } catch (error) {
    const reason = `The segmentation model could not be loaded: ${errorMessage(error)}`;
    return {
      handlers: { ...unavailableServices(reason), ...shellHandlers },
      problem: reason,
      events: createEventHub(),
      close: async () => {},
    };
  }
}
