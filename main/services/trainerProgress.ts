/**
 * The trainer's progress lines (`python -m scsonet finetune|train` prints one JSON object per
 * line on stdout) and how the job runner reads them: the schema is defined once here, written to
 * models/trainer-progress.schema.json by `npm run schema`, and checked by the Python side before
 * it prints (models/scsonet/progress.py). The runner reads the stream through a bounded line
 * splitter, so no line, however long, can grow its memory. Plain Node.
 */
import { z } from 'zod';

const count = z.number().int().min(0);
const seconds = z.number().min(0);
const dice = z.number().min(0).max(1);
const epochs = z.number().int().min(1).max(100_000);
/** What a trainer may say in one error line (Python cuts longer messages before printing). */
export const maxErrorMessageChars = 4000;

/**
 * Longest progress line the runner reads, in bytes: the longest valid line (an error message of
 * maxErrorMessageChars, each escaped to 6 bytes at worst) fits with room to spare.
 */
export const maxProgressLineBytes = 64 * 1024;

/** One progress line: a discriminated union on `event` (docs: the module comment). */
export const TrainerProgressLine = z.discriminatedUnion('event', [
  z.strictObject({
    event: z.literal('start'),
    epochs,
    n_train: count,
    n_val: count,
    /** finetune: training cases drawn per epoch, replay pairs per epoch and anchor pairs; train: device and dataset layout. */
    n_per_epoch: count.optional(),
    n_replay: count.optional(),
    n_anchor: count.optional(),
    device: z.string().max(200).optional(),
    layout: z.string().max(200).optional(),
  }),
  z.strictObject({
    event: z.literal('phase'),
    phase: z.enum(['loading', 'baseline', 'training', 'scoring', 'exporting']),
    /** finetune, on 'training': the base's validation Dice (null without validation cases), the live chart's reference. */
    base_val_dsc: dice.nullable().optional(),
  }),
  z.strictObject({
    event: z.literal('epoch'),
    epoch: z.number().int().min(1).max(100_000),
    epochs,
    /** Null when the loss was not finite (training diverged); JSON has no NaN. */
    loss: z.number().min(0).nullable(),
    /** Null when there is no validation set (train without one); JSON has no NaN. */
    val_dsc: dice.nullable(),
    val_mean_dsc: dice.nullable().optional(),
    lr: z.number().min(0).optional(),
    epoch_s: seconds.optional(),
    seconds: seconds.optional(),
    eta_s: seconds,
  }),
  z.strictObject({
    event: z.literal('done'),
    /** finetune: the new version and both Dice scores; train: the best validation Dice. */
    version: z.string().min(1).max(200).optional(),
    base_val_dsc: dice.optional(),
    candidate_val_dsc: dice.optional(),
    base_anchor_dsc: dice.nullable().optional(),
    candidate_anchor_dsc: dice.nullable().optional(),
    best_val_dsc: dice.nullable().optional(),
    seconds: seconds.optional(),
  }),
  z.strictObject({ event: z.literal('cancelled') }),
  z.strictObject({ event: z.literal('error'), message: z.string().min(1).max(maxErrorMessageChars) }),
]);
export type TrainerProgressLine = z.output<typeof TrainerProgressLine>;

/** The schema as JSON Schema (draft 2020-12), exactly what models/trainer-progress.schema.json holds. */
export function trainerProgressJsonSchema(): Record<string, unknown> {
  const schema = z.toJSONSchema(TrainerProgressLine, { io: 'input', target: 'draft-2020-12' }) as Record<string, unknown>;
  return {
    ...schema,
    $id: 'https://lesiondesk.invalid/schemas/lesiondesk-trainer-progress-1.json',
    title: 'LesionDesk trainer progress line',
    description:
      'Generated from main/services/trainerProgress.ts by `npm run schema`; do not edit by hand. ' +
      'Checked by the TypeScript reader only: an epoch line has epoch <= epochs; a line is at most ' +
      `${maxProgressLineBytes} bytes of UTF-8.`,
  };
}

/** The committed file's text (stable key order, trailing newline). */
export function trainerProgressJsonSchemaText(): string {
  return `${JSON.stringify(trainerProgressJsonSchema(), null, 2)}\n`;
}

/** A line read and checked: a progress line, or why it was ignored. */
export type ParsedLine = { ok: true; line: TrainerProgressLine } | { ok: false; reason: string };

/** Parses and validates one stdout line of the trainer; never throws. */
export function parseProgressLine(text: string): ParsedLine {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return { ok: false, reason: 'not JSON' };
  }
  const result = TrainerProgressLine.safeParse(json);
  if (!result.success) {
    const problems = result.error.issues.slice(0, 5).map((i) => `${i.path.length > 0 ? i.path.join('.') : '(line)'}: ${i.message}`);
    return { ok: false, reason: problems.join('; ') };
  }
  const line = result.data;
  if (line.event === 'epoch' && line.epoch > line.epochs) return { ok: false, reason: `epoch ${line.epoch} is past epochs ${line.epochs}` };
  return { ok: true, line };
}

/** What the splitter hands on: a complete line, or the size of one it dropped. */
export type SplitLine = { text: string } | { droppedBytes: number };

/**
 * Splits a byte stream into lines holding at most `maxBytes` of any line: a longer line is
 * dropped (reported once with its size when its newline comes, or at the end), so memory stays
 * bounded whatever the writer sends. A final line without a newline is handed on at the end.
 */
export class BoundedLineSplitter {
  private parts: Buffer[] = [];
  private held = 0;
  /** Bytes of the current over-long line seen so far; 0 while the line is within bounds. */
  private dropping = 0;

  constructor(
    private readonly onLine: (line: SplitLine) => void,
    private readonly maxBytes = maxProgressLineBytes,
  ) {}

  push(chunk: Buffer): void {
    let start = 0;
    while (start < chunk.length) {
      const newline = chunk.indexOf(0x0a, start);
      const end = newline === -1 ? chunk.length : newline;
      this.take(chunk.subarray(start, end));
      if (newline === -1) return;
      this.endLine();
      start = newline + 1;
    }
  }

  /** The stream ended: a last line without a newline still counts. */
  end(): void {
    if (this.held > 0 || this.dropping > 0) this.endLine();
  }

  private take(piece: Buffer): void {
    if (piece.length === 0) return;
    if (this.dropping > 0 || this.held + piece.length > this.maxBytes) {
      this.dropping += this.held + piece.length;
      this.parts = [];
      this.held = 0;
      return;
    }
    // Copied: the stream may reuse the chunk's memory.
    this.parts.push(Buffer.from(piece));
    this.held += piece.length;
  }

  private endLine(): void {
    if (this.dropping > 0) {
      const droppedBytes = this.dropping;
      this.dropping = 0;
      this.onLine({ droppedBytes });
      return;
    }
    const text = Buffer.concat(this.parts, this.held).toString('utf8').replace(/\r$/, '');
    this.parts = [];
    this.held = 0;
    this.onLine({ text });
  }
}
