/**
 * What a case session starts (workers, subscriptions, timers) is registered here once and
 * released by one dispose(), as VS Code's DisposableStore: closing a case cannot forget one.
 */

/** Anything with a release step: a function, or an object with dispose() or unsubscribe(). */
export type Disposable = (() => void) | { dispose(): void } | { unsubscribe(): void };

export class DisposableStore {
  private readonly items: Disposable[] = [];
  private disposed = false;

  /** Registers `item`; once the store is disposed, releases it at once instead. Returns it. */
  add<T extends Disposable>(item: T): T {
    if (this.disposed) release(item);
    else this.items.push(item);
    return item;
  }

  get isDisposed(): boolean {
    return this.disposed;
  }

  /** Releases everything, newest first (a later item may use an earlier one while it stops). */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    const errors: unknown[] = [];
    for (const item of this.items.splice(0).reverse()) {
      try {
        release(item);
      } catch (error) {
        errors.push(error);
      }
    }
    if (errors.length > 0) throw new AggregateError(errors, 'Some parts of the case did not close cleanly.');
  }
}

function release(item: Disposable): void {
  if (typeof item === 'function') item();
  else if ('dispose' in item) item.dispose();
  else item.unsubscribe();
}
