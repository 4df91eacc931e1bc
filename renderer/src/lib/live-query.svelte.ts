/**
 * A database read that every view follows: an observable source (Dexie's liveQuery, handed out by
 * the storage module, so this file needs no Dexie) turned into something runes can read with
 * Svelte's createSubscriber, as its own MediaQuery does. The source is subscribed while at least
 * one effect reads `current` and released when the last one goes, so a view that reads it follows
 * every write, in this window or another, without revision counters or remounts.
 */
import { createSubscriber } from 'svelte/reactivity';

/** What the wrapper needs of an observable: Dexie's Observable and zen-observable-like sources fit. */
export interface Subscribable<T> {
  subscribe(observer: { next: (value: T) => void; error: (error: unknown) => void }): { unsubscribe(): void };
}

/** A live read: `current` is the latest value (undefined until the first one), `error` the last failure. */
export class LiveQuery<T> {
  #value: T | undefined;
  #error: unknown = undefined;
  #loaded = false;
  readonly #subscribe: () => void;

  /** `source` is called each time the first reader arrives (after the last one left). */
  constructor(source: () => Subscribable<T>) {
    this.#subscribe = createSubscriber((update) => {
      const subscription = source().subscribe({
        next: (value) => {
          this.#value = value;
          this.#error = undefined;
          this.#loaded = true;
          update();
        },
        error: (error) => {
          this.#error = error;
          update();
        },
      });
      return () => subscription.unsubscribe();
    });
  }

  /** The latest value; read in an effect or template, it keeps the subscription open. */
  get current(): T | undefined {
    this.#subscribe();
    return this.#value;
  }

  /** True once a first value arrived (a query may legitimately answer undefined). */
  get loaded(): boolean {
    this.#subscribe();
    return this.#loaded;
  }

  /** Why the last read failed, until the next value arrives. */
  get error(): unknown {
    this.#subscribe();
    return this.#error;
  }
}
