// Runs in Chromium against real IndexedDB (vitest.browser.config.ts).
import { afterEach, describe, expect, it } from 'vitest';
import { encodeMaskPng } from '../exchange/png.ts';
import { openCaseRepository, type CaseRepository } from '../storage/index.ts';
import { splitOfCaseId, splitOfContent, type TrainingPair } from '../../../preload/api.ts';
import { readyCases, sendPairs } from './pairs.ts';

const names: string[] = [];
const repositories: CaseRepository[] = [];

afterEach(async () => {
  for (const r of repositories.splice(0)) r.close();
  for (const name of names.splice(0)) {
    await new Promise((resolve) => {
      const request = indexedDB.deleteDatabase(name);
      request.onsuccess = request.onerror = request.onblocked = resolve;
    });
  }
});

async function pngOf(width: number, height: number, shade: number): Promise<Blob> {
  const canvas = new OffscreenCanvas(width, height);
  const context = canvas.getContext('2d')!;
  context.fillStyle = `rgb(${shade}, ${shade}, ${shade})`;
  context.fillRect(0, 0, width, height);
  return canvas.convertToBlob({ type: 'image/png' });
}

/** A library of `n` approved cases, each with a person's 8x8 mask; ids in name order. */
async function library(n: number): Promise<{ repository: CaseRepository; ids: string[] }> {
  const name = `lesiondesk-pairs-${crypto.randomUUID()}`;
  names.push(name);
  const repository = await openCaseRepository(name);
  repositories.push(repository);
  const ids: string[] = [];
  for (let i = 0; i < n; i++) {
    const imported = await repository.importImage({ fileName: `case-${i}.png`, blob: await pngOf(8, 8, 20 * i + 10), width: 8, height: 8 });
    const caseId = imported.caseId;
    const data = new Uint8Array(64).fill(0, 0, 32).fill(1, 32);
    await repository.addMaskVersion({ caseId, png: new Blob([encodeMaskPng({ width: 8, height: 8, data })], { type: 'image/png' }), authorKind: 'person', author: 'Dr. A', area: 32 });
    await repository.setStatus(caseId, 'approved', { author: 'Dr. A' });
    ids.push(caseId);
  }
  return { repository, ids };
}

/** addTrainingPairs that records what it received. */
function fakeApi() {
  const sent: { caseId: string; maskVersionId: string }[] = [];
  const received: TrainingPair[] = [];
  return {
    sent,
    received,
    api: {
      async addTrainingPairs({ pairs }: { jobId: string; pairs: TrainingPair[] }): Promise<{ received: number; train: number; validation: number }> {
        received.push(...pairs);
        sent.push(...pairs.map((p) => ({ caseId: p.caseId, maskVersionId: p.maskVersionId })));
        return { received: sent.length, train: sent.length, validation: 0 };
      },
    },
  };
}

describe('training pairs from the library', () => {
  it('sends every approved case with its approved mask version', async () => {
    const { repository, ids } = await library(3);
    const { api, sent } = fakeApi();
    const report = await sendPairs(api as never, repository, 'job', await readyCases(repository, false), () => undefined);
    const latest = await Promise.all(ids.map(async (id) => (await repository.getCase(id))!.latestVersionId));
    expect(sent).toEqual(ids.map((caseId, i) => ({ caseId, maskVersionId: latest[i] })));
    expect(report).toMatchObject({ sent: 3, total: 3, skipped: [] });
  });

  it("sends each case's side: its image's bytes decide, or its id for a case the upgraded library lists; a person's mask is not unchanged", async () => {
    const { repository, ids } = await library(8);
    await repository.setSettings({ splitByCaseId: [ids[0]!] });
    const { api, received } = fakeApi();
    await sendPairs(api as never, repository, 'job', await readyCases(repository, false), () => undefined);
    const byId = new Map(received.map((p) => [p.caseId, p]));
    expect(byId.get(ids[0]!)!.split).toBe(await splitOfCaseId(ids[0]!));
    for (const id of ids.slice(1)) expect(byId.get(id)!.split).toBe(await splitOfContent(byId.get(id)!.image));
    expect(received.every((p) => p.unchanged === false)).toBe(true);
  });

  it('leaves out a case reopened after the list was taken', async () => {
    const { repository, ids } = await library(3);
    const listed = await readyCases(repository, false);
    await repository.setStatus(ids[1]!, 'in-progress', { author: 'Dr. B' });
    const { api, sent } = fakeApi();
    const report = await sendPairs(api as never, repository, 'job', listed, () => undefined);
    expect(sent.map((p) => p.caseId)).toEqual([ids[0], ids[2]]);
    expect(report.skipped).toEqual([{ caseId: ids[1], fileName: 'case-1.png', reason: 'it is no longer approved (reopened since the job started)' }]);
    expect(report.total).toBe(2);
  });

  it('re-reads approval right before a chunk is sent: a case reopened after its pair was read is not sent', async () => {
    const { repository, ids } = await library(3);
    const listed = await readyCases(repository, false);
    // The first case is reopened (another tab) while the third case's image is being read,
    // after the first pair was built and before the chunk of three leaves.
    const racing = new Proxy(repository, {
      get(target, key, receiver) {
        if (key === 'getImage') {
          return async (caseId: string) => {
            if (caseId === ids[2]) await target.setStatus(ids[0]!, 'in-progress', { author: 'Dr. B' });
            return target.getImage(caseId);
          };
        }
        const value = Reflect.get(target, key, receiver) as unknown;
        return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
      },
    });
    const { api, sent } = fakeApi();
    const report = await sendPairs(api as never, racing, 'job', listed, () => undefined);
    expect(sent.map((p) => p.caseId)).toEqual([ids[1], ids[2]]);
    expect(report.skipped).toEqual([{ caseId: ids[0], fileName: 'case-0.png', reason: 'it is no longer approved (reopened since the job started)' }]);
  });
});
