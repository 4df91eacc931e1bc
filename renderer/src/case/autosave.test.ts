import { describe, expect, it } from 'vitest';
import { AutosaveScheduler, type AutosaveState } from './autosave.ts';

/** A manual clock: timers fire only when the test advances time. */
function manualClock() {
  let now = 0;
  let timers: { at: number; run: () => void; id: number }[] = [];
  let nextId = 1;
  return {
    now: () => now,
    setTimeout(run: () => void, ms: number): unknown {
      const id = nextId++;
      timers.push({ at: now + ms, run, id });
      return id;
    },
    clearTimeout(handle: unknown): void {
      timers = timers.filter((t) => t.id !== handle);
    },
    advance(ms: number): void {
      const until = now + ms;
      for (;;) {
        const due = timers.filter((t) => t.at <= until).sort((a, b) => a.at - b.at)[0];
        if (!due) break;
        timers = timers.filter((t) => t !== due);
        now = due.at;
        due.run();
      }
      now = until;
    },
  };
}

const settle = () => new Promise((resolve) => setTimeout(resolve, 0));

describe('AutosaveScheduler', () => {
  it('debounces a burst of strokes into one save within the max wait', async () => {
    const clock = manualClock();
    let saves = 0;
    const scheduler = new AutosaveScheduler({ save: async () => void saves++, delayMs: 400, maxWaitMs: 1000, clock });
    for (let i = 0; i < 5; i++) {
      scheduler.markDirty();
      clock.advance(300);
    }
    // 1500 ms of strokes every 300 ms: the max wait forces a save at 1000 ms.
    await settle();
    expect(saves).toBe(1);
    clock.advance(400);
    await settle();
    expect(saves).toBe(2);
    expect(scheduler.state).toBe('saved');
  });

  it('saves again when a change arrives during a save, and flush waits for both', async () => {
    const clock = manualClock();
    const states: AutosaveState[] = [];
    let release: () => void = () => {};
    let saves = 0;
    const scheduler = new AutosaveScheduler({
      save: () => {
        saves++;
        return new Promise<void>((resolve) => (release = resolve));
      },
      clock,
      onStateChange: (s) => states.push(s),
    });
    scheduler.markDirty();
    clock.advance(400);
    expect(saves).toBe(1);
    scheduler.markDirty();
    const flushed = scheduler.flush();
    release();
    await settle();
    expect(saves).toBe(2);
    release();
    await flushed;
    expect(scheduler.hasUnsavedChanges).toBe(false);
    expect(states).toEqual(['pending', 'saving', 'pending', 'saving', 'saved']);
  });

  it('keeps changes dirty after a failed save and reports the error', async () => {
    const clock = manualClock();
    let fail = true;
    let errors = 0;
    const scheduler = new AutosaveScheduler({
      save: async () => {
        if (fail) throw new Error('disk full');
      },
      clock,
      onStateChange: (s) => (errors += s === 'error' ? 1 : 0),
    });
    scheduler.markDirty();
    await expect(scheduler.flush()).rejects.toThrow('disk full');
    expect(errors).toBe(1);
    expect(scheduler.hasUnsavedChanges).toBe(true);
    fail = false;
    await scheduler.flush();
    expect(scheduler.state).toBe('saved');
  });

  it('does nothing on flush without changes and ignores changes after dispose', async () => {
    const clock = manualClock();
    let saves = 0;
    const scheduler = new AutosaveScheduler({ save: async () => void saves++, clock });
    await scheduler.flush();
    scheduler.dispose();
    scheduler.markDirty();
    clock.advance(5000);
    expect(saves).toBe(0);
  });
});

describe('AutosaveScheduler blocked by a refusal the user must decide', () => {
  const conflict = Object.assign(new Error('Bo saved a newer version'), { code: 'conflict' });

  it('stops retrying, keeps the change dirty and rejects flush until resume()', async () => {
    const clock = manualClock();
    const states: AutosaveState[] = [];
    let refuse = true;
    let saves = 0;
    const scheduler = new AutosaveScheduler({
      save: async () => {
        saves++;
        if (refuse) throw conflict;
      },
      isBlocking: (error) => (error as { code?: string }).code === 'conflict',
      onStateChange: (state) => states.push(state),
      clock,
    });
    scheduler.markDirty();
    clock.advance(400);
    await settle();
    expect(scheduler.state).toBe('blocked');
    expect(scheduler.blockingError).toBe(conflict);
    clock.advance(60_000);
    await settle();
    expect(saves).toBe(1);
    scheduler.markDirty();
    expect(scheduler.state).toBe('blocked');
    await expect(scheduler.flush()).rejects.toBe(conflict);
    expect(scheduler.hasUnsavedChanges).toBe(true);
    refuse = false;
    scheduler.resume();
    clock.advance(0);
    await settle();
    expect(saves).toBe(2);
    expect(scheduler.state).toBe('saved');
    expect(states).toEqual(['pending', 'saving', 'blocked', 'pending', 'saving', 'saved']);
  });

  it('can be blocked by the view before any save, and discard() forgets the change', async () => {
    const clock = manualClock();
    let saves = 0;
    const scheduler = new AutosaveScheduler({ save: async () => void saves++, clock });
    scheduler.markDirty();
    scheduler.block(conflict);
    clock.advance(5000);
    await settle();
    expect(saves).toBe(0);
    scheduler.discard();
    expect(scheduler.state).toBe('saved');
    expect(scheduler.hasUnsavedChanges).toBe(false);
    await scheduler.flush();
    expect(saves).toBe(0);
  });
});
