import { z } from 'zod';
import { ModelCardError } from './errors.js';

const positiveInt = z.number().int().positive();

/** zod schema of `lesiondesk-model-card/1` (docs/model-card-format.md). */
export const modelCardSchema = z.object({
  format: z.literal('lesiondesk-model-card/1'),
  name: z.string().min(1),
  version: z.string().regex(/^\d+\.\d+\.\d+([-+].*)?$/, 'must be a semver version such as 1.0.0'),
  architecture: z.string().min(1),
  file: z
    .string()
    .min(1)
    .refine((f) => !f.includes('/') && !f.includes('\\') && f.endsWith('.onnx'), 'must be an .onnx file name beside the card'),
  sha256: z.string().regex(/^[0-9a-f]{64}$/, 'must be 64 lowercase hex digits'),
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
  base: z.object({ name: z.string(), version: z.string(), sha256: z.string() }).nullable().optional(),
  notes: z.array(z.string()).optional(),
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
    return card;
  }
  const problems = result.error.issues.map((issue) => {
    const path = issue.path.length > 0 ? issue.path.join('.') : '(root)';
    return `${path}: ${issue.message}`;
  });
  throw new ModelCardError(`${source} is not a valid model card (lesiondesk-model-card/1): ${problems.join('; ')}`);
}
