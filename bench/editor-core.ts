/**
 * `npm run bench:editor`: the editor core on a 6000 x 4000 mask, the largest image.
 * Replays a 3-second brush stroke as 180 pointer samples (60 Hz) and times each sample with the
 * RGBA of its whole dirty rectangle (an upper bound: the case view uploads only the changed
 * column runs, which `npm run bench:browser` measures); then undo and redo of that stroke, fill
 * holes, remove islands and the other clean-ups, measurements, and the memory of the mask and
 * its history. Writes bench/results/editor-core.json. Never run by the tests.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { EditorDocument } from '../renderer/src/editor/document.js';
import type { Rect } from '../renderer/src/editor/geometry.js';
import { MaskRaster } from '../renderer/src/editor/mask-raster.js';
import { fillPolygon, stampSegment } from '../renderer/src/editor/paint.js';
import type { EditorPointerEvent } from '../renderer/src/editor/tools/tool.js';

const WIDTH = 6000;
const HEIGHT = 4000;
const SAMPLES = 180;
const BRUSH_SIZE = 80;
const REPEATS = 3;
const MIN_ISLAND_PIXELS = 500;

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const overlayColor = { r: 255, g: 64, b: 64 };

function quantile(xs: readonly number[], q: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1))]!;
}
const r2 = (x: number): number => Math.round(x * 100) / 100;
const mb = (bytes: number): number => Math.round((bytes / 2 ** 20) * 100) / 100;

/** Deterministic pseudo-random numbers, so every run paints the same lesion. */
function random(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state * 1103515245 + 12345) % 2 ** 31;
    return state / 2 ** 31;
  };
}

/** A large irregular lesion with holes inside and islands around it. */
function syntheticLesion(): Uint8Array {
  const raster = new MaskRaster(WIDTH, HEIGHT);
  const next = random(4);
  const outline = Array.from({ length: 720 }, (_, i) => {
    const angle = (i / 720) * 2 * Math.PI;
    const wobble = 1 + 0.08 * Math.sin(7 * angle) + 0.04 * Math.sin(19 * angle + 1);
    return { x: 3000 + 1900 * wobble * Math.cos(angle), y: 2000 + 1300 * wobble * Math.sin(angle) };
  });
  fillPolygon(raster, outline, 1);
  for (let i = 0; i < 300; i++) {
    const c = { x: 3000 + (next() - 0.5) * 2400, y: 2000 + (next() - 0.5) * 1600 };
    stampSegment(raster, c, c, 3 + next() * 25, 0);
  }
  for (let i = 0; i < 600; i++) {
    const angle = next() * 2 * Math.PI;
    const distance = 1.2 + next() * 0.3;
    const c = { x: 3000 + 1900 * distance * Math.cos(angle), y: 2000 + 1300 * distance * Math.sin(angle) };
    stampSegment(raster, c, c, 1 + next() * 15, 1);
  }
  return raster.data;
}

function pointer(x: number, y: number): EditorPointerEvent {
  return { x, y, button: 0, altKey: false, shiftKey: false, ctrlKey: false, metaKey: false };
}

/** An upper bound on the renderer's share of a frame: the whole dirty rectangle's RGBA overlay. */
function renderDirty(document: EditorDocument): Rect | null {
  const dirty = document.raster.takeDirty();
  if (dirty) document.raster.overlayRgba(dirty, overlayColor, 0.5);
  return dirty;
}

/** Wall-clock milliseconds of `fn`; its process CPU milliseconds are added to `cpu` when given. */
function time(fn: () => void, cpu?: number[]): number {
  const cpuStart = process.cpuUsage();
  const start = performance.now();
  fn();
  const wall = performance.now() - start;
  const used = process.cpuUsage(cpuStart);
  cpu?.push((used.user + used.system) / 1000);
  return wall;
}

/** Median time of an operation, undoing it after each run so every run starts from the same mask. */
function timeOperation(document: EditorDocument, operation: () => Rect | null, repeats = REPEATS): { medianMs: number; medianCpuMs: number; changedPixels: number } {
  const times: number[] = [];
  const cpu: number[] = [];
  let changedPixels = 0;
  for (let i = 0; i < repeats; i++) {
    times.push(time(() => operation(), cpu));
    changedPixels = document.history.undoEntries.at(-1)?.pixelsChanged ?? 0;
    document.undo();
    document.raster.takeDirty();
  }
  return { medianMs: r2(quantile(times, 0.5)), medianCpuMs: r2(quantile(cpu, 0.5)), changedPixels };
}

const document = new EditorDocument(WIDTH, HEIGHT, { mask: syntheticLesion(), brushSize: BRUSH_SIZE, minIslandPixels: MIN_ISLAND_PIXELS });
const rasterBytes = document.raster.byteSize;
const startArea = document.raster.area();

// ---- 1. a 3-second brush stroke, 180 samples at 60 Hz -----------------------------------------
// A loop across most of the image with a wobble: fast (about 25 px per sample), long (4,500 px).
const path2d = Array.from({ length: SAMPLES }, (_, i) => {
  const t = i / (SAMPLES - 1);
  return { x: 800 + 4400 * t, y: 2000 + 1500 * Math.sin(t * Math.PI * 2) + 40 * Math.sin(t * 60) };
});
const coreMs: number[] = [];
const frameMs: number[] = [];
const frameCpuMs: number[] = [];
for (let i = 0; i < SAMPLES; i++) {
  const p = path2d[i]!;
  const cpuStart = process.cpuUsage();
  const start = performance.now();
  if (i === 0) document.pointerDown(pointer(p.x, p.y));
  else document.pointerMove(pointer(p.x, p.y));
  const afterCore = performance.now();
  renderDirty(document);
  const end = performance.now();
  const used = process.cpuUsage(cpuStart);
  coreMs.push(afterCore - start);
  frameMs.push(end - start);
  frameCpuMs.push((used.user + used.system) / 1000);
}
const last = path2d[SAMPLES - 1]!;
const strokeCpuMs: number[] = [];
const commitMs = time(() => document.pointerUp(pointer(last.x, last.y)), strokeCpuMs);
renderDirty(document);
const strokeEntry = document.history.undoEntries.at(-1)!;
const undoMs = time(() => document.undo(), strokeCpuMs);
// The renderer redraws the stroke's rectangle after undo: count that too.
const undoOverlayMs = time(() => renderDirty(document), strokeCpuMs);
const undoneArea = document.raster.area();
const redoMs = time(() => {
  document.redo();
  renderDirty(document);
});

process.stderr.write('stroke done\n');
// ---- 2. clean-up operations -------------------------------------------------------------------
const fillHoles = timeOperation(document, () => document.fillHoles());
const removeIslands = timeOperation(document, () => document.removeIslands());
const keepLargest = timeOperation(document, () => document.keepLargestRegion(), 1);
const grow = timeOperation(document, () => document.grow(), 1);
const smooth = timeOperation(document, () => document.smooth(5), 1);

process.stderr.write('operations done\n');
// ---- 3. measurements --------------------------------------------------------------------------
let measurements = document.measure({ pixelsPerMm: 40 });
const measureCpuMs: number[] = [];
const measureMs = time(() => {
  measurements = document.measure({ pixelsPerMm: 40 });
}, measureCpuMs);

// ---- 4. memory after a session: the stroke plus each clean-up, kept as history ------------------
document.fillHoles();
document.removeIslands();
document.grow();
const history = document.history;

const result = {
  date: new Date().toISOString(),
  machine: { cpu: os.cpus()[0]?.model ?? 'unknown', cores: os.cpus().length, loadAverage1m: r2(os.loadavg()[0]!), node: process.version },
  image: { width: WIDTH, height: HEIGHT, lesionPixels: startArea },
  brushStroke: {
    samples: SAMPLES,
    brushDiameterPx: BRUSH_SIZE,
    pathLengthPx: Math.round(path2d.slice(1).reduce((sum, p, i) => sum + Math.hypot(p.x - path2d[i]!.x, p.y - path2d[i]!.y), 0)),
    perSampleCoreMs: { p50: r2(quantile(coreMs, 0.5)), p95: r2(quantile(coreMs, 0.95)), max: r2(Math.max(...coreMs)) },
    perSampleWithOverlayMs: { p50: r2(quantile(frameMs, 0.5)), p95: r2(quantile(frameMs, 0.95)), max: r2(Math.max(...frameMs)) },
    // CPU time is what the work costs without other processes competing for the cores.
    perSampleWithOverlayCpuMs: { p50: r2(quantile(frameCpuMs, 0.5)), p95: r2(quantile(frameCpuMs, 0.95)), max: r2(Math.max(...frameCpuMs)) },
    commitMs: r2(commitMs),
    commitCpuMs: r2(strokeCpuMs[0]!),
    changedPixels: strokeEntry.pixelsChanged,
    historyEntryBytes: strokeEntry.byteSize,
    changedRect: strokeEntry.rect,
  },
  undoStroke: { undoMs: r2(undoMs), undoCpuMs: r2(strokeCpuMs[1]!), overlayRedrawMs: r2(undoOverlayMs), overlayRedrawCpuMs: r2(strokeCpuMs[2]!), redoWithOverlayMs: r2(redoMs), restoredArea: undoneArea === startArea },
  operationsMedianMs: {
    fillHoles: fillHoles.medianMs,
    removeIslands: removeIslands.medianMs,
    keepLargestRegion: keepLargest.medianMs,
    growByOnePixel: grow.medianMs,
    smoothRadius5: smooth.medianMs,
  },
  operationsMedianCpuMs: {
    fillHoles: fillHoles.medianCpuMs,
    removeIslands: removeIslands.medianCpuMs,
    keepLargestRegion: keepLargest.medianCpuMs,
    growByOnePixel: grow.medianCpuMs,
    smoothRadius5: smooth.medianCpuMs,
  },
  operationsChangedPixels: {
    fillHoles: fillHoles.changedPixels,
    removeIslands: removeIslands.changedPixels,
    keepLargestRegion: keepLargest.changedPixels,
  },
  measure: {
    ms: r2(measureMs),
    cpuMs: r2(measureCpuMs[0]!),
    areaPx: measurements.areaPx,
    perimeterPx: r2(measurements.perimeterPx),
    longestDiameterPx: r2(measurements.longestDiameterPx),
    regionCount: measurements.regionCount,
  },
  memory: {
    rasterMB: mb(rasterBytes),
    historyBaselineMB: mb(history.byteSize - history.entriesByteSize),
    historyEntriesKB: Math.round(history.entriesByteSize / 1024),
    historyEntries: history.undoEntries.map((e) => ({ label: e.label, bytes: e.byteSize, pixelsChanged: e.pixelsChanged })),
    totalMB: mb(document.byteSize),
  },
};

const outDir = path.join(root, 'bench', 'results');
await mkdir(outDir, { recursive: true });
const outFile = path.join(outDir, 'editor-core.json');
await writeFile(outFile, `${JSON.stringify(result, null, 2)}\n`);
const { brushStroke: b, undoStroke: u, operationsMedianMs: o, operationsMedianCpuMs: oc, memory: m } = result;
console.log(`load average ${result.machine.loadAverage1m} on ${result.machine.cores} cores; wall ms (CPU ms)`);
console.log(`brush sample with overlay p50/p95: ${b.perSampleWithOverlayMs.p50}/${b.perSampleWithOverlayMs.p95} (${b.perSampleWithOverlayCpuMs.p50}/${b.perSampleWithOverlayCpuMs.p95}), commit ${b.commitMs} (${b.commitCpuMs})`);
console.log(`undo stroke: ${u.undoMs} (${u.undoCpuMs}) + whole dirty-rectangle overlay ${u.overlayRedrawMs} (${u.overlayRedrawCpuMs}); fill holes ${o.fillHoles} (${oc.fillHoles}); remove islands ${o.removeIslands} (${oc.removeIslands}); smooth r5 ${o.smoothRadius5} (${oc.smoothRadius5})`);
console.log(`memory: mask ${m.rasterMB} MB + history ${m.historyBaselineMB} MB baseline + ${m.historyEntriesKB} KB entries = ${m.totalMB} MB`);
console.log(`wrote ${path.relative(root, outFile)}`);
