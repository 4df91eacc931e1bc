import { describe, expect, it } from 'vitest';
import type { ReviewAction } from '../case/case-commands.ts';
import { runReviewAction, type ReviewLoop } from './review-loop.ts';

/** A loop over a list of ids where approving removes the case (a "needs review" filter). */
function fakeLoop(ids: string[], open: string, approves = true) {
  const list = [...ids];
  const log: string[] = [];
  let current: string | null = open;
  const loop: ReviewLoop = {
    openCaseId: () => current,
    neighbour: async (id, step) => {
      const i = list.indexOf(id);
      return i < 0 ? null : (list[i + step] ?? null);
    },
    approve: async () => {
      log.push(`approve ${current}`);
      if (approves && current) list.splice(list.indexOf(current), 1);
      return approves;
    },
    flag: () => log.push(`flag ${current}`),
    open: (id) => {
      log.push(`open ${id}`);
      current = id;
    },
    notice: (text) => log.push(`notice ${text}`),
  };
  return { loop, log, setOpen: (id: string) => (current = id) };
}

const run = (action: ReviewAction, loop: ReviewLoop) => runReviewAction(action, loop);

describe('runReviewAction', () => {
  it('approve and next approves, then opens the case that followed it before it left the list', async () => {
    const { loop, log } = fakeLoop(['a', 'b', 'c'], 'b');
    await run('approve-next', loop);
    expect(log).toEqual(['approve b', 'open c']);
    await run('approve-next', loop);
    expect(log).toEqual(['approve b', 'open c', 'approve c', 'notice Approved. That was the last case in the list.']);
  });

  it('stays on the case when it was not approved (the no-lesion question was cancelled, or it failed)', async () => {
    const { loop, log } = fakeLoop(['a', 'b'], 'a', false);
    await run('approve-next', loop);
    expect(log).toEqual(['approve a']);
  });

  it('does not move away from a case the user opened while the approval ran', async () => {
    const { loop, log, setOpen } = fakeLoop(['a', 'b', 'c'], 'a');
    const approve = loop.approve;
    loop.approve = async () => {
      const done = await approve();
      setOpen('c');
      return done;
    };
    await run('approve-next', loop);
    expect(log).toEqual(['approve a']);
  });

  it('next and previous walk the list and say when it ends; approve and flag stay', async () => {
    const { loop, log } = fakeLoop(['a', 'b'], 'a');
    await run('previous', loop);
    await run('next', loop);
    await run('next', loop);
    await run('flag', loop);
    await run('approve', loop);
    expect(log).toEqual(['notice This is the first case in the list.', 'open b', 'notice This is the last case in the list.', 'flag b', 'approve b']);
  });

  it('does nothing without an open case', async () => {
    const { loop, log } = fakeLoop(['a'], 'a');
    loop.openCaseId = () => null;
    await run('approve-next', loop);
    expect(log).toEqual([]);
  });
});
