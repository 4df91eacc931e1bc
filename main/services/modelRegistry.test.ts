import { mkdtemp, mkdir, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { ModelCardError, ModelNotFoundError } from './errors.js';
import { parseModelCard } from './modelCard.js';
import { resolveModel, scanModelDirs } from './modelRegistry.js';

function card(name: string, version: string, file = `${name}-${version}.onnx`): Record<string, unknown> {
  return {
    format: 'lesiondesk-model-card/1',
    name,
    version,
    architecture: 'SCSONet',
    file,
    sha256: 'a'.repeat(64),
    input: { name: 'image', shape: [3, 256, 256], dtype: 'float32', layout: 'NCHW' },
    output: { name: 'prob', shape: [1, 256, 256], activation: 'sigmoid' },
    preprocessing: {
      resize: { width: 256, height: 256, fit: 'fill', kernel: 'linear', antialias: true },
      channel_order: 'RGB',
      scaling: 'minmax',
    },
    threshold: 0.5,
  };
}

let shipped: string;
let user: string;

beforeAll(async () => {
  const root = await mkdtemp(path.join(os.tmpdir(), 'lesiondesk-registry-'));
  shipped = path.join(root, 'resources', 'models');
  user = path.join(root, 'user');
  await mkdir(shipped, { recursive: true });
  await mkdir(user, { recursive: true });
  const put = async (dir: string, c: Record<string, unknown>, stem: string) => {
    await writeFile(path.join(dir, `${stem}.json`), JSON.stringify(c));
    await writeFile(path.join(dir, c.file as string), 'onnx bytes');
  };
  await put(shipped, card('scsonet-isic2017', '1.0.0'), 'shipped');
  await put(user, card('scsonet-isic2017', '1.1.0'), 'finetuned');
  await writeFile(path.join(user, 'notes.json'), JSON.stringify({ unrelated: true }));
  await writeFile(path.join(user, 'broken.json'), JSON.stringify({ ...card('x', '1.0.0'), output: { name: 'prob' } }));
});

describe('model registry', () => {
  it('finds cards in every folder, ignores unrelated JSON, reports broken cards', async () => {
    const catalog = await scanModelDirs([user, shipped, '/nonexistent/folder']);
    expect(catalog.models.map((m) => m.card.version).sort()).toEqual(['1.0.0', '1.1.0']);
    expect(catalog.problems).toHaveLength(1);
    expect(catalog.problems[0].message).toMatch(/broken\.json is not a valid model card .*output\.shape/);
  });

  it('picks the newest version by default, and a named or pathed one on request', async () => {
    const catalog = await scanModelDirs([user, shipped]);
    expect((await resolveModel(catalog)).card.version).toBe('1.1.0');
    expect((await resolveModel(catalog, 'scsonet-isic2017@1.0.0')).card.version).toBe('1.0.0');
    expect((await resolveModel(catalog, path.join(shipped, 'shipped.json'))).card.version).toBe('1.0.0');
    expect((await resolveModel(catalog, path.join(shipped, 'scsonet-isic2017-1.0.0.onnx'))).card.version).toBe('1.0.0');
    await expect(resolveModel(catalog, path.join(shipped, 'scsonet-isic2017-1.0.0.onnx').replace('1.0.0.onnx', '9.onnx'))).rejects.toThrow(/does not exist/);
    expect((await resolveModel(catalog, shipped)).card.version).toBe('1.0.0');
    await expect(resolveModel(catalog, 'other')).rejects.toThrow(ModelNotFoundError);
    await expect(resolveModel(catalog, 'other')).rejects.toThrow(/available: scsonet-isic2017@1\.1\.0, scsonet-isic2017@1\.0\.0/);
    await expect(resolveModel({ models: [], problems: [] })).rejects.toThrow(/no model found/);
  });
});

describe('interactive models in the registry', () => {
  const interactiveSection = { inputs: ['image', 'clicks', 'prev'], grid: 256, click_radius: 5, click_encoding: 'disc', prev_sampling: 'nearest at grid pixel centres', max_clicks: 20 };

  it('keeps an interactive card apart: never picked to segment whole images, its problems never an automatic model\'s', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'lesiondesk-registry-interactive-'));
    const put = async (c: Record<string, unknown>, stem: string) => {
      await writeFile(path.join(dir, `${stem}.json`), JSON.stringify(c));
      await writeFile(path.join(dir, c.file as string), 'onnx bytes');
    };
    await put(card('scsonet-isic2017', '1.0.0'), 'b-automatic');
    // A higher version, and first in name order: before the split it was run as the automatic model.
    await put({ ...card('scsonet-interactive', '2.0.0'), kind: 'interactive', interactive: interactiveSection }, 'a-interactive');
    await writeFile(path.join(dir, 'c-broken.json'), JSON.stringify({ ...card('scsonet-interactive', '2.1.0'), kind: 'interactive' }));
    const catalog = await scanModelDirs([dir]);
    expect(catalog.models.map((m) => m.card.name)).toEqual(['scsonet-isic2017']);
    expect(catalog.problems).toEqual([]);
    expect(catalog.interactive?.map((m) => `${m.card.name}@${m.card.version}`)).toEqual(['scsonet-interactive@2.0.0']);
    expect(catalog.interactiveProblems?.[0].message).toMatch(/kind "interactive" needs the "interactive" section/);
    expect((await resolveModel(catalog)).card.name).toBe('scsonet-isic2017');
    await expect(resolveModel(catalog, path.join(dir, 'a-interactive.json'))).rejects.toThrow(/is the interactive model \(for boxes and clicks\); choose an automatic model/);
  });

  it('validates the interactive section: its grid must be the input and output size', () => {
    expect(() => parseModelCard({ ...card('i', '1.0.0'), kind: 'interactive', interactive: { ...interactiveSection, grid: 128 } }, 'i.json')).toThrow(/interactive\.grid 128 does not match/);
    expect(() => parseModelCard({ ...card('i', '1.0.0'), kind: 'automatic', interactive: interactiveSection }, 'i.json')).toThrow(/has an "interactive" section but kind "automatic"/);
    expect(() => parseModelCard({ ...card('i', '1.0.0'), kind: 'interactive', interactive: { ...interactiveSection, inputs: ['image', 'prev', 'clicks'] } }, 'i.json')).toThrow(/interactive\.inputs/);
  });
});

describe('model card schema', () => {
  it('accepts the documented format and rejects size mismatches and path tricks', () => {
    expect(parseModelCard(card('m', '1.0.0'), 'm.json').name).toBe('m');
    expect(() => parseModelCard({ ...card('m', '1.0.0'), file: '../evil.onnx' }, 'm.json')).toThrow(ModelCardError);
    expect(() => parseModelCard({ ...card('m', '1.0.0'), version: 'latest' }, 'm.json')).toThrow(/version: must be a semver/);
    const c = card('m', '1.0.0');
    (c.preprocessing as { resize: { width: number } }).resize.width = 128;
    expect(() => parseModelCard(c, 'm.json')).toThrow(/resize 128x256 does not match input.shape/);
  });
});
