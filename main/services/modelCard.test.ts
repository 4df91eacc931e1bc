import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { modelCardJsonSchemaText, parseModelCard } from './modelCard.js';

const root = path.resolve(import.meta.dirname, '../..');

describe('the card schema is defined once', () => {
  it('models/model-card.schema.json is what `npm run schema` writes from the zod schema', () => {
    const committed = readFileSync(path.join(root, 'models/model-card.schema.json'), 'utf8');
    // When this fails, run `npm run schema` and commit the file: the Python writer validates
    // against it, so a stale file lets the two sides drift apart again.
    expect(committed).toBe(modelCardJsonSchemaText());
  });

  it('the shipped card passes', () => {
    const json: unknown = JSON.parse(readFileSync(path.join(root, 'models/scsonet-isic2017-v1.json'), 'utf8'));
    expect(parseModelCard(json, 'shipped').name).toBe('scsonet-isic2017');
  });

  it('a fine-tuned card names its base by name, version and the checkpoint sha256', () => {
    const json = JSON.parse(readFileSync(path.join(root, 'models/scsonet-isic2017-v1.json'), 'utf8')) as Record<string, unknown>;
    const base = { name: 'scsonet-isic2017', version: '1.0.0', sha256: 'a'.repeat(64) };
    expect(parseModelCard({ ...json, version: '1.1.0', base }, 'tuned').base).toEqual(base);
    expect(() => parseModelCard({ ...json, base: { name: 'x', version: '1.0.0', checkpoint_sha256: 'a'.repeat(64) } }, 'old'))
      .toThrow(/base\.sha256/);
  });
});
