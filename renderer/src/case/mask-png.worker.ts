/** Encodes a mask PNG off the main thread: deflating 24 MP takes long enough to drop frames. */
import { encodeMaskPng } from '../exchange/png.ts';

interface Request {
  readonly id: number;
  readonly width: number;
  readonly height: number;
  readonly data: Uint8Array;
}

const scope = self as unknown as {
  onmessage: ((event: MessageEvent<Request>) => void) | null;
  postMessage(message: unknown, transfer: Transferable[]): void;
};

scope.onmessage = (event) => {
  const { id, width, height, data } = event.data;
  try {
    const png = encodeMaskPng({ width, height, data });
    scope.postMessage({ id, png, data }, [png.buffer, data.buffer]);
  } catch (error) {
    scope.postMessage({ id, error: error instanceof Error ? error.message : String(error), data }, [data.buffer]);
  }
};
