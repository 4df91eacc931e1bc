/** Runs mask measurements and outline tracing off the main thread (see mask-analysis.ts). */
import { MaskRaster, measureMaskSteps, traceOutlines, type MaskMeasurements, type Point, type RgbaImage } from '../editor/index.ts';
import { decodeRgba } from './decode-rgba.ts';
import type { WorkerReply } from './worker-requests.ts';
import { errorMessage } from '../lib/format.ts';

/** The mask a request carries, with its id (added by WorkerRequests). */
interface Lent {
  readonly id: number;
  readonly mask: Uint8Array<ArrayBuffer>;
}

export type AnalysisRequest =
  | { readonly kind: 'image'; readonly image: Blob | null }
  /** The measurement with this id is stale (an edit came): it stops at its next step. */
  | { readonly kind: 'cancel'; readonly id: number }
  | (Lent & { readonly kind: 'measure'; readonly width: number; readonly height: number; readonly pixelsPerMm: number | null })
  | (Lent & { readonly kind: 'outline'; readonly width: number; readonly height: number });

/** Every reply hands the request's mask copy back (see WorkerRequests). */
export interface AnalysisReply extends WorkerReply {
  readonly measurements?: MaskMeasurements;
  readonly outlines?: Point[][];
}

const scope = self as unknown as {
  onmessage: ((event: MessageEvent<AnalysisRequest>) => void) | null;
  postMessage(message: AnalysisReply, transfer: Transferable[]): void;
};

// Requests are handled in order, so a measurement waits for the decode of the image before it.
let image: Promise<RgbaImage | null> = Promise.resolve(null);
let queue: Promise<void> = Promise.resolve();
// Ids of the requests not answered yet, and of those among them that were cancelled (a cancel
// that crosses its reply finds nothing to cancel).
const unanswered = new Set<number>();
const cancelled = new Set<number>();

/** Lets the messages that arrived meanwhile (a cancel) be handled before the next step. */
const betweenSteps = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 0));

scope.onmessage = (event) => {
  const request = event.data;
  if (request.kind === 'image') {
    // An image that cannot be decoded here only costs the colours, never the other numbers.
    image = request.image ? decodeRgba(request.image).catch(() => null) : Promise.resolve(null);
    return;
  }
  if (request.kind === 'cancel') {
    if (unanswered.has(request.id)) cancelled.add(request.id);
    return;
  }
  unanswered.add(request.id);
  queue = queue.then(() => handle(request));
};

async function handle(request: Exclude<AnalysisRequest, { kind: 'image' | 'cancel' }>): Promise<void> {
  const { id, mask } = request;
  try {
    const raster = new MaskRaster(request.width, request.height, mask);
    if (request.kind === 'measure') {
      const pixels = await image;
      const usable = pixels && pixels.width === request.width && pixels.height === request.height ? pixels : null;
      const steps = measureMaskSteps(raster, { pixelsPerMm: request.pixelsPerMm, image: usable });
      for (;;) {
        if (cancelled.has(id)) throw new Error('The measurement was cancelled: the mask changed.');
        const step = steps.next();
        if (step.done) {
          scope.postMessage({ id, measurements: step.value, mask }, [mask.buffer]);
          break;
        }
        await betweenSteps();
      }
    } else {
      scope.postMessage({ id, outlines: traceOutlines(raster), mask }, [mask.buffer]);
    }
  } catch (error) {
    scope.postMessage({ id, error: errorMessage(error), mask }, [mask.buffer]);
  } finally {
    unanswered.delete(id);
    cancelled.delete(id);
  }
}
