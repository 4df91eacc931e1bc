/** Shared set-up for the integration tests: where the shipped model and the data live. */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/**
 * The model folder under test: the shipped `models/` (LESIONDESK_TEST_MODELS overrides it, e.g.
 * to try an export before it is committed).
 */
export const modelDir = process.env.LESIONDESK_TEST_MODELS ?? path.join(repoRoot, 'models');

/** The ISIC 2017 sample that CI checks out beside the clone (../shared), if present. */
export const isicDir = path.resolve(repoRoot, '..', 'shared', 'data', 'isic2017-train-256');
export const hasIsic = existsSync(path.join(isicDir, 'images')) && existsSync(path.join(isicDir, 'masks'));

/** Dice of two 0/255 masks of equal size. */
export function dice(a: Uint8Array, b: Uint8Array): number {
  let inter = 0;
  let sa = 0;
  let sb = 0;
  for (let i = 0; i < a.length; i++) {
    const x = a[i] >= 128;
    const y = b[i] >= 128;
    if (x) sa++;
    if (y) sb++;
    if (x && y) inter++;
  }
  return sa + sb === 0 ? 1 : (2 * inter) / (sa + sb);
}
