import { z } from 'zod';
import { ModelCardError } from './errors.js';

const positiveInt = z.number().int().positive();
const semver = z.string().regex(/^\d+\.\d+\.\d+([-+].*)?$/, 'must be a semver version such as 1.0.0');
const sha256Hex = z.string().regex(/^[0-9a-f]{64}$/, 'must be 64 lowercase hex digits');
/** A file beside the card, or in one sub-folder of it: no hidden names, no `..`, no absolute path. */
const fileBesideCard = z.string().max(200).regex(/^[A-Za-z0-9][A-Za-z0-9._-]*(\/[A-Za-z0-9][A-Za-z0-9._-]*)?$/, 'must be a file name beside the card (or in one sub-folder)');

/**
 * zod schema of `lesiondesk-model-card/1` (docs/model-card-format.md): the one definition of
 * the card. `npm run schema` writes it as JSON Schema to models/model-card.schema.json, which
 * the Python exporter validates every card against (a test fails when the two differ).
 */
export const modelCardSchema = z.object({
  format: z.literal('lesiondesk-model-card/1'),
  name: z.string().min(1),
  version: semver,
  architecture: z.string().min(1),
  file: z.string().regex(/^[^/\\]+\.onnx$/, 'must be an .onnx file name beside the card'),
  sha256: sha256Hex,
  params: z.number().int().nonnegative().optional(),
  macs_g: z.number().nonnegative().optional(),
  opset: z.number().int().positive().optional(),
  input: z.object({
    name: z.string().min(1),
    shape: z.tuple([z.literal(3), positiveInt, positiveInt]),
    dtype: z.literal('float32'),
    layout: z.literal('NCHW'),
  }),
  output: z.object({
    name: z.string().min(1),
    shape: z.tuple([z.literal(1), positiveInt, positiveInt]),
    activation: z.literal('sigmoid'),
  }),
  preprocessing: z.object({
    resize: z.object({
      width: positiveInt,
      height: positiveInt,
      fit: z.literal('fill'),
      kernel: z.literal('linear'),
      antialias: z.literal(true),
    }),
    channel_order: z.literal('RGB'),
    scaling: z.literal('minmax'),
    description: z.string().optional(),
  }),
  threshold: z.number().gt(0).lt(1),
  training: z.record(z.string(), z.unknown()).optional(),
  metrics: z
    .object({
      validation: z
        .object({
          dsc: z.number().optional(),
          miou: z.number().optional(),
          acc: z.number().optional(),
          sen: z.number().optional(),
          spe: z.number().optional(),
          mean_dsc: z.number().optional(),
          n: z.number().optional(),
        })
        .loose()
        .optional(),
    })
    .loose()
    .optional(),
  created: z.string().optional(),
  /**
   * The model this one was fine-tuned from, or null for a model trained from scratch.
   * `sha256` is the base's PyTorch checkpoint (the file the job started from).
   */
  base: z
    .object({ name: z.string().min(1), version: semver, sha256: sha256Hex })
    .loose()
    .nullable()
    .optional(),
  notes: z.array(z.string()).optional(),
  /**
   * sha256 of every other file that belongs to the model (checkpoint, metrics, evidence, the
   * store's version.json and job.log), by name relative to the card; `file` is covered by `sha256`.
   * Cards written before this field existed lack it (their checkpoint is not trusted; README).
   */
  files: z.record(fileBesideCard, sha256Hex).optional(),
  /** `interactive`: a model for the Box and Click tools (it then has `interactive`); absent or `automatic`: segments whole images. */
  kind: z.enum(['automatic', 'interactive']).optional(),
  /**
   * How an interactive model takes its extra inputs (preload/interactive.ts is the code):
   * `image` is `input` above (the region's crop, preprocessed as `preprocessing` says), `clicks`
   * [2, grid, grid] positive and negative discs of `click_radius` grid pixels, `prev` [1, grid,
   * grid] the previous mask sampled nearest at grid pixel centres.
   */
  interactive: z
    .object({
      inputs: z.tuple([z.literal('image'), z.literal('clicks'), z.literal('prev')]),
      grid: positiveInt,
      click_radius: z.number().positive(),
      click_encoding: z.literal('disc'),
      prev_sampling: z.literal('nearest at grid pixel centres'),
      region: z.string().optional(),
      max_clicks: positiveInt,
    })
    .loose()
    .optional(),
}).loose();

/** A validated model card. */
export type ModelCard = z.infer<typeof modelCardSchema>;

/** Validates parsed JSON as a model card; throws ModelCardError listing every bad field. */
export function parseModelCard(json: unknown, source: string): ModelCard {
  const result = modelCardSchema.safeParse(json);
  if (result.success) {
    const card = result.data;
    const { width, height } = card.preprocessing.resize;
    if (card.input.shape[1] !== height || card.input.shape[2] !== width) {
      throw new ModelCardError(
        `${source}: preprocessing.resize ${width}x${height} does not match input.shape [${card.input.shape.join(', ')}]`,
      );
    }
    if ((card.kind === 'interactive') !== (card.interactive !== undefined)) {
      throw new ModelCardError(
        card.interactive
          ? `${source}: has an "interactive" section but kind "${card.kind}"; an interactive model says kind "interactive"`
          : `${source}: kind "interactive" needs the "interactive" section (inputs, grid, click_radius, click_encoding, prev_sampling, max_clicks)`,
      );
    }
    const grid = card.interactive?.grid;
    if (grid !== undefined && (width !== grid || height !== grid || card.output.shape[1] !== grid || card.output.shape[2] !== grid)) {
      throw new ModelCardError(`${source}: interactive.grid ${grid} does not match input.shape [${card.input.shape.join(', ')}] and output.shape [${card.output.shape.join(', ')}]`);
    }
    return card;
  }
  const problems = result.error.issues.map((issue) => {
    const path = issue.path.length > 0 ? issue.path.join('.') : '(root)';
    return `${path}: ${issue.message}`;
  });
  throw new ModelCardError(`${source} is not a valid model card (lesiondesk-model-card/1): ${problems.join('; ')}`);
}

/**
 * The card schema as JSON Schema (draft 2020-12), exactly what models/model-card.schema.json
 * holds. Input shapes (what a writer must produce), so defaults and transforms cannot differ.
 */
export function modelCardJsonSchema(): Record<string, unknown> {
  const schema = z.toJSONSchema(modelCardSchema, { io: 'input', target: 'draft-2020-12' }) as Record<string, unknown>;
  return {
    ...schema,
    $id: 'https://lesiondesk.invalid/schemas/lesiondesk-model-card-1.json',
    title: 'LesionDesk model card (lesiondesk-model-card/1)',
    description:
      'Generated from main/services/modelCard.ts by `npm run schema`; do not edit by hand. ' +
      'Not expressible here and checked by the TypeScript reader only: preprocessing.resize equals input.shape; ' +
        'kind "interactive" goes with an "interactive" section and its grid equals input and output shapes.',
  };
}

/** The committed file's text for a schema (stable key order, trailing newline). */
export function modelCardJsonSchemaText(): string {
  return `${JSON.stringify(modelCardJsonSchema(), null, 2)}\n`;
}
