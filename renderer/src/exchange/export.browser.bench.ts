/**
 * Benchmark (never a test; `npm run bench:export`, bench/export-browser.config.ts): the CSV and
 * COCO exports of 18 cases at ISIC sizes (6 each of 1024 x 768, 4288 x 2848 and 6000 x 4000,
 * the mix of the ISIC 2018 training set), in Chromium with the real IndexedDB, side by side with
 * the previous pipeline: every mask drawn on a canvas and read back (decodeMaskImageOnCanvas),
 * COCO counting runs twice (column by column through the row-major mask). Then the restore of a
 * backup of those cases (images of JPEG size, about 80 MB): the time to the question (the manifest
 * alone) against the checks, which the question used to wait for and which now follow it. The outputs of
 * both pipelines are compared; any difference stops the run. Writes bench/results/export.json.
 * Three runs, alternating which side goes first; medians reported.
 */
import { commands } from 'vitest/browser';
import { it } from 'vitest';
import { measurementColumns } from '../workflow/export-actions.ts';
import { openCaseRepository, type CaseRepository } from '../storage/index.ts';
import { createBackup, inspectBackup, readBackupContents } from './backup.ts';
import { maskArea, type BinaryMask } from './binary-mask.ts';
import { exportCoco, exportMeasurementsCsv } from './export.ts';
import { decodeMaskImageOnCanvas } from './image-codec.ts';
import { encodeMaskPng } from './png.ts';
import { rleArea, rleCountsToString } from './rle.ts';

declare module 'vitest/browser' {
  interface BrowserCommands {
    loadAverage: () => Promise<number[]>;
  }
}

const runs = 3;
const sizes = [...Array(6).fill([1024, 768]), ...Array(6).fill([4288, 2848]), ...Array(6).fill([6000, 4000])] as [number, number][];

/** An irregular lesion (a wobbly ellipse with a satellite), different per seed. */
function lesionMask(width: number, height: number, seed: number): BinaryMask {
  const data = new Uint8Array(width * height);
  const cx = width * (0.45 + 0.01 * seed);
  const cy = height * 0.5;
  const rx = width * 0.28;
  const ry = height * 0.3;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const angle = Math.atan2(y - cy, x - cx);
      const wobble = 1 + 0.12 * Math.sin(5 * angle + seed) + 0.05 * Math.sin(13 * angle);
      const dx = (x - cx) / (rx * wobble);
      const dy = (y - cy) / (ry * wobble);
      const satellite = (x - width * 0.82) ** 2 + (y - height * 0.2) ** 2 < (width * 0.02) ** 2;
      data[y * width + x] = dx * dx + dy * dy <= 1 || satellite ? 1 : 0;
    }
  }
  return { width, height, data };
}

/**
 * Incompressible bytes of an ISIC JPEG's typical size (about 0.35 bytes a pixel): the exports
 * never read images, a restore hashes them, so only their size matters here.
 */
function imageBytes(width: number, height: number): Blob {
  const bytes = new Uint8Array(Math.round(width * height * 0.35));
  for (let offset = 0; offset < bytes.length; offset += 65_536) crypto.getRandomValues(bytes.subarray(offset, offset + 65_536));
  return new Blob([bytes], { type: 'image/jpeg' });
}

async function seed(repository: CaseRepository): Promise<string[]> {
  const ids: string[] = [];
  for (const [i, [width, height]] of sizes.entries()) {
    const [result] = await repository.importImages([{ fileName: `ISIC_${String(i).padStart(7, '0')}.jpg`, blob: imageBytes(width, height), width, height }]);
    const mask = lesionMask(width, height, i);
    await repository.addMaskVersion({ caseId: result!.caseId, png: new Blob([encodeMaskPng(mask)], { type: 'image/png' }), authorKind: 'person', author: 'Dr. Bench', area: maskArea(mask) });
    ids.push(result!.caseId);
  }
  return ids;
}

/** rleCounts as it was: each column read straight from the row-major mask (a cache miss a pixel). */
function previousRleCounts(mask: BinaryMask): number[] {
  const { width, height, data } = mask;
  const counts: number[] = [];
  let previous = 0;
  let run = 0;
  for (let x = 0; x < width; x++) {
    for (let y = 0; y < height; y++) {
      const value = data[y * width + x] ? 1 : 0;
      if (value !== previous) {
        counts.push(run);
        run = 0;
        previous = value;
      }
      run++;
    }
  }
  counts.push(run);
  return counts;
}

/** The previous pipeline, per case: canvas decode, then the CSV's measurements or COCO's RLE (runs counted twice). */
async function previousPipeline(repository: CaseRepository, ids: string[], kind: 'csv' | 'coco'): Promise<string[]> {
  const out: string[] = [];
  for (const record of await repository.getCases(ids)) {
    const version = await repository.getVersion(record.latestVersionId!);
    const mask = await decodeMaskImageOnCanvas(version!.png);
    if (kind === 'csv') {
      const columns = measurementColumns(mask, { pixelsPerMm: null });
      out.push(`${maskArea(mask)},${columns['perimeter_px']},${columns['longest_diameter_px']},${columns['regions']}`);
    } else {
      // As cocoEntry did: the runs for area and box, then again inside encodeCompressedRle.
      const counts = previousRleCounts(mask);
      out.push(`${rleArea(counts)}:${rleCountsToString(previousRleCounts(mask))}`);
    }
  }
  return out;
}

function csvValues(csv: string): string[] {
  const [header, ...rows] = csv.trim().split('\r\n').map((line) => line.split(','));
  const at = (name: string) => header!.indexOf(name);
  return rows.map((row) => ['area_px', 'perimeter_px', 'longest_diameter_px', 'regions'].map((name) => row[at(name)]).join(','));
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
};

async function timed<T>(fn: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const start = performance.now();
  const value = await fn();
  return { ms: performance.now() - start, value };
}

it('exports 18 ISIC-sized cases as CSV and COCO, before and after; restores their backup', async () => {
  const repository = await openCaseRepository(`lesiondesk-bench-export-${crypto.randomUUID()}`);
  const ids = await seed(repository);
  const samples: Record<string, number[]> = { csvBefore: [], csvAfter: [], cocoBefore: [], cocoAfter: [], restoreQuestion: [], restoreChecks: [] };
  const outputs: Record<string, string[]> = {};
  for (let run = 0; run < runs; run++) {
    // Alternating order, so neither side always runs on a warmer cache.
    for (const side of run % 2 ? (['after', 'before'] as const) : (['before', 'after'] as const)) {
      if (side === 'before') {
        const csv = await timed(() => previousPipeline(repository, ids, 'csv'));
        const coco = await timed(() => previousPipeline(repository, ids, 'coco'));
        samples['csvBefore']!.push(csv.ms);
        samples['cocoBefore']!.push(coco.ms);
        if (run === 0) Object.assign(outputs, { csvReference: csv.value, cocoReference: coco.value });
      } else {
        const csv = await timed(() => exportMeasurementsCsv(repository, measurementColumns, { caseIds: ids, pixelsPerMm: null }));
        const coco = await timed(() => exportCoco(repository, { caseIds: ids }));
        samples['csvAfter']!.push(csv.ms);
        samples['cocoAfter']!.push(coco.ms);
        if (run === 0) Object.assign(outputs, { csvNow: csvValues(csv.value.csv), cocoNow: (JSON.parse(coco.value.json) as { annotations: { area: number; segmentation: { counts: string } }[] }).annotations.map((a) => `${a.area}:${a.segmentation.counts}`) });
      }
    }
  }
  const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);
  if (!same(outputs['csvReference'], outputs['csvNow'])) throw new Error('The CSV measurements differ from the previous pipeline.');
  if (!same(outputs['cocoReference'], outputs['cocoNow'])) throw new Error('The COCO annotations differ from the previous pipeline.');

  const backup = await createBackup(repository);
  for (let run = 0; run < runs; run++) {
    const question = await timed(() => inspectBackup(backup, 'bench.zip'));
    const checks = await timed(() => readBackupContents(question.value));
    samples['restoreQuestion']!.push(question.ms);
    samples['restoreChecks']!.push(checks.ms);
  }
  repository.close();

  const ms = (key: string) => Math.round(median(samples[key]!));
  const result = {
    bench: 'export-browser',
    date: new Date().toISOString(),
    browser: navigator.userAgent,
    cores: navigator.hardwareConcurrency,
    loadAverage: await commands.loadAverage(),
    runs,
    cases: sizes.map(([w, h]) => `${w}x${h}`),
    backupBytes: backup.size,
    medianMs: {
      csvBefore: ms('csvBefore'),
      csvAfter: ms('csvAfter'),
      cocoBefore: ms('cocoBefore'),
      cocoAfter: ms('cocoAfter'),
      restoreToQuestion: ms('restoreQuestion'),
      restoreChecksAfterQuestion: ms('restoreChecks'),
    },
    speedup: { csv: Math.round((10 * ms('csvBefore')) / ms('csvAfter')) / 10, coco: Math.round((10 * ms('cocoBefore')) / ms('cocoAfter')) / 10 },
    samplesMs: Object.fromEntries(['csvBefore', 'csvAfter', 'cocoBefore', 'cocoAfter', 'restoreQuestion', 'restoreChecks'].map((k) => [k, samples[k]!.map((x) => Math.round(x))])),
    outputsIdentical: true,
  };
  console.log(JSON.stringify(result, null, 2));
  await commands.writeFile('bench/results/export.json', `${JSON.stringify(result, null, 2)}\n`);
});
