/**
 * Who waits in main's inference queue: work a person waits for (opening a case, a click) before
 * background work (pre-annotation, re-prediction after a model switch).
 *
 * - An interactive request starts at once, beside whatever runs: a person never waits for a
 *   queue of background requests, at most shares the machine with the one already running.
 * - Background requests run one at a time (a running one cannot be interrupted; one keeps the
 *   model busy without crowding a person's request), in arrival order, and none starts while an
 *   interactive request runs, nor for `quietMs` after one ended: a person's request comes with
 *   work in the page (showing the case it opened) and often with another request, and on a
 *   two-core laptop a background request then takes the CPU that work needs.
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
  /** Milliseconds after an interactive request ends before background work resumes (default 0). */
  quietMs?: number;
  /** The clock (tests); default performance.now. */
  now?: () => number;
}

/** The priority queue in front of the model (see the module comment for the rules). */
export class InferenceQueue {
  private readonly maxBypass: number;
  private readonly quietMs: number;
  private readonly now: () => number;
  private interactiveRunning = 0;
  private lastInteractiveEnd = Number.NEGATIVE_INFINITY;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private backgroundRunning = 0;
  private readonly background: Waiting[] = [];

  constructor(options: InferenceQueueOptions = {}) {
    this.maxBypass = options.maxBypass ?? 8;
    if (!(Number.isInteger(this.maxBypass) && this.maxBypass >= 1)) throw new RangeError(`maxBypass must be a whole number >= 1, not ${options.maxBypass}`);
    this.quietMs = options.quietMs ?? 0;
    if (!(this.quietMs >= 0 && this.quietMs <= 60_000)) throw new RangeError(`quietMs must be 0 to 60000, not ${options.quietMs}`);
    this.now = options.now ?? (() => performance.now());
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
      const result = this.settle(task, () => {
        this.interactiveRunning--;
        this.lastInteractiveEnd = this.now();
      });
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

  /** Starts the oldest background request if the rules allow it now, or when the quiet time ends. */
  private pump(): void {
    const next = this.background[0];
    if (!next || this.backgroundRunning > 0) return;
    if (next.bypassed < this.maxBypass) {
      if (this.interactiveRunning > 0) return;
      const wait = this.lastInteractiveEnd + this.quietMs - this.now();
      if (wait > 0) {
        if (this.timer === null) {
          this.timer = setTimeout(() => {
            this.timer = null;
            this.pump();
          }, wait);
          // A queue waiting out its quiet time must not keep a process (the CLI, a test) alive.
          (this.timer as { unref?: () => void }).unref?.();
        }
        return;
      }
    }
    this.background.shift();
    next.start();
  }
}
