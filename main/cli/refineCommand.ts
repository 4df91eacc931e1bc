/**
 * `lesiondesk refine` (one interactive step, for scripts) and `lesiondesk evaluate-clicks` (the
 * click protocol on a folder of pairs, full resolution). Both run the shipped interactive
 * model through main/services/interactiveSegmenter.ts, cropping with sharp as its card says.
 */
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import sharp from 'sharp';
import { boxProblem, clickInside, regionFromBox, regionFromClicks, type ImageClick, type MaskPlane, type Region } from '../../preload/api.js';
import { runClickProtocol, type ProtocolResult } from '../services/clickProtocol.js';
import { LesionDeskError } from '../services/errors.js';
import { decodeFullRgb, type FullImage } from '../services/imaging.js';
import { createServices, type Services } from '../services/index.js';
import { refineFullImage } from '../services/interactiveSegmenter.js';
import { runsToMask } from '../services/maskGeometry.js';
import { maskKey, readMask } from './evaluateCommand.js';
import { evaluateClicksHelp, refineHelp } from './help.js';
import { InteractiveInputError, parseBox, parseClick } from './interactiveArgs.js';
import { OutputWriteError, writeOutput } from './outputFiles.js';
import { dataDir, defaultModelDirs } from './paths.js';
import { UsageError, type CliIo } from './usage.js';

/** A mask file that cannot be used with the image: wrong size, unreadable. */
export class MaskInputError extends LesionDeskError {
  constructor(message: string) {
    super('MASK_INPUT', message);
  }
}

/** Reads a mask (any 8-bit image, >= 128 is lesion) that must match the image's size. */
async function loadMaskFor(file: string, width: number, height: number, what: string): Promise<MaskPlane> {
  let mask: { width: number; height: number; data: Uint8Array };
  try {
    mask = await readMask(file);
  } catch (error) {
    throw new MaskInputError(`${what} ${file} is not a readable mask (${(error as Error).message.split('\n')[0]})`);
  }
  if (mask.width !== width || mask.height !== height) {
    throw new MaskInputError(`${what} ${file} is ${mask.width}x${mask.height}, the image is ${width}x${height}; a mask must have the image's size (as displayed, after EXIF orientation)`);
  }
  return { width, height, data: Uint8Array.from(mask.data, (v) => (v >= 128 ? 1 : 0)) };
}

/** A mask as an 8-bit grayscale PNG, 0 or 255. */
export async function maskToPng(mask: MaskPlane): Promise<Buffer> {
  const bytes = Uint8Array.from(mask.data, (v) => (v !== 0 ? 255 : 0));
  return sharp(bytes, { raw: { width: mask.width, height: mask.height, channels: 1 } }).toColourspace('b-w').png({ compressionLevel: 6 }).toBuffer();
}

function openServices(threads: number): Promise<Services> {
  return createServices({ modelDirs: defaultModelDirs(), dataDir: dataDir(), threads, interactive: 'lazy' });
}

function parseThreads(text: string | undefined, help: string): number {
  const threads = text === undefined ? 1 : Number(text);
  if (!Number.isInteger(threads) || threads < 1 || threads > 64) throw new UsageError('--threads must be a whole number from 1 to 64', help);
  return threads;
}

/**
 * The region and clicks of one refine call, checked against the image: a box wholly inside
 * it (strict: a coordinate beyond the image is a typing mistake here), clicks inside the image
 * and inside the box; without a box, the Click tool's region around the clicks.
 */
export function planRefine(box: Region | null, clicks: readonly ImageClick[], previous: MaskPlane | null, width: number, height: number): Region {
  for (const c of clicks) {
    if (!clickInside(c, width, height)) throw new InteractiveInputError(`--click ${c.positive ? '+' : '-'}${c.x},${c.y} lies outside the ${width}x${height} image`);
  }
  if (box) {
    const problem = boxProblem(box, width, height, true);
    if (problem) throw new InteractiveInputError(`--${problem}`);
    const region = regionFromBox(box, width, height);
    for (const c of clicks) {
      if (c.x < region.x0 || c.x >= region.x1 || c.y < region.y0 || c.y >= region.y1) {
        throw new InteractiveInputError(`--click ${c.positive ? '+' : '-'}${c.x},${c.y} lies outside --box ${box.x0},${box.y0},${box.x1},${box.y1}`);
      }
    }
    return region;
  }
  if (clicks.length === 0) throw new InteractiveInputError('refine needs --box or at least one --click');
  return regionFromClicks(clicks, previous, width, height);
}

/**
 * `--click -x,y` as one option: node's parseArgs reads a value starting with "-" as an option
 * and refuses it as ambiguous, but a skin click is written that way (`--click=-x,y` works too).
 */
export function joinClickValues(argv: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--click' && i + 1 < argv.length && /^-\s*\d/.test(argv[i + 1])) {
      out.push(`--click=${argv[i + 1]}`);
      i++;
    } else out.push(argv[i]);
  }
  return out;
}

/** Runs `lesiondesk refine`; returns the exit code. */
export async function runRefine(argv: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseArgs({
    args: joinClickValues(argv),
    allowPositionals: true,
    strict: true,
    options: {
      out: { type: 'string' },
      mask: { type: 'string' },
      box: { type: 'string' },
      click: { type: 'string', multiple: true },
      threads: { type: 'string' },
      overwrite: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    io.out(refineHelp);
    return 0;
  }
  if (positionals.length !== 1) throw new UsageError(`refine takes one IMAGE (got ${positionals.length})`, refineHelp);
  if (!values.out) throw new UsageError('refine needs --out MASK', refineHelp);
  const threads = parseThreads(values.threads, refineHelp);
  let box: Region | null;
  let clicks: ImageClick[];
  try {
    box = values.box === undefined ? null : parseBox(values.box);
    clicks = (values.click ?? []).map(parseClick);
  } catch (error) {
    if (error instanceof InteractiveInputError) throw new UsageError(error.message, refineHelp);
    throw error;
  }
  if (!box && clicks.length === 0) throw new UsageError('refine needs --box or at least one --click', refineHelp);
  const [imagePath] = positionals;
  const out = path.resolve(values.out);
  if (out === path.resolve(imagePath)) throw new UsageError(`--out ${values.out} is the image itself`, refineHelp);

  const image = await decodeFullRgb({ path: imagePath });
  let previous: MaskPlane | null;
  try {
    previous = values.mask ? await loadMaskFor(values.mask, image.width, image.height, '--mask') : null;
  } catch (error) {
    if (error instanceof MaskInputError) throw new UsageError(error.message, refineHelp);
    throw error;
  }
  let region: Region;
  try {
    region = planRefine(box, clicks, previous, image.width, image.height);
  } catch (error) {
    if (error instanceof InteractiveInputError || error instanceof RangeError) throw new UsageError(`${path.basename(imagePath)}: ${error.message}`, refineHelp);
    throw error;
  }
  const services = await openServices(threads);
  try {
    const segmenter = await services.interactive();
    if (clicks.length > segmenter.model.maxClicks) throw new UsageError(`at most ${segmenter.model.maxClicks} clicks (got ${clicks.length})`, refineHelp);
    const step = await refineFullImage(segmenter, image, region, clicks, previous);
    try {
      await writeOutput(out, await maskToPng(step.mask), values.overwrite);
    } catch (error) {
      if (error instanceof OutputWriteError) {
        io.err(`lesiondesk: ${error.message}${error.code === 'EEXIST' ? ' (use --overwrite to replace it)' : ''}`);
        return 1;
      }
      throw error;
    }
    let area = 0;
    for (const v of step.mask.data) area += v;
    const card = segmenter.model.entry.card;
    io.err(
      `lesiondesk: ${card.name}@${card.version}: region ${region.x0},${region.y0},${region.x1},${region.y1} of ${image.width}x${image.height}, ` +
        `${clicks.length} click(s), lesion ${area} px -> ${out} (model ${step.inferMs.toFixed(1)} ms, step ${step.totalMs.toFixed(1)} ms)`,
    );
    return 0;
  } finally {
    await services.close();
  }
}

const IMAGE_EXTENSIONS = new Set(['.jpg', '.jpeg', '.png', '.tif', '.tiff', '.bmp', '.webp']);

/** The per-image row of evaluate-clicks. */
export interface ClickRow {
  id: string;
  width: number;
  height: number;
  startIou: number;
  iou1: number;
  iou3: number;
  iou5: number;
  noc85: number;
  noc90: number;
  clicks: number;
  /** Median milliseconds of one step (crop, model, paste back). */
  stepMs: number;
}

const round = (x: number, digits = 4): number => Math.round(x * 10 ** digits) / 10 ** digits;

function median(values: readonly number[]): number {
  if (values.length === 0) return 0;
  const s = [...values].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** Means of the rows (NoC and IoU) and the median step time. */
export function summarizeClickRows(rows: readonly ClickRow[]): Record<string, number> | null {
  if (rows.length === 0) return null;
  const mean = (f: (r: ClickRow) => number) => round(rows.reduce((s, r) => s + f(r), 0) / rows.length);
  return {
    n: rows.length,
    noc85: mean((r) => r.noc85),
    noc90: mean((r) => r.noc90),
    startIou: mean((r) => r.startIou),
    iou1: mean((r) => r.iou1),
    iou3: mean((r) => r.iou3),
    iou5: mean((r) => r.iou5),
    medianStepMs: round(median(rows.map((r) => r.stepMs)), 1),
  };
}

/** Runs `lesiondesk evaluate-clicks`; returns the exit code. */
export async function runEvaluateClicks(argv: string[], io: CliIo): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      images: { type: 'string' },
      masks: { type: 'string' },
      start: { type: 'string', default: 'auto' },
      'max-clicks': { type: 'string' },
      threads: { type: 'string' },
      json: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    io.out(evaluateClicksHelp);
    return 0;
  }
  if (!values.images || !values.masks) throw new UsageError('evaluate-clicks needs --images DIR and --masks DIR', evaluateClicksHelp);
  if (values.start !== 'auto' && values.start !== 'empty') throw new UsageError(`--start must be auto or empty, not "${values.start}"`, evaluateClicksHelp);
  const maxClicks = values['max-clicks'] === undefined ? 20 : Number(values['max-clicks']);
  if (!Number.isInteger(maxClicks) || maxClicks < 1 || maxClicks > 20) throw new UsageError('--max-clicks must be a whole number from 1 to 20', evaluateClicksHelp);
  const threads = parseThreads(values.threads, evaluateClicksHelp);
  const list = async (dir: string, what: string) =>
    (await readdir(dir).catch(() => {
      throw new UsageError(`${what} ${dir} is not a readable folder`, evaluateClicksHelp);
    })).filter((n) => IMAGE_EXTENSIONS.has(path.extname(n).toLowerCase())).sort();
  const images = await list(values.images, '--images');
  const masks = new Map((await list(values.masks, '--masks')).map((n) => [maskKey(n), path.join(values.masks!, n)]));
  const pairs = images.map((n) => ({ id: maskKey(n), image: path.join(values.images!, n) })).filter((p) => masks.has(p.id));
  const unmatched = images.map(maskKey).filter((id) => !masks.has(id));
  if (pairs.length === 0) {
    io.err(`lesiondesk: no image in ${values.images} has a mask with the same stem in ${values.masks}`);
    return 1;
  }
  const services = await openServices(threads);
  const rows: ClickRow[] = [];
  const errors: { id: string; error: string }[] = [];
  try {
    const segmenter = await services.interactive();
    const card = segmenter.model.entry.card;
    io.err(`lesiondesk: ${card.name}@${card.version}, start ${values.start}, at most ${maxClicks} clicks, ${pairs.length} pair(s)`);
    for (const pair of pairs) {
      try {
        const image: FullImage = await decodeFullRgb({ path: pair.image });
        const truth = await loadMaskFor(masks.get(pair.id)!, image.width, image.height, 'mask');
        let start: Uint8Array | null = null;
        if (values.start === 'auto') {
          const auto = await services.segmenter.segment({ path: pair.image }, { encodePng: false });
          start = runsToMask(auto.mask);
        }
        const result: ProtocolResult = await runClickProtocol(
          async (region, clicks, current) => (await refineFullImage(segmenter, image, region, clicks, current)).mask,
          { width: image.width, height: image.height, truth: truth.data, start, maxClicks },
        );
        const row: ClickRow = {
          id: pair.id,
          width: image.width,
          height: image.height,
          startIou: round(result.ious[0]),
          iou1: round(result.iou1),
          iou3: round(result.iou3),
          iou5: round(result.iou5),
          noc85: result.noc85,
          noc90: result.noc90,
          clicks: result.clicks.length,
          stepMs: round(median(result.stepMs), 1),
        };
        rows.push(row);
        if (!values.json) {
          io.out(`${row.id}  ${row.width}x${row.height}  start ${row.startIou.toFixed(3)}  IoU@1 ${row.iou1.toFixed(3)}  @3 ${row.iou3.toFixed(3)}  @5 ${row.iou5.toFixed(3)}  NoC@85 ${row.noc85}  NoC@90 ${row.noc90}  ${row.stepMs} ms/click`);
        }
      } catch (error) {
        if (!(error instanceof LesionDeskError)) throw error;
        errors.push({ id: pair.id, error: error.message });
        io.err(`lesiondesk: skipped ${pair.id}: ${error.message}`);
      }
    }
  } finally {
    await services.close();
  }
  const summary = summarizeClickRows(rows);
  if (values.json) {
    io.out(JSON.stringify({ start: values.start, maxClicks, summary, images: rows, unmatched, errors }, null, 2));
  } else if (summary) {
    io.out(
      `\n${summary.n} image(s): NoC@85 ${summary.noc85}, NoC@90 ${summary.noc90} (${maxClicks} where never reached), ` +
        `mean IoU start ${summary.startIou}, after 1/3/5 clicks ${summary.iou1} / ${summary.iou3} / ${summary.iou5}; median ${summary.medianStepMs} ms per click`,
    );
  }
  for (const id of unmatched) io.err(`lesiondesk: ${id}: no mask with this stem in ${values.masks}`);
  return rows.length === 0 || errors.length > 0 ? 1 : 0;
}
