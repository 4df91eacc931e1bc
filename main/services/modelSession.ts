/**
 * One warm onnxruntime session per model. Requests are queued so that concurrent callers
 * (the UI, the CLI's pipeline) never fight over the same intra-op threads.
 */
import * as ort from 'onnxruntime-node';
import { ModelLoadError } from './errors.js';
import {
  chooseProviders,
  createWithFallback,
  currentHostFacts,
  type HostFacts,
  type ProviderName,
  type ProviderReport,
} from './executionProvider.js';
import { verifyChecksum, type ModelEntry } from './modelRegistry.js';

/** Options for opening a model. */
export interface ModelSessionOptions {
  /**
   * CPU threads for one run (default 1). SCSONet's 500 nodes are too small to split: measured
   * here in separate processes, one thread ran in 6.0-7.6 ms, two as the parallel executor
   * (independent branches side by side) in 7.0-10.2 ms, two inside each node in 7.3-10.2 ms.
   * A second thread is better left to decoding the next image (the CLI) or to the UI.
   */
  threads?: number;
  /** Force a provider first (`cpu` disables acceleration). */
  preferredProvider?: ProviderName;
  /** Injected host facts (tests). */
  host?: HostFacts;
  /**
   * onnxruntime graph optimisation (default 'extended'). 'all' adds the NCHWc layout
   * transform, whose Reorder nodes cost more than they save on SCSONet's 8-64 channels:
   * 8.4 vs 9.7 ms median per image on one thread here.
   */
  graphOptimizationLevel?: 'basic' | 'extended' | 'all';
  /**
   * Let idle intra-op threads spin (default false). Spinning wins a little on an idle machine
   * but doubled latency (13 -> 25-35 ms with 2 threads) while another process used the CPU,
   * which on a desktop is the normal case (the UI, a fine-tuning job).
   */
  spinning?: boolean;
}

type Dim = number | string;

/** One thread: the sequential executor; more: the parallel one, one thread per node. */
export function threadOptions(threads: number): Pick<ort.InferenceSession.SessionOptions, 'executionMode' | 'intraOpNumThreads' | 'interOpNumThreads'> {
  return threads > 1
    ? { executionMode: 'parallel', interOpNumThreads: threads, intraOpNumThreads: 1 }
    : { executionMode: 'sequential', interOpNumThreads: 1, intraOpNumThreads: 1 };
}

/**
 * Executor settings per provider. The CPU gets threadOptions. DirectML refuses a session with
 * the parallel executor or memory patterns ("must be disabled or an error will be returned",
 * onnxruntime's DirectML docs); GPU providers run the graph sequentially, with the threads for
 * any node left on the CPU.
 */
export function executorOptions(provider: ProviderName, threads: number): ort.InferenceSession.SessionOptions {
  if (provider === 'cpu') return threadOptions(threads);
  const sequential = { executionMode: 'sequential', interOpNumThreads: 1, intraOpNumThreads: threads } as const;
  return provider === 'dml' ? { ...sequential, enableMemPattern: false } : sequential;
}

function providerOption(name: ProviderName): ort.InferenceSession.ExecutionProviderConfig {
  return name;
}

/** A loaded, checked, warmed-up model. */
export class ModelSession {
  private queue: Promise<unknown> = Promise.resolve();

  private constructor(
    readonly entry: ModelEntry,
    private readonly session: ort.InferenceSession,
    readonly provider: ProviderReport,
    readonly threads: number,
  ) {
    const meta = session.inputMetadata.find((m) => m.name === entry.card.input.name);
    const first = meta?.isTensor ? (meta.shape as readonly Dim[])[0] : undefined;
    this.fixedBatch = typeof first === 'number' ? first : null;
  }

  /** Verifies the checksum, starts a session (with CPU fallback), checks names and shapes, warms up. */
  static async open(entry: ModelEntry, options: ModelSessionOptions = {}): Promise<ModelSession> {
    await verifyChecksum(entry);
    const threads = options.threads ?? 1;
    const spin = options.spinning ? '1' : '0';
    const candidates = chooseProviders(options.host ?? currentHostFacts(), options.preferredProvider);
    let created: { session: ort.InferenceSession; report: ProviderReport };
    try {
      created = await createWithFallback(candidates, (provider) =>
        ort.InferenceSession.create(entry.onnxPath, {
          executionProviders: [providerOption(provider)],
          graphOptimizationLevel: options.graphOptimizationLevel ?? 'extended',
          ...executorOptions(provider, threads),
          extra: { session: { intra_op: { allow_spinning: spin }, inter_op: { allow_spinning: spin } } },
        }),
      );
    } catch (error) {
      throw new ModelLoadError(`${entry.card.file} could not be loaded by onnxruntime: ${(error as Error).message}`, { cause: error });
    }
    const model = new ModelSession(entry, created.session, created.report, threads);
    try {
      model.checkSignature();
      await model.warmUp();
    } catch (error) {
      await created.session.release().catch(() => undefined);
      throw error;
    }
    return model;
  }

  /** Model input size (width, height) from the card. */
  get inputSize(): { width: number; height: number } {
    const [, h, w] = this.entry.card.input.shape;
    return { width: w, height: h };
  }

  /** Model output size (width, height) from the card. */
  get outputSize(): { width: number; height: number } {
    const [, h, w] = this.entry.card.output.shape;
    return { width: w, height: h };
  }

  private checkSignature(): void {
    const { card } = this.entry;
    const file = card.file;
    if (!this.session.inputNames.includes(card.input.name)) {
      throw new ModelLoadError(`${file} has no input named "${card.input.name}" (its inputs: ${this.session.inputNames.join(', ')}); the card does not describe this model`);
    }
    if (!this.session.outputNames.includes(card.output.name)) {
      throw new ModelLoadError(`${file} has no output named "${card.output.name}" (its outputs: ${this.session.outputNames.join(', ')}); the card does not describe this model`);
    }
    const check = (what: string, meta: readonly ort.InferenceSession.ValueMetadata[], name: string, expected: number[]): void => {
      const m = meta.find((x) => x.name === name);
      if (!m || !m.isTensor) return;
      const shape = m.shape as readonly Dim[];
      const mismatch =
        shape.length !== expected.length + 1 ||
        expected.some((d, i) => typeof shape[i + 1] === 'number' && shape[i + 1] !== d);
      if (mismatch) {
        throw new ModelLoadError(
          `${file} ${what} "${name}" has shape [${shape.join(', ')}], but its card expects [N, ${expected.join(', ')}]`,
        );
      }
      if (m.type !== 'float32') throw new ModelLoadError(`${file} ${what} "${name}" is ${m.type}, the card expects float32`);
    };
    check('input', this.session.inputMetadata, card.input.name, [...card.input.shape]);
    check('output', this.session.outputMetadata, card.output.name, [...card.output.shape]);
  }

  /** Runs one zero batch; confirms the real output shape (symbolic dims are only known now). */
  private async warmUp(): Promise<void> {
    const { width, height } = this.inputSize;
    let out: Float32Array;
    try {
      out = await this.runBatch(new Float32Array(3 * width * height), 1);
    } catch (error) {
      if (error instanceof ModelLoadError) throw error;
      throw new ModelLoadError(`${this.entry.card.file} failed on a test input: ${(error as Error).message.split('\n')[0]}`, { cause: error });
    }
    const { width: ow, height: oh } = this.outputSize;
    if (out.length !== ow * oh) {
      throw new ModelLoadError(`${this.entry.card.file} produced ${out.length} values per image, the card expects 1x${oh}x${ow}`);
    }
  }

  /**
   * The model's batch size when its graph fixes one (LesionDesk's exports take one image per
   * run), else null (any batch). Read once: the graph does not change.
   */
  readonly fixedBatch: number | null;

  /**
   * Runs `n` images (NCHW float32) through the model, queued behind earlier requests; in
   * runs of the graph's fixed batch size when it has one.
   */
  runBatch(input: Float32Array, n: number): Promise<Float32Array> {
    const { width, height } = this.inputSize;
    const { width: ow, height: oh } = this.outputSize;
    const { card } = this.entry;
    const per = this.fixedBatch ?? n;
    if (n % per !== 0) return Promise.reject(new ModelLoadError(`${card.file} takes exactly ${per} image(s) per run; ${n} cannot be split into such runs`));
    const runOnce = async (start: number): Promise<Float32Array> => {
      const slice = input.subarray(start * 3 * width * height, (start + per) * 3 * width * height);
      const result = await this.session.run({ [card.input.name]: new ort.Tensor('float32', slice, [per, 3, height, width]) });
      const output = result[card.output.name];
      const dims = output.dims;
      if (dims.length !== 4 || dims[0] !== per || dims[1] !== 1 || dims[2] !== oh || dims[3] !== ow) {
        throw new ModelLoadError(`${card.file} returned shape [${dims.join(', ')}], its card expects [${per}, 1, ${oh}, ${ow}]`);
      }
      return output.data as Float32Array;
    };
    const task = async (): Promise<Float32Array> => {
      if (per === n) return runOnce(0);
      const all = new Float32Array(n * oh * ow);
      for (let start = 0; start < n; start += per) all.set(await runOnce(start), start * oh * ow);
      return all;
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
