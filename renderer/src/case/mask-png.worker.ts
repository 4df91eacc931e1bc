/** Encodes a mask PNG off the main thread: deflating 24 MP takes long enough to drop frames. */
import { encodeMaskPng } from '../exchange/png.ts';
import type { WorkerReply } from './worker-requests.ts';
import { errorMessage } from '../lib/format.ts';

interface Request {
  readonly id: number;
  readonly width: number;
  readonly height: number;
  readonly mask: Uint8Array<ArrayBuffer>;
}

/** The PNG, and the mask copy handed back (see WorkerRequests). */
export interface PngReply extends WorkerReply {
  readonly png: Uint8Array<ArrayBuffer>;
}

const scope = self as unknown as {
  onmessage: ((event: MessageEvent<Request>) => void) | null;
  postMessage(message: PngReply | WorkerReply, transfer: Transferable[]): void;
};

scope.onmessage = (event) => {
  const { id, width, height, mask } = event.data;
  try {
    const png = encodeMaskPng({ width, height, data: mask });
    scope.postMessage({ id, png, mask }, [png.buffer, mask.buffer]);
  } catch (error) {
    scope.postMessage({ id, error: errorMessage(error), mask }, [mask.buffer]);
  }
};
