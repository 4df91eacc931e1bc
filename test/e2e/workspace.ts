/** Steps the workspace end-to-end tests share: first-start profile, imports, the editor stage. */
import { expect, type Locator, type Page } from '@playwright/test';

/** Answer the first-start question for the annotator's name. */
export async function enterProfile(page: Page, name = 'Dr Ana Silva'): Promise<void> {
  await expect(page.getByTestId('profile-dialog')).toBeVisible();
  await page.getByTestId('profile-name').fill(name);
  await page.getByTestId('profile-save').click();
  await expect(page.getByTestId('profile-dialog')).toBeHidden();
  await expect(page.getByTestId('annotator')).toHaveText(name);
}

/** The area in pixels that the case view reports for the current mask. */
export async function maskArea(page: Page): Promise<number> {
  const text = (await page.getByTestId('mask-area').first().textContent()) ?? '';
  const match = /([\d,.\s ]+)\s*px/.exec(text);
  if (!match) throw new Error(`mask-area does not name an area in pixels: "${text}"`);
  return Number(match[1]!.replace(/[^\d]/g, ''));
}

/**
 * Screen position of an image pixel on the editor stage, which fits the image centred with a
 * 16 px margin (case/viewport.ts fitViewport).
 */
export async function stagePoint(stage: Locator, image: { width: number; height: number }, x: number, y: number): Promise<{ x: number; y: number }> {
  const box = await stage.boundingBox();
  if (!box) throw new Error('The editor stage is not on screen.');
  const padding = 16;
  const scale = Math.min((box.width - 2 * padding) / image.width, (box.height - 2 * padding) / image.height);
  const left = box.x + (box.width - image.width * scale) / 2;
  const top = box.y + (box.height - image.height * scale) / 2;
  return { x: left + x * scale, y: top + y * scale };
}

/** Drag across the stage through image pixels, in small steps as a hand would. */
export async function strokeOnStage(page: Page, stage: Locator, image: { width: number; height: number }, points: readonly [number, number][]): Promise<void> {
  const first = await stagePoint(stage, image, points[0]![0], points[0]![1]);
  await page.mouse.move(first.x, first.y);
  await page.mouse.down();
  for (const [x, y] of points.slice(1)) {
    const p = await stagePoint(stage, image, x, y);
    await page.mouse.move(p.x, p.y, { steps: 8 });
  }
  await page.mouse.up();
}

/** A case as stored in the page's library database, with its mask versions oldest first (tests and benches). */
export interface StoredCase {
  id: string;
  fileName: string;
  status: string;
  activeModel: string | null;
  latestVersionId: string | null;
  versions: { id: string; author: string; authorKind: string; createdAt: number }[];
}

/**
 * Every case and its versions' metadata (never their images), read from the page's IndexedDB.
 * `versions: false` reads the cases store alone (a 1,000-case library polled by a bench).
 */
export async function storedLibrary(page: Page, options: { versions?: boolean } = {}): Promise<StoredCase[]> {
  const stores = options.versions === false ? ['cases'] : ['cases', 'maskVersions'];
  // A string, so this Node-typed file needs no DOM types.
  return page.evaluate<StoredCase[]>(`new Promise((resolve, reject) => {
    const open = indexedDB.open('lesiondesk');
    open.onerror = () => reject(open.error);
    open.onsuccess = () => {
      const stores = ${JSON.stringify(stores)};
      const tx = open.result.transaction(stores);
      const cases = tx.objectStore('cases').getAll();
      const versions = stores.includes('maskVersions') ? tx.objectStore('maskVersions').getAll() : { result: [] };
      tx.oncomplete = () => {
        open.result.close();
        const byCase = new Map();
        for (const v of [...versions.result].sort((a, b) => a.createdAt - b.createdAt)) {
          if (!byCase.has(v.caseId)) byCase.set(v.caseId, []);
          byCase.get(v.caseId).push({ id: v.id, author: v.author, authorKind: v.authorKind, createdAt: v.createdAt });
        }
        resolve(cases.result.map((c) => ({
          id: c.id, fileName: c.fileName, status: c.status, activeModel: c.activeModel, latestVersionId: c.latestVersionId,
          versions: byCase.get(c.id) ?? [],
        })));
      };
      tx.onerror = () => reject(tx.error);
    };
  })`);
}

/** Every case's id and file name (tests and benches). */
export async function libraryCaseRows(page: Page): Promise<{ id: string; fileName: string }[]> {
  return (await storedLibrary(page, { versions: false })).map(({ id, fileName }) => ({ id, fileName }));
}
