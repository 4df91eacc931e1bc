/** `lesiondesk segment`: batch pre-annotation of files and folders. */
import { mkdir, readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import sharp from 'sharp';
import { boxProblem, regionFromBox, type Region } from '../../preload/api.js';
import { LesionDeskError } from '../services/errors.js';
import { decodeFullRgb } from '../services/imaging.js';
import { createServices } from '../services/index.js';
import { refineFullImage, type InteractiveSegmenter } from '../services/interactiveSegmenter.js';
import { traceOutline, uncertaintyScore } from '../services/maskGeometry.js';
import type { Segmentation } from '../services/segmentation.js';
import { InteractiveInputError, matchBoxes, parseBoxesCsv, type BoxRow } from './interactiveArgs.js';
import { maskToPng } from './refineCommand.js';
import { renderOverlay } from './overlay.js';
import { csvCell } from './outputNames.js';
import { nodeOutputFs, OutputWriteError, outputWriteError, planOutputs, writeOutput, type OutputFs } from './outputFiles.js';
import { dataDir, defaultModelDirs } from './paths.js';
import { ProgressBar } from './progress.js';
import { segmentHelp } from './help.js';
import { UsageError, type CliIo } from './usage.js';


const IMAGE_EXTENSIONS = new Set(['.jpg', '.jpeg', '.png', '.tif', '.tiff', '.bmp', '.webp']);
const OUTPUT_SUFFIXES = ['_segmentation.png', '_overlay.jpg'];

/**
 * Expands files and folders (recursively) into a sorted list of image paths. In folders only
 * regular files (and links to them) are taken: a pipe or device named like an image would hang
 * or fail the read, so it is listed in `skipped` instead.
 */
export async function collectInputs(inputs: string[]): Promise<{ files: string[]; missing: string[]; skipped: string[] }> {
  const files: string[] = [];
  const missing: string[] = [];
  const skipped: string[] = [];
  const walk = async (dir: string): Promise<void> => {
    const entries = await readdir(dir, { withFileTypes: true });
    entries.sort((a, b) => a.name.localeCompare(b.name));
    for (const e of entries) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) await walk(p);
      else if (IMAGE_EXTENSIONS.has(path.extname(e.name).toLowerCase()) && !OUTPUT_SUFFIXES.some((s) => e.name.endsWith(s))) {
        const info = e.isSymbolicLink() ? await stat(p).catch(() => null) : e;
        if (info?.isFile()) files.push(p);
        else skipped.push(`${p}: not a regular file (${info?.isDirectory() ? 'a link to a folder, which is not followed' : 'a broken link, a pipe or a device'})`);
      }
    }
  };
  for (const input of inputs) {
    const info = await stat(input).catch(() => null);
    if (!info) missing.push(input);
    else if (info.isDirectory()) await walk(input);
    else if (info.isFile()) files.push(input); // an explicit file is always tried, whatever its extension
    else skipped.push(`${input}: not a regular file (a pipe or a device)`);
  }
  return { files, missing, skipped };
}

interface Row {
  file: string;
  width: number;
  height: number;
  areaPx: number;
  uncertainty: number;
  ms: number;
  /** The box it was segmented in (--boxes), or null: segmented automatically. */
  box: Region | null;
}

/**
 * Reads and checks the --boxes CSV against the inputs before any work: every row names one
 * input, and every box lies inside its image as displayed (the size after EXIF orientation,
 * from the header). Throws InteractiveInputError naming the CSV line.
 */
export async function readBoxes(csvPath: string, files: readonly string[]): Promise<Map<string, BoxRow>> {
  let text: string;
  try {
    text = await readFile(csvPath, 'utf8');
  } catch (error) {
    throw new InteractiveInputError(`--boxes ${csvPath} could not be read (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
  }
  const boxes = matchBoxes(parseBoxesCsv(text, csvPath), files, csvPath);
  for (const [file, row] of boxes) {
    const meta = await sharp(file, { limitInputPixels: false }).metadata().catch(() => null);
    if (!meta?.width || !meta.height) continue; // unreadable: reported when it is segmented
    const { width, height } = meta.autoOrient ?? { width: meta.width, height: meta.height };
    const problem = boxProblem(row.box, width, height, true);
    if (problem) throw new InteractiveInputError(`${csvPath} line ${row.line}: ${path.basename(file)}: ${problem}`);
  }
  return boxes;
}

/** Segments one image in its box with the interactive model (no clicks, no previous mask); outside the box the mask is empty. */
async function segmentInBox(interactive: InteractiveSegmenter, file: string, box: Region, encodePng: boolean, maxPixels: number) {
  const image = await decodeFullRgb({ path: file }, { maxPixels, minSide: 8 });
  const region = regionFromBox(box, image.width, image.height);
  const step = await refineFullImage(interactive, image, region, [], null);
  let areaPx = 0;
  for (const v of step.mask.data) areaPx += v;
  const grid = interactive.model.grid;
  const outline = traceOutline(step.prob, grid, grid, region.x1 - region.x0, region.y1 - region.y0, interactive.model.threshold).map((poly) =>
    poly.map((v, i) => v + (i % 2 === 0 ? region.x0 : region.y0)),
  );
  return {
    width: image.width,
    height: image.height,
    maskPng: encodePng ? await maskToPng(step.mask) : new Uint8Array(0),
    lesionAreaPx: areaPx,
    uncertainty: uncertaintyScore(step.prob),
    outline,
  };
}

/**
 * summary.csv is written whole or not at all (see writeOutput). Without --overwrite a
 * summary.csv that appeared during the run is kept, and this run's goes beside it under a
 * name with the process id, which is printed.
 */
async function writeSummary(summary: string, text: string, overwrite: boolean, io: CliIo, fs: OutputFs): Promise<boolean> {
  try {
    await writeOutput(summary, text, overwrite, fs);
    return true;
  } catch (error) {
    if (!(error instanceof OutputWriteError) || error.code !== 'EEXIST') throw error;
  }
  const beside = path.join(path.dirname(summary), `summary.${process.pid}.csv`);
  await writeOutput(beside, text, false, fs);
  io.err(`lesiondesk: ${summary} appeared during the run and was kept; this run's summary is ${beside}`);
  return false;
}

/** Runs the segment command; returns the exit code. `fs` is where outputs are written (tests fail writes). */
export async function runSegment(argv: string[], io: CliIo, fs: OutputFs = nodeOutputFs): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    strict: true,
    options: {
      out: { type: 'string' },
      model: { type: 'string' },
      threshold: { type: 'string' },
      tta: { type: 'boolean', default: false },
      overlay: { type: 'boolean', default: false },
      threads: { type: 'string' },
      'max-megapixels': { type: 'string' },
      boxes: { type: 'string' },
      overwrite: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    io.out(segmentHelp);
    return 0;
  }
  if (!values.out) throw new UsageError('segment needs --out DIR', segmentHelp);
  if (positionals.length === 0) throw new UsageError('segment needs at least one file or folder', segmentHelp);
  const threshold = values.threshold === undefined ? undefined : Number(values.threshold);
  if (threshold !== undefined && !(threshold > 0 && threshold < 1)) {
    throw new UsageError(`--threshold must be a number between 0 and 1 (exclusive), got "${values.threshold}"`, segmentHelp);
  }
  const threads = values.threads === undefined ? 1 : Number(values.threads);
  if (!Number.isInteger(threads) || threads < 1 || threads > 64) throw new UsageError(`--threads must be a whole number from 1 to 64`, segmentHelp);
  const maxMp = values['max-megapixels'] === undefined ? 64 : Number(values['max-megapixels']);
  if (!(maxMp > 0)) throw new UsageError('--max-megapixels must be a positive number', segmentHelp);

  const { files, missing, skipped } = await collectInputs(positionals);
  for (const m of missing) io.err(`lesiondesk: ${m}: no such file or folder`);
  for (const s of skipped) io.err(`lesiondesk: skipped ${s}`);
  if (files.length === 0) {
    io.err('lesiondesk: no images to segment');
    return 1;
  }
  let boxes = new Map<string, BoxRow>();
  if (values.boxes !== undefined) {
    try {
      boxes = await readBoxes(values.boxes, files);
    } catch (error) {
      if (!(error instanceof InteractiveInputError)) throw error;
      io.err(`lesiondesk: ${error.message}; nothing was segmented`);
      return 2;
    }
  }
  const outDir = path.resolve(values.out);
  // Checked before any work: a run either writes every output or, without --overwrite, none
  // over an existing file (ISIC ground truth beside the images is named like our masks); and
  // never, not even with --overwrite, one onto an input.
  const plan = await planOutputs(files, outDir, values.overlay, values.overwrite);
  if (plan.refusal) {
    io.err(`lesiondesk: ${plan.refusal}`);
    return 2;
  }
  const { stems } = plan;
  const replaces = (file: string) => values.overwrite || plan.emptyDebris.has(file);
  // The check above is made before minutes of work; writeOutput keeps the promise for a file
  // that appears meanwhile (another run into the same folder): it is reported, not replaced.
  try {
    await mkdir(outDir, { recursive: true });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EEXIST' || code === 'ENOTDIR') throw new UsageError(`--out ${values.out} is a file, not a folder`, segmentHelp);
    const failure = outputWriteError(outDir, error);
    io.err(`lesiondesk: cannot create the folder ${outDir}: ${failure.reason}; nothing was written.${failure.folderFix ? ` ${failure.folderFix}.` : ''}`);
    return 1;
  }

  const services = await createServices({
    modelDirs: defaultModelDirs(),
    dataDir: dataDir(),
    model: values.model,
    threads,
    limits: { maxPixels: maxMp * 1e6, minSide: 8 },
    interactive: 'lazy',
  });
  const { segmenter } = services;
  if (services.fallbackReason) io.err(`lesiondesk: warning: ${services.fallbackReason}`);
  const card = segmenter.session.entry.card;
  io.err(`lesiondesk: ${card.name}@${card.version} on ${segmenter.session.provider.provider} (${segmenter.session.provider.reason}); ${files.length} image(s) -> ${outDir}`);
  let interactive: InteractiveSegmenter | null = null;
  if (boxes.size > 0) {
    try {
      interactive = await services.interactive();
    } catch (error) {
      await services.close();
      throw error;
    }
    const ic = interactive.model.entry.card;
    io.err(`lesiondesk: ${boxes.size} image(s) in their box with ${ic.name}@${ic.version}, the others automatically`);
  }

  const rows: (Row | null)[] = new Array(files.length).fill(null);
  const failures: string[] = [];
  const bar = new ProgressBar(files.length, io.stdout);
  let done = 0;
  let next = 0;
  // A full, read-only or forbidden output folder fails every later write too: the first such
  // failure stops the run instead of segmenting the rest for nothing.
  let stopped = null as OutputWriteError | null;
  const start = performance.now();

  // A few images in flight: while one is in the model, the next is being decoded (sharp's
  // threads) and the previous one's PNG is being deflated (libuv pool). The model session
  // queues its runs, so inference itself stays one at a time.
  const worker = async (): Promise<void> => {
    for (;;) {
      if (stopped) return;
      const index = next++;
      if (index >= files.length) return;
      const file = files[index];
      const t0 = performance.now();
      try {
        const boxRow = boxes.get(file);
        const result: Pick<Segmentation, 'width' | 'height' | 'maskPng' | 'lesionAreaPx' | 'uncertainty' | 'outline'> =
          boxRow && interactive
            ? await segmentInBox(interactive, file, boxRow.box, true, maxMp * 1e6)
            : await segmenter.segment({ path: file }, { threshold, tta: values.tta });
        const base = path.join(outDir, stems[index]);
        const writes = [writeOutput(`${base}_segmentation.png`, result.maskPng, replaces(`${base}_segmentation.png`), fs)];
        if (values.overlay) {
          writes.push(renderOverlay({ path: file }, result.width, result.height, result.outline).then((jpg) => writeOutput(`${base}_overlay.jpg`, jpg, replaces(`${base}_overlay.jpg`), fs)));
        }
        // Every write is waited for (allSettled) before a failure is reported, so no write is
        // still going when the run ends and the summary is written.
        const failed = (await Promise.allSettled(writes)).find((w) => w.status === 'rejected');
        if (failed) throw failed.reason;
        rows[index] = {
          file,
          width: result.width,
          height: result.height,
          areaPx: result.lesionAreaPx,
          uncertainty: result.uncertainty,
          ms: performance.now() - t0,
          box: boxRow?.box ?? null,
        };
      } catch (error) {
        if (error instanceof OutputWriteError && error.folderFix) {
          failures.push(error.message);
          if (!stopped) {
            stopped = error;
            bar.clear();
            io.err(`lesiondesk: ${error.message}; stopping (no half-written file was left)`);
          }
        } else {
          const message =
            error instanceof LesionDeskError || error instanceof OutputWriteError ? error.message : `${path.basename(file)}: ${(error as Error).message}`;
          failures.push(message);
          bar.clear();
          io.err(`lesiondesk: skipped ${file}: ${message}`);
        }
      }
      done++;
      bar.update(done, path.basename(file));
    }
  };
  try {
    await Promise.all([worker(), worker(), worker()]);
  } finally {
    bar.finish();
    await services.close();
  }

  // With --boxes, each row says how it was segmented (mode auto|box, and the box).
  const withBoxes = values.boxes !== undefined;
  const lines = [`file,width,height,lesion_area_px,uncertainty,ms${withBoxes ? ',mode,x0,y0,x1,y1' : ''}`];
  for (const r of rows) {
    if (!r) continue;
    const cells = [csvCell(r.file), r.width, r.height, r.areaPx, r.uncertainty.toFixed(4), r.ms.toFixed(1)];
    if (withBoxes) cells.push(r.box ? `box,${r.box.x0},${r.box.y0},${r.box.x1},${r.box.y1}` : 'auto,,,,');
    lines.push(cells.join(','));
  }
  let summaryWritten = false;
  try {
    const summary = path.join(outDir, 'summary.csv');
    summaryWritten = await writeSummary(summary, `${lines.join('\n')}\n`, replaces(summary), io, fs);
  } catch (error) {
    // With the folder already known to be unwritable, the summary's failure says nothing new.
    if (!(error instanceof OutputWriteError)) throw error;
    if (!stopped) io.err(`lesiondesk: ${error.message}`);
  }
  const seconds = (performance.now() - start) / 1000;
  const ok = rows.filter(Boolean).length;
  io.err(
    `lesiondesk: segmented ${ok} of ${files.length} image(s) in ${seconds.toFixed(1)} s (${(ok / seconds).toFixed(1)} images/s)` +
      (failures.length > 0 ? `; ${failures.length} failed` : '') +
      (stopped ? `; stopped, ${files.length - done} not tried` : ''),
  );
  if (stopped) {
    const redo = ok > 0 ? ' (with --overwrite into the same folder: the outputs already written are whole, and are then replaced)' : '';
    io.err(`lesiondesk: ${stopped.folderFix}, then run again${redo}.`);
  }
  return failures.length > 0 || missing.length > 0 || skipped.length > 0 || !summaryWritten ? 1 : 0;
}
