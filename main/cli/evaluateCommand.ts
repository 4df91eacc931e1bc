/** `lesiondesk evaluate`: Dice and IoU of predicted masks against ground truth. */
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import sharp from 'sharp';
import { evaluateHelp } from './help.js';
import { UsageError, type CliIo } from './usage.js';


const MASK_EXTENSIONS = new Set(['.png', '.bmp', '.tif', '.tiff', '.jpg', '.jpeg', '.gif', '.webp']);

/** Stem of a mask file without extension and without a `_segmentation` suffix. */
export function maskKey(file: string): string {
  return path.basename(file, path.extname(file)).replace(/_segmentation$/, '');
}

async function indexMasks(dir: string): Promise<Map<string, string>> {
  const names = await readdir(dir).catch(() => {
    throw new UsageError(`${dir} is not a readable folder`, evaluateHelp);
  });
  const map = new Map<string, string>();
  for (const name of names.sort()) {
    if (!MASK_EXTENSIONS.has(path.extname(name).toLowerCase())) continue;
    if (name.endsWith('_overlay.jpg')) continue;
    map.set(maskKey(name), path.join(dir, name));
  }
  return map;
}

export async function readMask(file: string): Promise<{ width: number; height: number; data: Uint8Array }> {
  const { data, info } = await sharp(file).removeAlpha().greyscale().raw({ depth: 'uchar' }).toBuffer({ resolveWithObject: true });
  if (info.channels !== 1) throw new Error(`${path.basename(file)} did not decode to one channel`);
  return { width: info.width, height: info.height, data };
}

/** Confusion counts of two 0..255 masks thresholded at 128. */
export function confusion(pred: Uint8Array, truth: Uint8Array): { tp: number; fp: number; fn: number } {
  let tp = 0;
  let fp = 0;
  let fn = 0;
  for (let i = 0; i < pred.length; i++) {
    const p = pred[i] >= 128;
    const t = truth[i] >= 128;
    if (p && t) tp++;
    else if (p) fp++;
    else if (t) fn++;
  }
  return { tp, fp, fn };
}

function scores(c: { tp: number; fp: number; fn: number }): { dsc: number; iou: number } {
  const d = 2 * c.tp + c.fp + c.fn;
  const u = c.tp + c.fp + c.fn;
  return { dsc: d === 0 ? 1 : (2 * c.tp) / d, iou: u === 0 ? 1 : c.tp / u };
}

const round = (x: number): number => Math.round(x * 1e6) / 1e6;

/** Runs the evaluate command; returns the exit code. */
export async function runEvaluate(argv: string[], io: CliIo): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      pred: { type: 'string' },
      truth: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    io.out(evaluateHelp);
    return 0;
  }
  if (!values.pred || !values.truth) throw new UsageError('evaluate needs --pred DIR and --truth DIR', evaluateHelp);
  const pred = await indexMasks(values.pred);
  const truth = await indexMasks(values.truth);
  const keys = [...pred.keys()].filter((k) => truth.has(k));
  const images: { id: string; dsc: number; iou: number; tp: number; fp: number; fn: number }[] = [];
  const errors: { id: string; error: string }[] = [];
  const total = { tp: 0, fp: 0, fn: 0 };
  for (const id of keys) {
    try {
      const [p, t] = await Promise.all([readMask(pred.get(id)!), readMask(truth.get(id)!)]);
      if (p.width !== t.width || p.height !== t.height) {
        throw new Error(`prediction is ${p.width}x${p.height}, truth is ${t.width}x${t.height}`);
      }
      const c = confusion(p.data, t.data);
      total.tp += c.tp;
      total.fp += c.fp;
      total.fn += c.fn;
      const s = scores(c);
      images.push({ id, dsc: round(s.dsc), iou: round(s.iou), ...c });
    } catch (error) {
      errors.push({ id, error: (error as Error).message });
    }
  }
  const pooled = scores(total);
  const mean = (f: (x: { dsc: number; iou: number }) => number): number | null =>
    images.length === 0 ? null : round(images.reduce((s, x) => s + f(x), 0) / images.length);
  const report = {
    n: images.length,
    pooled: { dsc: images.length ? round(pooled.dsc) : null, iou: images.length ? round(pooled.iou) : null, ...total },
    mean: { dsc: mean((x) => x.dsc), iou: mean((x) => x.iou) },
    images,
    unmatched: {
      pred: [...pred.keys()].filter((k) => !truth.has(k)),
      truth: [...truth.keys()].filter((k) => !pred.has(k)),
    },
    errors,
  };
  io.out(JSON.stringify(report, null, 2));
  if (images.length === 0) io.err('lesiondesk: no prediction/truth pairs with matching stems');
  for (const e of errors) io.err(`lesiondesk: ${e.id}: ${e.error}`);
  return images.length === 0 || errors.length > 0 ? 1 : 0;
}
