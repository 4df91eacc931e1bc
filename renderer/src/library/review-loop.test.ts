import { describe, expect, it } from 'vitest';
import type { ReviewAction } from '../case/case-commands.ts';
import { queueEmpty, runReviewAction, type ReviewLoop } from './review-loop.ts';

/**
 * A loop over a list of ids. With `removeApproved` approving removes the case (a "needs review"
 * filter); otherwise it stays in the list, approved, and the queue skips it.
 */
function fakeLoop(ids: string[], open: string, approves = true, removeApproved = true, approvedAlready: string[] = []) {
  const list = [...ids];
  const approved = new Set(approvedAlready);
  const log: string[] = [];
  let current: string | null = open;
  const loop: ReviewLoop = {
    openCaseId: () => current,
    neighbour: async (id, step) => {
      const i = list.indexOf(id);
      return i < 0 ? null : (list[i + step] ?? null);
    },
    // The same rule as case-pages.ts nextInQueue, over the array (the real one is tested there).
    nextToReview: async (id) => {
      const i = list.indexOf(id);
      const below = list.slice(i + 1).find((c) => !approved.has(c));
      if (below) return { id: below, wrapped: false };
      const above = list.slice(0, i + 1).find((c) => c !== id && !approved.has(c));
      return above ? { id: above, wrapped: true } : null;
    },
    approve: async () => {
      log.push(`approve ${current}`);
      if (approves && current) {
        if (removeApproved) list.splice(list.indexOf(current), 1);
        else approved.add(current);
      }
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
    expect(log).toEqual(['approve b', 'open c', 'approve c', 'open a', 'notice Back at the top of the list: every case below is approved; this one still needs review.']);
    await run('approve-next', loop);
    expect(log.slice(-2)).toEqual(['approve a', `notice Approved. ${queueEmpty}`]);
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

  it('next skips approved cases and says when the queue is empty; previous walks every row; approve and flag stay', async () => {
    const { loop, log } = fakeLoop(['a', 'b', 'c', 'd'], 'a', true, false, ['b']);
    await run('previous', loop);
    await run('next', loop);
    expect(log).toEqual(['notice This is the first case in the list.', 'open c']);
    await run('flag', loop);
    await run('approve', loop);
    await run('next', loop);
    await run('previous', loop);
    expect(log.slice(2)).toEqual(['flag c', 'approve c', 'open d', 'open c']);
    await run('approve-next', loop);
    expect(log.slice(6)).toEqual(['approve c', 'open d']);
    await run('next', loop);
    expect(log.slice(8)).toEqual(['open a', 'notice Back at the top of the list: every case below is approved; this one still needs review.']);
    await run('approve', loop);
    await run('next', loop);
    expect(log.slice(10)).toEqual(['approve a', 'open d']);
    await run('approve', loop);
    await run('next', loop);
    expect(log.slice(12)).toEqual(['approve d', `notice ${queueEmpty}`]);
  });

  it('does nothing without an open case', async () => {
    const { loop, log } = fakeLoop(['a'], 'a');
    loop.openCaseId = () => null;
    await run('approve-next', loop);
    expect(log).toEqual([]);
  });
});
