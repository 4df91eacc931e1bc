/**
 * Switching models without a restart: requests in flight finish on the session they started
 * on, new ones use the new model, and the old session is released only after the last one.
 */
import { createHash } from 'node:crypto';
import { copyFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServices } from '../../main/services/index.js';
import { readModelCard } from '../../main/services/modelRegistry.js';
import { ModelStore } from '../../main/services/modelStore.js';
import { ModelSession } from '../../main/services/modelSession.js';
import { Segmenter } from '../../main/services/segmentation.js';
import { addModelVersion } from '../e2e/model-versions.js';
import { lesionJpeg } from '../fixtures/images.js';
import { modelDir } from './helpers.js';

let tmp: string;
let image: Buffer;

beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'lesiondesk-switch-'));
  // The same weights under another version's card: which model answered is visible in the result.
  await copyFile(path.join(modelDir, 'scsonet-isic2017-v1.onnx'), path.join(tmp, 'next.onnx'));
  const card = JSON.parse(await readFile(path.join(modelDir, 'scsonet-isic2017-v1.json'), 'utf8')) as Record<string, unknown>;
  await writeFile(path.join(tmp, 'next.json'), JSON.stringify({ ...card, version: '1.1.0', file: 'next.onnx' }));
  image = await lesionJpeg(1600, 1200);
});

afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

describe('Segmenter.swap', () => {
  it('lets requests in flight finish on the old model, sends new ones to the new model, then releases the old one', async () => {
    const first = await ModelSession.open(await readModelCard(path.join(modelDir, 'scsonet-isic2017-v1.json')));
    const second = await ModelSession.open(await readModelCard(path.join(tmp, 'next.json')));
    const segmenter = new Segmenter(first);
    let released = false;
    const release = first.release.bind(first);
    first.release = async () => {
      released = true;
      await release();
    };
    // Several requests in flight on the first model (decoding a 1600x1200 JPEG takes a while).
    const inFlight = [1, 2, 3].map(() => segmenter.segment({ bytes: image, name: 'a.jpg' }, { tta: true }));
    const swapped = segmenter.swap(second);
    expect(released).toBe(false);
    const after = await segmenter.segment({ bytes: image, name: 'b.jpg' });
    expect(after.model.version).toBe('1.1.0');
    for (const r of await Promise.all(inFlight)) expect(r.model.version).toBe('1.0.0');
    await swapped;
    expect(released).toBe(true);
    expect(segmenter.session).toBe(second);
    await second.release();
  });

  it('releases at once when nothing is in flight', async () => {
    const first = await ModelSession.open(await readModelCard(path.join(modelDir, 'scsonet-isic2017-v1.json')));
    const second = await ModelSession.open(await readModelCard(path.join(tmp, 'next.json')));
    const segmenter = new Segmenter(first);
    await segmenter.swap(second);
    expect((await segmenter.segment({ bytes: image, name: 'c.jpg' })).model.version).toBe('1.1.0');
    await second.release();
  });
});

describe('the running services on a version switch', () => {
  it('announce active-model-changed only once the new version answers, on activate and roll back', async () => {
    const dataDir = await mkdtemp(path.join(tmp, 'data-'));
    const next = await addModelVersion(dataDir, '1.2.0');
    const services = await createServices({ modelDirs: [modelDir], dataDir });
    try {
      const shipped = (await services.handlers.listModelVersions(undefined)).active!;
      // What a renderer does on hearing the news: ask which model runs, and predict.
      const heard: { event: string; info: string; predictedBy: string }[] = [];
      const asked: Promise<void>[] = [];
      services.events.subscribe((event) => {
        if (event.type !== 'active-model-changed') return;
        asked.push(
          (async () => {
            const info = await services.handlers.getModelInfo(undefined);
            const result = await services.handlers.segmentImage({ bytes: image, fileName: 'c.jpg' });
            heard.push({ event: event.active!, info: `${info.name}@${info.version}`, predictedBy: `${result.model.name}@${result.model.version}` });
          })(),
        );
      });
      await services.handlers.activateModelVersion({ id: next });
      await services.handlers.rollbackModel(undefined);
      await Promise.all(asked);
      expect(heard).toEqual([
        { event: next, info: next, predictedBy: next },
        { event: shipped, info: shipped, predictedBy: shipped },
      ]);
    } finally {
      await services.close();
    }
  });

  it('follow an activation and a roll back made by another process (the CLI) on the same folder', async () => {
    const dataDir = await mkdtemp(path.join(tmp, 'data-'));
    const next = await addModelVersion(dataDir, '1.3.0');
    const services = await createServices({ modelDirs: [modelDir], dataDir });
    try {
      const shipped = (await services.handlers.listModelVersions(undefined)).active!;
      const heard: { active: string | null; previous: string | null }[] = [];
      services.events.subscribe((event) => {
        if (event.type === 'active-model-changed') heard.push({ active: event.active, previous: event.previous });
      });
      // `lesiondesk models activate`: its own store on the same folder.
      const cli = new ModelStore({ dataDir, shippedDirs: [modelDir] });
      await cli.activate(next);
      // The next prediction runs the version the pointer names, whether or not a file event came first.
      const result = await services.handlers.segmentImage({ bytes: image, fileName: 'd.jpg' });
      expect(`${result.model.name}@${result.model.version}`).toBe(next);
      expect((await services.handlers.getModelInfo(undefined)).version).toBe('1.3.0');
      expect(heard).toEqual([{ active: next, previous: shipped }]);

      // While idle: the watcher notices a roll back without any call to the services.
      const announced = new Promise<void>((resolve) => services.events.subscribe((event) => event.type === 'active-model-changed' && event.active === shipped && resolve()));
      await cli.rollback();
      await announced;
      expect(heard).toEqual([{ active: next, previous: shipped }, { active: shipped, previous: next }]);
      expect((await services.handlers.segmentImage({ bytes: image, fileName: 'e.jpg' })).model.version).toBe('1.0.0');
    } finally {
      await services.close();
    }
  });

  it('refuse to activate a version that cannot run before the pointer moves', async () => {
    const dataDir = await mkdtemp(path.join(tmp, 'data-'));
    // A version whose card matches its ONNX file, which onnxruntime cannot load.
    const result = await mkdtemp(path.join(tmp, 'result-'));
    const garbage = Buffer.from('not an onnx graph');
    await writeFile(path.join(result, 'model.onnx'), garbage);
    const { files: _files, ...card } = JSON.parse(await readFile(path.join(modelDir, 'scsonet-isic2017-v1.json'), 'utf8')) as Record<string, unknown>;
    await writeFile(path.join(result, 'model.json'), JSON.stringify({ ...card, version: '1.4.0', file: 'model.onnx', sha256: createHash('sha256').update(garbage).digest('hex') }));
    const store = new ModelStore({ dataDir, shippedDirs: [modelDir] });
    const broken = (await store.add(result, { base: 'scsonet-isic2017@1.0.0', created: new Date().toISOString(), jobId: null, corrections: null, validation: null, anchor: null, gate: null })).id;
    const services = await createServices({ modelDirs: [modelDir], dataDir });
    try {
      await expect(services.handlers.activateModelVersion({ id: broken })).rejects.toThrow(/could not be loaded by onnxruntime/);
      const list = await services.handlers.listModelVersions(undefined);
      expect(list.active).toBe('scsonet-isic2017@1.0.0');
      expect(list.previous).toBeNull();
    } finally {
      await services.close();
    }
  });
});
