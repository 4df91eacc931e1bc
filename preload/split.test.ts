import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { splitOfCaseId, splitOfContent, splitOfDigest } from './api.ts';

// The trainer's test (models/tests/test_split.py) reads the same file: the app and the trainer
// must put every case on the same side.
const shared = JSON.parse(readFileSync(path.join(import.meta.dirname, '../models/tests/split-cases.json'), 'utf8')) as {
  content: { hex: string; sha256: string; split: 'train' | 'validation' }[];
  cases: { id: string; split: 'train' | 'validation' }[];
};

const bytesOf = (hex: string) => new Uint8Array(Buffer.from(hex, 'hex'));

describe('split rule', () => {
  it("puts every shared image on the side the Python trainer does, by its bytes' SHA-256", async () => {
    const actual = await Promise.all(shared.content.map(async ({ hex, sha256 }) => ({ hex, sha256, split: await splitOfContent(bytesOf(hex)) })));
    expect(actual).toEqual(shared.content);
    expect(shared.content.map((c) => splitOfDigest(c.sha256))).toEqual(shared.content.map((c) => c.split));
    expect(new Set(shared.content.map((c) => c.split))).toEqual(new Set(['train', 'validation']));
  });

  it('same bytes, same side: the name, the library and the order play no part', async () => {
    const bytes = bytesOf(shared.content[2]!.hex);
    // A re-import is a copy of the same bytes in a new buffer.
    expect(await splitOfContent(new Uint8Array([...bytes]))).toBe(shared.content[2]!.split);
    const images = Array.from({ length: 400 }, (_, i) => new TextEncoder().encode(`image ${i} ${(i * 7919) % 1000}`));
    const first = await Promise.all(images.map(splitOfContent));
    const later = await Promise.all([...images].reverse().map((b) => splitOfContent(b.slice())));
    expect(later.reverse()).toEqual(first);
    const validation = first.filter((s) => s === 'validation').length;
    expect(validation / images.length).toBeGreaterThan(0.17);
    expect(validation / images.length).toBeLessThan(0.33);
  });

  it('keeps the rule before issue 17 (by case id) for the cases an upgraded library lists', async () => {
    const actual = await Promise.all(shared.cases.map(async ({ id }) => ({ id, split: await splitOfCaseId(id) })));
    expect(actual).toEqual(shared.cases);
  });
});
