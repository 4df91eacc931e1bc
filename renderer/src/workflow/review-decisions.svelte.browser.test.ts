import { afterEach, describe, expect, it, vi } from 'vitest';
import { openCaseRepository, type CaseRepository } from '../storage/index.ts';
import { ReviewDecisions } from './review-decisions.svelte.ts';

const opened: { name: string; repository: CaseRepository }[] = [];

afterEach(async () => {
  for (const { name, repository } of opened.splice(0)) {
    repository.close();
    await new Promise((resolve) => {
      const request = indexedDB.deleteDatabase(name);
      request.onsuccess = request.onerror = request.onblocked = resolve;
    });
  }
});

const png = new Blob([new Uint8Array([137, 80, 78, 71])], { type: 'image/png' });

/** A real library with one predicted case whose mask has the given area. */
async function predictedCase(area: number): Promise<{ repository: CaseRepository; caseId: string }> {
  const name = `lesiondesk-test-${crypto.randomUUID()}`;
  const repository = await openCaseRepository(name);
  opened.push({ name, repository });
  const { caseId } = await repository.importImage({ fileName: 'lesion.png', blob: new Blob(['x'], { type: 'image/png' }), width: 8, height: 8 });
  await repository.addPrediction({ caseId: caseId!, png, author: 'scsonet@1.0.0', area, uncertainty: 0.3 });
  return { repository, caseId: caseId! };
}

function decisionsFor(repository: CaseRepository, caseId: string) {
  const log: string[] = [];
  const decisions = new ReviewDecisions({
    repository,
    caseId,
    author: () => 'Dr Test',
    beforeaction: async () => void log.push('flushed'),
    onchanged: () => log.push('changed'),
    onerror: (message) => log.push(`error: ${message}`),
  });
  return { decisions, log };
}

describe('ReviewDecisions', () => {
  it('approves from the review key after saving the edit first; an empty mask waits for the no-lesion answer', async () => {
    const { repository, caseId } = await predictedCase(0);
    const { decisions, log } = decisionsFor(repository, caseId);
    await decisions.load();

    const approving = decisions.review('approve');
    await vi.waitFor(() => expect(decisions.noLesionOpen).toBe(true));
    expect((await repository.getCase(caseId))?.status).toBe('predicted');
    decisions.answerNoLesion(true);
    expect(await approving).toBe(true);
    expect(decisions.record?.status).toBe('approved');
    expect((await repository.getCase(caseId))?.status).toBe('approved');
    expect(log).toEqual(['flushed', 'changed', 'flushed', 'changed']);
    // Approving an approved case again is a no-op that says "approved" (approve and next moves on).
    expect(await decisions.review('approve')).toBe(true);
  });

  it('cancelling the no-lesion question approves nothing; a flag needs its comment', async () => {
    const { repository, caseId } = await predictedCase(0);
    const { decisions } = decisionsFor(repository, caseId);
    await decisions.load();
    const approving = decisions.approve();
    await vi.waitFor(() => expect(decisions.noLesionOpen).toBe(true));
    decisions.answerNoLesion(false);
    expect(await approving).toBe(false);
    expect((await repository.getCase(caseId))?.status).toBe('predicted');

    await decisions.review('flag');
    expect(decisions.flagOpen).toBe(true);
    decisions.submitFlag();
    expect(decisions.flagProblem).toMatch(/comment is required/);
    decisions.flagComment = 'border unclear';
    decisions.submitFlag();
    await vi.waitFor(() => expect(decisions.record?.status).toBe('flagged'));
    expect(decisions.flagOpen).toBe(false);
  });
});
