/**
 * The train/validation split of fine-tuning cases: the one TypeScript home of the rule. The
 * renderer decides each case's side from what it stores (and sends it with the pair); main
 * decides pairs that come without one (the CLI's folders) the same way
 * (main/services/trainingInput.ts). Both reach it through the contract (preload/api.ts
 * re-exports it), the only module they may share.
 *
 * A case is a validation case when the first 32 bits of sha256(its image's bytes), big-endian,
 * are divisible by 4; otherwise a training case. The image's content decides, so the same photo
 * is on the same side in every library, after a re-import and for every annotator, and a case
 * that validated one job can never train a later one (a split redrawn per job lets validation
 * cases leak into training and inflates every later score).
 *
 * Before issue 17 the case id decided (sha256 of the id, same test): a library upgraded from
 * then keeps that side for every case a job may already have used (`splitOfCaseId`; the
 * renderer's schema 7 migration lists them), so no case ever moves sides.
 * models/scsonet/split.py is the trainer's copy of both rules; both test
 * models/tests/split-cases.json.
 */

/** About one case in this many is a validation case. */
export const validationEvery = 4;
/**
 * Fewest validation cases whose result the gate judges. A job with fewer (but at least one)
 * still runs; its result is kept as a candidate, never activated automatically.
 */
export const minValidationCases = 5;

export type Split = 'train' | 'validation';

/** The side of a SHA-256 digest given as hex (the first 8 hex digits are the first 32 bits). */
export function splitOfDigest(sha256Hex: string): Split {
  if (!/^[0-9a-fA-F]{8}/.test(sha256Hex)) throw new Error(`not a SHA-256 hex digest: ${sha256Hex.slice(0, 16)}`);
  return Number.parseInt(sha256Hex.slice(0, 8), 16) % validationEvery === 0 ? 'validation' : 'train';
}

async function digestHex(bytes: Uint8Array): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', bytes as Uint8Array<ArrayBuffer>);
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, '0')).join('');
}

/** The side of an image, decided by its bytes (Web Crypto: the renderer, a worker or Node 20). */
export async function splitOfContent(bytes: Uint8Array): Promise<Split> {
  return splitOfDigest(await digestHex(bytes));
}

/** The rule before issue 17, by the case id: kept for the cases an upgraded library lists. */
export async function splitOfCaseId(caseId: string): Promise<Split> {
  return splitOfDigest(await digestHex(new TextEncoder().encode(caseId)));
}
