import { flushSync } from 'svelte';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { openCaseRepository, type CaseRepository, type LibrarySnapshot } from '../storage/index.ts';
import { LiveQuery, type Subscribable } from './live-query.svelte.ts';

const opened: { name: string; repositories: CaseRepository[] }[] = [];

/** Two connections to one fresh database: this window and "another window". */
async function twoWindows(): Promise<[CaseRepository, CaseRepository]> {
  const name = `lesiondesk-test-${crypto.randomUUID()}`;
  const here = await openCaseRepository(name);
  const elsewhere = await openCaseRepository(name);
  opened.push({ name, repositories: [here, elsewhere] });
  return [here, elsewhere];
}

afterEach(async () => {
  for (const { name, repositories } of opened.splice(0)) {
    for (const repository of repositories) repository.close();
    await new Promise((resolve) => {
      const request = indexedDB.deleteDatabase(name);
      request.onsuccess = request.onerror = request.onblocked = resolve;
    });
  }
});

/** Counts the subscriptions a source has open, around a real one. */
function counted<T>(inner: () => Subscribable<T>): { source: () => Subscribable<T>; open: () => number; started: () => number } {
  let open = 0;
  let started = 0;
  return {
    source: () => ({
      subscribe(observer) {
        open++;
        started++;
        const subscription = inner().subscribe(observer);
        return {
          unsubscribe() {
            open--;
            subscription.unsubscribe();
          },
        };
      },
    }),
    open: () => open,
    started: () => started,
  };
}

const image = (name: string) => ({ fileName: name, blob: new Blob([new TextEncoder().encode(name)], { type: 'image/png' }), width: 8, height: 8 });

describe('LiveQuery', () => {
  it('follows a write made by another connection, shares one subscription between readers and releases it with the last', async () => {
    const [here, elsewhere] = await twoWindows();
    const source = counted(() => here.observeLibrary());
    const library = new LiveQuery<LibrarySnapshot>(source.source);
    const seenA: (number | undefined)[] = [];
    const seenB: (number | undefined)[] = [];

    // Outside an effect nothing subscribes.
    expect(library.current).toBeUndefined();
    expect(source.started()).toBe(0);

    const stopA = $effect.root(() => {
      $effect(() => void seenA.push(library.current?.counts.total));
    });
    const stopB = $effect.root(() => {
      $effect(() => void seenB.push(library.current?.counts.total));
    });
    flushSync();
    expect(source.open()).toBe(1);
    await vi.waitFor(() => expect(seenA.at(-1)).toBe(0));

    await elsewhere.importImage(image('one.png'));
    await vi.waitFor(() => expect(seenA.at(-1)).toBe(1));
    await vi.waitFor(() => expect(seenB.at(-1)).toBe(1));
    expect(library.loaded).toBe(true);

    stopA();
    await Promise.resolve();
    expect(source.open()).toBe(1);
    stopB();
    // createSubscriber lets go a microtask after the last reader, so a reader that comes back at once keeps it.
    await vi.waitFor(() => expect(source.open()).toBe(0));

    // A write while nobody reads is seen by the next reader.
    await elsewhere.importImage(image('two.png'));
    const seenC: (number | undefined)[] = [];
    const stopC = $effect.root(() => {
      $effect(() => void seenC.push(library.current?.counts.total));
    });
    flushSync();
    await vi.waitFor(() => expect(seenC.at(-1)).toBe(2));
    expect(source.started()).toBe(2);
    stopC();
  });

  it('keeps the last value and reports a failed read until the next value arrives', async () => {
    let observer: { next: (value: number) => void; error: (error: unknown) => void } | null = null;
    const live = new LiveQuery<number>(() => ({
      subscribe(o) {
        observer = o;
        return { unsubscribe: () => (observer = null) };
      },
    }));
    const seen: { value: number | undefined; error: unknown }[] = [];
    const stop = $effect.root(() => {
      $effect(() => void seen.push({ value: live.current, error: live.error }));
    });
    flushSync();
    observer!.next(3);
    flushSync();
    const failure = new Error('database closed');
    observer!.error(failure);
    flushSync();
    expect(seen.at(-1)).toEqual({ value: 3, error: failure });
    observer!.next(4);
    flushSync();
    expect(seen.at(-1)).toEqual({ value: 4, error: undefined });
    stop();
    await vi.waitFor(() => expect(observer).toBeNull());
  });
});
