/**
 * The whole path from an image to a result: decode (sharp) -> card preprocessing -> model
 * (optionally with flip test-time augmentation: original, h-flip, v-flip, in the runs the
 * model's batch allows) -> full-resolution mask,
 * outline, area, uncertainty.
 */
import { decodeForModel, DEFAULT_LIMITS, toModelInput, type DecodeLimits, type DecodedImage, type ImageSource } from './imaging.js';
import { traceOutline, uncertaintyScore, upsampleThreshold, type MaskRuns } from './maskGeometry.js';
import { encodeMaskPng } from './maskPng.js';
import type { ModelSession } from './modelSession.js';
import { InferenceQueue, type InferencePriority } from './inferenceQueue.js';

/** Options of one segmentation request. */
export interface SegmentOptions {
  /** Probability threshold; default: the card's. */
  threshold?: number;
  /** Flip test-time augmentation (original + h-flip + v-flip, averaged). */
  tta?: boolean;
  /** Skip PNG encoding of the mask (the CLI writes it itself). */
  encodePng?: boolean;
  /**
   * `interactive` (default): a person waits for it; `background`: pre-annotation, re-prediction.
   * Interactive requests run before waiting background ones (InferenceQueue).
   */
  priority?: InferencePriority;
}

/** Milliseconds spent per stage. */
export interface SegmentTimings {
  decodeMs: number;
  inferMs: number;
  postMs: number;
  totalMs: number;
}

/** Everything a segmentation produces. */
export interface Segmentation {
  name: string;
  width: number;
  height: number;
  /** Full-resolution mask as row runs (see runsToMask for bytes). */
  mask: MaskRuns;
  /** The mask as a 1-channel 8-bit PNG (empty when `encodePng` is false). */
  maskPng: Uint8Array;
  probWidth: number;
  probHeight: number;
  prob: Float32Array;
  outline: number[][];
  lesionAreaPx: number;
  uncertainty: number;
  threshold: number;
  timings: SegmentTimings;
  model: { name: string; version: string };
  provider: string;
}

function flipInto(src: Float32Array, dst: Float32Array, offset: number, w: number, h: number, channels: number, horizontal: boolean): void {
  for (let c = 0; c < channels; c++) {
    const base = c * w * h;
    for (let y = 0; y < h; y++) {
      const sy = horizontal ? y : h - 1 - y;
      const srow = base + sy * w;
      const drow = offset + base + y * w;
      if (horizontal) {
        for (let x = 0; x < w; x++) dst[drow + x] = src[srow + w - 1 - x];
      } else {
        dst.set(src.subarray(srow, srow + w), drow);
      }
    }
  }
}

/** Runs a model on images; stateless apart from the warm session it wraps. */
export class Segmenter {
  private current: ModelSession;
  /** Requests in flight per session: a replaced session is released when its count is 0. */
  private readonly inFlight = new Map<ModelSession, number>();
  private readonly retired = new Map<ModelSession, () => void>();
  /** Whole requests (decode, model, mask) wait here by priority; the model session queues its runs. */
  readonly queue = new InferenceQueue({ quietMs: 1000 });

  constructor(
    session: ModelSession,
    private readonly limits: DecodeLimits = DEFAULT_LIMITS,
  ) {
    this.current = session;
  }

  /** The session new requests use. */
  get session(): ModelSession {
    return this.current;
  }

  /**
   * Switches to another model without a restart: new requests use `next` at once; requests
   * already in flight finish on the old session, which is released after the last one.
   * Resolves when the old session has been released.
   */
  swap(next: ModelSession): Promise<void> {
    const old = this.current;
    if (old === next) return Promise.resolve();
    this.current = next;
    return new Promise<void>((resolve) => {
      this.retired.set(old, resolve);
      if (!this.inFlight.get(old)) this.releaseRetired(old);
    });
  }

  private releaseRetired(session: ModelSession): void {
    const done = this.retired.get(session);
    if (!done) return;
    this.retired.delete(session);
    void session.release().catch(() => undefined).then(done);
  }

  /** Runs `task` on the current session, keeping that session alive until it is done. */
  private async withSession<T>(task: (session: ModelSession) => Promise<T>): Promise<T> {
    const session = this.current;
    this.inFlight.set(session, (this.inFlight.get(session) ?? 0) + 1);
    try {
      return await task(session);
    } finally {
      const left = (this.inFlight.get(session) ?? 1) - 1;
      if (left === 0) {
        this.inFlight.delete(session);
        this.releaseRetired(session);
      } else {
        this.inFlight.set(session, left);
      }
    }
  }

  /** Decodes an image to model size (stage 1, may run ahead of inference). */
  decode(source: ImageSource, session: ModelSession = this.current): Promise<DecodedImage> {
    const { width, height } = session.inputSize;
    return decodeForModel(source, width, height, this.limits);
  }

  /** Probabilities at model output size for a decoded image. */
  async predict(decoded: DecodedImage, tta: boolean, session: ModelSession = this.current): Promise<Float32Array> {
    if (!tta) {
      const { width, height } = session.inputSize;
      return session.runBatch(toModelInput(decoded.rgb, width, height), 1);
    }
    const [original, hflip, vflip] = await this.predictViews(decoded, session);
    const mean = new Float32Array(original.length);
    for (let i = 0; i < mean.length; i++) mean[i] = (original[i] + hflip[i] + vflip[i]) / 3;
    return mean;
  }

  /**
   * The three flip views of test-time augmentation (original, h-flip, v-flip), each flipped
   * back to the original orientation, in one batch; `predict` averages them. Kept separate so
   * the uncertainty benchmark can score their disagreement.
   */
  async predictViews(decoded: DecodedImage, session: ModelSession = this.current): Promise<[Float32Array, Float32Array, Float32Array]> {
    const { width, height } = session.inputSize;
    const input = toModelInput(decoded.rgb, width, height);
    const size = 3 * width * height;
    const batch = new Float32Array(size * 3);
    batch.set(input, 0);
    flipInto(input, batch, size, width, height, 3, true);
    flipInto(input, batch, 2 * size, width, height, 3, false);
    const out = await session.runBatch(batch, 3);
    const { width: ow, height: oh } = session.outputSize;
    const plane = ow * oh;
    const hflip = new Float32Array(plane);
    const vflip = new Float32Array(plane);
    flipInto(out.subarray(plane, 2 * plane), hflip, 0, ow, oh, 1, true);
    flipInto(out.subarray(2 * plane, 3 * plane), vflip, 0, ow, oh, 1, false);
    return [out.slice(0, plane), hflip, vflip];
  }

  /** Full-resolution results from probabilities. */
  async finish(
    decoded: DecodedImage,
    prob: Float32Array,
    options: SegmentOptions,
    timings: { decodeMs: number; inferMs: number; start: number },
    session: ModelSession = this.current,
  ): Promise<Segmentation> {
    const t0 = performance.now();
    const card = session.entry.card;
    const threshold = options.threshold ?? card.threshold;
    const { width: pw, height: ph } = session.outputSize;
    const mask = upsampleThreshold(prob, pw, ph, decoded.width, decoded.height, threshold);
    const outline = traceOutline(prob, pw, ph, decoded.width, decoded.height, threshold);
    const maskPng = options.encodePng === false ? new Uint8Array(0) : await encodeMaskPng(mask);
    const end = performance.now();
    return {
      name: decoded.name,
      width: decoded.width,
      height: decoded.height,
      mask,
      maskPng,
      probWidth: pw,
      probHeight: ph,
      prob,
      outline,
      lesionAreaPx: mask.areaPx,
      uncertainty: uncertaintyScore(prob),
      threshold,
      timings: {
        decodeMs: timings.decodeMs,
        inferMs: timings.inferMs,
        postMs: end - t0,
        totalMs: end - timings.start,
      },
      model: { name: card.name, version: card.version },
      provider: session.provider.provider,
    };
  }

  /**
   * Segments one image end to end, after the requests its priority lets go first. The session
   * is chosen when it starts, so a request that waited through a model switch runs the new one.
   */
  segment(source: ImageSource, options: SegmentOptions = {}): Promise<Segmentation> {
    return this.queue.run(options.priority ?? 'interactive', () => this.withSession(async (session) => {
      const start = performance.now();
      const decoded = await this.decode(source, session);
      const t1 = performance.now();
      const prob = await this.predict(decoded, options.tta ?? false, session);
      const t2 = performance.now();
      return this.finish(decoded, prob, options, { decodeMs: t1 - start, inferMs: t2 - t1, start }, session);
    }));
  }
}

