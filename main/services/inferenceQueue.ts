/**
 * Who waits in main's inference queue: work a person waits for (opening a case, a click) before
 * background work (pre-annotation, re-prediction after a model switch).
 *
 * - An interactive request starts at once, beside whatever runs: a person never waits for a
 *   queue of background requests, at most shares the machine with the one already running.
 * - Background requests run one at a time (a running one cannot be interrupted; one keeps the
 *   model busy without crowding a person's request), in arrival order, and none starts while an
 *   interactive request runs.
 * - So that background work never starves under a steady stream of interactive requests, the
 *   oldest background request starts anyway once `maxBypass` interactive requests have started
 *   while it waited (still one background request at a time).
 */

/** How urgent a request is: `interactive` (default) or `background`. */
export type InferencePriority = 'interactive' | 'background';

interface Waiting {
  start: () => void;
  /** Interactive requests that started while this one waited. */
  bypassed: number;
}

/** Options of an InferenceQueue. */
export interface InferenceQueueOptions {
  /** Interactive starts a waiting background request lets pass before it runs anyway (default 8). */
  maxBypass?: number;
}

/** The priority queue in front of the model (see the module comment for the rules). */
export class InferenceQueue {
  private readonly maxBypass: number;
  private interactiveRunning = 0;
  private backgroundRunning = 0;
  private readonly background: Waiting[] = [];

  constructor(options: InferenceQueueOptions = {}) {
    this.maxBypass = options.maxBypass ?? 8;
    if (!(Number.isInteger(this.maxBypass) && this.maxBypass >= 1)) throw new RangeError(`maxBypass must be a whole number >= 1, not ${options.maxBypass}`);
  }

  /** Requests waiting and running now, per priority (for tests, benchmarks and logs). */
  get counts(): { interactiveRunning: number; backgroundRunning: number; backgroundWaiting: number } {
    return { interactiveRunning: this.interactiveRunning, backgroundRunning: this.backgroundRunning, backgroundWaiting: this.background.length };
  }

  /** Runs `task` when its priority allows; resolves or rejects with it. */
  run<T>(priority: InferencePriority, task: () => Promise<T>): Promise<T> {
    if (priority === 'interactive') {
      this.interactiveRunning++;
      for (const waiting of this.background) waiting.bypassed++;
      const result = this.settle(task, () => this.interactiveRunning--);
      // The oldest background request may just have been passed over often enough to go anyway.
      this.pump();
      return result;
    }
    return new Promise<T>((resolve, reject) => {
      this.background.push({
        bypassed: 0,
        start: () => {
          this.backgroundRunning++;
          this.settle(task, () => this.backgroundRunning--).then(resolve, reject);
        },
      });
      this.pump();
    });
  }

  private settle<T>(task: () => Promise<T>, done: () => void): Promise<T> {
    let result: Promise<T>;
    try {
      result = task();
    } catch (error) {
      result = Promise.reject(error);
    }
    return result.finally(() => {
      done();
      this.pump();
    });
  }

  /** Starts the oldest background request if the rules allow it now. */
  private pump(): void {
    const next = this.background[0];
    if (!next || this.backgroundRunning > 0) return;
    if (this.interactiveRunning > 0 && next.bypassed < this.maxBypass) return;
    this.background.shift();
    next.start();
  }
}
