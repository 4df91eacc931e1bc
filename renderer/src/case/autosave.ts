/**
 * Autosave of the mask: a committed stroke marks the case dirty; the save runs after a short
 * quiet period but never later than `maxWaitMs` after the first unsaved change, one save at a
 * time, and a change during a save triggers one more. `flush()` saves now (visibilitychange,
 * beforeunload, closing the case), so a reload loses at most the stroke still in progress.
 */

export type AutosaveState = 'saved' | 'pending' | 'saving' | 'error' | 'blocked';

export interface AutosaveOptions {
  /** Writes the current mask; a rejection keeps the changes dirty and reports the error. */
  readonly save: () => Promise<void>;
  /** Quiet time after the last change before saving (default 400 ms). */
  readonly delayMs?: number;
  /** Longest a change waits while changes keep coming (default 1000 ms). */
  readonly maxWaitMs?: number;
  readonly onStateChange?: (state: AutosaveState, error?: unknown) => void;
  /**
   * A failure no retry can fix (the case moved on: another window's version, an approval):
   * the changes stay dirty, the state is 'blocked', nothing is retried and flush() rejects
   * with that error until resume() after the user chose what to do.
   */
  readonly isBlocking?: (error: unknown) => boolean;
  /** Injected for tests; default the global timers. */
  readonly clock?: { now(): number; setTimeout(run: () => void, ms: number): unknown; clearTimeout(handle: unknown): void };
}

const systemClock = {
  now: () => Date.now(),
  setTimeout: (run: () => void, ms: number): unknown => setTimeout(run, ms),
  clearTimeout: (handle: unknown): void => clearTimeout(handle as ReturnType<typeof setTimeout>),
};

export class AutosaveScheduler {
  private readonly options: AutosaveOptions;
  private readonly clock: NonNullable<AutosaveOptions['clock']>;
  private dirty = false;
  private firstChangeAt = 0;
  private timer: unknown = null;
  private running: Promise<void> | null = null;
  private currentState: AutosaveState = 'saved';
  private disposed = false;
  private blockedBy: { error: unknown } | null = null;

  constructor(options: AutosaveOptions) {
    this.options = options;
    this.clock = options.clock ?? systemClock;
  }

  /** The last reported state. */
  get state(): AutosaveState {
    return this.currentState;
  }

  /** The error that blocks saving until resume(), or null. */
  get blockingError(): unknown {
    return this.blockedBy?.error ?? null;
  }

  /** True while changes wait for a save or a save runs. */
  get hasUnsavedChanges(): boolean {
    return this.dirty || this.running !== null;
  }

  /** Records a committed change and (re)starts the debounce. */
  markDirty(): void {
    if (this.disposed) return;
    const now = this.clock.now();
    if (!this.dirty) this.firstChangeAt = now;
    this.dirty = true;
    if (this.blockedBy) return; // kept dirty; saved once the user resolves the block
    this.setState('pending');
    if (this.running) return; // the running save re-checks `dirty` when it ends
    const delay = this.options.delayMs ?? 400;
    const deadline = this.firstChangeAt + (this.options.maxWaitMs ?? 1000);
    this.restartTimer(Math.max(0, Math.min(delay, deadline - now)));
  }

  /** Saves now if anything is unsaved; resolves when everything marked so far is written. */
  async flush(): Promise<void> {
    this.stopTimer();
    while (this.running || this.dirty) {
      if (this.running) await this.running;
      else if (this.blockedBy) throw this.blockedBy.error;
      else this.startSave();
    }
  }

  /** Blocks saving with `error` (the view saw the case move on before a save did). */
  block(error: unknown): void {
    if (this.disposed) return;
    this.stopTimer();
    this.blockedBy = { error };
    this.setState('blocked', error);
  }

  /** Lifts a block; pending changes are saved right away. */
  resume(): void {
    if (!this.blockedBy) return;
    this.blockedBy = null;
    if (this.dirty) {
      this.setState('pending');
      if (!this.running && !this.disposed) this.restartTimer(0);
    } else {
      this.setState('saved');
    }
  }

  /** Forgets pending changes (they were kept elsewhere, e.g. in the history) and lifts a block. */
  discard(): void {
    this.stopTimer();
    this.dirty = false;
    this.blockedBy = null;
    if (!this.running) this.setState('saved');
  }

  /** Stops the timer; a pending change is not saved (call flush() first to keep it). */
  dispose(): void {
    this.disposed = true;
    this.stopTimer();
  }

  private restartTimer(ms: number): void {
    this.stopTimer();
    this.timer = this.clock.setTimeout(() => {
      this.timer = null;
      if (!this.running && this.dirty && !this.blockedBy) this.startSave();
    }, ms);
  }

  private stopTimer(): void {
    if (this.timer !== null) this.clock.clearTimeout(this.timer);
    this.timer = null;
  }

  private startSave(): void {
    this.dirty = false;
    this.setState('saving');
    this.running = this.options.save().then(
      () => {
        this.running = null;
        if (this.blockedBy) {
          // block() arrived while this save ran: stay blocked.
        } else if (this.dirty) {
          if (!this.disposed) this.restartTimer(0);
        } else {
          this.setState('saved');
        }
      },
      (error: unknown) => {
        this.running = null;
        this.dirty = true;
        if (this.options.isBlocking?.(error)) {
          this.block(error);
          throw error;
        }
        this.setState('error', error);
        // Retry later rather than in a tight loop; a flush() retries at once.
        if (!this.disposed) this.restartTimer((this.options.maxWaitMs ?? 1000) * 5);
        throw error;
      },
    );
    // flush() awaits `running`; a failed save must not become an unhandled rejection elsewhere.
    this.running.catch(() => {});
  }

  private setState(state: AutosaveState, error?: unknown): void {
    if (state === this.currentState && state !== 'error') return;
    this.currentState = state;
    this.options.onStateChange?.(state, error);
  }
}
