import { describe, expect, it } from 'vitest';
import type { CaseRecord } from '../storage/index.ts';
import { decideAutoTrain, newSinceLastJob } from './auto-train.ts';

function record(id: string, latestVersionId: string | null): CaseRecord {
  return {
    id, fileName: `${id}.jpg`, status: 'approved', createdAt: 0, updatedAt: 0, assignee: null, uncertainty: null,
    latestVersionId, activeModel: null, hasCorrection: true, width: 8, height: 8, pixelsPerMm: null,
  };
}

describe('newSinceLastJob', () => {
  it('counts cases the last job did not receive, and a case whose approved mask changed since', () => {
    const ready = [record('a', 'v1'), record('b', 'v2'), record('c', 'v3')];
    expect(newSinceLastJob(ready, []).map((c) => c.id)).toEqual(['a', 'b', 'c']);
    expect(newSinceLastJob(ready, ['a#v1', 'b#v2', 'c#v3'])).toEqual([]);
    // b was reopened and approved with a new mask (v9): it counts again; a left the job's set.
    expect(newSinceLastJob([record('b', 'v9'), record('c', 'v3')], ['a#v1', 'b#v2', 'c#v3']).map((c) => c.id)).toEqual(['b']);
  });
});

describe('decideAutoTrain', () => {
  const ok = { validationCases: 6, jobRunning: false };

  it('never starts while the setting is off, however many cases are new', () => {
    expect(decideAutoTrain({ every: null, newCases: 500, ...ok })).toMatchObject({ start: false, wait: 'off' });
  });

  it('starts at exactly N new approved cases, not one before', () => {
    expect(decideAutoTrain({ every: 10, newCases: 9, ...ok })).toMatchObject({ start: false, wait: 'approvals', summary: '9 of 10 new approved cases since the last job.' });
    expect(decideAutoTrain({ every: 10, newCases: 10, ...ok })).toMatchObject({ start: true });
    expect(decideAutoTrain({ every: 1, newCases: 3, ...ok })).toMatchObject({ start: true, summary: '3 of 1 new approved case since the last job: starting a job.' });
  });

  it('waits for enough validation cases, then for a running job to end', () => {
    expect(decideAutoTrain({ every: 5, newCases: 5, validationCases: 3, jobRunning: false })).toMatchObject({
      start: false,
      wait: 'validation',
      summary: expect.stringContaining('waiting for 2 more validation cases') as unknown,
    });
    expect(decideAutoTrain({ every: 5, newCases: 5, validationCases: 5, jobRunning: true })).toMatchObject({ start: false, wait: 'job-running' });
  });
});
