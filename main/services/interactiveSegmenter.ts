/**
 * The interactive model behind the Box and Click tools (refineRegion), the CLI's `refine`,
 * `segment --boxes` and `evaluate-clicks`, and `npm run bench:interactive`: one warm
 * onnxruntime session of the shipped interactive SCSONet (card kind "interactive"), opened with
 * the provider machinery the automatic model uses (checksum, provider fallback, signature
 * check, warm-up), fed exactly as its card says: the crop scaled min-max like the automatic
 * model's input (imaging.ts toModelInput), click discs and the previous mask from
 * preload/interactive.ts. Its runs wait in the automatic Segmenter's InferenceQueue at
 * interactive priority, so pre-annotation in the background never delays a click.
 *
 * The interactive model is optional: without one (or with a broken one) the app and the CLI
 * run as before and refineRegion answers with the reason.
 */
import * as ort from 'onnxruntime-node';
import {
  clicksToGrid,
  encodeClicks,
  pasteProbability,
  probabilityBytes,
  samplePrev,
  type GridClick,
  type ImageClick,
  type MaskPlane,
  type RefineRegionResult,
  type Region,
} from '../../preload/api.js';
import { ModelLoadError, ModelNotFoundError } from './errors.js';
import { chooseProviders, createWithFallback, currentHostFacts, type HostFacts, type ProviderName, type ProviderReport } from './executionProvider.js';
import { cropForModel, toModelInput, type FullImage } from './imaging.js';
import type { InferenceQueue } from './inferenceQueue.js';
import { executorOptions } from './modelSession.js';
import { verifyChecksum, type ModelCatalog, type ModelEntry } from './modelRegistry.js';

type Dim = number | string;

/** The newest intact interactive model of a catalog; ModelNotFoundError says why there is none. */
export function pickInteractiveModel(catalog: ModelCatalog): ModelEntry {
  const found = catalog.interactive ?? [];
  if (found.length === 0) {
    const why = (catalog.interactiveProblems ?? []).map((p) => p.message).join('; ');
    throw new ModelNotFoundError(
      why
        ? `the interactive model cannot be used (${why}); the Box and Click tools are unavailable, automatic segmentation works as before`
        : 'no interactive model is installed (a card with kind "interactive" beside its .onnx in the models folder); the Box and Click tools are unavailable, automatic segmentation works as before',
    );
  }
  return found.reduce((best, m) => (compareVersions(m.card.version, best.card.version) > 0 ? m : best));
}

function compareVersions(a: string, b: string): number {
  const pa = a.split(/[-+]/)[0].split('.').map(Number);
  const pb = b.split(/[-+]/)[0].split('.').map(Number);
  for (let i = 0; i < 3; i++) if (pa[i] !== pb[i]) return pa[i] - pb[i];
  return 0;
}

/** Options for opening the interactive model. */
export interface InteractiveModelOptions {
  threads?: number;
  preferredProvider?: ProviderName;
  host?: HostFacts;
}

/** The three input tensors of one interactive step (NCHW float32, batch 1). */
export interface InteractiveInputs {
  image: Float32Array;
  clicks: Float32Array;
  prev: Float32Array;
}

/**
 * Encodes one step as the card says: the crop (grid x grid RGB bytes) scaled min-max over all
 * pixels and channels, the clicks as discs of the card's radius, the previous mask as 0/1
 * floats (zeros without one). The same code serves refineRegion, the CLI and the benchmark.
 */
export function encodeInteractiveInputs(rgb: Uint8Array, clicks: readonly GridClick[], prev: Uint8Array | null, grid: number, clickRadius: number): InteractiveInputs {
  const plane = grid * grid;
  if (rgb.length !== plane * 3) throw new RangeError(`the crop has ${rgb.length} bytes; a ${grid}x${grid} RGB crop has ${plane * 3}`);
  if (prev && prev.length !== plane) throw new RangeError(`the previous mask has ${prev.length} values; the grid has ${plane}`);
  const prevPlane = new Float32Array(plane);
  if (prev) for (let i = 0; i < plane; i++) prevPlane[i] = prev[i] !== 0 ? 1 : 0;
  return { image: toModelInput(rgb, grid, grid), clicks: encodeClicks(clicks, clickRadius, grid), prev: prevPlane };
}

/** A loaded, checked, warmed-up interactive model. */
export class InteractiveModel {
  private queue: Promise<unknown> = Promise.resolve();

  private constructor(
    readonly entry: ModelEntry,
    private readonly session: ort.InferenceSession,
    readonly provider: ProviderReport,
  ) {}

  /** Verifies the checksum, starts a session (with CPU fallback), checks the three inputs and the output, warms up. */
  static async open(entry: ModelEntry, options: InteractiveModelOptions = {}): Promise<InteractiveModel> {
    if (!entry.card.interactive) throw new ModelLoadError(`${entry.card.file}: its card is not an interactive model's (no "interactive" section)`);
    await verifyChecksum(entry);
    const threads = options.threads ?? 1;
    const candidates = chooseProviders(options.host ?? currentHostFacts(), options.preferredProvider);
    let created: { session: ort.InferenceSession; report: ProviderReport };
    try {
      created = await createWithFallback(candidates, (provider) =>
        ort.InferenceSession.create(entry.onnxPath, {
          executionProviders: [provider],
          graphOptimizationLevel: 'extended',
          ...executorOptions(provider, threads),
          extra: { session: { intra_op: { allow_spinning: '0' }, inter_op: { allow_spinning: '0' } } },
        }),
      );
    } catch (error) {
      throw new ModelLoadError(`${entry.card.file} could not be loaded by onnxruntime: ${(error as Error).message}`, { cause: error });
    }
    const model = new InteractiveModel(entry, created.session, created.report);
    try {
      model.checkSignature();
      const g = model.grid;
      const out = await model.run({ image: new Float32Array(3 * g * g), clicks: new Float32Array(2 * g * g), prev: new Float32Array(g * g) });
      if (out.length !== g * g) throw new ModelLoadError(`${entry.card.file} produced ${out.length} values, its card expects 1x${g}x${g}`);
    } catch (error) {
      await created.session.release().catch(() => undefined);
      if (error instanceof ModelLoadError) throw error;
      throw new ModelLoadError(`${entry.card.file} failed on a test input: ${(error as Error).message.split('\n')[0]}`, { cause: error });
    }
    return model;
  }

  /** Side of the square grid the model takes and returns. */
  get grid(): number {
    return this.entry.card.interactive!.grid;
  }

  /** Disc radius of a click, in grid pixels. */
  get clickRadius(): number {
    return this.entry.card.interactive!.click_radius;
  }

  get threshold(): number {
    return this.entry.card.threshold;
  }

  /** Most clicks one step carries. */
  get maxClicks(): number {
    return this.entry.card.interactive!.max_clicks;
  }

  private names(): { image: string; clicks: string; prev: string; output: string } {
    const [image, clicks, prev] = this.entry.card.interactive!.inputs;
    return { image, clicks, prev, output: this.entry.card.output.name };
  }

  private checkSignature(): void {
    const file = this.entry.card.file;
    const g = this.grid;
    const names = this.names();
    const expect: [string, readonly ort.InferenceSession.ValueMetadata[], number][] = [
      [names.image, this.session.inputMetadata, 3],
      [names.clicks, this.session.inputMetadata, 2],
      [names.prev, this.session.inputMetadata, 1],
      [names.output, this.session.outputMetadata, 1],
    ];
    for (const [name, meta, channels] of expect) {
      const isInput = meta === this.session.inputMetadata;
      const m = meta.find((x) => x.name === name);
      if (!m) {
        const have = isInput ? this.session.inputNames : this.session.outputNames;
        throw new ModelLoadError(`${file} has no ${isInput ? 'input' : 'output'} named "${name}" (it has: ${have.join(', ')}); it is not the interactive model its card describes`);
      }
      if (!m.isTensor) continue;
      const shape = m.shape as readonly Dim[];
      const want = [channels, g, g];
      if (shape.length !== 4 || want.some((d, i) => typeof shape[i + 1] === 'number' && shape[i + 1] !== d)) {
        throw new ModelLoadError(`${file} ${isInput ? 'input' : 'output'} "${name}" has shape [${shape.join(', ')}], the interactive card expects [1, ${want.join(', ')}]`);
      }
      if (m.type !== 'float32') throw new ModelLoadError(`${file} "${name}" is ${m.type}, the card expects float32`);
    }
    const extra = this.session.inputNames.filter((n) => ![names.image, names.clicks, names.prev].includes(n));
    if (extra.length > 0) throw new ModelLoadError(`${file} takes inputs its card does not name: ${extra.join(', ')}`);
  }

  /** One step: the sigmoid probability over the grid. Runs are queued one after another. */
  run(inputs: InteractiveInputs): Promise<Float32Array> {
    const g = this.grid;
    const names = this.names();
    const task = async (): Promise<Float32Array> => {
      const result = await this.session.run({
        [names.image]: new ort.Tensor('float32', inputs.image, [1, 3, g, g]),
        [names.clicks]: new ort.Tensor('float32', inputs.clicks, [1, 2, g, g]),
        [names.prev]: new ort.Tensor('float32', inputs.prev, [1, 1, g, g]),
      });
      const output = result[names.output];
      const dims = output.dims;
      if (dims.length !== 4 || dims[0] !== 1 || dims[1] !== 1 || dims[2] !== g || dims[3] !== g) {
        throw new ModelLoadError(`${this.entry.card.file} returned shape [${dims.join(', ')}], its card expects [1, 1, ${g}, ${g}]`);
      }
      return output.data as Float32Array;
    };
    const run = this.queue.then(task, task);
    this.queue = run.catch(() => undefined);
    return run;
  }

  /** Frees the native session. */
  async release(): Promise<void> {
    await this.session.release();
  }
}

/** One step as refineRegion takes it. */
export interface RefineRequest {
  image: Uint8Array;
  clicks: readonly GridClick[];
  prev: Uint8Array | null;
}

/** refineRegion over a warm interactive model, waiting in the inference queue as an interactive request. */
export class InteractiveSegmenter {
  constructor(
    readonly model: InteractiveModel,
    private readonly queue: InferenceQueue,
  ) {}

  /** Probability over the grid as float32 (the CLI and the benchmark) and the model's own time. */
  async refineFloat(request: RefineRequest): Promise<{ prob: Float32Array; inferMs: number }> {
    const { model } = this;
    if (request.clicks.length > model.maxClicks) {
      throw new RangeError(`${request.clicks.length} clicks; the interactive model takes at most ${model.maxClicks}`);
    }
    const inputs = encodeInteractiveInputs(request.image, request.clicks, request.prev, model.grid, model.clickRadius);
    return this.queue.run('interactive', async () => {
      const t0 = performance.now();
      const prob = await model.run(inputs);
      return { prob, inferMs: performance.now() - t0 };
    });
  }

  /** The contract's answer: probability bytes, the card's threshold, the model, the model's time. */
  async refine(request: RefineRequest): Promise<RefineRegionResult> {
    const { prob, inferMs } = await this.refineFloat(request);
    const card = this.model.entry.card;
    return { prob: probabilityBytes(prob), threshold: card.threshold, model: { name: card.name, version: card.version }, inferMs };
  }
}

/** One interactive step on a full-resolution image, and what it cost. */
export interface FullStep {
  /** The new mask (a copy: the previous one is left as it was). */
  mask: MaskPlane;
  prob: Float32Array;
  /** The model itself. */
  inferMs: number;
  /** Crop and resize, encoding, model and paste back: the whole Node path of a click. */
  totalMs: number;
}

/**
 * One step of the Box and Click tools on a decoded image, as the CLI and the benchmark run it:
 * the region cropped and resized with sharp (cropForModel), the clicks mapped onto the grid,
 * the previous mask sampled onto it, the model, and the probability pasted back into a copy of
 * the mask (only the region changes).
 */
export async function refineFullImage(
  segmenter: InteractiveSegmenter,
  image: FullImage,
  region: Region,
  clicks: readonly ImageClick[],
  previous: MaskPlane | null,
): Promise<FullStep> {
  const t0 = performance.now();
  const grid = segmenter.model.grid;
  const crop = await cropForModel(image, region, grid);
  const prev = previous ? samplePrev(previous, region, grid) : null;
  const { prob, inferMs } = await segmenter.refineFloat({ image: crop, clicks: clicksToGrid(clicks, region, grid), prev });
  const mask: MaskPlane = { width: image.width, height: image.height, data: previous ? previous.data.slice() : new Uint8Array(image.width * image.height) };
  pasteProbability(prob, region, mask, segmenter.model.threshold, 1, grid);
  return { mask, prob, inferMs, totalMs: performance.now() - t0 };
}
