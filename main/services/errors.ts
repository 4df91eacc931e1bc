/**
 * Errors a user can cause: each carries a message that can be shown as-is in the UI or the
 * CLI (no stack trace needed to understand it) and a stable `code` for the contract.
 */
/** The sentence to show for something thrown: an Error's message, anything else as text. */
export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

export class LesionDeskError extends Error {
  /** Stable machine-readable code, e.g. `IMAGE_DECODE`. */
  readonly code: string;
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
}

/** The file is not an image we can read: empty, corrupt, truncated, unsupported format. */
export class ImageDecodeError extends LesionDeskError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('IMAGE_DECODE', message, options);
  }
}

/** The image header announces more pixels than the configured limit (decompression-bomb guard). */
export class ImageTooLargeError extends LesionDeskError {
  constructor(message: string) {
    super('IMAGE_TOO_LARGE', message);
  }
}

/** The image decodes but is too small to hold a lesion (e.g. 1x1). */
export class ImageTooSmallError extends LesionDeskError {
  constructor(message: string) {
    super('IMAGE_TOO_SMALL', message);
  }
}

/** A model card is missing, unreadable or does not follow `lesiondesk-model-card/1`. */
export class ModelCardError extends LesionDeskError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('MODEL_CARD', message, options);
  }
}

/** The ONNX file is missing, does not match its card (sha256, names, shapes) or cannot be loaded. */
export class ModelLoadError extends LesionDeskError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('MODEL_LOAD', message, options);
  }
}

/** No model with the requested name/version/path is available. */
export class ModelNotFoundError extends LesionDeskError {
  constructor(message: string) {
    super('MODEL_NOT_FOUND', message);
  }
}

/** A model-store operation that cannot be done (unknown version, deleting the active one, ...). */
export class ModelStoreError extends LesionDeskError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('MODEL_STORE', message, options);
  }
}

/** A fine-tuning job that cannot start or failed; the message says why and what to do. */
export class TrainingJobError extends LesionDeskError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('TRAINING_JOB', message, options);
  }
}
