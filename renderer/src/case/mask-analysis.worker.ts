/** Runs mask measurements and outline tracing off the main thread (see mask-analysis.ts). */
import { MaskRaster, measureMask, traceOutlines, type MaskMeasurements, type Point, type RgbaImage } from '../editor/index.ts';
import { decodeRgba } from './decode-rgba.ts';

export type AnalysisRequest =
  | { readonly kind: 'image'; readonly id: 0; readonly image: Blob | null }
  | { readonly kind: 'measure'; readonly id: number; readonly width: number; readonly height: number; readonly mask: Uint8Array<ArrayBuffer>; readonly pixelsPerMm: number | null }
  | { readonly kind: 'outline'; readonly id: number; readonly width: number; readonly height: number; readonly mask: Uint8Array<ArrayBuffer> };

/** Every reply hands the request's mask copy back (`mask`), for the next request to reuse. */
export type AnalysisReply = { readonly mask: Uint8Array<ArrayBuffer> } & (
  | { readonly kind: 'measurements'; readonly id: number; readonly measurements: MaskMeasurements }
  | { readonly kind: 'outlines'; readonly id: number; readonly outlines: Point[][] }
  | { readonly kind: 'error'; readonly id: number; readonly message: string }
);

const scope = self as unknown as {
  onmessage: ((event: MessageEvent<AnalysisRequest>) => void) | null;
  postMessage(message: AnalysisReply, transfer: Transferable[]): void;
};

// Requests are handled in order, so a measurement waits for the decode of the image before it.
let image: Promise<RgbaImage | null> = Promise.resolve(null);
let queue: Promise<void> = Promise.resolve();

scope.onmessage = (event) => {
  const request = event.data;
  if (request.kind === 'image') {
    // An image that cannot be decoded here only costs the colours, never the other numbers.
    image = request.image ? decodeRgba(request.image).catch(() => null) : Promise.resolve(null);
    return;
  }
  queue = queue.then(() => handle(request));
};

async function handle(request: Exclude<AnalysisRequest, { kind: 'image' }>): Promise<void> {
  const { mask } = request;
  try {
    if (request.kind === 'measure') {
      const raster = new MaskRaster(request.width, request.height, request.mask);
      const pixels = await image;
      const usable = pixels && pixels.width === request.width && pixels.height === request.height ? pixels : null;
      const measurements = measureMask(raster, { pixelsPerMm: request.pixelsPerMm, image: usable });
      scope.postMessage({ kind: 'measurements', id: request.id, measurements, mask }, [mask.buffer]);
    } else {
      const outlines = traceOutlines(new MaskRaster(request.width, request.height, mask));
      scope.postMessage({ kind: 'outlines', id: request.id, outlines, mask }, [mask.buffer]);
    }
  } catch (error) {
    scope.postMessage({ kind: 'error', id: request.id, message: error instanceof Error ? error.message : String(error), mask }, [mask.buffer]);
  }
}
