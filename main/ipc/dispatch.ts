/**
 * Transport-neutral call dispatch: every call from either transport goes through `dispatch`,
 * which checks the method and arguments against preload/api.ts before a handler runs and turns
 * every outcome into a Reply, so no stack trace ever reaches the renderer.
 */
import { ApiError, api, describeIssues, parseArgs, type ApiHandlers, type MethodName, type Reply } from '../../preload/api.ts';
import { LesionDeskError } from '../services/errors.ts';

export interface DispatchOptions {
  /** Check results against the contract too (a handler bug becomes a clear error). */
  validateResults?: boolean;
  /** Where unexpected handler failures are logged. */
  log?: (message: string, error: unknown) => void;
}

/** Validate and run one call; never throws. */
export async function dispatch(
  handlers: ApiHandlers,
  method: string,
  args: unknown,
  options: DispatchOptions = {},
): Promise<Reply> {
  try {
    const valid = parseArgs(method, args);
    const name = method as MethodName;
    const handler = handlers[name] as (a: unknown) => Promise<unknown>;
    const value = await handler(valid);
    if (options.validateResults ?? true) {
      const checked = api[name].result.safeParse(value);
      if (!checked.success) {
        throw new ApiError(
          'failed',
          `${name} returned a result that breaks the contract: ${describeIssues(checked.error, 'result')}.`,
        );
      }
    }
    return { ok: true, value };
  } catch (error) {
    return failure(error, method, options.log);
  }
}

/** Turn anything thrown into a Reply with a readable message. */
export function failure(error: unknown, method: string, log?: DispatchOptions['log']): Reply {
  // The services' own errors are refusals a user can act on, not faults: not logged as failures.
  if (error instanceof LesionDeskError) return { ok: false, error: { code: 'refused', message: error.message } };
  if (error instanceof ApiError) {
    if (error.code === 'failed') log?.(`${method}: ${error.message}`, error);
    return { ok: false, error: { code: error.code, message: error.message } };
  }
  log?.(`${method} failed`, error);
  const message = error instanceof Error && error.message ? error.message : `${method} failed for an unknown reason.`;
  return { ok: false, error: { code: 'failed', message } };
}

/** The reply main sends to a sender that is not the app's own page. */
export function forbiddenReply(what: string): Reply {
  return { ok: false, error: { code: 'forbidden', message: `Refused: ${what}.` } };
}
